"""Data-quality results of the demo run: findings counted, dbt tests beside the suites, quarantine."""

from __future__ import annotations

import json
from collections import Counter

import duckdb

from pipelines.dbt.manifest import PROJECT_MANIFEST
from tests.conftest import gold


def test_dirty_records_are_kept_flagged_and_counted_in_dq_resultaten(demo_run, truth):
    settings, result = demo_run
    closed_before_created = sum(1 for m in truth.values() if m.closed is not None and m.closed < m.created)
    assert closed_before_created > 50
    rows = gold(settings, """
        select aantal_onverwacht, dimensie, ernst, geslaagd from dq_resultaten
        where tabel = 'silver.fixi_melding' and kolom = 'datumvolgorde_geldig' and run_id = ?""", [result.run_id])
    assert rows == [(closed_before_created, "consistentie", "critical", True)]
    dimensions = {r[0] for r in gold(settings, "select distinct dimensie from dq_resultaten")}
    assert {"volledigheid", "geldigheid", "uniciteit", "actualiteit", "consistentie"} <= dimensions
    suites = {r[0] for r in gold(settings, "select distinct tabel from dq_resultaten where run_id = ?", [result.run_id])}
    assert {"bronze.fixi_melding", "silver.fixi_melding", "gold.fixi_meldingen_week", "gold.fixi_pieken",
            "gold.fixi_afhandeling"} <= suites


def test_every_dbt_test_is_a_result_in_dq_resultaten_beside_the_suites(demo_run):
    """Keys and relationships are tested by dbt, not a second time by GX: their outcomes are result rows too."""
    settings, result = demo_run
    tests = [n for n in json.loads(PROJECT_MANIFEST.read_text())["nodes"].values() if n["resource_type"] == "test"]
    rows = gold(settings, """
        select tabel, expectation, kolom, dimensie, ernst, geslaagd, aantal_onverwacht, aantal_rijen, berekend_in_run
        from dq_resultaten where run_id = ? and expectation like 'dbt.%'""", [result.run_id])
    assert len(rows) == len(tests) > 60
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        meldingen = db.execute("select count(*) from silver.fixi_melding").fetchone()[0]
    assert [r for r in rows if r[:2] == ("silver.fixi_melding", "dbt.unique_combination")] == [
        ("silver.fixi_melding", "dbt.unique_combination", "gemeentecode, melding_id", "uniciteit", "critical", True, 0,
         meldingen, result.run_id)]
    assert {r[3] for r in rows} == {"uniciteit", "volledigheid", "geldigheid", "consistentie"}
    checked = {r[0] for r in gold(settings, "select distinct tabel from dq_resultaten where laag <> 'bronze'")}
    assert checked <= {r[0] for r in rows if r[3] == "uniciteit"}  # every silver and gold table: its key


def test_quarantine_names_file_record_and_reason(demo_run):
    settings, _ = demo_run
    with duckdb.connect() as db:
        rows = db.execute(f"""select bron_bestand, bron_record, reden
            from read_parquet('{settings.quarantine}/records/*/*.parquet')""").fetchall()
    reasons = Counter(r[2].split(" ")[0] for r in rows)
    assert reasons["melding"] > 0  # without a meldingnummer
    assert any("the page is cut off or corrupt" in r[2] for r in rows)
    assert any("is not a valid" in r[2] for r in rows)  # 31 February and 30 February
    for file, record, _ in rows:
        assert (settings.landing / "fixi" / file).exists() and record >= 1


def test_each_expectation_shows_by_name_with_its_outcome_in_the_check_and_the_data_docs(demo_run):
    """GX computes every expectation of every suite inside DuckDB, none in error; the Dagster check of a suite
    lists its expectations with their outcomes as dq_resultaten has them, and the Data Docs show each suite."""
    from pipelines.quality.suites import load_suites

    settings, result = demo_run
    checks = {c.asset_key.to_user_string(): c.metadata for c in result.get_asset_check_evaluations()
              if c.check_name.startswith("gx_")}
    suites = load_suites()
    assert len(checks) == len(suites)
    stored = gold(settings, """select tabel, expectation, coalesce(kolom, ''), ernst, geslaagd, aantal_onverwacht,
                                      coalesce(waargenomen, '')
                               from dq_resultaten where run_id = ? and expectation not like 'dbt.%'""", [result.run_id])
    assert not [row for row in stored if row[6].startswith("error")]
    assert sum(1 for row in stored if row[5]) >= 5  # real findings were counted
    shown = [(suite.name, r.data["expectation"], r.data["kolom"] or "", r.data["ernst"], r.data["geslaagd"],
              r.data["aantal_onverwacht"], r.data["waargenomen"] or "")
             for suite in suites for r in checks[f"{suite.zone}/{suite.table}"]["expectations"].value.records]
    assert sorted(shown, key=str) == sorted(stored, key=str)
    assert [len(checks[f"{s.zone}/{s.table}"]["expectations"].value.records) for s in suites] == [
        len(s.expectations) for s in suites]
    index = (settings.gx_docs / "site" / "index.html").read_text()
    assert all(suite.name in index for suite in suites)
