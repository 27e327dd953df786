"""Prometheus scrape configuration and the blackbox exporter's modules.

Compose hosts scrape by static IP where Prometheus shares a network with the target. Swarm has
no static IPs: its configuration (swarm.prometheus.yml) scrapes by service name, and a global
service (one task per node) through DNS service discovery of `tasks.<service>`, so every node's
exporter is a target of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.catalog.checks.notify import alertmanagers
from generator.catalog.model import PROBES_PORT, Accelerator, Catalog, Service
from generator.render.proxy import proxy_service
from generator.render.yaml_text import to_yaml

PROMETHEUS_CONFIG = "prometheus.yml"
RULES_PATH = "/etc/prometheus/alert-rules.yml"


def _prometheus_networks(catalog: Catalog) -> set[str]:
    """The networks of the services that mount the Prometheus configuration."""
    return {
        attachment.network
        for service in catalog.services.values()
        if any(v.source_kind == "generated" and v.source == PROMETHEUS_CONFIG for v in service.volumes)
        for attachment in service.networks
    }


def _stack_id(catalog: Catalog, service_id: str) -> str:
    stack = catalog.stack_of(service_id)
    return stack.id if stack else ""


def scrape_address(service: Service, networks: set[str], port: int, swarm: bool = False) -> str:
    """The service's static IP on a network Prometheus shares, else (and on Swarm) its DNS name."""
    for attachment in service.networks:
        if attachment.network in networks and not swarm:
            return f"{attachment.ipv4_address}:{port}"
    return f"{service.id}:{port}"


def build_prometheus_config(catalog: Catalog, variant: Accelerator, swarm: bool = False) -> dict[str, Any]:
    """Scrape jobs for the services that exist in this variant (no NVIDIA exporter on a CPU host)."""
    networks = _prometheus_networks(catalog)
    jobs = []
    for service in sorted(catalog.services.values(), key=lambda s: s.id):
        port = service.port(service.metrics.port) if service.metrics else None
        if service.metrics is None or port is None or not service.in_variant(variant):
            continue
        job: dict[str, Any] = {"job_name": service.id, "metrics_path": service.metrics.path}
        if service.metrics.interval:
            job["scrape_interval"] = service.metrics.interval
        labels = {"service": service.id, "stack": _stack_id(catalog, service.id)}
        if swarm and service.swarm_mode == "global":
            job["dns_sd_configs"] = [{"names": [f"tasks.{service.id}"], "type": "A", "port": port.container}]
            job["relabel_configs"] = [{"target_label": k, "replacement": v} for k, v in labels.items()]
        else:
            target = scrape_address(service, networks, port.container, swarm)
            job["static_configs"] = [{"targets": [target], "labels": labels}]
        jobs.append(job)
    jobs += probe_jobs(catalog, swarm)
    intervals = {
        "scrape_interval": catalog.alerts.scrape_interval,
        "evaluation_interval": catalog.alerts.evaluation_interval,
    }
    config: dict[str, Any] = {"global": intervals, "rule_files": [RULES_PATH]}
    targets = alertmanager_targets(catalog, variant, swarm)
    if targets:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": targets}]}]}
    config["scrape_configs"] = jobs
    return config


def alertmanager_targets(catalog: Catalog, variant: Accelerator, swarm: bool = False) -> list[str]:
    """The Alertmanagers Prometheus sends its alerts to: the services of this variant that mount
    the generated alertmanager.yml, on their port named http, on a network Prometheus shares."""
    networks = _prometheus_networks(catalog)
    targets = []
    for service in alertmanagers(sorted(catalog.services.values(), key=lambda s: s.id)):
        port = service.port("http")
        reachable = any(a.network in networks for a in service.networks)
        if port is not None and reachable and service.in_variant(variant):
            targets.append(scrape_address(service, networks, port.container, swarm))
    return targets


def probe_jobs(catalog: Catalog, swarm: bool = False) -> list[dict[str, Any]]:
    """Services without /metrics, checked through a blackbox exporter: job name = service id."""
    networks = _prometheus_networks(catalog)
    jobs = []
    for service in sorted(catalog.services.values(), key=lambda s: s.id):
        probe = service.probe
        if probe is None:
            continue
        exporter = catalog.services[probe.via]
        port, exporter_port = (
            service.port(probe.port),
            exporter.port(exporter.metrics.port) if exporter.metrics else None,
        )
        if port is None or exporter_port is None:
            continue
        shared = {a.network for a in exporter.networks}
        scheme = "https" if probe.module.startswith("https") else "http"
        target = f"{scheme}://{scrape_address(service, shared, port.container, swarm)}{probe.path}"
        if probe.through_proxy:  # the proxy's probe port forwards /<id> to the checked path
            proxy = proxy_service(catalog)
            probes = proxy.port(PROBES_PORT) if proxy else None
            if proxy is None or probes is None:
                continue
            target = f"{scheme}://{scrape_address(proxy, shared, probes.container, swarm)}/{service.id}"
        labels = {"service": service.id, "stack": _stack_id(catalog, service.id)}
        jobs.append(
            {
                "job_name": service.id,
                "metrics_path": "/probe",
                "params": {"module": [probe.module]},
                "static_configs": [{"targets": [target], "labels": labels}],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["__param_target"], "target_label": "instance"},
                    {
                        "target_label": "__address__",
                        "replacement": scrape_address(exporter, networks, exporter_port.container, swarm),
                    },
                ],
            }
        )
    return jobs


def prometheus_config(catalog: Catalog, variant: Accelerator, _consumers: Sequence[Service] = ()) -> str:
    header = "# Prometheus configuration generated by `gen build` from the catalog's metrics.\n"
    return to_yaml(build_prometheus_config(catalog, variant), header).decode("utf-8")


def prometheus_swarm_config(
    catalog: Catalog, variant: Accelerator, _consumers: Sequence[Service] = ()
) -> str:
    header = (
        "# Prometheus configuration for Docker Swarm, generated by `gen build` from the catalog's metrics:\n"
        "# targets by service name, a global service's tasks (one per node) through tasks.<service>.\n"
    )
    return to_yaml(build_prometheus_config(catalog, variant, swarm=True), header).decode("utf-8")


def blackbox_config(_catalog: Catalog, _variant: Accelerator, _consumers: Sequence[Service] = ()) -> str:
    modules = {
        "modules": {
            "http_2xx": {
                "prober": "http",
                "timeout": "5s",
                "http": {"preferred_ip_protocol": "ip4"},
            },
            "https_2xx_self_signed": {
                "prober": "http",
                "timeout": "5s",
                "http": {"preferred_ip_protocol": "ip4", "tls_config": {"insecure_skip_verify": True}},
            },
        }
    }
    header = (
        "# Blackbox exporter modules generated by `gen build` (Portainer uses a self-signed certificate).\n"
    )
    return to_yaml(modules, header).decode("utf-8")
