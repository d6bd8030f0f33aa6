"""The cyclic garbage collector paused while a service builds many short-lived objects.

The daily sweep makes ~100,000 candidates, ~50,000 digest lines and as many small dicts in about a second;
CPython's cyclic collector, triggered every 700 allocations, then walks the growing heap again and again, and
took more than a third of the sweep's time (measured: docs/performance.md). None of these objects form
cycles: reference counting frees them whatever the collector does. So the collector is paused for the
duration of such a step and restored after it, as it was.

The pause is counted: nested or concurrent pauses (two threads of one process) restore the collector only
when the last one ends, and only if it was enabled when the first one began. Cyclic garbage made meanwhile
elsewhere in the process waits for the next collection; it is not lost."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
