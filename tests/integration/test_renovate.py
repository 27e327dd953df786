"""renovate.json with the REAL Renovate (scripts/install-renovate: npm's renovate on Node.js 24):
its validator accepts the config; its extraction from a copy of the repository finds the images
`gen images` lists, in every form the schema accepts, and nothing under dist/; its versioning
keeps a tag's series as `gen images outdated` does; its check for a branch edited by someone
else ignores renovate-dist's commit. Nothing reaches the network: Renovate only extracts
(`--dry-run=extract`, no lookups), in a network namespace of its own where `unshare` can make
one; the versioning, the docker datasource's reading of a name and the git check are Renovate's
own code, called from small Node.js scripts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import pytest

from generator.images.versions import VERSION, newer_tags
from tests.components import missing
from tests.conftest import ROOT, run_gen

pytestmark = [pytest.mark.node]

RENOVATE_ROOT = Path(os.environ.get("GEN_RENOVATE_ROOT", "/var/cache/ai-stack-gen/renovate"))
RENOVATE_DIST = RENOVATE_ROOT / "current" / "renovate" / "node_modules" / "renovate" / "dist"
DIGEST = "sha256:" + "0123456789abcdef" * 4

# The edited catalog: each service's top-level image becomes one of the other forms the schema
# accepts (ollama's amd variant keeps its own '-rocm' image).
EDITS = {
    "ollama": f"ollama/ollama@{DIGEST}",  # a digest only
    "open-webui": "registry.lan:5000/open-webui/open-webui:v0.12.4",  # a registry with a port
    "prometheus": f'"registry.lan:5000/prom/prometheus@{DIGEST}"  # a mirror',  # port, digest only
    "caddy": f"caddy:2.11.2-alpine@{DIGEST}",  # a tag and its digest
    "nvidia-exporter": "'utkuozdemir/nvidia_gpu_exporter:1.14'",  # two numbers, quoted
    "node-exporter": "quay.io/prometheus/node-exporter:v1.12.1.0",  # four numbers
    "portainer": "portainer/portainer-ce:sts",  # a tag that is no version
}

# Each form of image reference the schema accepts (schemas/service.schema.json, $defs/image).
FORMS = {
    "name:tag": r"[^:@]+:[^:@]+",
    "name:tag@sha256:...": r"[^:@]+:[^:@]+@sha256:[0-9a-f]{64}",
    "name@sha256:...": r"[^:@]+@sha256:[0-9a-f]{64}",
    "registry/name:tag": r"[a-z0-9-]+\.[a-z0-9.-]+/[^:@]+:[^:@]+",
    "registry:port/name:tag": r"[^/:]+:[0-9]+/[^:@]+:[^:@]+",
    "registry:port/name@sha256:...": r"[^/:]+:[0-9]+/[^:@]+@sha256:[0-9a-f]{64}",
}

# Renovate's own code, called offline: for each dependency, the registry and repository its
# docker datasource would ask, whether renovate.json's packageRules leave it enabled, and the
# releases its lookup would offer among `candidates` (lib/workers/repository/process/lookup: a
# valid current value; then each candidate that is a version, newer, compatible and stable; the
# pull request's new value from getNewValue).
RENOVATE_JS = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [dist, renovateJson] = process.argv.slice(2);
const load = (module) => import(pathToFileURL(`${dist}/${module}`).href);
await (await load("logger/index.js")).init();
const { get } = await load("modules/versioning/index.js");
const { getRegistryRepository } = await load("modules/datasource/docker/common.js");
const { applyPackageRules } = await load("util/package-rules/index.js");
const config = JSON.parse(readFileSync(renovateJson, "utf8"));
const deps = JSON.parse(readFileSync(0, "utf8"));
const answers = [];
for (const { depName, depType, versioning, current, candidates } of deps) {
  const { registryHost, dockerRepository } = getRegistryRepository(depName, "https://index.docker.io");
  const dep = { ...config, manager: "regex", datasource: "docker", depName, depType };
  const enabled = (await applyPackageRules(dep)).enabled !== false;
  const answer = { registryHost, dockerRepository, enabled, newer: [], newValue: null };
  answers.push(answer);
  const api = get(versioning);
  if (current === null || !api.isValid(current)) continue;
  answer.newer = candidates
    .filter((tag) => api.isVersion(tag) && api.isGreaterThan(tag, current))
    .filter((tag) => api.isCompatible(tag, current) && api.isStable(tag))
    .sort((a, b) => api.sortVersions(a, b));
  const newVersion = answer.newer.at(-1);
  if (newVersion) {
    const value = { currentValue: current, currentVersion: current, newVersion, rangeStrategy: "auto" };
    answer.newValue = api.getNewValue(value);
  }
}
process.stdout.write(JSON.stringify(answers));
"""

