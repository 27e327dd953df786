"""What `gen verify` and its script need to know: the baselines' targets and, per stack, its first
bridge network and dataset and Ollama's URL."""

from __future__ import annotations

from generator.catalog.model import Catalog, Dataset, Network, Stack

# The deployment report's targets, in seconds.
BASELINES: dict[str, tuple[str, float]] = {
    "container_start": ("Stack start to all healthy", 30.0),
    "network_attach": ("Attaching a container to the AI network", 1.0),
    "zfs_dataset": ("Creating a ZFS dataset with the catalog's tuning", 5.0),
    "gpu_init": ("GPU initialisation (driver query and a GPU container)", 10.0),
    "model_load": ("Loading a model in Ollama", 300.0),
}


def gpu_test_image(catalog: Catalog) -> str | None:
    """The image the GPU checks run `nvidia-smi` in: the nvidia image of the catalog's first service
    that computes on an NVIDIA GPU (not an exporter that only watches them). Ollama's asks the
    runtime for the utility capability, which brings nvidia-smi; it is pinned like the stack
    itself, unlike a CUDA tag NVIDIA deletes at end of life."""
    for service in sorted(catalog.services.values(), key=lambda s: s.id):
        if service.gpu and service.gpu.nvidia and not service.gpu.nvidia.shared:
            return service.image_for("nvidia")
    return None


def first_bridge_network(catalog: Catalog, stack: Stack) -> Network | None:
    for service in catalog.stack_services(stack):
        for attachment in service.networks:
            network = catalog.networks[attachment.network]
            if network.type == "bridge":
                return network
    return None


def first_dataset(catalog: Catalog, stack: Stack) -> Dataset | None:
    for service in catalog.stack_services(stack):
        for volume in service.volumes:
            if volume.source_kind == "dataset":
                return catalog.datasets[volume.source]
    return None


def ollama_url(catalog: Catalog, stack: Stack) -> str:
    """Ollama's API on this host: the published api port of the stack's server that speaks
    Ollama's API (model_api: ollama), if any."""
    for service in catalog.stack_services(stack):
        port = service.port("api")
        if service.model_api == "ollama" and port is not None and port.host:
            return f"http://{'127.0.0.1' if port.on_every_interface else port.host_ip}:{port.host}"
    return "http://127.0.0.1:11434"
