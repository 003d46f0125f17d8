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

import functools
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


def update_deliveries(settings: Settings, system: str, table: BronzeTable, listing: Listing, register: pa.Table,
                      run_id: str, registered: Callable[[], pa.Table]) -> list[str]:
    """Record the landing files that count now; returns the paths of the deliveries that stopped counting.

    `register` holds this run's register entries (`file_register.table`: every file read, found a copy of, or set
    aside: new or changed files); `registered` gives every register entry so far, for files this table does not
    know yet. One municipality at a time: national iWmo lists millions of files, and their deliveries side by
    side took gigabytes."""
    folder = settings.bronze / table.folder
    folder.mkdir(parents=True, exist_ok=True)
    roots = {root: gemeentecode for gemeentecode, root in drop_folders(settings, system)}
    present = set(roots.values())
    touched = {_municipality(f, roots) for f in listing.listed_folders} | {
        g for g in present if not (folder / f"{g}.parquet").exists()}
    gone = {p.stem for p in folder.glob("GM*.parquet")} - present
    if not touched and not gone:
        return []
    unchanged = _unchanged_folders(settings, listing)
    files_of, read_of = _rows_per_municipality(listing.files), _rows_per_municipality(register)
    read = register.select(["bestand", "hash", "bytes", "mtime_ns", "status"])
    ingested = pc.equal(register["status"], "ingested")
    registered = functools.cache(registered)
    withdrawn, hashes_before, unexplained, none = [], [], [], pa.array([], pa.uint64())
    for gemeentecode in sorted(touched | gone):
        path = folder / f"{gemeentecode}.parquet"
        old = _recorded_deliveries(folder, {gemeentecode}, table)
        read_here = read.take(read_of.get(gemeentecode, none))
        listed = _listed_deliveries(listing.files.take(files_of.get(gemeentecode, none)), read_here, old, registered,
                                    table, settings)
        new = pa.concat_tables([old.filter(pc.is_in(old["map"], unchanged)), listed]).cast(table.arrow_schema)
        hashes_before.append(old["bron_bestand_hash"].combine_chunks())
        read_here_now = read_here["hash"].filter(pc.equal(read_here["status"], "ingested")).combine_chunks()
        unexplained.append(_neither(pc.unique(new["bron_bestand_hash"]), [hashes_before[-1], read_here_now]))
        if path.exists() and _deliveries(old).equals(_deliveries(new)):
            continue  # rewritten, it would rebuild everything read from it
        # A delivery stops counting when its content is gone; the same content under another name still counts.
        withdrawn += sorted(pc.filter(old["bestand"], pc.invert(pc.is_in(old["bron_bestand_hash"],
                                                                          new["bron_bestand_hash"]))).to_pylist())
        if gemeentecode in present:
            _write(new, path)
        else:
            path.unlink()
    # Counting now, yet neither counting before nor read in this run: a delivery that had stopped counting. Each
    # municipality ruled out its own; the few left are looked for in the others'.
    candidates = pc.unique(pa.chunked_array(unexplained, pa.string()))
    read_now = pc.and_(ingested, pc.is_in(register["hash"], value_set=candidates))
    returned = set(_neither(candidates, [*hashes_before, register["hash"].filter(read_now).combine_chunks()]).to_pylist())
    if returned and returned - _current_hashes(folder, exclude=touched | gone):
        withdrawn.append("(a delivery that had stopped counting is back in landing)")
    if withdrawn:
        (folder / WITHDRAWALS).write_text(json.dumps({"run_id": run_id, "bestanden": withdrawn[:100]}))
    return withdrawn


def _neither(hashes: pa.Array, known: list[pa.Array]) -> pa.Array:
    """The `hashes` in none of the `known` columns. Each column is looked up in the hashes, not the other way round:
    the hashes are few, the columns may hold millions."""
    found = pa.concat_arrays([column.filter(pc.is_in(column, value_set=hashes)) for column in known])
    return hashes.filter(pc.invert(pc.is_in(hashes, value_set=found)))


def removed_files(settings: Settings, system: str, table: BronzeTable, listing: Listing) -> list[str]:
    """The deliveries counting now whose file is gone from landing, as far as this listing looked (a large folder
    nothing was removed from is not listed)."""
    folder = settings.bronze / table.folder
    roots = {root: gemeentecode for gemeentecode, root in drop_folders(settings, system)}
    touched = {_municipality(f, roots) for f in listing.listed_folders}
    gone = {p.stem for p in folder.glob("GM*.parquet")} - set(roots.values())
    before = _recorded_deliveries(folder, touched | gone, table)
    unchanged = set(_unchanged_folders(settings, listing).to_pylist())
    present = set(_in_landing(settings, listing.files["bestand"]).to_pylist())
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


def _unchanged_folders(settings: Settings, listing: Listing) -> pa.Array:
    """The folders not listed again, unchanged since the last run, relative to the landing folder."""
    folders = sorted(set(listing.folders["map"].to_pylist()) - listing.listed_folders)
    return _in_landing(settings, pa.array(folders, pa.string()))


