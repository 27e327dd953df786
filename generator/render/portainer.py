"""Portainer App Templates: templates.json (version 3, Portainer 2.20+) and templates-v2.json
(version 2, Portainer 2.0-2.19), following Portainer's own template reader.

Stack variants become type 3 templates pointing at the committed compose files in the public
repository; services marked standalone become type 1 (container) templates. Every build checks
its output against schemas/portainer-templates-v*.schema.json and for unique ids.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from generator.artifact import Artifact
from generator.catalog.model import Catalog, Service, Volume
from generator.catalog.schema import compiled_schema, passes, schema_validator
from generator.plan import Plan, StackVariant
from generator.plan.rules import Variable, dataset_path, env_variables
from generator.render.serialize import to_json

VARIANT_TITLES = {"cpu": "CPU", "nvidia": "NVIDIA GPU", "amd": "AMD GPU"}
VARIANT_NOTES = {
    "cpu": "Runs on the CPU, for hosts without a usable GPU (the GPU bootstrap script tells which fits).",
    "nvidia": "Needs an NVIDIA GPU with the NVIDIA Container Toolkit: run the GPU bootstrap script first.",
    "amd": "Needs an AMD GPU with ROCm (/dev/kfd and /dev/dri): run the GPU bootstrap script first.",
}


def template_env(variables: Sequence[Variable]) -> list[dict[str, Any]]:
    """Form fields: secrets without a default (the user types them), selects with one default,
    others with their non-empty default. Variables whose default is empty are optional in the
    compose file and left out, because Portainer requires a value for every field."""
    entries = []
    for variable in variables:
        entry: dict[str, Any] = {"name": variable.name}
        if variable.label:
            entry["label"] = variable.label
        if variable.description:
            entry["description"] = variable.description
        if variable.options:
            entry["select"] = [
                {"text": option, "value": option, "default": option == variable.default}
                for option in variable.options
            ]
        elif variable.default is not None:  # secrets and required variables: the user types them
            if not variable.default:
                continue
            entry["default"] = variable.default
            if variable.preset:
                entry["preset"] = True
        entries.append(entry)
    return entries


def _common(title: str, description: str, categories: tuple[str, ...], logo: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": title, "description": description}
    if categories:
        fields["categories"] = list(categories)
    fields["platform"] = "linux"
    if logo:
        fields["logo"] = logo
    return fields


def stack_template(deployment: StackVariant, swarm: bool = False) -> dict[str, Any]:
    """Type 3 (Compose stack) or, with swarm, type 2 (Swarm stack) template of a stack variant."""
    catalog, stack, variant = deployment.catalog, deployment.stack, deployment.variant
    assert catalog.publish is not None
    several = len(catalog.stack_accelerators(stack)) > 1
    title = f"{stack.title} ({VARIANT_TITLES[variant]})" if several else stack.title
    if swarm:
        title += " on Swarm"
    template: dict[str, Any] = {
        "id": (stack.swarm_template_ids if swarm else stack.template_ids)[variant],
        "type": 2 if swarm else 3,
    }
    template.update(_common(title, stack.description, stack.categories, stack.logo))
    notes = [stack.note] if stack.note else []
    if several:
        notes.append(VARIANT_NOTES[variant])
    if swarm:
        notes.append(
            "Deploys on a Docker Swarm: label the nodes first (ai-stack.pool.<pool>=true where the "
            "datasets are, ai-stack.gpu=nvidia on GPU nodes); see the docs site's Swarm page."
        )
    if notes:
        template["note"] = " ".join(notes)
    template["name"] = stack.id
    path = deployment.swarm_path if swarm else deployment.compose_path
    stackfile = f"{catalog.publish.artifacts_path}/{path}"
    template["repository"] = {"url": catalog.publish.repository_url, "stackfile": stackfile}
    env = template_env(deployment.variables)
    if env:
        template["env"] = env
    return template


def container_template(catalog: Catalog, service: Service) -> dict[str, Any]:
    assert service.template_id is not None
    template: dict[str, Any] = {"id": service.template_id, "type": 1}
    template.update(_common(service.title, service.description, service.categories, service.logo))
    stack = catalog.stack_of(service.id)
    notes = [service.portainer_note] if service.portainer_note else []
    if stack:
        missing = "CPU/memory limits, healthcheck and static IP"
        missing = f"GPU, {missing}" if service.gpu else missing
        notes.append(
            f"Alone, the container runs without the {missing} the '{stack.title}' stack template gives it."
        )
    # A template port cannot name a host address, and one without a host port is published on a
    # random port of every interface: only ports the catalog publishes on every interface are listed.
    ports = [f"{p.host}:{p.container}/{p.protocol}" for p in service.ports if p.on_every_interface]
    kept_in = [f"{p.container}/{p.protocol}" for p in service.ports if not p.on_every_interface]
    if kept_in:
        them = "it" if len(kept_in) == 1 else "them"
        notes.append(
            f"Not published on the host: {', '.join(kept_in)} (the catalog keeps {them} off the LAN; "
            f"other containers on its network reach {them})."
        )
    for volume in service.volumes:
        if volume.propagation:  # a template's volume has no such field
            notes.append(
                f"Its bind of {volume.source} is made without {volume.propagation} propagation: what the "
                "host mounts there after the container started stays hidden from it until it restarts."
            )
    if notes:
        template["note"] = " ".join(notes)
    template["name"] = service.id
    template["image"] = service.image
    if service.command:
        template["command"] = shlex.join(service.command)
    if ports:
        template["ports"] = ports
    volumes = []
    for volume in service.volumes:
        mount: dict[str, Any] = {"container": volume.target}
        if volume.source_kind != "volume":  # no bind: Portainer creates a named volume
            mount["bind"] = host_path(catalog, volume)
        if volume.read_only:
            mount["readonly"] = True
        volumes.append(mount)
    if volumes:
        template["volumes"] = volumes
    env = template_env(env_variables(service))  # the container's own variables
    if env:
        template["env"] = env
    template["restart_policy"] = service.restart
    if service.security.privileged:
        template["privileged"] = True
    if service.interactive:
        template["interactive"] = True
    return template


def host_path(catalog: Catalog, volume: Volume) -> str:
    """The host side of a mount, as a plain path (container templates have no variables)."""
    return dataset_path(catalog, volume) if volume.source_kind == "dataset" else volume.source


def build_templates(plan: Plan, version: str) -> dict[str, Any]:
    catalog = plan.catalog
    templates = [stack_template(deployment) for deployment in plan.variants]
    templates += [
        stack_template(deployment, swarm=True)
        for deployment in plan.variants
        if deployment.variant in deployment.stack.swarm_template_ids
    ]
    templates += [
        container_template(catalog, service)
        for service in sorted(catalog.services.values(), key=lambda s: s.id)
        if service.standalone_template
    ]
    templates.sort(key=lambda t: int(t["id"]))
    document = {"version": "3", "templates": templates}
    return as_version_2(document) if version == "2" else document


def as_version_2(document: dict[str, Any]) -> dict[str, Any]:
    """The same templates for Portainer 2.0-2.19: format "2" has no ids."""
    templates = [{k: v for k, v in t.items() if k != "id"} for t in document["templates"]]
    return {"version": "2", "templates": templates}


def check_output(document: dict[str, Any], schema_file: str) -> None:
    """Our own output must satisfy the strict schema: a failure here is a bug in gen."""
    ids = [t["id"] for t in document["templates"] if "id" in t]
    if passes(compiled_schema(schema_file), document) and len(ids) == len(set(ids)):
        return
    errors = sorted(schema_validator(schema_file).iter_errors(document), key=lambda e: list(e.path))
    if errors or len(ids) != len(set(ids)):
        details = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5]) or f"duplicate ids in {ids}"
        raise AssertionError(f"generated templates violate {schema_file}: {details}")


def render(plan: Plan) -> list[Artifact]:
    current = build_templates(plan, "3")
    check_output(current, "portainer-templates-v3.schema.json")  # v2 is the same minus the ids
    return [
        Artifact("templates.json", to_json(current)),
        Artifact("templates-v2.json", to_json(as_version_2(current))),
    ]
