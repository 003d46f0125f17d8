"""Worker processes for bronze: listing drop folders and parsing chunks of landing files over the cores.

Kept apart from parsing and listing so that a spawned worker imports no more than the function it runs needs.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor


def over_processes(function, items: list, workers: int) -> Iterator:
    """`function` over the items, in order: inline, or over spawned worker processes (a fork could inherit
    Dagster's threads mid-lock)."""
    if workers == 1:
        yield from map(function, items)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(function, items)
