"""The one Jinja2 environment, for text-shaped outputs (shell scripts, Markdown)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def environment() -> jinja2.Environment:
    from generator.escape import record_field, sh_quoted

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Site pages are Markdown, which passes HTML through: catalog text reaches them with
        # <, >, &, and quotes as HTML entities, so it stays text (scripts are not escaped here:
        # their values go through the sh and field filters).
        autoescape=jinja2.select_autoescape(enabled_extensions=("md.j2",), default_for_string=False),
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["sh"] = sh_quoted  # inside '...' in a shell script
    env.filters["field"] = record_field  # a field of a '|'-separated record inside '...'
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept beside the schema checks (Jinja keys them by the template's
    source and its own version): compiling the scripts' templates took ~20 ms of every build."""
    from generator.codecache import subfolder

    folder = subfolder("templates")
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder else None


def render_text(template_name: str, **values: Any) -> str:
    return environment().get_template(template_name).render(**values)
