"""One scale of the benchmark: generate, build, run the baselines, compare gold, then one nightly run."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

from benchmarks.compare import DID_NOT_COMPLETE, all_identical, parquet, same_rows
from benchmarks.measure import Measured, run_measured
from benchmarks.stages import FIXI_STEPS, last_run
from pipelines.bronze.parts import row_count
from pipelines.bronze.sources import BRONZE_TABLES
from pipelines.dbt.runner import compile_models
from pipelines.demo import DEFAULT_SEED
from pipelines.demo.municipality import gemeenten
from pipelines.settings import PROJECT_ROOT, load_settings

# Fixed, so every bench run builds the same data: the full build runs on the night of PEILDATUM - 1 with the
# exports up to the day before, the nightly run on the next night (PEILDATUM) with one more day of exports.
PEILDATUM = dt.date(2026, 6, 30)
PANDAS_RSS_LIMIT = 16 * 1024**3  # of the machine's 24 GB; beyond it the pandas baseline counts as out of memory
FIXI_MODELS = ("silver.kalender", "silver.wijk_buurt", "silver.fixi_melding", "gold.fixi_meldingen_week")
PYTHON = sys.executable
# Disk space a scale needs, per municipality: the national bench of 2026-12-07 (554f926) took at most 67 GB of the
# disk (the landing 36 GB, the lakehouse 9 GB, the floors' databases and DuckDB's spill), and some room is left.
DISK_PER_GEMEENTE = 0.21 * 1024**3


def bench_scale(count: int, years: int, root: Path, dashboard: bool = False) -> dict:
    """One scale; with `dashboard`, also every dashboard page's render time on the gold it built."""
    shutil.rmtree(root, ignore_errors=True)
    (root / ".dagster").mkdir(parents=True)
    _enough_disk(root, count)
    shutil.copy(PROJECT_ROOT / "dagster_instance.yaml", root / ".dagster" / "dagster.yaml")
    full_night = PEILDATUM - dt.timedelta(days=1)
    env = {"LAKEHOUSE_DATA_ROOT": str(root), "DAGSTER_HOME": str(root / ".dagster"),
           "LAKEHOUSE_PEILDATUM": full_night.isoformat(), "LAKEHOUSE_MODE": "demo"}
    settings = load_settings(env)
    last_day = full_night - dt.timedelta(days=1)  # the nightly run brings the day after

    demo = [PYTHON, "-m", "pipelines.demo", "--gemeenten", str(count), "--years", str(years), "--end", str(last_day)]
    generation = _generate("generation", demo, env, root / "generation.log")
    generation["write_floor"] = _write_floor(settings, env, root)
    full = run_measured([PYTHON, "-m", "pipelines.run"], env, root / "full.log")
    full_run = last_run(root / ".dagster", full)
    print(f"bench: full build {full.seconds:.0f} s ({'ok' if full_run.success else 'FAILED'})", flush=True)

    ingest_floor = _ingest_floor(env, root / "ingest_floor.log")
    floor, floor_models = _floor(settings, env, root / "floor")
    pandas = run_measured([PYTHON, "-m", "benchmarks.pandas_fixi", str(root), full_night.isoformat(),
                           str(root / "pandas_fixi_meldingen_week.parquet")], env, root / "pandas.log",
                          rss_limit=PANDAS_RSS_LIMIT)
    print(f"bench: floor {sum(floor_models.values()):.1f} s, pandas {pandas.seconds:.0f} s", flush=True)
    comparison = {**_compare_floor(settings, root / "floor"), **_compare_pandas(settings, root, pandas)}

    nightly_files = _generate("next day", demo + ["--next-day"], env, root / "next_day.log")
    nightly_env = {**env, "LAKEHOUSE_PEILDATUM": PEILDATUM.isoformat()}  # the next night, as the schedule runs it
    nightly = run_measured([PYTHON, "-m", "pipelines.run"], nightly_env, root / "nightly.log")
    nightly_run = last_run(root / ".dagster", nightly)
    print(f"bench: nightly run {nightly.seconds:.0f} s ({'ok' if nightly_run.success else 'FAILED'})", flush=True)
    # The floor again, on the nightly run's bronze and peildatum: what was kept must equal what it computes.
    nightly_settings = load_settings(nightly_env)
    _floor(nightly_settings, nightly_env, root / "floor_nightly")
    nightly_comparison = _compare_floor(nightly_settings, root / "floor_nightly")
    pages = _dashboard(nightly_env, root / "dashboard.log") if dashboard else None

    return {
        "gemeenten": count,
        "years": years,
        "volumes": {"inwoners": sum(g.inwoners for g in gemeenten(count, settings.gemeentecode, DEFAULT_SEED)),
                    **_volumes(settings, root / "generation.log")},
        "generation": generation,
        "full": {"ok": full_run.success, "seconds": full.seconds, "peak_rss": full.peak_rss,
                 "stages": [s.as_dict() for s in full_run.stages], "steps": full_run.steps,
                 "dbt_seconds": full_run.dbt_seconds},
        "nightly": {"ok": nightly_run.success, "seconds": nightly.seconds, "peak_rss": nightly.peak_rss,
                    "new_files": nightly_files, "stages": [s.as_dict() for s in nightly_run.stages],
                    "steps": nightly_run.steps, "dbt_seconds": nightly_run.dbt_seconds,
                    "rebuilt": nightly_run.rebuilt, "kept": nightly_run.kept,
                    "gold_identical": nightly_comparison},
        "ingest_floor": ingest_floor,
        "floor": {"seconds": sum(floor_models.values()), "peak_rss": floor.peak_rss, "models": floor_models,
                  "fixi_seconds": sum(floor_models.get(m, 0.0) for m in FIXI_MODELS)},
        "pandas": {"seconds": pandas.seconds, "peak_rss": pandas.peak_rss, "completed": pandas.returncode == 0,
                   "out_of_memory": pandas.stopped_for_memory or "MemoryError" in pandas.output,
                   "table": "gold.fixi_meldingen_week"},
        "pipeline_fixi_seconds": sum(full_run.steps.get(step, 0.0) for step in FIXI_STEPS),
        **({"dashboard": pages} if pages is not None else {}),
        "gold_identical": comparison,
        "correct": full_run.success and nightly_run.success and all_identical({**comparison, **nightly_comparison}),
    }


