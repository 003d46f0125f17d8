"""`make run`: demo exports when landing is empty (or asked for), then the whole lakehouse through Dagster.

It runs the same `lakehouse` job the nightly schedule runs, in this process, recorded in the Dagster
instance of DAGSTER_HOME so the run shows up in `dagster dev`, and ends with a summary of what was built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import logging
import os
import re
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.at_rest import writing
from pipelines.bronze.file_register import rejected_files
from pipelines.bronze.landing import landing_problem, unread_in_landing
from pipelines.dbt.manifest import PROJECT_MANIFEST
from pipelines.demo import generate_gemeenten
from pipelines.lineage import dagster_run
from pipelines.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
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
    print(f"lakehouse: {settings.gemeentecode}, mode {settings.mode}, peildatum {settings.peildatum}, "
          f"data in {settings.data_root}")
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
            result = materialise_everything(run_id, run_log(settings, run_id))
    except WriterBusy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return BUSY
    print_summary(settings, result, time.monotonic() - started, run_log(settings, run_id))
    return 0 if result.success else 1


def run_log(settings: Settings, run_id: str) -> Path:
    """The file that keeps everything the run logged, tracebacks included: lineage/runs/<run id>.log."""
    return settings.lineage / "runs" / f"{run_id}.log"


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


def materialise_everything(run_id: str | None = None, log_file: Path | None = None) -> dg.ExecuteInProcessResult:
    """The `lakehouse` job in this process. The console shows progress, and of a failure one line per failed
    step (the summary gives its error); `log_file`, when given, keeps every message with its traceback."""
    from pipelines.definitions import defs

    job = defs().resolve_job_def("lakehouse").with_logger_defs({"console": brief_console, "file": full_log})
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    loggers = {"console": {"config": {"log_level": "INFO", "log_file": str(log_file or "")}}}
    if log_file:
        loggers["file"] = {"config": {"path": str(log_file)}}
        print(f"lakehouse: materialising landing -> bronze -> silver -> gold (progress below, all of it in "
              f"{shown(log_file)})")
    run_id = run_id or str(uuid.uuid4())
    # The job's executor tells lineage of the runs it executes; `execute_in_process` replaces it with its own.
    with dagster_run(load_settings(), run_id, job.name) as failed:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": loggers},
            tags={"trigger": "make run"},
            run_id=run_id,
        )
        failed += [step for step, _ in _failed_steps(result)]
    return result


class _WithoutTracebacks(logging.Formatter):
    """A failure's message without its traceback when a log file keeps it: the summary names the failed steps
    and their errors, and the log file has everything."""

    def __init__(self, formatter: logging.Formatter, log_file: str):
        super().__init__()
        self.formatter, self.where = formatter, f" (traceback in {log_file})" if log_file else ""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if self.where and "\n\n" in message and record.levelno >= logging.ERROR:  # Dagster appends the error
            record = logging.makeLogRecord({**record.__dict__, "msg": message.split("\n\n", 1)[0] + self.where,
                                            "args": ()})  # a copy: the log file gets the record whole
        return self.formatter.format(record)


def _not_an_abandoned_step(record: logging.LogRecord) -> bool:
    """No console line for each step that does not run because a step before it failed (they are in the log)."""
    return not re.search(r" - Dependencies for step \S+ .*Not executing\.$", record.getMessage(), re.DOTALL)


@dg.logger({"log_level": dg.Field(str, default_value="INFO"), "name": dg.Field(str, default_value="dagster"),
            "log_file": dg.Field(str, default_value="")},
           description="Dagster's console logger, failures without their tracebacks.")
def brief_console(context: dg.InitLoggerContext) -> logging.Logger:
    console = dg.colored_console_logger.logger_fn(context)
    for handler in console.handlers:
        handler.setFormatter(_WithoutTracebacks(handler.formatter, context.logger_config["log_file"]))
    console.addFilter(_not_an_abandoned_step)
    return console


@dg.logger({"path": str}, description="Every message of the run, tracebacks included, into one file.")
def full_log(context: dg.InitLoggerContext) -> logging.Logger:
    path = Path(context.logger_config["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    log = logging.getLoggerClass()(f"lakehouse-run-{path.stem}", level=logging.DEBUG)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
    log.addHandler(handler)
    return log


def print_summary(settings: Settings, result: dg.ExecuteInProcessResult, seconds: float,
                  log_file: Path | None = None) -> None:
    print()
    print(f"== lakehouse run {result.run_id} {'succeeded' if result.success else 'FAILED'} in {seconds:.0f} s ==")
    for step, error in _failed_steps(result):
        print(f"failed step {step}:\n" + "\n".join(f"  {line}" for line in error))
    if not_run := _steps_not_run(result):
        print(f"{len(not_run)} steps not run, after a failed step or blocking check: {', '.join(not_run)}")
    if log_file and not result.success:
        print(f"the run's whole log, tracebacks included: {shown(log_file)}")
    if new_files := _new_files(result):
        print(f"new landing files read into bronze: {sum(new_files.values()):,} "
              f"({', '.join(f'{system} {count:,}' for system, count in new_files.items())})")
    print(f"gold tables ({shown(settings.gold)}, query {shown(settings.gold_db)} read-only):")
    for table, rows in _published(settings):
        print(f"  {table:32} {rows:>9,} rows")
    for line in suppression_notes(settings):  # why a table shows no figures
        print(line)
    _print_checks(settings, result)
    quarantined, unreadable_json = _quarantined(settings)
    print(f"quarantined records: {quarantined:,} ({shown(settings.quarantine / 'records')}, reason per record)"
          + (f"\n  of which {unreadable_json:,} could not be recovered from corrupt JSON" if unreadable_json else ""))
    for entry in rejected_files(settings):
        print(f"  rejected file: {entry['bestand']}: {entry['error']}")
    print("data quality results: gold table dq_resultaten (GX suites in expectations/, dbt tests in the model YAML)")
    print(f"lineage: OpenLineage events in {shown(settings.lineage / 'events')}, "
          f"dbt docs in {shown(settings.dbt_docs / 'static_index.html')}")
    print("explore: make dev, then open http://localhost:3000")
    print("dashboards: make dashboard (http://localhost:8501); "
          f"council reports in {shown(settings.gold / 'rapporten')}")


def shown(path: Path) -> str:
    """A path as the console shows it: within the project folder relative to it, elsewhere in full."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _new_files(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """Per source system, the landing files this run read into bronze (each of its bronze tables says so)."""
    new = {}
    for event in result.get_asset_materialization_events():
        files = event.materialization.metadata.get("files_new")
        if files is not None and files.value:
            new[event.step_key.removeprefix("bronze_")] = files.value
    return dict(sorted(new.items()))


def _print_checks(settings: Settings, result: dg.ExecuteInProcessResult) -> None:
    """The checks in two lines, dbt's tests and the Great Expectations suites, and why each failed expectation
    failed (its row in dq_resultaten)."""
    checks = result.get_asset_check_evaluations()
    dbt_tests = {node["name"] for node in json.loads(PROJECT_MANIFEST.read_text())["nodes"].values()
                 if node["resource_type"] == "test"}
    print(f"dbt tests: {_outcomes([c for c in checks if c.check_name in dbt_tests])}")
    print(f"Great Expectations suites: {_outcomes([c for c in checks if c.check_name not in dbt_tests])}")
    for line in _failed_expectations(settings, result.run_id):
        print(f"  {line}")


def _outcomes(checks: list) -> str:
    warned = [c for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.WARN]
    failed = [c for c in checks if not c.passed and c.severity != dg.AssetCheckSeverity.WARN]

    def names(of: list) -> str:
        return f" ({', '.join(sorted(f'{c.asset_key.to_user_string()} {c.check_name}' for c in of))})" if of else ""

    return (f"{len(checks) - len(warned) - len(failed)} passed, {len(warned)} warned{names(warned)}, "
            f"{len(failed)} failed{names(failed)}")


def _failed_expectations(settings: Settings, run_id: str) -> list[str]:
    """Each expectation or dbt test that failed in this run, with its table, what it expects and what it found."""
    results = settings.dq_results / run_id
    if not any(results.glob("*.parquet")):
        return []
    rows = duckdb.execute(
        "select ernst, tabel, expectation, kolom, omschrijving, aantal_onverwacht, aantal_rijen, waargenomen "
        "from read_parquet(?, union_by_name = true) where not geslaagd order by ernst, tabel, expectation, kolom",
        [str(results / "*.parquet")]).fetchall()
    return [f"{severity} failed: {table} {expectation}{f' ({column})' if column else ''}: {description}"
            + (f"; {unexpected:,} of {rows:,} rows unexpected" if unexpected is not None and rows else "")
            + (f"; observed {observed}" if observed else "")
            for severity, table, expectation, column, description, unexpected, rows, observed in rows]


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


def _steps_not_run(result: dg.ExecuteInProcessResult) -> list[str]:
    started = {event.step_key for event in result.all_events if event.is_step_start}
    return sorted(set(result.job_def.graph.node_names()) - started)


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
    # Python's last garbage collection at exit walks every object dbt, Dagster and Great Expectations made: a
    # noticeable wait after the summary, at any scale. Nothing is left to clean up that the exit does not free anyway.
    gc.freeze()
    # DuckDB objects still alive then (after a failed step dbt-duckdb still holds a connection; and whatever cyclic
    # garbage the freeze kept) are reported by DuckDB's bindings while the interpreter shuts down: dozens of lines
    # below the summary that look like a second fault. The summary and the run's log file have said everything by
    # then, so what the shutdown says goes nowhere.
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
    sys.exit(code)
