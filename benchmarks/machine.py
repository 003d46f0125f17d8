"""How fast the machine is while the benchmark runs: the same two small workloads, timed before and after.

A shared machine can run at a fraction of its usual speed for hours. Ratios measured in the same run stay
comparable then, but seconds do not: a report whose reference workloads took longer than in the last report
says so, so that nobody reads a slow machine as slow code (or the reverse). One national bench ran while the
machine was at half speed: its untouched generation code took 1,325 s instead of 995 s.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

import duckdb

REFERENCE_ROWS = 20_000_000
REFERENCE_COMMITS = 200
OTHER_SPEED = 1.25  # a reference this many times slower or faster than the last report's marks the report


def reference_seconds(folder: Path) -> dict[str, float]:
    """Seconds of a DuckDB aggregation (CPU and memory, on every core) and of committed SQLite inserts in
    `folder` (the storage's sync, as in Dagster's event log): the best of three each."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"duckdb_aggregation": min(_timed(_aggregate) for _ in range(3)),
            "sqlite_commits": min(_timed(lambda: _commit_rows(folder)) for _ in range(3))}


def described(start: dict[str, float], end: dict[str, float] | None, before: dict[str, float] | None) -> dict:
    """The reference at the start and end of the run, and per workload how many times longer than at the
    start of the last report its slower measurement took (empty when that report has no reference)."""
    slowest = {name: max(seconds, (end or {}).get(name, 0)) for name, seconds in start.items()}
    return {"start": start, "end": end,
            "against_last_report": {name: round(seconds / before[name], 2)
                                        for name, seconds in slowest.items() if (before or {}).get(name)}}


def previous_reference(latest: Path) -> dict[str, float] | None:
    """The reference of the report in `latest` (latest.json), measured at its start."""
    if not latest.exists():
        return None
    return json.loads(latest.read_text(encoding="utf-8")).get("machine", {}).get("reference", {}).get("start")


def _timed(workload) -> float:
    started = time.perf_counter()
    workload()
    return round(time.perf_counter() - started, 3)


def _aggregate() -> None:
    with duckdb.connect() as db:
        db.execute("set enable_progress_bar = false")  # drawn on a terminal when the query takes over 2 s
        db.execute(f"select count(*), sum(n) from (select i % 5000003 as k, count(*) as n "
                   f"from range({REFERENCE_ROWS}) as t(i) group by k)").fetchall()


def _commit_rows(folder: Path) -> None:
    """A connection per insert, as Dagster's SQLite event log opens one per event."""
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        path = Path(scratch) / "reference.db"
        with closing(sqlite3.connect(path)) as db:
            db.execute("pragma journal_mode=wal")
            db.execute("create table event (id integer primary key, body text)")
        for number in range(REFERENCE_COMMITS):
            with closing(sqlite3.connect(path)) as db, db:
                db.execute("insert into event (body) values (?)", (f"event {number}",))