def _enough_disk(root: Path, count: int) -> None:
    """Refuse before an hour of generating what the disk cannot hold to the end."""
    free, needed = shutil.disk_usage(root).free, count * DISK_PER_GEMEENTE
    if free < needed:
        raise SystemExit(f"bench: {count} gemeente(n) need about {needed / 1024**3:.0f} GB free in {root}, "
                         f"{free / 1024**3:.0f} GB is: free space there or pass --work with a larger disk")


def _step(name: str, measured: Measured) -> dict:
    if measured.returncode != 0:
        raise RuntimeError(f"bench: {name} failed ({' '.join(measured.command)}):\n{measured.output[-3000:]}")
    return {"seconds": measured.seconds, "peak_rss": measured.peak_rss}


def _generate(name: str, command: list[str], env: dict, log_path: Path) -> dict:
    """Write landing files, then flush them to disk, counted as part of generating them: the build that follows
    reads exports delivered earlier in the day, so it is not timed while the kernel writes back what generation
    left in memory (national generation writes 17 GB; the flush took a second or two in the 2026-12-03 run)."""
    step = _step(name, run_measured(command, env, log_path))
    started = time.monotonic()
    os.sync()
    return {**step, "seconds": step["seconds"] + time.monotonic() - started}


def _dashboard(env: dict, log_path: Path) -> dict:
    """Every dashboard page rendered headless on the scale's published gold (benchmarks/dashboard.py)."""
    measured = run_measured([PYTHON, "-m", "benchmarks.dashboard"], env, log_path)
    if measured.returncode not in (0, 1):  # 1: it ran, and a page raised an error (reported per page)
        raise RuntimeError(f"bench: dashboard failed:\n{measured.output[-3000:]}")
    pages = json.loads(measured.output.strip().splitlines()[-1])
    print("bench: dashboard pages " + ", ".join(f"{page} {r['standaard']['seconds']:.1f} s"
                                                for page, r in pages["pages"].items()), flush=True)
    return pages


