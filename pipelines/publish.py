"""Publishing gold: Parquet files plus `gold/gold.duckdb`, a catalogue of views over them for analysts.

Each subject area publishes on its own, all its tables at once. They are written into a staging folder that is
renamed to a new version folder, `gold/_versies/<version>/`; then `_publicatie.json` is replaced (one rename: the
moment the area is published), and then the catalogue, rebuilt as a new file and renamed over the old one, whose
views read the version files and whose `publicatie` table says which run published each. So a reader of the
catalogue sees every table of an area from one run, and `publicatie` tells the truth for what it sees, also in a
session held open across runs: that session keeps the catalogue it opened, with the views and `publicatie` of
that moment, until it reconnects. The version folder of the publication before stays for such sessions; older
ones, and whatever a killed run left (staging folders, half-made catalogues and their WAL, unpublished versions),
are removed by the next publication. `gold/<table>.parquet` is the current version of each table for tools that
read files (a hard link, replaced per table after the catalogue, and set right by the next publication if a run
was killed in between). A table whose published file comes from its latest build is not written again
(nationally, writing the unchanged Wmo waiting list again was a noticeable part of a night).

The catalogue is read-only on disk. An analyst who opened it read-write anyway and created tables in it gets
them back: the next publication saves them as Parquet under `gold/_bewaard/` and says so in the run's log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines.at_rest import open_to_readers
from pipelines.dbt.state import built_in_run
from pipelines.quality.results import RESULT_SCHEMA
from pipelines.settings import Settings

DQ_TABLE = "dq_resultaten"
CATALOGUE_TABLE = "publicatie"
MANIFEST = "_publicatie.json"
VERSIONS = "_versies"
SAVED = "_bewaard"  # tables analysts created in the catalogue, saved before it is replaced
CATALOGUE_MODE = 0o444  # read-only: the catalogue is rewritten every run
REPLACED = ".vervangen"  # in a version folder a later publication replaced; its time says when
KEEP_REPLACED = dt.timedelta(days=1)  # a session held open longer than this after a newer publication must reconnect


def publish(settings: Settings, tables: list[str], run_id: str, log=None,
            made_now: set[str] | None = None) -> dict[str, int]:
    """Publish the gold tables of the build database that changed since their last publication, and the
    data-quality results, as one version; returns the row counts of what it wrote. A published table that no
    model of `made_now` (every gold table the project makes today) makes any more, one renamed or removed in an
    upgrade, is withdrawn from the catalogue rather than left standing with last year's figures."""
    log = log or logging.getLogger(__name__)
    settings.gold.mkdir(parents=True, exist_ok=True)
    open_to_readers(settings.gold)
    before = _published(settings)
    _remove_litter(settings.gold, before)
    staging = settings.gold / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    builds = _changed_since_published(settings, tables)
    counts = _export_tables(settings, list(builds), staging)
    counts[DQ_TABLE] = _export_dq_results(settings, staging)
    version = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    (settings.gold / VERSIONS).mkdir(exist_ok=True)
    open_to_readers(settings.gold / VERSIONS)
    for name in counts:
        open_to_readers(staging / f"{name}.parquet")
    open_to_readers(staging)
    os.replace(staging, settings.gold / VERSIONS / version)
    _mark_replaced(settings.gold, before, {**before, **{name: {"versie": version} for name in counts}})
    _record(settings, counts, builds, run_id, version)
    if made_now is not None:
        _withdraw(settings, set(_published(settings)) - made_now - {DQ_TABLE}, log)
    write_catalogue(settings, log)
    _link_current_files(settings)
    return counts


def _changed_since_published(settings: Settings, tables: list[str]) -> dict[str, str | None]:
    """The tables to write, each with the run that built it (None: not known), in the order given."""
    published = _published(settings)
    builds = {name: built_in_run(settings, f"gold.{name}") for name in tables}
    return {name: build for name, build in builds.items()
            if build is None or published.get(name, {}).get("gebouwd_in_run") != build
            or not _version_file(settings, name, published.get(name, {})).exists()}


def _published(settings: Settings) -> dict[str, dict]:
    manifest = settings.gold / MANIFEST
    return json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}


def _remove_litter(gold: Path, published: dict[str, dict]) -> None:
    """What a killed run left: staging folders (nothing in them was published), half-made catalogues with their
    WAL, and version folders no publication recorded; and versions replaced more than KEEP_REPLACED ago."""
    for stale in gold.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in gold.glob(".gold-*"):
        stale.unlink(missing_ok=True)
    recorded = {facts.get("versie") for facts in published.values()}
    expired = dt.datetime.now().timestamp() - KEEP_REPLACED.total_seconds()
    for version in (gold / VERSIONS).glob("*"):
        replaced = version / REPLACED
        if version.name not in recorded and (not replaced.exists() or replaced.stat().st_mtime < expired):
            shutil.rmtree(version, ignore_errors=True)


def _mark_replaced(gold: Path, before: dict[str, dict], now: dict[str, dict]) -> None:
    """Version folders this publication replaced: kept KEEP_REPLACED for sessions that opened the catalogue
    before, which read them."""
    for version in {f.get("versie") for f in before.values()} - {f.get("versie") for f in now.values()} - {None}:
        (gold / VERSIONS / version / REPLACED).touch()


