"""Which landing files were read: the register that makes ingesting the same content twice add nothing.

A register per run and source (Parquet) lists every file it read, found a copy of, or set aside, with its size,
modification time and content hash. A file registered and untouched since is not read again
(`unregistered`); a file whose content bronze or quarantine already holds is registered as a duplicate
(`known_hashes`). A file that cannot be read is copied aside into quarantine (`set_aside`), landing itself is
never edited.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipelines.bronze.contract import LandingFile, Source
from pipelines.bronze.parts import quarantine_folder, rewrite_without
from pipelines.settings import Settings

REGISTER = pa.schema([
    ("bestand", pa.string()), ("gemeentecode", pa.string()), ("hash", pa.string()), ("bytes", pa.int64()),
    ("mtime_ns", pa.int64()), ("status", pa.string()),  # ingested | duplicate | rejected
    ("rows", pa.string()), ("quarantined", pa.int64()),  # of an ingested file: rows per bronze table (JSON)
    ("error", pa.string()), ("copy", pa.string()),  # of a rejected file: why, and where it was copied aside
])
REJECTED = ds.field("status") == "rejected"  # the register entries of files set aside
QUARANTINE_NAME_BYTES = 120  # of a set-aside copy's name: a landing file's name may take all 255 bytes allowed

FileFacts = tuple[str, str, int, int]  # (gemeentecode, path, size, mtime_ns) of a listed landing file
FILE_FACTS = ("gemeentecode", "bestand", "bytes", "mtime_ns")  # the same, as the columns of a listing


def write(settings: Settings, source: Source, run_id: str, register: pa.Table) -> None:
    """One register file per run and source (`table` of its entries): what it read, rejected and found in each
    landing file. Parquet: a nightly run reads the size and modification time of every file registered so far,
    which as JSON (half a gigabyte for national iWmo) was slow to read."""
    if register.num_rows:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        _write_file(settings.file_register / source.system / f"{run_id}.parquet",
                    register.replace_schema_metadata({"run_id": run_id, "geregistreerd_op": at}))


def table(entries: list[dict]) -> pa.Table:
    """Register entries (`file_entry`, `duplicate_entry` ...) as a table in the register's schema."""
    columns = {name: [e.get(name) for e in entries] for name in REGISTER.names}
    columns["rows"] = [None if counts is None else _counts_json(tuple(counts.items())) for counts in columns["rows"]]
    return pa.table(columns, schema=REGISTER)


