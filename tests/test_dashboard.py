"""The dashboard (dashboard/) and the council's quarterly report on demo gold of two municipalities: every page runs
headless with Streamlit's AppTest and shows gold's figures; one test drives the running app in Chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import data
from dashboard.kwartaalrapport import last_completed_quarter
from pipelines.demo import _deliveries
from pipelines.demo.municipality import buurten
from pipelines.publish import MANIFEST, write_catalogue
from pipelines.settings import PROJECT_ROOT
from tests.conftest import copy_data_root, demo_landing_of_two, run_lakehouse, use_data_root
from tests.test_jeugd_run import CSV_HEADER

APP = PROJECT_ROOT / "dashboard" / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = PROJECT_ROOT / "tests" / "artifacts" / "dashboard"
PAGES = {"wachtlijsten": "", "fixi": "fixi", "reisdocumenten": "reisdocumenten", "datakwaliteit": "datakwaliteit",
         "herkomst": "herkomst"}


def land_jeugd(settings, seed: int) -> None:
    """Jeugd beside the demo's Wmo until the demo generates it: per municipality of `demo_landing_of_two`, a case
    export (ZorgNed CSV, regeling JEUGD) of 60 young people over the year, in the municipality's wijken, with
    onderzoeken and beschikkingen some of which come late and some still open at the peildatum."""
    rng = np.random.default_rng(seed)
    end = settings.peildatum - dt.timedelta(days=2)
    for folder, gemeente, own_seed in _deliveries(settings.landing, 2, settings.gemeentecode, seed):
        wijken = sorted({b.wijkcode for b in buurten(gemeente, np.random.default_rng(own_seed))})[:4]
        lines = []
        for n in range(60):
            melding = end - dt.timedelta(days=int(rng.integers(5, 330)))
            onderzoek = melding + dt.timedelta(days=int(rng.integers(7, 50)))
            beschikking = onderzoek + dt.timedelta(days=int(rng.integers(10, 90)))
            lines.append(";".join([
                f"J{n}", f"{melding:%d-%m-%Y}", f"{onderzoek:%d-%m-%Y}" if onderzoek <= end else "", f"JA{n}",
                f"{onderzoek:%d-%m-%Y}" if onderzoek <= end else "", f"{beschikking:%d-%m-%Y}" if beschikking <= end
                else "", str(rng.choice(["31", "32", "34", "35"])), str(rng.choice(wijken)),
                eleven_proof_bsn(rng), f"01-01-{rng.integers(2008, 2022)}", "JEUGD"]) + "\r\n")
        header = CSV_HEADER.replace(";Productcategorie", ";Datum beschikking;Productcategorie")
        (folder / "zorgned").mkdir(parents=True, exist_ok=True)
        (folder / "zorgned" / "jeugd_export.csv").write_text(header + "".join(lines), encoding="utf-8")


def eleven_proof_bsn(rng) -> str:
    """A random BSN that passes the eleven test (weights 9..2 and -1)."""
    while True:
        digits = [int(d) for d in rng.integers(0, 10, 8)]
        last = sum(d * w for d, w in zip(digits, range(9, 1, -1))) % 11
        if last < 10 and digits[0] != 0:
            return "".join(map(str, digits)) + str(last)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two demo municipalities, one year each, with Jeugd, built once for the module: (settings, the other one)."""
    root = tmp_path_factory.mktemp("dashboard")
    with pytest.MonkeyPatch.context() as mp:
        settings = use_data_root(mp, root)
        demo_landing_of_two(settings, seed=303)
        land_jeugd(settings, seed=303)
        assert run_lakehouse().success
        st.cache_resource.clear()  # the app's settings are those of this data root
        other = [g for g in data.gemeenten(settings) if g != settings.gemeentecode]
        assert len(other) == 1
        yield settings, other[0]
        st.cache_resource.clear()