def _link_current_files(settings: Settings) -> None:
    """`gold/<table>.parquet` as the published version of each table, for tools that read files."""
    for name, facts in _published(settings).items():
        current, version = settings.gold / f"{name}.parquet", _version_file(settings, name, facts)
        if current.exists() and os.path.samefile(current, version):
            continue
        temporary = settings.gold / f".staging-link-{uuid.uuid4().hex}"
        try:
            os.link(version, temporary)
        except OSError:  # a file system without hard links: a copy
            shutil.copyfile(version, temporary)
            open_to_readers(temporary)
        os.replace(temporary, current)


def _version_file(settings: Settings, name: str, facts: dict) -> Path:
    """The file a published table's view reads; a publication of an earlier version lies in gold/ itself."""
    if "versie" not in facts:
        return settings.gold / f"{name}.parquet"
    return settings.gold / VERSIONS / facts["versie"] / f"{name}.parquet"


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


def _record(settings: Settings, counts: dict[str, int], builds: dict[str, str | None], run_id: str,
            version: str) -> None:
    published = _published(settings)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    published.update({name: {"aantal_rijen": n, "run_id": run_id, "gepubliceerd_op": now,
                             "gebouwd_in_run": builds.get(name), "versie": version} for name, n in counts.items()})
    _write_manifest(settings, published)


def _write_manifest(settings: Settings, published: dict[str, dict]) -> None:
    manifest = settings.gold / MANIFEST
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps(published, indent=1, sort_keys=True), encoding="utf-8")
    open_to_readers(tmp)
    os.replace(tmp, manifest)


def _withdraw(settings: Settings, names: set[str], log) -> None:
    if not names:
        return
    before = _published(settings)
    published = {name: facts for name, facts in before.items() if name not in names}
    _mark_replaced(settings.gold, before, published)
    _write_manifest(settings, published)
    for name in names:
        (settings.gold / f"{name}.parquet").unlink(missing_ok=True)
    log.warning(f"withdrawn from gold, no model makes them any more: {', '.join(sorted(names))}")


def write_catalogue(settings: Settings, log=None) -> None:
    """(Re)write `gold.duckdb`: a view per published table over its version file (absolute paths) and the
    `publicatie` table, saving first what analysts created in the old one."""
    gold = settings.gold
    published = _published(settings)
    files = {name: _version_file(settings, name, facts) for name, facts in sorted(published.items())}
    if missing := [name for name, file in files.items() if not file.exists()]:
        raise FileNotFoundError(f"{gold / MANIFEST} lists {', '.join(missing)} as published, but "
                                f"{', '.join(str(files[name]) for name in missing)} is not there: restore the "
                                f"file(s), or remove {gold / MANIFEST} and run again to publish every table anew")
    _save_what_analysts_made(settings, set(published), log or logging.getLogger(__name__))
    path = gold / f".gold-{uuid.uuid4().hex}.duckdb"
    with duckdb.connect(str(path)) as db:
        for name, file in files.items():
            db.execute(f"create view \"{name}\" as select * from read_parquet('{file}')")
        db.execute(
            f"create table {CATALOGUE_TABLE} (tabel varchar, aantal_rijen bigint, bestand varchar, "
            "run_id varchar, gepubliceerd_op timestamp, gebouwd_in_run varchar)"
        )
        db.executemany(
            f"insert into {CATALOGUE_TABLE} values (?, ?, ?, ?, ?, ?)",
            [(name, facts["aantal_rijen"], str(files[name]), facts["run_id"], facts["gepubliceerd_op"],
              facts.get("gebouwd_in_run")) for name, facts in sorted(published.items())],
        )
    os.chmod(path, CATALOGUE_MODE)
    os.replace(path, settings.gold_db)


def _save_what_analysts_made(settings: Settings, published: set[str], log) -> None:
    """Tables and views in the catalogue that publication did not make: an analyst opened it read-write. They
    are saved as Parquet under gold/_bewaard/<time>/ before the catalogue is replaced, loudly."""
    if not settings.gold_db.exists():
        return
    try:
        db = duckdb.connect(str(settings.gold_db), read_only=True)
    except duckdb.Error as err:  # held open read-write by someone: whatever they create there is lost
        log.warning(f"{settings.gold_db} is open read-write elsewhere ({err}); it is replaced now, and anything "
                    "created in it is lost. Keep your own tables in a database of your own (README, Querying gold).")
        return
    with db:
        foreign = [name for (name,) in db.execute(
            "select table_name from information_schema.tables where table_catalog = current_database() "
            "and table_schema = 'main'").fetchall() if name not in published | {CATALOGUE_TABLE}]
        if not foreign:
            return
        folder = settings.gold / SAVED / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
        folder.mkdir(parents=True, exist_ok=True)
        for name in foreign:
            db.execute(f"copy (select * from \"{name}\") to '{folder / name}.parquet' (format parquet)")
    log.warning(f"{settings.gold_db} held {len(foreign)} table(s) that publication did not make "
                f"({', '.join(foreign)}): the catalogue is rewritten every run, so they were saved to {folder}. "
                "Keep your own tables in a database of your own (README, Querying gold).")
