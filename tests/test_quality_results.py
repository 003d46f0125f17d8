"""Data-quality results of the demo run: findings counted, dbt tests beside the suites, quarantine."""

from __future__ import annotations

import dataclasses
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


def test_a_large_table_is_checked_in_slices_with_the_outcomes_of_the_whole(demo_run, monkeypatch):
    """Above SLICE_ROWS a table never enters pandas whole; its outcomes equal those of validating it whole."""
    from pipelines.quality import suites

    settings, _ = demo_run

    def outcomes() -> dict[str, list[tuple]]:
        # full_refresh: bronze suites count every part again rather than add to the counts kept by the run
        recount = dataclasses.replace(settings, full_refresh=True)
        return {suite.name: sorted((o.expectation, o.kolom or "", o.omschrijving, o.geslaagd, o.aantal_rijen,
                                    o.aantal_onverwacht, _number(o.percentage_onverwacht), _number(o.waargenomen))
                                   for o in suites.run_suite(suite, recount, "recount")) for suite in suites.load_suites()}

    whole = outcomes()
    slices = []
    monkeypatch.setattr(suites, "_frames", _recording(suites._frames, slices))
    monkeypatch.setattr(suites, "SLICE_ROWS", 5_000)
    assert outcomes() == whole
    # The Fixi and BRP tables have 45,000 to 91,000 rows; GX sees those that could fail a per-row expectation or
    # repeat a key, and the rows of the expectations SQL cannot screen, in slices
    assert len(slices) > 20 and max(slices) <= 5_000
    assert sum(1 for results in whole.values() for o in results if o[5]) >= 5  # real findings were compared


def _recording(slicer, sizes: list[int]):
    def recorded(*args):
        for frame in slicer(*args):
            sizes.append(len(frame))
            yield frame
    return recorded


def _number(value):
    """Percentages and observed means to 9 significant digits: pandas and DuckDB sum in a different order."""
    try:
        return float(f"{float(value):.9g}")
    except (TypeError, ValueError):
        return value
