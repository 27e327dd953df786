"""Variables in compose files: `${VAR}` references with the catalog's default."""

from __future__ import annotations

from generator.catalog.model import EnvVar
from generator.escape import compose_default


def reference(env: EnvVar) -> str:
    """The value a compose file gives a variable: the operator's .env wins over the default."""
    if env.is_secret:
        return f"${{{env.name}:?{env.name} must be set: run gen secrets}}"
    if env.required:
        return f"${{{env.name}:?{env.name} must be set}}"
    return f"${{{env.name}:-{compose_default(env.value or '')}}}"


def path_reference(variable: str, default: str) -> str:
    return f"${{{variable}:-{compose_default(default)}}}"
