"""The cyclic garbage collector, run less often while a batch of records or studies is worked
through: parsing, storing and assessing make many short-lived containers (rows, sets, dicts,
matches) and almost no cycles. With Python's default first threshold (700 new containers) the
10,000-record bench made about 2,000 collections, 16 of them full ones over the whole heap
(modules, the store's engine, the seeds; in a flow run Prefect's too), about 80 ms each."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLD = 50_000  # new containers between two collections inside a batch
_lock = threading.Lock()
_saved: list[tuple[int, int, int]] = []  # the thresholds to restore, one per open block


@contextmanager
def fewer_collections(threshold: int = BATCH_THRESHOLD) -> Iterator[None]:
    """Raise the collector's first threshold for the block, then restore it; blocks nest and
    may open in several threads (the last to close restores the thresholds found by the
    first). Only how often garbage cycles are collected changes, never what is collected."""
    with _lock:
        saved = gc.get_threshold() if not _saved else _saved[0]
        if not _saved:
            gc.set_threshold(max(threshold, saved[0]), *saved[1:])
        _saved.append(saved)
    try:
        yield
    finally:
        with _lock:
            _saved.pop()
            if not _saved:
                gc.set_threshold(*saved)
