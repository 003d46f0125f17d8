"""BRP reisdocumenten and counter applications into bronze: the real fixtures to exact values, and bad input."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil

import duckdb

from pipelines.bronze.brp import BRP
from pipelines.bronze.burgerzaken import BURGERZAKEN
from pipelines.bronze.ingest import ingest
from pipelines.privacy import pseudonym
from tests.bulk import read_both_ways
from tests.conftest import FIXTURES

LOG = logging.getLogger("test")


def documents(settings) -> dict[str, dict]:
    with duckdb.connect() as db:
        rows = db.execute(f"select * from read_parquet('{settings.bronze}/brp/reisdocument/*.parquet')").df()
    return {r["reisdocumentnummer"]: r for r in rows.to_dict("records")}


def day(value) -> dt.date:
    return value.date() if hasattr(value, "date") else value


def test_gba_v_sample_parses_completely(settings):
    (settings.landing / "brp").mkdir(parents=True)
    shutil.copy(FIXTURES / "brp" / "gba-v-testset-sample.csv", settings.landing / "brp")
    report = ingest(BRP, settings, "run-1", LOG)
    assert report.rows["brp_reisdocument"] == 55 and report.quarantined == 0
    # Two rows carry only source-document data of category 12 (12.82-12.86), no reisdocument: counted, not lost.
    assert report.notes["category 12 rows without a reisdocument (12.35.20 empty)"] == 2
    docs = documents(settings)
    known = docs["IX34JH673"]
    assert (known["soort"], day(known["datum_uitgifte"]), day(known["datum_einde_geldigheid"]), known["autoriteit"]) == (
        "NI", dt.date(2021, 5, 26), dt.date(2022, 5, 26), "B1810")
    withheld = docs["NV7968PR6"]  # on a continuation row of the person before it
    assert (withheld["aanduiding_inhouding_vermissing"], day(withheld["datum_inhouding_vermissing"])) == ("I", dt.date(2020, 12, 3))
    assert docs["NTLBCL731"]["persoon_pseudoniem"] == docs["IR7LK4HB7"]["persoon_pseudoniem"]  # one holder, two rows
    assert all(d["persoon_pseudoniem"] and d["leeftijd_bij_uitgifte"] is not None for d in docs.values())


def test_haal_centraal_fixtures_and_both_date_shapes(settings):
    shutil.copytree(FIXTURES / "brp" / "haalcentraal", settings.landing / "brp")
    listing = {"reisdocumenten": [{"reisdocumentnummer": "NX1234567", "soortReisdocument": {"code": "PN"},
                                   "datumUitgifte": "20190102", "datumEindeGeldigheid": "20290102",
                                   "houder": {"burgerservicenummer": "999993653", "geboortedatum": {"datum": "1980-05-01"}}}]}
    (settings.landing / "brp" / "lijst.json").write_text(json.dumps(listing))
    report = ingest(BRP, settings, "run-1", LOG)
    assert report.rows["brp_reisdocument"] == 7
    docs = documents(settings)
    lost = docs["BD8P7H2C7"]  # date objects, vermist, BSN only in the ingeschrevenPersoon link
    assert (lost["soort"], day(lost["datum_uitgifte"]), lost["aanduiding_inhouding_vermissing"]) == ("ZN", dt.date(2012, 1, 12), "V")
    assert lost["persoon_pseudoniem"] == pseudonym("999993872", settings.pseudonym_key)
    listed = docs["NX1234567"]  # JJJJMMDD strings
    assert (day(listed["datum_uitgifte"]), day(listed["datum_einde_geldigheid"]), listed["leeftijd_bij_uitgifte"]) == (
        dt.date(2019, 1, 2), dt.date(2029, 1, 2), 38)
    stored = json.dumps(list(docs.values()), default=str)
    assert "999993872" not in stored and "ingeschrevenpersonen" not in stored


def test_counter_export_with_age_instead_of_birth_date(settings):
    (settings.landing / "burgerzaken").mkdir(parents=True)
    (settings.landing / "burgerzaken" / "aanvragen.csv").write_text(
        "Aanvraagnummer;Aanvraagdatum;Soort;Spoed;Uitreikdatum;Locatie;Leeftijd\n"
        "A1;2026-05-04;pn;ja;2026-05-08;Stadhuis;34\n"
        "A2;31-04-2026;NI;nee;;Stadhuis;70\n"
        "A3;2026-05-05;XX;nee;;Stadhuis;8\n", encoding="utf-8")
    report = ingest(BURGERZAKEN, settings, "run-1", LOG)
    with duckdb.connect() as db:
        rows = db.execute(f"select aanvraagnummer, soort, spoed, leeftijdsklasse from "
                          f"read_parquet('{settings.bronze}/burgerzaken/aanvraag/*.parquet') order by 1").fetchall()
    assert rows == [("A1", "PN", True, "30-44"), ("A3", "XX", False, "0-17")]  # XX reaches silver, flagged there
    assert report.quarantined == 1  # 31 April


def test_an_empty_haal_centraal_answer_is_read_not_set_aside(settings):
    """A small municipality can have no changed documents in a month: `{"reisdocumenten": []}` is an answer."""
    (settings.landing / "brp").mkdir(parents=True)
    (settings.landing / "brp" / "mutaties.json").write_text('{"reisdocumenten": []}', encoding="utf-8")
    (settings.landing / "brp" / "hal.json").write_text('{"_embedded": {"reisdocumenten": []}}', encoding="utf-8")
    (settings.landing / "brp" / "anders.json").write_text('{"personen": []}', encoding="utf-8")
    report = ingest(BRP, settings, "run-1", LOG)
    assert report.files_new == 2 and report.rows["brp_reisdocument"] == 0
    assert report.files_rejected == ["anders.json: JSON without reisdocumenten: not a Haal Centraal Reisdocumenten response"]


def test_a_large_delivery_spread_over_processes_gives_the_same_bronze(tmp_path, monkeypatch):
    """Chunks parsed in worker processes write what one process writes: rows, quarantine and register."""
    from pipelines.bronze import ingest as ingest_module
    from tests.conftest import use_data_root

    monkeypatch.setattr(ingest_module, "CHUNK_FILES", 2)
    monkeypatch.setattr(ingest_module, "PARALLEL_FROM_CHUNKS", 2)
    outcomes = []
    for processes in (1, 2):
        settings = use_data_root(monkeypatch, tmp_path / f"processes_{processes}")
        shutil.copytree(FIXTURES / "brp" / "haalcentraal", settings.landing / "brp")
        shutil.copy(FIXTURES / "brp" / "gba-v-testset-sample.csv", settings.landing / "brp")
        (settings.landing / "GM0363" / "brp").mkdir(parents=True)
        (settings.landing / "GM0363" / "brp" / "kapot.json").write_text('{"reisdocumenten": [', encoding="utf-8")
        shutil.copy(FIXTURES / "brp" / "gba-v-testset-sample.csv", settings.landing / "brp" / "zelfde-inhoud.csv")
        report = ingest(BRP, settings, "run-1", LOG, processes=processes)
        assert report.files_known == 1  # the copy, recognised by its content hash in either mode
        with duckdb.connect() as db:
            rows = db.execute(f"select * exclude (geladen_op) from read_parquet('{settings.bronze}/brp/reisdocument/"
                              "*.parquet') order by all").fetchall()
        register = sorted((e["bestand"].split("/landing/")[1], e["status"], str(e.get("rows"))) for e in report.register)
        outcomes.append((rows, register, report.files_rejected,
                         len(list((settings.bronze / "brp" / "reisdocument").glob("*.parquet")))))
    (rows_1, register_1, rejected_1, parts_1), (rows_2, register_2, rejected_2, parts_2) = outcomes
    assert len(rows_1) == 55 + 6 and rows_2 == rows_1
    assert register_2 == register_1 and len(register_1) == 9  # 8 read or rejected, 1 duplicate
    assert rejected_1 == rejected_2 and len(rejected_1) == 1 and rejected_1[0].startswith("kapot.json: invalid JSON")
    assert parts_1 == parts_2 == 4  # one part per chunk of two files


BAD_EXTRACT = (
    "\ufeff;01.01.20;01.03.10;12.35.10;12.35.20;12.35.30;12.35.40;12.35.50;12.35.60;12.35.70;12.85.10\n"
    ";;;PN;NA0000001;20200101;B0301;20300101;;;\n"  # a document before any person
    "P1;999993653;19800000;PN;NA0000002;20200101;B0301;20300101;;;\n"  # birth month and day unknown
    ";;;NI;NA0000003;20201341;B0301;20301301;;;\n"  # two impossible dates: the first is the reason
    ";;;;;;;;;;20200101\n"  # category 12 without a reisdocument
    ";;;;;;;;;;\n"  # all fields empty
    "\n"
    "P2;123456789;;;NA0000004;01-02-2021;;2031-02-01;15-03-2022;I;\n"  # invalid BSN, no birth date, empty codes
    "P3;;20101231;PN;NA0000005;20221231;B0301;20271231;;;\n"  # no BSN
)


def test_a_gba_extract_read_column_wise_equals_record_by_record(settings):
    """A plain extract is read column-wise (`bulk`); rows, quarantine and notes must be exactly those of reading
    it record by record, bad records included."""
    bulk, rows, quarantined = read_both_ways(BRP, settings, "extract.csv", BAD_EXTRACT.encode("utf-8"))
    bronze = rows["brp_reisdocument"]
    assert bulk.rows["brp_reisdocument"].to_pylist() == bronze
    assert bulk.quarantined.to_pylist() == quarantined
    assert [(r["reisdocumentnummer"], r["bron_record"], r["leeftijd_bij_uitgifte"], r["bsn_geldig"]) for r in bronze] == [
        ("NA0000002", 3, 39, True), ("NA0000004", 8, None, False), ("NA0000005", 9, 12, None)]
    assert [r["reden"] for r in quarantined] == [
        "line 2: reisdocument on a continuation row before any person",
        "line 4: 12.35.30 '20201341' is not a valid date"]


def test_an_irregular_extract_is_left_to_the_record_parser(settings):
    """Column-wise reading promises line numbers; a short row or a line break inside a value breaks that
    promise, so such a file is read record by record."""
    from pipelines.bronze.ingest import LandingFile, ParseContext

    lines = BAD_EXTRACT.split("\n")
    irregular = {
        "short row": "\n".join(lines[:3] + [";;;PN"] + lines[3:]).encode(),
        "line break in a value": BAD_EXTRACT.replace(";B0301;20300101;;;", ';"B03\n01";20300101;;;', 1).encode(),
    }
    for content in irregular.values():
        path = settings.landing / "extract.csv"
        context = ParseContext(settings, LandingFile(path, content, 0, 0), settings.gemeentecode)
        assert BRP.bulk(context) is None
        assert any(parsed.row for parsed in BRP.parse(context))


def test_a_counter_export_read_column_wise_equals_record_by_record(settings):
    """The application export's bulk reading against record by record: impossible, missing and future dates, a
    birth date and an age column, spoed written in several ways, an empty soort and no BSN."""
    export = (
        "Aanvraagnummer;Aanvraagdatum;Soort;Spoed;Uitreikdatum;Locatie;Geboortedatum;Leeftijd;BSN;Opmerking\n"
        "A1;2026-05-04;pn;ja;2026-05-08;Stadhuis;04-05-1990;;999993653;x\n"
        "A2;31-04-2026;NI;nee;;Stadhuis;;70;;x\n"
        "A3;2026-05-05;;J;;;;8;;x\n"
        ";2026-05-05;NI;nee;;Stadhuis;;;;x\n"
        "A5;2026-08-01;NI;nee;;Stadhuis;;;;x\n"
        "A6;2026-05-05;NI;Y;32-05-2026;Stadhuis;;;;x\n"
        ";;;;;;;;;\n"
        "A7;20260506;ZN;1;2026-05-09;Balie 2;2010-13-01;;;x\n"
        "A8;06-05-2026;NI;nee;2026-05-09;Balie 2;07-05-2008;;999993654;x\n"
    ).encode("cp1252")
    bulk, rows, quarantined = read_both_ways(BURGERZAKEN, settings, "aanvragen.csv", export)
    assert bulk.rows["burgerzaken_aanvraag"].to_pylist() == rows["burgerzaken_aanvraag"]
    assert bulk.quarantined.to_pylist() == quarantined
    assert [(r["aanvraagnummer"], r["soort"], r["spoed"], r["leeftijdsklasse"], r["bsn_geldig"])
            for r in rows["burgerzaken_aanvraag"]] == [
        ("A1", "PN", True, "30-44", True), ("A3", None, True, "0-17", None),
        ("A8", "NI", False, "0-17", False)]  # 999993654 fails the elfproef: flagged, still pseudonymised
    assert [r["reden"] for r in quarantined] == [
        "line 3: aanvraagdatum '31-04-2026' is not a valid date",
        "line 5: application without a number or date",
        "line 6: aanvraagdatum 2026-08-01 lies after the peildatum",
        "line 7: uitreikdatum '32-05-2026' is not a valid date",
        "line 9: geboortedatum '2010-13-01' is not a valid date"]
