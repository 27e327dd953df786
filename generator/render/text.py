"""The one Jinja2 environment, for text-shaped outputs (shell scripts, Markdown)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def environment(markdown: bool = False) -> jinja2.Environment:
    """Scripts' templates: values go through the sh and field filters. Site pages (markdown):
    Markdown passes HTML through, so every value reaches them through markdown_text (HTML,
    attribute lists and links to other schemes than http(s) and mailto: stay text)."""
    from generator.escape import markdown_code, markdown_text, record_field, sh_quoted

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=markdown,  # a value is Markup once finalize has made it safe
        finalize=markdown_text if markdown else None,
        bytecode_cache=_bytecode_cache("templates-markdown" if markdown else "templates"),
    )
    env.filters["sh"] = sh_quoted  # inside '...' in a shell script
    env.filters["field"] = record_field  # a field of a '|'-separated record inside '...'
    env.filters["code"] = markdown_code  # an inline code span of a site page
    return env


def _bytecode_cache(name: str) -> jinja2.BytecodeCache | None:
    """Compiled templates kept beside the schema checks (Jinja keys them by the template's
    source and its own version, not by the environment: each environment has its own folder):
    compiling the scripts' templates took ~20 ms of every build."""
    from generator.codecache import subfolder

    folder = subfolder(name)
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder else None


def render_text(template_name: str, **values: Any) -> str:
    template = environment(markdown=template_name.endswith(".md.j2")).get_template(template_name)
    return template.render(**values)
