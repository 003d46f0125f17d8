"""Wmo sources into bronze: the real iWmo and ZorgNed fixtures to exact values, other versions, bad input."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil

import duckdb
import pytest

from pipelines.bronze.file_register import rejected_files
from pipelines.bronze.ingest import ingest
from pipelines.bronze.iwmo import IWMO
from pipelines.bronze.zorgned import ZORGNED
from pipelines.privacy import pseudonym
from tests.bulk import read_both_ways
from tests.conftest import FIXTURES

LOG = logging.getLogger("test")
FIXTURE_BSN = "123456782"


def rows(settings, folder: str) -> list[dict]:
    with duckdb.connect() as db:
        return db.execute(f"select * from read_parquet('{settings.bronze}/{folder}/*.parquet', union_by_name=true) "
                          "order by bron_bestand, bron_record").df().to_dict("records")


def land(settings, system: str, name: str, content: bytes) -> None:
    folder = settings.landing / system
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


def land_fixtures(settings, system: str) -> None:
    shutil.copytree(FIXTURES / system, settings.landing / system, dirs_exist_ok=True)


ORIGINAL_CASUS = ("CasusA-01-WMO315_verzoek.xml", "CasusA-02-WMO301_toewijzing.xml", "CasusB-02-WMO305_start.xml",
                  "CasusB-04-WMO307_stop.xml")


def land_in(settings, gemeentecode: str, names, folder=FIXTURES / "iwmo") -> None:
    """Fixtures into a municipality's own drop folder `landing/GMxxxx/iwmo/`."""
    target = settings.landing / gemeentecode / "iwmo"
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(folder / name, target / name)


def day(value) -> dt.date:
    return value.date() if hasattr(value, "date") else value


def test_iwmo_fixtures_parse_to_exact_values(settings):
    land_in(settings, "GM0384", ORIGINAL_CASUS)
    report = ingest(IWMO, settings, "run-1", LOG)
    assert report.rows["iwmo_bericht"] == 4 and report.rows["iwmo_product"] == 5 and report.quarantined == 0
    berichten = {r["berichttype"]: r for r in rows(settings, "iwmo/bericht")}
    assert berichten["WMO301"]["berichtcode"] == "414" and berichten["WMO301"]["versie"] == "2.0"
    assert (berichten["WMO301"]["afzender"], berichten["WMO301"]["ontvanger"]) == ("0384", "98025566")
    assert day(berichten["WMO301"]["dagtekening"]) == dt.date(2016, 2, 20)
    assert berichten["WMO315"]["gemeentecode"] == "GM0384" and not berichten["WMO315"]["is_retour"]
    assert not any(b["gemeentecode_afwijkend"] for b in berichten.values())
    lines = {r["regelsoort"]: r for r in rows(settings, "iwmo/product")}
    toegewezen = lines["toegewezen"]
    assert (toegewezen["beschikkingnummer"], toegewezen["productcategorie"], toegewezen["productcode"]) == (
        "425386123", "07", "07A03")
    assert day(toegewezen["toewijzingsdatum"]) == dt.date(2016, 2, 20) and day(toegewezen["afgiftedatum"]) == dt.date(2016, 2, 15)
    assert (toegewezen["volume"], toegewezen["eenheid"], toegewezen["frequentie"]) == (6.0, "04", "2")
    assert toegewezen["aanbieder"] == "98025566" and toegewezen["postcode4"] == "1234"
    start, stop = lines["start"], lines["stop"]
    assert (start["beschikkingnummer"], start["productcode"], day(start["begindatum"])) == (
        "658721123", "01A01", dt.date(2016, 3, 10))
    assert (start["volume"], start["eenheid"], start["frequentie"]) == (22500.0, "83", "4")
    assert (day(stop["einddatum"]), stop["reden_beeindiging"]) == (dt.date(2016, 10, 2), "02")
    assert day(lines["verzoek"]["begindatum"]) == dt.date(2016, 2, 15)
    # One client in every message: one pseudonym, computed with the key, never the BSN itself.
    expected = pseudonym(FIXTURE_BSN, settings.pseudonym_key)
    assert {r["persoon_pseudoniem"] for r in lines.values()} == {expected}
    assert all(r["bsn_geldig"] for r in lines.values()) and all(r["leeftijdsklasse"] == "30-44" for r in lines.values())


