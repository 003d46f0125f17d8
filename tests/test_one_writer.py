"""One writer at a time on a data root, whoever starts the run; a crashed run's lock never blocks the next; bronze
never holds a file's records twice, and a bronze that does (from before the lock) is repaired, not frozen."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pipelines.run as run
from pipelines.bronze.brp import BRP
from pipelines.bronze.ingest import ingest
from pipelines.definitions import defs
from pipelines.defs.automation import _OneWriter
from pipelines.settings import PROJECT_ROOT
from pipelines.writer_lock import WriterBusy, current_writer, writer_lock
from tests.conftest import FIXTURES, demo_landing, use_data_root

HOLD = """
import sys, time
from pipelines.settings import load_settings
from pipelines.writer_lock import writer_lock
with writer_lock(load_settings(), sys.argv[1]):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(run_id: str, seconds: float = 60) -> subprocess.Popen:
    """Another process (as another shell's run would be) holding the data root's lock."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, run_id, str(seconds)], stdout=subprocess.PIPE, text=True,
                              cwd=PROJECT_ROOT, env=os.environ.copy())
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_second_writer_is_refused_naming_the_first_and_a_killed_ones_lock_never_blocks(settings):
    holder = hold_lock("run-van-de-andere-shell")
    try:
        with pytest.raises(WriterBusy, match=f"run run-van-de-andere-shell \\(pid {holder.pid} on "), \
                writer_lock(settings, "tweede"):
            pytest.fail("two writers at once")
        assert "run-van-de-andere-shell" in current_writer(settings)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert current_writer(settings) is None
    with writer_lock(settings, "na-de-crash") as owner:
        assert owner["run_id"] == "na-de-crash" and "na-de-crash" in current_writer(settings)
    assert current_writer(settings) is None


def test_a_writer_may_wait_for_the_other_to_finish(settings):
    holder = hold_lock("kort", seconds=1.5)
    started = time.monotonic()
    with writer_lock(settings, "wacht", wait_seconds=30):
        waited = time.monotonic() - started
    holder.wait()
    assert 0.5 < waited < 30


def test_make_run_refuses_while_another_run_writes(settings, monkeypatch, capsys):
    demo_landing_files = settings.landing / "fixi"
    demo_landing_files.mkdir(parents=True)
    (demo_landing_files / "export.csv").write_text("Meldingnummer;Categorie\n")
    monkeypatch.setattr(run, "materialise_everything", lambda *_: pytest.fail("built while another run writes"))
    holder = hold_lock("nachtelijke-run")
    try:
        assert run.main([]) == run.BUSY
    finally:
        holder.kill()
        holder.wait()
    error = capsys.readouterr().err
    assert "another run writes this data root: run nachtelijke-run" in error and "LAKEHOUSE_LOCK_WAIT" in error


def test_runs_the_schedule_or_sensor_start_hold_the_lock_and_the_sensor_waits_for_a_writer(settings):
    import dagster as dg

    class Step:
        def __init__(self, key: str, failed: bool):
            self.step_key, self.is_step_failure = key, failed

    class Steps:
        retries = None
        seen = []
        events = [Step("bronze_fixi", False)]

        def execute(self, plan_context, execution_plan):
            self.seen.append(current_writer(settings))
            yield from self.events

    class Plan:
        run_id = "0193a1f2-0000-7000-8000-00000000abcd"
        job_name = "lakehouse"

    assert list(_OneWriter(Steps()).execute(Plan(), None)) == Steps.events
    assert f"run {Plan.run_id}" in Steps.seen[0] and current_writer(settings) is None
    assert defs().resolve_job_def("lakehouse").executor_def.name == "one_writer"
    # and the run's own OpenLineage events, the parent of its assets' events: START, then COMPLETE or FAIL
    Steps.events = [Step("bronze_fixi", True), Step("dbt_silver_fixi", False)]
    list(_OneWriter(Steps()).execute(Plan(), None))
    ended = [json.loads(p.read_text()) for p in sorted(settings.lineage.glob(f"events/*/{Plan.run_id}/*.json"))]
    assert sorted((e["eventType"], e["job"]["name"]) for e in ended) == \
        [("COMPLETE", "lakehouse"), ("FAIL", "lakehouse"), ("START", "lakehouse"), ("START", "lakehouse")]
    assert [e["run"]["facets"]["errorMessage"]["message"] for e in ended if e["eventType"] == "FAIL"] == \
        ["failed steps: bronze_fixi"]

    (settings.landing / "fixi").mkdir(parents=True)
    (settings.landing / "fixi" / "export.csv").write_text("Meldingnummer;Categorie\n")
    sensor = defs().resolve_sensor_def("new_landing_files")
    holder = hold_lock("handmatig")
    try:
        with dg.instance_for_test() as instance:
            busy = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
            assert not busy.run_requests and "another run writes the data root: run handmatig" in busy.skip_message
            with pytest.raises(WriterBusy, match="run handmatig"):
                list(_OneWriter(Steps()).execute(Plan(), None))
    finally:
        holder.kill()
        holder.wait()
    with dg.instance_for_test() as instance:
        assert len(sensor.evaluate_tick(dg.build_sensor_context(instance=instance)).run_requests) == 1


def bronze_keys(settings) -> list[tuple]:
    with duckdb.connect() as db:
        return db.execute(f"""select bron_bestand_hash, bron_record, count(*) from read_parquet(
            '{settings.bronze}/brp/reisdocument/*.parquet') group by all order by all""").fetchall()


def test_bronze_holding_a_file_twice_is_repaired_by_the_next_run(settings, monkeypatch, caplog):
    """What two runs started together did before the lock: each ingested the same file into its own part."""
    (settings.landing / "brp").mkdir(parents=True)
    shutil.copy(FIXTURES / "brp" / "gba-v-testset-sample.csv", settings.landing / "brp")
    ingest(BRP, settings, "eerste", logging.getLogger("test"))
    folder = settings.bronze / "brp" / "reisdocument"
    (first,) = folder.glob("eerste-*.parquet")
    once = bronze_keys(settings)
    assert once and all(n == 1 for *_, n in once)
    twin = pq.read_table(first)
    later = pa.array([t.as_py().replace(year=t.as_py().year + 1) for t in twin["geladen_op"]], twin["geladen_op"].type)
    pq.write_table(twin.set_column(twin.schema.get_field_index("geladen_op"), "geladen_op", later),
                   folder / "tweede-0000-0000.parquet")
    assert {n for *_, n in bronze_keys(settings)} == {2}

    (settings.file_register / "dubbel_gecontroleerd_brp").unlink()  # as a data root of the version without the lock
    with caplog.at_level(logging.WARNING):
        ingest(BRP, settings, "derde", logging.getLogger("test"))
    assert bronze_keys(settings) == once
    assert sorted(p.name for p in folder.glob("*.parquet")) == sorted([first.name, "_leeg.parquet"])  # and the schema
    assert "part tweede-0000-0000.parquet held" in caplog.text and "ingested twice" in caplog.text


def test_files_a_killed_run_ingested_but_never_registered_are_registered_with_their_counts(settings, monkeypatch):
    from pipelines.bronze import file_register

    (settings.landing / "brp").mkdir(parents=True)
    shutil.copy(FIXTURES / "brp" / "gba-v-testset-sample.csv", settings.landing / "brp")
    with monkeypatch.context() as killed, pytest.raises(KeyboardInterrupt):
        killed.setattr(file_register, "write", lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        ingest(BRP, settings, "gedood", logging.getLogger("test"))
    in_bronze = bronze_keys(settings)

    report = ingest(BRP, settings, "daarna", logging.getLogger("test"))

    assert bronze_keys(settings) == in_bronze and report.rows == {}  # not read again
    (entry,) = pq.read_table(settings.file_register / "brp" / "daarna.parquet").to_pylist()
    assert entry["status"] == "ingested" and json.loads(entry["rows"]) == {"brp_reisdocument": len(in_bronze)}
    assert report.notes["files ingested by an interrupted run, registered now"] == 1


def test_two_runs_started_together_one_builds_the_other_refuses(tmp_path, monkeypatch):
    settings = use_data_root(monkeypatch, tmp_path)
    demo_landing(settings, years=1)
    environment = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster")}
    Path(environment["DAGSTER_HOME"]).mkdir()
    runs = [subprocess.Popen([sys.executable, "-m", "pipelines.run"], cwd=PROJECT_ROOT, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outcomes = sorted((r.returncode, output) for r in runs for output, _ in [r.communicate(timeout=600)])
    (built, summary), (refused, message) = outcomes
    assert built in (0, 1) and "== lakehouse run" in summary and refused == run.BUSY, outcomes
    assert "another run writes this data root" in message
    keys = bronze_keys(settings)
    assert keys and all(n == 1 for *_, n in keys)
    # personal data owner-only, what analysts read open to them (pipelines/at_rest.py)
    assert stat.S_IMODE(os.stat(settings.build_db).st_mode) == 0o600
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in settings.bronze.rglob("*.parquet")} == {0o600}
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in settings.gold.glob("*.parquet")} == {0o644}
    assert stat.S_IMODE(os.stat(settings.gold_db).st_mode) == 0o444  # read-only: rewritten every run
    with writer_lock(settings, "de-volgende"):  # the lock is free again for the next run
        pass
