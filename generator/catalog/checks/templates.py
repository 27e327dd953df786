"""Portainer template ids: one per stack variant and standalone service, unique, never reused."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.catalog.model import Stack
from generator.diagnostics import Diagnostic


def _next_free(context: Context) -> int:
    used = [i for s in context.catalog.stacks.values() for i in s.template_ids.values()]
    used += [i for s in context.catalog.stacks.values() for i in s.swarm_template_ids.values()]
    used += [s.template_id for s in context.catalog.services.values() if s.template_id]
    return max(used, default=0) + 1


def check_unique_template_ids(context: Context) -> Iterator[Diagnostic]:
    places: list[tuple[int, str, str, tuple[str, ...]]] = []
    for stack in sorted(context.catalog.stacks.values(), key=lambda s: s.id):
        for variant, template_id in stack.template_ids.items():
            places.append((template_id, "stack", stack.id, ("template_ids", variant)))
        for variant, template_id in stack.swarm_template_ids.items():
            places.append((template_id, "stack", stack.id, ("swarm_template_ids", variant)))
    for service in sorted(context.catalog.services.values(), key=lambda s: s.id):
        if service.template_id is not None:
            places.append((service.template_id, "service", service.id, ("portainer", "template_id")))
    first: dict[int, tuple[str, str, tuple[str, ...]]] = {}
    for template_id, kind, entity, parts in places:
        owner = first.setdefault(template_id, (kind, entity, parts))
        if owner != (kind, entity, parts):
            where = f"{owner[0]} '{owner[1]}' ({'.'.join(owner[2])})"
            free = _next_free(context)
            message = f"template id {template_id} is already used by {where}; the next free id is {free}"
            yield context.at(kind, entity, list(parts), message)


def check_stack_variant_ids(context: Context) -> Iterator[Diagnostic]:
    catalog = context.catalog
    for stack in catalog.stacks.values():
        if not all(s in catalog.services for s in stack.services):
            continue  # an unknown service is reported by itself
        yield from _variant_ids(context, stack, "template_ids", "", catalog.stack_accelerators(stack))
        if stack.swarm_template_ids:
            swarm = catalog.swarm_accelerators(stack)
            yield from _variant_ids(context, stack, "swarm_template_ids", "Swarm ", swarm)


def _variant_ids(
    context: Context, stack: Stack, field: str, kind: str, variants: tuple[str, ...]
) -> Iterator[Diagnostic]:
    """One id in `field` for each variant, and none for a variant the stack does not have."""
    ids = getattr(stack, field)
    for variant in variants:
        if variant not in ids:
            message = (
                f"the stack has the {variant} {kind}variant but no {field}.{variant}; "
                f"the next free id is {_next_free(context)}"
            )
            yield context.at("stack", stack.id, [field], message)
    for name in ids:
        if name not in variants:
            message = f"the stack has no {name} {kind}variant (its {kind}variants: {', '.join(variants)})"
            yield context.at("stack", stack.id, [field, name], message, key=True)


def check_standalone_templates(context: Context) -> Iterator[Diagnostic]:
    for service in context.catalog.services.values():
        if service.template_id is not None and not service.standalone_template:
            message = "template_id is only used with standalone: true"
            yield context.at("service", service.id, ["portainer", "template_id"], message)
        if not service.standalone_template:
            continue
        unrepresentable = [
            ("entrypoint", "an entrypoint", bool(service.entrypoint)),
            ("devices", "host devices", bool(service.devices)),
            ("gpu", "a GPU-only service", bool(service.gpu and not service.gpu.cpu_fallback)),
        ]
        for field, what, present in unrepresentable:
            if present:
                message = f"a container template cannot carry {what}; set portainer.standalone: false"
                yield context.at("service", service.id, [field], message, key=True)
        for index, volume in enumerate(service.volumes):
            if volume.source_kind == "generated":
                message = (
                    "a container template cannot carry a generated file; "
                    "set portainer.standalone: false (the stack template has it)"
                )
                yield context.at("service", service.id, ["volumes", index, "generated"], message)


CHECKS = (check_unique_template_ids, check_stack_variant_ids, check_standalone_templates)