def _write_floor(settings, env: dict, root: Path) -> dict:
    """Writing the generated files' bytes again into as many files, flushed (benchmarks/write_floor.py)."""
    measured = run_measured([PYTHON, "-m", "benchmarks.write_floor", str(settings.landing), str(root / "write_floor")],
                            env, root / "write_floor.log")
    _step("write floor", measured)
    written = json.loads(measured.output.strip().splitlines()[-1])
    print(f"bench: writing the same {written['files']:,} files takes {written['seconds']:.0f} s", flush=True)
    return written


def _ingest_floor(env: dict, log_path: Path) -> dict[str, dict]:
    """A bare read of the landing files the full build ingested, per source (benchmarks/ingest_floor.py), after
    the build, so both read what the page cache kept of the generated files."""
    measured = run_measured([PYTHON, "-m", "benchmarks.ingest_floor"], env, log_path)
    _step("ingest floor", measured)
    per_source = json.loads(measured.output.strip().splitlines()[-1])
    print("bench: ingest floor " + ", ".join(f"{system} {r['seconds']:.1f} s" for system, r in per_source.items()),
          flush=True)
    return per_source


def _floor(settings, env: dict, folder: Path) -> tuple[Measured, dict[str, float]]:
    """Compile the models against the settings' bronze and peildatum (not timed), then run their SQL on bare
    DuckDB into `folder`."""
    manifest = compile_models(settings, folder / "dbt_target")
    measured = run_measured([PYTHON, "-m", "benchmarks.floor", str(settings.build_db), str(manifest),
                             str(folder / settings.build_db.name)], env, folder / "floor.log")
    _step("floor", measured)
    return measured, json.loads(measured.output.strip().splitlines()[-1])


def _compare_floor(settings, folder: Path) -> dict[str, bool]:
    """Whether each gold table of the floor in `folder` equals the published one, row for row."""
    result = {}
    with duckdb.connect() as db:
        db.execute(f"attach '{folder / settings.build_db.name}' as floor (read_only)")
        tables = [t for (t,) in db.execute(
            "select table_name from information_schema.tables where table_catalog = 'floor' and table_schema = 'gold'"
        ).fetchall()]
        for table in sorted(tables):
            result[f"floor: {table}"] = same_rows(db, f"floor.gold.{table}", parquet(settings.gold / f"{table}.parquet"))
    return result


def _compare_pandas(settings, root: Path, pandas: Measured) -> dict[str, bool | str]:
    if pandas.returncode != 0:
        return {"pandas: fixi_meldingen_week": DID_NOT_COMPLETE}
    with duckdb.connect() as db:
        return {"pandas: fixi_meldingen_week": same_rows(db, parquet(root / "pandas_fixi_meldingen_week.parquet"),
                                                         parquet(settings.gold / "fixi_meldingen_week.parquet"))}


def _volumes(settings, generation_log: Path) -> dict:
    files = [p for p in settings.landing.rglob("*") if p.is_file()]
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        published = dict(db.execute("select tabel, aantal_rijen from publicatie").fetchall())
    return {
        "landing_files": len(files),
        "landing_mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
        "bronze_rows": {t.name: row_count(settings.bronze / t.folder) for t in BRONZE_TABLES.values()},
        "gold_rows": published,
        "generated": generation_log.read_text(encoding="utf-8").strip().splitlines()[-1],
    }
