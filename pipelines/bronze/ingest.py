"""Landing -> bronze, the same way for every source system.

Each landing file is ingested once: its content hash travels with every row it yields (`bron_bestand_hash`), and
a file whose hash bronze or quarantine already holds is not parsed again, so ingesting the same content twice
adds nothing. New files are parsed in chunks, each writing its own Parquet parts per table; a large delivery's
chunks are spread over worker processes, one per core, each asking the kernel for all its files at once. A
source may also read a large, regular file column-wise (`Source.bulk`), to exactly the rows and quarantine its
parser would give record by record. Records a parser rejects go to quarantine with the reason, file and record
number. A file that cannot be read at all is copied aside into quarantine with its error; landing itself is
never edited, and the other files still run. A register per run (Parquet) lists every file it read or rejected,
with its size and modification time: a file registered and untouched since is not even read again, and a large
folder nothing was added to since the last run is not even listed (`landing.landing_listing`), so a nightly run
costs what arrived, not the history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipelines.bronze.deliveries import needs_full_listing, removed_files, update_deliveries
from pipelines.bronze.landing import Listing, landing_listing, over_processes, remember_folders
from pipelines.bronze.tables import QUARANTAINE, BronzeTable, aanlevering_table
from pipelines.settings import Settings


class UnreadableFile(Exception):
    """The file as a whole cannot be read (encoding, structure, missing columns)."""


class RecordError(Exception):
    """One record fails parsing or a must-have rule; it goes to quarantine with this reason."""


@dataclass(frozen=True)
class LandingFile:
    path: Path
    content: bytes
    size: int  # size and modification time as read: together with the path they say the file is unchanged
    mtime_ns: int

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Parsed:
    """What a parser yields per record: the bronze row, or the reason it was quarantined."""

    record_number: int
    row: dict | None = None
    error: str | None = None
    raw: dict | None = None  # minimised fields kept with a quarantined record
    table: str | None = None  # which of the source's tables; None is its first


@dataclass
class ParseContext:
    settings: Settings
    file: LandingFile
    gemeentecode: str  # the municipality whose drop folder holds the file
    notes: Counter = field(default_factory=Counter)  # file-level observations, e.g. the format detected


@dataclass
class Bulk:
    """What a column-wise reader makes of a whole file: per table its bronze columns with `bron_record`, and the
    quarantined records as `bron_tabel`, `reden`, `record` and `bron_record`."""

    rows: dict[str, pa.Table]
    quarantined: pa.Table

    QUARANTINED = pa.schema([("bron_tabel", pa.string()), ("reden", pa.string()), ("record", pa.string()),
                             ("bron_record", pa.int64())])

    @classmethod
    def of(cls, rows: dict[str, pa.Table], quarantined: list[dict]) -> Bulk:
        return cls(rows, pa.Table.from_pylist(quarantined, schema=cls.QUARANTINED))


Parser = Callable[[ParseContext], Iterator[Parsed]]
BulkReader = Callable[[ParseContext], Bulk | None]


@dataclass(frozen=True)
class Source:
    system: str  # source system, also the landing folder name
    tables: tuple[BronzeTable, ...]  # the first is where a parser's rows go unless they name another
    parse: Parser
    # Reads a large, regular file column-wise to the same rows and quarantine as `parse`; None leaves the file
    # to `parse`, record by record.
    bulk: BulkReader | None = None
    # A file once delivered is never rewritten under its name (iWmo: one file per bericht, and a correction is a
    # new bericht). A large folder is then listed by name: a name registered before is not looked at again.
    files_never_rewritten: bool = False

    @property
    def table(self) -> BronzeTable:
        return self.tables[0]

    @property
    def aanlevering(self) -> BronzeTable:
        """Which of its landing files count now (`pipelines.bronze.aanlevering`)."""
        return aanlevering_table(self.system)


@dataclass
class IngestReport:
    files_new: int = 0
    files_known: int = 0
    files_rejected: list[str] = field(default_factory=list)
    rows: Counter = field(default_factory=Counter)  # per bronze table
    quarantined: int = 0
    notes: Counter = field(default_factory=Counter)
    inputs: list[str] = field(default_factory=list)
    register: list[dict] = field(default_factory=list)  # one entry per file read or rejected
    staged: list[Path] = field(default_factory=list)  # Parquet parts written, not yet in bronze (see `_publish`)
    withdrawn: list[str] = field(default_factory=list)  # landing files removed or replaced since the last run

    def add(self, other: IngestReport) -> None:
        self.files_new += other.files_new
        self.files_known += other.files_known
        self.files_rejected += other.files_rejected
        self.rows.update(other.rows)
        self.quarantined += other.quarantined
        self.notes.update(other.notes)
        self.inputs += other.inputs
        self.register += other.register


CHUNK_BYTES, CHUNK_FILES = 8 * 2**20, 1_000  # a chunk closes at either
PARALLEL_FROM_CHUNKS = 8  # below this, starting worker processes costs more than it saves
# Each log line is an event Dagster commits to its run's SQLite file (~10 ms): a national delivery of 3,500
# chunks logged every chunk.
PROGRESS_SECONDS = 10
STAGED = ".staged"  # a part written but not yet published into bronze
EMPTY_PART = "_leeg.parquet"  # an empty part in the current schema: every column readable (see _every_column_readable)


def ingest(source: Source, settings: Settings, run_id: str, log, processes: int | None = None) -> IngestReport:
    """Read the new landing files of one source into bronze. A large delivery is parsed in chunks spread over
    `processes` worker processes (default: one per core); each chunk writes its own Parquet parts."""
    listing = landing_listing(settings, source.system, processes, never_rewritten=source.files_never_rewritten,
                              list_all=needs_full_listing(settings, source.system, source.aanlevering))
    municipalities = listing.municipalities
    log.info(f"{source.system}: {listing.files.num_rows + listing.not_listed} landing files of "
             f"{municipality_count(len(municipalities))} "
             f"({', '.join(municipalities[:5])}{', ...' if len(municipalities) > 5 else ''})"
             + (f"; {listing.not_listed} of them in folders unchanged since the last run, not looked at again"
                if listing.not_listed else ""))
    report = IngestReport(files_known=listing.not_listed)
    _refuse(source, settings, listing, report, log)
    _remove_staged(source, settings)
    new = _new_files(source, settings, listing.files, report, processes, log)
    chunks = _chunks(new)
    workers = _workers(chunks, processes)
    if workers > 1:
        log.info(f"{source.system}: parsing {len(new)} new files in {len(chunks)} chunks over {workers} processes")
    done, logged_at, ingested = 0, time.monotonic(), set()
    for chunk in over_processes(partial(_parse_chunk, source, settings, run_id), list(enumerate(chunks)), workers):
        _publish(chunk, ingested)
        report.add(chunk)
        done += len(chunk.register)
        for entry in chunk.register:
            if entry["status"] == "rejected":
                log.error(f"{source.system}: file {entry['bestand']} cannot be read and was set aside: {entry['error']}")
        if time.monotonic() - logged_at >= PROGRESS_SECONDS or done == len(new):  # every file is registered once
            logged_at = time.monotonic()
            log.info(f"{source.system}: {done}/{len(new)} new files read, {sum(report.rows.values()):,} rows, "
                     f"{report.quarantined} quarantined")
    _write_register(settings, source, run_id, report.register)
    report.withdrawn = update_deliveries(
        settings, source.system, source.aanlevering, listing, report.register, run_id,
        registered=lambda: _register(settings, f"{source.system}/", ["bestand", "bytes", "mtime_ns", "hash"]))
    if report.withdrawn:
        log.info(f"{source.system}: {len(report.withdrawn)} deliveries removed from or replaced in landing since the "
                 f"last run no longer count in silver: {', '.join(report.withdrawn[:5])}"
                 + (", ..." if len(report.withdrawn) > 5 else ""))
    remember_folders(settings, source.system, listing.folders)
    _every_column_readable(source, settings, log)
    return report


def _refuse(source: Source, settings: Settings, listing: Listing, report: IngestReport, log) -> None:
    """Register the landing entries that are not read, with the reason, once while they stay as they are
    (symbolic links, special files, names no table can hold), and report hidden files every run."""
    for entry in _unregistered(settings, source, listing.refused).to_pylist():
        log.error(f"{source.system}: {entry['bestand']} is not read: {entry['reden']}")
        report.files_rejected.append(f"{os.path.basename(entry['bestand'])}: {entry['reden']}")
        report.register.append({"bestand": entry["bestand"], "gemeentecode": entry["gemeentecode"], "hash": None,
                                "bytes": entry["bytes"], "mtime_ns": entry["mtime_ns"], "status": "rejected",
                                "error": entry["reden"]})
    if listing.hidden:
        log.warning(f"{source.system}: {len(listing.hidden)} hidden files or folders (name starting with a dot) not "
                    f"read: {', '.join(listing.hidden[:5])}{' ...' if len(listing.hidden) > 5 else ''}")
        report.notes["hidden files or folders not read"] += len(listing.hidden)


def _workers(chunks: list, processes: int | None) -> int:
    """Worker processes for this many chunks: one per core (or `processes`), or 1 (inline) when starting
    processes would cost more than it saves."""
    workers = min(processes or os.cpu_count() or 1, len(chunks))
    return workers if len(chunks) >= PARALLEL_FROM_CHUNKS else 1


def _new_files(source: Source, settings: Settings, files: pa.Table, report: IngestReport,
               processes: int | None, log) -> list[tuple[str, str, int, int]]:
    """(gemeentecode, path, size, mtime_ns) of the files to read: not registered and untouched since, and not
    a copy of content bronze already holds. Copies within the delivery itself are found as it is parsed
    (`_parse_chunk`, `_publish`), so that a first delivery is read once: hashing it beforehand read every file
    twice."""
    changed = _unregistered(settings, source, files)
    report.files_known += files.num_rows - changed.num_rows  # registered, untouched since: not even read
    candidates = list(zip(*(changed[name].to_pylist() for name in ("gemeentecode", "bestand", "bytes", "mtime_ns"))))
    if not candidates:  # on a night with nothing new, reading national iWmo bronze's hashes took 1.7 s
        if settings.full_refresh or not _duplicates_checked(source, settings).exists():
            _known_hashes(source, settings, log)
        return []
    known = _known_hashes(source, settings, log)
    if not known:
        return candidates
    chunks = _chunks(candidates)
    digests = [d for chunk in over_processes(_content_hashes, chunks, _workers(chunks, processes)) for d in chunk]
    unregistered = _ingested_but_unregistered(settings, source,
                                              {d for d in digests if d in known and "set_aside" not in known[d]})
    new = []
    for candidate, digest in zip(candidates, digests, strict=True):
        if digest in unregistered:
            report.files_known += 1
            report.register.append(_recovered(candidate, digest, known[digest]))
            report.notes["files ingested by an interrupted run, registered now"] += 1
            unregistered.discard(digest)
        elif digest in known:
            report.files_known += 1
            report.register.append(_duplicate(candidate, digest))
        else:
            new.append(candidate)
    return new


def _ingested_but_unregistered(settings: Settings, source: Source, digests: set[str]) -> set[str]:
    """Of these contents in bronze, those no register lists as ingested: a run put their rows in bronze and was
    killed before it wrote its register. The file they came from is registered with its counts the next time it
    is seen, instead of as a copy of itself."""
    if not digests:
        return set()
    ingested = _register(settings, f"{source.system}/", ["hash"],
                         (ds.field("status") == "ingested") & ds.field("hash").isin(sorted(digests)))
    return digests - set(ingested["hash"].to_pylist())


def _recovered(file: tuple[str, str, int, int], digest: str, held: dict) -> dict:
    gemeentecode, path, size, mtime_ns = file
    return {"bestand": path, "gemeentecode": gemeentecode, "hash": digest, "bytes": size, "mtime_ns": mtime_ns,
            "status": "ingested", "rows": held["rows"], "quarantined": held["quarantined"]}


def pending_files(settings: Settings, source: Source) -> pa.Table:
    """The landing files of a source that the next run would look at: not registered, or changed since, and
    (without size or time) those removed since they were delivered, which the next run stops counting."""
    listing = landing_listing(settings, source.system, processes=1, never_rewritten=source.files_never_rewritten)
    removed = removed_files(settings, source.system, source.aanlevering, listing)
    return pa.concat_tables([_unregistered(settings, source, listing.files), pa.table(
        {"gemeentecode": [None] * len(removed), "bestand": removed, "bytes": [None] * len(removed),
         "mtime_ns": [None] * len(removed)}, schema=listing.files.schema)])


def _unregistered(settings: Settings, source: Source, files: pa.Table) -> pa.Table:
    """The listed files (`LISTING`) not registered, or changed since they were, in the listing's order. A file
    listed by name only (no size) is compared by name, and only a name not registered is looked at (stat)."""
    if not files.num_rows:  # every folder unchanged: the national iWmo register takes 0.3-0.4 s to read
        return files
    registered = _register(settings, f"{source.system}/", ["bestand", "bytes", "mtime_ns"])
    files = files.append_column("volgorde", pa.array(range(files.num_rows), pa.int64()))
    by_name = pc.is_null(files["bytes"])
    # A join, not a set of tuples: national iWmo registered 1.5 million files, and the set alone took 1.4 s.
    changed = files.filter(pc.invert(by_name)).join(registered, ["bestand", "bytes", "mtime_ns"], join_type="left anti")
    new_names = files.filter(by_name).join(registered.select(["bestand"]), "bestand", join_type="left anti")
    return pa.concat_tables([changed, _stat(new_names)]).sort_by("volgorde").drop_columns("volgorde")


def _stat(files: pa.Table) -> pa.Table:
    """Files listed by name only, with their size and modification time."""
    stats = [os.stat(path) for path in files["bestand"].to_pylist()]
    for name, values in (("bytes", [s.st_size for s in stats]), ("mtime_ns", [s.st_mtime_ns for s in stats])):
        files = files.set_column(files.schema.get_field_index(name), name, pa.array(values, pa.int64()))
    return files


def _duplicate(file: tuple[str, str, int, int], digest: str) -> dict:
    """The register entry of a file whose content bronze already holds: not read again while it is unchanged.
    Size and modification time are the ones checked against the register, from one stat."""
    gemeentecode, path, size, mtime_ns = file
    return {"bestand": path, "gemeentecode": gemeentecode, "hash": digest, "bytes": size,
            "mtime_ns": mtime_ns, "status": "duplicate"}


def _content_hashes(files: list[tuple[str, str, int, int]]) -> list[str]:
    return [hashlib.sha256(content).hexdigest() for content in _read_ahead([path for _, path, _, _ in files])]


def _read_ahead(paths: list[str]) -> Iterator[bytes]:
    """The files' contents in order, once the kernel has been asked to fetch all of them. Read one at a time, a
    worker waited for the disk on every file: national iWmo is 1.5 million files of a few KB, most of them out
    of the page cache by the time they are ingested, and one request for the whole chunk lets the disk serve
    them together."""
    if hasattr(os, "posix_fadvise"):  # not on macOS or Windows, where files are simply read one by one
        for path in paths:
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_WILLNEED)
            finally:
                os.close(descriptor)
    return map(_read, paths)


def _read(path: str) -> bytes:
    # Listed as a regular file; should it have become a link since, it is not followed
    with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as file:
        return file.read()


def _chunks(files: list[tuple[str, str, int, int]]) -> list[list[tuple[str, str, int, int]]]:
    """Consecutive files in chunks of about CHUNK_BYTES or CHUNK_FILES, so the work spreads evenly over the
    processes."""
    chunks, current, size = [], [], 0
    for file in files:
        current.append(file)
        size += file[2]
        if size >= CHUNK_BYTES or len(current) >= CHUNK_FILES:
            chunks.append(current)
            current, size = [], 0
    return chunks + [current] if current else chunks


def _parse_chunk(source: Source, settings: Settings, run_id: str,
                 numbered: tuple[int, list[tuple[str, str, int, int]]]) -> IngestReport:
    """Parse one chunk of landing files into its own staged Parquet parts, each file once however often its
    content occurs in the chunk; runs in a worker process or inline."""
    number, files = numbered
    report = IngestReport()
    batch = _Batch(source, settings, f"{run_id}-{number:04d}")
    seen = set()
    contents = _read_ahead([path for _, path, _, _ in files])
    for (gemeentecode, path, size, mtime_ns), content in zip(files, contents, strict=True):
        file = LandingFile(Path(path), content, size, mtime_ns)
        if file.sha256 in seen:
            report.files_known += 1
            report.register.append(_duplicate((gemeentecode, path, size, mtime_ns), file.sha256))
            continue
        seen.add(file.sha256)
        report.inputs.append(path)
        try:
            rows, quarantined, notes = _parse_file(source, ParseContext(settings, file, gemeentecode), run_id)
        except UnreadableFile as err:
            report.register.append(_set_aside(settings, source, file, str(err), gemeentecode))
            report.files_rejected.append(f"{file.path.name}: {err}")
            continue
        batch.add(rows, quarantined)
        counts = {name: len(r) for name, r in rows.items()}
        report.register.append(_entry(file, gemeentecode, status="ingested", rows=counts, quarantined=len(quarantined)))
        report.files_new += 1
        report.rows.update(counts)
        report.quarantined += len(quarantined)
        report.notes.update(notes)
    batch.flush()
    report.staged = batch.staged
    return report


def _publish(chunk: IngestReport, ingested: set[str]) -> None:
    """Move a chunk's staged parts into bronze, without the files whose content an earlier chunk of this
    delivery holds (`ingested`, which grows by this chunk's files). Until then no part of the chunk counts as
    ingested: a crash leaves only staged parts, which the next run removes and reads again."""
    copies = {e["hash"] for e in chunk.register if e["status"] == "ingested" and e["hash"] in ingested}
    if copies:
        _drop_files(chunk, copies)
    ingested.update(e["hash"] for e in chunk.register if e["status"] == "ingested")
    for part in chunk.staged:
        os.replace(part, part.with_suffix(""))
    chunk.staged = []


def _drop_files(chunk: IngestReport, copies: set[str]) -> None:
    """Take the files with these contents out of a chunk's staged parts and its report: they are duplicates."""
    for part in list(chunk.staged):
        _rewrite_without(part, copies)
        if not part.exists():
            chunk.staged.remove(part)
    for position, entry in enumerate(chunk.register):
        if entry["status"] == "ingested" and entry["hash"] in copies:
            chunk.register[position] = _duplicate(
                (entry["gemeentecode"], entry["bestand"], entry["bytes"], entry["mtime_ns"]), entry["hash"])
            chunk.inputs.remove(entry["bestand"])
            chunk.rows.subtract(entry["rows"])
            chunk.quarantined -= entry["quarantined"]
            chunk.files_new -= 1
            chunk.files_known += 1


class _Batch:
    """Rows of many landing files, written as one Parquet part per table every FLUSH_ROWS rows.

    A part is written atomically under a staged name and carries its files' content hashes
    (`bron_bestand_hash`). Once `_publish` has moved it into bronze those files count as ingested, so a crash
    can lose at most an unpublished part, never duplicate one.
    """

    FLUSH_ROWS = 250_000

    def __init__(self, source: Source, settings: Settings, prefix: str):
        self.source, self.settings, self.prefix = source, settings, prefix
        self.parts = 0
        self.staged: list[Path] = []
        self._empty()

    def _empty(self) -> None:
        self.rows: dict[str, _Rows] = {table.name: _Rows(table) for table in self.source.tables}
        self.quarantined = _Rows(QUARANTAINE)

    def add(self, rows: dict[str, list[dict] | pa.Table], quarantined: list[dict] | pa.Table) -> None:
        for name, table_rows in rows.items():
            self.rows[name].add(table_rows)
        self.quarantined.add(quarantined)
        if sum(len(r) for r in self.rows.values()) >= self.FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        name = f"{self.prefix}-{self.parts:04d}.parquet{STAGED}"
        for table in self.source.tables:
            if self.rows[table.name]:
                self._write(self.rows[table.name].table(), table, self.settings.bronze / table.folder / name)
        if self.quarantined:
            self._write(self.quarantined.table(), QUARANTAINE, _quarantine_folder(self.settings, self.source) / name)
        self._empty()
        self.parts += 1

    def _write(self, rows: pa.Table, table: BronzeTable, path: Path) -> None:
        write_parquet(rows, table, path)
        self.staged.append(path)


class _Rows:
    """One table's rows of a batch: record by record from parsers, whole tables from bulk readers."""

    def __init__(self, table: BronzeTable):
        self.schema = table.arrow_schema
        self.records: list[dict] = []
        self.tables: list[pa.Table] = []

    def add(self, rows: list[dict] | pa.Table) -> None:
        if isinstance(rows, pa.Table):
            self.tables.append(rows)
        else:
            self.records.extend(rows)

    def __len__(self) -> int:
        return len(self.records) + sum(t.num_rows for t in self.tables)

    def table(self) -> pa.Table:
        return pa.concat_tables([pa.Table.from_pylist(self.records, schema=self.schema), *self.tables])


def _known_hashes(source: Source, settings: Settings, log) -> dict[str, dict]:
    """Content hashes already in bronze or quarantine, or set aside, with what bronze holds of each (rows per
    table, records quarantined): those files are not read again. Reading them, it repairs a table holding a
    file's rows twice (`_hashes_repaired`)."""
    known = {digest: {"rows": {}, "quarantined": 0, "set_aside": True}
             for digest in _register(settings, f"{source.system}/", ["hash"], REJECTED)["hash"].to_pylist()}
    for table in source.tables:
        for digest, rows in _hashes_repaired(settings.bronze / table.folder, log).items():
            known.setdefault(digest, {"rows": {}, "quarantined": 0})["rows"][table.name] = rows
    for digest, records in _hashes_repaired(_quarantine_folder(settings, source), log).items():
        known.setdefault(digest, {"rows": {}, "quarantined": 0})["quarantined"] = records
    settings.file_register.mkdir(parents=True, exist_ok=True)
    _duplicates_checked(source, settings).touch()
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
        removed = _rewrite_without(Path(part), set(copies))
        log.warning(f"bronze {folder.name}: part {Path(part).name} held {removed} rows of {len(copies)} files "
                    "that an earlier part holds too (ingested twice); rewritten without them")
    if later:  # counted again once repaired
        return _hashes_repaired(folder, log)
    return {digest: rows for digest, _, rows in hashes}


def _rewrite_without(part: Path, hashes: set[str]) -> int:
    """Rewrite a Parquet part without the rows of the files with these contents, atomically, or remove it when
    nothing is left; the number of rows taken out."""
    data = pq.read_table(part)
    kept = data.filter(pc.invert(pc.is_in(data["bron_bestand_hash"], pa.array(sorted(hashes)))))
    if kept.num_rows:
        pq.write_table(kept, part.with_suffix(".tmp"))
        os.replace(part.with_suffix(".tmp"), part)
    else:
        part.unlink()
    return data.num_rows - kept.num_rows


def _duplicates_checked(source: Source, settings: Settings) -> Path:
    """Present once bronze of a source was checked for files ingested twice: a data root of a version without
    the writer lock is checked at its first run, whatever it brings."""
    return settings.file_register / f"dubbel_gecontroleerd_{source.system}"


def _remove_staged(source: Source, settings: Settings) -> None:
    """Parts an interrupted run wrote but never published: their files were not registered and are read again."""
    for folder in _part_folders(source, settings):
        for part in folder.glob(f"*{STAGED}"):
            part.unlink()


def _part_folders(source: Source, settings: Settings) -> list[Path]:
    """Where a source's Parquet parts go: its bronze tables and its quarantine."""
    return [settings.bronze / t.folder for t in source.tables] + [_quarantine_folder(settings, source)]


def _quarantine_folder(settings: Settings, source: Source) -> Path:
    return settings.quarantine / "records" / source.system


def _every_column_readable(source: Source, settings: Settings, log) -> None:
    """Keep in every bronze table one empty part in the table's current schema, so silver (which reads a folder's
    parts by column name) sees every column: of a table without any delivery yet, and of parts an earlier version
    wrote before a column was added, which read it as empty. When the schema changed, parts lacking a column
    that has a value for earlier parts (`in_earlier_parts`) are rewritten with it, once."""
    for table in (*source.tables, source.aanlevering):
        folder = settings.bronze / table.folder
        empty = folder / EMPTY_PART
        if empty.exists() and pq.read_schema(empty).equals(table.arrow_schema, check_metadata=False):
            continue
        if upgraded := _parts_given_earlier_values(folder, table):
            log.info(f"{source.system}: {upgraded} bronze parts of {table.name} written by an earlier version given "
                     f"the values of columns added since")
        write_parquet([], table, empty)


def _parts_given_earlier_values(folder: Path, table: BronzeTable) -> int:
    values = {c.name: c.in_earlier_parts for c in table.columns if c.in_earlier_parts is not None}
    upgraded = 0
    for part in folder.glob("*.parquet"):
        missing = [name for name in values if name not in pq.read_schema(part).names]
        if missing:
            data = pq.read_table(part)
            for name in missing:
                data = data.append_column(table.arrow_schema.field(name), pa.array([values[name]] * data.num_rows,
                                                                                   table.arrow_schema.field(name).type))
            pq.write_table(data, part.with_suffix(".tmp"))
            os.replace(part.with_suffix(".tmp"), part)
            upgraded += 1
    return upgraded


def municipality_count(n: int) -> str:
    return f"{n} municipality" if n == 1 else f"{n} municipalities"


def _parse_file(source: Source, context: ParseContext, run_id: str):
    file = context.file
    stamp = {
        "bron_systeem": source.system,
        "bron_bestand": file.path.name,
        "bron_bestand_hash": file.sha256,
        "run_id": run_id,
        "geladen_op": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }
    bulk = source.bulk(context) if source.bulk else None
    if bulk is not None:
        tables = {table.name: table for table in source.tables}
        rows = {name: _stamped(data, stamp, tables[name]) for name, data in bulk.rows.items()}
        return rows, _stamped(bulk.quarantined, stamp, QUARANTAINE), context.notes
    rows: dict[str, list[dict]] = {table.name: [] for table in source.tables}
    quarantined = []
    for parsed in source.parse(context):
        lineage = {**stamp, "bron_record": parsed.record_number}
        if parsed.error is None:
            rows[parsed.table or source.table.name].append({**parsed.row, **lineage})
        else:
            record = json.dumps(parsed.raw, ensure_ascii=False, default=str) if parsed.raw else None
            table = parsed.table or source.table.name
            quarantined.append({"bron_tabel": table, "reden": parsed.error, "record": record, **lineage})
    return rows, quarantined, context.notes


def _stamped(data: pa.Table, stamp: dict, table: BronzeTable) -> pa.Table:
    """A bulk reader's table with the file's lineage, in the bronze table's schema."""
    for name, value in stamp.items():
        data = data.append_column(name, pa.array([value] * data.num_rows, table.arrow_schema.field(name).type))
    return data.select(table.arrow_schema.names).cast(table.arrow_schema)


def row_count(folder: Path) -> int:
    """Rows in a bronze table's folder, from the Parquet footers: nothing is read but metadata."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def write_parquet(rows: list[dict] | pa.Table, table: BronzeTable, path: Path) -> None:
    """Write with the table's enforced schema, atomically, so a crash never leaves half a file."""
    data = rows.cast(table.arrow_schema) if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=table.arrow_schema)
    for name in table.required:
        if pc.any(pc.is_null(data[name])).as_py():
            raise ValueError(f"bronze {table.name}: column {name} must not be empty")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(data, tmp)
    os.replace(tmp, path)


