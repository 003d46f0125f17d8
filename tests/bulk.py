"""Column-wise (bulk) reading against record-by-record parsing of the same file."""

from __future__ import annotations

import logging
from dataclasses import replace

import duckdb

from pipelines.bronze.contract import Bulk, LandingFile, ParseContext, Source
from pipelines.bronze.ingest import ingest

LINEAGE = "bron_systeem, bron_bestand, bron_bestand_hash, run_id, geladen_op"


def read_both_ways(source: Source, settings, name: str, content: bytes) -> tuple[Bulk, dict, dict]:
    """(what `source.bulk` makes of the file, bronze rows per table when parsed record by record, the quarantine
    of that parse). Each reading's notes are asserted equal."""
    path = settings.landing / source.system / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    context = ParseContext(settings, LandingFile(path, content, 0, 0), settings.gemeentecode)
    bulk = source.bulk(context)
    assert bulk is not None, "the file was not read column-wise"
    report = ingest(replace(source, bulk=None), settings, "run-1", logging.getLogger("test"))
    assert context.notes == report.notes
    with duckdb.connect() as db:
        rows = {table.name: db.sql(f"select * exclude ({LINEAGE}) from read_parquet("
                                   f"'{settings.bronze / table.folder}/*.parquet')").to_arrow_table().to_pylist()
                for table in source.tables}
        folder = settings.quarantine / "records" / source.system
        quarantined = db.sql(f"select bron_tabel, reden, record, bron_record from read_parquet('{folder}/*.parquet')"
                             ).to_arrow_table().to_pylist() if folder.exists() else []
    return bulk, rows, quarantined
