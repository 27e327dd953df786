"""`gen`: the command line. It parses options, calls the library and maps errors to exit codes.

Heavy imports (jsonschema, ruamel.yaml) happen inside the commands so `gen --help` stays fast.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from generator import __version__
from generator.errors import CatalogInvalid, GenError
from generator.outcome import Listing, Results
from generator.reporting import finish

if TYPE_CHECKING:
    from generator.catalog.model import Catalog, Stack
    from generator.plan import Plan

F = TypeVar("F", bound=Callable[..., Any])

CATALOG_OPTION = click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="catalog",
    envvar="GEN_CATALOG",
    show_default=True,
    help="Catalog folder (or set GEN_CATALOG).",
)


def _format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


class GenGroup(click.Group):
    """Turns GenError into a message on stderr and its exit code; anything else is a bug."""

    def invoke(self, ctx: click.Context) -> Any:
        _printable_streams()
        try:
            return super().invoke(ctx)
        except CatalogInvalid as error:
            _fail_with_diagnostics(error)
        except GenError as error:
            click.echo(f"{_red('error:')} {error}", err=True)
            sys.exit(error.exit_code)


def _printable_streams() -> None:
    """Text that cannot be encoded (a lone surrogate read from a JSON file, say) is printed as
    its escape, \\ud800, instead of failing the command after its work is done."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _fail_with_diagnostics(error: CatalogInvalid) -> NoReturn:
    from generator.diagnostics import format_text

    text = format_text(error.diagnostics)
    click.echo(text.replace(": error: ", f": {_red('error:')} "), err=True, nl=False)
    sys.exit(error.exit_code)


def _red(text: str) -> str:
    if os.environ.get("NO_COLOR") or not sys.stderr.isatty():
        return text
    return click.style(text, fg="red", bold=True)


@click.group(cls=GenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gen")
def cli() -> None:
    """Generate everything a self-hosted AI stack needs from one catalog.

    \b
    Example:
      gen validate                 # check catalog/ and report every problem
      gen build                    # write dist/ (compose files, templates.json, scripts...)
      gen build --check            # exit 1 if dist/ is stale
    """


@cli.command()
@CATALOG_OPTION
@_format_option("text", "json")
def validate(catalog_dir: Path, output_format: str) -> None:
    """Check the catalog against its schemas and cross-entity rules.

    Every problem is reported, each with file:line:col, the field and what is
    allowed. Exit 0 when valid, 1 when not.

    \b
    Example:
      gen validate --catalog catalog --format json
    """
    from generator.catalog import validate_catalog
    from generator.diagnostics import as_document

    catalog, problems = validate_catalog(catalog_dir)
    if problems and output_format == "text":
        raise CatalogInvalid(problems)  # each problem located, on stderr
    valid = f"{catalog_dir}/ is valid: {catalog.summary()}\n"
    finish(output_format, Listing(as_document(problems), lambda: valid, ok=not problems))


@cli.command("list")
@click.argument("kind", required=False)
@CATALOG_OPTION
@_format_option("text", "json")
def list_entities(kind: str | None, catalog_dir: Path, output_format: str) -> None:
    """List catalog entities: id, kind and title.

    KIND narrows the list to one kind (services, stacks, networks, datasets, ...).

    \b
    Example:
      gen list services
    """
    from generator import inspect

    rows = inspect.list_rows(_plan(catalog_dir).catalog, kind)
    text = "".join(f"{r['kind']:<15} {r['id']:<24} {r['title']}\n" for r in rows)
    finish(output_format, Listing(rows, lambda: text))


@cli.command()
@click.argument("entity")
@CATALOG_OPTION
@_format_option("yaml", "json")
def show(entity: str, catalog_dir: Path, output_format: str) -> None:
    """Show one entity with every default applied.

    ENTITY is an id, or KIND/ID when the id is used by several kinds.

    \b
    Example:
      gen show ollama
      gen show stack/ai --format json
    """
    from generator import inspect

    data = inspect.find(_plan(catalog_dir).catalog, entity)
    finish(output_format, Listing(data, lambda: inspect.to_yaml_text(data)))


@cli.command()
@CATALOG_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="dist",
    show_default=True,
    help="Output folder; replaced as a whole, atomically.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and list what is stale.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff.")