def variant(fixture: str, replacements: dict[str, str]) -> bytes:
    text = (FIXTURES / "iwmo" / fixture).read_text(encoding="utf-8")
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text.encode("utf-8")


def test_retour_messages_are_recorded_not_counted(settings):
    land(settings, "iwmo", "retour.xml", variant("CasusA-02-WMO301_toewijzing.xml",
                                                 {"wmo301": "wmo302", "<iwmo:Code>414<": "<iwmo:Code>415<"}))
    report = ingest(IWMO, settings, "run-1", LOG)
    [bericht] = rows(settings, "iwmo/bericht")
    assert (bericht["berichttype"], bericht["is_retour"], bericht["aantal_clienten"]) == ("WMO302", True, 1)
    assert report.rows["iwmo_product"] == 0


def test_a_retour_from_the_aanbieder_and_a_bericht_whose_lines_are_not_used_name_the_municipality(settings):
    # a 302 goes from the aanbieder (8-digit AGB) back to the municipality (4 digits)
    land(settings, "iwmo", "retour.xml", variant("CasusA-02-WMO301_toewijzing.xml", {
        "wmo301": "wmo302", "<iwmo:Code>414<": "<iwmo:Code>415<", "<wmo302:Afzender>0384<": "<wmo302:Afzender>98025566<",
        "<wmo302:Ontvanger>98025566<": "<wmo302:Ontvanger>0384<"}))
    ns = "http://www.istandaarden.nl/iwmo/3_2/{m}/schema"
    verzoek = (f"<m:Bericht xmlns:m='{ns.format(m='wmo317')}' xmlns:b='{ns.format(m='basisschema')}'><m:Header>"
               "<m:BerichtCode>480</m:BerichtCode><m:BerichtVersie>3</m:BerichtVersie>"
               "<m:BerichtSubversie>2</m:BerichtSubversie><m:Afzender>42420001</m:Afzender><m:Ontvanger>0384</m:Ontvanger>"
               "<m:BerichtIdentificatie><b:Identificatie>V1</b:Identificatie><b:Dagtekening>2024-01-02</b:Dagtekening>"
               "</m:BerichtIdentificatie><m:XsdVersie><b:BasisschemaXsdVersie>1.0.0</b:BasisschemaXsdVersie>"
               "<b:BerichtXsdVersie>1.0.0</b:BerichtXsdVersie></m:XsdVersie></m:Header><m:Client>"
               "<m:Bsn>999993653</m:Bsn><m:Verzoek><m:ReferentieAanbieder>R1</m:ReferentieAanbieder>"
               "<m:RedenVerzoek>1</m:RedenVerzoek><m:OngewijzigdeProducten><m:OngewijzigdProduct>"
               "<m:ToewijzingNummer>9001</m:ToewijzingNummer></m:OngewijzigdProduct></m:OngewijzigdeProducten>"
               "</m:Verzoek></m:Client></m:Bericht>")  # valid against the WMO317 XSD of 3.2
    land(settings, "iwmo", "verzoek_om_wijziging.xml", verzoek.encode())
    report = ingest(IWMO, settings, "run-1", LOG)
    berichten = {r["berichttype"]: r for r in rows(settings, "iwmo/bericht")}
    assert {t: (b["gemeentecode_bericht"], b["is_retour"], b["aantal_clienten"]) for t, b in berichten.items()} == {
        "WMO302": ("GM0384", True, 1), "WMO317": ("GM0384", False, 1)}
    assert report.rows["iwmo_product"] == 0 and rejected_files(settings) == []


def test_iwmo_3_with_toewijzingnummer(settings):
    # a release whose XSDs are not in the repository (3.1) is read unvalidated, whatever its shape
    land(settings, "iwmo", "v3.xml", variant("CasusA-02-WMO301_toewijzing.xml", {
        "iwmo/2_0/": "iwmo/3_1/", "schema/2_0": "schema/3_1",
        "<wmo301:ToegewezenProduct>": "<wmo301:ToegewezenProduct><wmo301:ToewijzingNummer>T77</wmo301:ToewijzingNummer>",
    }))
    report = ingest(IWMO, settings, "run-1", LOG)
    assert rows(settings, "iwmo/bericht")[0]["versie"] == "3.1"
    assert report.notes["not validated: no XSD for iWmo 3.1"] == 1
    assert [r["toewijzingnummer"] for r in rows(settings, "iwmo/product") if r["regelsoort"] == "toegewezen"] == ["T77"]


