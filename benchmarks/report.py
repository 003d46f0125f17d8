"""The benchmark report: goals first, then per scale the stages, the baselines and whether gold agrees."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path

import psutil

from benchmarks.machine import OTHER_SPEED, REFERENCE_COMMITS, REFERENCE_ROWS
from benchmarks.stages import FIXI_STEPS
from pipelines.demo.municipality import NATIONAL_GEMEENTEN, NATIONAL_INWONERS

GB = 1024**3
FULL_BUILD_LIMIT = 600  # seconds, national scale
RSS_LIMIT = 6 * GB
NIGHTLY_SHARE = 0.05
FLOOR_RATIO = 1.5
PANDAS_RATIO = 10
QUALITY_SHARE = 0.20
GENERATION_FLOOR_RATIO = 3  # the demo generation within 3x of writing the same bytes (issue 31)
INGEST_FLOOR_RATIO = 3  # each source's ingest within 3x of a bare read of its files (issue 31)
DASHBOARD_LIMIT = 2.0  # seconds: every dashboard page renders within 2 s (issue 28)


def write_report(results: list[dict], folder: Path, day: dt.date, reference: dict, dated: bool = True) -> str:
    """`latest.md` and `.json`, and with `dated` the same under the date, scales and commit (two runs of a day
    are both kept). `reference` is the machine's speed during the run (benchmarks/machine.py)."""
    report = {"date": day.isoformat(), "machine": {**_machine(), "reference": reference}, "commit": _commit(),
              "goals": goals(results), "scales": results}
    markdown = _markdown(report)
    folder.mkdir(parents=True, exist_ok=True)
    label = "_".join(str(r["gemeenten"]) for r in results)
    names = ([f"{day.isoformat()}_gemeenten_{label}_{report['commit']}"] if dated else []) + ["latest"]
    for name in names:
        (folder / f"{name}.json").write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")
        (folder / f"{name}.md").write_text(markdown, encoding="utf-8")
    return markdown


def goals(results: list[dict]) -> list[dict]:
    """Each goal with what was measured, whether it is met, and what holds it back when it is not."""
    national = next((r for r in results if r["gemeenten"] >= NATIONAL_GEMEENTEN), None)
    rows = []
    if national:
        slowest = _slowest_stage(national["full"])
        rows.append(_goal("National full build within 10 minutes", f"{national['full']['seconds']:.0f} s",
                          national["full"]["seconds"] <= FULL_BUILD_LIMIT, f"slowest stage: {slowest}"))
        rows.append(_goal("National peak RSS under 6 GB", _gb(national["full"]["peak_rss"]),
                          national["full"]["peak_rss"] < RSS_LIMIT, "peak in stage " + _peak_stage(national["full"])))
    else:
        rows.append({"goal": "National full build within 10 minutes, peak RSS under 6 GB",
                     "measured": "not run (make bench NATIONAL=1)", "met": None,
                     "held_back_by": _national_estimate(max(results, key=lambda r: r["gemeenten"]))})
    for r in results:
        scale = f"{r['gemeenten']} gemeente(n)"
        share = r["nightly"]["seconds"] / r["full"]["seconds"]
        rows.append(_goal(f"Nightly run within 5% of the full build ({scale})", f"{share:.0%}",
                          share <= NIGHTLY_SHARE, _nightly_reason(r)))
        transform = _stage_seconds(r["full"], "dbt silver") + _stage_seconds(r["full"], "dbt gold")
        ratio = transform / r["floor"]["seconds"]
        rows.append(_goal(f"Transform within 1.5x of the bare DuckDB floor ({scale})",
                          f"{ratio:.1f}x ({transform:.0f} s vs {r['floor']['seconds']:.1f} s)", ratio <= FLOOR_RATIO,
                          f"{len(_dbt_steps(r))} dbt steps: " + _in_dbt(r["full"], _dbt_steps(r))
                          + f"; the floor runs the same models' SQL in {r['floor']['seconds']:.1f} s"))
        pandas = r["pandas"]
        if pandas["completed"]:
            speedup = pandas["seconds"] / r["pipeline_fixi_seconds"]
            rows.append(_goal(f"At least 10x faster than pandas ({scale}, {pandas['table']})",
                              f"{speedup:.1f}x ({pandas['seconds']:.0f} s vs {r['pipeline_fixi_seconds']:.0f} s)",
                              speedup >= PANDAS_RATIO,
                              f"the same SQL on bare DuckDB takes {r['floor']['fixi_seconds']:.1f} s "
                              f"({pandas['seconds'] / max(r['floor']['fixi_seconds'], 1e-9):.0f}x faster than pandas); "
                              "the pipeline's steps for it: " + _in_dbt(r["full"], FIXI_STEPS)))
        else:
            rows.append({"goal": f"At least 10x faster than pandas ({scale})", "met": True,
                         "measured": "pandas ran out of memory" if pandas["out_of_memory"] else "pandas failed",
                         "held_back_by": ""})
        if "write_floor" in r["generation"]:
            written = r["generation"]["write_floor"]
            ratio = r["generation"]["seconds"] / max(written["seconds"], 1e-9)
            rows.append(_goal(f"Generation within 3x of writing the same bytes ({scale})",
                              f"{ratio:.1f}x ({r['generation']['seconds']:.0f} s vs {written['seconds']:.0f} s)",
                              ratio <= GENERATION_FLOOR_RATIO,
                              f"{written['files']:,} files, {written['bytes'] / 1e6:,.0f} MB"))
        rows += _ingest_goals(r, scale)
        quality = _stage_seconds(r["full"], "quality checks") / r["full"]["seconds"]
        rows.append(_goal(f"Quality checks under 20% of the build ({scale})", f"{quality:.0%}",
                          quality < QUALITY_SHARE, "slowest check: " + _slowest_check(r)))
        if "dashboard" in r:
            rows += _dashboard_goals(r["dashboard"], scale)
    return rows


