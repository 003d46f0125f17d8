"""The data-quality policy: a record-level finding never blocks an area, and a blocked area is unblocked by fixing
its input in landing, never by editing bronze."""

from __future__ import annotations

import duckdb

from pipelines.bronze.parts import row_count
from pipelines.dbt.state import recorded_builds
from pipelines.quality.suites import load_suites
from tests.conftest import copy_data_root, gold_rows, run_lakehouse
from tests.test_reruns import GOLD_MARTS, new_export


def published_by(settings) -> dict[str, str]:
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return dict(db.execute("select tabel, run_id from publicatie").fetchall())


def silver(settings, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        return db.execute(sql, parameters or []).fetchall()


def results(settings, run_id: str, table: str, expectation: str, column: str | None,
            observed: bool = False) -> list[tuple]:
    """The run's results of one expectation: severity, passed, unexpected count (and what it observed)."""
    with duckdb.connect() as db:
        return db.execute(f"""
            select ernst, geslaagd, aantal_onverwacht{', waargenomen' if observed else ''}
            from read_parquet('{settings.dq_results}/{run_id}/*.parquet')
            where tabel = ? and expectation = ? and kolom is not distinct from ?""", [table, expectation, column]).fetchall()


def materialised(result) -> set[str]:
    return {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}


def failed_checks(result) -> set[tuple[str, str]]:
    return {(c.asset_key.to_user_string(), c.check_name) for c in result.get_asset_check_evaluations() if not c.passed}


def test_every_expectation_says_why_its_threshold_is_what_it_is():
    for suite in load_suites():
        for expectation in suite.expectations:
            assert expectation["severity"] in ("critical", "warning"), (suite.name, expectation)
            assert len(expectation["meta"].get("waarom", "")) > 20, (suite.name, expectation["type"])


def test_a_bad_file_blocks_its_area_until_it_is_corrected_or_removed_in_landing(demo_run, tmp_path, monkeypatch):
    settings = copy_data_root(demo_run[0], tmp_path / "unblock", monkeypatch)
    weeks_before = gold_rows(settings, "fixi_meldingen_week", ingestion_times=False)
    bad_file = settings.landing / "fixi" / "verkeerde_gemeente.csv"
    # Valid Dutch coordinates, but in Amsterdam: far beyond the 2% of locations outside the municipality silver
    # tolerates, so the export as a whole is wrong (structural), and Fixi gold is withheld.
    new_export(settings, "verkeerde_gemeente", 3_000, lat="52,3702", lon="4,8952")
    blocked = run_lakehouse()
    assert not blocked.success and ("silver/fixi_melding", "gx_fixi_melding") in failed_checks(blocked)
    assert all(published_by(settings)[t] != blocked.run_id for t in GOLD_MARTS)

    new_export(settings, "verkeerde_gemeente", 3_000)  # corrected in place: same name, the right coordinates
    corrected = run_lakehouse()

    assert corrected.success, failed_checks(corrected)
    assert {published_by(settings)[t] for t in GOLD_MARTS} == {corrected.run_id}
    assert silver(settings, """select count(*), bool_and(locatie_binnen_gemeente) from silver.fixi_melding
                               where bron_bestand = 'verkeerde_gemeente.csv'""") == [(3_000, True)]

    bad_file.unlink()
    removed = run_lakehouse()

    assert removed.success, failed_checks(removed)
    assert {published_by(settings)[t] for t in GOLD_MARTS} == {removed.run_id}
    assert silver(settings, "select count(*) from silver.fixi_melding where bron_bestand = 'verkeerde_gemeente.csv'") \
        == [(0,)]
    with duckdb.connect() as db:  # bronze keeps both deliveries: nobody edited it
        assert db.execute(f"""select count(*) from read_parquet('{settings.bronze}/fixi/melding/*.parquet')
                              where bron_bestand = 'verkeerde_gemeente.csv'""").fetchone() == (6_000,)
    # The incremental models were rebuilt whole, and gold is again what it was before the file arrived.
    assert recorded_builds(settings.dbt_state)["model.lakehouse.fixi_melding"]["whole_build_run"] == removed.run_id
    assert gold_rows(settings, "fixi_meldingen_week", ingestion_times=False) == weeks_before


def odd_reisdocumenten(settings) -> None:
    """Three documents whose validity ends before their issue date, as 3 of the 139 in the real GBA-V test set."""
    header = ";01.01.20;01.02.10;01.02.40;01.03.10;08.11.60;12.35.10;12.35.20;12.35.30;12.35.40;12.35.50;12.35.60;" \
             "12.35.70;12.85.10;12.86.10"
    lines = [f"Pl90000{i};;Test;Persoon;19700101;7201ND;PN;NX{i}ABCDE{i};20200101;B0301;20190101;;;20200101;20200101"
             for i in range(1, 4)]
    (settings.landing / "brp" / "gba_oneven_datums.csv").write_text("\ufeff" + "\n".join([header, *lines]) + "\n",
                                                                     encoding="utf-8")


def unknown_productcategorie(settings) -> None:
    """One iWmo toewijzing with a productcategorie no codelist knows (99), in an otherwise ordinary bericht."""
    template = next(p for p in sorted((settings.landing / "iwmo").glob("WMO301_*.xml")))
    text = template.read_text(encoding="utf-8")
    identification = text.split("<b:Identificatie>")[1].split("<")[0]
    beschikking = text.split("<m:Beschikkingnummer>")[1].split("<")[0]
    text = (text.replace("<b:Categorie>02</b:Categorie>", "<b:Categorie>99</b:Categorie>")
            .replace(identification, "wmo301onbekendecategorie").replace(beschikking, "799999999"))
    assert "<b:Categorie>99</b:Categorie>" in text
    (settings.landing / "iwmo" / "WMO301_onbekende_categorie.xml").write_text(text, encoding="utf-8")


def test_a_handful_of_odd_records_never_blocks_and_is_counted(demo_run, tmp_path, monkeypatch):
    settings = copy_data_root(demo_run[0], tmp_path / "odd", monkeypatch)
    [(_, _, odd_before)] = _ends_before_issue(settings, demo_run[1].run_id)
    odd_reisdocumenten(settings)
    unknown_productcategorie(settings)

    result = run_lakehouse()

    assert result.success, failed_checks(result)
    assert {"gold/publicatie_sociaal_domein", "gold/publicatie_reisdocumenten"} <= materialised(result)
    published = published_by(settings)  # the tables built from the changed silver tables
    assert {published[t] for t in ("sociaal_domein_wachttijd_aanbieder", "reisdocumenten_verloop_maand")} == {result.run_id}
    [(severity, passed, odd)] = _ends_before_issue(settings, result.run_id)
    assert (severity, passed, odd - odd_before) == ("critical", True, 3)  # within the 10% that would be structural
    assert results(settings, result.run_id, "bronze.iwmo_product", "expect_column_values_to_be_in_set",
                   "productcategorie") == [("warning", True, 2)]  # its beschikt and its toegewezen line
    assert results(settings, result.run_id, "silver.beschikte_voorziening", "expect_column_values_to_be_in_set",
                   "productcategorie", observed=True) == [  # its line 2: line 1 is the bericht
        ("warning", True, 1, "e.g. WMO301_onbekende_categorie.xml#2")]
    assert results(settings, result.run_id, "silver.beschikte_voorziening", "dbt.relationships",
                   "productcategorie") == [("warning", False, 1)]
    assert silver(settings, "select productcategorie from silver.beschikte_voorziening where beschikkingnummer = ?",
                  ["799999999"]) == [("99",)]
    assert row_count(settings.bronze / "brp" / "reisdocument") > 0


def _ends_before_issue(settings, run_id: str) -> list[tuple]:
    with duckdb.connect() as db:
        return db.execute(f"""select ernst, geslaagd, aantal_onverwacht
                              from read_parquet('{settings.dq_results}/{run_id}/*.parquet')
                              where tabel = 'silver.reisdocument'
                                and kolom = 'einde_voor_uitgifte'""").fetchall()


def test_a_source_whose_landing_files_are_gone_is_blocked_as_collapsed_not_published_empty(demo_run, tmp_path,
                                                                                          monkeypatch):
    settings = copy_data_root(demo_run[0], tmp_path / "collapse", monkeypatch)
    (settings.landing / "fixi").rename(tmp_path / "fixi_elders")
    (settings.landing / "fixi").mkdir()
    before = published_by(settings)

    emptied = run_lakehouse()

    assert not emptied.success and ("silver/fixi_melding", "gx_fixi_melding") in failed_checks(emptied)
    assert {t: published_by(settings)[t] for t in GOLD_MARTS} == {t: before[t] for t in GOLD_MARTS}
    assert {"gold/publicatie_sociaal_domein", "gold/publicatie_reisdocumenten"} <= materialised(emptied)  # the others publish
    counts = results(settings, emptied.run_id, "silver.fixi_melding", "expect_table_row_count_to_be_between", None)
    assert ("critical", False) in [(severity, passed) for severity, passed, _ in counts]

    (settings.landing / "fixi").rmdir()
    (tmp_path / "fixi_elders").rename(settings.landing / "fixi")
    restored = run_lakehouse()

    assert restored.success, failed_checks(restored)
    assert {published_by(settings)[t] for t in GOLD_MARTS} == {restored.run_id}
