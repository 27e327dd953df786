"""The deployment plan: what the catalog deploys, worked out once, between the model and the files.

`plan(catalog)` is the entry point. A `Plan` holds the catalog with every derived default filled
in (a client's `model_servers` variables) and, per stack and variant, a `StackVariant`: its
services, the variables its env file sets, the generated files and who mounts them, and the
Compose and Swarm entry of each service, each built once (the Swarm entry from the Compose
one, with what Swarm cannot carry recorded). Renderers, the site, the host checks, `gen verify`
and `gen secrets` read it; none works the deployment out again from the model.

A plan is immutable. Its parts are computed when first asked for (a command about one stack
builds nothing of the others); the entries are plain data that readers must not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from generator.catalog.model import Accelerator, Catalog, Service, Stack
from generator.plan.compose.generated import GeneratedFile, generated_files
from generator.plan.compose.networks import top_level_networks
from generator.plan.compose.service import compose_entry, file_secrets
from generator.plan.compose.volumes import named_volumes
from generator.plan.model_servers import with_model_server_settings
from generator.plan.rules import START_INTERVAL, Variable, compose_path, stack_variables
from generator.plan.swarm import SwarmServices, swarm_path, swarm_services


@dataclass(frozen=True, eq=False)
class StackVariant:
    """One stack in one accelerator variant: one compose.yaml (and swarm.yaml where Swarm runs it)."""

    catalog: Catalog
    stack: Stack
    variant: Accelerator
    services: tuple[Service, ...]

    @property
    def compose_path(self) -> str:
        return compose_path(self.stack, self.variant)

    @property
    def folder(self) -> str:
        return self.compose_path.rsplit("/", 1)[0]

    @property
    def on_swarm(self) -> bool:
        return self.variant in self.catalog.swarm_accelerators(self.stack)

    @property
    def swarm_path(self) -> str:
        return swarm_path(self.stack, self.variant)

    @property
    def model_pullers(self) -> tuple[str, ...]:
        """The services that pull the models at every deploy (healthy once the downloads are done)."""
        return tuple(s.id for s in self.services if s.pulls_models)

    @cached_property
    def variables(self) -> tuple[Variable, ...]:
        """Every variable the stack variant's env file sets, in order, each once."""
        return tuple(stack_variables(self.catalog, self.services))

    @cached_property
    def generated(self) -> tuple[GeneratedFile, ...]:
        """The files the build generates for this variant, by name, with the services mounting each."""
        return generated_files(self.services)

    @cached_property
    def compose_services(self) -> Mapping[str, Mapping[str, Any]]:
        """Each service's entry in compose.yaml, by service id, in the stack's order."""
        return {s.id: compose_entry(self.catalog, self.stack, s, self.variant) for s in self.services}

    @cached_property
    def compose_networks(self) -> Mapping[str, Any]:
        return top_level_networks(self.catalog, self.services)

    @cached_property
    def compose_volumes(self) -> Mapping[str, Any]:
        return named_volumes(self.services)

    @cached_property
    def compose_secrets(self) -> Mapping[str, Any]:
        return file_secrets(self.services)

    @cached_property
    def start_interval_overrides(self) -> Mapping[str, Any]:
        """The services whose healthcheck gets START_INTERVAL while starting, on engines that
        have it (compose.start-interval.yaml, which gen up adds there)."""
        return {
            s.id: {"healthcheck": {"start_interval": START_INTERVAL}}
            for s in self.services
            if s.healthcheck and not s.healthcheck.start_interval
        }

    @cached_property
    def swarm(self) -> SwarmServices:
        """The services as swarm.yaml has them, made from their Compose entries."""
        return swarm_services(self.catalog, self.stack, self.variant, self.services, self.compose_services)


@dataclass(frozen=True, eq=False)
class Plan:
    catalog: Catalog  # with the derived defaults filled in: read this one, not the loaded one
    variants: tuple[StackVariant, ...]  # stacks in id order, each in its variants' order

    def of_stack(self, stack: Stack) -> tuple[StackVariant, ...]:
        return tuple(v for v in self.variants if v.stack.id == stack.id)

    def find(self, stack: Stack, variant: str) -> StackVariant | None:
        """The stack's variant of that name; None when the stack has no such variant."""
        return next((v for v in self.variants if v.stack.id == stack.id and v.variant == variant), None)

    def variant(self, stack: Stack, variant: Accelerator) -> StackVariant:
        found = self.find(stack, variant)
        if found is None:
            raise KeyError(f"stack {stack.id} has no {variant} variant")
        return found

    def stack_variables(self, stack: Stack) -> tuple[Variable, ...]:
        """Every variable any variant of the stack reads: what one env file per stack must set."""
        services = {s.id: s for v in self.of_stack(stack) for s in v.services}
        return tuple(stack_variables(self.catalog, services.values()))

    def on_swarm(self) -> tuple[StackVariant, ...]:
        return tuple(v for v in self.variants if v.on_swarm)

    def chosen_stacks(self, stack_ids: Iterable[str]) -> list[Stack]:
        """The stacks named (every stack, in id order, when none is); an unknown name is a usage error."""
        from generator.errors import UsageError

        wanted = list(stack_ids)
        unknown = [s for s in wanted if s not in self.catalog.stacks]
        if unknown:
            named = ", ".join(f"'{s}'" for s in unknown)
            raise UsageError(f"unknown stack {named}; stacks: {', '.join(sorted(self.catalog.stacks))}")
        return [self.catalog.stacks[s] for s in wanted or sorted(self.catalog.stacks)]


def stack_order(catalog: Catalog, stacks: Iterable[Stack]) -> list[Stack]:
    """The stacks in the order they start: the one holding the reverse proxy after the others
    (its upstreams are then there to answer its health checks), otherwise by id."""
    return sorted(stacks, key=lambda s: (any(catalog.services[i].proxy for i in s.services), s.id))


def plan(catalog: Catalog) -> Plan:
    """The deployment plan of a valid catalog."""
    resolved = with_model_server_settings(catalog)
    variants = []
    for stack_id in sorted(resolved.stacks):
        stack = resolved.stacks[stack_id]
        for variant in resolved.stack_accelerators(stack):
            services = tuple(s for s in resolved.stack_services(stack) if s.in_variant(variant))
            variants.append(StackVariant(resolved, stack, variant, services))
    return Plan(resolved, tuple(variants))