def _ingest_goals(r: dict, scale: str) -> list[dict]:
    """Per source: its bronze step against a bare read of the same files (benchmarks/ingest_floor.py)."""
    rows = []
    for system, bare, seconds, ratio in _ingest_against_floor(r):
        rows.append(_goal(f"Ingest of {system} within 3x of a bare read ({scale})",
                          f"{ratio:.1f}x ({seconds:.1f} s vs {bare['seconds']:.1f} s)", ratio <= INGEST_FLOOR_RATIO,
                          f"{bare['files']:,} files, {bare['rows']:,} rows: the product {_per_second(bare, seconds)}, "
                          f"the bare read {_per_second(bare, bare['seconds'])}"))
    return rows


def _ingest_against_floor(r: dict):
    """Per source: the bare read's figures, the seconds of the source's bronze step, and their ratio."""
    for system, bare in r.get("ingest_floor", {}).items():
        seconds = r["full"]["steps"].get(f"bronze_{system}", 0.0)
        yield system, bare, seconds, seconds / max(bare["seconds"], 1e-9)


def _per_second(bare: dict, seconds: float) -> str:
    return (f"{bare['rows'] / max(seconds, 1e-9):,.0f} rows/s and {bare['files'] / max(seconds, 1e-9):,.0f} files/s")


def _dashboard_goals(dashboard: dict, scale: str) -> list[dict]:
    """Per page: its render with the default selection and with every municipality chosen, each on empty caches;
    when too slow or failing, what the time went into."""
    rows = []
    for page, renders in dashboard["pages"].items():
        default, everyone = renders["standaard"], renders["alle_gemeenten"]
        slower = max(default, everyone, key=lambda render: render["seconds"])
        errors = default["errors"] + everyone["errors"]
        reason = ("error: " + "; ".join(errors)[:300] if errors else
                  f"{slower['query_seconds']:.1f} s in {slower['queries']} gold queries (slowest "
                  f"{slower['slowest_query']['seconds']:.1f} s: `{slower['slowest_query']['sql']}`), "
                  f"{slower['seconds'] - slower['query_seconds']:.1f} s in the page itself (Streamlit, pandas, charts)")
        rows.append(_goal(f"Dashboard page {page} within 2 s ({scale})",
                          f"{default['seconds']:.1f} s; all {dashboard['gemeenten']} chosen {everyone['seconds']:.1f} s",
                          not errors and slower["seconds"] <= DASHBOARD_LIMIT, reason))
    return rows


def _national_estimate(r: dict) -> str:
    """What the largest measured scale implies for national volumes, if generation and ingest scale linearly."""
    factor = NATIONAL_INWONERS / r["volumes"]["inwoners"]
    ingest = next(s for s in r["full"]["stages"] if s["name"] == "ingest")
    return (f"extrapolated from {r['gemeenten']} gemeenten ({factor:.0f}x fewer inhabitants): generation "
            f"~{factor * r['generation']['seconds'] / 60:.0f} min and ingest alone ~{factor * ingest['seconds'] / 60:.0f} "
            f"min at the measured {ingest['rows_per_second']:,.0f} rows/s")


