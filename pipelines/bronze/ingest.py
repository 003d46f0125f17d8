"""Landing -> bronze, the same way for every source system.

Each landing file is ingested once: its content hash travels with every row it yields (`bron_bestand_hash`), and
a file whose hash bronze or quarantine already holds is not parsed again, so ingesting the same content twice
adds nothing. New files are parsed in chunks, each writing its own Parquet parts per table
(`pipelines.bronze.parts`); a large delivery's chunks are spread over worker processes, one per core, each asking
the kernel for all its files at once. A source's parser (`pipelines.bronze.contract`) may also read a large,
regular file column-wise (`Source.bulk`), to exactly the rows and quarantine it would give record by record.
Records a parser rejects go to quarantine with the reason, file and record number. A file that cannot be read
at all is copied aside into quarantine with its error; landing itself is never edited, and the other files
still run. The file register (`pipelines.bronze.file_register`) lists every file a run read or rejected, with
its size and modification time: a file registered and untouched since is not even read again, and a large
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyarrow as pa

from pipelines.bronze import file_register, parts
from pipelines.bronze.contract import LandingFile, ParseContext, Source, UnreadableFile
from pipelines.bronze.deliveries import needs_full_listing, removed_files, update_deliveries
from pipelines.bronze.file_register import FILE_FACTS, FileFacts
from pipelines.bronze.landing import Listing, landing_listing, remember_folders
from pipelines.bronze.tables import QUARANTAINE, BronzeTable
from pipelines.bronze.workers import over_processes
from pipelines.settings import Settings


@dataclass
class IngestReport:
    files_new: int = 0
    files_known: int = 0
    files_rejected: list[str] = field(default_factory=list)
    rows: Counter = field(default_factory=Counter)  # per bronze table
    quarantined: int = 0
    notes: Counter = field(default_factory=Counter)
    inputs: list[str] = field(default_factory=list)  # files parsed, until added to the run's report (`add`)
    folders: set[str] = field(default_factory=set)  # the folders of the files parsed, once added
    register: list[dict] = field(default_factory=list)  # one entry per file read or rejected, until added
    # The entries of the reports added, as tables: a national first load registers millions of files, too many
    # to hold as dictionaries.
    registered: list[pa.Table] = field(default_factory=list)
    staged: list[Path] = field(default_factory=list)  # Parquet parts written, not yet in bronze (see `_publish`)
    withdrawn: list[str] = field(default_factory=list)  # landing files removed or replaced since the last run

    def add(self, other: IngestReport) -> None:
        self.files_new += other.files_new
        self.files_known += other.files_known
        self.files_rejected += other.files_rejected
        self.rows.update(other.rows)
        self.quarantined += other.quarantined
        self.notes.update(other.notes)
        self.folders |= other.folders | {path.rpartition(os.sep)[0] for path in other.inputs}
        self.registered += [*other.registered, file_register.table(other.register)]

    def register_table(self) -> pa.Table:
        """Every register entry of the report and of those added to it."""
        return pa.concat_tables([*self.registered, file_register.table(self.register)])


CHUNK_BYTES, CHUNK_FILES = 8 * 2**20, 1_000  # a chunk closes at either
PARALLEL_FROM_CHUNKS = 8  # below this, starting worker processes costs more than it saves
# Each log line is an event Dagster commits to its run's SQLite file: a national delivery of thousands of chunks
# logged every chunk.
PROGRESS_SECONDS = 10


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
    parts.remove_staged(source, settings)
    new = _new_files(source, settings, listing.files, report, processes, log)
    chunks = _chunks(new)
    workers = _workers(chunks, processes)
    if workers > 1:
        log.info(f"{source.system}: parsing {new.num_rows} new files in {len(chunks)} chunks over {workers} processes")
    done, logged_at, ingested = 0, time.monotonic(), set()
    # One ingestion time for every file of the run: the latest delivery of a record is then the latest run's,
    # and within a run the last file by name (`delivery_rank`), whichever worker process parsed it first.
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    chunk_parser = partial(_parse_chunk, source, settings, run_id, loaded_at)
    for chunk in over_processes(chunk_parser, list(enumerate(chunks)), workers):
        _publish(chunk, ingested)
        report.add(chunk)
        done += len(chunk.register)
        for entry in chunk.register:
            if entry["status"] == "rejected":
                log.error(f"{source.system}: file {entry['bestand']} cannot be read and was set aside: {entry['error']}")
        if time.monotonic() - logged_at >= PROGRESS_SECONDS or done == new.num_rows:  # every file is registered once
            logged_at = time.monotonic()
            log.info(f"{source.system}: {done}/{new.num_rows} new files read, {sum(report.rows.values()):,} rows, "
                     f"{report.quarantined} quarantined")
    register = report.register_table()
    file_register.write(settings, source, run_id, register)
    report.withdrawn = update_deliveries(
        settings, source.system, source.aanlevering, listing, register, run_id,
        registered=lambda: file_register.entries(settings, f"{source.system}/", ["bestand", "bytes", "mtime_ns", "hash"]))
    if report.withdrawn:
        log.info(f"{source.system}: {len(report.withdrawn)} deliveries removed from or replaced in landing since the "
                 f"last run no longer count in silver: {', '.join(report.withdrawn[:5])}"
                 + (", ..." if len(report.withdrawn) > 5 else ""))
    remember_folders(settings, source.system, listing.folders)
    parts.every_column_readable(source, settings, log)
    # The build goes on in this process (the next source, the checks' DuckDB): Arrow's allocator keeps the pages
    # of the tables freed above unless told to give them back.
    pa.default_memory_pool().release_unused()
    return report


def _refuse(source: Source, settings: Settings, listing: Listing, report: IngestReport, log) -> None:
    """Register the landing entries that are not read, with the reason, once while they stay as they are
    (symbolic links, special files, names no table can hold), and report hidden files every run."""
    for entry in file_register.unregistered(settings, source, listing.refused).to_pylist():
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
               processes: int | None, log) -> pa.Table:
    """The files to read (gemeentecode, bestand, bytes, mtime_ns): not registered and untouched since, and not
    a copy of content bronze already holds. Copies within the delivery itself are found as it is parsed
    (`_parse_chunk`, `_publish`), so that a first delivery is read once: hashing it beforehand read every file
    twice. Kept as a table: as Python tuples, national iWmo's millions of files took gigabytes."""
    changed = file_register.unregistered(settings, source, files).select(list(FILE_FACTS))
    report.files_known += files.num_rows - changed.num_rows  # registered, untouched since: not even read
    if not changed.num_rows:  # a night with nothing new need not read bronze's hashes (national iWmo: millions)
        if settings.full_refresh or not file_register.duplicates_checked(source, settings).exists():
            file_register.known_hashes(source, settings, log)
        return changed
    known = file_register.known_hashes(source, settings, log)
    if not known:
        return changed
    chunks = _chunks(changed)
    digests = [d for chunk in over_processes(_content_hashes, chunks, _workers(chunks, processes)) for d in chunk]
    unregistered = file_register.ingested_but_unregistered(
        settings, source, {d for d in digests if d in known and "set_aside" not in known[d]})
    is_new = []
    for candidate, digest in zip(_file_facts(changed), digests, strict=True):
        if digest in unregistered:
            report.files_known += 1
            report.register.append(file_register.recovered_entry(candidate, digest, known[digest]))
            report.notes["files ingested by an interrupted run, registered now"] += 1
            unregistered.discard(digest)
        elif digest in known:
            report.files_known += 1
            report.register.append(file_register.duplicate_entry(candidate, digest))
        is_new.append(digest not in known)
    return changed.filter(pa.array(is_new, pa.bool_()))


