"""The one Jinja2 environment, for text-shaped outputs (shell scripts, Markdown)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("generator.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render_text(template_name: str, **values: Any) -> str:
    return environment().get_template(template_name).render(**values)
