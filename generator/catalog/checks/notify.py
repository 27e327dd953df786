"""Alert notifications (alerts.yaml `notify`): the receivers and routes name what exists, and the
Alertmanager that sends them is in the catalog, with the secrets' variables."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.catalog.model import Service
from generator.diagnostics import Diagnostic

ALERTMANAGER_CONFIG = "alertmanager.yml"  # the generated file the Alertmanager service mounts


def alertmanagers(services: list[Service]) -> list[Service]:
    """The services that mount the generated Alertmanager configuration."""
    return [
        s
        for s in services
        if any(v.source_kind == "generated" and v.source == ALERTMANAGER_CONFIG for v in s.volumes)
    ]


def check_notify(context: Context) -> Iterator[Diagnostic]:
    catalog = context.catalog
    notify = catalog.alerts.notify
    senders = alertmanagers(sorted(catalog.services.values(), key=lambda s: s.id))
    if notify is None:
        for service in senders:
            index = next(i for i, v in enumerate(service.volumes) if v.source == ALERTMANAGER_CONFIG)
            message = (
                f"{ALERTMANAGER_CONFIG} is made from alerts.yaml's 'notify' (its receivers and routes), "
                "which the catalog does not have; add it"
            )
            yield context.at("service", service.id, ["volumes", index, "generated"], message)
        return
    if not context.valid("alerts", "alerts"):
        return
    if not senders:
        message = (
            f"no service sends these notifications: add an Alertmanager service that mounts the "
            f"generated {ALERTMANAGER_CONFIG}"
        )
        yield context.at("alerts", "alerts", ["notify"], message, key=True)
    ids = [r.id for r in notify.receivers]
    for index, receiver in enumerate(notify.receivers):
        if receiver.id in ids[:index]:
            yield context.at(
                "alerts",
                "alerts",
                ["notify", "receivers", index, "id"],
                f"receiver '{receiver.id}' is defined twice",
            )
        for variable in receiver.secret_variables():
            yield from _secret_variable(
                context, senders, ["notify", "receivers", index], receiver.kind, variable
            )
    known = ", ".join(ids)
    if notify.default_receiver not in ids:
        message = f"unknown receiver '{notify.default_receiver}'; receivers: {known}"
        yield context.at("alerts", "alerts", ["notify", "default_receiver"], message)
    for index, route in enumerate(notify.routes):
        if route.receiver not in ids:
            message = f"unknown receiver '{route.receiver}'; receivers: {known}"
            yield context.at("alerts", "alerts", ["notify", "routes", index, "receiver"], message)
        for position, stack in enumerate(route.stacks):
            if stack not in catalog.stacks:
                message = f"unknown stack '{stack}'; stacks: {', '.join(sorted(catalog.stacks))}"
                yield context.at("alerts", "alerts", ["notify", "routes", index, "stacks", position], message)


def _secret_variable(
    context: Context, senders: list[Service], parts: list[str | int], kind: str, variable: str
) -> Iterator[Diagnostic]:
    """A secret reaches Alertmanager as a variable of its service, set in the stack's env file."""
    field = "password_variable" if kind == "email" else "token_variable"
    for sender in senders:
        env = next((e for e in sender.env if e.name == variable), None)
        if env is None:
            message = (
                f"'{variable}' is no variable of the Alertmanager service '{sender.id}': add it to its "
                "env as a required variable (the operator sets it in the stack's env file)"
            )
            yield context.at("alerts", "alerts", [*parts, kind, field], message)
        elif env.value:
            message = (
                f"'{variable}' has a value in services/{sender.id}.yaml, which the docs site and "
                "templates.json publish; make it a required variable"
            )
            yield context.at("alerts", "alerts", [*parts, kind, field], message)


CHECKS = (check_notify,)