@click.option("--dry-run", is_flag=True, help="Write nothing; list what would change.")
def build(catalog_dir: Path, out_dir: Path, check: bool, show_diff: bool, dry_run: bool) -> None:
    """Render every artifact of the catalog into the output folder.

    Nothing is written unless the whole catalog is valid; the output folder
    is swapped in one step, so an interrupted build leaves the previous one.

    \b
    Example:
      gen build --out dist
      gen build --check            # in CI: fail when dist/ is stale
    """
    from generator.build import build_output
    from generator.errors import StaleOutput
    from generator.plan.publish import example_address_warning

    plan = _plan(catalog_dir)
    text, stale = build_output(plan, catalog_dir, out_dir, check, show_diff, dry_run)
    click.echo(text, nl=False)
    warning = example_address_warning(plan.catalog)
    if warning:
        click.echo(warning, err=True)
    if stale:
        raise StaleOutput(stale)


UP_VARIANT_OPTION = click.option(
    "--variant",
    type=click.Choice(["auto", "cpu", "nvidia", "amd"]),
    default="auto",
    show_default=True,
    help="auto: the GPU script's verdict (/var/lib/ai-stack/gpu-variant), else cpu.",
)
SECRETS_DIR_OPTION = click.option(
    "--secrets-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="secrets",
    show_default=True,
    help="The stacks' env files (gen secrets writes them).",
)

BUILT_OPTION = click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="dist",
    show_default=True,
    help="The build output the stacks are deployed from.",
)


@cli.command()
@click.argument("stacks", nargs=-1)
@CATALOG_OPTION
@UP_VARIANT_OPTION
@SECRETS_DIR_OPTION
@BUILT_OPTION
@click.option(
    "--plain-folders",
    is_flag=True,
    help="On a host without ZFS: the datasets as plain folders (no quotas, compression or snapshots).",
)
@click.option(
    "--no-models",
    is_flag=True,
    help="Skip the models step (the stack's model puller still pulls them, in its log).",
)
@click.option("--ollama-url", help="Ollama's API (default: the stack's published Ollama port on 127.0.0.1).")
@click.option("--dry-run", is_flag=True, help="Print what it would do and the commands; change nothing.")
@_format_option("text", "json")
def up(
    stacks: tuple[str, ...],
    catalog_dir: Path,
    variant: str,
    secrets_dir: Path,
    out_dir: Path,
    plain_folders: bool,
    no_models: bool,
    ollama_url: str | None,
    dry_run: bool,
    output_format: str,
) -> None:
    """Bring the stacks up on this host (DOCKER_HOST), from nothing to healthy.

    In order: the variant (--variant, else the GPU script's verdict), the
    output built if it is stale, gen doctor's checks, the datasets (the ZFS
    script, or --plain-folders), missing secrets, each stack with `docker
    compose up --wait` (the proxy's stack last), the models; then the addresses
    to open and the first-start steps. What is already right is left alone:
    run it again at any time. Exit 1 at the first step that fails.

    \b
    Example:
      gen up
      gen up ai --variant nvidia --dry-run
    """
    from functools import cache

    from generator.build import build_output
    from generator.hosts.engine import connect
    from generator.up import Step, UpOptions, bring_up

    plan = _plan(catalog_dir)
    options = UpOptions(out_dir, secrets_dir, variant, plain_folders, dry_run, not no_models, ollama_url)

    def build() -> Step | None:
        _, stale = build_output(plan, catalog_dir, out_dir, check=True, show_diff=False, dry_run=False)
        if not stale:
            return None
        if not dry_run:
            build_output(plan, catalog_dir, out_dir, check=False, show_diff=False, dry_run=False)
        return Step("build", "planned" if dry_run else "changed", f"{out_dir}/ was stale")

    progress = (lambda line: click.echo(line, err=True)) if output_format == "text" else (lambda _: None)
    finish(output_format, bring_up(plan, list(stacks), options, progress, cache(connect), build=build))