def _in_dbt(run: dict, steps) -> str:
    """How the seconds of these dbt steps divide: dbt building models and seeds, dbt running its tests, and the
    rest (dbt's start-up and parse, Dagster's events, row counts, column lineage)."""
    total = sum(run["steps"].get(step, 0.0) for step in steps)
    models, tests = (sum(run["dbt_seconds"].get(step, {}).get(kind, 0.0) for step in steps) for kind in ("models", "tests"))
    return (f"{total:.1f} s, of which {models:.1f} s dbt building models and seeds, {tests:.1f} s dbt tests and "
            f"{total - models - tests:.1f} s around them (dbt start-up and parse, Dagster events, row counts, lineage)")


def _nightly_reason(r: dict) -> str:
    nightly = r["nightly"]
    dbt = _stage_seconds(nightly, "dbt silver") + _stage_seconds(nightly, "dbt gold")
    slowest = sorted(nightly["steps"].items(), key=lambda step: -step[1])[:3]
    return (f"{dbt:.0f} s of dbt rebuilding {len(nightly['rebuilt'])} of "
            f"{len(nightly['rebuilt']) + len(nightly['kept'])} silver and gold tables (those reading the new files "
            f"or comparing with the peildatum), {_stage_seconds(nightly, 'quality checks'):.0f} s of checks, "
            f"{_stage_seconds(nightly, 'ingest'):.1f} s of ingest; slowest steps: "
            + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in slowest))


def _goal(goal: str, measured: str, met: bool, reason: str) -> dict:
    return {"goal": goal, "measured": measured, "met": met, "held_back_by": "" if met else reason}


def _stage_seconds(run: dict, name: str) -> float:
    return sum(s["seconds"] for s in run["stages"] if s["name"] == name)


def _slowest_stage(run: dict) -> str:
    stage = max(run["stages"], key=lambda s: s["seconds"])
    return f"{stage['name']} ({stage['seconds']:.0f} s of {run['seconds']:.0f} s)"


def _peak_stage(run: dict) -> str:
    return max(run["stages"], key=lambda s: s["peak_rss"])["name"]


def _slowest_check(r: dict) -> str:
    checks = {k: v for k, v in r["full"]["steps"].items() if "_gx_" in k}
    name = max(checks, key=checks.get)
    return f"{name} ({checks[name]:.1f} s)"


def _dbt_steps(r: dict) -> list[str]:
    return [step for step in r["full"]["steps"] if step.startswith("dbt_")]


def _gb(value: int) -> str:
    return f"{value / GB:.2f} GB"


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / GB, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).parent)
    return done.stdout.strip() or "unknown"


def _markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [
        f"# Benchmark {report['date']} (commit {report['commit']})",
        "",
        f"Machine: {machine['cpus']} cores, {machine['memory_gb']} GB, Python {machine['python']}. "
        "Produced by `make bench`; every figure below comes from the JSON beside this file.",
        "",
        _reference_line(machine["reference"]),
        "",
        "## Goals",
        "",
        "| goal | measured | met | held back by |",
        "|---|---|---|---|",
    ]
    for g in report["goals"]:
        met = {True: "yes", False: "**no**", None: "-"}[g["met"]]
        lines.append(f"| {g['goal']} | {g['measured']} | {met} | {g['held_back_by']} |")
    for r in report["scales"]:
        lines += _scale_section(r)
    return "\n".join(lines) + "\n"


def _reference_line(reference: dict) -> str:
    """The machine's speed during the run, and a warning when it ran markedly slower or faster than for the
    last report."""
    def seconds(measured: dict | None) -> str:
        return (f"{measured['duckdb_aggregation']:.2f} s and {measured['sqlite_commits']:.2f} s" if measured
                else "not measured yet")

    against = reference["against_last_report"]
    line = (f"Machine speed, reference workloads (DuckDB aggregation of {REFERENCE_ROWS:,} rows; "
            f"{REFERENCE_COMMITS} SQLite commits): {seconds(reference['start'])} at the start, "
            f"{seconds(reference['end'])} at the end"
            + ("; against the last report's start: " + ", ".join(f"{name} {ratio}x" for name, ratio in against.items())
               if against else "; the last report has no reference to compare with") + ".")
    if any(not 1 / OTHER_SPEED < ratio < OTHER_SPEED for ratio in against.values()):
        line += (" **The machine ran at another speed than for the last report: compare this report's ratios "
                 "with it, not its seconds.**")
    return line


