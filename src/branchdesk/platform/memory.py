"""Memory habits of bulk work in Python."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector over a synchronous burst that builds many acyclic objects (an
    import's rows): each full collection would walk every row built so far, which made reading, checking
    and sealing a 100,000-row file take about twice as long. Reference counting still frees what dies;
    never hold it across an ``await`` (other requests' cycles would pile up meanwhile)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
