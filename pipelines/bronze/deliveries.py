"""Which deliveries count now: the landing files a source's folders hold at this run, each with its content hash.

Bronze is append-only and keeps every record ever delivered; silver is built only from the records of the files
that are in landing now (`<system>_aanlevering`, read by the dbt macro `current_deliveries`). So the way out of a
bad delivery is in landing: correct the file in place (its new content is a new delivery, the old one stops
counting) or remove it, and the next run builds silver without it. Nobody edits bronze.

The table is kept per municipality and rewritten only when one of its drop folders was listed and what it holds
changed, so a night on which nothing was removed or replaced rewrites nothing but the new files' municipalities:
a large folder that nothing was added to, removed from or renamed in is not listed at all (`landing.py`), and its
files are the ones recorded the last time. A removal changes the folder's time, so it is always seen.

A file removed or replaced (or an earlier delivery back in landing) changes what records already in silver rest
on, which an incremental model cannot tell from the ingestion times it goes by: the run is recorded as a
withdrawal (`WITHDRAWALS`), and `pipelines.dbt.rebuild` rebuilds such models whole.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipelines.bronze.landing import Listing, drop_folders
from pipelines.bronze.tables import BronzeTable
from pipelines.settings import Settings

WITHDRAWALS = "_intrekkingen.json"  # beside the parts: the last run in which a delivery stopped counting
NO_WITHDRAWAL = "geen"


def needs_full_listing(settings: Settings, system: str, table: BronzeTable) -> bool:
    """Whether a municipality with a drop folder has no part yet (a first run, or a data root from before this
    table): its files in folders not listed again would be unknown, so every folder is listed once."""
    folder = settings.bronze / table.folder
    return any(not (folder / f"{gemeentecode}.parquet").exists() for gemeentecode, _ in drop_folders(settings, system))


def update_deliveries(settings: Settings, system: str, table: BronzeTable, listing: Listing, register: list[dict],
                      run_id: str, registered: Callable[[], pa.Table]) -> list[str]:
    """Record the landing files that count now; returns the paths of the deliveries that stopped counting.

    `register` holds this run's register entries (every file read, found a copy of, or set aside: new or
    changed files); `registered` gives every register entry so far, for files this table does not know yet."""
    folder = settings.bronze / table.folder
    folder.mkdir(parents=True, exist_ok=True)
    roots = {root: gemeentecode for gemeentecode, root in drop_folders(settings, system)}
    present = set(roots.values())
    touched = {_municipality(f, roots) for f in listing.listed_folders} | {
        g for g in present if not (folder / f"{g}.parquet").exists()}
    gone = {p.stem for p in folder.glob("GM*.parquet")} - present
    if not touched and not gone:
        return []
    before = _recorded_deliveries(folder, touched | gone, table)
    in_landing = _in_landing(settings)
    unchanged = sorted(in_landing(f) for f in set(listing.folders["map"].to_pylist()) - listing.listed_folders)
    kept = before.filter(pc.is_in(before["map"], pa.array(unchanged, pa.string())))
    listed = _listed_deliveries(listing, touched, register, before, registered, table, in_landing)
    now = pa.concat_tables([kept, listed]).cast(table.arrow_schema)
    withdrawn = []
    for gemeentecode in sorted(touched | gone):
        path = folder / f"{gemeentecode}.parquet"
        old, new = _deliveries(_of_municipality(before, gemeentecode)), _deliveries(_of_municipality(now, gemeentecode))
        if old == new and path.exists():
            continue  # rewritten, it would rebuild everything read from it
        still = {digest for _, digest in new}
        withdrawn += sorted(file for file, digest in old - new if digest not in still)
        if gemeentecode in present:
            _write(_of_municipality(now, gemeentecode), path)
        else:
            path.unlink()
    ingested = {e["hash"] for e in register if e["status"] == "ingested"}
    returned = set(now["bron_bestand_hash"].to_pylist()) - set(before["bron_bestand_hash"].to_pylist()) - ingested
    if returned and returned - _current_hashes(folder, exclude=touched | gone):
        withdrawn.append("(a delivery that had stopped counting is back in landing)")
    if withdrawn:
        (folder / WITHDRAWALS).write_text(json.dumps({"run_id": run_id, "bestanden": withdrawn[:100]}))
    return withdrawn


def removed_files(settings: Settings, system: str, table: BronzeTable, listing: Listing) -> list[str]:
    """The deliveries counting now whose file is gone from landing, as far as this listing looked (a large folder
    nothing was removed from is not listed)."""
    folder = settings.bronze / table.folder
    roots = {root: gemeentecode for gemeentecode, root in drop_folders(settings, system)}
    touched = {_municipality(f, roots) for f in listing.listed_folders}
    gone = {p.stem for p in folder.glob("GM*.parquet")} - set(roots.values())
    before = _recorded_deliveries(folder, touched | gone, table)
    in_landing = _in_landing(settings)
    unchanged = {in_landing(f) for f in set(listing.folders["map"].to_pylist()) - listing.listed_folders}
    present = {in_landing(path) for path in listing.files["bestand"].to_pylist()}
    return sorted(path for path, parent in zip(before["bestand"].to_pylist(), before["map"].to_pylist())
                  if parent not in unchanged and path not in present)


def last_withdrawal(folder: Path) -> str:
    """The run in which a delivery of this table last stopped counting, or NO_WITHDRAWAL."""
    path = folder / WITHDRAWALS
    return json.loads(path.read_text())["run_id"] if path.exists() else NO_WITHDRAWAL


def _municipality(folder: str, roots: dict[str, str]) -> str:
    path = folder
    while path not in roots:
        parent = os.path.dirname(path)
        if parent == path:
            raise ValueError(f"{folder} is in no drop folder")
        path = parent
    return roots[path]


def _recorded_deliveries(folder: Path, municipalities: set[str], table: BronzeTable) -> pa.Table:
    """The deliveries recorded before for these municipalities (one part per municipality)."""
    paths = [str(folder / f"{g}.parquet") for g in sorted(municipalities) if (folder / f"{g}.parquet").exists()]
    if not paths:
        return table.arrow_schema.empty_table()
    return ds.dataset(paths, format="parquet", schema=table.arrow_schema).to_table()


def _in_landing(settings: Settings) -> Callable[[str], str]:
    """A landing path relative to the landing folder: a copy of the data root elsewhere lists the same deliveries."""
    prefix = str(settings.landing) + os.sep
    return lambda path: path[len(prefix):] if path.startswith(prefix) else path


def _listed_deliveries(listing: Listing, municipalities: set[str], register: list[dict], before: pa.Table,
            registered: Callable[[], pa.Table], table: BronzeTable, in_landing: Callable[[str], str]) -> pa.Table:
    """The files listed in the municipalities' changed folders, each with the hash of its content: from this
    run's register when it is new or changed, else as recorded before (or, unknown to this table, as registered)."""
    files = listing.files.filter(pc.is_in(listing.files["gemeentecode"], pa.array(sorted(municipalities), pa.string())))
    read_now = {e["bestand"]: e for e in register}
    known = {row["bestand"]: row for row in before.select(["bestand", "bron_bestand_hash", "bytes", "mtime_ns"]).to_pylist()}
    rows, unknown = [], []
    for gemeentecode, path, size, mtime_ns in zip(*(files[c].to_pylist() for c in ("gemeentecode", "bestand", "bytes",
                                                                                    "mtime_ns"))):
        name = in_landing(path)
        if path in read_now:
            entry = read_now[path]
            digest, size, mtime_ns = entry["hash"], entry["bytes"], entry["mtime_ns"]
        elif name in known and (size is None or (known[name]["bytes"], known[name]["mtime_ns"]) == (size, mtime_ns)):
            digest, size, mtime_ns = (known[name][c] for c in ("bron_bestand_hash", "bytes", "mtime_ns"))
        else:
            unknown.append((len(rows), path))
            digest = None
        rows.append({"gemeentecode": gemeentecode, "map": in_landing(os.path.dirname(path)), "bestand": name,
                     "bron_bestand_hash": digest, "bytes": size, "mtime_ns": mtime_ns})
    if unknown:
        _from_register(rows, unknown, registered())
    return pa.Table.from_pylist([r for r in rows if r["bron_bestand_hash"] is not None], schema=table.arrow_schema)


