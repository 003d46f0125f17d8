"""Shared fixtures: a temporary data root per test or module, and a full demo run through Dagster."""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest
from filelock import FileLock

from pipelines.demo import generate_demo, generate_gemeenten
from pipelines.demo.municipality import buurten, write_wijken_buurten, zutphen
from pipelines.publish import write_catalogue
from pipelines.settings import Settings, load_settings

# Real-format files written outside this project, kept in the repository with their origin and licence
# (tests/fixtures/SOURCES.md), so a clone alone passes `make test`.
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PEILDATUM = "2026-06-30"  # fixed, so the demo data and every figure derived from it are reproducible
ENV_VARS = ("LAKEHOUSE_LANDING", "LAKEHOUSE_BRONZE", "LAKEHOUSE_SILVER", "LAKEHOUSE_GOLD", "LAKEHOUSE_LINEAGE",
            "LAKEHOUSE_LINEAGE_URL",
            "LAKEHOUSE_MODE", "LAKEHOUSE_PSEUDONYM_KEY", "LAKEHOUSE_GEMEENTECODE", "DAGSTER_HOME")


@pytest.fixture(autouse=True, scope="session")
def collect_what_loading_the_definitions_froze():
    """Loading the definitions or parsing the dbt project freezes every object alive at that moment
    (pipelines/garbage_collection.py); in a test process that includes the garbage of earlier tests, whose DuckDB objects
    nanobind reports as leaked at exit."""
    yield
    gc.unfreeze()
    gc.collect()


def use_data_root(mp: pytest.MonkeyPatch, root: Path) -> Settings:
    for name in ENV_VARS:
        mp.delenv(name, raising=False)
    mp.setenv("LAKEHOUSE_DATA_ROOT", str(root))
    mp.setenv("LAKEHOUSE_PEILDATUM", PEILDATUM)
    return load_settings()


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """An empty data root of the test's own."""
    return use_data_root(monkeypatch, tmp_path)


def run_lakehouse():
    """The `lakehouse` job of the real definitions, in this process, on an ephemeral Dagster instance."""
    from pipelines.run import materialise_everything

    return materialise_everything()


def demo_reference(settings: Settings) -> None:
    """Only the demo municipality's wijken and buurten, for tests that bring their own source files."""
    gemeente = zutphen(settings.gemeentecode)
    write_wijken_buurten(gemeente, buurten(gemeente, np.random.default_rng(1)), settings.landing / "referentie")


def demo_landing(settings: Settings, years: int = 3) -> None:
    generate_demo(settings.landing, zutphen(settings.gemeentecode), settings.peildatum - dt.timedelta(days=1),
                  settings.afhandeltermijnen, years=years, progress=lambda _: None)


def demo_landing_of_two(settings: Settings, seed: int) -> None:
    """The demo municipality and one other, one year each, the other in its own drop folder."""
    generate_gemeenten(settings.landing, 2, settings.gemeentecode, settings.peildatum - dt.timedelta(days=2),
                       settings.afhandeltermijnen, years=1, seed=seed, processes=1, progress=lambda _: None)


@dataclass
class RecordedRun:
    """A finished run as the tests read it, from the Dagster instance that recorded it: what
    `ExecuteInProcessResult` gives, for a run built in another test process."""

    run_id: str
    success: bool
    all_events: list[dg.DagsterEvent]

    @classmethod
    def read(cls, dagster_home: Path, run_id: str) -> RecordedRun:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            run = instance.get_run_by_id(run_id)
            events = [entry.dagster_event for entry in instance.all_logs(run_id) if entry.dagster_event]
        return cls(run_id, run.is_success, events)

    def get_asset_materialization_events(self) -> list[dg.DagsterEvent]:
        return [event for event in self.all_events if event.is_step_materialization]

    def get_asset_check_evaluations(self) -> list:
        return [event.event_specific_data for event in self.all_events
                if event.event_type_value == dg.DagsterEventType.ASSET_CHECK_EVALUATION.value]


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory) -> tuple[Path, RecordedRun]:
    """The demo municipality built once per test session, shared by the xdist workers (the first to need it builds
    it, the others wait): (its data root, its run). Tests use copies (`demo_run`)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # each worker's base is a folder of the session's own
        shared = shared.parent
    root, dagster_home, done = shared / "demo", shared / "demo_dagster", shared / "demo_run_id"
    with FileLock(shared / "demo.lock"):
        if not done.exists():
            dagster_home.mkdir(exist_ok=True)
            with pytest.MonkeyPatch.context() as mp:
                settings = use_data_root(mp, root)
                mp.setenv("DAGSTER_HOME", str(dagster_home))
                demo_landing(settings)
                done.write_text(run_lakehouse().run_id)
    return root, RecordedRun.read(dagster_home, done.read_text())


@pytest.fixture(scope="module")
def demo_run(built_demo, tmp_path_factory):
    """The demo municipality, a copy of the session's build for each module: (settings, its run)."""
    root, run = built_demo
    with pytest.MonkeyPatch.context() as mp:
        built = use_data_root(mp, root)
        yield copy_data_root(built, tmp_path_factory.mktemp("demo"), mp), run


@pytest.fixture(scope="module")
def truth(demo_run):
    """The demo's Fixi meldingen as the landing files say they stand now, read independently of the pipeline."""
    from tests import ground_truth as gt

    return gt.latest_state(gt.read_landing(demo_run[0].landing / "fixi"))


def copy_data_root(settings: Settings, target: Path, mp: pytest.MonkeyPatch) -> Settings:
    """A private copy of a built data root, for tests that change it; its catalogue points at its own files."""
    shutil.copytree(settings.data_root, target, dirs_exist_ok=True)
    copy = use_data_root(mp, target)
    write_catalogue(copy)
    return copy


def gold(settings: Settings, sql: str, params=None) -> list[tuple]:
    """The rows of a query on the published gold catalogue, opened read-only as an analyst does."""
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return db.execute(sql, params or []).fetchall()


def gold_rows(settings: Settings, table: str, ingestion_times: bool = True) -> list[tuple]:
    """A published gold table's rows in a stable order, to compare two builds; without the times the rows' data was
    ingested (`laatst_geladen_op`) to compare builds that ingested the same exports each on their own."""
    columns = "*" if ingestion_times else "columns(lambda c: c != 'laatst_geladen_op')"
    with duckdb.connect() as db:
        return sorted(db.execute(f"select {columns} from read_parquet('{settings.gold / table}.parquet')").fetchall(),
                      key=repr)


def all_stored_strings(settings: Settings) -> set[str]:
    """Every distinct text value in bronze, quarantine, silver and gold: what a privacy test scans."""
    strings = set()

    def collect(db, relation):
        for name, kind in db.execute(f"select column_name, column_type from (describe select * from {relation})").fetchall():
            if kind == "VARCHAR":
                strings.update(v for (v,) in db.execute(f'select distinct "{name}" from {relation}').fetchall() if v)

    with duckdb.connect() as db:
        for parquet in [*settings.bronze.rglob("*.parquet"), *settings.gold.glob("*.parquet")]:
            collect(db, f"read_parquet('{parquet}')")
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        for schema, table in db.execute("select table_schema, table_name from information_schema.tables").fetchall():
            collect(db, f'"{schema}"."{table}"')
    return strings
