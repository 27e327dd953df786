"""The catalog editor: located edits on the files' text, the rest of the file byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from generator.editor import CatalogEditor, EditRefused

SERVICE = """\
# yaml-language-server: $schema=../../schemas/service.schema.json
id: web   # the id
description: |
  Pulls image: old:1 from the registry.
image: old:1  # pinned by hand
gpu:
  nvidia: {image: 'old:1-cuda', count: 1}
  amd:
    image: "old:1-rocm"
"""


def _editor(tmp_path: Path, text: str = SERVICE) -> CatalogEditor:
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "web.yaml").write_text(text)
    return CatalogEditor(tmp_path)


def test_only_the_value_changes_in_the_style_it_was_written(tmp_path: Path) -> None:
    editor = _editor(tmp_path)
    edits = [
        editor.set_scalar("services/web.yaml", ("image",), "new:2"),
        editor.set_scalar("services/web.yaml", ("gpu", "nvidia", "image"), "new:2-cuda"),
        editor.set_scalar("services/web.yaml", ("gpu", "amd", "image"), "new:2-rocm"),
    ]
    assert [(e.line, e.old, e.new) for e in edits if e] == [
        (5, "old:1", "new:2"),
        (7, "old:1-cuda", "new:2-cuda"),
        (9, "old:1-rocm", "new:2-rocm"),
    ]
    expected = (
        SERVICE.replace("image: old:1  #", "image: new:2  #")
        .replace("'old:1-cuda'", "'new:2-cuda'")
        .replace('"old:1-rocm"', '"new:2-rocm"')
    )
    assert "Pulls image: old:1 from" in expected  # the description's text is data, not an image
    assert editor.overlay == {"services/web.yaml": expected}
    assert (tmp_path / "services" / "web.yaml").read_text() == SERVICE  # nothing written yet
    assert "-image: old:1  # pinned by hand\n+image: new:2  # pinned by hand\n" in editor.diff()
    assert editor.write() == ["services/web.yaml"]
    assert (tmp_path / "services" / "web.yaml").read_text() == expected


def test_a_value_the_plain_style_would_misread_is_quoted(tmp_path: Path) -> None:
    editor = _editor(tmp_path)
    for value in ("1.0", "yes: no", "a #b", "'quoted'", "null", "ünï ✓"):
        editor.set_scalar("services/web.yaml", ("image",), value)
        assert YAML(typ="safe").load(editor.text("services/web.yaml"))["image"] == value
    assert editor.set_scalar("services/web.yaml", ("image",), "ünï ✓") is None  # already so


def test_a_value_a_merge_key_brings_is_edited_where_it_is_written(tmp_path: Path) -> None:
    text = "base: &base\n  image: old:1\nid: web\n<<: *base\n"
    editor = _editor(tmp_path, text)
    edit = editor.set_scalar("services/web.yaml", ("image",), "new:2")
    assert edit is not None and edit.line == 2
    assert editor.text("services/web.yaml") == text.replace("old:1", "new:2")


@pytest.mark.parametrize(
    ("text", "keys", "why"),
    [
        ("image: |\n  old:1\n", ("image",), "not a one-line value"),
        ("image: [old:1]\n", ("image",), "not a one-line value"),
        ("id: web\n", ("gpu", "amd", "image"), "not found"),
        ("gpu: old\n", ("gpu", "amd", "image"), "not found"),
    ],
)
def test_an_edit_it_cannot_place_is_refused_with_its_place(
    tmp_path: Path, text: str, keys: tuple[str, ...], why: str
) -> None:
    editor = _editor(tmp_path, text)
    with pytest.raises(EditRefused, match=f"web.yaml: {'.'.join(keys)}: {why}"):
        editor.set_scalar("services/web.yaml", keys, "new:2")
    assert editor.overlay == {}


def test_whole_files_are_put_and_dropped(tmp_path: Path) -> None:
    editor = _editor(tmp_path)
    editor.put("services/new.yaml", "id: new\n")
    editor.put("services/web.yaml", SERVICE)  # the same text: no change
    assert editor.overlay == {"services/new.yaml": "id: new\n"}
    editor.drop("services/new.yaml")
    assert editor.overlay == {} and editor.write() == []
    assert not (tmp_path / "services" / "new.yaml").exists()