# Renovate's own rewrite of a package file for an update (workers/repository/update/branch
# auto-replace: it finds the extracted replaceString, writes autoReplaceStringTemplate there and
# keeps the result only when a new extraction reads the new value at the same place).
AUTO_REPLACE_JS = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [dist, dir, file, renovateJson] = process.argv.slice(2);
const load = (module) => import(pathToFileURL(`${dist}/${module}`).href);
await (await load("logger/index.js")).init();
(await load("config/global.js")).GlobalConfig.set({ localDir: dir });
const { extractPackageFile } = await load("modules/manager/index.js");
const { doAutoReplace } = await load("workers/repository/update/branch/auto-replace.js");
const config = JSON.parse(readFileSync(renovateJson, "utf8")).customManagers[0];
for (const update of JSON.parse(readFileSync(0, "utf8"))) {
  const content = readFileSync(`${dir}/${file}`, "utf8");
  const { deps, ...found } = await extractPackageFile("regex", content, file, config);
  const upgrade = { ...config, ...found, ...deps[update.depIndex], manager: "regex", packageFile: file };
  await doAutoReplace({ ...upgrade, ...update }, content, false);
}
process.stdout.write(readFileSync(`${dir}/${file}`, "utf8"));
"""

# Renovate's own answer to "did someone else edit this branch?" (util/git isBranchModified, which
# counts every author and committer email since the base branch but the bot's own and
# gitIgnoredAuthors), for the branches of a local origin.
RENOVATE_AUTHOR = "renovate[bot] <29139614+renovate[bot]@users.noreply.github.com>"
IS_MODIFIED_JS = """
import { pathToFileURL } from "node:url";
const [dist, origin, clone, gitAuthor, ignored] = process.argv.slice(2);
const load = (module) => import(pathToFileURL(`${dist}/${module}`).href);
await (await load("logger/index.js")).init();
const { GlobalConfig } = await load("config/global.js");
const git = await load("util/git/index.js");
GlobalConfig.set({ localDir: clone });
await git.initRepo({ url: origin });
git.setUserRepoConfig({ gitAuthor, gitIgnoredAuthors: JSON.parse(ignored) });
const answers = {};
for (const branch of ["renovate/image", "renovate/edited"]) {
  answers[branch] = await git.isBranchModified(branch, "main");
}
process.stdout.write(JSON.stringify(answers));
"""


def renovate_tool(name: str) -> str:
    path = RENOVATE_ROOT / "bin" / name
    if not os.access(path, os.X_OK) or not RENOVATE_DIST.is_dir():
        missing(f"Renovate is not installed in {RENOVATE_ROOT} (scripts/install-renovate)")
    return str(path)


@cache
def offline() -> list[str]:
    """The command prefix that runs Renovate without a network (`unshare --net`: root, or a
    kernel that lets users make namespaces); [] where it cannot, and the proxy settings in
    `renovate_env` still keep any request on loopback."""
    try:
        made = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=30).returncode == 0
    except OSError:
        made = False
    return ["unshare", "--net"] if made else []


def renovate_env(home: Path) -> dict[str, str]:
    """A clean environment: no RENOVATE_* setting of the user's, caches in the test's folder, a
    proxy on a closed loopback port."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "RENOVATE_BASE_DIR": str(home / "renovate"),
        "LOG_LEVEL": "info",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }


def run_node_script(tmp_path: Path, source: str, *args: str, stdin: str = "") -> str:
    """Run one of this module's Node.js scripts on Renovate's own code; its standard output."""
    script = Path(tempfile.mkdtemp(dir=tmp_path)) / "script.mjs"
    script.write_text(source)
    run = subprocess.run(
        [renovate_tool("node"), str(script), str(RENOVATE_DIST), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=renovate_env(tmp_path) | {"LOG_LEVEL": "warn"},
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def copy_repository(target: Path) -> Path:
    """The repository's files as a clone has them (tracked, and new ones git does not ignore),
    in a git repository of their own: Renovate's local platform lists files with git."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    return target


def edit_catalog(repository: Path) -> None:
    """Write EDITS into the copy's service files (their top-level image line) and validate."""
    for service, image in EDITS.items():
        path = repository / "catalog" / "services" / f"{service}.yaml"
        text, count = re.subn(r"^image: .*$", f"image: {image}", path.read_text(), count=1, flags=re.M)
        assert count == 1, f"{path} has no top-level image line"
        path.write_text(text)
    result = run_gen("validate", "--catalog", str(repository / "catalog"))
    assert result.exit_code == 0, result.stdout + result.stderr


class Extraction:
    """One Renovate extraction of a copy of the repository, and `gen images` of its catalog."""

    def __init__(self, repository: Path) -> None:
        report = repository.parent / "report.json"
        command = [
            *offline(),
            renovate_tool("renovate"),
            "--platform=local",
            "--dry-run=extract",
            "--report-type=file",
            f"--report-path={report}",
        ]
        env = renovate_env(repository.parent)
        run = subprocess.run(command, cwd=repository, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        self.log = run.stdout + run.stderr
        self.report = json.loads(report.read_text())["repositories"]["local"]
        listed = run_gen("images", "--catalog", str(repository / "catalog"), "--format", "json")
        assert listed.exit_code == 0, listed.stderr
        self.gen_images: list[dict[str, str | None]] = json.loads(listed.stdout)
        self.repository = repository

    def package_files(self, manager: str | None = None) -> list[dict[str, Any]]:
        files = self.report["packageFiles"]
        return [f for name, found in files.items() if manager in (None, name) for f in found]

    def image_deps(self) -> list[tuple[str, dict[str, Any]]]:
        """(package file, dependency) for each image Renovate's custom regex manager found."""
        return [(f["packageFile"], dep) for f in self.package_files("regex") for dep in f["deps"]]

    @cached_property
    def answers(self) -> list[dict[str, Any]]:
        """RENOVATE_JS's answer for each of `image_deps`, in order."""
        return ask_renovate([dep for _, dep in self.image_deps()], self.repository.parent)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Extraction:
    renovate_tool("renovate")
    return Extraction(copy_repository(tmp_path_factory.mktemp("default") / "repository"))


@pytest.fixture(scope="module")
def edited_run(tmp_path_factory: pytest.TempPathFactory) -> Extraction:
    renovate_tool("renovate")
    repository = copy_repository(tmp_path_factory.mktemp("edited") / "repository")
    edit_catalog(repository)
    return Extraction(repository)


@pytest.fixture(params=["default", "edited"])
def extraction(request: pytest.FixtureRequest) -> Extraction:
    run: Extraction = request.getfixturevalue(f"{request.param}_run")
    return run


def reference(dep: dict[str, Any]) -> str:
    """The image reference a dependency stands for, written as the catalog writes it."""
    tag = f":{dep['currentValue']}" if dep.get("currentValue") else ""
    digest = f"@{dep['currentDigest']}" if dep.get("currentDigest") else ""
    return f"{dep['depName']}{tag}{digest}"


def split(tag: str) -> tuple[str, str, str]:
    """A version tag's `v` (or ''), numbers and suffix, as generator/images/versions.py reads it."""
    found = VERSION.match(tag)
    assert found is not None, tag
    return found.group(1), found.group(2), found.group(3)


def candidates(current: str) -> list[str]:
    """Tags around `current`: releases of its series and of every neighbouring one (with or
    without `v`, a number more or less, another suffix, a pre-release), older ones, and tags
    that are no version."""
    _, digits, suffix = split(current)
    numbers = [int(n) for n in digits.split(".")]
    suffixes = {suffix, "", "-rocm", "-alpine", "-rc1", f"-rc1{suffix}", ".7"}
    tags = {"latest", "stable", "sts", "nightly"}
    for count in range(max(1, len(numbers) - 1), min(4, len(numbers) + 1) + 1):
        base = [*numbers, 0, 0, 0][:count]
        for position in range(count):
            for step in (-1, 1, 2):
                release = [*base[:position], max(0, base[position] + step), *[0] * (count - position - 1)]
                for prefix in ("", "v"):
                    for suffix in suffixes:
                        tags.add(prefix + ".".join(map(str, release)) + suffix)
    return sorted(tags)


def ask_renovate(deps: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    """RENOVATE_JS's answer for each dependency, in order."""
    queries = [
        {
            "depName": dep["depName"],
            "depType": dep["depType"],
            "versioning": dep["versioning"],
            "current": dep.get("currentValue"),
            "candidates": candidates(dep["currentValue"])
            if VERSION.match(dep.get("currentValue") or "")
            else [],
        }
        for dep in deps
    ]
    answer = run_node_script(tmp_path, RENOVATE_JS, str(ROOT / "renovate.json"), stdin=json.dumps(queries))
    answers: list[dict[str, Any]] = json.loads(answer)
    return answers


def test_the_validator_accepts_the_config(tmp_path: Path) -> None:
    run = subprocess.run(
        [renovate_tool("renovate-config-validator"), "--strict", "--no-global", str(ROOT / "renovate.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env=renovate_env(tmp_path),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "validated successfully" in run.stdout


def test_the_edited_catalog_has_every_form(edited_run: Extraction) -> None:
    images = {use["image"] for use in edited_run.gen_images}
    for form, pattern in FORMS.items():
        assert any(re.fullmatch(pattern, str(image)) for image in images), (form, sorted(map(str, images)))


def test_renovate_extracts_what_gen_images_lists(extraction: Extraction) -> None:
    """Per service file, the same references, and the registry and repository Renovate's docker
    datasource would ask are those gen asks."""
    deps, answers = extraction.image_deps(), extraction.answers
    found = set()
    for (package_file, dep), answer in zip(deps, answers, strict=True):
        host = answer["registryHost"].removeprefix("https://")
        registry = "docker.io" if host == "index.docker.io" else host
        found.add((package_file, reference(dep), registry, answer["dockerRepository"]))
    listed = {
        (f"catalog/services/{use['service']}.yaml", use["image"], use["registry"], use["repository"])
        for use in extraction.gen_images
    }
    assert found == listed
    for (_, dep), answer in zip(deps, answers, strict=True):
        # what Renovate rewrites is the reference alone (not the key, a quote or a comment)
        assert dep["replaceString"] == reference(dep)
        assert dep["datasource"] == "docker"
        # a digest without a tag is listed, never updated (gen images outdated: unversioned)
        tagged = bool(dep.get("currentValue"))
        assert (dep["depType"], answer["enabled"]) == (("image", True) if tagged else ("digest-only", False))


def test_nothing_under_dist_is_extracted(extraction: Extraction) -> None:
    compose_files = list((extraction.repository / "dist" / "stacks").glob("*/*/compose.yaml"))
    assert compose_files, "dist/ holds no compose file: this test would prove nothing"
    files = [f["packageFile"] for f in extraction.package_files()]
    assert files, extraction.log
    assert [f for f in files if f.startswith("dist/")] == []


def test_versioning_keeps_the_series_as_gen_does(extraction: Extraction) -> None:
    for (_, dep), answer in zip(extraction.image_deps(), extraction.answers, strict=True):
        current = dep.get("currentValue")
        if not current or not VERSION.match(current):
            assert answer["newer"] == [], (reference(dep), answer)
            continue
        expected = newer_tags(current, candidates(current))
        assert expected, current
        assert answer["newer"] == expected, current
        assert answer["newValue"] == expected[-1]


def test_the_reported_mixed_series_stay_apart(default_run: Extraction) -> None:
    """Renovate's docker versioning drops a leading v and so once offered v3.14.0 -> 3.15.0 and
    1.14.0 -> v1.15.0. For each version tag
    of the default catalog (v-prefixed, unprefixed, -rocm, -alpine), Renovate offers the next
    patch release of its own series and never that release's other forms."""
    offers = {
        dep["currentValue"]: answer
        for (_, dep), answer in zip(default_run.image_deps(), default_run.answers, strict=True)
        if VERSION.match(dep.get("currentValue") or "")
    }
    for shape in (r"v[0-9.]+", r"[0-9.]+", r"[0-9.]+-rocm"):
        assert any(re.fullmatch(shape, tag) for tag in offers), (shape, sorted(offers))
    for current, answer in offers.items():
        prefix, numbers, suffix = split(current)
        *head, last = numbers.split(".")
        bumped = ".".join([*head, str(int(last) + 1)])
        forms = {f"{p}{bumped}{s}" for p in ("", "v") for s in ("", suffix, "-rocm", "-alpine")}
        assert set(answer["newer"]) & forms == {f"{prefix}{bumped}{suffix}"}, (current, answer["newer"])
        assert answer["newValue"] == answer["newer"][-1]
        assert split(answer["newValue"])[0::2] == (prefix, suffix)


def test_renovate_rewrites_only_the_reference(tmp_path: Path) -> None:
    """An update pull request's edit, made by Renovate's own code: the reference alone changes
    (key, quotes and comment stay), also where another image's tag starts with the same text
    or a comment names the same reference first."""
    before = (
        "# pinned: ollama/ollama:0.32.15 as tested\n"
        "gpu:\n"
        "  amd:\n"
        f"    image: ollama/ollama:0.32.15-rocm@{DIGEST}\n"
        'image: "ollama/ollama:0.32.15"  # the cpu and nvidia image\n'
    )
    new_digest = "sha256:" + "f" * 64
    after = (
        "# pinned: ollama/ollama:0.32.15 as tested\n"
        "gpu:\n"
        "  amd:\n"
        f"    image: ollama/ollama:0.32.16-rocm@{new_digest}\n"
        'image: "ollama/ollama:0.32.16"  # the cpu and nvidia image\n'
    )
    updates = [  # in the file's order, the amd image is the first dependency
        {"depIndex": 1, "newValue": "0.32.16"},
        {"depIndex": 0, "newValue": "0.32.16-rocm", "newDigest": new_digest},
    ]
    file = "catalog/services/ollama.yaml"
    (tmp_path / "repository" / file).parent.mkdir(parents=True)
    (tmp_path / "repository" / file).write_text(before)
    args = [str(tmp_path / "repository"), file, str(ROOT / "renovate.json")]
    assert run_node_script(tmp_path, AUTO_REPLACE_JS, *args, stdin=json.dumps(updates)) == after


def commit(work: Path, author: str, message: str) -> None:
    """An empty commit whose author and committer are `author` ("Name <email>")."""
    name, _, email = author.removesuffix(">").partition(" <")
    identity = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email}
    identity |= {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    env = {**os.environ, **identity}
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=work, env=env, check=True)


def test_renovate_ignores_the_dist_commit_and_no_other(tmp_path: Path) -> None:
    """Renovate's own isBranchModified (util/git) on a branch with its commit and renovate-dist's:
    not modified with renovate.json's gitIgnoredAuthors, modified without them, and modified
    when someone else commits too. The workflow pushes with the token that starts workflows."""
    renovate_tool("node")  # missing: skip (fail under CI) before the repositories are made
    workflow = (ROOT / ".github" / "workflows" / "renovate-dist.yml").read_text()
    assert "token: ${{ secrets.RENOVATE_DIST_TOKEN || github.token }}" in workflow
    dist_name = re.search(r"DIST_AUTHOR_NAME: (\S+)", workflow)
    dist_email = re.search(r"DIST_AUTHOR_EMAIL: (\S+)", workflow)
    assert dist_name and dist_email, "renovate-dist.yml names no DIST_AUTHOR_NAME and DIST_AUTHOR_EMAIL"
    ignored = json.loads((ROOT / "renovate.json").read_text())["gitIgnoredAuthors"]

    origin, work = tmp_path / "origin.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    commit(work, "Someone <someone@example.com>", "base")
    subprocess.run(["git", "checkout", "-q", "-b", "renovate/image"], cwd=work, check=True)
    commit(work, RENOVATE_AUTHOR, "Update image")
    commit(work, f"{dist_name.group(1)} <{dist_email.group(1)}>", "Rebuild dist/ for the image update")
    subprocess.run(["git", "checkout", "-q", "-b", "renovate/edited"], cwd=work, check=True)
    commit(work, "Someone <someone@example.com>", "An edit of someone else's")
    subprocess.run(
        ["git", "push", "-q", str(origin), "main", "renovate/image", "renovate/edited"], cwd=work, check=True
    )

    def modified(ignored_authors: list[str]) -> dict[str, bool]:
        clone = Path(tempfile.mkdtemp(dir=tmp_path))
        args = [str(origin), str(clone), RENOVATE_AUTHOR, json.dumps(ignored_authors)]
        answer: dict[str, bool] = json.loads(run_node_script(tmp_path, IS_MODIFIED_JS, *args))
        return answer

    assert modified(ignored) == {"renovate/image": False, "renovate/edited": True}
    assert modified([]) == {"renovate/image": True, "renovate/edited": True}
