"""Landing -> bronze, the same way for every source system.

Each landing file is read once: its content hash names its bronze Parquet file and its entry in the file
register, so ingesting the same content again adds nothing. Records a parser rejects go to quarantine with
the reason, file and record number. A file that cannot be read at all is copied aside into quarantine with
its error and registered as rejected; landing itself is never edited, and the other files still run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.bronze.tables import QUARANTAINE, BronzeTable
from pipelines.settings import Settings


class UnreadableFile(Exception):
    """The file as a whole cannot be read (encoding, structure, missing columns)."""


class RecordError(Exception):
    """One record fails parsing or a must-have rule; it goes to quarantine with this reason."""


@dataclass(frozen=True)
class LandingFile:
    path: Path
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Parsed:
    """What a parser yields per record: the bronze row, or the reason it was quarantined."""

    record_number: int
    row: dict | None = None
    error: str | None = None
    raw: dict | None = None  # minimised fields kept with a quarantined record


@dataclass
class ParseContext:
    settings: Settings
    file: LandingFile
    notes: Counter = field(default_factory=Counter)  # file-level observations, e.g. the format detected


Parser = Callable[[ParseContext], Iterator[Parsed]]


@dataclass(frozen=True)
class Source:
    system: str  # source system, also the landing folder name
    table: BronzeTable
    parse: Parser


@dataclass
class IngestReport:
    files_new: int = 0
    files_known: int = 0
    files_rejected: list[str] = field(default_factory=list)
    rows: int = 0
    quarantined: int = 0
    notes: Counter = field(default_factory=Counter)
    inputs: list[str] = field(default_factory=list)


def ingest(source: Source, settings: Settings, run_id: str, log) -> IngestReport:
    report = IngestReport()
    folder = settings.landing / source.system
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")) if folder.exists() else []
    log.info(f"{source.system}: {len(files)} landing files in {folder}")
    for n, path in enumerate(files, start=1):
        file = LandingFile(path, path.read_bytes())
        if _register_path(settings, source, file).exists():
            report.files_known += 1
            continue
        report.inputs.append(str(path))
        try:
            rows, quarantined, notes = _parse_file(source, settings, file, run_id)
        except UnreadableFile as err:
            _set_aside(settings, source, file, run_id, str(err))
            report.files_rejected.append(f"{path.name}: {err}")
            log.error(f"{source.system}: file {path} cannot be read and was set aside: {err}")
            continue
        write_parquet(rows, source.table, settings.bronze / source.table.folder / f"{file.sha256}.parquet")
        write_parquet(quarantined, QUARANTAINE, settings.quarantine / "records" / source.system / f"{file.sha256}.parquet")
        _register(settings, source, file, run_id, status="ingested", rows=len(rows), quarantined=len(quarantined))
        report.files_new += 1
        report.rows += len(rows)
        report.quarantined += len(quarantined)
        report.notes.update(notes)
        if n % 25 == 0 or n == len(files):
            log.info(f"{source.system}: {n}/{len(files)} files read, {report.rows:,} rows, {report.quarantined} quarantined")
    _ensure_readable_when_empty(source, settings)
    return report


def _ensure_readable_when_empty(source: Source, settings: Settings) -> None:
    """Give a source without any delivery yet one empty file, so silver reads it as an empty table."""
    folder = settings.bronze / source.table.folder
    if not any(folder.glob("*.parquet")):
        write_parquet([], source.table, folder / "_leeg.parquet")


def _parse_file(source: Source, settings: Settings, file: LandingFile, run_id: str):
    context = ParseContext(settings, file)
    stamp = {
        "bron_systeem": source.system,
        "bron_bestand": file.path.name,
        "bron_bestand_hash": file.sha256,
        "run_id": run_id,
        "geladen_op": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }
    rows, quarantined = [], []
    for parsed in source.parse(context):
        lineage = {**stamp, "bron_record": parsed.record_number}
        if parsed.error is None:
            rows.append({**parsed.row, **lineage})
        else:
            record = json.dumps(parsed.raw, ensure_ascii=False, default=str) if parsed.raw else None
            quarantined.append({"bron_tabel": source.table.name, "reden": parsed.error, "record": record, **lineage})
    return rows, quarantined, context.notes


def write_parquet(rows: list[dict], table: BronzeTable, path: Path) -> None:
    """Write with the table's enforced schema, atomically, so a crash never leaves half a file."""
    data = pa.Table.from_pylist(rows, schema=table.arrow_schema)
    for name in table.required:
        if pc.any(pc.is_null(data[name])).as_py():
            raise ValueError(f"bronze {table.name}: column {name} must not be empty")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(data, tmp)
    os.replace(tmp, path)


def _register_path(settings: Settings, source: Source, file: LandingFile) -> Path:
    return settings.file_register / source.system / f"{file.sha256}.json"


def _register(settings: Settings, source: Source, file: LandingFile, run_id: str, **facts) -> None:
    entry = {"bestand": str(file.path), "hash": file.sha256, "run_id": run_id,
             "geregistreerd_op": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **facts}
    path = _register_path(settings, source, file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".tmp").write_text(json.dumps(entry, indent=1), encoding="utf-8")
    os.replace(path.with_suffix(".tmp"), path)


def _set_aside(settings: Settings, source: Source, file: LandingFile, run_id: str, error: str) -> None:
    target = settings.quarantine / "bestanden" / source.system / f"{file.sha256[:12]}_{file.path.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(file.path, target)
    _register(settings, source, file, run_id, status="rejected", error=error, copy=str(target))


def rejected_files(settings: Settings) -> list[dict]:
    """Every landing file ever set aside, with its error: the run summary shows these."""
    entries = (json.loads(p.read_text(encoding="utf-8")) for p in settings.file_register.glob("*/*.json"))
    return [e for e in entries if e["status"] == "rejected"]