def test_every_row_belongs_to_its_drop_folder_and_a_differing_bericht_is_a_finding(settings):
    land_in(settings, "GM0385", ["CasusB-02-WMO305_start.xml"])  # names GM0384
    land(settings, "iwmo", "CasusA-02-WMO301_toewijzing.xml", (FIXTURES / "iwmo" / ORIGINAL_CASUS[1]).read_bytes())
    report = ingest(IWMO, settings, "run-1", LOG)
    berichten = {r["berichttype"]: r for r in rows(settings, "iwmo/bericht")}
    # landing/iwmo/ is the platform's own municipality (LAKEHOUSE_GEMEENTECODE), landing/GM0385/iwmo/ GM0385's
    assert {(t, b["gemeentecode"], b["gemeentecode_bericht"], b["gemeentecode_afwijkend"]) for t, b in berichten.items()} == {
        ("WMO301", settings.gemeentecode, "GM0384", True), ("WMO305", "GM0385", "GM0384", True)}
    assert {r["gemeentecode"] for r in rows(settings, "iwmo/product")} == {settings.gemeentecode, "GM0385"}
    assert report.notes["gemeentecode GM0384 in the bericht, drop folder of GM0385"] == 1
    assert report.notes[f"gemeentecode GM0384 in the bericht, drop folder of {settings.gemeentecode}"] == 1


def test_every_iwmo_shape_keeps_its_status_aanlevering_and_reden_wijziging(settings):
    """The real 2.0 voorbeeldberichten and the 2.1 and 3.2 berichten written from their XSDs (tests/fixtures/SOURCES.md)."""
    land_fixtures(settings, "iwmo")
    report = ingest(IWMO, settings, "run-1", LOG)
    assert (report.rows["iwmo_bericht"], report.rows["iwmo_product"], report.quarantined, rejected_files(settings)) == (
        24, 35, 0, [])
    assert {k: v for k, v in report.notes.items() if k.startswith("WMO")} == {
        "WMO315 2.0": 1, "WMO301 2.0": 5, "WMO305 2.0": 4, "WMO307 2.0": 1, "WMO301 2.1": 1, "WMO305 2.1": 2,
        "WMO307 2.1": 2, "WMO301 3.2": 3, "WMO305 3.2": 2, "WMO307 3.2": 2, "WMO315 3.2": 1}
    lines = rows(settings, "iwmo/product")

    def of(bestand):
        with duckdb.connect() as db:
            return db.execute(f"""select regelsoort, toewijzingnummer, begindatum, einddatum, status_aanlevering,
                reden_wijziging from read_parquet('{settings.bronze}/iwmo/product/*.parquet')
                where bron_bestand = ? order by bron_record""", [bestand]).fetchall()

    assert of("CasusE-01-WMO305_correctie.xml") == [("start", None, dt.date(2016, 3, 10), None, "3", None),
                                                    ("start", None, dt.date(2016, 3, 21), None, "1", None)]
    assert of("CasusF-01-WMO305_verwijderen.xml") == [("start", None, dt.date(2016, 3, 10), None, "3", None)]
    assert of("CasusA-04-WMO301_intrekking.xml")[1] == ("toegewezen", None, None, dt.date(2016, 11, 7), None, "4")
    # iWmo 3.2: namespaces without a version suffix, BerichtCode, one Client, the aanbieder from the header
    assert of("3_2-05-WMO305_correctie.xml") == [("start", "9001", dt.date(2024, 3, 18), None, "3", None),
                                                 ("start", "9001", dt.date(2024, 3, 25), None, "1", None)]
    assert of("3_2-07-WMO307_verwijderen.xml") == [("stop", "9001", dt.date(2024, 3, 25), dt.date(2024, 5, 31), "3", None)]
    assert of("3_2-03-WMO301_verwijderd.xml") == [("toegewezen", "9003", None, dt.date(2024, 3, 4), None, "13")]
    assert of("2_1-03-WMO305_gewijzigd.xml") == [("start", None, dt.date(2018, 2, 5), None, "2", None)]
    assert of("3_2-08-WMO315_verzoek.xml") == [("verzoek", None, None, dt.date(2024, 12, 31), None, None)]  # AangevraagdProduct
    v3 = [r for r in lines if r["versie"] == "3.2"]
    assert {r["aanbieder"] for r in v3} == {"42420001"}
    assert {r["postcode4"] for r in v3 if r["regelsoort"] == "toegewezen"} == {"1111"}
    assert {r["beschikkingnummer"] for r in lines if r["versie"] == "2.1"} == {"821001"}  # 2.1 spells BeschikkingNummer
    assert {r["gemeentecode"] for r in lines} == {settings.gemeentecode}  # all lay in landing/iwmo/


