"""Work for a second core: a forked child computes one call while the parent goes on.

Used where a large catalog makes sharing the work worth a fork (reading the catalog files,
rendering the artifacts).
The child inherits everything by fork and sends back only the pickled result.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
A = TypeVar("A")


def worth_it(items: int, threshold: int) -> bool:
    return items >= threshold and (os.cpu_count() or 1) > 1 and hasattr(os, "fork")


def in_child(function: Callable[[A], T], argument: A) -> Callable[[], T]:
    """Start `function(argument)` in a forked child; the returned call waits for its result.
    If the child fails, the call computes it here, so any error surfaces as it would have."""
    read_end, write_end = os.pipe()
    # Objects the garbage collector does not visit stay shared with the child: without this, a
    # collection in either process writes to every object and the pages get copied.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running the parent's cleanup
        status = 0
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as stream:
                pickle.dump(function(argument), stream, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # the parent computes it again and reports the error
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)

    def result() -> T:
        with os.fdopen(read_end, "rb") as stream:
            data = stream.read()
        _, status = os.waitpid(pid, 0)
        gc.unfreeze()
        if status != 0 or not data:
            return function(argument)
        value: T = pickle.loads(data)
        return value

    return result
