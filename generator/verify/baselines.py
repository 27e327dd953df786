"""The report's performance baselines, each measured on the current host several times.

Every measurement either gives run times (passed or failed against its target), or says why it
was skipped or could not be done: nothing unmeasured is ever reported as passed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from generator.catalog.model import Accelerator, Catalog, Dataset, Network, Stack
from generator.plan import StackVariant
from generator.plan.facts import BASELINES, first_bridge_network
from generator.plan.rules import LABEL_PREFIX

NOTES = {
    "zfs_dataset": "created with mountpoint=none, so the time leaves out mounting, and the scratch "
    "dataset can be destroyed at once (a fresh mount can stay busy)",
}


@dataclass
class Measurement:
    id: str
    title: str
    target_s: float
    status: str  # passed, failed or skipped
    runs_s: list[float] = field(default_factory=list)
    reason: str = ""  # why skipped or failed; a note otherwise

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.runs_s) if self.runs_s else None


@dataclass
class ModelSpeed:
    """What Ollama itself says of --model, per run: how long it took to load (load_duration of
    the loading answer) and how fast it then generates (eval_count / eval_duration)."""

    model: str
    load_s: list[float] = field(default_factory=list)
    tokens_per_second: list[float] = field(default_factory=list)

    @property
    def median_load_s(self) -> float | None:
        return statistics.median(self.load_s) if self.load_s else None

    @property
    def median_tokens_per_second(self) -> float | None:
        return statistics.median(self.tokens_per_second) if self.tokens_per_second else None


# A short generation after each load: how fast the model writes (Ollama stops at num_predict).
SPEED_PROMPT = "Count from one to twenty in words, separated by commas."
SPEED_TOKENS = 64


@dataclass
class Options:
    deployment: StackVariant  # the stack variant measured
    runs: int
    compose: list[str]  # the Compose command, e.g. ["docker", "compose"]
    env_file: Path | None
    compose_file: Path  # the stack variant's generated compose.yaml
    probe_image: str
    gpu_image: str | None  # None: the catalog has no NVIDIA GPU service
    dataset: Dataset | None
    zfs_pool: str | None
    model: str | None
    ollama_url: str
    targets: dict[str, float]
    docker: Callable[[], Any]  # connects to the engine on first use
    model_speed: ModelSpeed | None = None  # filled in by model_load, from Ollama's own figures

    @property
    def catalog(self) -> Catalog:
        return self.deployment.catalog

    @property
    def stack(self) -> Stack:
        return self.deployment.stack

    @property
    def variant(self) -> Accelerator:
        return self.deployment.variant


class Skip(Exception):
    """The baseline cannot be measured here; the message says why."""


class Failed(Exception):
    """The measurement itself went wrong (e.g. the stack never became healthy)."""


def measure_all(options: Options, only: set[str] | None = None) -> list[Measurement]:
    measures: dict[str, Callable[[Options], list[float]]] = {
        "container_start": container_start,
        "network_attach": network_attach,
        "zfs_dataset": zfs_dataset,
        "gpu_init": gpu_init,
        "model_load": model_load,
    }
    results = []
    for baseline_id, measure in measures.items():
        title, default_target = BASELINES[baseline_id]
        target = options.targets.get(baseline_id, default_target)
        result = Measurement(baseline_id, title, target, "skipped")
        if only is not None and baseline_id not in only:
            result.reason = "not asked for (--only)"
        else:
            try:
                result.runs_s = measure(options)
                result.status = "passed" if (result.median_s or 0.0) < target else "failed"
                result.reason = NOTES.get(baseline_id, "")
            except Skip as skipped:
                result.reason = str(skipped)
            except Failed as failed:
                result.status, result.reason = "failed", str(failed)
        results.append(result)
    return results


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _run(command: list[str], timeout: float = 600, env: dict[str, str] | None = None) -> str:
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise Failed(f"`{' '.join(command)}` took longer than {timeout:.0f} s") from error
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise Failed(f"`{' '.join(command)}` failed: {' '.join(detail)}")
    return result.stdout


# --- stack start -----------------------------------------------------------------------------


def container_start(options: Options) -> list[float]:
    """`compose up --wait` of the stack variant until every service is healthy, then `down`."""
    if options.env_file is None:
        stack = options.stack.id
        raise Skip(f"no env file for stack '{stack}': run `gen secrets {stack}` or pass --env-file")
    client = _engine(options)
    running = client.containers.list(filters={"label": f"{LABEL_PREFIX}.stack={options.stack.id}"})
    if running:
        raise Skip(
            f"stack '{options.stack.id}' is running here ({len(running)} containers): its ports and "
            "addresses are taken; stop it to measure its start"
        )
    missing = sorted(
        {
            s.image_for(options.variant)
            for s in options.deployment.services
            if not _has_image(client, s.image_for(options.variant))
        }
    )
    if missing:
        raise Skip(f"images not on this host (pull them first): {', '.join(missing)}")
    project = f"gen-verify-{options.stack.id}"
    base = [
        *options.compose,
        "--env-file",
        str(options.env_file),
        "-p",
        project,
        "-f",
        str(options.compose_file),
    ]
    runs = []
    for _ in range(options.runs):
        try:
            runs.append(_timed(lambda: _run([*base, "up", "-d", "--wait", "--quiet-pull"], timeout=900)))
        finally:
            # not --volumes: named volumes carry fixed names, so they may be the real stack's data
            subprocess.run(
                [*base, "down", "--remove-orphans"],
                capture_output=True,
                timeout=300,
                check=False,
            )
    return runs


# --- network ---------------------------------------------------------------------------------


def network_attach(options: Options) -> list[float]:
    """`docker network connect` of a running probe container to the stack's first network,
    with a static address, as Compose does for each service."""
    network = _first_network(options)
    client = _engine(options)
    if not _has_image(client, options.probe_image):
        image = options.probe_image
        raise Skip(f"probe image {image} is not on this host: docker pull {image}, or pass --probe-image")
    created, docker_network = _network(client, network)
    probe = None
    try:
        # Started on the network (a container needs one to start), then detached from it: the
        # timed step is what Compose does per service, connecting with a static address.
        probe = client.containers.run(
            options.probe_image,
            ["sleep", "600"],
            detach=True,
            network=network.name,
            labels={"ai-stack.verify": "probe"},
            name=f"gen-verify-probe-{os.getpid()}",
        )
        docker_network.disconnect(probe, force=True)
        address = str(_free_address(network, docker_network))
        runs = []
        for _ in range(options.runs):
            runs.append(_timed(lambda: docker_network.connect(probe, ipv4_address=address)))
            docker_network.disconnect(probe, force=True)
        return runs
    finally:
        if probe is not None:
            probe.remove(force=True)
        if created:
            docker_network.remove()


def _first_network(options: Options) -> Network:
    network = first_bridge_network(options.catalog, options.stack)
    if network is None:
        raise Skip(f"stack '{options.stack.id}' has no bridge network")
    return network


def _network(client: Any, network: Network) -> tuple[bool, Any]:
    """The engine's network for `network`; created (and so to be removed) when absent."""
    import docker

    try:
        return False, client.networks.get(network.name)
    except docker.errors.NotFound:
        pool = docker.types.IPAMPool(
            subnet=str(network.subnet), gateway=str(network.gateway) if network.gateway else None
        )
        try:
            created = client.networks.create(
                network.name,
                driver="bridge",
                ipam=docker.types.IPAMConfig(pool_configs=[pool]),
                internal=network.internal,
                labels={"ai-stack.verify": "scratch"},
            )
        except docker.errors.APIError as error:
            raise Failed(
                f"cannot create network {network.name} ({network.subnet}): {error.explanation}"
            ) from error
        return True, created


