"""The yardstick for `gen site build`: plain mkdocs-material building as many simple pages.

Usage: python benchmarks/site_yardstick.py --pages 1262 --out /tmp/yardstick  (then
`mkdocs build -f /tmp/yardstick/mkdocs.yml`). The site's own configuration (theme, features,
Markdown extensions, the search plugin), a home page in the nav and the other pages kept out of
it (`not_in_nav`, as `gen site build` keeps a large catalog's pages), each a simple Markdown page:
a heading, two paragraphs, a five-row table and a ten-line code block.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
PAGE = """# Page {number}

A simple page of the yardstick site, number {number}. It has a paragraph of plain text with a
[link to the home page](../../index.md), some **bold** and some `code` in it.

A second paragraph, so that the page has about as much prose as a short reference page.

| name | value | about |
|---|---|---|
| one | 1 | the first row |
| two | 2 | the second row |
| three | 3 | the third row |
| four | 4 | the fourth row |
| five | 5 | the fifth row |

```text
line 1 of a code block
line 2 of a code block
line 3 of a code block
line 4 of a code block
line 5 of a code block
line 6 of a code block
line 7 of a code block
line 8 of a code block
line 9 of a code block
line 10 of a code block
```
"""


def write(pages: int, out: Path) -> Path:
    """Write the yardstick project into `out` (replaced); returns its mkdocs.yml."""
    if out.exists():
        shutil.rmtree(out)
    docs = out / "docs"
    (docs / "pages").mkdir(parents=True)
    shutil.copytree(ROOT / "site" / "assets", docs / "assets")
    (docs / "index.md").write_text("# Home\n\nThe yardstick site.\n")
    for number in range(1, pages):
        (docs / "pages" / f"page-{number}.md").write_text(PAGE.format(number=number))
    yaml = YAML(typ="unsafe", pure=True)  # the site's config names a Python function (a fence format)
    config = yaml.load((ROOT / "mkdocs.yml").read_text())
    config.update(docs_dir="docs", site_dir="site", nav=[{"Home": "index.md"}], not_in_nav="/pages/**\n")
    # plain mkdocs-material: the site's plugins but gen's own, which would read a catalog
    config["plugins"] = [p for p in config["plugins"] if not (isinstance(p, dict) and "gen-catalog" in p)]
    config.pop("strict", None)
    with (out / "mkdocs.yml").open("w") as stream:
        yaml.dump(config, stream)
    return out / "mkdocs.yml"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(f"wrote {write(args.pages, args.out)}")


if __name__ == "__main__":
    main()
