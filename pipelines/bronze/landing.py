"""Where a source's landing files are, and what they are on disk: path, size and modification time.

Kept apart from parsing so that a worker process listing drop folders (`pipelines.bronze.workers`) imports no
more than it needs.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.bronze.workers import over_processes
from pipelines.settings import GEMEENTECODE, Settings

LISTING = pa.schema([("gemeentecode", pa.string()), ("bestand", pa.string()), ("bytes", pa.int64()),
                     ("mtime_ns", pa.int64())])
REFUSED = LISTING.append(pa.field("reden", pa.string()))  # size and time of the entry itself (lstat)
FOLDERS = pa.schema([("map", pa.string()), ("mtime_ns", pa.int64()), ("bestanden", pa.int64())])
# Starting worker processes costs a second or two: national Fixi (52,000 files in 342 folders) lists quicker inline.
PARALLEL_FROM_FILES = 200_000
# A folder with fewer files is listed every run, changed or not, unless its source never rewrites a file: that
# costs little, and it is where a fixed-name extract (the BRP stock) may be rewritten in place, which leaves its
# folder's time as it was.
LIST_ALWAYS_BELOW_FILES = 1_000
# A folder modified this shortly before it was listed could receive another file within the same tick of the
# file system's clock, leaving its time unchanged: its time is not trusted, and the next run lists it again.
UNSETTLED_NS = 2 * 10**9
UNTRUSTED = -1
LISTED = "opgesomd"  # of a folder in a listing: its files were listed this run (not kept in FOLDERS)


@dataclass(frozen=True)
class Listing:
    """A source's landing folders as one run finds them."""

    files: pa.Table  # LISTING of every file in the folders listed, in a stable order
    folders: pa.Table  # FOLDERS: every folder with its time, for the next run to compare with (`remember_folders`)
    not_listed: int  # files in large folders unchanged since the last run: all registered then, not looked at now
    municipalities: list[str]  # those whose drop folders hold files
    refused: pa.Table  # REFUSED: entries that are no regular file (symlinks, FIFOs, devices) or cannot be named
    hidden: list[str]  # files and folders whose name starts with a dot: not read, reported
    listed_folders: frozenset[str] = frozenset()  # the folders whose files `files` holds (the others are unchanged)


def landing_listing(settings: Settings, system: str, processes: int | None = None,
                    never_rewritten: bool = False, list_all: bool = False) -> Listing:
    """A source's landing files with the municipality each belongs to, their size and modification time.

    The size and modification time of every file say whether it changed since it was registered. At national
    scale that is a stat of millions of files, mostly out of the inode cache after a day.
    So a large folder whose time is the one the last run recorded (`remember_folders`) is not listed again: no file
    was added, removed or renamed in it since, and every file in it was registered by that run. The cost of that:
    a file rewritten in place in such a folder, under its old name, is seen only once the folder changes
    (`LAKEHOUSE_FULL_REFRESH=1` lists every folder). For a source whose files are never rewritten
    (`never_rewritten`) that cannot happen, so an unchanged folder of any size is left alone (national iWmo has
    thousands of files in folders under LIST_ALWAYS_BELOW_FILES, each to be matched against millions of
    registered files every night), and a folder that did change is listed by name only: size and
    modification time are left empty (null), for the caller to stat only the names it has not registered. When
    the first drop folder says there are many files to list, the folders are listed over worker processes (the
    stats then wait for the disk side by side). `list_all` lists every folder, as LAKEHOUSE_FULL_REFRESH does."""
    listed_before = {} if settings.full_refresh or list_all else _listed_folders(settings, system)
    drops = [(gemeentecode, folder, _recorded_at_or_below(listed_before, folder), never_rewritten)
             for gemeentecode, folder in drop_folders(settings, system)]
    first = [_folder_listing(drops[0])] if drops else []
    many = bool(first) and first[0][0].num_rows * len(drops) >= PARALLEL_FROM_FILES
    workers = min(processes or os.cpu_count() or 1, len(drops)) if many else 1
    listings = first + list(over_processes(_folder_listing, drops[1:], workers))
    numbered = [files.append_column("volgorde", pa.array([number] * files.num_rows, pa.int32()))
                for number, (files, *_) in enumerate(listings)]
    files = pa.concat_tables([LISTING.append(pa.field("volgorde", pa.int32())).empty_table(), *numbered]) \
        .sort_by([("volgorde", "ascending"), ("bestand", "ascending")]).drop_columns("volgorde")
    return Listing(
        files=files,
        folders=pa.Table.from_pylist([f for _, folders, _, _ in listings for f in folders], schema=FOLDERS),
        not_listed=sum(not_listed for _, _, not_listed, _ in listings),
        municipalities=sorted({gemeentecode for (gemeentecode, *_), (files, _, not_listed, _) in zip(drops, listings)
                               if files.num_rows or not_listed}),
        refused=pa.Table.from_pylist([e for *_, odd in listings for e in odd if not e["verborgen"]],
                                     schema=REFUSED),
        hidden=[e["bestand"] for *_, odd in listings for e in odd if e["verborgen"]],
        listed_folders=frozenset(f["map"] for _, folders, *_ in listings for f in folders if f[LISTED]),
    )