def _free_address(network: Network, docker_network: Any) -> ipaddress.IPv4Address:
    """The highest address of the subnet that no catalog service and no container uses."""
    docker_network.reload()
    taken = {network.gateway}
    for container in (docker_network.attrs.get("Containers") or {}).values():
        taken.add(ipaddress.IPv4Interface(container["IPv4Address"]).ip)
    for host in reversed(list(network.subnet.hosts())):
        if host not in taken:
            return host
    raise Failed(f"no free address in {network.subnet}")


# --- ZFS -------------------------------------------------------------------------------------


def zfs_dataset(options: Options) -> list[float]:
    """`zfs create` of a scratch dataset with the storage class's properties, then destroy it."""
    if shutil.which("zfs") is None:
        raise Skip("no ZFS on this host (the zfs command is not installed)")
    dataset = options.dataset
    if dataset is None:
        raise Skip(f"stack '{options.stack.id}' uses no dataset; pass --dataset")
    pool = options.zfs_pool or dataset.pool
    if subprocess.run(["zfs", "list", "-H", "-o", "name", pool], capture_output=True, check=False).returncode:
        raise Skip(f"pool '{pool}' does not exist on this host (pass --zfs-pool)")
    properties = options.catalog.storage_classes[dataset.storage_class].properties
    tuning = {**properties, "mountpoint": "none"}
    flags = [arg for key, value in sorted(tuning.items()) for arg in ("-o", f"{key}={value}")]
    runs = []
    for number in range(options.runs):
        scratch = f"{pool}/gen-verify-{os.getpid()}-{number}"
        try:
            runs.append(_timed(partial(_run, ["zfs", "create", *flags, scratch], timeout=120)))
        finally:
            _destroy(scratch)
    return runs


