"""Where the package's data files live: installed inside the package, or in the source tree."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def schemas_dir() -> Path:
    installed = PACKAGE_DIR / "_schemas"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "schemas"
