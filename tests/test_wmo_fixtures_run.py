"""The real iWmo and ZorgNed fixtures through the whole lakehouse: findings reported, records kept, no personal data."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import duckdb

from pipelines.run import print_summary
from tests.conftest import FIXTURES, all_stored_strings, demo_reference, run_lakehouse

PERSONAL = {"123456782", "Gaastra", "Mistral", "Castricum", "Eekholt", "dsmistral@email.nl", "DHRGaastra@email.nl",
            "0201234567", "1234AB", "1985-01-06", "1986-04-01", "999993653", "999990019", "Testpersoon",
            "Proefpersoon", "Teststraat", "0209998877"}
MISFILED = "CasusC-02-WMO301_herindicatie.xml"  # names GM0392, delivered into the platform's own folder


def land_by_municipality(settings) -> None:
    """Each bericht into the drop folder of the municipality it names, but one into the wrong folder."""
    for path in sorted((FIXTURES / "iwmo").rglob("*.xml")):
        code = re.search(r"<\w+:(?:Afzender|Ontvanger)>(0\d{3})<", path.read_text(encoding="utf-8")).group(1)
        folder = settings.landing / "iwmo" if path.name == MISFILED else settings.landing / f"GM{code}" / "iwmo"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)
    # a toewijzing of an unknown productcategorie (99): a finding, never a reason to stop Wmo gold
    unknown = (FIXTURES / "iwmo" / "specificatie" / "3_2-01-WMO301_toewijzing.xml").read_text(encoding="utf-8")
    unknown = unknown.replace("<iwmo:Categorie>02</iwmo:Categorie>", "<iwmo:Categorie>99</iwmo:Categorie>")
    (settings.landing / "GM0384" / "iwmo" / "onbekende_categorie.xml").write_text(
        unknown.replace("SPEC301A", "SPEC301X").replace("<wmo301:ToewijzingNummer>900", "<wmo301:ToewijzingNummer>990"),
        encoding="utf-8")


def test_fixtures_reach_silver_with_their_corrections_applied_findings_reported_and_no_personal_data(settings, capsys):
    land_by_municipality(settings)
    shutil.copytree(FIXTURES / "zorgned", settings.landing / "zorgned")
    demo_reference(settings)

    result = run_lakehouse()

    assert result.success
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        assert db.execute("select count(*) from silver.aanvraag_wmo_jeugd").fetchone()[0] == 15
        assert db.execute("select datumvolgorde_geldig from silver.aanvraag_wmo_jeugd "
                          "where aanvraag_id = '912837sdfsdf198723'").fetchone() == (False,)
        toewijzingen = {r[:2]: r[2:] for r in db.execute("""select gemeentecode, toewijzing_id, toewijzingsdatum,
            einddatum, reden_wijziging, origineel_ontvangen, gemeentecode_afwijkend from silver.toewijzing
            where bron_systeem = 'iwmo'""").fetchall()}
        starts = {r[:2]: r[2:] for r in db.execute("""select gemeentecode, toewijzing_id, begindatum, einddatum,
            productcategorie from silver.levering where gemeentecode <> 'GM0301' or toewijzing_id like '4%'""").fetchall()}
        unknown = db.execute("select toewijzing_id, productcategorie from silver.toewijzing "
                             "where not productcategorie_bekend").fetchall()
    d = dt.date
    assert toewijzingen == {
        # 2.0: intrekking (RedenIntrekking) of 425386123: the einddatum brought forward, the toewijzingsdatum kept
        ("GM0384", "425386123/07A03/98025566/2016-02-15"): (d(2016, 2, 20), d(2016, 11, 7), "4", True, False),
        ("GM0384", "658721123/01A01/98026987/2016-03-07"): (d(2016, 3, 7), d(2016, 12, 31), None, True, False),
        # 2.0 CasusC: an intrekking of a toewijzing this municipality never received is no ordinary toewijzing
        ("GM0392", "425386123/07A03/98025566/2016-02-15"): (d(2016, 10, 10), d(2016, 10, 9), "3", False, False),
        # ... and its herindicatie, misfiled in the platform's own folder: that folder's row, flagged
        ("GM0301", "425386123/07A03/98025566/2016-10-10"): (d(2016, 10, 10), d(2016, 12, 31), None, True, True),
        # 2.1: two periods of one beschikking and product, told apart by their ingangsdatum
        ("GM0384", "821001/02A01/42420002/2018-02-01"): (d(2018, 1, 12), d(2018, 6, 30), None, True, False),
        ("GM0384", "821001/02A01/42420002/2018-07-01"): (d(2018, 1, 12), d(2018, 12, 31), None, True, False),
        # 3.2: 9002 withdrawn (RedenWijziging 05), 9003 deleted (13) and gone
        ("GM0384", "9001"): (d(2024, 3, 1), d(2024, 12, 31), None, True, False),
        ("GM0384", "9002"): (d(2024, 3, 1), d(2024, 4, 14), "05", True, False),
        **{("GM0384", n): (d(2024, 3, 1), d(2024, 12, 31), None, True, False) for n in ("9901", "9902", "9903")},
    }
    assert starts == {
        ("GM0384", "658721123/01A01/98026987/2016-03-07"): (d(2016, 3, 10), d(2016, 10, 2), "01"),
        # CasusF withdrew the 10 March start and sent it again, CasusE withdrew it and sent 21 March: only that one
        ("GM0385", "658721123/01A01/98026987/2016-03-07"): (d(2016, 3, 21), None, "01"),
        ("GM0384", "821001/02A01/42420002/2018-02-01"): (d(2018, 2, 5), None, "02"),  # its stop was withdrawn
        ("GM0384", "9001"): (d(2024, 3, 25), None, "02"),  # the corrected start; the stop was withdrawn
    }
    assert unknown == [("9901", "99")]
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        findings = dict(db.execute("""select tabel || '.' || kolom, aantal_onverwacht from dq_resultaten
            where kolom in ('datumvolgorde_geldig', 'toewijzing_bekend', 'start_na_toewijzing', 'productcategorie',
                            'gemeentecode_afwijkend')""").fetchall())
        published = {t for (t,) in db.execute("select tabel from publicatie").fetchall()}
        reasons = db.execute("select distinct onderdrukt_reden from sociaal_domein_wachtlijst").fetchall()
    # published despite category 99
    assert {"sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder"} <= published
    assert findings["bronze.iwmo_product.productcategorie"] == 1
    assert findings["bronze.iwmo_bericht.gemeentecode_afwijkend"] == 1
    assert findings["silver.aanvraag_wmo_jeugd.datumvolgorde_geldig"] == 1  # aanvraag 2025-11-25 after beschikking 2023-05-17
    assert findings["silver.levering.toewijzing_bekend"] == 1  # GM0385's start has no 301 there
    # The real ZorgNed file names no client: every record counts as one client at most, so every cell is
    # suppressed, and the run's summary says why
    assert reasons == [("clienten zonder identiteit",)]
    print_summary(settings, result, 1.0)
    summary = capsys.readouterr().out
    assert "sociaal_domein_wachtlijst: no figures: all" in summary and "without a BSN or client number" in summary
    stored = all_stored_strings(settings)
    assert PERSONAL & stored == set()
    assert not [s for s in stored if "@" in s]
