"""A goal the bench does not meet says where the time went."""

from benchmarks.report import goals

STEPS = {"bronze_fixi": 2.0, "dbt_silver_referentie": 2.5, "dbt_silver_fixi": 4.0, "dbt_gold_fixi": 2.0,
         "dbt_gold_sociaal_domein": 1.5, "gold__fixi_meldingen_week_gx_fixi_meldingen_week": 0.5}
DBT_SECONDS = {"dbt_silver_referentie": {"models": 0.5, "tests": 0.25}, "dbt_silver_fixi": {"models": 2.0, "tests": 0.5},
               "dbt_gold_fixi": {"models": 0.75, "tests": 0.25}, "dbt_gold_sociaal_domein": {"models": 0.5, "tests": 0.0}}


def ten_municipalities() -> dict:
    def stage(name: str, seconds: float) -> dict:
        return {"name": name, "seconds": seconds, "rows": 1000, "peak_rss": 0, "rows_per_second": 1000 / seconds}

    full = {"seconds": 12.5, "peak_rss": 0, "steps": STEPS, "dbt_seconds": DBT_SECONDS,
            "stages": [stage("ingest", 2.0), stage("dbt silver", 6.5), stage("dbt gold", 3.5),
                       stage("quality checks", 0.5)]}
    nightly = {**full, "seconds": 6.0, "rebuilt": ["silver/fixi_melding"], "kept": ["gold/sociaal_domein_wachtlijst"]}
    return {"gemeenten": 10, "volumes": {"inwoners": 800_000}, "generation": {"seconds": 80.0}, "full": full,
            "nightly": nightly, "floor": {"seconds": 2.0, "fixi_seconds": 1.0}, "pipeline_fixi_seconds": 8.5,
            "pandas": {"completed": True, "seconds": 60.0, "table": "gold.fixi_meldingen_week"}}


def test_the_transform_goal_splits_the_dbt_steps_into_models_tests_and_the_rest():
    transform = next(g for g in goals([ten_municipalities()]) if g["goal"].startswith("Transform"))
    assert transform["measured"] == "5.0x (10 s vs 2.0 s)" and transform["met"] is False
    assert transform["held_back_by"] == (
        "4 dbt steps: 10.0 s, of which 3.8 s dbt building models and seeds, 1.0 s dbt tests and 5.2 s around them "
        "(dbt start-up and parse, Dagster events, row counts, lineage); the floor runs the same models' SQL in 2.0 s")


def test_the_pandas_goal_splits_only_the_steps_that_compute_the_same_table():
    pandas = next(g for g in goals([ten_municipalities()]) if g["goal"].startswith("At least 10x"))
    assert pandas["measured"] == "7.1x (60 s vs 8 s)" and pandas["met"] is False
    assert pandas["held_back_by"].endswith(
        "the pipeline's steps for it: 8.5 s, of which 3.2 s dbt building models and seeds, 1.0 s dbt tests and "
        "4.2 s around them (dbt start-up and parse, Dagster events, row counts, lineage)")
