"""What a source's reader gets and gives back: the contract between the ingestion and the parsers.

A parser gets a `ParseContext` (the landing file's content, the municipality whose drop folder holds it) and
yields a `Parsed` per record: its bronze row, or the reason it goes to quarantine. A file that cannot be read at
all raises `UnreadableFile`; a record that fails raises `RecordError` within the parser. A `Source` names the
parser, its bronze tables and, for large regular files, a column-wise reader (`Bulk`) giving the same rows.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyarrow as pa

from pipelines.bronze.tables import BronzeTable, aanlevering_table
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
