"""Publishing gold: Parquet files plus `gold/gold.duckdb`, a catalogue of views over them for analysts.

Everything is written under a staging name first and then moved into place with `os.replace`, which is
atomic per file: a reader sees the old file or the new one, never half of one, and a run that fails before
the swap leaves yesterday's gold untouched. `gold.duckdb` is rebuilt as a new file too, so an analyst
holding the old one open (which locks it) never blocks the run; their views read the new Parquet files.
Each subject area publishes on its own; `_publicatie.json` remembers when and by which run each table was
published, and from which build, and the catalogue is rebuilt from it. A table whose published file comes from
its latest build is not written again (nationally, the unchanged Wmo waiting list took 0.5 s a night).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines.at_rest import open_to_readers
from pipelines.build_state import built_in_run
from pipelines.quality.suites import RESULT_SCHEMA
from pipelines.settings import Settings

DQ_TABLE = "dq_resultaten"
CATALOGUE_TABLE = "publicatie"
MANIFEST = "_publicatie.json"


def publish(settings: Settings, tables: list[str], run_id: str) -> dict[str, int]:
    """Publish the gold tables of the build database that changed since their last publication, and the
    data-quality results; returns the row counts of what it wrote."""
    settings.gold.mkdir(parents=True, exist_ok=True)
    open_to_readers(settings.gold)
    _remove_stale_staging(settings.gold)
    staging = settings.gold / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    builds = _changed_since_published(settings, tables)
    counts = _export_tables(settings, list(builds), staging)
    counts[DQ_TABLE] = _export_dq_results(settings, staging)
    for name in counts:
        open_to_readers(staging / f"{name}.parquet")
        os.replace(staging / f"{name}.parquet", settings.gold / f"{name}.parquet")
    shutil.rmtree(staging)
    _record(settings, counts, builds, run_id)
    write_catalogue(settings)
    return counts


def _changed_since_published(settings: Settings, tables: list[str]) -> dict[str, str | None]:
    """The tables to write, each with the run that built it (None: not known), in the order given."""
    published = _published(settings)
    builds = {name: built_in_run(settings, f"gold.{name}") for name in tables}
    return {name: build for name, build in builds.items()
            if build is None or published.get(name, {}).get("gebouwd_in_run") != build
            or not (settings.gold / f"{name}.parquet").exists()}


def _published(settings: Settings) -> dict[str, dict]:
    manifest = settings.gold / MANIFEST
    return json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}


def _remove_stale_staging(gold: Path) -> None:
    """A run interrupted before its swap leaves its staging folder behind; nothing in it was published."""
    for stale in gold.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _export_tables(settings: Settings, tables: list[str], staging: Path) -> dict[str, int]:
    counts = {}
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        for name in tables:
            target = staging / f"{name}.parquet"
            db.execute(f"copy (select * from gold.\"{name}\") to '{target}' (format parquet)")
            counts[name] = db.execute(f"select count(*) from gold.\"{name}\"").fetchone()[0]
    return counts


def _export_dq_results(settings: Settings, staging: Path) -> int:
    """Every stored check result, of this run and all before it."""
    target = staging / f"{DQ_TABLE}.parquet"
    if not any(settings.dq_results.glob("*/*.parquet")):
        pq.write_table(RESULT_SCHEMA.empty_table(), target)
        return 0
    with duckdb.connect() as db:
        db.execute(
            f"copy (select * from read_parquet('{settings.dq_results}/*/*.parquet', union_by_name = true) "
            f"order by gecontroleerd_op, tabel, expectation, kolom) to '{target}' (format parquet)"
        )
        return db.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]


def _record(settings: Settings, counts: dict[str, int], builds: dict[str, str | None], run_id: str) -> None:
    manifest = settings.gold / MANIFEST
    published = _published(settings)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    published.update({name: {"aantal_rijen": n, "run_id": run_id, "gepubliceerd_op": now,
                             "gebouwd_in_run": builds.get(name)} for name, n in counts.items()})
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps(published, indent=1, sort_keys=True), encoding="utf-8")
    open_to_readers(tmp)
    os.replace(tmp, manifest)


def write_catalogue(settings: Settings) -> None:
    """(Re)write `gold.duckdb`: a view per published file (absolute paths) and the `publicatie` table."""
    gold = settings.gold
    published = _published(settings)
    if missing := [name for name in sorted(published) if not (gold / f"{name}.parquet").exists()]:
        raise FileNotFoundError(f"{gold / MANIFEST} lists {', '.join(missing)} as published, but "
                                f"{', '.join(f'{name}.parquet' for name in missing)} is not in {gold}: restore the "
                                f"file(s), or remove {gold / MANIFEST} and run again to publish every table anew")
    path = gold / f".gold-{uuid.uuid4().hex}.duckdb"
    with duckdb.connect(str(path)) as db:
        for name in sorted(published):
            db.execute(f"create view \"{name}\" as select * from read_parquet('{gold / name}.parquet')")
        db.execute(
            f"create table {CATALOGUE_TABLE} (tabel varchar, aantal_rijen bigint, bestand varchar, "
            "run_id varchar, gepubliceerd_op timestamp, gebouwd_in_run varchar)"
        )
        db.executemany(
            f"insert into {CATALOGUE_TABLE} values (?, ?, ?, ?, ?, ?)",
            [(name, facts["aantal_rijen"], str(gold / f"{name}.parquet"), facts["run_id"], facts["gepubliceerd_op"],
              facts.get("gebouwd_in_run")) for name, facts in sorted(published.items())],
        )
    open_to_readers(path)
    os.replace(path, settings.gold_db)
