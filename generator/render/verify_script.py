"""scripts/verify-baselines.sh: `gen verify`'s measurements for hosts without Python."""

from __future__ import annotations

from generator.artifact import Artifact
from generator.plan import Plan
from generator.plan.facts import BASELINES, first_bridge_network, first_dataset, gpu_test_image, ollama_url
from generator.render.text import render_text

SCRIPT = "scripts/verify-baselines.sh"


def render(plan: Plan) -> list[Artifact]:
    catalog = plan.catalog
    if not catalog.stacks:
        return []
    stacks = []
    for stack_id in sorted(catalog.stacks):
        stack = catalog.stacks[stack_id]
        network = first_bridge_network(catalog, stack)
        dataset = first_dataset(catalog, stack)
        stacks.append(
            {
                "id": stack.id,
                "variants": " ".join(catalog.stack_accelerators(stack)),
                "network": network.name if network else "",
                "subnet": network.subnet if network else "",
                "gateway": (network.gateway or "") if network else "",
                "internal": str(bool(network and network.internal)).lower(),
                "dataset": dataset.id if dataset else "",
                "ollama_url": ollama_url(catalog, stack),
            }
        )
    datasets = [
        {
            "id": d.id,
            "pool": d.pool,
            "properties": " ".join(
                f"{k}={v}" for k, v in sorted(catalog.storage_classes[d.storage_class].properties.items())
            ),
        }
        for d in sorted(catalog.datasets.values(), key=lambda d: d.id)
    ]
    script = render_text(
        "verify-baselines.sh.j2",
        stacks=stacks,
        datasets=datasets,
        baselines=[{"id": k, "target": f"{v[1]:g}", "title": v[0]} for k, v in BASELINES.items()],
        default_stack="ai" if "ai" in catalog.stacks else sorted(catalog.stacks)[0],
        gpu_image=gpu_test_image(catalog) or "",
    )
    return [Artifact(SCRIPT, script.encode("utf-8"), 0o755)]