@cli.command()
@click.argument("stacks", nargs=-1)
@CATALOG_OPTION
@click.option("--dry-run", is_flag=True, help="Print the commands; change nothing.")
@_format_option("text", "json")
def down(stacks: tuple[str, ...], catalog_dir: Path, dry_run: bool, output_format: str) -> None:
    """Stop and remove the stacks' containers (the proxy's stack first).

    Data (datasets), secrets and images stay; `gen up` brings them back.

    \b
    Example:
      gen down monitoring
    """
    from functools import cache

    from generator.hosts.engine import connect
    from generator.up import bring_down

    finish(output_format, bring_down(_plan(catalog_dir), list(stacks), dry_run, cache(connect)))


@cli.command()
@click.argument("stacks", nargs=-1)
@CATALOG_OPTION
@click.option(
    "--dir",
    "secrets_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="secrets",
    show_default=True,
    help="Folder of the env files (kept out of git and of the build output).",
)
def secrets(stacks: tuple[str, ...], catalog_dir: Path, secrets_dir: Path) -> None:
    """Write <dir>/<stack>.env with a strong random value for every secret.

    Values already set are kept; files are created with mode 0600. Without
    STACKS, every stack gets its file. Deploy with the file as --env-file.

    \b
    Example:
      gen secrets ai
      docker compose --env-file secrets/ai.env -f dist/stacks/ai/cpu/compose.yaml up -d --wait
    """
    from generator.envfile import secrets_text, write_stack_secrets

    click.echo(secrets_text(write_stack_secrets(_plan(catalog_dir), stacks, secrets_dir)), nl=False)


def _stacks(plan: Plan, stack: str | None) -> list[Stack]:
    return plan.chosen_stacks([stack] if stack else [])


@cli.command()
@CATALOG_OPTION
@click.option("--stack", help="Check only this stack (default: all).")
@click.option("--variant", type=click.Choice(["cpu", "nvidia", "amd"]), default="cpu", show_default=True)
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The env file the stack will be deployed with (per-host limits such as OLLAMA_CPUS).",
)
@click.option("--swarm", is_flag=True, help="Check a swarm (DOCKER_HOST: a manager) for the Swarm variants.")
@_format_option("text", "json")
def doctor(
    catalog_dir: Path, stack: str | None, variant: str, env_file: Path | None, swarm: bool, output_format: str
) -> None:
    """Check that the Docker host (DOCKER_HOST, or the local engine) is ready to deploy.

    Engine and Compose, the nvidia runtime for the nvidia variant, free subnets
    and host ports, dataset mountpoints, CPU limits within the host's cores,
    images, pool space. With --swarm, asked of a manager: the nodes, each pool
    label on some node, the GPU resource on the GPU nodes (nvidia), a node for
    every service's placement, the overlay networks, ports held in host or
    ingress mode. Exit 1 on any fail.

    \b
    Example:
      gen doctor --stack ai --variant nvidia --env-file secrets/ai.env
      DOCKER_HOST=ssh://admin@nas gen doctor --format json
      gen doctor --swarm --variant nvidia
    """
    from generator.envfile import read_assignments
    from generator.hosts import doctor_checks, report

    plan = _plan(catalog_dir)
    settings = read_assignments(env_file) if env_file else {}
    stacks = _stacks(plan, stack)  # a wrong name is an error before the engine is asked
    checks = doctor_checks(plan, stacks, variant, settings, swarm)
    finish(output_format, Results(checks, report.checks_text, lambda c: c.status == "fail"))


