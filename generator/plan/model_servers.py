"""Model servers: services with models, on their port named "api", speaking their model_api.
A client's `model_servers` variable gets its default from the servers it reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from generator.catalog.model import Catalog, Service

MODEL_API_PORT = "api"
MODEL_API_PATH = {"ollama": "", "openai": "/v1"}  # model_api -> the base URL's path


def reachable_model_servers(catalog: Catalog, consumers: Iterable[Service]) -> list[Service]:
    """Model servers on a network one of the consumers is on, sorted by id (a stack's files
    depend on what its services reach, not on the whole catalog)."""
    networks = {a.network for consumer in consumers for a in consumer.networks}
    neighbours = {s.id: s for network in networks for s in catalog.network_members(network)}
    return sorted(
        (s for s in neighbours.values() if s.models and s.model_api and s.port(MODEL_API_PORT)),
        key=lambda s: s.id,
    )


def model_api_url(service: Service) -> str:
    """The base URL of a model server's API, by its name on the networks it shares."""
    port = service.port(MODEL_API_PORT)
    assert port is not None and service.model_api is not None  # reachable_model_servers checked
    return f"http://{service.id}:{port.container}{MODEL_API_PATH[service.model_api]}"


def with_model_server_settings(catalog: Catalog) -> Catalog:
    """The catalog with each `model_servers` variable's default made from the servers its
    service reaches (the rest of the build sees an ordinary default)."""
    changed = {}
    for service in catalog.services.values():
        if not any(env.model_servers for env in service.env):
            continue
        servers = reachable_model_servers(catalog, [service])
        env = []
        for variable in service.env:
            if variable.model_servers:
                api, form = variable.model_servers
                speaking = [s for s in servers if s.model_api == api]
                urls = [model_api_url(s) for s in speaking]
                forms = {
                    "urls": ";".join(urls),
                    "first": (urls or [""])[0],
                    "present": str(bool(urls)).lower(),
                    "models": " ".join(m.model for m in speaking[0].models) if speaking else "",
                }
                variable = replace(variable, value=forms[form])
            env.append(variable)
        changed[service.id] = replace(service, env=tuple(env))
    if not changed:
        return catalog
    return replace(catalog, services={**catalog.services, **changed})