@pytest.mark.parametrize(("content", "error"), [
    (b"<Bericht><Header/>", "invalid XML"),
    (b"<?xml version='1.0'?><factuur xmlns='urn:x'/>", "not an iWmo or iJw bericht"),
    (b"<b:Bericht xmlns:b='http://www.istandaarden.nl/iwmo/3_2/wmo399/schema/3_2'/>", "unknown iWmo message WMO399"),
    (b"<b:Bericht xmlns:b='http://www.istandaarden.nl/ijw/3_2/jw399/schema'/>", "unknown iJw message JW399"),
    (b"<b:Bericht xmlns:b='http://www.istandaarden.nl/ijw/3_2/wmo301/schema'/>", "unknown iJw message WMO301"),
    # a release without XSDs here: the reader's own check (3.2 berichten fail their XSD first, see below)
    (b"<b:Bericht xmlns:b='http://www.istandaarden.nl/ijw/3_1/jw301/schema'><b:Header><b:BerichtCode>414"
     b"</b:BerichtCode></b:Header></b:Bericht>", "JW301 carries berichtcode 414, expected 436"),
])
def test_files_that_are_not_iwmo_are_set_aside_with_the_reason(settings, content, error):
    land(settings, "iwmo", "vreemd.xml", content)
    land_fixtures(settings, "iwmo")
    report = ingest(IWMO, settings, "run-1", LOG)
    assert report.rows["iwmo_bericht"] == 24
    [entry] = rejected_files(settings)
    assert error in entry["error"] and entry["bestand"].endswith("vreemd.xml")


def test_a_bericht_that_breaks_its_xsd_is_read_with_its_first_violation_kept_as_a_finding(settings):
    """Each bericht of a release whose XSDs are in the repository is validated against its XSD; one that breaks
    it is still read (its odd line quarantined by the reader, as any odd record is), with the first violation
    (XSD, line and message) kept with the bericht. Berichten of a release without XSDs here are read
    unvalidated, and counted as such."""
    land_fixtures(settings, "iwmo")
    land(settings, "iwmo", "kapotte_datum.xml", variant("specificatie/3_2-04-WMO305_start.xml", {
        "<wmo305:Begindatum>2024-03-18<": "<wmo305:Begindatum>2024-02-30<", "SPEC305A": "SPEC305X"}))

    report = ingest(IWMO, settings, "run-1", LOG)

    assert rejected_files(settings) == []
    assert report.rows["iwmo_bericht"] == 25  # every fixture and the broken one
    violations = {r["bericht_identificatie"]: r["xsd_overtreding"] for r in rows(settings, "iwmo/bericht")}
    assert violations["SPEC305X"] == (
        "iwmo/3_2/wmo305.xsd, line 38: Element "
        "'{http://www.istandaarden.nl/iwmo/3_2/wmo305/schema}Begindatum': '2024-02-30' is not a valid value of the "
        "atomic type '{http://www.istandaarden.nl/iwmo/3_2/basisschema/schema}LDT_Datum'.")
    assert [identificatie for identificatie, violation in violations.items() if isinstance(violation, str)] == ["SPEC305X"]
    [quarantined] = rows(settings, "_quarantaine/records/iwmo")
    assert quarantined["bron_bestand"] == "kapotte_datum.xml" and "Begindatum" in quarantined["reden"]
    assert report.notes["WMO305 3.2 berichten that break their XSD, read with the violation kept"] == 1
    assert report.notes["not validated: no XSD for iWmo 2.0"] == 11  # the iStandaarden voorbeeldberichten (2.0)
    assert not [note for note in report.notes if note.startswith("not validated") and "2.0" not in note]