def _write_file(path: Path, register: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(register, path.with_suffix(".tmp"))
    os.replace(path.with_suffix(".tmp"), path)


@functools.lru_cache(maxsize=4096)
def _counts_json(counts: tuple[tuple[str, int], ...]) -> str:
    """A file's rows per table as JSON, once per distinct count: national iWmo registers millions of files with a
    few dozen distinct counts."""
    return json.dumps(dict(counts))


def entries(settings: Settings, folder: str = "", columns: list[str] | None = None,
            where: ds.Expression | None = None) -> pa.Table:
    """The registers of one source (`folder` "<system>/") or of all, as one table, the entries `where` selects.
    A register whose Parquet statistics rule `where` out is not read."""
    _upgrade_json_registers(settings)
    paths = sorted(str(p) for p in settings.file_register.glob(f"{folder or '*/'}*.parquet"))
    schema = pa.schema([REGISTER.field(name) for name in columns or REGISTER.names])
    if not paths:
        return schema.empty_table()
    return ds.dataset(paths, format="parquet", schema=REGISTER).to_table(columns=schema.names, filter=where)


def _upgrade_json_registers(settings: Settings) -> None:
    """Registers written as JSON before they were Parquet, rewritten as Parquet once."""
    for path in sorted(settings.file_register.glob("*/*.json")):
        register = json.loads(path.read_text(encoding="utf-8"))
        header = {k: v for k, v in register.items() if k != "bestanden"}
        _write_file(path.with_suffix(".parquet"), table(register["bestanden"]).replace_schema_metadata(header))
        path.unlink()


def rejected_files(settings: Settings) -> list[dict]:
    """Every landing file ever set aside, with its error: the run summary shows these. A register without a
    rejected file is skipped on its statistics ("rejected" sorts after "duplicate" and "ingested"): reading
    every register whole cost every run's end a noticeable wait nationally."""
    return entries(settings, where=REJECTED).to_pylist()


def unregistered(settings: Settings, source: Source, files: pa.Table) -> pa.Table:
    """The listed files (`LISTING`) not registered, or changed since they were, in the listing's order. A file
    listed by name only (no size) is compared by name, and only a name not registered is looked at (stat)."""
    if not files.num_rows:  # every folder unchanged: not even the register need be read
        return files
    registered = entries(settings, f"{source.system}/", ["bestand", "bytes", "mtime_ns"])
    if not registered.num_rows and not pc.any(pc.is_null(files["bytes"])).as_py():  # a first load: all of them
        return files
    files = files.append_column("volgorde", pa.array(range(files.num_rows), pa.int64()))
    by_name = pc.is_null(files["bytes"])
    # A join, not a set of tuples: national iWmo registers millions of files.
    changed = files.filter(pc.invert(by_name)).join(registered, ["bestand", "bytes", "mtime_ns"], join_type="left anti")
    new_names = files.filter(by_name).join(registered.select(["bestand"]), "bestand", join_type="left anti")
    return pa.concat_tables([changed, _stat(new_names)]).sort_by("volgorde").drop_columns("volgorde")


def _stat(files: pa.Table) -> pa.Table:
    """Files listed by name only, with their size and modification time."""
    stats = [os.stat(path) for path in files["bestand"].to_pylist()]
    for name, values in (("bytes", [s.st_size for s in stats]), ("mtime_ns", [s.st_mtime_ns for s in stats])):
        files = files.set_column(files.schema.get_field_index(name), name, pa.array(values, pa.int64()))
    return files


def file_entry(file: LandingFile, gemeentecode: str, **facts) -> dict:
    """A register entry of a file read: where it lies, its content hash, size and time, and `facts` (status ...)."""
    return {"bestand": str(file.path), "gemeentecode": gemeentecode, "hash": file.sha256, "bytes": file.size,
            "mtime_ns": file.mtime_ns, **facts}


def duplicate_entry(file: FileFacts, digest: str) -> dict:
    """The register entry of a file whose content bronze already holds: not read again while it is unchanged.
    Size and modification time are the ones checked against the register, from one stat."""
    gemeentecode, path, size, mtime_ns = file
    return {"bestand": path, "gemeentecode": gemeentecode, "hash": digest, "bytes": size,
            "mtime_ns": mtime_ns, "status": "duplicate"}


def recovered_entry(file: FileFacts, digest: str, held: dict) -> dict:
    gemeentecode, path, size, mtime_ns = file
    return {"bestand": path, "gemeentecode": gemeentecode, "hash": digest, "bytes": size, "mtime_ns": mtime_ns,
            "status": "ingested", "rows": held["rows"], "quarantined": held["quarantined"]}


def ingested_but_unregistered(settings: Settings, source: Source, digests: set[str]) -> set[str]:
    """Of these contents in bronze, those no register lists as ingested: a run put their rows in bronze and was
    killed before it wrote its register. The file they came from is registered with its counts the next time it
    is seen, instead of as a copy of itself."""
    if not digests:
        return set()
    ingested = entries(settings, f"{source.system}/", ["hash"],
                       (ds.field("status") == "ingested") & ds.field("hash").isin(sorted(digests)))
    return digests - set(ingested["hash"].to_pylist())


def known_hashes(source: Source, settings: Settings, log) -> dict[str, dict]:
    """Content hashes already in bronze or quarantine, or set aside, with what bronze holds of each (rows per
    table, records quarantined): those files are not read again. Reading them, it repairs a table holding a
    file's rows twice (`_hashes_repaired`)."""
    known = {digest: {"rows": {}, "quarantined": 0, "set_aside": True}
             for digest in entries(settings, f"{source.system}/", ["hash"], REJECTED)["hash"].to_pylist()}
    for table in source.tables:
        for digest, rows in _hashes_repaired(settings.bronze / table.folder, log).items():
            known.setdefault(digest, {"rows": {}, "quarantined": 0})["rows"][table.name] = rows
    for digest, records in _hashes_repaired(quarantine_folder(settings, source), log).items():
        known.setdefault(digest, {"rows": {}, "quarantined": 0})["quarantined"] = records
    settings.file_register.mkdir(parents=True, exist_ok=True)
    duplicates_checked(source, settings).touch()
    return known


def _hashes_repaired(folder: Path, log) -> dict[str, int]:
    """The content hashes in one table's parts, with their rows. A file's rows are in one part of a table, so a hash in two parts
    means two runs ingested the same file (runs started together before the writer lock, or a part copied in
    by hand): the rows of the part that loaded it first are kept, and the later parts are rewritten without
    them, each named in the log."""
    parts = sorted(str(p) for p in folder.glob("*.parquet"))
    if not parts:
        return {}
    with duckdb.connect() as db:
        hashes = db.execute("""
            select bron_bestand_hash, min(filename) <> max(filename), count(*)
            from read_parquet(?, union_by_name = true, filename = true) group by all""", [parts]).fetchall()
        twice = [digest for digest, in_two_parts, _ in hashes if in_two_parts]
        later = db.execute("""
            with copies as (
                select bron_bestand_hash, filename, min(geladen_op) as geladen_op
                from read_parquet(?, union_by_name = true, filename = true)
                where bron_bestand_hash in (select unnest(?)) group by all),
            first as (select bron_bestand_hash, arg_min(filename, struct_pack(geladen_op, filename)) as filename
                      from copies group by all)
            select c.filename, list(c.bron_bestand_hash) from copies c join first f using (bron_bestand_hash)
            where c.filename <> f.filename group by all order by all""", [parts, twice]).fetchall() if twice else []
    for part, copies in later:
        removed = rewrite_without(Path(part), set(copies))
        log.warning(f"bronze {folder.name}: part {Path(part).name} held {removed} rows of {len(copies)} files "
                    "that an earlier part holds too (ingested twice); rewritten without them")
    if later:  # counted again once repaired
        return _hashes_repaired(folder, log)
    return {digest: rows for digest, _, rows in hashes}


def duplicates_checked(source: Source, settings: Settings) -> Path:
    """Present once bronze of a source was checked for files ingested twice: a data root of a version without
    the writer lock is checked at its first run, whatever it brings."""
    return settings.file_register / f"dubbel_gecontroleerd_{source.system}"


def set_aside(settings: Settings, source: Source, file: LandingFile, error: str, gemeentecode: str) -> dict:
    """Copy a file that cannot be read into quarantine, from the content read (landing is not opened again)."""
    target = settings.quarantine / "bestanden" / source.system / quarantine_name(file.sha256, file.path.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".tmp").write_bytes(file.content)
    os.replace(target.with_suffix(".tmp"), target)
    return file_entry(file, gemeentecode, status="rejected", error=error, copy=str(target))


def quarantine_name(sha256: str, name: str) -> str:
    """A set-aside copy's name: the content hash's first 12 characters and as much of the landing name as fits
    in QUARANTINE_NAME_BYTES, its extension kept (so two long names differing only at the end stay apart)."""
    stem, extension = os.path.splitext(name)
    if len(extension.encode()) > 16:
        stem, extension = name, ""
    room = QUARANTINE_NAME_BYTES - 13 - len(extension.encode())
    return f"{sha256[:12]}_{stem.encode()[:room].decode('utf-8', 'ignore')}{extension}"