def _entry(file: LandingFile, gemeentecode: str, **facts) -> dict:
    return {"bestand": str(file.path), "gemeentecode": gemeentecode, "hash": file.sha256, "bytes": file.size,
            "mtime_ns": file.mtime_ns, **facts}


REGISTER = pa.schema([
    ("bestand", pa.string()), ("gemeentecode", pa.string()), ("hash", pa.string()), ("bytes", pa.int64()),
    ("mtime_ns", pa.int64()), ("status", pa.string()),  # ingested | duplicate | rejected
    ("rows", pa.string()), ("quarantined", pa.int64()),  # of an ingested file: rows per bronze table (JSON)
    ("error", pa.string()), ("copy", pa.string()),  # of a rejected file: why, and where it was copied aside
])
REJECTED = ds.field("status") == "rejected"  # the register entries of files set aside


def _write_register(settings: Settings, source: Source, run_id: str, entries: list[dict]) -> None:
    """One register file per run and source: what it read, rejected and found in each landing file. Parquet:
    a nightly run reads the size and modification time of every file registered so far, and the national iWmo
    register as JSON (516 MB) took 5.5 s to read."""
    if entries:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        _write_register_file(settings.file_register / source.system / f"{run_id}.parquet", entries,
                             {"run_id": run_id, "geregistreerd_op": at})