def remember_folders(settings: Settings, system: str, folders: pa.Table) -> None:
    """Record the folders of a listing whose every file is now registered: the next run compares with them."""
    path = _folders_path(settings, system)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(folders, path.with_suffix(".tmp"))
    os.replace(path.with_suffix(".tmp"), path)


def _listed_folders(settings: Settings, system: str) -> dict[str, tuple[int, int]]:
    path = _folders_path(settings, system)
    if not path.exists():
        return {}
    return {row["map"]: (row["mtime_ns"], row["bestanden"]) for row in pq.read_table(path).to_pylist()}


def _folders_path(settings: Settings, system: str) -> Path:
    # Beside the registers, not among them: `_register/*/*.parquet` reads every register as one table.
    return settings.file_register / f"mappen_{system}.parquet"


def _recorded_at_or_below(folders: dict[str, tuple[int, int]], root: str) -> dict[str, tuple[int, int]]:
    """Of the folders the last run recorded (`_listed_folders`), those of one drop folder: itself and below."""
    return {path: known for path, known in folders.items() if path == root or path.startswith(root + os.sep)}


def drop_folders(settings: Settings, system: str) -> list[tuple[str, str]]:
    """(gemeentecode, folder) of each drop folder of a source that exists.

    Each municipality of a shared platform delivers into its own drop folder `landing/GMxxxx/<system>/`;
    files directly in `landing/<system>/` belong to the platform's own municipality (LAKEHOUSE_GEMEENTECODE). A
    system read from more than one landing folder (`SHARED_FOLDERS`) has drop folders under each.
    """
    municipal = [folder for folder in sorted(settings.landing.glob("GM*"))
                 if GEMEENTECODE.fullmatch(folder.name) and not folder.is_symlink()]
    folders = [(gemeentecode, root / name) for name in system_folders(system)
               for gemeentecode, root in [(settings.gemeentecode, settings.landing)] + [(m.name, m) for m in municipal]]
    # A linked drop folder is not followed either: `unread_in_landing` reports it
    return [(gemeentecode, str(folder)) for gemeentecode, folder in folders
            if folder.is_dir() and not folder.is_symlink()]


# A source system whose exports arrive in more than one landing folder: iWmo and iJw berichten are one family of
# standards with one reader (pipelines.bronze.iwmo), which tells them apart by content, whichever folder holds them.
SHARED_FOLDERS = {"iwmo": ("iwmo", "ijw")}
SOURCE_FOLDERS = ("fixi", "iwmo", "ijw", "zorgned", "brp", "burgerzaken", "referentie")  # pipelines.bronze.sources


