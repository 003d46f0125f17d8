"""`make run`: demo exports when landing is empty (or asked for), then the whole lakehouse through Dagster.

It runs the same `lakehouse` job the nightly schedule runs, in this process, recorded in the Dagster
instance of DAGSTER_HOME so the run shows up in `dagster dev`, and ends with a summary of what was built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import sys
import time
import uuid

import dagster as dg
import duckdb

from pipelines.at_rest import writing
from pipelines.bronze.ingest import rejected_files
from pipelines.bronze.landing import landing_problem, unread_in_landing
from pipelines.demo import generate_gemeenten
from pipelines.settings import Settings, SettingsError, load_settings
from pipelines.suppression_summary import suppression_notes
from pipelines.writer_lock import WriterBusy

BUSY = 3  # exit status of a run refused because another run writes the data root
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its console lines, which its errors repeat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="store_true", help="(re)generate the demo exports even if landing holds files")
    parser.add_argument("--gemeenten", type=int, default=1, help="number of demo municipalities to generate (default 1)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"lakehouse: {settings.gemeentecode}, mode {settings.mode}, peildatum {settings.peildatum}, data in {settings.data_root}")
    refusal = demo_refusal(settings, args.demo)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    run_id = str(uuid.uuid4())  # as Dagster makes them: the lock names the run before Dagster starts it
    try:
        with writing(settings, run_id):
            if args.demo or landing_problem(settings.landing):
                settings.landing.mkdir(parents=True, exist_ok=True)  # only the project's own landing/ (`demo_refusal`)
                generate_gemeenten(settings.landing, args.gemeenten, settings.gemeentecode,
                                   settings.peildatum - dt.timedelta(days=1), settings.afhandeltermijnen)
            for unread in unread_in_landing(settings.landing):
                print(f"warning: {unread}", file=sys.stderr)
            started = time.monotonic()
            result = materialise_everything(run_id)
    except WriterBusy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return BUSY
    print_summary(settings, result, time.monotonic() - started)
    return 0 if result.success else 1


def demo_refusal(settings: Settings, demo_asked: bool) -> str | None:
    """Why this run may neither generate demo data nor read the landing folder as it is; None when it may.

    The rule: demo data is generated only in demo mode, and into the project's own landing/ when it holds no
    exports or DEMO=1 asks for it. A folder the user named (LAKEHOUSE_LANDING, or landing/ under
    LAKEHOUSE_DATA_ROOT) gets demo data only when DEMO=1 asks for it and it exists and is empty: a mistyped name
    is never created and filled with demo exports that a later production run would ingest as real."""
    problem = landing_problem(settings.landing)
    if settings.mode != "demo":
        return problem and f"{problem}; production mode never generates demo data"
    if not settings.landing_named:
        return None
    if not demo_asked:
        return problem and f"{problem}; to generate demo exports into it, run `make run DEMO=1` on an empty folder"
    if not settings.landing.is_dir():
        return f"landing folder {settings.landing} does not exist: demo data goes only into an existing, empty folder"
    if next(os.scandir(settings.landing), None) is not None:
        return f"landing folder {settings.landing} is not empty: demo data goes only into an empty folder you name"
    return None


def materialise_everything(run_id: str | None = None) -> dg.ExecuteInProcessResult:
    from pipelines.definitions import defs

    job = defs().resolve_job_def("lakehouse")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    print("lakehouse: materialising landing -> bronze -> silver -> gold (progress below)")
    return job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        tags={"trigger": "make run"},
        run_id=run_id,
    )


def print_summary(settings: Settings, result: dg.ExecuteInProcessResult, seconds: float) -> None:
    checks = result.get_asset_check_evaluations()
    failed = [c for c in checks if not c.passed]
    print()
    print(f"== lakehouse run {result.run_id} {'succeeded' if result.success else 'FAILED'} in {seconds:.0f} s ==")
    for step, error in _failed_steps(result):
        print(f"failed step {step}:\n" + "\n".join(f"  {line}" for line in error))
    print(f"gold tables ({settings.gold}, query {settings.gold_db} read-only):")
    for table, rows in _published(settings):
        print(f"  {table:32} {rows:>9,} rows")
    for line in suppression_notes(settings):  # why a table shows no figures
        print(line)
    print(f"checks: {len(checks) - len(failed)} of {len(checks)} passed"
          + "".join(f"\n  failed ({c.severity.value.lower()}): {c.asset_key.to_user_string()} {c.check_name}" for c in failed))
    quarantined, unreadable_json = _quarantined(settings)
    print(f"quarantined records: {quarantined:,} (bronze/_quarantaine/records/, reason per record)"
          + (f"\n  of which {unreadable_json:,} could not be recovered from corrupt JSON" if unreadable_json else ""))
    for entry in rejected_files(settings):
        print(f"  rejected file: {entry['bestand']}: {entry['error']}")
    print("data quality results: gold table dq_resultaten (GX suites in expectations/, dbt tests in the model YAML)")
    print(f"lineage: OpenLineage events in {settings.lineage / 'events'}, dbt docs in {settings.dbt_docs / 'static_index.html'}")
    print("explore: make dev, then open http://localhost:3000")
    print(f"dashboards: make dashboard (http://localhost:8501); council reports in {settings.gold / 'rapporten'}")


def _failed_steps(result: dg.ExecuteInProcessResult, lines: int = 8) -> list[tuple[str, list[str]]]:
    """Each failed step with the first lines of the error that failed it (the full traceback is in the log)."""
    failed = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error.cause is not None:  # Dagster's wrapper -> the error the step raised
                error = error.cause
            message = [line for line in ANSI_COLOUR.sub("", error.message).splitlines() if line.strip()]
            failed.append((event.step_key, message[:lines] + ([f"... ({len(message) - lines} more lines in the log)"]
                                                              if len(message) > lines else [])))
    return failed


def _published(settings: Settings) -> list[tuple[str, int]]:
    if not settings.gold_db.exists():
        return []
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return db.execute("select tabel, aantal_rijen from publicatie order by tabel").fetchall()


def _quarantined(settings: Settings) -> tuple[int, int]:
    """Quarantined records, and how many of them are records a corrupt JSON file lost."""
    files = list((settings.quarantine / "records").glob("*/*.parquet"))
    if not files:
        return 0, 0
    return duckdb.execute("select count(*), count(*) filter (reden like 'invalid JSON%') from read_parquet(?)",
                          [[str(f) for f in files]]).fetchone()


if __name__ == "__main__":
    code = main()
    # Python's last garbage collection at exit walks every object dbt, Dagster and Great Expectations made:
    # 1.7-1.9 s after the summary, at any scale. Nothing is left to clean up that the exit does not free anyway.
    # Not after a failure: a failed step's error still holds DuckDB connections, which DuckDB's bindings would
    # then report at exit as leaked, dozens of lines below the summary that look like a second fault.
    if code == 0:
        gc.freeze()
    sys.exit(code)