@cli.command()
@CATALOG_OPTION
@click.option("--stack", help="Compare only this stack (default: all).")
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The env file the stacks were deployed with (limits and paths set per host).",
)
@click.option("--swarm", is_flag=True, help="Compare a swarm's services (DOCKER_HOST: a manager).")
@_format_option("text", "json")
def drift(
    catalog_dir: Path, stack: str | None, env_file: Path | None, swarm: bool, output_format: str
) -> None:
    """Compare the running containers with the catalog.

    Per service: in sync, drifted (each difference: image, IP, limits, mounts,
    environment variable names, restart policy, health), missing, or unknown.
    With --swarm, the stacks' Swarm services instead (image, replicas, placement,
    networks, limits, mounts, variable names, running tasks). Values of
    variables are never printed. Exit 1 when anything is not in sync.

    \b
    Example:
      gen drift --stack ai --env-file secrets/ai.env
      DOCKER_HOST=ssh://admin@manager gen drift --swarm --env-file secrets/ai.env
    """
    from generator.hosts import drift_findings, report

    plan = _plan(catalog_dir)
    stack_ids = [s.id for s in _stacks(plan, stack)]
    findings = drift_findings(plan, stack_ids, env_file, swarm)
    finish(output_format, Results(findings, report.findings_text, lambda f: f.status != "in-sync"))


@cli.command()
@CATALOG_OPTION
@click.option("--stack", default="ai", show_default=True, help="The stack to measure.")
@click.option("--variant", type=click.Choice(["cpu", "nvidia", "amd"]), default="cpu", show_default=True)
@click.option("--runs", type=click.IntRange(1, 50), default=3, show_default=True, help="Runs per baseline.")
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The stack's variables (default: secrets/<stack>.env, written by `gen secrets`).",
)
@click.option("--compose", "compose_command", help="The Compose command (default: `docker compose`).")
@click.option(
    "--probe-image", default="busybox:stable", show_default=True, help="Image of the network probe."
)
@click.option(
    "--gpu-image",
    "--cuda-image",
    "gpu_image",
    help="Image the GPU probe runs nvidia-smi in (default: the catalog's NVIDIA GPU image, Ollama's).",
)
@click.option(
    "--dataset", "dataset_id", help="Dataset whose tuning the ZFS baseline uses (default: the stack's first)."
)
@click.option("--zfs-pool", help="Pool for the scratch dataset (default: the dataset's pool).")
@click.option("--model", help="An Ollama model to time the load of, e.g. llama3.1:70b (pulled already).")
@click.option("--ollama-url", help="Ollama's API (default: the stack's published Ollama port on 127.0.0.1).")
@click.option("--target", "targets", multiple=True, metavar="BASELINE=SECONDS", help="Override a target.")
@click.option("--only", multiple=True, metavar="BASELINE", help="Measure only these baselines.")
@click.option(
    "--markdown",
    "markdown_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a Markdown report here.",
)
@click.option(
    "--textfile",
    "textfile_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write the results for node_exporter's textfile collector into this folder "
    "(the monitoring stack's reads /var/lib/ai-stack/textfile).",
)
@_format_option("text", "json")
def verify(
    catalog_dir: Path,
    markdown_file: Path | None,
    textfile_dir: Path | None,
    output_format: str,
    **choices: Any,
) -> None:
    """Measure the deployment report's baselines on this host, against their targets.

    Stack start to all-healthy (< 30 s), attaching a container to the AI network (< 1 s),
    creating a ZFS dataset with the catalog's tuning (< 5 s), GPU initialisation (< 10 s)
    and, with --model, Ollama loading it (< 5 min). Each runs --runs times; the median is
    compared with the target. What cannot be measured here is reported as skipped, with
    the reason. Exit 1 when a measured baseline misses its target.

    \b
    Example:
      gen verify --stack ai --variant nvidia --model llama3.1:70b
      gen verify --format json --markdown site/measured.md
      gen verify --textfile /var/lib/ai-stack/textfile   # for Prometheus, on a timer
    """
    from functools import cache

    from generator.hosts.engine import connect
    from generator.verify import Request, run_verify
    from generator.verify import report as verify_report

    result = run_verify(_plan(catalog_dir), Request(**choices), cache(connect))  # connects once, when used
    if markdown_file is not None:
        verify_report.write_markdown(result, markdown_file)
    if textfile_dir is not None:
        import time

        verify_report.write_textfile(result, textfile_dir, time.time())
    finish(output_format, result)


@cli.group("models")
def models_group() -> None:
    """The models the catalog lists, on the running model servers.

    \b
    Example:
      gen models pull --stack ai
    """


