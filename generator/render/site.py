"""Pages generated from the catalog for the docs site and its nav: one per service and stack,
the catalog index, network and storage maps, install guides and downloads as HTML (see
site_html.py); the roles, GPU and Swarm pages as Markdown."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from generator.catalog.model import Catalog, Notify, Service
from generator.catalog.variables import limit_variables
from generator.plan import Plan, stack_order
from generator.plan.rules import ENCRYPTED_OVERLAY, LABEL_PREFIX, NOT_HERE, format_cpus
from generator.render.gpu import services_min_driver
from generator.render.proxy import proxy_service
from generator.render.site_html import HtmlPage, catalog_markup, code, with_anchors
from generator.render.text import render_text
from generator.render.yaml_text import to_yaml
from generator.render.zfs import build_plan

INSTALL = {  # the guide's order: one command first, then each step on its own
    "cli": "Quick start: gen up",
    "portainer": "Portainer App Templates",
    "zfs": "ZFS datasets",
    "gpu": "GPU check",
    "access": "Access and egress",
    "swarm": "Docker Swarm",
}


def _tuning(catalog: Catalog, dataset_id: str) -> str:
    dataset = catalog.datasets[dataset_id]
    props = catalog.storage_classes[dataset.storage_class].properties
    return ", ".join(f"{k}={v}" for k, v in props.items())


def _security(service: Service) -> list[Markup]:
    """The service's security notes, each an HTML line (catalog reasons rendered as text)."""
    lines = []
    sec = service.security
    if sec.privileged:
        lines.append(
            Markup("Runs <strong>privileged</strong>: ") + catalog_markup(sec.privileged, inline=True)
        )
    else:
        lines.append(Markup("Not privileged."))
    if sec.no_new_privileges:
        lines.append(Markup("<code>no-new-privileges</code> is set."))
    if sec.read_only_rootfs:
        lines.append(Markup("The root filesystem is read-only."))
    if sec.cap_add:
        lines.append(Markup("Added capabilities: {}.").format(", ".join(sec.cap_add)))
    if sec.pid_host:
        lines.append(Markup("Shares the host's PID namespace: ") + catalog_markup(sec.pid_host, inline=True))
    for volume in service.volumes:
        if volume.source_kind == "host_path":
            socket = (
                " (the Docker socket: full control of the engine)"
                if volume.source.endswith("docker.sock")
                else ""
            )
            mode = "read-only" if volume.read_only else "read-write"
            lines.append(
                Markup("Mounts the host path {}{}, {}: ").format(code(volume.source), socket, mode)
                + catalog_markup(volume.reason, inline=True)
                + _if_missing(volume.env_override, volume.if_missing)
            )
    for device in service.devices:
        lines.append(
            Markup("Passes the host device {}.").format(code(device.path))
            + _if_missing(device.env_override, device.if_missing)
        )
    if service.user:
        lines.append(Markup("Runs as uid:gid {}:{}.").format(service.user.uid, service.user.gid))
    return lines


def _if_missing(variable: str | None, loss: str | None) -> Markup:
    """What an optional host path or device gives, and how a host without it runs the service."""
    if not (variable and loss):
        return Markup("")
    setting = code(f"{variable}={NOT_HERE}")
    return Markup(" A host without it sets {} in the stack's env file (gen doctor says so): ").format(
        setting
    ) + catalog_markup(loss, inline=True)


def _volume_source(catalog: Catalog, service: Service, index: int) -> tuple[Markup, str]:
    """Where a volume comes from (HTML) and its dataset's tuning."""
    volume = service.volumes[index]
    if volume.source_kind == "dataset":
        dataset = catalog.datasets[volume.source]
        where = Markup("dataset {} at {}").format(code(dataset.full_name), code(dataset.mountpoint))
        return where, _tuning(catalog, dataset.id)
    kinds = {"host_path": "host path", "generated": "generated"}
    return Markup("{} {}").format(kinds.get(volume.source_kind, "Docker volume"), code(volume.source)), ""


def _html_page(template: str, **values: Any) -> HtmlPage:
    return with_anchors(render_text(template, **values))