def _destroy(dataset: str) -> None:
    """Destroy the scratch dataset; a fresh mount can be busy for a moment (zfs-fuse)."""
    for attempt in range(20):
        result = subprocess.run(
            ["zfs", "destroy", "-f", dataset], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 or "does not exist" in result.stderr:
            return
        time.sleep(0.25 * (attempt + 1))
    raise Failed(
        f"could not destroy the scratch dataset {dataset}: {result.stderr.strip()}; destroy it by hand"
    )


# --- GPU -------------------------------------------------------------------------------------


def gpu_init(options: Options) -> list[float]:
    """`nvidia-smi` on the host plus a container of the stack's GPU image that runs it with the
    GPUs reserved."""
    if options.variant == "amd":
        raise Skip("the amd variant: only NVIDIA initialisation is measured (no ROCm probe yet)")
    if shutil.which("nvidia-smi") is None:
        raise Skip("no NVIDIA driver on this host (nvidia-smi not found)")
    client = _engine(options)
    if options.gpu_image is None:
        raise Skip("no service of the catalog uses an NVIDIA GPU (give one with --gpu-image)")
    image = options.gpu_image
    if not _has_image(client, image):
        raise Skip(f"GPU image {image} is not on this host: docker pull {image}")
    import docker

    request = docker.types.DeviceRequest(driver="nvidia", count=-1, capabilities=[["gpu"]])
    runs = []
    for _ in range(options.runs):

        def once() -> None:
            _run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"], timeout=60)
            try:
                client.containers.run(
                    image, ["-L"], entrypoint=["nvidia-smi"], remove=True, device_requests=[request]
                )
            except docker.errors.APIError as error:
                raise Failed(f"the GPU container did not start: {error.explanation}") from error

        runs.append(_timed(once))
    return runs


# --- Ollama ----------------------------------------------------------------------------------


def model_load(options: Options) -> list[float]:
    """Unload the model, then time Ollama's /api/generate with an empty prompt (a pure load);
    after each load, a short generation for its speed (Options.model_speed)."""
    if not options.model:
        raise Skip("no model named: pass --model (e.g. llama3.1:70b) to time its load")
    model = options.model
    url = options.ollama_url.rstrip("/") + "/api/generate"
    speed = options.model_speed = ModelSpeed(model)
    runs = []
    for _ in range(options.runs):
        _ollama(url, {"model": model, "keep_alive": 0})
        started = time.perf_counter()
        loaded = _ollama(url, {"model": model, "prompt": "", "stream": False})
        runs.append(time.perf_counter() - started)
        if isinstance(loaded.get("load_duration"), int):  # nanoseconds, as Ollama documents it
            speed.load_s.append(loaded["load_duration"] / 1e9)
        generated = _ollama(
            url,
            {
                "model": model,
                "prompt": SPEED_PROMPT,
                "stream": False,
                "options": {"num_predict": SPEED_TOKENS},
            },
        )
        count, duration = generated.get("eval_count"), generated.get("eval_duration")
        if isinstance(count, int) and isinstance(duration, int) and count > 0 and duration > 0:
            speed.tokens_per_second.append(count / (duration / 1e9))
    _ollama(url, {"model": model, "keep_alive": 0})
    return runs


def _ollama(url: str, body: dict[str, Any]) -> dict[str, Any]:
    import urllib.error  # only when a model load is measured: gen build imports this module
    import urllib.request

    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=900) as response:
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise Failed(
            f"Ollama answered {error.code}: {error.read().decode(errors='replace')[:200]}"
        ) from error
    except (urllib.error.URLError, OSError) as error:
        raise Skip(f"the Ollama API is not reachable at {url}: {error}") from error
    return answer


# --- shared ----------------------------------------------------------------------------------


def _engine(options: Options) -> Any:
    try:
        return options.docker()
    except Exception as error:
        raise Skip(f"no Docker Engine reachable: {error}") from error


def _has_image(client: Any, image: str) -> bool:
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    return True
