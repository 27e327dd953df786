"""Network boundaries: one authenticated entry point, nothing else open on the LAN
without a stated reason, the AI network kept apart from the networks it is isolated from."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.catalog.model import Service
from generator.diagnostics import Diagnostic


def _proxies(context: Context) -> list[Service]:
    return sorted((s for s in context.catalog.services.values() if s.proxy), key=lambda s: s.id)


def check_one_proxy(context: Context) -> Iterator[Diagnostic]:
    proxies = _proxies(context)
    for extra in proxies[1:]:
        message = f"only one service may be the reverse proxy; '{proxies[0].id}' already is"
        yield context.at("service", extra.id, ["proxy"], message)
    for service in context.catalog.services.values():
        mounts = [
            i
            for i, v in enumerate(service.volumes)
            if v.source == "Caddyfile" and v.source_kind == "generated"
        ]
        if mounts and not service.proxy:
            message = "the generated Caddyfile is for the reverse proxy: add a proxy: block to this service"
            yield context.at("service", service.id, ["volumes", mounts[0], "generated"], message)
    for proxy in proxies[:1]:
        assert proxy.proxy is not None
        secret = next((e for e in proxy.env if e.name == proxy.proxy.password_env), None)
        if secret is None or not secret.is_secret:
            message = (
                f"the proxy's password comes from the secret variable {proxy.proxy.password_env}: "
                f"add it to env with `secret: {{generate: password}}`"
            )
            yield context.at("service", proxy.id, ["proxy"], message)


def check_exposed_services(context: Context) -> Iterator[Diagnostic]:
    proxies = _proxies(context)
    proxy_networks = {a.network for a in proxies[0].networks} if proxies else set()
    hosts: dict[str, str] = {}
    for service in sorted(context.catalog.services.values(), key=lambda s: s.id):
        expose = service.expose
        if expose is None:
            continue
        if expose.auth == "none" and not expose.reason:
            message = (
                "exposed without authentication and without a reason: use auth: proxy (the proxy asks "
                "for the generated password), auth: app (the application has its own login), or say why "
                "in expose.reason"
            )
            yield context.at("service", service.id, ["expose", "auth"], message)
        port = service.port(expose.port)
        if port is None:
            names = ", ".join(p.name for p in service.ports) or "none"
            yield context.at(
                "service", service.id, ["expose", "port"], f"no port named '{expose.port}'; ports: {names}"
            )
        if expose.host in hosts:
            message = f"host '{expose.host}' is already exposed by service '{hosts[expose.host]}'"
            yield context.at("service", service.id, ["expose", "host"], message)
        hosts.setdefault(expose.host, service.id)
        if not proxies:
            message = "no service is the reverse proxy: add one with a proxy: block (e.g. Caddy)"
            yield context.at("service", service.id, ["expose"], message)
            continue
        shared = proxy_networks & {a.network for a in service.networks}
        if not shared:
            ours = ", ".join(a.network for a in service.networks) or "none"
            message = (
                f"the proxy '{proxies[0].id}' shares no network with this service; "
                f"attach the proxy to one of: {ours}"
            )
            yield context.at("service", service.id, ["expose"], message)


def check_published_on_the_lan(context: Context) -> Iterator[Diagnostic]:
    has_proxy = bool(_proxies(context))
    for service in sorted(context.catalog.services.values(), key=lambda s: s.id):
        for index, port in enumerate(service.ports):
            if not port.on_every_interface:
                continue
            if service.internal:
                message = (
                    f"service '{service.id}' is internal, but port '{port.name}' is published on every "
                    "interface: bind it to one address (host_ip: 127.0.0.1), or drop host and expose "
                    "the service through the proxy"
                )
                yield context.at("service", service.id, ["ports", index, "host"], message)
            elif has_proxy and not service.proxy and not port.reason:
                message = (
                    f"port '{port.name}' is published on every interface beside the reverse proxy: say "
                    "why in reason, bind it to one address (host_ip), or expose the service through the proxy"
                )
                yield context.at("service", service.id, ["ports", index, "host"], message)


def check_isolated_networks(context: Context) -> Iterator[Diagnostic]:
    networks = context.catalog.networks
    for service in sorted(context.catalog.services.values(), key=lambda s: s.id):
        joined = {a.network for a in service.networks if a.network in networks}
        # the pairs an isolation names, not every pair: a proxy may join hundreds of networks
        pairs = {
            tuple(sorted((n, other))) for n in joined for other in networks[n].isolate_from if other in joined
        }
        for first, second in sorted(pairs):
            owner, other = (first, second) if second in networks[first].isolate_from else (second, first)
            message = (
                f"service '{service.id}' joins both '{first}' and '{second}': network "
                f"'{owner}' is isolated from '{other}' (isolate_from)"
            )
            yield context.at("service", service.id, ["networks", second], message, key=True)


CHECKS = (check_one_proxy, check_exposed_services, check_published_on_the_lan, check_isolated_networks)