def test_an_invalid_bsn_is_a_finding_and_is_still_pseudonymised(settings):
    land(settings, "iwmo", "fout.xml", variant("CasusB-02-WMO305_start.xml", {"123456782": "123456789"}))
    ingest(IWMO, settings, "run-1", LOG)
    [line] = rows(settings, "iwmo/product")
    assert line["bsn_geldig"] is not None and not line["bsn_geldig"]
    assert line["persoon_pseudoniem"] == pseudonym("123456789", settings.pseudonym_key)
    assert "123456789" not in json.dumps(rows(settings, "iwmo/product"), default=str)


def test_each_line_of_a_client_without_bsn_or_clientnummer_is_quarantined_with_its_record(settings):
    """Nothing of such a client can be linked: each of its product lines is quarantined, none is lost."""
    land(settings, "iwmo", "anoniem.xml", variant("CasusE-01-WMO305_correctie.xml", {
        "<wmo305:Bsn>123456782</wmo305:Bsn>": "", "<wmo305:Clientnummer>123456782</wmo305:Clientnummer>": ""}))
    report = ingest(IWMO, settings, "run-1", LOG)
    assert (report.rows["iwmo_bericht"], report.rows["iwmo_product"], report.quarantined) == (1, 0, 2)
    quarantined = rows(settings, "_quarantaine/records/iwmo")
    assert sorted((q["bron_bestand"], q["bron_record"], q["reden"]) for q in quarantined) == [
        ("anoniem.xml", 2, "client without Bsn or Clientnummer"), ("anoniem.xml", 3, "client without Bsn or Clientnummer")]


def test_zorgned_fixture_parses_completely(settings):
    land_fixtures(settings, "zorgned")
    report = ingest(ZORGNED, settings, "run-1", LOG)
    assert report.rows["zorgned_aanvraag"] == 15 and report.rows["zorgned_toewijzing"] == 13
    aanvragen = {r["aanvraag_id"]: r for r in rows(settings, "zorgned/aanvraag")}
    first = aanvragen["2280949"]
    assert (day(first["datum_melding"]), day(first["datum_aanvraag"]), day(first["datum_beschikking"])) == (
        dt.date(2022, 7, 9), dt.date(2022, 7, 9), dt.date(2022, 8, 1))
    assert (first["beschikkingnummer"], first["productcategorie"], first["resultaat"], first["aanbieder"]) == (
        "357", "12", "toegewezen", "11122288")
    contradiction = aanvragen["912837sdfsdf198723"]  # its aanvraag is dated after its beschikking
    assert day(contradiction["datum_aanvraag"]) > day(contradiction["datum_beschikking"])
    leveringen = {r["toewijzingnummer"]: r for r in rows(settings, "zorgned/toewijzing")}
    assert day(leveringen["1010009"]["begindatum"]) == dt.date(2017, 6, 1)
    assert leveringen["1010009"]["reden_beeindiging"] == "17" and leveringen["1010009"]["aanbieder"] == "76087055"


def test_jeugd_is_read_with_its_law_and_other_regelingen_are_skipped_and_counted(settings):
    document = json.loads((FIXTURES / "zorgned" / "zorgned-wmo-aanvragen-sample.json").read_text())
    aanvragen = document["_embedded"]["aanvraag"]
    aanvragen[0]["regeling"]["identificatie"] = "LLV"
    aanvragen[6]["regeling"]["identificatie"] = "Jeugd"  # with two toewijzingen
    land(settings, "zorgned", "gemengd.json", json.dumps(document).encode())
    report = ingest(ZORGNED, settings, "run-1", LOG)
    assert report.rows["zorgned_aanvraag"] == 14 and report.notes["skipped: regeling LLV"] == 1
    wetten = {r["aanvraag_id"]: r["wet"] for r in rows(settings, "zorgned/aanvraag")}
    jeugd = str(aanvragen[6]["identificatie"])
    assert wetten.pop(jeugd) == "jeugdwet" and set(wetten.values()) == {"wmo"}
    toewijzingen = [(r["aanvraag_id"], r["wet"]) for r in rows(settings, "zorgned/toewijzing")]
    assert [wet for aanvraag, wet in toewijzingen if aanvraag == jeugd] == ["jeugdwet", "jeugdwet"]
    assert {wet for aanvraag, wet in toewijzingen if aanvraag != jeugd} == {"wmo"}


