"""Prometheus alert rules, thresholds from catalog/alerts.yaml.

Containers near their CPU/memory limits (cAdvisor), host filesystems and ZFS datasets filling up
(warning and critical), pools not ONLINE (both from node_exporter: its filesystem collector and
its ZFS collector, which reads the pool states the kernel module publishes), GPU temperature,
GPU memory (informational only: Ollama fills GPU memory on purpose), scrape targets down, and
services watched by a probe (Portainer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.catalog.model import Accelerator, Alerts, Catalog, Service
from generator.escape import prometheus_text
from generator.render.yaml_text import to_yaml

FILESYSTEMS = (
    'fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs|fuse.lxcfs|zfs",mountpoint!~"/(run|var/lib/docker)/.*"'
)
ZFS_DATASETS = 'fstype="zfs"'


def _rule(
    name: str, expr: str, duration: str, severity: str, summary: str, description: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def _share(resource: str, threshold: int) -> str:
    return f'It uses {{{{ $value | printf "%.0f" }}}}% of its {resource} limit (threshold {threshold}%).'


# cAdvisor exports each container's ai-stack.stack and ai-stack.service labels (its
# --whitelisted_container_labels); a container alert names the container's stack and service,
# not the scraped cAdvisor's, so that notify's routes by stack reach that stack's people.
CONTAINER_LABELS = "name, stack, service, container_label_ai_stack_stack, container_label_ai_stack_service"


def _as_the_containers(expression: str) -> str:
    stack = f'label_replace({expression}, "stack", "$1", "container_label_ai_stack_stack", "(.+)")'
    return f'label_replace({stack}, "service", "$1", "container_label_ai_stack_service", "(.+)")'


def container_rules(a: Alerts) -> list[dict[str, Any]]:
    memory = _as_the_containers(
        'container_memory_working_set_bytes{name!=""} / (container_spec_memory_limit_bytes{name!=""} > 0) '
        f"* 100 > {a.container_memory_percent}"
    )
    cpu = _as_the_containers(
        f'sum by ({CONTAINER_LABELS}) (rate(container_cpu_usage_seconds_total{{name!=""}}[5m])) / '
        f"sum by ({CONTAINER_LABELS}) "
        '(container_spec_cpu_quota{name!=""} / container_spec_cpu_period{name!=""}) '
        f"* 100 > {a.container_cpu_percent}"
    )
    return [
        _rule(
            "ContainerMemoryNearLimit",
            memory,
            a.container_for,
            "warning",
            "Container {{ $labels.name }} is near its memory limit",
            _share("memory", a.container_memory_percent),
        ),
        _rule(
            "ContainerCpuNearLimit",
            cpu,
            a.container_for,
            "warning",
            "Container {{ $labels.name }} is near its CPU limit",
            _share("CPU", a.container_cpu_percent),
        ),
    ]


def capacity_rules(a: Alerts) -> list[dict[str, Any]]:
    rules = []
    for level, severity in (("warning", "warning"), ("critical", "critical")):
        suffix = level.capitalize()
        disk_limit = getattr(a.host_disk, f"{level}_percent")
        rules.append(
            _rule(
                f"HostDiskFilling{suffix}",
                f"{_used_percent(FILESYSTEMS)} > {disk_limit}",
                a.host_disk.duration,
                severity,
                'Filesystem {{ $labels.mountpoint }} is {{ $value | printf "%.0f" }}% full',
                f"Above the {level} level of {disk_limit}% on {{{{ $labels.instance }}}}.",
            )
        )
        # A ZFS dataset's filesystem size is what it holds plus what it may still write, which
        # is bounded by its quota and by the free space of its pool: it fills when either does.
        pool_limit = getattr(a.zfs_pool, f"{level}_percent")
        rules.append(
            _rule(
                f"ZfsDatasetFilling{suffix}",
                f"{_used_percent(ZFS_DATASETS)} > {pool_limit}",
                a.zfs_pool.duration,
                severity,
                'ZFS dataset {{ $labels.device }} is {{ $value | printf "%.0f" }}% full',
                f"Above the {level} level of {pool_limit}% of its quota or of what its pool can "
                "still give it; ZFS slows down when a pool fills.",
            )
        )
    rules.append(
        _rule(
            "ZfsPoolNotOnline",
            'node_zfs_zpool_state{state!="online"} == 1',
            "1m",
            "critical",
            "ZFS pool {{ $labels.zpool }} is {{ $labels.state }}",
            "The pool is not ONLINE; run `zpool status {{ $labels.zpool }}` on {{ $labels.instance }}.",
        )
    )
    return rules


def _used_percent(selector: str) -> str:
    return f"(1 - node_filesystem_avail_bytes{{{selector}}} / node_filesystem_size_bytes{{{selector}}}) * 100"


def gpu_rules(a: Alerts) -> list[dict[str, Any]]:
    memory = "nvidia_smi_memory_used_bytes / nvidia_smi_memory_total_bytes * 100"
    return [
        _rule(
            "GpuTemperatureHigh",
            f"nvidia_smi_temperature_gpu > {a.gpu_temperature_celsius}",
            a.gpu_for,
            "warning",
            "GPU {{ $labels.uuid }} is at {{ $value }} °C",
            f"Above {a.gpu_temperature_celsius} °C; check cooling and airflow.",
        ),
        _rule(
            "GpuMemoryFull",
            f"{memory} > {a.gpu_memory_info_percent}",
            a.gpu_for,
            "info",
            'GPU {{ $labels.uuid }} memory is {{ $value | printf "%.0f" }}% used',
            "Informational: Ollama keeps models loaded in GPU memory on purpose.",
        ),
    ]


def availability_rules(catalog: Catalog) -> list[dict[str, Any]]:
    a = catalog.alerts
    probed = sorted(s.id for s in catalog.services.values() if s.probe)
    rules = [
        _rule(
            "ExporterDown",
            f'up{{job!~"{"|".join(probed)}"}} == 0' if probed else "up == 0",
            a.target_down_for,
            "warning",
            "Target {{ $labels.job }} ({{ $labels.instance }}) is down",
            "Prometheus cannot scrape it.",
        ),
    ]
    for service_id in probed:
        service = catalog.services[service_id]
        assert service.probe is not None
        name = "".join(part.capitalize() for part in service_id.split("-")) + "Down"
        expr = f'probe_success{{job="{service_id}"}} == 0 or up{{job="{service_id}"}} == 0'
        through = " through the reverse proxy (or the proxy is down)" if service.probe.through_proxy else ""
        rules.append(
            _rule(
                name,
                expr,
                a.probe_down_for,
                "critical",
                f"{prometheus_text(service.title)} is down",
                prometheus_text(f"The {service.probe.via} check of {service.title} fails{through}."),
            )
        )
    if probed:
        rules.append(
            _rule(
                "ProbeSlow",
                f'probe_duration_seconds{{job=~"{"|".join(probed)}"}} > {a.probe_slow_seconds:g}',
                a.probe_down_for,
                "warning",
                "{{ $labels.service }} answers its check slowly",
                f'The check took {{{{ $value | printf "%.1f" }}}} s (more than {a.probe_slow_seconds:g} s).',
            )
        )
    return rules


def build_rules(catalog: Catalog) -> dict[str, Any]:
    a = catalog.alerts
    groups = [
        {"name": "containers", "rules": container_rules(a)},
        {"name": "storage", "rules": capacity_rules(a)},
        {"name": "gpu", "rules": gpu_rules(a)},
        {"name": "availability", "rules": availability_rules(catalog)},
    ]
    groups.append({"name": "baselines", "rules": baseline_rules()})
    if catalog.alerts.notify is not None:
        groups.append({"name": "notifications", "rules": notification_rules()})
    return {"groups": groups}


def baseline_rules() -> list[dict[str, Any]]:
    """The performance baselines `gen verify --textfile` measures on a schedule: one that misses
    its target (a slower disk, a GPU that fell back to the CPU) is worth a look."""
    return [
        _rule(
            "BaselineMissed",
            "ai_stack_baseline_passed == 0",
            "0m",
            "warning",
            "{{ $labels.baseline }} of stack {{ $labels.measured_stack }} missed its target",
            "`gen verify` measured it above its target; run it again, or see what changed on this host.",
        )
    ]


def notification_rules() -> list[dict[str, Any]]:
    """Alerts about the alerts: a receiver that refuses them (a wrong address, a topic that
    needs a token) would otherwise leave every other alert unheard."""
    return [
        _rule(
            "NotificationsFailing",
            "sum by (integration) (increase(alertmanager_notifications_failed_total[15m])) > 0",
            "15m",
            "critical",
            "Alertmanager cannot deliver notifications through {{ $labels.integration }}",
            "Its notifications fail: check the receiver in alerts.yaml and the secrets in the monitoring "
            "stack's env file; the Alertmanager log says why.",
        )
    ]


def alert_rules(catalog: Catalog, _variant: Accelerator, _consumers: Sequence[Service] = ()) -> str:
    header = "# Prometheus alert rules generated by `gen build`; thresholds in catalog/alerts.yaml.\n"
    return to_yaml(build_rules(catalog), header).decode("utf-8")
