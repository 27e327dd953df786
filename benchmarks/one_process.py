"""`gen` with its second process turned off: the yardstick for generator/parallel.py.

Usage: python benchmarks/one_process.py build --catalog DIR --out DIR (any `gen` arguments)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generator.catalog.loader as loader
import generator.render as render
from generator.cli import main


def _never(items: int, threshold: int) -> bool:
    return False


for module in (loader, render):  # where the catalog is read and the artifacts are rendered
    module.__dict__["worth_it"] = _never
if __name__ == "__main__":
    sys.argv = ["gen", *sys.argv[1:]]
    main()