def service_page(plan: Plan, service: Service, proxy: Service | None) -> HtmlPage:
    catalog = plan.catalog
    stack = catalog.stack_of(service.id)
    variants = [
        v for v in (catalog.stack_accelerators(stack) if stack else ("cpu",)) if service.in_variant(v)
    ]
    # one listing per distinct service definition: variants that differ only in their
    # ai-stack.variant label share one (most services run the same everywhere)
    shown: dict[str, tuple[list[str], str]] = {}
    if stack:
        for variant in variants:
            entry = plan.variant(stack, variant).compose_services[service.id]
            snippet = to_yaml({service.id: entry}).decode("utf-8")
            label = f"{LABEL_PREFIX}.variant: {variant}\n"
            shown.setdefault(snippet.replace(label, ""), ([], snippet))[0].append(variant)
    snippets = [(", ".join(names), text) for names, text in shown.values()]
    sources = [_volume_source(catalog, service, i) for i in range(len(service.volumes))]
    return _html_page(
        "site/service.html.j2",
        s=service,
        source=catalog.sources.get("service", {}).get(service.id, "catalog/services/"),
        stack=stack,
        variants=variants,
        networks=catalog.networks,
        volume_sources=[s for s, _ in sources],
        volume_tuning=[t for _, t in sources],
        cpus=format_cpus(service.limits.cpus),
        limit_names=limit_variables(service),
        security=_security(service),
        snippets=snippets,
        snippet_language="yaml" if len(catalog.services) <= SIDEBAR_LIMIT else "text",
        proxy=proxy,
    )


def pages(plan: Plan, templates: dict[str, Any]) -> dict[str, str | HtmlPage]:
    """path in the docs folder -> Markdown, or HTML, for every generated page."""
    return {**entity_pages(plan), **overview_pages(plan, templates)}


def entity_pages(plan: Plan) -> dict[str, str | HtmlPage]:
    """A page per service and per stack (most of a large site's pages)."""
    catalog = plan.catalog
    result: dict[str, str | HtmlPage] = {}
    proxy = proxy_service(catalog)
    for service in sorted(catalog.services.values(), key=lambda s: s.id):
        result[f"catalog/services/{service.id}.md"] = service_page(plan, service, proxy)
    for stack in sorted(catalog.stacks.values(), key=lambda s: s.id):
        result[f"catalog/stacks/{stack.id}.md"] = _html_page(
            "site/stack.html.j2",
            stack=stack,
            source=catalog.sources.get("stack", {}).get(stack.id, ""),
            services=catalog.stack_services(stack),
            variants=catalog.stack_accelerators(stack),
        )
    return result


