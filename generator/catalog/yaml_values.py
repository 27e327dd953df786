"""What YAML can hold that no catalog value may, said with its place: keys that are not text,
text no output can encode, numbers Python cannot read."""

from __future__ import annotations

import re
import sys
from collections.abc import Hashable, Mapping
from datetime import date
from typing import Any

from generator.diagnostics import Diagnostic

_SURROGATE = re.compile("[\ud800-\udfff]")


def unfit(node: Any, here: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], str, bool] | None:
    """The first place a file holds what no catalog value may, as (parts, message, at a key): a
    key that is not text (YAML reads `1:`, `null:` or `2024-01-01:` as a number, nothing or a
    date), or text with a UTF-16 surrogate ("\\ud800" in double quotes: no character, so no
    output file could hold it)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                return (*here, key), _key_message(key), True
            found = unfit(value, (*here, key))
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found = unfit(value, (*here, index))
            if found is not None:
                return found
    elif isinstance(node, str) and _SURROGATE.search(node):
        message = (
            "holds a UTF-16 surrogate (\\ud800 to \\udfff), which is no character: write the character"
            " itself, or \\U0001F600 for one beyond \\uffff"
        )
        return here, message, False
    return None


def _key_message(key: Any) -> str:
    if key is None:
        return "a key is empty (null); keys are text"
    if isinstance(key, tuple | Mapping) or not isinstance(key, Hashable):  # ruamel's key forms
        return "a key is a list or a mapping (YAML's '? ' form); keys are text"
    if isinstance(key, bool):
        shown, what = str(key).lower(), "true or false"
    elif isinstance(key, int | float):
        shown, what = str(key), "a number"
    elif isinstance(key, date):
        shown, what = str(key), "a date"
    else:
        shown, what = str(key)[:40], "a value of another kind"
    return f"the key {shown} is {what}; keys are text: quote it ('{shown}')"


# Python reads no longer integer from text (sys.get_int_max_str_digits; 0: no limit)
MAX_DIGITS = sys.get_int_max_str_digits() or 4300


def bad_value(shown: str, text: str, error: ValueError) -> Diagnostic:
    """A value YAML's reader could not make: an integer past Python's limit of digits (located),
    or another (a date such as 2024-02-30, said as the reader says it)."""
    found = re.search(rf"[0-9][0-9_]{{{MAX_DIGITS},}}", text)
    if found is None:
        return Diagnostic(shown, 1, 1, "", f"invalid value: {' '.join(str(error).split())}")
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    digits = len(found[0].replace("_", ""))
    message = f"a number of {digits} digits; numbers in the catalog have at most {MAX_DIGITS}"
    return Diagnostic(shown, line, column, "", message)