@models_group.command("pull")
@CATALOG_OPTION
@click.option("--stack", default="ai", show_default=True, help="The stack whose models to pull.")
@click.option("--ollama-url", help="Ollama's API (default: the stack's published Ollama port on 127.0.0.1).")
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The stack's variables, for its memory limits (default: secrets/<stack>.env when it is there).",
)
@_format_option("text", "json")
def models_pull(
    catalog_dir: Path, stack: str, ollama_url: str | None, env_file: Path | None, output_format: str
) -> None:
    """Have Ollama pull every model the stack's services list; those it has are kept.

    A model larger than its server's memory limit (OLLAMA_MEMORY in the env file,
    else the catalog's) is skipped, with how to pull it: it could not be loaded.

    Progress goes to stderr as Ollama reports it; one line per model at the end
    (present, pulled, failed or skipped). Exit 1 when a pull failed. Run it again at any
    time: it only pulls what is missing.

    \b
    Example:
      gen models pull
      gen models pull --ollama-url https://ollama.ai.home.arpa --format json
    """
    from generator.envfile import read_assignments
    from generator.hosts.models import pull_models, pulled_text, stack_models
    from generator.plan.facts import ollama_url as stack_ollama_url

    plan = _plan(catalog_dir)
    stacks = _stacks(plan, stack)
    url = ollama_url or stack_ollama_url(plan.catalog, stacks[0])
    env_file = env_file or next((p for p in [Path(f"secrets/{stack}.env")] if p.is_file()), None)
    wanted, skipped = stack_models(plan.catalog, stacks, read_assignments(env_file) if env_file else {})
    results = pull_models(url, wanted, lambda line: click.echo(line, err=True)) + skipped
    finish(output_format, Results(results, pulled_text, lambda r: r.status == "failed"))


@cli.group("images", invoke_without_command=True)
@CATALOG_OPTION
@_format_option("text", "json")
@click.pass_context
def images_group(context: click.Context, catalog_dir: Path, output_format: str) -> None:
    """Every image the catalog names, per service and variant.

    \b
    Example:
      gen images
      gen images outdated
    """
    if context.invoked_subcommand is not None:
        return

    from generator.images.catalog_images import image_uses, uses_text

    uses = image_uses(_catalog(catalog_dir))
    finish(output_format, Listing([u.to_dict() for u in uses], lambda: uses_text(uses)))


PRE_RELEASES_OPTION = click.option(
    "--pre-releases", is_flag=True, help="Count pre-releases (-rc1, -beta.2) as newer releases."
)
PLAIN_HTTP_OPTION = click.option(
    "--plain-http",
    "plain_http",
    multiple=True,
    metavar="HOST[:PORT]",
    help="A registry reached over plain HTTP (a local mirror); repeatable.",
)


@images_group.command("outdated")
@CATALOG_OPTION
@PRE_RELEASES_OPTION
@PLAIN_HTTP_OPTION
@_format_option("text", "json")
def images_outdated(
    catalog_dir: Path, pre_releases: bool, plain_http: tuple[str, ...], output_format: str
) -> None:
    """Ask each image's registry for newer releases of the same variant.

    A newer release keeps the tag's shape: its `v`, its count of numbers and its
    suffix (-rocm, -alpine); pre-releases only with --pre-releases. Credentials
    come from `docker login` (~/.docker/config.json). One line per image; a
    registry that cannot answer gets its line and the others go on. Exit 1 when
    an image is outdated or could not be checked.

    \b
    Example:
      gen images outdated
      gen images outdated --format json
    """
    from generator.images.catalog_images import check_images, image_uses, statuses_text

    results = check_images(image_uses(_catalog(catalog_dir)), plain_http, pre_releases)
    finish(output_format, Results(results, statuses_text, lambda r: r.status in ("outdated", "error")))


