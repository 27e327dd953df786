"""Rules within and between services: unique names, dependencies, resources."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.catalog.model import PROBES_PORT, Service
from generator.catalog.variables import ZFS_ALTROOT, ZFS_POOLS, limit_variables
from generator.diagnostics import Diagnostic
from generator.units import memory_bytes


def _duplicates(
    context: Context, service: Service, field: str, keys: list[str], what: str
) -> Iterator[Diagnostic]:
    seen: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key in seen:
            message = f"{what} {key} is already used by {field}[{seen[key]}]"
            yield context.at("service", service.id, [field, index], message)
        else:
            seen[key] = index


def check_unique_names(context: Context) -> Iterator[Diagnostic]:
    for service in context.catalog.services.values():
        ports = service.ports
        yield from _duplicates(context, service, "ports", [f"'{p.name}'" for p in ports], "port name")
        container_ports = [f"{p.container}/{p.protocol}" for p in ports]
        yield from _duplicates(context, service, "ports", container_ports, "container port")
        env_names = [f"'{e.name}'" for e in service.env]
        yield from _duplicates(context, service, "env", env_names, "variable")
        targets = [f"'{v.target}'" for v in service.volumes]
        yield from _duplicates(context, service, "volumes", targets, "mount target")


def check_env_options(context: Context) -> Iterator[Diagnostic]:
    for service in context.catalog.services.values():
        for index, env in enumerate(service.env):
            if env.options and env.value not in env.options:
                allowed = ", ".join(repr(o) for o in env.options)
                message = f"{env.value!r} is not one of its options: {allowed}"
                parts: list[str | int] = ["env", index, "value" if env.value is not None else "options"]
                yield context.at("service", service.id, parts, message)


def check_health_dependencies(context: Context) -> Iterator[Diagnostic]:
    services = context.catalog.services
    known_networks = context.catalog.networks.keys()
    for service in services.values():
        for index, dependency in enumerate(service.depends_on):
            target = services.get(dependency.service)
            if target is None:
                continue
            if dependency.condition == "service_completed_successfully":
                if target.restart != "no":
                    message = (
                        f"'{target.id}' restarts ({target.restart}), so it never completes; give it "
                        "restart: 'no' (a one-shot service) or wait for service_healthy"
                    )
                    yield context.at("service", service.id, ["depends_on", index], message)
                continue  # waited for, never reached: no network to share
            if dependency.condition == "service_healthy" and target.pulls_models:
                message = (
                    f"'{target.id}' pulls the models and is healthy only once its downloads, gigabytes, "
                    "are done: wait for the model server itself, or use condition: service_started"
                )
                yield context.at("service", service.id, ["depends_on", index], message)
            if dependency.condition == "service_healthy" and target.healthcheck is None:
                message = (
                    f"'{target.id}' has no healthcheck, so it never becomes healthy; "
                    "use condition: service_started or give it a healthcheck"
                )
                yield context.at("service", service.id, ["depends_on", index], message)
            mine = {a.network for a in service.networks}
            theirs = {a.network for a in target.networks}
            if not (mine | theirs) <= known_networks:
                continue  # an unknown network is reported by itself
            if theirs and not mine & theirs:
                message = f"'{target.id}' shares no network with '{service.id}', so it cannot be reached"
                yield context.at("service", service.id, ["depends_on", index, "service"], message)


def check_dependency_cycles(context: Context) -> Iterator[Diagnostic]:
    graph = {
        s.id: sorted(d.service for d in s.depends_on if d.service in context.catalog.services)
        for s in context.catalog.services.values()
    }
    reported: set[frozenset[str]] = set()
    for start in sorted(graph):
        cycle = _cycle_from(start, graph)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            index = next(
                i for i, d in enumerate(context.catalog.services[start].depends_on) if d.service == cycle[1]
            )
            message = "dependency cycle: " + " -> ".join([*cycle, start])
            yield context.at("service", start, ["depends_on", index, "service"], message)


def _cycle_from(start: str, graph: dict[str, list[str]]) -> list[str] | None:
    """The first cycle through `start` found by depth-first search, as a path from it."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for neighbour in graph.get(node, ()):
            if neighbour == start:
                return path
            if neighbour not in seen:
                seen.add(neighbour)
                stack.append((neighbour, [*path, neighbour]))
    return None


