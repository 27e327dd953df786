"""Files that are not what they seem: links out of the catalog, a link where secrets go."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_gen


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
