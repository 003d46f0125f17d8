"""Where a source's landing files are, and what they are on disk: path, size and modification time.

Kept apart from parsing so that a worker process listing drop folders imports no more than it needs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa

from pipelines.settings import GEMEENTECODE, Settings

LISTING = pa.schema([("gemeentecode", pa.string()), ("bestand", pa.string()), ("bytes", pa.int64()),
                     ("mtime_ns", pa.int64())])
# Starting worker processes costs a second or two: national Fixi (52,000 files in 342 folders) lists quicker inline.
PARALLEL_FROM_FILES = 200_000


def landing_listing(settings: Settings, system: str, processes: int | None = None) -> pa.Table:
    """A source's landing files with the municipality each belongs to, their size and modification time
    (`LISTING`), in a stable order. The size and modification time of every file say whether it changed since it
    was registered: at national scale that is a stat of two million files, mostly out of the inode cache after a
    day, so when the first drop folder says there are many the folders are listed over worker processes (national
    iWmo, inode cache cold: 14.4 -> 9.0 s)."""
    folders = drop_folders(settings, system)
    first = _folder_listing(folders[0]) if folders else LISTING.empty_table()
    many = first.num_rows * len(folders) >= PARALLEL_FROM_FILES
    workers = min(processes or os.cpu_count() or 1, len(folders)) if many else 1
    listings = [first, *over_processes(_folder_listing, folders[1:], workers)]
    listed = [listing.append_column("map", pa.array([number] * listing.num_rows, pa.int32()))
              for number, listing in enumerate(listings)]
    return pa.concat_tables([LISTING.append(pa.field("map", pa.int32())).empty_table(), *listed]) \
        .sort_by([("map", "ascending"), ("bestand", "ascending")]).drop_columns("map")


def drop_folders(settings: Settings, system: str) -> list[tuple[str, str]]:
    """(gemeentecode, folder) of each drop folder of a source that exists.

    Each municipality of a shared platform delivers into its own drop folder `landing/GMxxxx/<system>/`;
    files directly in `landing/<system>/` belong to the platform's own municipality (LAKEHOUSE_GEMEENTECODE).
    """
    folders = [(settings.gemeentecode, settings.landing / system)] + [
        (folder.name, folder / system) for folder in sorted(settings.landing.glob("GM*"))
        if GEMEENTECODE.fullmatch(folder.name)
    ]
    return [(gemeentecode, str(folder)) for gemeentecode, folder in folders if folder.is_dir()]


def _folder_listing(drop: tuple[str, str]) -> pa.Table:
    gemeentecode, folder = drop
    files = [(entry.path, entry.stat()) for entry in entries_under(folder)]
    return pa.table([[gemeentecode] * len(files), [path for path, _ in files], [stat.st_size for _, stat in files],
                     [stat.st_mtime_ns for _, stat in files]], schema=LISTING)


def entries_under(folder: Path | str) -> Iterator[os.DirEntry]:
    """The files in a folder and its subfolders, hidden ones left out. A directory listing says which entries
    are files without a stat per file: at national scale landing holds two million of them."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            yield from entries_under(entry.path)
        elif entry.is_file() and not entry.name.startswith("."):
            yield entry


def over_processes(function, items: list, workers: int) -> Iterator:
    """`function` over the items, in order: inline, or over spawned worker processes (a fork could inherit
    Dagster's threads mid-lock)."""
    if workers == 1:
        yield from map(function, items)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(function, items)