def check_reservations(context: Context) -> Iterator[Diagnostic]:
    for service in context.catalog.services.values():
        reserved = service.reservations
        parts = ["resources", "reservations"]
        if "memory" in reserved and memory_bytes(str(reserved["memory"])) > memory_bytes(
            service.limits.memory
        ):
            message = f"memory reservation {reserved['memory']} is above the limit {service.limits.memory}"
            yield context.at("service", service.id, [*parts, "memory"], message)
        if "cpus" in reserved and float(reserved["cpus"]) > service.limits.cpus:
            message = f"cpus reservation {reserved['cpus']} is above the limit {service.limits.cpus:g}"
            yield context.at("service", service.id, [*parts, "cpus"], message)


def check_stack_variables(context: Context) -> Iterator[Diagnostic]:
    """A stack's compose file reads one value per variable name, so every service of the stack
    that uses a name must mean the same thing by it."""
    services = context.catalog.services
    for stack in context.catalog.stacks.values():
        seen: dict[str, tuple[str, object]] = {}
        for service_id in stack.services:
            service = services.get(service_id)
            if service is None:
                continue
            for index, env in enumerate(service.env):
                meaning = ("secret", env.secret) if env.is_secret else ("value", env.value)
                first = seen.setdefault(env.name, (service.id, meaning))
                if first[0] != service.id and first[1] != meaning:
                    message = (
                        f"variable {env.name} is also set by '{first[0]}' in stack '{stack.id}' with "
                        "another value; the stack's .env holds one value per name: rename one"
                    )
                    yield context.at("service", service.id, ["env", index, "name"], message)
            overrides: list[tuple[list[str | int], str | None, str]]
            overrides = [(["volumes", i], v.env_override, v.source) for i, v in enumerate(service.volumes)]
            overrides += [(["devices", i], d.env_override, d.path) for i, d in enumerate(service.devices)]
            for where, variable, path in overrides:
                if variable and variable in seen:
                    owner = seen[variable][0]
                    if seen[variable][1] != ("path", path):
                        message = f"variable {variable} is already used by '{owner}' for something else"
                        yield context.at("service", service.id, [*where, "env_override"], message)
                elif variable:
                    seen[variable] = (service.id, ("path", path))


def check_dependency_variants(context: Context) -> Iterator[Diagnostic]:
    """A service cannot wait for one that is missing from some of its stack's variants."""
    catalog = context.catalog
    for stack in catalog.stacks.values():
        if not all(sid in catalog.services for sid in stack.services):
            continue  # an unknown service is reported by itself
        variants = catalog.stack_accelerators(stack)
        for service in catalog.stack_services(stack):
            for index, dependency in enumerate(service.depends_on):
                target = catalog.services.get(dependency.service)
                if target is None:
                    continue
                missing = [v for v in variants if service.in_variant(v) and not target.in_variant(v)]
                if missing:
                    where = ", ".join(missing)
                    message = f"'{target.id}' is not in the {where} variant(s) that '{service.id}' is in"
                    yield context.at("service", service.id, ["depends_on", index, "service"], message)


def check_generated_files_need_writable_root(context: Context) -> Iterator[Diagnostic]:
    for service in context.catalog.services.values():
        if not service.security.read_only_rootfs:
            continue
        for index, volume in enumerate(service.volumes):
            if volume.source_kind == "generated":
                message = (
                    "a generated file cannot be mounted into a read-only root filesystem: Compose "
                    "injects its content into the container; drop security.read_only_rootfs"
                )
                yield context.at("service", service.id, ["volumes", index, "generated"], message)


