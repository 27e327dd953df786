"""The cache of compiled schema checks: reused when nothing changed, never trusted blindly."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from generator import codecache
from generator.catalog import schema
from generator.resources import schemas_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def make(calls: list[str], value: int) -> str:
    calls.append("made")
    return f"ANSWER = {value}\n"


def answer(code: object) -> int:
    namespace: dict[str, int] = {}
    exec(code, namespace)  # type: ignore[arg-type]
    return namespace["ANSWER"]


def test_code_is_made_once_then_read_back(cache: Path) -> None:
    calls: list[str] = []
    first = codecache.compiled("demo", "k1", lambda: make(calls, 1))
    second = codecache.compiled("demo", "k1", lambda: make(calls, 1))
    assert answer(first) == answer(second) == 1
    assert calls == ["made"]
    assert [p.name for p in cache.iterdir()] == ["demo-k1.marshal"]


def test_a_new_key_replaces_the_old_entry(cache: Path) -> None:
    calls: list[str] = []
    codecache.compiled("demo", "k1", lambda: make(calls, 1))
    codecache.compiled("other", "k1", lambda: make(calls, 3))
    assert answer(codecache.compiled("demo", "k2", lambda: make(calls, 2))) == 2
    assert sorted(p.name for p in cache.iterdir()) == ["demo-k2.marshal", "other-k1.marshal"]


@pytest.mark.parametrize("content", [b"", b"not marshal data", marshal.dumps({"a": 1})])
def test_a_damaged_or_foreign_entry_is_made_again(cache: Path, content: bytes) -> None:
    cache.mkdir()
    (cache / "demo-k1.marshal").write_bytes(content)
    calls: list[str] = []
    assert answer(codecache.compiled("demo", "k1", lambda: make(calls, 1))) == 1
    assert calls == ["made"]
    assert answer(marshal.loads((cache / "demo-k1.marshal").read_bytes())) == 1


@pytest.mark.parametrize("shared", ["folder", "file"])
def test_code_others_could_write_is_never_loaded(cache: Path, shared: str) -> None:
    """A cache folder, or an entry, that someone else may write is not trusted (Python's rule
    for .pyc files): a planted entry is not run, and no code is stored where it could be."""
    cache.mkdir(mode=0o700)
    planted = cache / "demo-k1.marshal"
    planted.write_bytes(marshal.dumps(compile("ANSWER = 666\n", "<planted>", "exec")))
    (cache if shared == "folder" else planted).chmod(0o777 if shared == "folder" else 0o666)
    calls: list[str] = []
    assert answer(codecache.compiled("demo", "k1", lambda: make(calls, 1))) == 1
    assert calls == ["made"]
    if shared == "folder":
        assert answer(marshal.loads(planted.read_bytes())) == 666  # left alone, never run
        assert codecache.subfolder("templates") is None


def test_an_unwritable_folder_only_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("GEN_CACHE_DIR", str(blocker / "cache"))
    calls: list[str] = []
    for _ in range(2):
        assert answer(codecache.compiled("demo", "k1", lambda: make(calls, 1))) == 1
    assert calls == ["made", "made"]


def test_an_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEN_CACHE_DIR", "")
    assert codecache.cache_dir() is None
    monkeypatch.delenv("GEN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert codecache.cache_dir() == Path("/somewhere/gen")


def test_the_key_covers_every_schema_and_the_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import sys

    assert codecache.digest([b"a", b"bc"]) != codecache.digest([b"ab", b"c"])
    assert len(schema._cache_key()) == 32
    schemas = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), schemas)
    monkeypatch.setattr(schema, "schemas_dir", lambda: schemas)
    schema._cache_key.cache_clear()
    before = schema._cache_key()
    pool = schemas / "pool.schema.json"
    pool.write_text(pool.read_text().replace('"title"', '"title" ', 1))
    schema._cache_key.cache_clear()
    assert schema._cache_key() != before  # any schema edit gives new code a new name
    same_input = codecache.digest([b"x"])
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert codecache.digest([b"x"]) != same_input  # another interpreter: marshal data differs
    schema._cache_key.cache_clear()


def test_cached_schema_checks_give_the_same_verdicts(cache: Path) -> None:
    document = {"id": "tank", "title": "Tank"}
    fresh = schema._compiled("pool", lambda: schema.bundle(schema.load_schema("pool.schema.json")))
    assert any(cache.glob("check-pool-*.marshal"))
    cached = schema._compiled("pool", lambda: pytest.fail("the cached code was not used"))
    for check in (fresh, cached):
        assert schema.passes(check, document)
        assert not schema.passes(check, {**document, "id": "Not An Id"})
        assert not schema.passes(check, {"title": "no id"})


def test_templates_are_compiled_once_into_the_same_folder(cache: Path) -> None:
    import jinja2

    from generator.render import text

    bytecode = text._bytecode_cache("templates")
    assert isinstance(bytecode, jinja2.FileSystemBytecodeCache)
    environment = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ x }}!"}), bytecode_cache=bytecode)
    assert environment.get_template("t").render(x="hi") == "hi!"
    assert len(list((cache / "templates").iterdir())) == 1
    fresh = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ x }}?"}), bytecode_cache=bytecode)
    assert fresh.get_template("t").render(x="hi") == "hi?"  # a changed source is compiled again


def test_no_template_cache_when_caching_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.render import text

    monkeypatch.setenv("GEN_CACHE_DIR", "")
    assert text._bytecode_cache("templates") is None