def _file_facts(files: pa.Table) -> list[FileFacts]:
    return list(zip(*(files[name].to_pylist() for name in FILE_FACTS)))


def pending_files(settings: Settings, source: Source) -> pa.Table:
    """The landing files of a source that the next run would look at: not registered, or changed since, and
    (without size or time) those removed since they were delivered, which the next run stops counting."""
    listing = landing_listing(settings, source.system, processes=1, never_rewritten=source.files_never_rewritten)
    removed = removed_files(settings, source.system, source.aanlevering, listing)
    return pa.concat_tables([file_register.unregistered(settings, source, listing.files), pa.table(
        {"gemeentecode": [None] * len(removed), "bestand": removed, "bytes": [None] * len(removed),
         "mtime_ns": [None] * len(removed)}, schema=listing.files.schema)])


def _content_hashes(files: pa.Table) -> list[str]:
    return [hashlib.sha256(content).hexdigest() for content in _read_ahead(files["bestand"].to_pylist())]


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


def _chunks(files: pa.Table) -> list[pa.Table]:
    """Consecutive files in chunks of about CHUNK_BYTES or CHUNK_FILES, so the work spreads evenly over the
    processes. Each chunk is a copy, not a slice: a pickled slice carries the whole table to its worker."""
    bounds, start, size = [], 0, 0
    for end, file_size in enumerate(files["bytes"].to_pylist(), start=1):
        size += file_size
        if size >= CHUNK_BYTES or end - start >= CHUNK_FILES:
            bounds.append((start, end))
            start, size = end, 0
    if start < files.num_rows:
        bounds.append((start, files.num_rows))
    return [files.take(pa.array(range(start, end), pa.int64())) for start, end in bounds]


