"""The stages of a lakehouse run, read from its Dagster event log: time, rows and peak memory per stage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import dagster as dg

from benchmarks.measure import Measured

STAGES = ("ingest", "dbt silver", "dbt gold", "quality checks", "publication", "council report", "lineage docs")
FIXI_STEPS = ("dbt_silver_referentie", "dbt_silver_fixi", "dbt_gold_fixi")  # what pandas computes, in the pipeline


def stage_of(step_key: str) -> str:
    """Which stage a step of the `lakehouse` job belongs to (the job's step keys name their asset or check)."""
    if "_gx_" in step_key:
        return "quality checks"
    if step_key.startswith("bronze_"):
        return "ingest"
    if step_key.startswith("dbt_silver_"):
        return "dbt silver"
    if step_key.startswith("dbt_gold_"):
        return "dbt gold"
    if step_key.startswith("gold__publicatie"):
        return "publication"
    if step_key.startswith("gold__kwartaalrapport"):
        return "council report"
    if step_key.startswith("lineage__"):
        return "lineage docs"
    raise ValueError(f"step {step_key} belongs to no known stage: add it to benchmarks/stages.py")


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    rows: int = 0  # rows the stage wrote (ingest: bronze rows added; dbt: rows of the tables built, not kept)
    peak_rss: int = 0

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds else None

    def as_dict(self) -> dict:
        return {**asdict(self), "rows_per_second": self.rows_per_second}


@dataclass
class LoggedRun:
    """What the event log says of a run: success, stages in job order, seconds per step, the silver and gold
    tables it built and those it found up to date, and how much of each dbt step was dbt running SQL."""

    success: bool
    stages: list[Stage]
    steps: dict[str, float]
    rebuilt: list[str]
    kept: list[str]
    dbt_seconds: dict[str, dict[str, float]]  # per dbt step, dbt's own time in SQL: {"models": .., "tests": ..}


def last_run(dagster_home: Path, measured: Measured) -> LoggedRun:
    """The newest run in `dagster_home`, read from its event log."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0]
        events = instance.all_logs(run.run_id)
    started, windows, steps = {}, defaultdict(list), {}
    stages = {name: Stage(name) for name in STAGES}
    built = {True: [], False: []}
    dbt_seconds = defaultdict(lambda: {"models": 0.0, "tests": 0.0})
    for event in events:
        kind = event.dagster_event.event_type_value if event.dagster_event else None
        if kind == "STEP_START":
            started[event.step_key] = event.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            stage = stages[stage_of(event.step_key)]
            steps[event.step_key] = event.timestamp - started[event.step_key]
            stage.seconds += steps[event.step_key]
            windows[stage.name].append((started[event.step_key], event.timestamp))
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.dagster_event.event_specific_data.materialization
            metadata = materialization.metadata
            rows = metadata.get("rows_added") or metadata.get("dagster/row_count")
            rebuilt = metadata["rebuilt"].value if "rebuilt" in metadata else True  # False: up to date, not written
            if "rebuilt" in metadata:
                built[rebuilt].append(materialization.asset_key.to_user_string())
            if (rows is not None and rebuilt
                    and stage_of(event.step_key) in ("ingest", "dbt silver", "dbt gold", "publication")):
                stages[stage_of(event.step_key)].rows += int(rows.value)
            _add_dbt_seconds(dbt_seconds, event.step_key, "models", metadata)
        elif kind == "ASSET_CHECK_EVALUATION":
            _add_dbt_seconds(dbt_seconds, event.step_key, "tests", event.dagster_event.event_specific_data.metadata)
    for name, spans in windows.items():
        stages[name].peak_rss = max(measured.peak_rss_between(start, end) for start, end in spans)
    return LoggedRun(run.is_success, [s for s in stages.values() if s.seconds], steps, built[True], built[False],
                     dict(dbt_seconds))


def _add_dbt_seconds(dbt_seconds: dict, step_key: str, kind: str, metadata) -> None:
    """dagster-dbt records dbt's own execution time of each model, seed and test it ran ("Execution Duration");
    a model found up to date and a Great Expectations check have none."""
    if step_key.startswith("dbt_") and "Execution Duration" in metadata:
        dbt_seconds[step_key][kind] += float(metadata["Execution Duration"].value)