CSV = ("Meldingnummer;Datum melding;Datum onderzoek afgerond;Aanvraagnummer;Datum aanvraag;Beschikkingnummer;"
       "Datum beschikking;Productcategorie;Resultaat;Wijk;BSN;Geboortedatum;Naam client;Regeling\r\n")


def test_case_export_csv_pseudonymises_and_quarantines_impossible_dates(settings):
    land(settings, "zorgned", "export.csv", (CSV +
        "M1;03-01-2025;20-01-2025;A1;21-01-2025;B1;30-01-2025;2;toegewezen;WK030101;111222333;01-02-1940;Jan Smit;WMO\r\n"
        "M2;31-02-2025;;;;;;01;;WK030101;111222333;01-02-1940;Jan Smit;WMO\r\n"
        "J1;03-01-2025;;;;;;45;;;;;;JEUGD\r\n"
        "L1;03-01-2025;;;;;;;;;;;;LLV\r\n").encode("utf-8"))
    report = ingest(ZORGNED, settings, "run-1", LOG)
    row, jeugd = rows(settings, "zorgned/aanvraag")
    assert (row["melding_id"], row["productcategorie"], row["wijkcode"], row["leeftijdsklasse"]) == (
        "M1", "02", "WK030101", "75-84")
    assert row["persoon_pseudoniem"] == pseudonym("111222333", settings.pseudonym_key) and row["bsn_geldig"]
    assert (row["wet"], jeugd["melding_id"], jeugd["wet"], jeugd["productcategorie"]) == ("wmo", "J1", "jeugdwet", "45")
    assert report.quarantined == 1 and report.notes["skipped: regeling LLV"] == 1
    stored = json.dumps(rows(settings, "zorgned/aanvraag"), default=str)
    assert "111222333" not in stored and "Jan Smit" not in stored and "1940" not in stored


def test_a_case_export_csv_read_column_wise_equals_record_by_record(settings):
    """A regular case export is read column-wise: exactly the rows, quarantine and notes of reading it record by
    record, with both laws, a skipped and an empty regeling, impossible dates, a melding without its date, an
    unreadable birth date, a client known only by number, one without identity, a spaced postcode, a one-digit
    productcategorie and a blank line."""
    columns = ["Meldingnummer", "Datum melding", "Datum onderzoek afgerond", "Aanvraagnummer", "Geboortedatum", "BSN",
               "Clientnummer", "Postcode", "Productcategorie", "Wijk", "Naam client", "Regeling"]
    records = [
        ("M1", "03-01-2025", "20-01-2025", "A1", "01-02-1940", "111222333", "", "1011 AB", "2", "WK030101", "Jan Smit", "WMO"),
        ("M2", "31-02-2025", "", "", "01-02-1940", "111222333", "", "", "01", "", "", "WMO"),
        ("M3", "03-01-2025", "32-01-2025", "", "", "111222333", "", "", "01", "", "", "wmo"),
        ("M4", "", "", "", "", "111222333", "", "", "01", "", "", "WMO"),
        ("M5", "2025-01-04", "", "", "1940-13-01", "123456789", "", "", "3", "", "", ""),
        ("J1", "03-01-2025", "", "", "15-03-2012", "", "C-9", "123", "45", "", "", "JEUGD"),
        ("J2", "20250105", "", "", "", "", "", "", "45", "", "", "Jeugd"),
        ("L1", "03-01-2025", "", "", "", "111222333", "", "", "", "", "", "LLV"),
    ]
    lines = [";".join(columns), *(";".join(r) for r in records[:7]), "", ";".join(records[7])]
    bulk, rows, quarantined = read_both_ways(ZORGNED, settings, "export.csv", "\r\n".join(lines).encode("utf-8"))
    assert bulk.rows["zorgned_aanvraag"].to_pylist() == rows["zorgned_aanvraag"]
    assert bulk.quarantined.to_pylist() == quarantined
    assert [(r["melding_id"], r["wet"], r["productcategorie"], r["postcode4"]) for r in rows["zorgned_aanvraag"]] == [
        ("M1", "wmo", "02", "1011"), ("J1", "jeugdwet", "45", None), ("J2", "jeugdwet", "45", None)]
    assert [(r["bron_record"], r["reden"]) for r in quarantined] == [
        (3, "datum_melding '31-02-2025' is not a valid date"),
        (4, "datum_onderzoek_afgerond '32-01-2025' is not a valid date"),
        (5, "melding without a datum melding"),
        (6, "geboortedatum '1940-13-01' is not a valid date")]
    assert rows["zorgned_aanvraag"][1]["persoon_pseudoniem"] == pseudonym("C-9", settings.pseudonym_key, kind="clientnummer")
    assert rows["zorgned_aanvraag"][2]["persoon_pseudoniem"] is None


