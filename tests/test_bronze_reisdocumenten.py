"""BRP reisdocumenten and counter applications into bronze: the real fixtures to exact values, and bad input."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil

import duckdb
import pytest

from pipelines.bronze import formats
from pipelines.bronze.brp import BRP
from pipelines.bronze.burgerzaken import BURGERZAKEN
from pipelines.bronze.ingest import ingest
from pipelines.privacy import pseudonym
from tests.bulk import read_both_ways
from tests.conftest import FIXTURES

LOG = logging.getLogger("test")


def documents(settings) -> dict[str, dict]:
    with duckdb.connect() as db:
        rows = db.sql(f"select * from read_parquet('{settings.bronze}/brp/reisdocument/*.parquet')").to_arrow_table()
    return {r["reisdocumentnummer"]: r for r in rows.to_pylist()}


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
    assert (withheld["aanduiding_inhouding_vermissing"], day(withheld["datum_inhouding_vermissing"])) == (
        "I", dt.date(2020, 12, 3))
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
    assert (lost["soort"], day(lost["datum_uitgifte"]), lost["aanduiding_inhouding_vermissing"]) == (
        "ZN", dt.date(2012, 1, 12), "V")
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
        register = sorted((e["bestand"].split("/landing/")[1], e["status"], e["rows"])
                          for e in report.register_table().to_pylist())
        outcomes.append((rows, register, report.files_rejected,
                         len(list((settings.bronze / "brp" / "reisdocument").glob("*.parquet")))))
    (rows_1, register_1, rejected_1, parts_1), (rows_2, register_2, rejected_2, parts_2) = outcomes
    assert len(rows_1) == 55 + 6 and rows_2 == rows_1
    assert register_2 == register_1 and len(register_1) == 9  # 8 read or rejected, 1 duplicate
    assert rejected_1 == rejected_2 and len(rejected_1) == 1 and rejected_1[0].startswith("kapot.json: invalid JSON")
    assert parts_1 == parts_2 == 4 + 1  # one part per chunk of two files, and the empty part in the current schema


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
    "P4;999990639;19750229;PN;NA0000006;20200100;B0301;00000000;;;\n"  # issue day unknown, end wholly unknown,
    # and a birth date that does not exist (1975 is no leap year): unknown
    ";;;NI;NA0000007;20200100;B0301;20300100;20210229;I;\n"  # partly unknown dates, but an impossible one
)


# Dates are read by Arrow from this many distinct values on, by a Python call each below it: both ways are read.
BOTH_DATE_READERS = pytest.mark.parametrize("arrow_dates_from", [0, formats.ARROW_DATES_FROM])


@BOTH_DATE_READERS
def test_a_gba_extract_read_column_wise_equals_record_by_record(settings, monkeypatch, arrow_dates_from):
    """A plain extract is read column-wise (`bulk`); rows, quarantine and notes must be exactly those of reading
    it record by record, bad records included."""
    monkeypatch.setattr(formats, "ARROW_DATES_FROM", arrow_dates_from)
    bulk, rows, quarantined = read_both_ways(BRP, settings, "extract.csv", BAD_EXTRACT.encode("utf-8"))
    bronze = rows["brp_reisdocument"]
    assert bulk.rows["brp_reisdocument"].to_pylist() == bronze
    assert bulk.quarantined.to_pylist() == quarantined
    assert [(r["reisdocumentnummer"], r["bron_record"], r["leeftijd_bij_uitgifte"], r["bsn_geldig"]) for r in bronze] == [
        ("NA0000002", 3, 39, True), ("NA0000004", 8, None, False), ("NA0000005", 9, 12, None),
        ("NA0000006", 10, None, True)]
    assert (bronze[-1]["datum_uitgifte"], bronze[-1]["datum_einde_geldigheid"]) == (None, None)
    assert [r["reden"] for r in quarantined] == [
        "line 2: reisdocument on a continuation row before any person",
        "line 4: 12.35.30 '20201341' is not a valid date",
        "line 11: 12.35.60 '20210229' is not a valid date"]
    # Counted for the documents read (the column-wise reading's notes are asserted equal to these).
    from pipelines.bronze.contract import LandingFile, ParseContext

    context = ParseContext(settings, LandingFile(settings.landing / "extract.csv", BAD_EXTRACT.encode(), 0, 0),
                           settings.gemeentecode)
    list(BRP.parse(context))
    assert {note: n for note, n in context.notes.items() if note.startswith("partly")} == {
        "partly unknown 12.35.30 read as unknown": 1, "partly unknown 12.35.50 read as unknown": 1}


def test_an_irregular_extract_is_left_to_the_record_parser(settings):
    """Column-wise reading promises line numbers; a short row or a line break inside a value breaks that
    promise, so such a file is read record by record."""
    from pipelines.bronze.contract import LandingFile, ParseContext

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


ODD_ANSWER = {"type": "ZoekMetBurgerservicenummer", "reisdocumenten": [
    {"reisdocumentnummer": "NX0000001", "soort": {"code": "PN"}, "datumEindeGeldigheid": {"type": "Datum", "datum": "2031-02-01"},
     "houder": {"burgerservicenummer": "999993653", "geboortedatum": {"type": "Datum", "datum": "1980-05-05"}}},
    {"reisdocumentnummer": 12345},  # a number that is no string
    "no object",
    {"reisdocumentnummer": "NX0000002", "datumEindeGeldigheid": {"datum": "2021-02-30"}},  # a day that does not exist
    {"houder": {"burgerservicenummer": "999990639"}},  # a person without a document
    {"reisdocumentnummer": "NX0000003", "datumUitgifte": "20180700", "houder": {"burgerservicenummer": "123456789"}},
    {"reisdocumentnummer": "NX0000004", "soortReisdocument": {"code": ""},
     "_links": {"ingeschrevenPersoon": {"href": "/ingeschrevenpersonen/999993872"}},
     "houder": {"geboortedatum": "20100000"}},  # a birth date partly unknown: no age band
    {"soort": {"code": "NI"}},  # the standard value for the number: not delivered
    {"reisdocumentnummer": "NX0000005", "houder": {"burgerservicenummer": 999993653}},  # a BSN that is no string
    {"reisdocumentnummer": "NX0000006", "soort": {"code": 7}},  # a code that is no string
]}


@pytest.mark.parametrize("answer", [
    *sorted((FIXTURES / "brp" / "haalcentraal").glob("*.json")),
    *sorted((FIXTURES / "brp" / "haalcentraal-v2").glob("*.json")),
    "odd",
], ids=lambda answer: getattr(answer, "name", answer))
def test_a_haal_centraal_answer_read_column_wise_equals_record_by_record(settings, answer):
    """The API's answers (v1 and v2, the mock data's persons without a document) read column-wise give exactly the
    rows, quarantine and notes of reading them entry by entry, odd entries included."""
    content = json.dumps(ODD_ANSWER).encode() if answer == "odd" else answer.read_bytes()
    bulk, rows, quarantined = read_both_ways(BRP, settings, "antwoord.json", content)
    assert bulk.rows["brp_reisdocument"].to_pylist() == rows["brp_reisdocument"]
    assert bulk.quarantined.to_pylist() == quarantined
    if answer == "odd":
        assert [r["reden"] for r in quarantined if r["bron_record"] != 3] == [
            "reisdocument 2: reisdocumentnummer 12345 is not a string",
            "reisdocument 4: datumEindeGeldigheid '2021-02-30' is not a valid date",
            "reisdocument 9: houder.burgerservicenummer 999993653 is not a string",
            "reisdocument 10: soort.code 7 is not a string"]
        assert quarantined[1]["reden"].startswith("reisdocument 3: ")  # an entry that is no object
        assert [(r["reisdocumentnummer"], r["bsn_geldig"], r["leeftijdsklasse"]) for r in rows["brp_reisdocument"]] == [
            ("NX0000001", True, "45-64"), ("NX0000003", False, None), ("NX0000004", True, None)]


@BOTH_DATE_READERS
def test_a_counter_export_read_column_wise_equals_record_by_record(settings, monkeypatch, arrow_dates_from):
    """The application export's bulk reading against record by record: impossible, missing and future dates, a
    birth date and an age column, spoed written in several ways, an empty soort and no BSN."""
    monkeypatch.setattr(formats, "ARROW_DATES_FROM", arrow_dates_from)
    export = (
        "Aanvraagnummer;Aanvraagdatum;Soort;Spoed;Uitreikdatum;Locatie;Geboortedatum;Leeftijd;BSN;Opmerking\n"
        "A1;2026-05-04;pn;ja;2026-05-08;Stadhuis;04-05-1990;;999993653;x\n"
        "A2;31-04-2026;NI;nee;;Stadhuis;;70;;x\n"
        "A3;2026-05-05;;J;;;;8;;x\n"
        ";2026-05-05;NI;nee;;Stadhuis;;;;x\n"
        "A5;2026-08-01;NI;nee;;Stadhuis;;;;x\n"
        "A6;2026-05-05;NI;Y;32-05-2026;Stadhuis;;;;x\n"
        ";;;;;;;;;\n"
        " ; ;\t;;;;; ;;\n"  # a line of whitespace only: blank too
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
        "line 10: geboortedatum '2010-13-01' is not a valid date"]


def test_haal_centraal_v2_answers_read_every_field_the_specification_defines(settings):
    """v2 (`specificatie/reisdocument.yaml`): `soort.code`, `inhoudingOfVermissing {datum, aanduiding}`, dates as
    `{"type": "Datum", "datum": ...}`, the holder in `houder.burgerservicenummer`, no issue date; a document whose
    number has the standard value is left out of the answer (an empty object), and is counted, not quarantined."""
    shutil.copytree(FIXTURES / "brp" / "haalcentraal-v2", settings.landing / "brp",
                    ignore=shutil.ignore_patterns("mock-*"))
    report = ingest(BRP, settings, "run-1", LOG)
    assert report.files_rejected == [] and report.quarantined == 0
    assert report.rows["brp_reisdocument"] == 3
    assert report.notes["reisdocumenten without a reisdocumentnummer (standard value, not delivered)"] == 1
    docs = documents(settings)
    withheld = docs["NE3663258"]
    assert (withheld["soort"], day(withheld["datum_einde_geldigheid"]), withheld["aanduiding_inhouding_vermissing"],
            day(withheld["datum_inhouding_vermissing"]), withheld["datum_uitgifte"]) == (
        "PN", dt.date(2024, 5, 6), "I", dt.date(2023, 4, 5), None)
    assert withheld["persoon_pseudoniem"] == pseudonym("000000152", settings.pseudonym_key)
    assert [(docs[n]["soort"], day(docs[n]["datum_einde_geldigheid"])) for n in ("NWE45TN71", "ID23NW456")] == [
        ("PN", dt.date(2033, 3, 17)), ("NI", dt.date(2033, 2, 21))]
    assert {d["bron_formaat"] for d in docs.values()} == {"haalcentraal_json"}


def test_a_person_based_answer_counts_persons_without_a_document_and_quarantines_nothing(settings):
    """The API's own mock data (the GBA variant: `JJJJMMDD` strings, `soort.code`, `inhoudingOfVermissing`),
    one entry per row of the GBA-V test set: most entries are persons without a reisdocument (only `houder`)."""
    fixture = FIXTURES / "brp" / "haalcentraal-v2" / "mock-test-data-sample.json"
    entries = json.loads(fixture.read_text(encoding="utf-8"))
    (settings.landing / "brp").mkdir(parents=True)
    shutil.copy(fixture, settings.landing / "brp")
    report = ingest(BRP, settings, "run-1", LOG)
    with_number = [e for e in entries if e.get("reisdocumentnummer")]
    assert report.quarantined == 0
    assert report.rows["brp_reisdocument"] == len(with_number) == 48
    assert report.notes["persons without a reisdocument"] == len(entries) - len(with_number) == 152
    with duckdb.connect() as db:
        read = db.execute(f"""select count(soort), count(datum_einde_geldigheid), count(aanduiding_inhouding_vermissing),
                                     count(datum_inhouding_vermissing), count(persoon_pseudoniem)
                              from read_parquet('{settings.bronze}/brp/reisdocument/*.parquet')""").fetchone()
    delivered = (sum("soort" in e for e in with_number), sum("datumEindeGeldigheid" in e for e in with_number),
                 sum("aanduiding" in e.get("inhoudingOfVermissing", {}) for e in with_number),
                 sum("datum" in e.get("inhoudingOfVermissing", {}) for e in with_number),
                 sum("burgerservicenummer" in e.get("houder", {}) for e in with_number))
    assert read == delivered and delivered[2] == 14  # every field the file holds is read, withheld ones too
    docs = documents(settings)
    assert (docs["NV7968PR6"]["soort"], docs["NV7968PR6"]["aanduiding_inhouding_vermissing"],
            day(docs["NV7968PR6"]["datum_inhouding_vermissing"])) == ("PN", "I", dt.date(2020, 12, 3))
    assert (docs["IX34JH673"]["soort"], day(docs["IX34JH673"]["datum_einde_geldigheid"])) == ("NI", dt.date(2022, 5, 26))


def test_v1_enum_names_and_partly_unknown_dates(settings):
    """v1 names the aanduiding (`ingehouden_of_ingeleverd`, `rechtswege`, `niet_in_bezit_van`); a partly unknown
    date (v2 `JaarMaandDatum`, `DatumOnbekend`, the GBA variant's `20180700`, v1 without `dag`) is read as unknown
    and counted, not quarantined; a document without a number but with data is counted, never with a GBA
    element number in a message about JSON."""
    (settings.landing / "brp").mkdir(parents=True)
    listing = {"_embedded": {"reisdocumenten": [
        {"reisdocumentnummer": "NA1111111", "aanduidingInhoudingOfVermissing": "ingehouden_of_ingeleverd",
         "datumInhoudingOfVermissing": {"jaar": 2020, "maand": 3}, "datumEindeGeldigheid": {"datum": "2025-01-01"}},
        {"reisdocumentnummer": "NA2222222", "aanduidingInhoudingOfVermissing": "rechtswege"},
        {"reisdocumentnummer": "NA3333333", "aanduidingInhoudingOfVermissing": "niet_in_bezit_van"},
    ]}}
    answer = {"type": "RaadpleegMetReisdocumentnummer", "reisdocumenten": [
        {"reisdocumentnummer": "NB1111111", "soort": {"code": "NI"},
         "datumEindeGeldigheid": {"type": "JaarMaandDatum", "jaar": 2018, "maand": 7, "langFormaat": "juli 2018"}},
        {"reisdocumentnummer": "NB2222222", "datumEindeGeldigheid": {"type": "DatumOnbekend", "onbekend": True},
         "inhoudingOfVermissing": {"aanduiding": {"code": ".", "omschrijving": "onbekend"}}},
        {"reisdocumentnummer": "NB3333333", "datumEindeGeldigheid": "20180700"},
        {"soort": {"code": "PN"}, "datumEindeGeldigheid": {"type": "Datum", "datum": "2030-01-01"}},
    ]}
    (settings.landing / "brp" / "v1.json").write_text(json.dumps(listing), encoding="utf-8")
    (settings.landing / "brp" / "v2.json").write_text(json.dumps(answer), encoding="utf-8")
    report = ingest(BRP, settings, "run-1", LOG)
    assert report.quarantined == 0 and report.rows["brp_reisdocument"] == 6
    docs = documents(settings)
    assert {n: d["aanduiding_inhouding_vermissing"] for n, d in docs.items() if n.startswith("NA")} == {
        "NA1111111": "I", "NA2222222": "R", "NA3333333": "N"}
    assert docs["NB2222222"]["aanduiding_inhouding_vermissing"] == "."
    assert all(docs[n]["datum_einde_geldigheid"] is None for n in ("NB1111111", "NB2222222", "NB3333333"))
    assert docs["NA1111111"]["datum_inhouding_vermissing"] is None
    assert report.notes["partly unknown datumEindeGeldigheid read as unknown"] == 3
    assert report.notes["partly unknown datum inhouding of vermissing read as unknown"] == 1
    assert report.notes["reisdocumenten without a reisdocumentnummer (standard value, not delivered)"] == 1
    assert not any("12.35" in note for note in report.notes)


def test_every_document_of_the_gba_v_test_set_is_accounted_for(settings):
    """Every persoonslijst of the full GBA-V test set that holds a reisdocument: each document reaches bronze
    or quarantine (an impossible 29 February), a number shared by several persons included."""
    fixture = FIXTURES / "brp" / "gba-v-testset-reisdocumenthouders.csv"
    import csv

    with fixture.open(encoding="utf-8-sig", newline="") as handle:
        extract = list(csv.reader(handle, delimiter=";"))
    nummer = extract[0].index("12.35.20")
    delivered = [row[nummer] for row in extract[1:] if len(row) > nummer and row[nummer].strip()]
    (settings.landing / "brp").mkdir(parents=True)
    shutil.copy(fixture, settings.landing / "brp")
    report = ingest(BRP, settings, "run-1", LOG)
    assert report.rows["brp_reisdocument"] + report.quarantined == len(delivered) == 164
    assert report.quarantined == 1
    with duckdb.connect() as db:
        shared = db.execute(f"""select count(distinct persoon_pseudoniem) from read_parquet(
                                '{settings.bronze}/brp/reisdocument/*.parquet')
                                where reisdocumentnummer = 'NM1260784'""").fetchone()
    assert shared == (18,)
