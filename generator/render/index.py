"""catalog.json: the whole validated catalog, defaults applied, for machines (docs site, tools)."""

from __future__ import annotations

from typing import Any

from generator.artifact import Artifact
from generator.catalog.model import Catalog
from generator.plan import Plan
from generator.render.serialize import plain_data, to_json

INDEX_VERSION = 1


def build_index(catalog: Catalog) -> dict[str, Any]:
    services = {}
    for service in catalog.services.values():
        entry = plain_data(service)
        entry["accelerators"] = list(service.accelerators())
        entry["source"] = catalog.sources.get("service", {}).get(service.id)
        services[service.id] = entry
    stacks = {}
    for stack in catalog.stacks.values():
        entry = plain_data(stack)
        entry["accelerators"] = list(catalog.stack_accelerators(stack))
        stacks[stack.id] = entry
    datasets = {}
    for dataset in catalog.datasets.values():
        entry = plain_data(dataset)
        entry["full_name"] = dataset.full_name
        storage_class = catalog.storage_classes.get(dataset.storage_class)
        entry["properties"] = dict(storage_class.properties) if storage_class else {}
        datasets[dataset.id] = entry
    return {
        "index_version": INDEX_VERSION,
        "generated_by": "gen build",
        "publish": plain_data(catalog.publish),
        "networks": plain_data(catalog.networks),
        "pools": plain_data(catalog.pools),
        "storage_classes": plain_data(catalog.storage_classes),
        "datasets": datasets,
        "gpu_generations": plain_data(catalog.gpu_generations),
        "roles": plain_data(catalog.roles),
        "services": services,
        "stacks": stacks,
    }


def render(plan: Plan) -> list[Artifact]:
    catalog = plan.catalog
    return [Artifact("catalog.json", to_json(build_index(catalog)))]
