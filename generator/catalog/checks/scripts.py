"""Values the generated shell scripts read as '|'-separated records cannot hold a '|'."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.diagnostics import Diagnostic


def check_script_record_fields(context: Context) -> Iterator[Diagnostic]:
    for generation in context.catalog.gpu_generations.values():
        fields: list[tuple[list[str | int], str]] = [(["title"], generation.title)]
        fields += [(["examples", index], example) for index, example in enumerate(generation.examples)]
        for parts, value in fields:
            if "|" in value:
                message = (
                    f"{value!r}: '|' is not allowed here "
                    "(the GPU script reads this as a '|'-separated record)"
                )
                yield context.at("gpu-generation", generation.id, parts, message)


CHECKS = (check_script_record_fields,)