def overview_pages(plan: Plan, templates: dict[str, Any]) -> dict[str, str | HtmlPage]:
    """The pages about the whole catalog: the overview, the maps, the roles and the guides."""
    catalog = plan.catalog
    assert catalog.publish is not None
    publish = catalog.publish
    services = sorted(catalog.services.values(), key=lambda s: s.id)
    stacks = sorted(catalog.stacks.values(), key=lambda s: s.id)
    stack_of = {s.id: stack.id for s in services if (stack := catalog.stack_of(s.id))}
    result: dict[str, str | HtmlPage] = {}
    categories = sorted({c for s in services for c in s.categories})
    result["catalog/index.md"] = _html_page(
        "site/index.html.j2",
        source="catalog/",
        services=services,
        stacks=stacks,
        stack_of=stack_of,
        categories=categories,
    )
    members: dict[str, list[Any]] = {}
    for service in services:
        for attachment in service.networks:
            members.setdefault(attachment.network, []).append((service, attachment))
    networks = sorted(catalog.networks.values(), key=lambda n: n.subnet.network_address)
    published = sorted(
        ((f"{p.host_ip or '0.0.0.0'}:{p.host}", s, p) for s in services for p in s.ports if p.host),
        key=lambda x: x[2].host or 0,
    )
    result["catalog/network-map.md"] = _html_page(
        "site/network-map.html.j2",
        source="catalog/networks/",
        lans=[n for n in networks if n.type == "lan"],
        bridges=[n for n in networks if n.type == "bridge"],
        members=members,
        all_networks=networks,
        published=published,
    )
    datasets = sorted(catalog.datasets.values(), key=lambda d: d.full_name)
    users: dict[str, list[Any]] = {d.id: [] for d in datasets}
    for service in services:
        for volume in service.volumes:
            if volume.source_kind == "dataset":
                users[volume.source].append((service, volume))
    result["catalog/storage-map.md"] = _html_page(
        "site/storage-map.html.j2",
        source="catalog/datasets/",
        pools=sorted(catalog.pools.values(), key=lambda p: p.id),
        datasets=datasets,
        users=users,
        tuning={d.id: _tuning(catalog, d.id) for d in datasets},
        classes=catalog.storage_classes,
        key=lambda text: text.replace("-", "_"),  # a Mermaid node id
    )
    result["catalog/alerts.md"] = _alerts_page(catalog)
    result["catalog/roles.md"] = render_text(
        "site/roles.md.j2", source="catalog/roles/", roles=sorted(catalog.roles.values(), key=lambda r: r.id)
    )
    in_stacks = [
        (stack, s)
        for stack in sorted(catalog.stacks.values(), key=lambda t: t.id)
        for s in catalog.stack_services(stack)
    ]
    common = {
        "site_url": publish.site_url,
        "repository_url": publish.repository_url,
        "branch": publish.branch,
        "artifacts_path": publish.artifacts_path,
        "model_servers": [(stack, s) for stack, s in in_stacks if s.models],
        "model_pullers": {stack.id: s for stack, s in in_stacks if s.pulls_models},
        "first_start": [s for _, s in in_stacks if s.first_start],
    }
    result["install/portainer.md"] = _html_page(
        "site/install-portainer.html.j2",
        source="catalog/publish.yaml",
        templates=templates["templates"],
        **common,
    )
    result["install/zfs.md"] = _html_page(
        "site/install-zfs.html.j2", source="catalog/datasets/", plan=build_plan(catalog), **common
    )
    generations = sorted(catalog.gpu_generations.values(), key=lambda g: float(g.compute_capabilities[0]))
    result["install/gpu.md"] = render_text(
        "site/install-gpu.md.j2",
        source="catalog/gpu-generations/",
        generations=generations,
        services_min_driver=services_min_driver(catalog),
        **common,
    )
    result["install/cli.md"] = _html_page(
        "site/install-cli.html.j2",
        source="catalog/stacks/",
        stacks=[  # in the order gen up starts them, each with its variants, cpu first
            (stack, [d.variant for d in plan.of_stack(stack)])
            for stack in stack_order(catalog, catalog.stacks.values())
        ],
        pools=sorted(catalog.pools.values(), key=lambda p: p.id),
        **common,
    )
    result["install/access.md"] = _access_page(catalog)
    result["install/swarm.md"] = _swarm_page(plan)
    return result


def _swarm_page(plan: Plan) -> str:
    from generator.plan.rules import pools_of

    catalog = plan.catalog
    pools: dict[str, list[str]] = {}
    for service in sorted(catalog.services.values(), key=lambda s: s.id):
        for pool in pools_of(catalog, service):
            pools.setdefault(pool, []).append(service.id)
    dropped = [(d.swarm_path, d.swarm.dropped) for d in plan.on_swarm()]
    on_nvidia = [(s, s.gpu.nvidia) for s in catalog.services.values() if s.gpu and s.gpu.nvidia]
    assert catalog.publish is not None
    return render_text(
        "site/install-swarm.md.j2",
        source="catalog/stacks/",
        site_url=catalog.publish.site_url,
        pools=sorted(pools.items()),
        gpu_users=sorted(s.id for s, nvidia in on_nvidia if not nvidia.shared),
        gpu_watchers=sorted(s.id for s, nvidia in on_nvidia if nvidia.shared),
        dropped_by_file=dropped,
        encrypted_overlay_options=[f"CONFIG_{name}" for name in ENCRYPTED_OVERLAY],
    )


def _alerts_page(catalog: Catalog) -> str:
    from generator.render.alerts import build_rules

    notify = catalog.alerts.notify
    rules = []
    for group in build_rules(catalog)["groups"]:
        for rule in group["rules"]:
            severity = rule["labels"]["severity"]
            rules.append(
                {
                    "alert": rule["alert"],
                    "severity": severity,
                    "duration": rule["for"],
                    "expr": rule["expr"],
                    "summary": rule["annotations"]["summary"],
                    "sent_to": _sent_to(notify, severity, sorted(catalog.stacks)) if notify else "",
                }
            )
    probed = [
        {"title": s.title, "via": s.probe.via, "path": s.probe.path, "through_proxy": s.probe.through_proxy}
        for s in sorted(catalog.services.values(), key=lambda s: s.title.lower())
        if s.probe
    ]
    return render_text(
        "site/alerts.md.j2",
        source="catalog/alerts.yaml",
        rules=rules,
        probed=probed,
        slow_seconds=f"{catalog.alerts.probe_slow_seconds:g}",
        notify=notify,
        evaluation_interval=catalog.alerts.evaluation_interval,
    )


