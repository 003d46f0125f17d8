"""Bronze's Parquet parts: written staged, published whole, so a crash never leaves half a file or a file twice.

Rows of many landing files are written as one part per table (`StagedBatch`) under a staged name; the
ingestion publishes a chunk's parts into bronze (`publish`) only once it has taken out what an earlier chunk
holds. A part published counts as ingested: a crash before that leaves staged parts only, which the next run
removes (`remove_staged`) and reads again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.bronze.contract import Source
from pipelines.bronze.tables import QUARANTAINE, BronzeTable
from pipelines.settings import Settings

STAGED = ".staged"  # a part written but not yet published into bronze
EMPTY_PART = "_leeg.parquet"  # an empty part in the current schema: every column readable (see every_column_readable)


class StagedBatch:
    """Rows of many landing files, written as one Parquet part per table every FLUSH_ROWS rows.

    A part is written atomically under a staged name and carries its files' content hashes
    (`bron_bestand_hash`). Once `publish` has moved it into bronze those files count as ingested, so a crash
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
            self._write(self.quarantined.table(), QUARANTAINE, quarantine_folder(self.settings, self.source) / name)
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


def publish(staged: list[Path]) -> None:
    """Move staged parts into bronze: from now on their files count as ingested."""
    for part in staged:
        os.replace(part, part.with_suffix(""))


def remove_staged(source: Source, settings: Settings) -> None:
    """Parts an interrupted run wrote but never published: their files were not registered and are read again."""
    for folder in _part_folders(source, settings):
        for part in folder.glob(f"*{STAGED}"):
            part.unlink()


def _part_folders(source: Source, settings: Settings) -> list[Path]:
    """Where a source's Parquet parts go: its bronze tables and its quarantine."""
    return [settings.bronze / t.folder for t in source.tables] + [quarantine_folder(settings, source)]


def quarantine_folder(settings: Settings, source: Source) -> Path:
    return settings.quarantine / "records" / source.system


def rewrite_without(part: Path, hashes: set[str]) -> int:
    """Rewrite a Parquet part without the rows of the files with these contents, atomically, or remove it when
    nothing is left; the number of rows taken out."""
    data = pq.read_table(part)
    kept = data.filter(pc.invert(pc.is_in(data["bron_bestand_hash"], pa.array(sorted(hashes)))))
    if kept.num_rows:
        _write_atomically(kept, part)
    else:
        part.unlink()
    return data.num_rows - kept.num_rows


def every_column_readable(source: Source, settings: Settings, log) -> None:
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
            _write_atomically(data, part)
            upgraded += 1
    return upgraded


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
    _write_atomically(data, path)


def _write_atomically(data: pa.Table, path: Path) -> None:
    """A bronze part written beside its place and moved there, so a crash never leaves half a file. Its Parquet
    statistics (each column's minimum and maximum, what a reader skips a part by) are written for the columns a
    filter can skip parts by: dates, times, numbers and the municipality. The other text columns (identifiers,
    hashes, codes) spread over every part, and their statistics took a quarter of the writing."""
    skippable = [f.name for f in data.schema if not pa.types.is_string(f.type) or f.name == "gemeentecode"]
    pq.write_table(data, path.with_suffix(".tmp"), write_statistics=skippable)
    os.replace(path.with_suffix(".tmp"), path)
