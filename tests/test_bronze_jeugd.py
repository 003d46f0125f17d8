"""iJw berichten (Jeugdwet) into bronze through the iWmo reader: the iJw 3.2 berichten written from the XSDs
(tests/fixtures/SOURCES.md) to exact values, from `landing/ijw/` and, by content, from `landing/iwmo/`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil

from pipelines.bronze.file_register import rejected_files
from pipelines.bronze.ingest import ingest
from pipelines.bronze.iwmo import IWMO
from pipelines.privacy import pseudonym
from tests.conftest import FIXTURES
from tests.test_bronze_wmo import day, rows

LOG = logging.getLogger("test")
IJW = FIXTURES / "ijw" / "specificatie"
JEUGD_BSN = "999990020"


def land_ijw(settings, folder: str) -> None:
    shutil.copytree(IJW, settings.landing / folder, dirs_exist_ok=True)


def test_ijw_berichten_parse_to_exact_values(settings):
    land_ijw(settings, "ijw")
    report = ingest(IWMO, settings, "run-1", LOG)
    assert (report.rows["iwmo_bericht"], report.rows["iwmo_product"], report.quarantined, rejected_files(settings)) == (
        5, 4, 0, [])
    assert {k: v for k, v in report.notes.items() if k.startswith("JW")} == {
        "JW315 3.2": 1, "JW301 3.2": 1, "JW302 3.2": 1, "JW305 3.2": 1, "JW307 3.2": 1}
    berichten = {r["berichttype"]: r for r in rows(settings, "iwmo/bericht")}
    assert {t: (b["berichtcode"], b["wet"], b["is_retour"], b["gemeentecode_bericht"]) for t, b in berichten.items()} == {
        "JW315": ("446", "jeugdwet", False, "GM0384"), "JW301": ("436", "jeugdwet", False, "GM0384"),
        "JW302": ("437", "jeugdwet", True, "GM0384"), "JW305": ("438", "jeugdwet", False, "GM0384"),
        "JW307": ("440", "jeugdwet", False, "GM0384")}
    lines = {r["regelsoort"]: r for r in rows(settings, "iwmo/product")}
    assert set(lines) == {"verzoek", "toegewezen", "start", "stop"}  # the retour's content is not counted
    verzoek, toegewezen, start, stop = (lines[k] for k in ("verzoek", "toegewezen", "start", "stop"))
    assert (verzoek["verwijzer_type"], verzoek["productcategorie"], verzoek["aanbieder"]) == ("02", "45", "42420002")
    assert (toegewezen["toewijzingnummer"], toegewezen["productcode"], day(toegewezen["toewijzingsdatum"])) == (
        "7001", "45A08", dt.date(2024, 2, 12))
    assert (toegewezen["juridische_status"], toegewezen["wettelijke_vertegenwoordiging"], toegewezen["postcode4"]) == (
        "04", "06", "1111")
    assert (start["toewijzingnummer"], day(start["begindatum"]), start["status_aanlevering"]) == (
        "7001", dt.date(2024, 3, 11), "1")
    assert (day(stop["einddatum"]), stop["reden_beeindiging"]) == (dt.date(2024, 9, 30), "02")
    assert {r["wet"] for r in lines.values()} == {"jeugdwet"} and {r["leeftijdsklasse"] for r in lines.values()} == {"0-17"}
    assert {r["persoon_pseudoniem"] for r in lines.values()} == {pseudonym(JEUGD_BSN, settings.pseudonym_key)}
    stored = json.dumps(rows(settings, "iwmo/product") + rows(settings, "iwmo/bericht"), default=str)
    assert JEUGD_BSN not in stored and "01234567" not in stored and "Testjeugdige" not in stored  # BSN, verwijzer's AGB, name


def test_ijw_berichten_are_read_by_content_whichever_folder_holds_them(settings):
    land_ijw(settings, "iwmo")  # delivered among the iWmo berichten
    shutil.copy(FIXTURES / "iwmo" / "CasusB-02-WMO305_start.xml", settings.landing / "iwmo")
    (settings.landing / "GM0385" / "ijw").mkdir(parents=True)
    other = (IJW / "3_2-04-JW305_start.xml").read_text().replace("SPECJW305A", "SPECJW305B").replace(">0384<", ">0385<")
    (settings.landing / "GM0385" / "ijw" / "start.xml").write_text(other)
    report = ingest(IWMO, settings, "run-1", LOG)
    assert rejected_files(settings) == [] and report.rows["iwmo_bericht"] == 7
    starts = {(r["gemeentecode"], r["berichttype"], r["wet"]) for r in rows(settings, "iwmo/product")
              if r["regelsoort"] == "start"}
    assert starts == {(settings.gemeentecode, "WMO305", "wmo"), (settings.gemeentecode, "JW305", "jeugdwet"),
                      ("GM0385", "JW305", "jeugdwet")}


def test_ijw_berichten_of_a_release_without_xsds_here_are_read_unvalidated_and_pseudonymised(settings):
    """Municipalities still receive iJw 3.0 berichten, whose XSDs the repository lacks (xsd/SOURCES.md): each is
    read as fully as a 3.2 bericht, counted as not validated, never set aside."""
    folder = settings.landing / "ijw"
    folder.mkdir(parents=True)
    for path in IJW.glob("*.xml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8").replace("/ijw/3_2/", "/ijw/3_0/"), encoding="utf-8")
    report = ingest(IWMO, settings, "run-1", LOG)
    assert (report.rows["iwmo_bericht"], report.rows["iwmo_product"], report.quarantined, rejected_files(settings)) == (
        5, 4, 0, [])
    assert report.notes["not validated: no XSD for iJw 3.0"] == 5 and report.notes["JW301 3.0"] == 1
    lines = rows(settings, "iwmo/product")
    assert {(r["versie"], r["wet"]) for r in lines} == {("3.0", "jeugdwet")}
    assert {r["persoon_pseudoniem"] for r in lines} == {pseudonym(JEUGD_BSN, settings.pseudonym_key)}
    assert JEUGD_BSN not in json.dumps(lines + rows(settings, "iwmo/bericht"), default=str)
