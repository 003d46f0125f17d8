"""The benchmark's baselines compute the same gold as the pipeline, on the demo."""

from __future__ import annotations

import json

import duckdb

from benchmarks import pandas_fixi
from benchmarks.compare import parquet, same_rows
from benchmarks.floor import build as build_floor
from pipelines.dbt.runner import compile_models


def test_the_benchmark_baselines_compute_the_same_gold_as_the_pipeline(demo_run, tmp_path):
    """`make bench` compares the pipeline with a pandas script and with its own SQL on bare DuckDB; both must
    agree with the published gold, or their timings compare different work."""
    settings, _ = demo_run
    weeks = pandas_fixi.per_week(pandas_fixi.meldingen(settings.bronze, settings.peildatum))
    weeks.to_parquet(tmp_path / "pandas.parquet", index=False)
    manifest = json.loads(compile_models(settings, tmp_path / "dbt").read_text())
    seconds = build_floor(settings.build_db, manifest, tmp_path / settings.build_db.name, settings)

    assert len(weeks) > 5_000 and set(seconds) >= {"silver.fixi_melding", "gold.fixi_meldingen_week"}
    with duckdb.connect() as db:
        db.execute(f"attach '{tmp_path / settings.build_db.name}' as floor (read_only)")
        published = parquet(settings.gold / "fixi_meldingen_week.parquet")
        assert same_rows(db, parquet(tmp_path / "pandas.parquet"), published)
        for table in ("fixi_meldingen_week", "sociaal_domein_wachtlijst", "reisdocumenten_prognose"):
            assert same_rows(db, f"floor.gold.{table}", parquet(settings.gold / f"{table}.parquet")), table
        # and the comparison itself notices a difference
        assert not same_rows(db, f"(select * from {published} limit 10)", published)