def system_folders(system: str) -> tuple[str, ...]:
    """The landing folders a source system reads (`landing/<folder>/`, `landing/GMxxxx/<folder>/`)."""
    return SHARED_FOLDERS.get(system, (system,))


EXPECTED_LAYOUT = (f"expected one folder per source system ({', '.join(f + '/' for f in SOURCE_FOLDERS)}), "
                   "or per municipality GMxxxx/<source>/, each holding that system's exports")
DOCUMENTATION = ("README.md",)  # a landing folder's own description, not an export


def landing_problem(landing: Path) -> str | None:
    """What keeps a landing folder from holding exports to ingest, in one message naming the folder and the
    layout expected; None when some source folder holds a file."""
    if not landing.exists():
        return f"landing folder {landing} does not exist ({EXPECTED_LAYOUT})"
    if not landing.is_dir():
        return f"landing folder {landing} is not a folder ({EXPECTED_LAYOUT})"
    subfolders, files, not_read = _entries(landing)
    names = sorted({os.path.basename(f) for f in subfolders})
    sources = [n for n in names if n in SOURCE_FOLDERS or GEMEENTECODE.fullmatch(n)]
    if any(_holds_exports(landing / n) for n in sources):
        return None
    loose = sorted(e.name for e in files if e.name not in DOCUMENTATION)
    if loose:
        return (f"landing folder {landing} holds exports directly ({_some(loose)}) instead of in a source folder: "
                f"{EXPECTED_LAYOUT}")
    if sources:
        return f"landing folder {landing}: its source folders ({_some(sources)}) hold no files ({EXPECTED_LAYOUT})"
    if names:
        return (f"landing folder {landing} holds no source folder, only folders this product does not read "
                f"({_some(names)}): {EXPECTED_LAYOUT}")
    if not_read:
        return (f"landing folder {landing} holds only entries that are not read ("
                f"{_some([f'{storable(e.name)}: {reason}' for e, reason in not_read])}) ({EXPECTED_LAYOUT})")
    return f"landing folder {landing} is empty ({EXPECTED_LAYOUT})"


def unread_in_landing(landing: Path) -> list[str]:
    """What lies in a landing folder holding exports that no run reads: links, special and hidden entries, files
    directly in it, and folders that are neither a source folder nor a municipality's drop folder; each named,
    for the run to report."""
    if not landing.is_dir():
        return []
    subfolders, files, not_read = _entries(landing)
    return ([f"{storable(e.path)}: {reason}" for e, reason in sorted(not_read, key=lambda n: n[0].name)]
            + [f"{e.path}: a file directly in the landing folder is not read; put it in its source folder"
             for e in sorted(files, key=lambda e: e.name) if e.name not in DOCUMENTATION]
            + [f"{folder}: not a source folder ({', '.join(SOURCE_FOLDERS)}) or GMxxxx drop folder; not read"
               for folder in subfolders
               if os.path.basename(folder) not in SOURCE_FOLDERS and not GEMEENTECODE.fullmatch(os.path.basename(folder))])


def _holds_exports(folder: Path) -> bool:
    if GEMEENTECODE.fullmatch(folder.name):
        return any(_holds_exports(folder / system) for system in SOURCE_FOLDERS)
    return folder.is_dir() and next(entries_under(folder), None) is not None


def _some(names: list[str], shown: int = 5) -> str:
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _folder_listing(drop: tuple[str, str, dict[str, tuple[int, int]], bool]) -> tuple[pa.Table, list[dict], int, list[dict]]:
    """One drop folder: its files listed (LISTING), its folders (FOLDERS rows), how many files it holds in
    folders not listed again, and the entries it holds that are not read (REFUSED rows with `verborgen`)."""
    gemeentecode, root, listed_before, never_rewritten = drop
    subfolders_before = defaultdict(list)
    for path in listed_before:
        subfolders_before[os.path.dirname(path)].append(path)
    files, folders, odd = [], [], []
    not_listed = _walk(root, listed_before, subfolders_before, never_rewritten, files, folders, odd)
    return (pa.table([[gemeentecode] * len(files), [path for path, _ in files],
                      [stat.st_size if stat else None for _, stat in files],
                      [stat.st_mtime_ns if stat else None for _, stat in files]], schema=LISTING), folders, not_listed,
            [{"gemeentecode": gemeentecode, **entry} for entry in odd])