def gold(settings, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return db.execute(sql, list(params)).fetchall()


def app(page: str | None = None, gemeenten: list[str] | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(query)
    if page:
        at.switch_page(f"pages/{page}.py")
    if gemeenten is not None:
        at.session_state["gemeenten"] = gemeenten  # as the sidebar's selector keeps it
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


WMO_LATE = "Meldingen langer dan 6 weken open (onderzoekstermijn)"


def shown_value(hidden: bool, value) -> str:
    return "<5" if hidden else str(value)


def totals_by_gemeente(at: AppTest):
    """The page's totals (one column per municipality, one row per figure) as one row per municipality."""
    shown = next(d.value for d in at.dataframe if "Cijfer" in d.value.columns)
    return shown.set_index("Cijfer").T.rename_axis("Gemeente").reset_index()


def test_waiting_list_shows_the_totals_from_their_own_rows_and_the_cells_with_suppression(built):
    settings, _ = built
    at = app()
    assert at.radio(key="wet").value == "wmo"
    peildatum = gold(settings, "select max(peildatum) from sociaal_domein_wachtlijst where wet = 'wmo'")[0][0]
    totals = totals_by_gemeente(at)
    expected = gold(settings, """
        select gemeentecode, onderdrukt, open_meldingen, meldingen_over_termijn from sociaal_domein_wachtlijst
        where niveau = 'gemeente' and wet = 'wmo' and peildatum = ? order by 1""", [peildatum])
    assert len(expected) == 2
    assert list(zip(totals["Gemeente"], totals["Open meldingen (onderzoek niet afgerond)"], totals[WMO_LATE])) == [
        (g, shown_value(h, m), shown_value(h, late)) for g, h, m, late in expected]
    # The total is its own row, not the sum of the visible cells (several of which are suppressed)
    visible = gold(settings, "select sum(open_meldingen) from sociaal_domein_wachtlijst where niveau = "
                   "'wijk_productcategorie' and wet = 'wmo' and peildatum = ? and gemeentecode = ?",
                   [peildatum, expected[0][0]])[0][0]
    assert visible < expected[0][2]

    at.selectbox(key="maat").set_value("meldingen_over_termijn").run()
    cells = next(d.value for d in at.dataframe if {"Wijk", "Productcategorie"} <= set(d.value.columns))
    expected = gold(settings, "select wijkcode, onderdrukt, meldingen_over_termijn, onderdrukt_reden "
                    "from sociaal_domein_wachtlijst where peildatum = ? and wet = 'wmo' "
                    "and niveau = 'wijk_productcategorie' order by gemeentecode, productcategorie, wijkcode",
                    [peildatum])
    assert cells[WMO_LATE].tolist() == [shown_value(h, n) for _, h, n, _ in expected]
    assert cells["Onderdrukt omdat"].tolist() == [r if h else "" for _, h, _, r in expected]
    assert 0 < cells[WMO_LATE].tolist().count("<5") < len(cells)
    assert all(w.endswith(f"({code})") or w == code or (not code and w == "wijk onbekend")
               for w, (code, *_) in zip(cells["Wijk"], expected))
    per_wijk = next(d.value for d in at.dataframe if "Wijk" in d.value.columns
                    and "Productcategorie" not in d.value.columns)
    expected = gold(settings, "select onderdrukt, meldingen_over_termijn from sociaal_domein_wachtlijst where "
                    "peildatum = ? and wet = 'wmo' and niveau = 'wijk' order by gemeentecode, wijkcode",
                    [peildatum])
    assert per_wijk[WMO_LATE].tolist() == [shown_value(h, n) for h, n in expected]
    # The lead times of the default row, the first municipality's Wmo total: suppressed months read <5, never 0
    lead = frame_with(at, "Onderzoeken afgerond")
    months = gold(settings, "select onderdrukt, onderzoeken_afgerond from sociaal_domein_doorlooptijden where "
                  "gemeentecode = ? and wet = 'wmo' and niveau = 'gemeente' order by maand_start desc",
                  [settings.gemeentecode])
    assert lead["Onderzoeken afgerond"].tolist() == [shown_value(h, n) for h, n in months]


def test_jeugd_shows_its_own_terms_totals_and_secondary_suppression(built):
    settings, _ = built
    at = app()
    at.radio(key="wet").set_value("jeugdwet").run()
    assert not at.exception
    assert "Wettelijke termijnen Jeugdwet: geen wettelijke termijn voor het onderzoek; beschikking binnen 8 weken " \
           "(Awb art. 4:13)." in [c.value for c in at.caption]
    totals = totals_by_gemeente(at)
    assert WMO_LATE not in totals.columns  # the Jeugdwet has no onderzoek term
    peildatum = gold(settings, "select max(peildatum) from sociaal_domein_wachtlijst where wet = 'jeugdwet'")[0][0]
    expected = gold(settings, "select gemeentecode, onderdrukt, open_aanvragen, aanvragen_over_termijn from "
                    "sociaal_domein_wachtlijst where niveau = 'gemeente' and wet = 'jeugdwet' and peildatum = ? order by 1",
                    [peildatum])
    assert len(expected) == 2 and not any(h for _, h, _, _ in expected)
    late = "Aanvragen langer dan 8 weken zonder beschikking (beslistermijn)"
    assert list(zip(totals["Gemeente"], totals["Open aanvragen (nog geen beschikking)"], totals[late])) == [
        (g, shown_value(h, n), shown_value(h, m)) for g, h, n, m in expected]
    # the latest week in which a Jeugd wijk row is suppressed only so that a total does not reveal another
    (with_secondary,) = gold(settings, """select max(peildatum) from sociaal_domein_wachtlijst where wet = 'jeugdwet'
        and niveau = 'wijk' and onderdrukt_reden like 'secundair%'""")[0]
    assert with_secondary is not None  # the demo's Jeugd needs secondary suppression
    labels = at.selectbox(key="peildatum").options  # as the page formats them
    at.selectbox(key="peildatum").select_index(labels.index(f"{with_secondary:%d-%m-%Y}")).run()
    per_wijk = next(d.value for d in at.dataframe if "Wijk" in d.value.columns
                    and "Productcategorie" not in d.value.columns)
    expected = gold(settings, "select onderdrukt, aantal_clienten, onderdrukt_reden from sociaal_domein_wachtlijst "
                    "where peildatum = ? and wet = 'jeugdwet' and niveau = 'wijk' "
                    "order by gemeentecode, wijkcode", [with_secondary])
    secondary = [i for i, (_, _, r) in enumerate(expected) if (r or "").startswith("secundair")]
    assert per_wijk["Wachtende cliënten"].tolist() == [shown_value(h, n) for h, n, _ in expected]
    assert all(per_wijk["Onderdrukt omdat"].iloc[i].startswith("secundair") for i in secondary)


def test_instroom_and_uitstroom_per_week_by_wijk_and_per_1000_inhabitants(built):
    settings, _ = built
    at = app()
    at.selectbox(key="fase").set_value("aanvraag").run()
    at.selectbox(key="uitsplitsing").set_value("wijk").run()
    peildatum = gold(settings, "select max(peildatum) from sociaal_domein_instroom_uitstroom where wet = 'wmo'")[0][0]
    week = frame_with(at, "Instroom")
    expected = gold(settings, "select gemeentecode, onderdrukt, instroom, uitstroom, netto, wachtend from "
                    "sociaal_domein_instroom_uitstroom where wet = 'wmo' and fase = 'aanvraag' and niveau = 'wijk' "
                    "and peildatum = ? order by gemeentecode, wijkcode", [peildatum])
    assert expected
    assert list(zip(week["Gemeente"], week["Instroom"], week["Uitstroom"], week["Netto"])) == [
        (g, shown_value(h, i), shown_value(h, u), shown_value(h, n)) for g, h, i, u, n, _ in expected]
    # Two municipalities selected (all): compared per 1,000 inhabitants, from the municipality's own row
    compared = frame_with(at, "Wachtend per 1.000 inwoners")
    expected = gold(settings, "select gemeentecode, onderdrukt, wachtend_per_1000_inwoners from "
                    "sociaal_domein_instroom_uitstroom where wet = 'wmo' and fase = 'aanvraag' and niveau = 'gemeente' "
                    "and peildatum = ? order by 1", [peildatum])
    assert len(expected) == 2 and all(v for _, h, v in expected if not h)
    assert list(zip(compared["Gemeente"], compared["Wachtend per 1.000 inwoners"])) == [
        (g, "<5" if h else f"{v:.2f}".replace(".", ",")) for g, h, v in expected]
    # Jeugd: by verwijzer
    at.radio(key="wet").set_value("jeugdwet").run()
    at.selectbox(key="uitsplitsing").set_value("verwijzer").run()
    verwijzers = frame_with(at, "Verwijzer")
    expected = gold(settings, "select gemeentecode, verwijzer_omschrijving, onderdrukt, instroom from "
                    "sociaal_domein_instroom_uitstroom where wet = 'jeugdwet' and fase = 'aanvraag' "
                    "and niveau = 'verwijzer' and peildatum = ? order by 1", [peildatum])
    assert expected and list(zip(verwijzers["Gemeente"], verwijzers["Verwijzer"], verwijzers["Instroom"])) == [
        (g, v, shown_value(h, i)) for g, v, h, i in expected]


def test_the_municipality_selector_filters_every_figure(built):
    settings, other = built
    at = app()
    at.multiselect(key="gemeenten").set_value([other]).run()
    totals = totals_by_gemeente(at)
    assert totals["Gemeente"].tolist() == [other]
    assert [m.value for m in at.metric][:1] == totals["Wachtende cliënten"].tolist()  # one municipality: headline
    cells = next(d.value for d in at.dataframe if {"Wijk", "Productcategorie"} <= set(d.value.columns))
    assert set(cells["Gemeente"]) == {other}
    assert not any(d.value.columns.tolist().count("Wachtend per 1.000 inwoners") for d in at.dataframe)
    aanbieders = frame_with(at, "Aanbieder (AGB)")
    assert set(aanbieders["Gemeente"]) == {other}

    # AppTest draws no sidebar after a page switch (a browser does), so the Fixi page gets the choice as the
    # selector keeps it, in the session state
    at = app("fixi", gemeenten=[other])
    last = frame_with(at, "Openstaand einde maand")
    month = gold(settings, "select max(maand_start) from fixi_afhandeling where gemeentecode = ?", [other])[0][0]
    expected = dict(gold(settings, "select categorie, sum(openstaand_einde_maand) from fixi_afhandeling where "
                         "gemeentecode = ? and maand_start = ? group by 1", [other, month]))
    assert dict(zip(last["Categorie"], last["Openstaand einde maand"])) == expected

    both = app("fixi", gemeenten=[settings.gemeentecode, other])
    together = dict(gold(settings, "select categorie, sum(openstaand_einde_maand) from fixi_afhandeling where "
                         "maand_start = ? group by 1", [month]))
    shown = frame_with(both, "Openstaand einde maand")
    assert dict(zip(shown["Categorie"], shown["Openstaand einde maand"])) == together != expected


def test_fixi_page_lists_gold_peaks(built):
    settings, _ = built
    at = app("fixi")
    peaks = frame_with(at, "× normaal")
    expected = gold(settings, "select gemeentecode, categorie, aantal_meldingen from fixi_pieken where is_piek "
                    "order by week_start desc, verhouding desc limit 25")
    assert list(zip(peaks["Gemeente"], peaks["Categorie"], peaks["Meldingen"])) == expected
    assert expected
    assert at.selectbox[0].value == gold(settings, "select categorie from fixi_pieken group by 1 "
                                         "order by count_if(is_piek) desc, categorie limit 1")[0][0]


def test_fixi_page_shows_each_peak_with_its_causes_and_the_coming_weeks(built):
    settings, _ = built
    at = app("fixi")
    peaks = frame_with(at, "Wat speelde er")
    causes = {(g, w, c): oorzaken for g, w, c, oorzaken in gold(settings, """
        select p.gemeentecode, strftime(p.week_start, '%d-%m-%Y'), p.categorie,
               string_agg(o.oorzaak, '; ' order by o.oorzaak_soort, o.oorzaak)
        from fixi_pieken as p inner join fixi_piek_oorzaken as o using (gemeentecode, week_start, categorie)
        where p.is_piek group by all""")}
    shown = list(zip(peaks["Gemeente"], peaks["Week van"], peaks["Categorie"], peaks["Wat speelde er"]))
    assert shown and all(causes[(g, w, c)] == text for g, w, c, text in shown)
    # One year of history is too short for the forecast: the page says so instead of drawing a band.
    categorie = at.selectbox[0].value
    [(beperking,)] = gold(settings, "select distinct prognose_beperking from fixi_prognose where not verleden "
                                    "and categorie = ? and gemeentecode = ?", [categorie, settings.gemeentecode])
    assert beperking and f"Geen verwachting voor {categorie}: {beperking}." in [i.value for i in at.info]


def test_reisdocumenten_page_shows_the_coming_months_and_their_counter_hours(built):
    settings, _ = built
    at = app("reisdocumenten")
    months = frame_with(at, "Balie-uren nodig")
    expected = gold(settings, "select strftime(maand_start, '%m-%Y'), round(sum(verwacht)), "
                    "round(sum(baliefuncties_uren)) from reisdocumenten_prognose where verwacht is not null "
                    "group by maand_start order by maand_start")
    assert len(expected) == 24
    assert sorted(zip(months["Maand"], months["Verwachte aanvragen"], months["Balie-uren nodig"])) == sorted(expected)
    backtests = [c.value for c in at.caption if c.value.startswith("Terugtoets")]
    assert len(backtests) == 2  # one per soort in the forecast: paspoort and identiteitskaart


def test_data_quality_page_counts_quarantine_without_showing_records(built):
    settings, _ = built
    at = app("datakwaliteit")
    per_source = frame_with(at, "Records in quarantaine")
    files = [str(p) for p in (settings.quarantine / "records").glob("*/*.parquet")]
    with duckdb.connect() as db:
        expected = dict(db.execute("select bron_systeem, count(*) from read_parquet(?, union_by_name = true) "
                                   "group by 1", [files]).fetchall())
        records = {v for (v,) in db.execute("select distinct record from read_parquet(?, union_by_name = true)",
                                            [files]).fetchall() if v}
    assert expected and dict(zip(per_source["Bron"], per_source["Records in quarantaine"])) == expected
    shown = {str(v) for d in at.dataframe for column in d.value.columns for v in d.value[column]}
    assert not shown & records
    assert not any("31-02-" in value for value in shown)  # a reason's quoted value is blanked
    assert not at.info  # all municipalities: nothing to qualify
    one = app("datakwaliteit", gemeenten=[settings.gemeentecode])
    assert [i.value for i in one.info] == [
        f"U hebt {settings.gemeentecode} gekozen. De controleresultaten hieronder zijn per tabel voor alle gemeenten "
        "samen en niet per gemeente te filteren; alleen de quarantaine toont de gekozen gemeente(n)."]
    fresh = frame_with(at, "Nieuwste waarde")
    assert set(fresh["Bron (brons-tabel)"]) == {t for (t,) in gold(
        settings, "select distinct tabel from dq_resultaten where laag = 'bronze' and dimensie = 'actualiteit'")}


def test_every_figure_names_its_publication_and_quality(built):
    settings, _ = built
    runs = dict(gold(settings, "select tabel, run_id from publicatie"))
    for page in PAGES:
        at = app(None if page == "wachtlijsten" else page)
        published = [m.value for m in at.markdown if m.value.startswith("**Gepubliceerd:**")]
        sources = [m.value for m in at.markdown if m.value.startswith("**Bron:**")]
        if page == "herkomst":
            continue
        assert published and len(published) == len(sources)
        for source, line in zip(sources, published):
            table = source.split("`")[1]
            assert f"run `{runs[table][:8]}`" in line
        assert page == "datakwaliteit" or any(m.value.startswith("**Datakwaliteit:**") for m in at.markdown)


def test_lineage_page_traces_a_gold_column_to_bronze_with_its_definition(built):
    settings, _ = built
    at = app("herkomst", tabel="sociaal_domein_wachtlijst", kolom="meldingen_over_termijn")
    manifest = json.loads((settings.dbt_docs / "manifest.json").read_text())
    node = manifest["nodes"]["model.lakehouse.sociaal_domein_wachtlijst"]
    text = "\n".join(m.value for m in at.markdown)
    assert node["columns"]["meldingen_over_termijn"]["description"] in text
    assert node["config"]["meta"]["owner"] in text and "**Privacyklasse:** openbaar" in text
    run_id = gold(settings, "select run_id from publicatie where tabel = 'sociaal_domein_wachtlijst'")[0][0]
    assert run_id in text
    steps = frame_with(at, "komt uit")
    assert steps["Kolom"].iloc[0].startswith("gold.sociaal_domein_wachtlijst.meldingen_over_termijn")
    assert any(v.startswith("bronze.") for v in steps["komt uit"])
    assert "`bronze.zorgned_aanvraag`" in text or "`bronze.iwmo_product`" in text


def test_a_new_publication_shows_without_a_restart(built, tmp_path):
    settings, _ = built
    with pytest.MonkeyPatch.context() as mp:
        copy = copy_data_root(settings, tmp_path / "kopie", mp)
        st.cache_resource.clear()
        before = app("fixi")
        assert not any("nieuwerun" in m.value for m in before.markdown)
        published = json.loads((copy.gold / MANIFEST).read_text())
        published["fixi_pieken"]["run_id"] = "nieuwerun-0000"
        (copy.gold / MANIFEST).write_text(json.dumps(published))
        write_catalogue(copy)  # what a publication does last: a new gold.duckdb
        after = app("fixi")
        assert any("run `nieuweru`" in m.value for m in after.markdown)  # the run id's first 8 characters
    st.cache_resource.clear()


def test_the_quarterly_report_is_self_contained_and_suppresses_small_cells(built):
    settings, other = built
    start, end = last_completed_quarter(settings.peildatum)
    assert (start, end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))  # peildatum 2026-06-30: Q2 not yet over
    reports = sorted((settings.gold / "rapporten").glob("*kwartaal*.html"))
    assert [r.name for r in reports] == sorted(f"kwartaalrapport_sociaal_domein_{g}_2026K1.html"
                                               for g in (settings.gemeentecode, other))
    page = reports[0].read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and " src=" not in page and "<link" not in page
    assert "<svg" in page and "<style>" in page
    gemeente = reports[0].name.split("_")[3]
    peildatum = gold(settings, "select max(peildatum) from sociaal_domein_wachtlijst where peildatum <= ?", [end])[0][0]
    assert page.count(f"Wachtlijst op {peildatum:%d-%m-%Y}") == 2  # Wmo 2015 and Jeugdwet
    # the totals from the law's own row
    for wet in ("wmo", "jeugdwet"):
        [(clients, meldingen, aanvragen)] = gold(settings, """
            select aantal_clienten, open_meldingen, open_aanvragen from sociaal_domein_wachtlijst
            where gemeentecode = ? and peildatum = ? and wet = ? and niveau = 'gemeente'""", [gemeente, peildatum, wet])
        assert f"{clients} wachtende cliënten: {meldingen} open meldingen" in page
    suppressed, shown = gold(settings, "select count_if(onderdrukt), count_if(not onderdrukt) from "
                             "sociaal_domein_wachtlijst where gemeentecode = ? and peildatum = ? "
                             "and niveau in ('wijk', 'productcategorie')", [gemeente, peildatum])[0]
    assert suppressed and shown
    assert page.count("&lt;5") >= suppressed  # each suppressed wijk (bar) and productcategorie (table) row
    # instroom over the quarter for the Wmo aanvragen: the sum of the law's weekly rows
    [(weeks, hidden, instroom)] = gold(settings, """
        select count(*), count_if(onderdrukt), sum(instroom) from sociaal_domein_instroom_uitstroom
        where gemeentecode = ? and wet = 'wmo' and fase = 'aanvraag' and niveau = 'gemeente' and peildatum between ? and ?""",
                                       [gemeente, start, end])
    assert weeks == 13 and f"<td class='t'>aanvraag tot beschikking</td><td>{'≥ ' if hidden else ''}{instroom}</td>" in page
    assert "Per verwijzer" in page and page.count("Wachttijd bij zorgaanbieders") == 2
    definition = data.definition(settings, "sociaal_domein_instroom_uitstroom")
    assert definition.kolommen["instroom"] in page
    assert "Datakwaliteit" in page and "controles geslaagd" in page
    # the waiting-list page offers the chosen municipality's report
    at = app(gemeenten=[other])
    assert [b.label for b in at.get("download_button")] == [f"kwartaalrapport_sociaal_domein_{other}_2026K1.html"]


def test_pages_explain_what_is_missing_before_anything_is_published(settings):
    st.cache_resource.clear()
    for page in PAGES:
        at = app(None if page == "wachtlijsten" else page)
        assert [w.value for w in at.warning] == [
            f"Er is nog niets gepubliceerd in {settings.gold}. Draai eerst `make run`; daarna verschijnen de cijfers "
            "hier vanzelf."]
    st.cache_resource.clear()


def test_a_page_whose_area_was_never_published_says_so(built, tmp_path):
    settings, _ = built
    with pytest.MonkeyPatch.context() as mp:
        copy = copy_data_root(settings, tmp_path / "kopie", mp)
        published = json.loads((copy.gold / MANIFEST).read_text())
        del published["sociaal_domein_wachttijd_aanbieder"]
        (copy.gold / MANIFEST).write_text(json.dumps(published))
        write_catalogue(copy)
        st.cache_resource.clear()
        at = app()
        assert [w.value for w in at.warning][0].startswith("Nog niet gepubliceerd: sociaal_domein_wachttijd_aanbieder.")
        assert not at.dataframe
        assert app("fixi").dataframe  # the other areas still show
    st.cache_resource.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_page_and_the_report_render_in_chromium(built):
    """The running app in a real browser: each page renders without an exception; screenshots for review."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed: the dashboard's browser test needs the Debian package "
                    "(as root: apt-get update && apt-get install -y chromium).")
    from playwright.sync_api import sync_playwright

    settings, _ = built
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"],
        env={**os.environ, "LAKEHOUSE_DATA_ROOT": str(settings.data_root)}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    try:
        wait_until_healthy(port, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for name, path in PAGES.items():
                page.goto(f"http://127.0.0.1:{port}/{path}")
                page.wait_for_selector("h1", timeout=60_000)
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                       timeout=120_000)
                page.wait_for_timeout(1500)  # charts draw after the script finished
                assert page.locator("[data-testid='stException']").count() == 0, name
                assert page.locator("[data-testid='stVegaLiteChart'], [data-testid='stDataFrame']").count() > 0, name
                screenshot(page, SCREENSHOTS / f"{name}.png")
                if name == "wachtlijsten":  # the other law, as a consulent Jeugd sees it
                    page.get_by_text("Jeugdwet", exact=True).first.click()
                    page.get_by_text("Wettelijke termijnen Jeugdwet").first.wait_for(timeout=60_000)
                    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                           timeout=120_000)
                    page.wait_for_timeout(1500)
                    assert page.locator("[data-testid='stException']").count() == 0, name
                    screenshot(page, SCREENSHOTS / "wachtlijsten_jeugd.png")
            report = sorted((settings.gold / "rapporten").glob("*kwartaal*.html"))[0]
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                       else route.continue_())  # the report must need nothing from the network
            page.goto(report.as_uri())
            assert page.locator("svg").count() > 0 and "<5" in page.inner_text("body")
            page.screenshot(path=str(SCREENSHOTS / "kwartaalrapport.png"), full_page=True)
            page.goto((settings.dbt_docs / "static_index.html").as_uri() + "#!/model/model.lakehouse.sociaal_domein_wachtlijst")
            # the docs open from the file: the model's page shows its description
            page.get_by_text("The social-domain waiting list at the end of each week").first.wait_for(timeout=60_000)
            page.screenshot(path=str(SCREENSHOTS / "dbt_docs.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"screenshots: {SCREENSHOTS}")


def wait_until_healthy(port: int, server: subprocess.Popen, seconds: int = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the dashboard did not start:\n{server.stdout.read().decode()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the dashboard did not answer on port {port} within {seconds} s")


def screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as tall as the content."""
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')]"
                           ".map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": min(height + 100, 8000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 900})