def _parse_chunk(source: Source, settings: Settings, run_id: str, loaded_at: dt.datetime,
                 numbered: tuple[int, pa.Table]) -> IngestReport:
    """Parse one chunk of landing files into its own staged Parquet parts, each file once however often its
    content occurs in the chunk; runs in a worker process or inline."""
    number, files = numbered
    report = IngestReport()
    batch = parts.StagedBatch(source, settings, f"{run_id}-{number:04d}")
    seen = set()
    contents = _read_ahead(files["bestand"].to_pylist())
    for (gemeentecode, path, size, mtime_ns), content in zip(_file_facts(files), contents, strict=True):
        file = LandingFile(Path(path), content, size, mtime_ns)
        if file.sha256 in seen:
            report.files_known += 1
            report.register.append(file_register.duplicate_entry((gemeentecode, path, size, mtime_ns), file.sha256))
            continue
        seen.add(file.sha256)
        report.inputs.append(path)
        try:
            rows, quarantined, notes = _parse_file(source, ParseContext(settings, file, gemeentecode), run_id, loaded_at)
        except UnreadableFile as err:
            report.register.append(file_register.set_aside(settings, source, file, str(err), gemeentecode))
            report.files_rejected.append(f"{file.path.name}: {err}")
            continue
        batch.add(rows, quarantined)
        counts = {name: len(r) for name, r in rows.items()}
        report.register.append(file_register.file_entry(file, gemeentecode, status="ingested", rows=counts,
                                                         quarantined=len(quarantined)))
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
    parts.publish(chunk.staged)
    chunk.staged = []


def _drop_files(chunk: IngestReport, copies: set[str]) -> None:
    """Take the files with these contents out of a chunk's staged parts and its report: they are duplicates."""
    for part in list(chunk.staged):
        parts.rewrite_without(part, copies)
        if not part.exists():
            chunk.staged.remove(part)
    for position, entry in enumerate(chunk.register):
        if entry["status"] == "ingested" and entry["hash"] in copies:
            chunk.register[position] = file_register.duplicate_entry(
                (entry["gemeentecode"], entry["bestand"], entry["bytes"], entry["mtime_ns"]), entry["hash"])
            chunk.inputs.remove(entry["bestand"])
            chunk.rows.subtract(entry["rows"])
            chunk.quarantined -= entry["quarantined"]
            chunk.files_new -= 1
            chunk.files_known += 1


def municipality_count(n: int) -> str:
    return f"{n} municipality" if n == 1 else f"{n} municipalities"


def _parse_file(source: Source, context: ParseContext, run_id: str, loaded_at: dt.datetime):
    file = context.file
    stamp = {
        "bron_systeem": source.system,
        "bron_bestand": file.path.name,
        "bron_bestand_hash": file.sha256,
        "run_id": run_id,
        "geladen_op": loaded_at,
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
    if data.num_rows == 0:  # as the quarantine of nearly every file is
        return table.arrow_schema.empty_table()
    for name, value in stamp.items():
        data = data.append_column(name, pa.repeat(pa.scalar(value, table.arrow_schema.field(name).type), data.num_rows))
    return data.select(table.arrow_schema.names).cast(table.arrow_schema)