def _sent_to(notify: Notify, severity: str, stacks: list[str]) -> str:
    """Who gets an alert of this severity, per stack, as Alertmanager's routes decide."""
    by_receivers: dict[tuple[str, ...], list[str]] = {}
    for stack in stacks:
        found: list[str] = []
        for route in notify.routes:
            if (route.severity and severity not in route.severity) or (
                route.stacks and stack not in route.stacks
            ):
                continue
            found.append(route.receiver)
            if not route.carry_on:
                break
        by_receivers.setdefault(tuple(found or [notify.default_receiver]), []).append(stack)
    if len(by_receivers) == 1:
        return ", ".join(next(iter(by_receivers)))
    return "; ".join(f"{', '.join(r)} (stack {', '.join(s)})" for r, s in by_receivers.items())


def _access_page(catalog: Catalog) -> HtmlPage:
    from generator.catalog.model import PROBES_PORT
    from generator.render.proxy import exposed_services, probed_through_proxy, proxy_service

    proxy = proxy_service(catalog)
    proxy_stack = catalog.stack_of(proxy.id) if proxy else None
    services = sorted(catalog.services.values(), key=lambda s: s.title.lower())
    by_title = {s.id: i for i, s in enumerate(services)}
    members = {
        n: [s.title for s in sorted(catalog.network_members(n), key=lambda s: by_title[s.id])]
        for n in catalog.networks
    }
    return _html_page(
        "site/install-access.html.j2",
        source="catalog/services/ (expose:, proxy:) and catalog/networks/",
        proxy=proxy,
        proxy_stack=proxy_stack.id if proxy_stack else "",
        proxy_ports=", ".join(str(p.host) for p in proxy.ports if p.host) if proxy else "",
        exposed=exposed_services(catalog),
        probed=probed_through_proxy(catalog),
        probe_port=(port.container if proxy and (port := proxy.port(PROBES_PORT)) else None),
        lan_ports=[(s, p) for s in services for p in s.ports if p.on_every_interface and not s.proxy],
        networks=sorted((n for n in catalog.networks.values() if n.type == "bridge"), key=lambda n: n.id),
        members=members,
    )


def downloads_page(plan: Plan, files: list[str], schemas: list[str]) -> HtmlPage:
    catalog = plan.catalog
    assert catalog.publish is not None
    by_folder: dict[str, list[str]] = {}
    for file in files:
        folder, _, name = file.rpartition("/")
        by_folder.setdefault(folder, []).append(name)
    compose_files = [(d.stack, d.variant, sorted(by_folder.get(d.folder, []))) for d in plan.variants]
    scripts = sorted(f.removeprefix("scripts/") for f in files if f.startswith("scripts/"))
    return _html_page(
        "site/downloads.html.j2",
        source="dist/",
        site_url=catalog.publish.site_url,
        compose_files=compose_files,
        scripts=scripts,
        schemas=schemas,
    )


# Beyond this many services (or stacks) the site is built for size: each page renders
# the whole sidebar, so N pages listed in it cost O(N^2); service (or stack) pages are then
# reached from the catalog overview and the stack pages instead. Large catalogs' compose
# snippets are not highlighted: a span per token made most of a service page's HTML, and the
# search index parses all of it.
SIDEBAR_LIMIT = 40


def nav(catalog: Catalog) -> list[Any]:
    services = sorted(catalog.services.values(), key=lambda s: s.title.lower())
    stacks = sorted(catalog.stacks.values(), key=lambda s: s.title.lower())
    listed = []
    if len(stacks) <= SIDEBAR_LIMIT:
        listed.append({"Stacks": [{escape(s.title): f"catalog/stacks/{s.id}.md"} for s in stacks]})
    if len(services) <= SIDEBAR_LIMIT:
        listed.append({"Services": [{escape(s.title): f"catalog/services/{s.id}.md"} for s in services]})
    return [
        {"Home": "index.md"},
        {"Install": [{title: f"install/{name}.md"} for name, title in INSTALL.items()]},
        {
            "Catalog": [
                {"Overview": "catalog/index.md"},
                *listed,
                {"Network map": "catalog/network-map.md"},
                {"Storage map": "catalog/storage-map.md"},
                {"Roles": "catalog/roles.md"},
                {"Alerts": "catalog/alerts.md"},
            ]
        },
        {"Downloads": "reference/downloads.md"},
    ]
