"""`gen` with one speed feature replaced by its plain twin: the yardstick each feature is measured
against (benchmarks/speed_features.py).

Usage: python benchmarks/plain_twin.py FEATURE|none build --catalog DIR --out DIR (any `gen` arguments)

Each twin is what the code would be without the feature, doing the same work:
- yaml-emitter: PyYAML's emitter (its C emitter where installed) instead of render/yaml_text.py;
- fast-reader: ruamel.yaml's round-trip loader, which the loader also uses for line numbers,
  instead of catalog/fastyaml.py (libyaml with YAML 1.2 rules);
- schema-cache: the schema checks generated and compiled at every run (GEN_CACHE_DIR empty);
- html-pages: the generated pages handed to mkdocs whole, so that its Markdown reads every
  page's body (a hand-written page's path) instead of only its title.
"none" runs `gen` through this same script unchanged: the other side of each comparison (both
sides import every module of generator.catalog and generator.render first).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _import_all(*packages: str) -> None:
    """The packages' modules, so that every reference to a feature can be swapped."""
    for name in packages:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            importlib.import_module(info.name)


def _swap(original: object, twin: object) -> None:
    """Every generator module's name for `original` now names `twin`."""
    for module in list(sys.modules.values()):
        if module is not None and module.__name__.startswith("generator"):
            for name, value in list(vars(module).items()):
                if value is original:
                    setattr(module, name, twin)


def yaml_emitter() -> None:
    import yaml

    import generator.render.yaml_text

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def pyyaml(data: Any, header: str = "") -> bytes:
        text: str = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=10**9)
        return (header + text).encode("utf-8")

    _swap(generator.render.yaml_text.to_yaml, pyyaml)


def fast_reader() -> None:
    import generator.catalog.fastyaml
    import generator.catalog.loader as loader

    def ruamel(text: str) -> Any:
        return loader.plain(loader._yaml().load(text))

    _swap(generator.catalog.fastyaml.load, ruamel)


def schema_cache() -> None:
    os.environ["GEN_CACHE_DIR"] = ""


def html_pages() -> None:
    import generator.sitebuild as sitebuild

    html_generated = sitebuild._generated_files

    def markdown_generated(catalog_dir: Path, source_dir: Path) -> Any:
        site_url, nav, generated, pages = html_generated(catalog_dir, source_dir)
        for path, page in pages.items():
            generated[path] = page.stub() + "\n" + page.body + "\n"
        return site_url, nav, generated, {}

    sitebuild._generated_files = markdown_generated


TWINS: dict[str, Callable[[], None]] = {
    "yaml-emitter": yaml_emitter,
    "fast-reader": fast_reader,
    "schema-cache": schema_cache,
    "html-pages": html_pages,
}

if __name__ == "__main__":
    feature, arguments = sys.argv[1], sys.argv[2:]
    # both sides of a comparison import the same modules: a twin's swap needs them all
    _import_all("generator.catalog", "generator.render")
    if feature != "none":
        TWINS[feature]()
    from generator.cli import main

    sys.argv = ["gen", *arguments]
    main()
