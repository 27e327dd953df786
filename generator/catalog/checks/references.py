"""Every id a file mentions must name an entity of the right kind."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.diagnostics import Diagnostic


def _unknown(context: Context, kind: str, entity: str) -> str:
    names = sorted(context.known.get(kind, ()))
    close = difflib.get_close_matches(entity, names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    listing = ", ".join(names) if names else "none defined"
    return f"unknown {kind} '{entity}'{hint}; known {kind}s: {listing}"


def check_service_references(context: Context) -> Iterator[Diagnostic]:
    catalog = context.catalog
    for service in catalog.services.values():
        for attachment in service.networks:
            parts: list[str | int] = ["networks", attachment.network]
            network = catalog.networks.get(attachment.network)
            if not context.exists("network", attachment.network):
                message = _unknown(context, "network", attachment.network)
                yield context.at("service", service.id, parts, message, key=True)
            elif network is not None and network.type != "bridge":
                message = (
                    f"network '{network.id}' is a LAN segment (type: lan); services join bridge "
                    "networks and publish ports to reach the LAN"
                )
                yield context.at("service", service.id, parts, message, key=True)
        for index, volume in enumerate(service.volumes):
            if volume.source_kind == "dataset" and not context.exists("dataset", volume.source):
                message = _unknown(context, "dataset", volume.source)
                yield context.at("service", service.id, ["volumes", index, "dataset"], message)
        for index, dependency in enumerate(service.depends_on):
            where: list[str | int] = ["depends_on", index, "service"]
            if dependency.service == service.id:
                yield context.at("service", service.id, where, "a service cannot depend on itself")
            elif not context.exists("service", dependency.service):
                yield context.at(
                    "service", service.id, where, _unknown(context, "service", dependency.service)
                )
        if service.metrics and service.port(service.metrics.port) is None:
            names = ", ".join(port.name for port in service.ports) or "none"
            message = f"unknown port '{service.metrics.port}'; this service's ports: {names}"
            yield context.at("service", service.id, ["metrics", "port"], message)


def check_stack_membership(context: Context) -> Iterator[Diagnostic]:
    """Stacks name existing services, and each service belongs to exactly one stack."""
    owner: dict[str, str] = {}
    for stack in sorted(context.catalog.stacks.values(), key=lambda s: s.id):
        for index, service_id in enumerate(stack.services):
            parts: list[str | int] = ["services", index]
            if not context.exists("service", service_id):
                yield context.at("stack", stack.id, parts, _unknown(context, "service", service_id))
            elif service_id in owner:
                message = (
                    f"service '{service_id}' is already in stack '{owner[service_id]}'; "
                    "a service belongs to one stack"
                )
                yield context.at("stack", stack.id, parts, message)
            else:
                owner[service_id] = stack.id
    all_stacks_valid = context.known.get("stack", frozenset()) == {
        s for k, s in context.documents if k == "stack"
    }
    for service in context.catalog.services.values():
        if service.id not in owner and all_stacks_valid and not service.standalone_template:
            message = (
                f"service '{service.id}' is in no stack; add it to a stack's 'services', "
                "or offer it alone with portainer.standalone"
            )
            yield context.at("service", service.id, ["id"], message)


def check_dependencies_share_stack(context: Context) -> Iterator[Diagnostic]:
    catalog = context.catalog
    for service in catalog.services.values():
        for index, dependency in enumerate(service.depends_on):
            mine, theirs = catalog.stack_of(service.id), catalog.stack_of(dependency.service)
            if mine and theirs and mine.id != theirs.id:
                message = (
                    f"'{dependency.service}' is in stack '{theirs.id}', not '{mine.id}'; "
                    "depends_on only works within one compose file"
                )
                yield context.at("service", service.id, ["depends_on", index, "service"], message)


def check_other_references(context: Context) -> Iterator[Diagnostic]:
    catalog = context.catalog
    for dataset in catalog.datasets.values():
        if not context.exists("pool", dataset.pool):
            yield context.at("dataset", dataset.id, ["pool"], _unknown(context, "pool", dataset.pool))
        if not context.exists("storage-class", dataset.storage_class):
            message = _unknown(context, "storage-class", dataset.storage_class)
            yield context.at("dataset", dataset.id, ["storage_class"], message)
    for role in catalog.roles.values():
        for index, stack_id in enumerate(role.portainer.stacks):
            if not context.exists("stack", stack_id):
                parts: list[str | int] = ["portainer", "stacks", index]
                yield context.at("role", role.id, parts, _unknown(context, "stack", stack_id))


CHECKS = (
    check_service_references,
    check_stack_membership,
    check_dependencies_share_stack,
    check_other_references,
)