def _write_register_file(path: Path, entries: list[dict], header: dict) -> None:
    rows = [{**e, "rows": json.dumps(e["rows"]) if "rows" in e else None} for e in entries]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=REGISTER.with_metadata(header)), path.with_suffix(".tmp"))
    os.replace(path.with_suffix(".tmp"), path)


def _register(settings: Settings, folder: str = "", columns: list[str] | None = None,
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
        _write_register_file(path.with_suffix(".parquet"), register["bestanden"], header)
        path.unlink()


QUARANTINE_NAME_BYTES = 120  # of a set-aside copy's name: a landing file's name may take all 255 bytes allowed


def _set_aside(settings: Settings, source: Source, file: LandingFile, error: str, gemeentecode: str) -> dict:
    """Copy a file that cannot be read into quarantine, from the content read (landing is not opened again)."""
    target = settings.quarantine / "bestanden" / source.system / quarantine_name(file.sha256, file.path.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".tmp").write_bytes(file.content)
    os.replace(target.with_suffix(".tmp"), target)
    return _entry(file, gemeentecode, status="rejected", error=error, copy=str(target))


def quarantine_name(sha256: str, name: str) -> str:
    """A set-aside copy's name: the content hash's first 12 characters and as much of the landing name as fits
    in QUARANTINE_NAME_BYTES, its extension kept (so two long names differing only at the end stay apart)."""
    stem, extension = os.path.splitext(name)
    if len(extension.encode()) > 16:
        stem, extension = name, ""
    room = QUARANTINE_NAME_BYTES - 13 - len(extension.encode())
    return f"{sha256[:12]}_{stem.encode()[:room].decode('utf-8', 'ignore')}{extension}"


def rejected_files(settings: Settings) -> list[dict]:
    """Every landing file ever set aside, with its error: the run summary shows these. A register without a
    rejected file is skipped on its statistics ("rejected" sorts after "duplicate" and "ingested"): reading
    every register whole took 1.25 s nationally at the end of each run."""
    return _register(settings, where=REJECTED).to_pylist()
