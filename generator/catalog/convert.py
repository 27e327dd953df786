"""Turn schema-valid documents into the typed model, applying the documented defaults."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Any, Literal

from generator.catalog import model as m

Data = dict[str, Any]

SPACE_KEYS = ("quota", "refquota", "reservation", "refreservation")
DEFAULT_HEALTH = {
    "interval": "30s",
    "timeout": "10s",
    "retries": 3,
    "start_period": "30s",
    "start_interval": None,  # needs Docker Engine 25+: only emitted when the catalog sets it
}


def network(d: Data) -> m.Network:
    return m.Network(
        id=d["id"],
        title=d["title"],
        description=d.get("description", ""),
        type=d["type"],
        name=d.get("name") or d["id"],
        subnet=IPv4Network(d["subnet"], strict=False),
        gateway=IPv4Address(d["gateway"]) if "gateway" in d else None,
        internal=d.get("internal", False),
        isolate_from=tuple(d.get("isolate_from", ())),
        encrypted=d.get("encrypted", False),
    )


def pool(d: Data) -> m.Pool:
    return m.Pool(d["id"], d["title"], d.get("description", ""), d.get("media"), d.get("capacity"))


def storage_class(d: Data) -> m.StorageClass:
    return m.StorageClass(d["id"], d["title"], d.get("description", ""), dict(d["properties"]))


def dataset(d: Data) -> m.Dataset:
    return m.Dataset(
        id=d["id"],
        title=d["title"],
        description=d.get("description", ""),
        pool=d["pool"],
        name=d["name"],
        storage_class=d["storage_class"],
        mountpoint=d["mountpoint"],
        owner=m.Owner(d["owner"]["uid"], d["owner"]["gid"]),
        mode=d.get("mode"),
        space={key: d[key] for key in SPACE_KEYS if key in d},
        capacity_note=d.get("capacity_note"),
    )


def gpu_generation(d: Data) -> m.GpuGeneration:
    return m.GpuGeneration(
        id=d["id"],
        title=d["title"],
        description=d.get("description", ""),
        vendor=d["vendor"],
        compute_capabilities=tuple(d["compute_capabilities"]),
        examples=tuple(d.get("examples", ())),
        min_driver=d["min_driver"],
        kernel_modules=d["kernel_modules"],
        source=d.get("source"),
        last_driver_branch=d.get("last_driver_branch"),
    )


def role(d: Data) -> m.Role:
    p = d["portainer"]
    portainer = m.PortainerRole(
        user_role=p["user_role"],
        team=p.get("team"),
        environment_access=p.get("environment_access", False),
        stacks=tuple(p.get("stacks", ())),
    )
    return m.Role(d["id"], d["title"], d["description"], portainer, d.get("gap"))


def publish(d: Data) -> m.Publish:
    repo = d["repository"]
    return m.Publish(d["site_url"], repo["url"], repo["branch"], repo["artifacts_path"])


def stack(d: Data) -> m.Stack:
    return m.Stack(
        id=d["id"],
        title=d["title"],
        description=d["description"],
        services=tuple(d["services"]),
        categories=tuple(d.get("categories", ())),
        logo=d.get("logo"),
        note=d.get("note"),
        template_ids=dict(d["template_ids"]),
        swarm_template_ids=dict(d.get("swarm_template_ids", {})),
    )


def service(d: Data) -> m.Service:
    health = d["healthcheck"]
    security = d.get("security", {})
    portainer = d.get("portainer", {})
    user = d.get("user")
    return m.Service(
        id=d["id"],
        title=d["title"],
        description=d["description"],
        categories=tuple(d["categories"]),
        logo=d.get("logo"),
        links=dict(d.get("links", {})),
        image=d["image"],
        image_unpinned=d.get("image_unpinned"),
        interactive=d.get("interactive", False),
        image_note=d.get("image_note"),
        first_start=d.get("first_start"),
        model_api=d.get("model_api"),
        command=tuple(d.get("command", ())),
        entrypoint=tuple(d.get("entrypoint", ())),
        user=m.Owner(user["uid"], user["gid"]) if user else None,
        restart=d.get("restart", "unless-stopped"),
        gpu=_gpu(d["gpu"]) if "gpu" in d else None,
        ports=tuple(_port(p) for p in d.get("ports", ())),
        networks=tuple(
            m.NetworkAttachment(net, IPv4Address(a["ipv4_address"]), tuple(a.get("aliases", ())))
            for net, a in d.get("networks", {}).items()
        ),
        volumes=tuple(_volume(v) for v in d.get("volumes", ())),
        devices=tuple(_device(x) for x in d.get("devices", ())),
        env=tuple(_env(e) for e in d.get("env", ())),
        limits=m.Limits(float(d["resources"]["limits"]["cpus"]), d["resources"]["limits"]["memory"]),
        reservations=dict(d["resources"].get("reservations", {})),
        healthcheck=_healthcheck(health) if "test" in health else None,
        healthcheck_none_reason=health.get("none"),
        depends_on=tuple(
            m.Dependency(dep["service"], dep.get("condition", "service_healthy"))
            for dep in d.get("depends_on", ())
        ),
        security=m.Security(
            privileged=security.get("privileged"),
            no_new_privileges=security.get("no_new_privileges", True),
            read_only_rootfs=security.get("read_only_rootfs", False),
            cap_add=tuple(security.get("cap_add", ())),
            cap_drop=tuple(security.get("cap_drop", ())),
            pid_host=security.get("pid_host"),
        ),
        metrics=_metrics(d["metrics"]) if "metrics" in d else None,
        probe=_probe(d["probe"]) if "probe" in d else None,
        models=tuple(
            m.LlmModel(x["model"], x["title"], tuple(x["roles"]), x.get("size")) for x in d.get("models", ())
        ),
        standalone_template=portainer.get("standalone", False),
        template_id=portainer.get("template_id"),
        serves_templates=portainer.get("serves_templates", False),
        portainer_note=portainer.get("note"),
        internal=d.get("internal", False),
        expose=_expose(d["expose"]) if "expose" in d else None,
        proxy=_proxy(d["proxy"]) if "proxy" in d else None,
        swarm_replicas=d.get("swarm", {}).get("replicas", 1),
        swarm_mode=d.get("swarm", {}).get("mode", "replicated"),
        swarm_constraints=tuple(d.get("swarm", {}).get("constraints", ())),
    )


def _expose(d: Data) -> m.Expose:
    return m.Expose(port=d["port"], host=d["host"], auth=d["auth"], reason=d.get("reason"))


def _proxy(d: Data) -> m.Proxy:
    return m.Proxy(
        domain=d["domain"],
        tls=d.get("tls", "internal"),
        acme_email=d.get("acme_email"),
        user=d.get("user", "admin"),
        password_env=d.get("password_env", "PROXY_PASSWORD"),
    )


def _gpu(d: Data) -> m.Gpu:
    nvidia = d.get("nvidia")
    amd = d.get("amd")
    return m.Gpu(
        nvidia=m.NvidiaGpu(
            image=nvidia.get("image"),
            count=nvidia.get("count", None if "device_ids" in nvidia else "all"),
            device_ids=tuple(nvidia.get("device_ids", ())),
            capabilities=tuple(nvidia.get("capabilities", ("gpu",))),
            min_driver=nvidia.get("min_driver"),
            memory=nvidia.get("memory"),
            shared=nvidia.get("shared", False),
        )
        if nvidia is not None
        else None,
        amd=m.AmdGpu(
            image=amd.get("image"),
            devices=tuple(amd.get("devices", ("/dev/kfd", "/dev/dri"))),
            group_add=tuple(amd.get("group_add", ())),
        )
        if amd is not None
        else None,
        cpu_fallback=d["cpu_fallback"],
        fallback_note=d.get("fallback_note"),
    )


def _port(d: Data) -> m.Port:
    return m.Port(
        name=d["name"],
        container=d["container"],
        host=d.get("host"),
        host_ip=d.get("host_ip"),
        protocol=d.get("protocol", "tcp"),
        description=d.get("description"),
        reason=d.get("reason"),
    )


def _volume(d: Data) -> m.Volume:
    kind = next(k for k in ("dataset", "host_path", "generated", "volume") if k in d)
    # host paths and generated files are read-only unless the catalog says otherwise
    read_only = d.get("read_only", kind in ("host_path", "generated"))
    return m.Volume(
        source_kind=kind,
        source=d[kind],
        subpath=d.get("subpath"),
        target=d["target"],
        read_only=read_only,
        reason=d.get("reason"),
        env_override=d.get("env_override"),
        create_host_path=d.get("create_host_path", False),
        if_missing=d.get("if_missing"),
        propagation=d.get("propagation"),
    )


def _device(d: str | Data) -> m.Device:
    if isinstance(d, str):
        return m.Device(d)
    return m.Device(d["path"], d["env_override"], d["if_missing"])


def _env(d: Data) -> m.EnvVar:
    secret = d.get("secret")
    servers = d.get("model_servers")
    return m.EnvVar(
        name=d["name"],
        value=d.get("value"),
        secret=secret["generate"] if secret else None,
        secret_length=secret.get("length", 32) if secret else 0,
        required=d.get("required", False),
        preset=d.get("preset", False),
        options=tuple(d.get("options", ())),
        label=d.get("label"),
        description=d.get("description"),
        model_servers=(servers["api"], servers.get("as", "urls")) if servers else None,
        file=d["file"]["path"] if "file" in d else None,
        file_flag=d["file"].get("flag") if "file" in d else None,
    )


def _healthcheck(d: Data) -> m.Healthcheck:
    values: dict[str, Any] = {**DEFAULT_HEALTH, **{k: v for k, v in d.items() if k != "test"}}
    return m.Healthcheck(test=tuple(d["test"]), **values)


def _probe(d: Data) -> m.Probe:
    through_proxy = d.get("through") == "proxy"
    return m.Probe(d["via"], d["port"], d.get("path", "/"), d.get("module", "http_2xx"), through_proxy)


def alerts(d: Data) -> m.Alerts:
    defaults = m.Alerts()
    container, gpu = d.get("container", {}), d.get("gpu", {})

    def capacity(key: str) -> m.Capacity:
        given = d.get(key, {})
        base = m.Capacity()
        return m.Capacity(
            given.get("warning_percent", base.warning_percent),
            given.get("critical_percent", base.critical_percent),
            given.get("for", base.duration),
        )

    return m.Alerts(
        scrape_interval=d.get("scrape_interval", defaults.scrape_interval),
        evaluation_interval=d.get("evaluation_interval", defaults.evaluation_interval),
        container_cpu_percent=container.get("cpu_percent", defaults.container_cpu_percent),
        container_memory_percent=container.get("memory_percent", defaults.container_memory_percent),
        container_for=container.get("for", defaults.container_for),
        host_disk=capacity("host_disk"),
        zfs_pool=capacity("zfs_pool"),
        gpu_temperature_celsius=gpu.get("temperature_celsius", defaults.gpu_temperature_celsius),
        gpu_memory_info_percent=gpu.get("memory_info_percent", defaults.gpu_memory_info_percent),
        gpu_for=gpu.get("for", defaults.gpu_for),
        target_down_for=d.get("target_down_for", defaults.target_down_for),
        probe_down_for=d.get("probe_down_for", defaults.probe_down_for),
        probe_slow_seconds=d.get("probe_slow_seconds", defaults.probe_slow_seconds),
        notify=_notify(d["notify"]) if "notify" in d else None,
    )


def _notify(d: Data) -> m.Notify:
    defaults = m.Notify((), "")
    return m.Notify(
        receivers=tuple(_receiver(r) for r in d["receivers"]),
        default_receiver=d["default_receiver"],
        routes=tuple(
            m.Route(
                r["receiver"],
                tuple(r.get("severity", ())),
                tuple(r.get("stacks", ())),
                r.get("continue", False),
            )
            for r in d.get("routes", ())
        ),
        group_by=tuple(d.get("group_by", defaults.group_by)),
        group_wait=d.get("group_wait", defaults.group_wait),
        group_interval=d.get("group_interval", defaults.group_interval),
        repeat_interval=d.get("repeat_interval", defaults.repeat_interval),
    )


def _receiver(d: Data) -> m.Receiver:
    send_resolved = d.get("send_resolved", True)
    if "email" in d:
        e = d["email"]
        return m.Receiver(
            d["id"], send_resolved, "email", to=e["to"], sender=e["from"], smarthost=e["smarthost"],
            username=e.get("username"), password_variable=e.get("password_variable"),
            require_tls=e.get("require_tls", True),
        )  # fmt: skip
    kind: Literal["ntfy", "webhook"] = "ntfy" if "ntfy" in d else "webhook"
    given = d[kind]
    return m.Receiver(
        d["id"], send_resolved, kind, url=given["url"], token_variable=given.get("token_variable")
    )


def _metrics(d: Data) -> m.Metrics:
    return m.Metrics(port=d["port"], path=d.get("path", "/metrics"), interval=d.get("interval"))
