"""Files and faults: links out of the catalog, a link where secrets go or as the output folder,
an output folder holding the catalog, concurrent builds into one folder."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.components import missing
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen


def test_a_catalog_file_linking_outside_is_refused_unread(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy()
    secret = tmp_path / "private.txt"
    secret.write_text("root:SECRET-HASH:19000:0:99999:7:::\n")
    (catalog / "services" / "evil.yaml").symlink_to(secret)
    (catalog / "stacks" / "inside.yaml").symlink_to(catalog / "stacks" / "ai.yaml")  # inside: read
    result = run_gen("validate", "--catalog", str(catalog))
    assert result.exit_code == 1
    assert "catalog/services/evil.yaml:1:1: error: 'evil.yaml' is a link to a file outside the catalog" in (
        result.stderr
    )
    assert "SECRET-HASH" not in result.stderr + result.stdout
    assert "inside.yaml" in result.stderr  # read: its id differs from its name, a normal message


def test_gen_secrets_never_writes_through_a_link(catalog_copy: Callable[..., Path], tmp_path: Path) -> None:
    catalog = catalog_copy()
    target = tmp_path / "elsewhere.txt"
    target.write_text("untouched\n")
    target.chmod(0o644)
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "ai.env").symlink_to(target)
    result = run_gen("secrets", "ai", "--catalog", str(catalog), "--dir", str(folder))
    assert result.exit_code == 1
    assert "is a symbolic link" in result.stderr
    assert target.read_text() == "untouched\n" and stat.S_IMODE(target.stat().st_mode) == 0o644
    (folder / "ai.env").unlink()
    assert run_gen("secrets", "ai", "--catalog", str(catalog), "--dir", str(folder)).exit_code == 0
    written = folder / "ai.env"
    assert not written.is_symlink() and stat.S_IMODE(written.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["ai.env"]  # no temporary file left
    first = written.read_text()
    assert run_gen("secrets", "ai", "--catalog", str(catalog), "--dir", str(folder)).exit_code == 0
    assert written.read_text() == first  # values already there are kept


def _gen(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gen"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_builds_into_one_folder_take_turns(tmp_path: Path) -> None:
    out = tmp_path / "out"
    builds = [_gen("build", "--catalog", str(DEFAULT_CATALOG), "--out", str(out)) for _ in range(4)]
    results = [(b.wait(timeout=300), b.stderr.read() if b.stderr else "") for b in builds]
    assert all(code == 0 for code, _ in results), results
    expected = run_gen("build", "--catalog", str(DEFAULT_CATALOG), "--out", str(tmp_path / "one"))
    assert expected.exit_code == 0
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == sorted(
        str(p.relative_to(tmp_path / "one")) for p in (tmp_path / "one").rglob("*") if p.is_file()
    )
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["one", "out"]


def test_an_output_folder_holding_the_catalog_is_refused(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run_gen("build", "--catalog", str(catalog_copy()), "--out", str(out)).exit_code == 0
    catalog = out / "mycatalog"  # the catalog moved into an earlier build's output
    (tmp_path / "catalog").rename(catalog)
    before = sorted(str(p) for p in catalog.rglob("*"))
    for target in (out, catalog, catalog / "build"):
        result = run_gen("build", "--catalog", str(catalog), "--out", str(target))
        assert result.exit_code == 1 and "overlap" in result.stderr, result.stderr
    assert sorted(str(p) for p in catalog.rglob("*")) == before


def test_an_output_folder_that_is_a_link_is_refused(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy()
    real = tmp_path / "real-out"
    real.mkdir()
    (tmp_path / "linked-out").symlink_to(real)
    result = run_gen("build", "--catalog", str(catalog), "--out", str(tmp_path / "linked-out"))
    assert result.exit_code == 1 and "is a symbolic link" in result.stderr
    assert list(real.iterdir()) == []


def test_files_too_big_too_deep_or_too_expanded_are_refused_quickly(
    catalog_copy: Callable[..., Path],
) -> None:
    catalog = catalog_copy()
    services = catalog / "services"
    bomb = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (services / "bomb.yaml").write_text("\n".join(bomb) + "\n")  # 9^10 values, in 800 bytes
    (services / "deep.yaml").write_text("id: deep\nx: " + "[" * 10000 + "]" * 10000 + "\n")
    (services / "blocks.yaml").write_text(
        "".join(f"{'  ' * n}k{n}:\n" for n in range(70)) + f"{'  ' * 70}v\n"
    )
    with (services / "huge.yaml").open("w") as stream:
        stream.write("id: huge\ndescription: |\n")
        stream.writelines("  " + "x" * 1000 + "\n" for _ in range(2000))
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "gen"), "validate", "--catalog", str(catalog)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = {
        line.split(":")[0].rsplit("/", 1)[-1]: line for line in result.stderr.splitlines() if "error:" in line
    }
    assert "values once its aliases (*name) are expanded" in errors["bomb.yaml"]
    assert "nested more than 64 levels deep" in errors["deep.yaml"]
    assert "nested more than 64 levels deep" in errors["blocks.yaml"]
    assert "a catalog file may have at most 1048576" in errors["huge.yaml"]


def test_check_and_diff_never_follow_links_in_the_output(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy()
    out = tmp_path / "out"
    assert run_gen("build", "--catalog", str(catalog), "--out", str(out)).exit_code == 0
    private = tmp_path / "private"
    private.mkdir()
    (private / "key").write_text("PRIVATE-KEY-MATERIAL\n")
    built = next(p for p in out.rglob("compose.yaml"))
    built.unlink()
    built.symlink_to(private / "key")
    (out / "stacks" / "linked").symlink_to(private)
    diff = run_gen("build", "--catalog", str(catalog), "--out", str(out), "--diff")
    assert "PRIVATE-KEY-MATERIAL" not in diff.stdout + diff.stderr
    assert "a symbolic link to" in diff.stdout
    check = run_gen("build", "--catalog", str(catalog), "--out", str(out), "--check")
    assert check.exit_code == 1 and "PRIVATE" not in check.stdout + check.stderr
    assert run_gen("build", "--catalog", str(catalog), "--out", str(out)).exit_code == 0
    assert not built.is_symlink() and not (out / "stacks" / "linked").exists()
    assert (private / "key").read_text() == "PRIVATE-KEY-MATERIAL\n"


def _odd_client() -> SimpleNamespace:
    """A Docker client whose answers lack the keys the Engine API documents (a proxy, an old or
    foreign engine): empty or half-filled objects everywhere."""
    container = SimpleNamespace(
        name="odd\x1b[31m",
        status="running",
        labels={"ai-stack.service": "ollama", "ai-stack.stack": "ai"},
        attrs={"Config": {}, "HostConfig": None},
    )

    def missing_image(_name: str) -> object:
        raise KeyError("Id")

    return SimpleNamespace(
        version=dict,
        info=lambda: {"NCPU": "many"},
        networks=SimpleNamespace(list=lambda **_: [SimpleNamespace(name="x", attrs={"IPAM": None})]),
        containers=SimpleNamespace(list=lambda **_: [container]),
        images=SimpleNamespace(get=missing_image),
    )


def test_doctor_and_drift_tolerate_answers_missing_their_keys() -> None:
    from generator.catalog import load_catalog
    from generator.hosts.doctor import run_doctor
    from generator.hosts.drift import run_drift
    from generator.hosts.report import checks_text, findings_text
    from generator.plan import plan as make_plan

    catalog = load_catalog(DEFAULT_CATALOG)
    checks = run_doctor(
        _odd_client(), make_plan(catalog), [catalog.stacks["ai"]], "cpu", {"OLLAMA_CPUS": "lots"}
    )
    unchecked = [c for c in checks if c.message.startswith("could not check: an unexpected answer")]
    assert unchecked and all(c.status == "warn" for c in unchecked)  # reported, and the rest went on
    assert {c.name for c in checks} >= {"engine", "compose", "images"}
    assert "\x1b" not in checks_text(checks)
    findings = run_drift(_odd_client(), make_plan(catalog), ["ai"], None)
    ollama = next(f for f in findings if f.service == "ollama")
    assert ollama.differences[0].startswith("could not compare")
    assert "\x1b" not in findings_text(findings)


def test_import_refuses_each_template_of_the_wrong_shape_and_bounds_the_file(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog_copy()
    templates = [
        {"type": 1, "title": "Ports", "image": "nginx:1", "ports": 8080},
        {"type": 1, "title": "Categories", "image": "nginx:1", "categories": 5},
        {"type": 1, "title": "Select", "image": "nginx:1", "env": [{"name": "X", "select": ["a"]}]},
        {"type": 3, "title": "Repository", "repository": "str"},
        {"type": 1, "title": ["List"], "image": 5},
        {"type": 1, "title": "Fine", "image": "nginx:1.27"},
    ]
    file = tmp_path / "odd.json"
    file.write_text(json.dumps({"version": "3", "templates": templates}))
    result = run_gen("import", "portainer", str(file), "--format", "json")
    assert result.exit_code == 0, result.stderr
    outcomes = json.loads(result.stdout)["templates"]
    assert [o["status"] for o in outcomes] == ["refused"] * 5 + ["mapped"]
    assert outcomes[0]["reason"] == "'ports' is an integer; Portainer's format has a list there"
    assert outcomes[3]["reason"] == "'repository' is a string; Portainer's format has an object there"
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    long_number = tmp_path / "long.json"
    long_number.write_text('{"version": "3", "templates": [{"type": 1, "id": 1' + "0" * 5000 + "}]}")
    for path, message in (
        (deep, "nested too deeply"),
        (Path("/dev/zero"), "larger than"),
        (long_number, "a number too long"),
    ):
        refused = run_gen("import", "portainer", str(path))
        assert refused.exit_code == 1 and message in refused.stderr


def test_import_flags_settings_that_control_the_host(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy()
    template = {
        "type": 1,
        "title": "Agent",
        "name": "agent",
        "image": "example/agent:1.0",
        "privileged": True,
        "network": "host",
        "volumes": [
            {"container": "/var/run/docker.sock", "bind": "/var/run/docker.sock", "readonly": True},
            {"container": "/host/etc", "bind": "/etc"},
            {"container": "/data", "bind": "/srv/agent"},
        ],
    }
    file = tmp_path / "agent.json"
    file.write_text(json.dumps({"version": "3", "templates": [template]}))
    result = run_gen("import", "portainer", str(file))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("DANGER") == 4
    assert "DANGER privileged: every device and capability of the host: not carried" in result.stdout
    assert (
        "the socket /var/run/docker.sock" in result.stdout
        and "/etc: the host's configuration" in result.stdout
    )
    written = (catalog / "services" / "agent.yaml").read_text()
    assert "privileged" not in written and "docker.sock" not in written and "/etc" not in written
    assert "/srv/agent" in written  # an ordinary bind is kept
    kept = run_gen("import", "portainer", str(file), "--force", "--allow-dangerous", "--format", "json")
    assert kept.exit_code == 0, kept.stderr
    outcome = json.loads(kept.stdout)["templates"][0]
    assert len(outcome["dangers"]) == 4 and all(
        "kept (--allow-dangerous)" in d or "network" in d for d in outcome["dangers"]
    )
    written = (catalog / "services" / "agent.yaml").read_text()
    assert "privileged" in written and "docker.sock" in written
    # kept, but the catalog does not validate (nor build) until someone writes the reasons
    refused = run_gen("validate")
    assert refused.exit_code == 1
    unreviewed = [line for line in refused.stderr.splitlines() if "UNREVIEWED: " in line]
    assert len(unreviewed) == 3, refused.stderr  # privileged, the socket, /etc read-write
    assert all(line.startswith("catalog/services/agent.yaml:") for line in unreviewed)
    assert "replace the reason with why this service needs it" in unreviewed[0]
    reviewed = written.replace("UNREVIEWED:", "Reviewed: the agent manages the containers of this host;")
    (catalog / "services" / "agent.yaml").write_text(reviewed)
    assert run_gen("validate").exit_code == 0


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs of its own (root mounts it): room for a small output, not a large one."""
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mountpoint)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        missing(f"cannot mount a small tmpfs here (root needed): {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.root
def test_a_full_or_read_only_disk_is_one_line_and_the_previous_output_stays_whole(
    small_filesystem: Path,
) -> None:
    from tests.conftest import MINIMAL

    out = small_filesystem / "dist"
    first = run_gen("build", "--catalog", str(MINIMAL), "--out", str(out))
    assert first.exit_code == 0, first.stderr
    before = _tree(out)
    full = run_gen("build", "--catalog", str(DEFAULT_CATALOG), "--out", str(out))  # ~500 KiB: no room
    assert full.exit_code == 1
    assert full.stderr.strip().splitlines() == [
        f"error: could not write {out}: No space left on device; the previous output is unchanged"
    ]
    assert _tree(out) == before
    assert sorted(p.name for p in small_filesystem.iterdir()) == ["dist"]  # no staging folder left
    (small_filesystem / "secrets").mkdir()
    with (small_filesystem / "filler").open("wb", buffering=0) as filler:  # the disk is full now
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass
    secrets = run_gen(
        "secrets", "--catalog", str(DEFAULT_CATALOG), "--dir", str(small_filesystem / "secrets")
    )
    assert secrets.exit_code == 1
    assert "No space left on device" in secrets.stderr and len(secrets.stderr.strip().splitlines()) == 1
    assert [p.stat().st_size for p in (small_filesystem / "secrets").iterdir()] in ([], [0])
    (small_filesystem / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    unchanged = run_gen("build", "--catalog", str(MINIMAL), "--out", str(out))
    assert unchanged.exit_code == 0 and "nothing changed" in unchanged.stdout  # nothing to write
    read_only = run_gen("build", "--catalog", str(DEFAULT_CATALOG), "--out", str(out))
    assert read_only.exit_code == 1
    assert "Read-only file system" in read_only.stderr and len(read_only.stderr.strip().splitlines()) == 1
    assert _tree(out) == before


def test_an_env_file_that_is_not_text_is_left_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    folder.mkdir()
    garbled = b"\xff\xfe\x00PASSWORD=kept"
    (folder / "ai.env").write_bytes(garbled)
    result = run_gen("secrets", "--catalog", str(DEFAULT_CATALOG), "--dir", str(folder), "ai")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"error: cannot read the env file {folder / 'ai.env'}: it is not UTF-8 text; it is left as it is"
    )
    assert (folder / "ai.env").read_bytes() == garbled


def test_output_below_a_file_is_refused_in_one_line(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog_copy(DEFAULT_CATALOG)
    (tmp_path / "a-file").write_text("x")
    result = run_gen("build", "--out", "a-file/dist")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: cannot write a-file/dist: a-file is a file, not a folder"


def test_a_fifo_in_the_previous_output_is_replaced_not_read(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """Reading a FIFO waits for a writer forever: --check, --diff and the build never read one
    (a real `gen` process with a time limit, so a regression fails instead of hanging)."""
    catalog_copy(DEFAULT_CATALOG)
    assert run_gen("build", "--out", "out").exit_code == 0
    (tmp_path / "out" / "templates.json").unlink()
    os.mkfifo(tmp_path / "out" / "templates.json")
    gen = [
        str(ROOT / ".venv" / "bin" / "gen") if (ROOT / ".venv").is_dir() else "gen",
        "build",
        "--out",
        "out",
    ]
    for extra, code in ((["--check"], 1), (["--diff"], 0), ([], 0)):
        finished = subprocess.run([*gen, *extra], capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert finished.returncode == code, finished.stderr
    assert stat.S_ISREG((tmp_path / "out" / "templates.json").lstat().st_mode)


def test_an_unreadable_file_or_folder_is_a_located_error(
    catalog_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As another user meets a file or folder of mode 0600/0700 (root reads everything, so the
    refusal is the operating system's answer, played back)."""
    catalog = catalog_copy(DEFAULT_CATALOG)
    real_read, real_iterdir = Path.read_bytes, Path.iterdir

    def read_bytes(path: Path) -> bytes:
        if path.name == "ollama.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    def iterdir(path: Path) -> Any:
        if path.name == "roles":
            raise PermissionError(13, "Permission denied", str(path))
        return real_iterdir(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "iterdir", iterdir)
    result = run_gen("validate", "--catalog", str(catalog))
    assert result.exit_code == 1
    assert (
        "catalog/services/ollama.yaml:1:1: error: the file cannot be read: Permission denied" in result.stderr
    )
    assert "catalog/roles:1:1: error: the folder roles/ cannot be read: Permission denied" in result.stderr


def test_replacing_a_catalog_file_writes_through_no_planted_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gen import and gen images pin replace a catalog file through a temporary file beside it:
    a link planted at the temporary's name (a dot-file validate ignores) is never written through."""
    from generator import writer

    folder = tmp_path / "catalog" / "services"
    folder.mkdir(parents=True)
    target = tmp_path / "outside.txt"
    target.write_text("keep me")
    names = iter(["planted", "fresh", "backup"])  # the last: a link to the old file, until done
    monkeypatch.setattr("generator.writer.secrets.token_hex", lambda _: next(names))
    (folder / f"{writer.TEMP_PREFIX}ollama.yaml-planted").symlink_to(target)
    (folder / "ollama.yaml").symlink_to(target)  # the file itself a link: replaced, not followed
    writer.replace_file(folder / "ollama.yaml", b"id: ollama\n")
    assert target.read_text() == "keep me"
    assert (folder / "ollama.yaml").read_bytes() == b"id: ollama\n"
    assert not (folder / "ollama.yaml").is_symlink()
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{writer.TEMP_PREFIX}ollama.yaml-planted",
        "ollama.yaml",
    ]


def _templates_file(folder: Path, *titles: str) -> Path:
    file = folder / "templates.json"
    templates = [{"type": 1, "title": title, "image": "nginx:1.27"} for title in titles]
    file.write_text(json.dumps({"version": "3", "templates": templates}))
    return file


@pytest.mark.root
def test_an_import_that_cannot_write_writes_nothing(small_filesystem: Path, tmp_path: Path) -> None:
    from tests.conftest import MINIMAL

    catalog = small_filesystem / "catalog"
    shutil.copytree(MINIMAL, catalog)
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    result = run_gen("import", "portainer", str(_templates_file(tmp_path, "Web One", "Web Two")),
                     "--catalog", str(catalog))  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: could not write services/web-one.yaml, services/web-two.yaml: "
        "Read-only file system; the catalog is unchanged"
    ]


def test_several_files_are_replaced_all_or_none(tmp_path: Path) -> None:
    """gen import and gen images pin write their files in one step: when one cannot be put in
    place, those already in place are put back (here the second path is a folder)."""
    from generator import writer

    (tmp_path / "a.yaml").write_text("old\n")
    (tmp_path / "b.yaml").mkdir()
    (tmp_path / "b.yaml" / "inside").write_text("x")
    with pytest.raises(OSError):
        writer.replace_files(
            {tmp_path / "a.yaml": b"new\n", tmp_path / "new.yaml": b"new\n", tmp_path / "b.yaml": b"new\n"}
        )
    assert (tmp_path / "a.yaml").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.yaml",
        "b.yaml",
    ]  # nothing new, no temporary file
    writer.replace_files({tmp_path / "a.yaml": b"new\n", tmp_path / "c.yaml": b"c\n"})
    assert (tmp_path / "a.yaml").read_text() == "new\n" and (tmp_path / "c.yaml").read_text() == "c\n"


def test_an_import_reads_no_dot_file_of_the_catalog(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """It validates through the loader, which leaves dot-files out: one that links to
    /dev/zero would fill the disk (a real `gen` process with a time limit)."""
    catalog = catalog_copy()
    (catalog / ".zero").symlink_to("/dev/zero")
    (catalog / "services" / ".loop").symlink_to(catalog / "services" / ".loop")
    gen = str(ROOT / ".venv" / "bin" / "gen") if (ROOT / ".venv").is_dir() else "gen"
    command = [
        gen,
        "import",
        "portainer",
        str(_templates_file(tmp_path, "Web One")),
        "--catalog",
        str(catalog),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert (catalog / "services" / "web-one.yaml").is_file()


def test_secrets_are_never_written_where_gen_publishes(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """Inside the docs site's source the next `gen site build` would publish them; inside a build
    output, a commit of dist/ would."""
    catalog_copy(DEFAULT_CATALOG)
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    (tmp_path / "site").mkdir()
    assert run_gen("build", "--catalog", "catalog", "--out", "dist").exit_code == 0
    for folder in ("site/secrets", "dist/secrets", "dist"):
        result = run_gen("secrets", "--catalog", "catalog", "--dir", folder)
        assert result.exit_code == 2 and "keep secrets outside it" in result.stderr, folder
        assert not (tmp_path / folder / "ai.env").exists()
    assert run_gen("secrets", "--catalog", "catalog", "--dir", "secrets").exit_code == 0


def test_outputs_are_never_written_inside_one_another(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """The build output inside the docs source or a built site would be published twice (or
    replaced by the next site build); the site inside the build output or the catalog would be
    swept away by the next build or read as catalog files."""
    catalog_copy(DEFAULT_CATALOG)
    (tmp_path / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text())
    shutil.copytree(ROOT / "site", tmp_path / "site")
    assert run_gen("build", "--catalog", "catalog", "--out", "dist").exit_code == 0
    for out in ("site/dist", "catalog/dist"):
        result = run_gen("build", "--catalog", "catalog", "--out", out)
        assert result.exit_code != 0 and "choose an" in result.stderr and "--out" in result.stderr, out
        assert not (tmp_path / out).exists()
    for out in ("dist/site", "dist", "catalog/site", "site/built"):
        result = run_gen("site", "build", "--catalog", "catalog", "--out", out)
        assert result.exit_code != 0 and "choose an --out outside it" in result.stderr, (out, result.stderr)
    assert not (tmp_path / "dist" / "site").exists() and not (tmp_path / "site" / "built").exists()
