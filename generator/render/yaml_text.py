"""Deterministic YAML for generated files: insertion order kept, ambiguous strings quoted.

Strings that a YAML 1.1 reader could take for a boolean, null, number or time ('off', 'yes',
'12:30', '0.5') are double-quoted, so every consumer (Compose, Portainer, PyYAML) reads a string;
multi-line strings become literal blocks.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import SafeRepresenter

AMBIGUOUS = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
        |null|Null|NULL|~|
        |[-+]?(?:0|[1-9][0-9_]*)(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
        |[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
        |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |0[xob][0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)


def _represent_str(representer: SafeRepresenter, value: str) -> ScalarNode:
    if "\n" in value:
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    style = '"' if AMBIGUOUS.match(value) else None
    return representer.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(str, _represent_str)
    return yaml


def to_yaml(data: Any, header: str = "") -> bytes:
    """`data` as YAML text, after `header` (comment lines), with LF endings and a final newline."""
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return (header + stream.getvalue()).encode("utf-8")
