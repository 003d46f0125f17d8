"""The demo municipality built through the real Dagster definitions: the run and what it publishes."""

from __future__ import annotations

from tests.conftest import gold


def test_the_run_succeeds_with_every_check_passing_or_only_warning(demo_run):
    _, result = demo_run
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 30  # dbt tests and one GX suite per Fixi table
    errors = [c for c in checks if not c.passed and c.severity.value == "ERROR"]
    assert errors == []


def test_gold_tables_are_published_as_parquet_and_views(demo_run):
    settings, _ = demo_run
    tables = {row[0]: row[1] for row in gold(settings, "select tabel, aantal_rijen from publicatie")}
    assert set(tables) == {"fixi_meldingen_week", "fixi_pieken", "fixi_afhandeling", "fixi_piek_oorzaken",
                           "fixi_prognose", "dq_resultaten",
                           "sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder",
                           "sociaal_domein_instroom_uitstroom",
                           "reisdocumenten_verloop_maand", "reisdocumenten_aanvragen_week", "reisdocumenten_prognose"}
    for name, rows in tables.items():
        assert (settings.gold / f"{name}.parquet").exists()
        assert gold(settings, f"select count(*) from {name}")[0][0] == rows > 0