def test_zorgned_client_identity_is_the_bsn_or_the_case_systems_client_number_and_its_absence_is_counted(settings):
    document = json.loads((FIXTURES / "zorgned" / "zorgned-wmo-aanvragen-sample.json").read_text())
    land(settings, "zorgned", "zonder_client.json", json.dumps(document).encode())  # the real file: no client block
    with_person = {**document, "persoon": {"bsn": None, "clientidentificatie": 111111, "geboortedatum": "1950-06-12"},
                   "inschrijfadres": {"postcode": "1011 AA", "straatnaam": "Dam"}}
    land(settings, "zorgned", "met_persoon.json", json.dumps(with_person).encode())
    land(settings, "zorgned", "export.csv", (
        b"Meldingnummer;Datum melding;Clientnummer;Regeling\r\nM9;03-01-2025;C-77;WMO\r\n"))
    report = ingest(ZORGNED, settings, "run-1", LOG)
    by_file = {}
    for r in rows(settings, "zorgned/aanvraag"):
        by_file.setdefault(r["bron_bestand"], set()).add(r["persoon_pseudoniem"])
    assert by_file["met_persoon.json"] == {pseudonym("111111", settings.pseudonym_key, kind="clientnummer")}
    assert by_file["export.csv"] == {pseudonym("C-77", settings.pseudonym_key, kind="clientnummer")}
    assert all(p is None or p != p for p in by_file["zonder_client.json"])  # kept, without identity (None or NaN)
    assert report.rows["zorgned_aanvraag"] == 15 + 15 + 1
    assert report.notes["records without client identity (no BSN or client number)"] == 15
    postcodes = {r["postcode4"] for r in rows(settings, "zorgned/aanvraag") if r["bron_bestand"] == "met_persoon.json"}
    assert postcodes == {"1011"}


def test_every_file_of_a_run_has_the_run_s_ingestion_time_however_the_workers_share_them(settings, monkeypatch):
    """The latest delivery of a record is the latest run's, and within a run the last file by name (silver's
    delivery_rank): which worker process happened to parse a file first must not decide it."""
    from pipelines.bronze import ingest as ingestion

    land_fixtures(settings, "iwmo")
    monkeypatch.setattr(ingestion, "CHUNK_FILES", 2)  # the 25 fixtures in 13 chunks over two processes
    ingest(IWMO, settings, "run-1", LOG, processes=2)
    with duckdb.connect() as db:
        times, files = db.execute(f"""select count(distinct geladen_op), count(distinct bron_bestand)
            from read_parquet('{settings.bronze}/iwmo/bericht/*.parquet')""").fetchone()
    assert files > 20 and times == 1


def test_each_chunk_carries_only_its_own_files_to_its_worker():
    """A worker process receives its chunk pickled. Arrow pickles a slice with its table's whole buffers, so a
    chunk sliced from the listing would carry every listed file (national iWmo: millions) to every worker."""
    import pickle

    import pyarrow as pa

    from pipelines.bronze import ingest as ingestion

    files = pa.table({"gemeentecode": ["GM0363"] * 10_000,
                      "bestand": [f"/landing/GM0363/iwmo/bericht_{i:06d}.xml" for i in range(10_000)],
                      "bytes": [2_000] * 10_000, "mtime_ns": list(range(10_000))})
    chunks = ingestion._chunks(files)
    assert [chunk.num_rows for chunk in chunks] == [ingestion.CHUNK_FILES] * 10
    assert pa.concat_tables(chunks).equals(files)
    assert len(pickle.dumps(chunks[3])) < len(pickle.dumps(files)) / 5
