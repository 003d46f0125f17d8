"""Silver reisdocumenten: identity (number and holder) and the field-level merge of deliveries, on real fixtures
and on a GBA extract followed by a poorer Haal Centraal v2 answer about the same documents."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil

import duckdb

from tests.conftest import FIXTURES, demo_reference, run_lakehouse

GBA = (
    "\ufeff;01.01.20;01.03.10;12.35.10;12.35.20;12.35.30;12.35.40;12.35.50;12.35.60;12.35.70\n"
    "P1;999993653;19800101;PN;NA0000011;20200101;B0301;20300101;;\n"
    ";;;NI;NA0000022;20190501;B0301;20290501;20210301;I\n"
    "P2;999990639;19700101;NI;NA0000033;20180201;B0301;20280201;;\n"
    "P3;999993872;19900101;NI;NA0000033;20180301;B0301;20280301;;\n"
)
# The same documents as Haal Centraal v2 answers them later: no issue date or authority (v2 has none), and a
# query that did not ask for inhoudingOfVermissing; rows without holder for a number held by one person (whose it
# is, is known) and for the number two persons hold (whose it is, is not).
HAAL_CENTRAAL = {"type": "RaadpleegMetReisdocumentnummer", "reisdocumenten": [
    {"reisdocumentnummer": "NA0000011", "datumEindeGeldigheid": {"type": "Datum", "datum": "2030-01-01"},
     "houder": {"burgerservicenummer": "999993653"}},
    {"reisdocumentnummer": "NA0000022", "soort": {"code": "NI"},
     "datumEindeGeldigheid": {"type": "Datum", "datum": "2029-05-01"}},
    {"reisdocumentnummer": "NA0000033", "soort": {"code": "NI"},
     "datumEindeGeldigheid": {"type": "Datum", "datum": "2028-02-01"}},
]}


def silver(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        return db.execute(sql).fetchall()


def test_a_poorer_later_delivery_erases_nothing_and_a_shared_number_keeps_its_holders(settings):
    demo_reference(settings)
    (settings.landing / "brp").mkdir(parents=True)
    (settings.landing / "brp" / "gba.csv").write_text(GBA, encoding="utf-8")
    assert run_lakehouse().success
    (settings.landing / "brp" / "haalcentraal.json").write_text(json.dumps(HAAL_CENTRAAL), encoding="utf-8")
    assert run_lakehouse().success
    rows = silver(settings, """
        select reisdocumentnummer, soort, datum_uitgifte, autoriteit, aanduiding_inhouding_vermissing,
               datum_inhouding_vermissing, nummer_meerdere_houders, aantal_leveringen, bron_formaat,
               persoon_pseudoniem is not null, houder_onbepaald
        from silver.reisdocument order by reisdocumentnummer, datum_uitgifte""")
    assert rows == [
        ("NA0000011", "PN", dt.date(2020, 1, 1), "B0301", None, None, False, 2, "haalcentraal_json", True, False),
        ("NA0000022", "NI", dt.date(2019, 5, 1), "B0301", "I", dt.date(2021, 3, 1), False, 2, "haalcentraal_json", True,
         False),
        ("NA0000033", "NI", dt.date(2018, 2, 1), "B0301", None, None, True, 1, "gba_csv", True, False),
        ("NA0000033", "NI", dt.date(2018, 3, 1), "B0301", None, None, True, 1, "gba_csv", True, False),
        ("NA0000033", "NI", None, None, None, None, True, 1, "haalcentraal_json", False, True),
    ]
    ending = dict(silver(settings, """select maand_start, sum(aantal_verlopend) from gold.reisdocumenten_verloop_maand
                                      group by 1"""))
    # Both holders of the shared number count, the delivery that does not say whose it is does not; the withheld
    # identity card does not end "normally".
    assert ending == {dt.date(2030, 1, 1): 1, dt.date(2028, 2, 1): 1, dt.date(2028, 3, 1): 1}


def test_the_gba_v_test_set_flags_shared_numbers_and_ends_before_issue_and_publishes(settings):
    """The full GBA-V test set's document holders: one number given to 18 persons, two documents whose validity
    ends before their issue. Record-level findings: flagged in silver, and reisdocumenten gold is published."""
    demo_reference(settings)
    (settings.landing / "brp").mkdir(parents=True)
    shutil.copy(FIXTURES / "brp" / "gba-v-testset-reisdocumenthouders.csv", settings.landing / "brp")
    assert run_lakehouse().success
    shared = silver(settings, """select reisdocumentnummer, count(*) from silver.reisdocument
                                 where nummer_meerdere_houders group by 1 order by 1""")
    assert dict(shared)["NM1260784"] == 18 and len(shared) == 6
    ends_before_issue = silver(settings, "select reisdocumentnummer from silver.reisdocument where einde_voor_uitgifte "
                                         "order by 1")
    assert ends_before_issue == [("NA1816515",), ("NUB3LH867",)]
    (total,), = silver(settings, "select count(*) from silver.reisdocument")
    assert total == len(_number_and_holder_pairs()) - 1 == 161  # one document quarantined (29 February 2017)
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        published = {t for (t,) in db.execute("select tabel from publicatie").fetchall()}
    assert {"reisdocumenten_verloop_maand", "reisdocumenten_prognose"} <= published


def _number_and_holder_pairs() -> set[tuple[str, str]]:
    """(12.35.20, the BSN of the persoonslijst it is on) of every document in the extract, read independently."""
    with (FIXTURES / "brp" / "gba-v-testset-reisdocumenthouders.csv").open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = csv.reader(handle, delimiter=";")
    nummer, bsn, pairs, holder = header.index("12.35.20"), header.index("01.01.20"), set(), None
    for row in rows:
        holder = row[bsn] if row[0].strip() else holder
        if len(row) > nummer and row[nummer].strip():
            pairs.add((row[nummer], holder))
    return pairs
