"""The garbage collector's policy for a long run (``Hub.run``, a bulk import).

Why: such a run allocates a few hundred tracked objects per event or demand (contract models, rows), freed by their
reference counts, not by the collector. At Python's default young-generation threshold (700 allocations) a
collection ran every few events and promoted whatever was in flight to the older generations, whose collections
then walked them again, with every long-lived object of the process (modules, contract schemas, the journal's
metadata). Frozen, the long-lived objects are out of the collector's sight; with a higher threshold, the objects in
flight are mostly gone before a collection comes. What waits longer is only cyclic garbage, bounded by the threshold.
Measured (py-spy and ``gc.callbacks``, bench/README.md): 12–30 % of an import's journaling process, and embedded
``Hub.run`` 13–15 → 3 µs of collector time per event.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LONG_RUN_GC_THRESHOLD", "long_run_heap"]

#: Allocations between two young-generation collections during a long run (Python's default: 700).
LONG_RUN_GC_THRESHOLD = 50_000


@contextmanager
def long_run_heap(threshold: int = LONG_RUN_GC_THRESHOLD) -> Iterator[None]:
    """Freeze what is alive now and collect the young generation every ``threshold`` allocations, until the end of
    the block; both undone then. A process that froze objects itself keeps its own policy (an unfreeze here would
    undo its freeze)."""
    if gc.get_freeze_count():
        yield
        return
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
