"""The Jinja2 environments of text-shaped outputs: shell scripts, the site's Markdown pages and
its pages written as HTML. The template's suffix chooses: .md.j2, .html.j2, anything else."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def environment(kind: str) -> jinja2.Environment:
    """`script`: values go through the sh and field filters. `markdown` (site pages): Markdown
    passes HTML through, so every value reaches them through markdown_text (HTML, attribute lists
    and links to other schemes than http(s) and mailto: stay text). `html` (site pages written as
    HTML): every value escaped, catalog prose through the `catalog` filter (its Markdown subset
    rendered, HTML shown as text)."""
    from generator.escape import markdown_code, markdown_text, record_field, sh_quoted
    from generator.render.site_html import catalog_markup, code, listing

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=kind != "html",
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=kind != "script",  # a Markdown value is Markup once finalize has made it safe
        finalize=markdown_text if kind == "markdown" else None,
        bytecode_cache=_bytecode_cache(f"templates-{kind}"),
    )
    env.filters["sh"] = sh_quoted  # inside '...' in a shell script
    env.filters["field"] = record_field  # a field of a '|'-separated record inside '...'
    env.filters["code"] = code if kind == "html" else markdown_code  # inline code on a site page
    env.filters["catalog"] = catalog_markup
    env.globals["listing"] = listing
    return env


def _bytecode_cache(name: str) -> jinja2.BytecodeCache | None:
    """Compiled templates kept beside the schema checks (Jinja keys them by the template's
    source and its own version, not by the environment: each environment has its own folder):
    compiling the scripts' templates took ~20 ms of every build."""
    from generator.codecache import subfolder

    folder = subfolder(name)
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder else None


def render_text(template_name: str, **values: Any) -> str:
    kind = (
        "markdown"
        if template_name.endswith(".md.j2")
        else "html"
        if template_name.endswith(".html.j2")
        else "script"
    )
    return environment(kind).get_template(template_name).render(**values)