def _walk(folder: str, listed_before: dict, subfolders_before: dict, never_rewritten: bool, files: list,
          folders: list, odd: list) -> int:
    """List `folder` and its subfolders into `files`, `folders` and `odd`; the files in folders not listed
    again."""
    mtime_ns = os.stat(folder).st_mtime_ns  # before reading it: a file added while it is read changes the time
    before_mtime_ns, before_files = listed_before.get(folder, (UNTRUSTED, 0))
    trusted_from = 0 if never_rewritten else LIST_ALWAYS_BELOW_FILES
    if mtime_ns == before_mtime_ns and before_files >= trusted_from:
        folders.append({"map": folder, "mtime_ns": mtime_ns, "bestanden": before_files, LISTED: False})
        return before_files + sum(_walk(subfolder, listed_before, subfolders_before, never_rewritten, files, folders,
                                        odd) for subfolder in subfolders_before[folder])
    subfolders, entries, not_read = _entries(folder)
    by_name = never_rewritten and before_files >= LIST_ALWAYS_BELOW_FILES
    files += [(entry.path, None if by_name else entry.stat()) for entry in entries]
    odd += [_not_read(entry, reason) for entry, reason in not_read]
    settled = time.time_ns() - mtime_ns > UNSETTLED_NS
    folders.append({"map": folder, "mtime_ns": mtime_ns if settled else UNTRUSTED, "bestanden": len(entries),
                    LISTED: True})
    return sum(_walk(subfolder, listed_before, subfolders_before, never_rewritten, files, folders, odd)
               for subfolder in subfolders)


def _not_read(entry: os.DirEntry, reason: str) -> dict:
    """An entry not read, as REFUSED row: its own size and time (never those of what a link points to), and its
    path storable whatever bytes its name holds."""
    stat = entry.stat(follow_symlinks=False)
    return {"bestand": storable(entry.path), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "reden": reason, "verborgen": reason == HIDDEN}


def storable(path: str) -> str:
    """A path as text that can be stored and printed: bytes that are not UTF-8 shown as \\x.. escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def entries_under(folder: Path | str) -> Iterator[os.DirEntry]:
    """The files read in a folder and its subfolders (`_entries`)."""
    subfolders, entries, _ = _entries(folder)
    yield from entries
    for subfolder in subfolders:
        yield from entries_under(subfolder)


HIDDEN = "hidden (its name starts with a dot): not read; rename it to have it read"


def _entries(folder: Path | str) -> tuple[list[str], list[os.DirEntry], list[tuple[os.DirEntry, str]]]:
    """A folder's subfolders, its files, and the entries not read with the reason. A directory listing says what
    each entry is without a stat per file: at national scale landing holds two million of them. Landing is read,
    never left: a symbolic link is not followed, a FIFO, device or socket never opened, a name that is not UTF-8
    (which no table could hold) not read, and a hidden file or folder (an upload in progress, a snapshot folder)
    not read but reported."""
    subfolders, files, not_read = [], [], []
    for entry in os.scandir(folder):
        if entry.is_symlink():
            not_read.append((entry, "symbolic link: not followed; put the export itself in landing"))
        elif storable(entry.path) != entry.path:
            not_read.append((entry, "its name is not valid UTF-8: not read; rename it"))
        elif entry.name.startswith("."):
            not_read.append((entry, HIDDEN))
        elif entry.is_dir(follow_symlinks=False):
            subfolders.append(entry.path)
        elif entry.is_file(follow_symlinks=False):
            files.append(entry)
        else:
            not_read.append((entry, "not a regular file (a FIFO, device or socket): never opened"))
    return sorted(subfolders), files, not_read

