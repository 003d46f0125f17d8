"""Wmo sources into bronze: the real iWmo and ZorgNed fixtures to exact values, other versions, bad input."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil

import duckdb
import pytest

from pipelines.bronze.ingest import ingest, rejected_files
from pipelines.bronze.iwmo import IWMO
from pipelines.bronze.zorgned import ZORGNED
from pipelines.privacy import pseudonym
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


def day(value) -> dt.date:
    return value.date() if hasattr(value, "date") else value


def test_iwmo_fixtures_parse_to_exact_values(settings):
    land_fixtures(settings, "iwmo")
    report = ingest(IWMO, settings, "run-1", LOG)
    assert report.rows["iwmo_bericht"] == 4 and report.rows["iwmo_product"] == 5 and report.quarantined == 0
    berichten = {r["berichttype"]: r for r in rows(settings, "iwmo/bericht")}
    assert berichten["WMO301"]["berichtcode"] == "414" and berichten["WMO301"]["versie"] == "2.0"
    assert (berichten["WMO301"]["afzender"], berichten["WMO301"]["ontvanger"]) == ("0384", "98025566")
    assert day(berichten["WMO301"]["dagtekening"]) == dt.date(2016, 2, 20)
    assert berichten["WMO315"]["gemeentecode"] == "GM0384" and not berichten["WMO315"]["is_retour"]
    lines = {r["regelsoort"]: r for r in rows(settings, "iwmo/product")}
    toegewezen = lines["toegewezen"]
    assert (toegewezen["beschikkingnummer"], toegewezen["productcategorie"], toegewezen["productcode"]) == ("425386123", "07", "07A03")
    assert day(toegewezen["toewijzingsdatum"]) == dt.date(2016, 2, 20) and day(toegewezen["afgiftedatum"]) == dt.date(2016, 2, 15)
    assert (toegewezen["volume"], toegewezen["eenheid"], toegewezen["frequentie"]) == (6.0, "04", "2")
    assert toegewezen["aanbieder"] == "98025566" and toegewezen["postcode4"] == "1234"
    start, stop = lines["start"], lines["stop"]
    assert (start["beschikkingnummer"], start["productcode"], day(start["begindatum"])) == ("658721123", "01A01", dt.date(2016, 3, 10))
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


def test_iwmo_3_with_toewijzingnummer(settings):
    land(settings, "iwmo", "v3.xml", variant("CasusA-02-WMO301_toewijzing.xml", {
        "iwmo/2_0/": "iwmo/3_2/", "schema/2_0": "schema/3_2",
        "<wmo301:ToegewezenProduct>": "<wmo301:ToegewezenProduct><wmo301:ToewijzingNummer>T77</wmo301:ToewijzingNummer>",
    }))
    ingest(IWMO, settings, "run-1", LOG)
    assert rows(settings, "iwmo/bericht")[0]["versie"] == "3.2"
    assert [r["toewijzingnummer"] for r in rows(settings, "iwmo/product") if r["regelsoort"] == "toegewezen"] == ["T77"]


@pytest.mark.parametrize(("content", "error"), [
    (b"<Bericht><Header/>", "invalid XML"),
    (b"<?xml version='1.0'?><factuur xmlns='urn:x'/>", "not an iWmo bericht"),
    (b"<b:Bericht xmlns:b='http://www.istandaarden.nl/iwmo/3_2/wmo399/schema/3_2'/>", "unknown iWmo message WMO399"),
    (b"<b:Bericht xmlns:b='http://www.istandaarden.nl/ijw/3_2/jw301/schema/3_2'/>", "not an iWmo bericht"),
])
def test_files_that_are_not_iwmo_are_set_aside_with_the_reason(settings, content, error):
    land(settings, "iwmo", "vreemd.xml", content)
    land_fixtures(settings, "iwmo")
    report = ingest(IWMO, settings, "run-1", LOG)
    assert report.rows["iwmo_bericht"] == 4
    [entry] = rejected_files(settings)
    assert error in entry["error"] and entry["bestand"].endswith("vreemd.xml")


def test_an_invalid_bsn_is_a_finding_and_is_still_pseudonymised(settings):
    land(settings, "iwmo", "fout.xml", variant("CasusB-02-WMO305_start.xml", {"123456782": "123456789"}))
    ingest(IWMO, settings, "run-1", LOG)
    [line] = rows(settings, "iwmo/product")
    assert line["bsn_geldig"] is not None and not line["bsn_geldig"]
    assert line["persoon_pseudoniem"] == pseudonym("123456789", settings.pseudonym_key)
    assert "123456789" not in json.dumps(rows(settings, "iwmo/product"), default=str)


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


def test_other_regelingen_are_skipped_and_counted(settings):
    document = json.loads((FIXTURES / "zorgned" / "zorgned-wmo-aanvragen-sample.json").read_text())
    document["_embedded"]["aanvraag"][0]["regeling"]["identificatie"] = "JEUGD"
    land(settings, "zorgned", "gemengd.json", json.dumps(document).encode())
    report = ingest(ZORGNED, settings, "run-1", LOG)
    assert report.rows["zorgned_aanvraag"] == 14 and report.notes["skipped: regeling JEUGD"] == 1


CSV = ("Meldingnummer;Datum melding;Datum onderzoek afgerond;Aanvraagnummer;Datum aanvraag;Beschikkingnummer;"
       "Datum beschikking;Productcategorie;Resultaat;Wijk;BSN;Geboortedatum;Naam client;Regeling\r\n")


def test_case_export_csv_pseudonymises_and_quarantines_impossible_dates(settings):
    land(settings, "zorgned", "export.csv", (CSV +
        "M1;03-01-2025;20-01-2025;A1;21-01-2025;B1;30-01-2025;2;toegewezen;WK030101;111222333;01-02-1940;Jan Smit;WMO\r\n"
        "M2;31-02-2025;;;;;;01;;WK030101;111222333;01-02-1940;Jan Smit;WMO\r\n"
        "J1;03-01-2025;;;;;;;;;;;;JEUGD\r\n").encode("utf-8"))
    report = ingest(ZORGNED, settings, "run-1", LOG)
    [row] = rows(settings, "zorgned/aanvraag")
    assert (row["melding_id"], row["productcategorie"], row["wijkcode"], row["leeftijdsklasse"]) == ("M1", "02", "WK030101", "75-84")
    assert row["persoon_pseudoniem"] == pseudonym("111222333", settings.pseudonym_key) and row["bsn_geldig"]
    assert report.quarantined == 1 and report.notes["skipped: regeling JEUGD"] == 1
    stored = json.dumps(rows(settings, "zorgned/aanvraag"), default=str)
    assert "111222333" not in stored and "Jan Smit" not in stored and "1940" not in stored