@images_group.command("pin")
@CATALOG_OPTION
@click.option("--digest", "with_digest", is_flag=True, help="Also pin each image to its tag's sha256 digest.")
@click.option("--dry-run", is_flag=True, help="Show the changes as a diff; write nothing.")
@PRE_RELEASES_OPTION
@PLAIN_HTTP_OPTION
def images_pin(
    catalog_dir: Path, with_digest: bool, dry_run: bool, pre_releases: bool, plain_http: tuple[str, ...]
) -> None:
    """Rewrite the catalog's images to their newest release of the same variant.

    Only the image values change (comments and layout stay); with --digest each
    image is also pinned by digest (a multi-platform tag's index digest, so every
    host still gets its own platform). Nothing is written when a registry could
    not answer or the result would not validate. One line per change.

    \b
    Example:
      gen images pin --dry-run
      gen images pin --digest
    """
    from generator.images.pin import changes_text, pin_images

    changes, diff = pin_images(
        _catalog(catalog_dir), catalog_dir, with_digest, dry_run, pre_releases, plain_http
    )
    click.echo(changes_text(changes, diff, with_digest), nl=False)


@cli.group("site")
def site_group() -> None:
    """Build or serve the docs site (mkdocs-material).

    \b
    Example:
      gen site build --out site-build
    """


CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default="mkdocs.yml",
    show_default=True,
    help="The mkdocs configuration (site/ beside it).",
)


@site_group.command("build")
@CATALOG_OPTION
@CONFIG_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default="site-build",
    show_default=True,
    help="Where the static site goes (replaced).",
)
def site_build(catalog_dir: Path, config_file: Path, out_dir: Path) -> None:
    """Build the static site: site/ plus a page per service and stack, maps, guides, downloads.

    mkdocs runs in strict mode: a broken link fails the build. templates.json is at the root.

    \b
    Example:
      gen site build && python3 -m http.server -d site-build
    """
    from generator.sitebuild import build_site

    count = build_site(catalog_dir, config_file, out_dir)
    click.echo(f"built {out_dir}/: {count} pages")


@site_group.command("serve")
@CATALOG_OPTION
@CONFIG_OPTION
@click.option("--port", type=int, default=8000, show_default=True)
def site_serve(catalog_dir: Path, config_file: Path, port: int) -> None:
    """Serve the site on http://127.0.0.1:PORT/, rebuilt as you edit.

    A change to a page of site/ or to a catalog file rebuilds the site and
    reloads the page in the browser; a catalog that does not validate is
    reported and the server waits for the next edit. Ctrl-C stops it.

    \b
    Example:
      gen site serve --port 8001
    """
    from generator.sitebuild import serve_site

    serve_site(catalog_dir, config_file, port, click.echo)


@cli.group("import")
def import_group() -> None:
    """Bring entries from other formats into the catalog.

    \b
    Example:
      gen import portainer templates.json
    """


@import_group.command("portainer")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@CATALOG_OPTION
@click.option("--force", is_flag=True, help="Replace catalog entries that have the same id.")
@click.option(
    "--allow-dangerous",
    is_flag=True,
    help="Keep privileged mode and mounts of the Docker socket or host system folders (always flagged).",
)
@_format_option("text", "json")
def import_portainer_command(
    file: Path, catalog_dir: Path, force: bool, allow_dangerous: bool, output_format: str
) -> None:
    """Import a Portainer App Templates file (version 2 or 3) as catalog services.

    Container templates become standalone services; the report lists what was
    mapped, what was normalised on the way and what was refused, and why.
    Existing entries are never replaced unless --force is given. Privileged mode,
    the Docker socket and host system folders mounted read-write are flagged as
    DANGER and left out unless --allow-dangerous is given.

    \b
    Example:
      gen import portainer ~/Downloads/templates.json --format json
    """
    from generator.importer.run import import_portainer

    finish(output_format, import_portainer(file, catalog_dir, force=force, allow_dangerous=allow_dangerous))


def _catalog(catalog_dir: Path) -> Catalog:
    from generator.catalog import load_catalog

    return load_catalog(catalog_dir)


def _plan(catalog_dir: Path) -> Plan:
    from generator.plan import plan

    return plan(_catalog(catalog_dir))


def main() -> None:
    # A run is short and builds mostly acyclic data: look for garbage cycles less often than
    # Python's default (every 700 allocations), as mypy does; 5-10% of a large build.
    gc.set_threshold(100_000, 50, 50)
    cli(prog_name="gen")