def _listed_deliveries(files: pa.Table, register: pa.Table, before: pa.Table, registered: Callable[[], pa.Table],
                       table: BronzeTable, settings: Settings) -> pa.Table:
    """The files listed in a municipality's changed folders, each with the hash of its content: from this run's
    register when it is new or changed, else as recorded before (or, unknown to this table, as registered).
    Looked up column-wise, in the listing's order: a large municipality lists hundreds of thousands of files."""
    naam = _in_landing(settings, files["bestand"])
    read_now = _matched(files["bestand"], register, "bestand", ["hash", "bytes", "mtime_ns"])
    known = _matched(naam, before, "bestand", ["bron_bestand_hash", "bytes", "mtime_ns"])
    read = pc.is_valid(read_now["rij"])
    unchanged = pc.or_kleene(pc.is_null(files["bytes"]), pc.and_kleene(
        pc.equal(known["bytes"], files["bytes"]), pc.equal(known["mtime_ns"], files["mtime_ns"])))
    as_before = pc.and_(pc.invert(read), pc.and_(pc.is_valid(known["rij"]), pc.fill_null(unchanged, False)))

    def chosen(now: str, earlier: str, otherwise) -> pa.ChunkedArray:
        return pc.if_else(read, read_now[now], pc.if_else(as_before, known[earlier], otherwise))

    rows = pa.table({"gemeentecode": files["gemeentecode"], "map": pc.replace_substring_regex(naam, "/[^/]*$", ""),
                     "bestand": naam, "bron_bestand_hash": chosen("hash", "bron_bestand_hash", pa.scalar(None, pa.string())),
                     "bytes": chosen("bytes", "bytes", files["bytes"]),
                     "mtime_ns": chosen("mtime_ns", "mtime_ns", files["mtime_ns"])})
    unknown = pc.invert(pc.or_(read, as_before))
    if pc.any(unknown).as_py():
        rows = _from_register(rows, unknown, files["bestand"], registered())
    hashed = pc.is_valid(rows["bron_bestand_hash"])
    return (rows if pc.all(hashed).as_py() else rows.filter(hashed)).cast(table.arrow_schema)


def _matched(keys: pa.ChunkedArray, data: pa.Table, key: str, columns: list[str]) -> dict[str, pa.Array]:
    """For each of `keys`, the `columns` of the last row of `data` with that key (as a dictionary filled row by
    row keeps it), null where none has it; `rij` says which row matched. Looked up in the keys from the end,
    since `index_in` finds the first."""
    last = data.num_rows - 1
    from_the_end = pc.index_in(keys, value_set=data[key].take(pa.array(range(last, -1, -1), pa.int64())).combine_chunks())
    index = pc.subtract(last, from_the_end)
    return {"rij": index, **{name: data[name].take(index) for name in columns}}


def _in_landing(settings: Settings, paths: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Landing paths relative to the landing folder: a copy of the data root elsewhere lists the same deliveries."""
    prefix = str(settings.landing) + os.sep
    return pc.if_else(pc.starts_with(paths, prefix), pc.utf8_slice_codeunits(paths, len(prefix)), paths)


def _from_register(rows: pa.Table, unknown: pa.ChunkedArray, paths: pa.ChunkedArray, registered: pa.Table) -> pa.Table:
    """Fill in the hashes of the `unknown` rows, files registered by earlier runs: the latest entry of the same
    path (and size and time, where the listing knows them). A file registered under none is left out: it was
    never read. Rare (a data root from before this table), so a dictionary does."""
    latest = {}
    for path, size, mtime_ns, digest in zip(*(registered[c].to_pylist() for c in ("bestand", "bytes", "mtime_ns", "hash"))):
        latest[path] = latest[(path, size, mtime_ns)] = digest  # registers are read in run order: the last wins
    hashes = rows["bron_bestand_hash"].to_pylist()
    for position, (is_unknown, path, size, mtime_ns) in enumerate(zip(
            unknown.to_pylist(), paths.to_pylist(), rows["bytes"].to_pylist(), rows["mtime_ns"].to_pylist())):
        if is_unknown:
            hashes[position] = latest.get(path) if size is None else latest.get((path, size, mtime_ns))
    return rows.set_column(rows.schema.get_field_index("bron_bestand_hash"), "bron_bestand_hash",
                           pa.array(hashes, pa.string()))


def _rows_per_municipality(data: pa.Table) -> dict[str, pa.Array]:
    """The row numbers of each municipality's rows, in their order: one stable sort of the row numbers, not a
    filter of the whole table for each municipality, nor a sorted copy of it."""
    order = pc.sort_indices(data["gemeentecode"])
    rows, start = {}, 0
    for group in pc.value_counts(data["gemeentecode"].take(order)).to_pylist():  # in the sorted order
        rows[group["values"]] = order.slice(start, group["counts"])
        start += group["counts"]
    return rows


def _deliveries(data: pa.Table) -> pa.Table:
    """Which files with which contents, in a fixed order: two equal ones are the same deliveries."""
    pairs = data.group_by(["bestand", "bron_bestand_hash"]).aggregate([])
    return pairs.sort_by([("bestand", "ascending"), ("bron_bestand_hash", "ascending")])


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