def check_probes(context: Context) -> Iterator[Diagnostic]:
    """A probed service names a blackbox exporter service it shares a network with, and a port."""
    services = context.catalog.services
    for service in services.values():
        probe = service.probe
        if probe is None:
            continue
        if service.port(probe.port) is None:
            names = ", ".join(p.name for p in service.ports) or "none"
            message = f"unknown port '{probe.port}'; this service's ports: {names}"
            yield context.at("service", service.id, ["probe", "port"], message)
        via = services.get(probe.via)
        if via is None:
            if not context.exists("service", probe.via):
                yield context.at("service", service.id, ["probe", "via"], f"unknown service '{probe.via}'")
            continue
        if via.metrics is None:
            message = f"'{via.id}' declares no metrics port, so Prometheus cannot read its probe results"
            yield context.at("service", service.id, ["probe", "via"], message)
        elif probe.through_proxy:
            yield from _through_proxy(context, service, via)
        elif not shares_network(via, service):
            message = f"'{via.id}' shares no network with '{service.id}', so it cannot reach it"
            yield context.at("service", service.id, ["probe", "via"], message)


def shares_network(one: Service, other: Service) -> bool:
    return bool({a.network for a in one.networks} & {a.network for a in other.networks})


def _through_proxy(context: Context, service: Service, via: Service) -> Iterator[Diagnostic]:
    """The proxy's probe port reaches the service, and the exporter reaches the proxy."""
    proxies = [s for s in context.catalog.services.values() if s.proxy]
    where = ["probe", "through"]
    if not proxies:
        yield context.at(
            "service", service.id, where, "the catalog has no reverse proxy (a service with proxy:)"
        )
        return
    proxy = min(proxies, key=lambda s: s.id)
    if proxy.port(PROBES_PORT) is None:
        message = f"the proxy '{proxy.id}' has no port named '{PROBES_PORT}' to take the checks"
        yield context.at("service", service.id, where, message)
    elif not shares_network(proxy, service):
        yield context.at("service", service.id, where, f"the proxy '{proxy.id}' shares no network with it")
    elif not shares_network(via, proxy):
        yield context.at(
            "service", service.id, where, f"'{via.id}' shares no network with the proxy '{proxy.id}'"
        )


def check_model_servers(context: Context) -> Iterator[Diagnostic]:
    for service in context.catalog.services.values():
        if service.models and service.port("api") is None:
            message = "a service that lists models needs a port named 'api' (clients reach the models there)"
            yield context.at("service", service.id, ["models"], message)


def check_reserved_variables(context: Context) -> Iterator[Diagnostic]:
    """The generator names some variables itself: the ZFS altroot every dataset bind reads, and
    each service's CPU and memory limit variables. A service's own variable or path override of
    such a name would be pre-filled in Portainer's templates and move every dataset bind, or lift
    another service's limit."""
    catalog = context.catalog
    reserved = {
        ZFS_ALTROOT: "the prefix of every dataset bind (the ZFS altroot)",
        ZFS_POOLS: "the host's pools the catalog's pools are on (gen up, gen doctor, the ZFS script)",
    }
    for other in catalog.services.values():
        cpus, memory = limit_variables(other)
        reserved[cpus] = f"the CPU limit of '{other.id}'"
        reserved[memory] = f"the memory limit of '{other.id}'"
    for service in catalog.services.values():
        named: list[tuple[list[str | int], str | None]] = [
            (["env", i, "name"], e.name) for i, e in enumerate(service.env)
        ]
        named += [(["volumes", i, "env_override"], v.env_override) for i, v in enumerate(service.volumes)]
        named += [(["devices", i, "env_override"], d.env_override) for i, d in enumerate(service.devices)]
        for where, name in named:
            if name in reserved:
                message = (
                    f"'{name}' is the variable gen sets for {reserved[name]}: the stack's env file "
                    "gives it that meaning; choose another name"
                )
                yield context.at("service", service.id, where, message)


CHECKS = (
    check_reserved_variables,
    check_unique_names,
    check_env_options,
    check_health_dependencies,
    check_dependency_cycles,
    check_reservations,
    check_stack_variables,
    check_dependency_variants,
    check_model_servers,
    check_probes,
    check_generated_files_need_writable_root,
)