def _scale_section(r: dict) -> list[str]:
    v = r["volumes"]
    lines = [
        "",
        f"## {r['gemeenten']} gemeente(n), {r['years']} years",
        "",
        f"Generated: {v['generated']}. Landing: {v['landing_files']:,} files, {v['landing_mb']:,} MB. "
        f"Bronze rows: " + ", ".join(f"{k} {n:,}" for k, n in v["bronze_rows"].items() if n) + "."
        + _write_floor_line(r["generation"]),
        "",
        "| stage | full build s | rows/s | peak RSS | nightly run s | rows/s | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| generation | {r['generation']['seconds']:.1f} | | {_gb(r['generation']['peak_rss'])} | | | |",
    ]
    nightly = {s["name"]: s for s in r["nightly"]["stages"]}
    for s in r["full"]["stages"]:
        n = nightly.get(s["name"], {"seconds": 0, "rows_per_second": None, "peak_rss": 0})
        lines.append(f"| {s['name']} | {s['seconds']:.1f} | {_rate(s)} | {_gb(s['peak_rss'])} | {n['seconds']:.1f} | "
                     f"{_rate(n)} | {_gb(n['peak_rss'])} |")
    lines.append(f"| **whole run (process)** | **{r['full']['seconds']:.1f}** | | {_gb(r['full']['peak_rss'])} | "
                 f"**{r['nightly']['seconds']:.1f}** | | {_gb(r['nightly']['peak_rss'])} |")
    p = r["pandas"]
    pandas = (f"{p['seconds']:.1f} s, peak {_gb(p['peak_rss'])}" if p["completed"]
              else "ran out of memory" if p["out_of_memory"] else "failed")
    lines += _ingest_table(r)
    lines += [
        "",
        f"Baselines on the same bronze: bare DuckDB floor (all {len(r['floor']['models'])} models' SQL, no dbt or "
        "Dagster) "
        f"{r['floor']['seconds']:.1f} s, peak {_gb(r['floor']['peak_rss'])}; of which the Fixi week table's chain "
        f"{r['floor']['fixi_seconds']:.1f} s. pandas script for {p['table']}: {pandas}; the pipeline's steps for the "
        f"same chain (dbt_silver_referentie, dbt_silver_fixi, dbt_gold_fixi): {r['pipeline_fixi_seconds']:.1f} s.",
        "",
        "Identical gold (row for row, doubles to 6 decimals): " + _identical(r["gold_identical"]) + ".",
        "",
        f"Nightly run (one more day of exports, the next peildatum): rebuilt {len(r['nightly']['rebuilt'])} tables "
        f"({', '.join(sorted(r['nightly']['rebuilt']))}), kept {len(r['nightly']['kept'])} as they were. Its gold "
        "against the floor run again on the same bronze and peildatum: " + _identical(r["nightly"]["gold_identical"]) + ".",
    ]
    return lines


def _write_floor_line(generation: dict) -> str:
    written = generation.get("write_floor")
    return (f" Writing the same bytes into as many files, flushed: {written['seconds']:.1f} s "
            f"(generation {generation['seconds'] / max(written['seconds'], 1e-9):.1f}x that)." if written else "")


def _ingest_table(r: dict) -> list[str]:
    """Ingest per source against a bare read of the same landing files (the floor counts rows as bronze would
    hold them; bronze's own rows may differ by quarantined records)."""
    if "ingest_floor" not in r:
        return []
    lines = ["", "| source | files | rows (bare read) | ingest s | bare read s | ratio | ingest rows/s | ingest files/s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for system, bare, seconds, ratio in _ingest_against_floor(r):
        lines.append(f"| {system} | {bare['files']:,} | {bare['rows']:,} | {seconds:.1f} | {bare['seconds']:.1f} | "
                     f"{ratio:.1f}x | {bare['rows'] / max(seconds, 1e-9):,.0f} | {bare['files'] / max(seconds, 1e-9):,.0f} |")
    return lines


def _identical(comparison: dict) -> str:
    return ", ".join(f"{k} {'yes' if ok is True else ok if isinstance(ok, str) else 'NO'}" for k, ok in comparison.items())


def _rate(stage: dict) -> str:
    rate = stage.get("rows_per_second")
    return f"{rate:,.0f}" if rate else ""