def _from_register(rows: list[dict], unknown: list[tuple[int, str]], registered: pa.Table) -> None:
    """Fill in the hashes of files registered by earlier runs: the latest entry of the same path (and size and
    time, where the listing knows them). A file registered under none is left out: it was never read."""
    latest = {}
    for path, size, mtime_ns, digest in zip(*(registered[c].to_pylist() for c in ("bestand", "bytes", "mtime_ns", "hash"))):
        latest[path] = latest[(path, size, mtime_ns)] = digest  # registers are read in run order: the last wins
    for position, path in unknown:
        row = rows[position]
        row["bron_bestand_hash"] = latest.get(path) if row["bytes"] is None else latest.get((path, row["bytes"],
                                                                                             row["mtime_ns"]))


def _of_municipality(data: pa.Table, gemeentecode: str) -> pa.Table:
    return data.filter(pc.equal(data["gemeentecode"], gemeentecode))


def _deliveries(data: pa.Table) -> set[tuple[str, str]]:
    return set(zip(data["bestand"].to_pylist(), data["bron_bestand_hash"].to_pylist()))


def _current_hashes(folder: Path, exclude: set[str]) -> set[str]:
    """The hashes counting in the other municipalities' parts."""
    paths = [str(p) for p in folder.glob("GM*.parquet") if p.stem not in exclude]
    if not paths:
        return set()
    return set(ds.dataset(paths, format="parquet").to_table(columns=["bron_bestand_hash"])["bron_bestand_hash"].to_pylist())


def _write(data: pa.Table, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    pq.write_table(data, tmp)
    os.replace(tmp, path)
