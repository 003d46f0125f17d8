"""Objects made once and kept for the whole process (the Dagster definitions, dbt's parse of the project) left
out of Python's garbage collection.

Python's cyclic garbage collector walks every object it tracks on each full collection. Half a million objects of
the definitions (dbt, dagster-dbt, Great Expectations) and the parsed dbt project made each later full collection
slow, and loading them set off several, while none of those objects is ever garbage.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def exempt_from_garbage_collection() -> Iterator[None]:
    """No collections while the objects are made; then they are left out of every later one (`gc.freeze`)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
