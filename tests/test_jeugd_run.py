"""Jeugd beside Wmo through the whole lakehouse: iJw berichten and the case export's regeling JEUGD reach silver
and gold with their law, under the Jeugd terms, and nothing identifying passes bronze."""

from __future__ import annotations

import duckdb

from tests.conftest import FIXTURES, all_stored_strings, demo_reference, run_lakehouse

IJW = FIXTURES / "ijw" / "specificatie"
JEUGD_BSNS = ("999990020", "999990032", "999990044", "999990056", "999990068", "999990081")
WMO_BSNS = ("999990093", "999990111", "999990123", "999990135", "999990147", "999990159")
CSV_HEADER = ("Meldingnummer;Datum melding;Datum onderzoek afgerond;Aanvraagnummer;Datum aanvraag;Productcategorie;"
              "Wijk;BSN;Geboortedatum;Regeling\r\n")


def land_jeugd_chains(settings) -> None:
    """Six young people through the iJw chain of the fixtures (315, 301, its retour 302, 305, 307), each their own
    BSN and toewijzing, delivered to GM0384's drop folder for iJw."""
    folder = settings.landing / "GM0384" / "ijw"
    folder.mkdir(parents=True)
    for number, bsn in enumerate(JEUGD_BSNS):
        for path in sorted(IJW.glob("*.xml")):
            text = path.read_text(encoding="utf-8").replace("999990020", bsn).replace(">7001<", f">700{number}<")
            (folder / f"{number}-{path.name}").write_text(text.replace("SPECJW", f"SPEC{number}JW"), encoding="utf-8")


def land_case_export(settings) -> None:
    """Six Jeugd and six Wmo aanvragen of one day, all without a beschikking at the last Sunday (2026-06-28, 49
    days later): within the Jeugd beslistermijn (8 weeks, Awb), past the Wmo one (2 weeks)."""
    lines = [f"{wet[0]}{n};20-04-2026;10-05-2026;{wet[0]}A{n};10-05-2026;{categorie};WK030101;{bsn};01-01-{year};{wet}\r\n"
             for wet, categorie, year, bsns in (("JEUGD", "45", 2012, JEUGD_BSNS), ("WMO", "02", 1950, WMO_BSNS))
             for n, bsn in enumerate(bsns)]
    (settings.landing / "zorgned").mkdir(parents=True)
    (settings.landing / "zorgned" / "export.csv").write_text(CSV_HEADER + "".join(lines), encoding="utf-8")


def test_jeugd_reaches_gold_beside_wmo_under_its_own_terms(settings):
    land_jeugd_chains(settings)
    land_case_export(settings)
    demo_reference(settings)

    assert run_lakehouse().success
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        toewijzingen = db.execute("select wet, gemeentecode, count(*), count(distinct persoon_pseudoniem), "
                                  "bool_and(productcategorie_bekend) from silver.toewijzing group by all").fetchall()
        leveringen = db.execute("select wet, count(*), min(begindatum), max(einddatum) from silver.levering "
                                "group by all").fetchall()
        aanvragen = db.execute("select wet, count(*) from silver.aanvraag_wmo_jeugd group by all order by wet").fetchall()
        verzoeken = db.execute("""select wet, verwijzer_type, verwijzer_bekend, count(*), count(toewijzing_id),
            min(dagen_tot_toewijzing), max(dagen_tot_toewijzing) from silver.verzoek_om_toewijzing group by all""").fetchall()
    # the huisarts's referral (COD327 02) of 5 February answered by the toewijzing of 12 February, for each child
    assert verzoeken == [("jeugdwet", "02", True, 6, 6, 7, 7)]
    assert toewijzingen == [("jeugdwet", "GM0384", 6, 6, True)]  # the 302 retours and 315 verzoeken add none
    assert [tuple(map(str, r)) for r in leveringen] == [("jeugdwet", "6", "2024-03-11", "2024-09-30")]
    assert aanvragen == [("jeugdwet", 6), ("wmo", 6)]
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        aanbieder = db.execute("""select wet, aanbieder, productcategorie, onderdrukt, aantal_clienten, toewijzingen,
            gestart, dagen_tot_start_mediaan from sociaal_domein_wachttijd_aanbieder
            where niveau = 'aanbieder_productcategorie'""").fetchall()
        wachtlijst = db.execute("""select wet, productcategorie, productcategorie_omschrijving, onderdrukt,
            open_aanvragen, aanvragen_binnen_termijn, aanvragen_over_termijn, meldingen_over_termijn
            from sociaal_domein_wachtlijst where peildatum = date '2026-06-28' and niveau = 'productcategorie'
            order by wet""").fetchall()
        verwijzers = db.execute("""select peildatum, verwijzer_type, verwijzer_omschrijving, instroom, uitstroom, wachtend
            from sociaal_domein_instroom_uitstroom where wet = 'jeugdwet' and fase = 'verzoek' and niveau = 'verwijzer'
              and (instroom > 0 or uitstroom > 0) order by peildatum""").fetchall()
    # wachttijd at the jeugdhulpaanbieder: toewijzing 12 February to start 11 March
    assert aanbieder == [("jeugdwet", "42420002", "45", False, 6, 6, 6, 28.0)]
    assert wachtlijst == [("jeugdwet", "45", "Jeugdhulp ambulant", False, 6, 6, 0, None),  # no onderzoek term
                          ("wmo", "02", "Begeleiding", False, 6, 0, 6, 0)]
    # the waiting list's causes: six referrals by huisartsen came in the week of 5 February and left it a week later
    assert [tuple(map(str, r)) for r in verwijzers] == [("2024-02-11", "02", "Huisarts", "6", "0", "6"),
                                                       ("2024-02-18", "02", "Huisarts", "0", "6", "0")]
    stored = all_stored_strings(settings)
    assert set(JEUGD_BSNS + WMO_BSNS) & stored == set() and "Testjeugdige" not in stored and "01234567" not in stored
