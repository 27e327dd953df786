"""generator/parallel.py: work computed in a forked child, errors surfacing as they would here."""

from __future__ import annotations

import gc
import os

import pytest

from generator.parallel import in_child


def pid_and_square(number: int) -> tuple[int, int]:
    return os.getpid(), number * number


def test_the_child_computes_and_the_result_comes_back() -> None:
    result = in_child(pid_and_square, 12)
    pid, square = result()
    assert square == 144
    assert pid != os.getpid()  # computed in the child, not recomputed here
    assert gc.get_freeze_count() == 0  # objects frozen for the fork are back under the collector


def test_an_error_in_the_child_is_raised_here() -> None:
    calls: list[int] = []

    def failing(number: int) -> int:
        calls.append(os.getpid())
        raise ValueError(f"bad {number}")

    result = in_child(failing, 3)
    with pytest.raises(ValueError, match="bad 3"):
        result()
    assert calls == [os.getpid()]  # the parent computed it again (the child's list is its own)


def test_a_result_that_cannot_be_sent_is_computed_here() -> None:
    def unpicklable(_: int) -> object:
        return lambda: os.getpid()  # a local function: pickle refuses it

    value = in_child(unpicklable, 0)()
    assert callable(value) and value() == os.getpid()
