"""`gen up` and `gen down`: from a built catalog to running stacks on the engine DOCKER_HOST names.

`gen up` composes what the other commands do, in the order a first deploy needs: the variant
(--variant, else the GPU script's verdict, else cpu), `gen doctor`'s checks (the first failure
stops it), the datasets (the generated ZFS script, or plain folders when asked), `gen secrets`
(missing secrets only), each stack with `docker compose up --wait` (the stack holding the reverse
proxy last, after what it proxies; a model puller started without waiting for its downloads),
the models with `gen models pull`, then the addresses to open and the first-start steps. Each
step that finds everything right says so and changes nothing, so a second run is a check.
--dry-run prints the commands and changes nothing. The datasets and the models are the engine's
host's: on a remote engine those steps say what to run there.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.catalog.model import Accelerator, Catalog, Port, Stack
from generator.catalog.variables import ZFS_POOLS, pool_map
from generator.errors import GenError
from generator.escape import terminal_text
from generator.hosts.engine import is_loopback, remote_host, supports_start_interval, url_host
from generator.plan import Plan, StackVariant, stack_order
from generator.verify import default_compose

GPU_STATE_FILE = Path("/var/lib/ai-stack/gpu-variant")  # written by scripts/gpu-bootstrap.sh
WAIT_SECONDS = 600  # how long `docker compose up --wait` waits for a stack to be healthy


@dataclass
class Step:
    name: str
    status: str  # ok (already right) | changed | planned (--dry-run) | skipped (left to you) | failed
    message: str
    details: list[str] = field(default_factory=list)


@dataclass
class UpOutcome:
    """What `gen up` did, step by step; it stops at the first failed step."""

    steps: list[Step] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    first_start: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.status != "failed" for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "steps": [vars(step) for step in self.steps],
            "addresses": self.addresses,
            "first_start": self.first_start,
        }

    def to_text(self) -> str:
        lines = []
        for step in self.steps:
            lines.append(f"{step.status:<8} {step.name}: {terminal_text(step.message)}")
            lines += [f"         {terminal_text(detail)}" for detail in step.details]
        if self.ok and self.addresses:
            lines += ["", "Open:", *[f"  {address}" for address in self.addresses]]
        if self.ok and self.first_start:
            lines += ["", "Once, after the first start:", *[f"  {step}" for step in self.first_start]]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class UpOptions:
    dist: Path  # the built output (compose files, scripts)
    secrets_dir: Path
    variant: str  # auto, cpu, nvidia or amd
    plain_folders: bool  # datasets as plain folders where there is no ZFS
    dry_run: bool
    pull_models: bool = True
    ollama_url: str | None = None  # default: the stack's published Ollama port on 127.0.0.1


Run = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """The command's answer; a program that is missing or hangs is an answer too (127, 124)."""
    try:
        return subprocess.run(
            list(command), capture_output=True, text=True, check=False, timeout=WAIT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(list(command), 124, "", f"no answer within {WAIT_SECONDS} s")
    except OSError as error:
        return subprocess.CompletedProcess(list(command), 127, "", f"cannot run {command[0]}: {error}")


def _streamed(command: Sequence[str], progress: Callable[[str], None]) -> subprocess.CompletedProcess[str]:
    """A long command (pulling images, waiting for health) with its progress shown as it comes;
    no time limit here: Compose's own --wait-timeout bounds the wait, a pull takes what it takes."""
    try:
        process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as error:
        return subprocess.CompletedProcess(list(command), 127, "", f"cannot run {command[0]}: {error}")
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip():
            lines.append(line.rstrip())
            progress(f"  {line.strip()}")
    return subprocess.CompletedProcess(list(command), process.wait(), "", "\n".join(lines))


def chosen_variant(requested: str, state_file: Path = GPU_STATE_FILE) -> tuple[Accelerator, str]:
    """The variant to deploy and why: --variant, else the GPU script's recorded verdict, else cpu."""
    if requested in ("cpu", "nvidia", "amd"):
        return requested, "as --variant says"  # type: ignore[return-value]
    try:
        recorded = dict(
            line.split("=", 1) for line in state_file.read_text().splitlines() if "=" in line
        ).get("VARIANT", "")
    except OSError:
        return "cpu", f"no GPU verdict in {state_file} (run dist/scripts/gpu-bootstrap.sh): cpu"
    if recorded in ("nvidia", "amd", "cpu"):
        return recorded, f"the GPU script's verdict ({state_file})"  # type: ignore[return-value]
    return "cpu", f"{state_file} holds no VARIANT: cpu"


def bring_up(
    plan: Plan,
    stack_ids: list[str],
    options: UpOptions,
    progress: Callable[[str], None],
    client: Callable[[], Any],
    run: Run = _run,
    build: Callable[[], Step | None] = lambda: None,
) -> UpOutcome:
    """`gen up`. `client` connects to the engine when first called; `run` runs a command; `build`
    brings the output up to date (its step, or None when it already was)."""
    from generator.envfile import read_assignments, refuse_secrets_place, write_stack_secrets
    from generator.hosts.doctor import run_doctor

    catalog = plan.catalog
    stacks = stack_order(catalog, plan.chosen_stacks(stack_ids))
    outcome = UpOutcome()
    variant, why = chosen_variant(options.variant)
    outcome.steps.append(Step("variant", "ok", f"{variant}: {why}"))

    def variant_of(stack: Stack) -> Accelerator:
        return variant if variant in catalog.stack_accelerators(stack) else "cpu"

    env_files = {stack.id: options.secrets_dir / f"{stack.id}.env" for stack in stacks}
    try:  # a folder the secrets may not go to stops it before anything is changed
        try:
            out = options.dist.resolve()
            inside = options.secrets_dir.resolve().is_relative_to(out)
        except (OSError, RuntimeError) as error:  # a link loop
            raise GenError(f"cannot tell where {options.secrets_dir} leads: {error}") from None
        if inside:  # the output this run would build
            raise GenError(
                f"{options.secrets_dir} is inside {out} (the output of `gen build`): keep secrets outside it"
            )
        refuse_secrets_place(options.secrets_dir, env_files.values())
    except GenError as refused:
        outcome.steps.append(Step("secrets", "failed", str(refused)))
        return outcome
    built = build()
    if built is not None:
        outcome.steps.insert(0, built)
    settings: dict[str, str] = {}
    for path in env_files.values():
        settings.update(read_assignments(path))
    engine = client()
    checks = run_doctor(engine, plan, stacks, variant, settings)
    start_interval = supports_start_interval(str(engine.version().get("ApiVersion", "")))
    # images are pulled by `docker compose up`; a missing dataset folder is the next step's work
    failed = [c for c in checks if c.status == "fail" and not c.name.startswith("image ")]
    if failed:
        first = failed[0]
        message = f"{first.name}: {first.message}" + (f" ({first.hint})" if first.hint else "")
        outcome.steps.append(Step("doctor", "failed", message))
        return outcome
    warned = [
        f"{c.name}: {c.message}" for c in checks if c.status == "warn" and not c.name.startswith("dataset ")
    ]
    outcome.steps.append(Step("doctor", "ok", f"{len(checks)} checks passed", warned))

    if not _datasets(plan, stacks, variant_of, options, settings, run, outcome):
        return outcome

    if options.dry_run:
        missing = [str(p) for p in env_files.values() if not p.is_file()]
        outcome.steps.append(
            Step("secrets", "planned", "gen secrets " + " ".join(s.id for s in stacks), missing)
        )
    else:
        results = write_stack_secrets(plan, [s.id for s in stacks], options.secrets_dir)
        added = [f"{r.path}: added {', '.join(r.added)}" for r in results if r.added]
        outcome.steps.append(
            Step(
                "secrets",
                "changed" if added else "ok",
                "secrets written" if added else "every secret is set",
                added,
            )
        )

    for stack in stacks:
        deployment = plan.variant(stack, variant_of(stack))
        up = _stack_up(deployment, env_files[stack.id], options, start_interval, progress, run, outcome)
        if not up:
            return outcome

    if options.pull_models:
        _models(plan, stacks, settings, options, progress, outcome)
    if outcome.ok:
        outcome.addresses, outcome.first_start = _addresses(catalog, stacks)
    return outcome


def _datasets(
    plan: Plan,
    stacks: list[Stack],
    variant_of: Callable[[Stack], Accelerator],
    options: UpOptions,
    settings: dict[str, str],
    run: Run,
    outcome: UpOutcome,
) -> bool:
    """The datasets the stacks mount: the ZFS script, or plain folders with --plain-folders."""
    catalog = plan.catalog
    needed = sorted(
        {
            v.source
            for stack in stacks
            for service in plan.variant(stack, variant_of(stack)).services
            for v in service.volumes
            if v.source_kind == "dataset"
        }
    )
    if not needed:
        outcome.steps.append(Step("datasets", "ok", "the stacks mount no dataset"))
        return True
    remote = remote_host()
    if remote is not None:  # the script and the folders are that host's: nothing is made from here
        script = options.dist / "scripts" / "zfs-datasets.sh"
        message = f"the engine is on {remote}: run {script} there (or make the folders) first"
        outcome.steps.append(Step("datasets", "skipped", message, needed))
        return True
    if options.plain_folders:
        altroot = settings.get("ZFS_ALTROOT", "")
        made = []
        for dataset_id in needed:
            dataset = catalog.datasets[dataset_id]
            folder = Path(altroot + dataset.mountpoint)
            mode = int(dataset.mode, 8) if dataset.mode else None
            owner = (dataset.owner.uid, dataset.owner.gid)
            try:
                found = folder.stat() if folder.is_dir() else None
                if found and (found.st_uid, found.st_gid) == owner and mode in (None, found.st_mode & 0o7777):
                    continue
                made.append(f"{folder} ({'made' if found is None else 'owner or mode set'})")
                if not options.dry_run:
                    folder.mkdir(parents=True, exist_ok=True)
                    os.chown(folder, *owner)
                    if mode is not None:
                        folder.chmod(mode)
            except OSError as error:
                outcome.steps.append(Step("datasets", "failed", f"{folder}: {error.strerror or error}"))
                return False
        status = ("planned" if options.dry_run else "changed") if made else "ok"
        message = (
            "plain folders (no ZFS: no quotas, compression, snapshots or per-dataset tuning)"
            if made
            else "every dataset folder is there"
        )
        outcome.steps.append(Step("datasets", status, message, made))
        return True
    script = options.dist / "scripts" / "zfs-datasets.sh"
    if not script.is_file():  # --dry-run before the first build
        outcome.steps.append(Step("datasets", "planned", f"sh {script} (after the build)"))
        return options.dry_run
    pools = pool_options(settings)
    command = ["sh", str(script), "--dry-run" if options.dry_run else "--check", *pools]
    checked = run(command)
    if checked.returncode == 0 and not options.dry_run:
        outcome.steps.append(Step("datasets", "ok", "every dataset is there, as the catalog tunes it"))
        return True
    if options.dry_run:
        lines = [line for line in checked.stdout.splitlines() if line.strip()]
        outcome.steps.append(
            Step("datasets", "planned" if checked.returncode == 0 else "failed", f"sh {script}", lines)
        )
        return checked.returncode == 0
    if checked.returncode == 1:  # drift: create what is missing, set what differs
        applied = run(["sh", str(script), *pools])
        if applied.returncode == 0:
            outcome.steps.append(Step("datasets", "changed", "created or tuned by the ZFS script"))
            return True
        checked = applied
    said = [line for line in (checked.stderr + "\n" + checked.stdout).splitlines() if line.strip()]
    hint = (
        " (pools named otherwise? ZFS_POOLS in the stacks' env files maps the catalog's onto them;"
        " no ZFS here? --plain-folders)"
        if checked.returncode == 3
        else ""
    )
    message = f"the ZFS script stopped (exit {checked.returncode}){hint}"
    outcome.steps.append(Step("datasets", "failed", message, said[-10:]))
    return False


def pool_options(settings: dict[str, str]) -> list[str]:
    """The ZFS script's --pool options for the env files' ZFS_POOLS (the catalog's pools on this
    host's)."""
    pairs = sorted(pool_map(settings.get(ZFS_POOLS, "")).items())
    return [arg for catalog_pool, host_pool in pairs for arg in ("--pool", f"{catalog_pool}={host_pool}")]


def compose_command(
    stack: Stack, variant: Accelerator, env_file: Path, dist: Path, start_interval: bool = False
) -> list[str]:
    """Compose with the stack's env file and compose file; with `start_interval` (an engine that
    has it) also the file that checks health every second while the services start."""
    from generator.plan.rules import START_INTERVAL_FILE, compose_path

    file = dist / compose_path(stack, variant)
    command = [*default_compose(), "--env-file", str(env_file), "-f", str(file)]
    faster = file.with_name(START_INTERVAL_FILE)
    if start_interval and faster.is_file():
        command += ["-f", str(faster)]
    return command


def _stack_up(
    deployment: StackVariant,
    env_file: Path,
    options: UpOptions,
    start_interval: bool,
    progress: Callable[[str], None],
    run: Run,
    outcome: UpOutcome,
) -> bool:
    """`up --wait` for the stack; a model puller, healthy only when its downloads are done, is
    started without waiting for it (the models step then shows Ollama's progress), so a slow
    link does not run the wait out."""
    stack, variant = deployment.stack, deployment.variant
    base = compose_command(stack, variant, env_file, options.dist, start_interval)
    pullers = list(deployment.model_pullers)
    awaited = [s.id for s in deployment.services if s.id not in pullers] if pullers else []
    commands = [[*base, "up", "-d", "--wait", "--wait-timeout", str(WAIT_SECONDS), *awaited]]
    if pullers:
        commands.append([*base, "up", "-d", *pullers])
    name = f"stack {stack.id}"
    if options.dry_run:
        outcome.steps.append(Step(name, "planned", " && ".join(" ".join(c) for c in commands)))
        return True
    before = _states(base, run, pullers)
    progress(f"starting {stack.id} ({variant})")
    for command in commands:
        started = _streamed(command, progress) if run is _run else run(command)
        if started.returncode != 0:
            details = _failing_services(base, run, pullers)
            outcome.steps.append(Step(name, "failed", f"`{' '.join(command)}` failed", details))
            return False
    changed = _states(base, run, pullers) != before
    message = f"{variant} variant healthy" if changed else f"{variant} variant already running and healthy"
    if pullers and changed:
        message += f" ({', '.join(pullers)} started, not waited for: it pulls the models)"
    outcome.steps.append(Step(name, "changed" if changed else "ok", message))
    return True


def _states(base: list[str], run: Run, pullers: list[str]) -> list[str]:
    """Each service's state and health; a model puller's state only (its health turns when its
    downloads end, which is not a change gen up made)."""
    states = []
    for line in run([*base, "ps", "--format", "{{.Service}} {{.State}} {{.Health}}"]).stdout.splitlines():
        words = line.split()
        states.append(" ".join(words[:2] if words[:1] and words[0] in pullers else words))
    return sorted(states)


def _failing_services(base: list[str], run: Run, pullers: list[str]) -> list[str]:
    """The services that are not running healthy (or a one-shot job that failed), each with the
    last lines of its log; a model puller still downloading is not failing."""
    import json

    listed = run([*base, "ps", "-a", "--format", "json"]).stdout
    entries: list[object] = []
    for line in listed.splitlines():  # one object per line (Compose 2.21+), or one list
        try:
            found = json.loads(line)
        except ValueError:
            continue
        entries += found if isinstance(found, list) else [found]
    details = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        state, health = str(entry.get("State", "")), str(entry.get("Health", ""))
        exited_well = state == "exited" and entry.get("ExitCode") == 0
        downloading = entry.get("Service") in pullers and state == "running"
        if exited_well or downloading or (state == "running" and health in ("", "healthy")):
            continue
        service = str(entry.get("Service", "?"))
        details.append(f"{service}: {state}{' ' + health if health else ''}")
        log = run([*base, "logs", "--no-color", "--tail", "10", service]).stdout.splitlines()
        details += [f"  {line}" for line in log[-10:]]
    return details or ["no service reported a state: see `docker compose ps`"]


def _models(
    plan: Plan,
    stacks: list[Stack],
    settings: dict[str, str],
    options: UpOptions,
    progress: Callable[[str], None],
    outcome: UpOutcome,
) -> None:
    from generator.hosts.models import pull_models, stack_models

    for stack in stacks:
        wanted, skipped = stack_models(plan.catalog, [stack], settings)
        if not wanted and not skipped:
            continue
        name = f"models {stack.id}"
        if options.dry_run:
            outcome.steps.append(Step(name, "planned", f"gen models pull --stack {stack.id}", wanted))
            continue
        url = options.ollama_url or _reachable_ollama(plan.catalog, stack)
        if url is None:
            message = (
                f"Ollama's port is published on {remote_host()} for that host only: the stack's model "
                "puller pulls them there (its log shows the progress), or pass --ollama-url"
            )
            outcome.steps.append(Step(name, "skipped", message, wanted))
            continue
        try:
            results = pull_models(url, wanted, progress)
        except GenError as error:
            outcome.steps.append(Step(name, "failed", str(error)))
            return
        failed = [f"{r.model}: {r.message}" for r in results if r.status == "failed"]
        pulled = [r.model for r in results if r.status == "pulled"]
        notes = [f"{s.model}: {s.message}" for s in skipped]
        if failed:
            outcome.steps.append(Step(name, "failed", "a pull failed", failed + notes))
            return
        message = f"pulled {', '.join(pulled)}" if pulled else "every model is there"
        outcome.steps.append(Step(name, "changed" if pulled else "ok", message, notes))


def _published_at(port: Port, remote: str | None) -> tuple[str, bool]:
    """Where a published port answers, as a URL writes it, and whether this machine reaches it
    (a port bound to a remote engine's loopback address is that host's alone)."""
    if port.on_every_interface:
        return (url_host(remote) if remote else "<this host>"), True
    address = port.host_ip or ""
    return url_host(address), remote is None or not is_loopback(address)


def _reachable_ollama(catalog: Catalog, stack: Stack) -> str | None:
    """The stack's Ollama API as this machine reaches it: the published port here; on a remote
    engine's host where it is not bound to that host's loopback address; else None."""
    from generator.plan.facts import ollama_url

    remote = remote_host()
    if remote is None:
        return ollama_url(catalog, stack)
    for service in catalog.stack_services(stack):
        port = service.port("api")
        if service.model_api == "ollama" and port is not None and port.host:
            address, reachable = _published_at(port, remote)
            return f"http://{address}:{port.host}" if reachable else None
    return None


def _addresses(catalog: Catalog, stacks: list[Stack]) -> tuple[list[str], list[str]]:
    """What to open (published ports; the proxy's names) and the first-start steps."""
    addresses, first = [], []
    proxy = next((s for s in catalog.services.values() if s.proxy), None)
    remote = remote_host()
    for stack in stacks:
        for service in catalog.stack_services(stack):
            for port in service.ports:
                if port.host is not None and port.protocol == "tcp":
                    address, reachable = _published_at(port, remote)
                    scheme = "https" if port.container in (443, 9443) else "http"
                    where = "" if reachable else f" (on {remote} only)"
                    addresses.append(f"{service.title}: {scheme}://{address}:{port.host}/{where}")
            if service.expose and proxy and proxy.proxy:
                addresses.append(f"{service.title}: https://{service.expose.host}.{proxy.proxy.domain}/")
            if service.first_start:
                first.append(f"{service.title}: {' '.join(service.first_start.split())}")
    return addresses, first


def bring_down(
    plan: Plan, stack_ids: list[str], dry_run: bool, client: Callable[[], Any], run: Run = _run
) -> UpOutcome:
    """`gen down`: each stack's containers stopped and removed, the proxy's stack first; data,
    secrets and networks another stack still uses stay. A stack is found by its project name
    (the compose file's `name:`, the stack's id) and the label gen gives its containers, so it
    needs neither its env file nor dist/, and a project of the same name that gen did not start
    is left alone."""
    from generator.plan.rules import LABEL_PREFIX

    outcome = UpOutcome()
    for stack in reversed(stack_order(plan.catalog, plan.chosen_stacks(stack_ids))):
        name = f"stack {stack.id}"
        down = [*default_compose(), "--project-name", stack.id, "down", "--remove-orphans"]
        if dry_run:
            outcome.steps.append(Step(name, "planned", " ".join(down)))
            continue
        project = client().containers.list(
            all=True, filters={"label": f"com.docker.compose.project={stack.id}"}
        )
        if not project:
            outcome.steps.append(Step(name, "ok", "not running: nothing to stop"))
            continue
        strangers = sorted(c.name for c in project if c.labels.get(f"{LABEL_PREFIX}.stack") != stack.id)
        if strangers:
            message = f"the Compose project '{stack.id}' holds containers gen did not start: left alone"
            outcome.steps.append(Step(name, "failed", message, strangers))
            break
        result = run(down)
        if result.returncode != 0:
            said = (result.stderr or result.stdout or "").strip().splitlines()
            outcome.steps.append(Step(name, "failed", f"`{' '.join(down)}` failed", said[-10:]))
            break
        count = len(project)
        message = f"stopped and removed {count} container{'s' if count > 1 else ''}"
        outcome.steps.append(Step(name, "changed", message))
    return outcome
