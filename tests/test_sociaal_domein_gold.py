"""Wmo and Jeugd gold on the demo, checked against the case exports and berichten counted independently."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict

import duckdb
import pytest

from pipelines.demo.municipality import DEMO_INWONERS
from tests import ground_truth as gt
from tests.conftest import gold


@pytest.fixture(scope="module")
def wmo_cases(demo_run):
    from tests import wmo_truth

    return wmo_truth.cases(demo_run[0].landing / "zorgned")


def test_wmo_gold_tables_are_published(demo_run):
    settings, _ = demo_run
    for table in ("sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder"):
        assert gold(settings, f"select count(*) from {table}")[0][0] > 0, table


LEVELS = {"gemeente": (), "productcategorie": ("categorie",), "wijk": ("wijk",),
          "wijk_productcategorie": ("wijk", "categorie")}


def test_wachtlijst_publishes_every_level_from_the_case_exports_with_small_rows_suppressed(demo_run, wmo_cases):
    """Every level (the municipality, each productcategorie, each wijk, each cell) matches the case exports counted
    independently here; a row of fewer than 5 clients shows no figures, and no suppressed row can be derived from
    a published total minus the published rows beside it."""
    settings, _ = demo_run
    sundays = [gt.dt.date(2024, 9, 1), gt.dt.date(2025, 2, 2), gt.dt.date(2026, 6, 28)]
    expected = {}
    for peil in sundays:
        rows = defaultdict(lambda: {"clients": set(), "meldingen": 0, "over": 0, "aanvragen": 0, "aanvragen_over": 0})
        for c in wmo_cases.values():
            waiting_melding = c.melding <= peil and (c.onderzoek is None or c.onderzoek > peil)
            waiting_aanvraag = c.aanvraag and c.aanvraag <= peil and (c.beschikking is None or c.beschikking > peil)
            if not (waiting_melding or waiting_aanvraag):
                continue
            fields = {"categorie": c.categorie, "wijk": c.wijk}
            for niveau, split in LEVELS.items():
                row = rows[(peil, niveau, fields["categorie"] if "categorie" in split else None,
                            fields["wijk"] if "wijk" in split else None)]
                row["clients"].add(c.client)
                if waiting_melding:
                    row["meldingen"] += 1
                    row["over"] += (peil - c.melding).days > 42
                if waiting_aanvraag:
                    row["aanvragen"] += 1
                    row["aanvragen_over"] += (peil - c.aanvraag).days > 14
        expected.update(rows)
    rows = gold(settings, """select peildatum, niveau, productcategorie, wijkcode, onderdrukt, onderdrukt_reden,
        aantal_clienten, open_meldingen, meldingen_over_termijn, open_aanvragen, aanvragen_over_termijn
        from sociaal_domein_wachtlijst where wet = 'wmo' and peildatum in (?, ?, ?)""", sundays)
    assert {r[:4] for r in rows} == set(expected)
    published = {r[:4]: r for r in rows if not r[4]}
    assert {key[:2] for key in published} >= {(peil, "gemeente") for peil in sundays}  # the totals are there
    assert sum(key[1] == "wijk_productcategorie" for key in published) >= 10  # and enough cells
    for key, (*_, onderdrukt, reden, clients, meldingen, over, aanvragen, aanvragen_over) in {r[:4]: r for r in rows}.items():
        truth = expected[key]
        if len(truth["clients"]) < 5:
            assert onderdrukt and reden.startswith(("minder dan 5", "clienten zonder")) and clients is None
        elif onderdrukt:
            assert reden.startswith("secundair") and (clients, meldingen, aanvragen) == (None, None, None)
        else:
            assert (clients, meldingen, over, aanvragen, aanvragen_over) == (
                len(truth["clients"]), truth["meldingen"], truth["over"], truth["aanvragen"], truth["aanvragen_over"])
    every_week = gold(settings, """select peildatum, niveau, productcategorie, wijkcode, onderdrukt, onderdrukt_reden
        from sociaal_domein_wachtlijst where wet = 'wmo'""")
    assert sum((r[5] or "").startswith("secundair") for r in every_week) > 0  # the demo needs secondary suppression
    assert recoverable_rows(every_week) == []


def test_instroom_uitstroom_counts_every_week_as_the_case_exports_do(demo_run, wmo_cases):
    """The weekly instroom, uitstroom, waiting and clients of the Wmo melding and aanvraag phases match the case
    exports counted week by week here, every week of the demo's history: a client with overlapping periods in a
    cell counts once, a period ending in the week it began comes in and leaves in it."""
    settings, _ = demo_run
    weeks = [r[0] for r in gold(settings, """select distinct peildatum from sociaal_domein_instroom_uitstroom
        where wet = 'wmo' order by 1""")]
    periods = [(fase, c.client, c.categorie, c.wijk, begin, end)
               for c in wmo_cases.values()
               for fase, begin, end in (("melding", c.melding, c.onderzoek), ("aanvraag", c.aanvraag, c.beschikking))
               if begin and (end is None or end >= begin)]
    expected = defaultdict(lambda: {"clients": set(), "instroom": 0, "uitstroom": 0, "wachtend": 0, "periods": 0})
    for peil in weeks:
        week_start = peil - gt.dt.timedelta(days=6)
        for fase, client, categorie, wijk, begin, end in periods:
            if begin > peil or (end is not None and end < week_start):
                continue
            for niveau, key in (("gemeente", (None, None)), ("productcategorie", (categorie, None)),
                                ("wijk", (None, wijk))):
                row = expected[(peil, fase, niveau, *key)]
                row["clients"].add(client)
                row["periods"] += 1
                row["instroom"] += begin >= week_start
                row["uitstroom"] += end is not None and end <= peil
                row["wachtend"] += end is None or end > peil
    rows = gold(settings, """select peildatum, fase, niveau, productcategorie, wijkcode, onderdrukt,
            aantal_clienten, instroom, uitstroom, netto, wachtend
        from sociaal_domein_instroom_uitstroom
        where wet = 'wmo' and fase in ('melding', 'aanvraag') and niveau in ('gemeente', 'productcategorie', 'wijk')""")
    assert {r[:5] for r in rows} == set(expected)
    published = [r for r in rows if not r[5]]
    assert len(published) > 0.5 * len(rows)
    for *key, _, clients, instroom, uitstroom, netto, wachtend in published:
        truth = expected[tuple(key)]
        assert (clients, instroom, uitstroom, netto, wachtend) == (
            len(truth["clients"]), truth["instroom"], truth["uitstroom"], truth["instroom"] - truth["uitstroom"],
            truth["wachtend"]), key
    # the demo has clients waiting in two overlapping periods of one cell: counted once, which the rows above checked
    assert any(len(row["clients"]) < row["periods"] for row in expected.values())


def recoverable_rows(rows) -> list:
    """Suppressed rows a reader could compute: the only suppressed row under a published total one level up."""
    by_key = {r[:4]: r[4] for r in rows}
    parents = {"productcategorie": lambda k: (k[0], "gemeente", None, None),
               "wijk": lambda k: (k[0], "gemeente", None, None),
               "wijk_productcategorie": lambda k: [(k[0], "wijk", None, k[3]), (k[0], "productcategorie", k[2], None)]}
    groups = defaultdict(list)
    for key, suppressed in by_key.items():
        if key[1] in parents:
            found = parents[key[1]](key)
            for parent in found if isinstance(found, list) else [found]:
                groups[parent].append(suppressed)
    return [parent for parent, children in groups.items() if not by_key.get(parent, True) and sum(children) == 1]


def test_the_backlog_builds_up_in_summer_and_in_the_staff_shortage(demo_run):
    settings, _ = demo_run
    over = dict(gold(settings, """select peildatum, meldingen_over_termijn from sociaal_domein_wachtlijst
                                   where wet = 'wmo' and niveau = 'gemeente'"""))
    spring_2024 = over[gt.dt.date(2024, 4, 7)]
    assert over[gt.dt.date(2024, 9, 1)] > spring_2024 + 5
    assert over[gt.dt.date(2025, 2, 2)] > spring_2024 + 5


# Per law: the landing folder of its berichten, its name in bronze, silver and gold, its regeling in the case export
LAWS = {"wmo": ("iwmo", "wmo", "WMO"), "jeugd": ("ijw", "jeugdwet", "JEUGD")}


def _longer_wait(rows, long: str, short: str, factor: float) -> bool:
    """Whether every aanbieder of one productcategorie has a median wait `factor` times the other's longest."""
    return min(r[5] for r in rows if r[1] == long) > factor * max(r[5] for r in rows if r[1] == short)


@pytest.mark.parametrize("law", LAWS)
def test_provider_waits_match_the_berichten(demo_run, law):
    from tests import wmo_truth

    settings, _ = demo_run
    folder, wet, regeling = LAWS[law]
    waits = wmo_truth.provider_waits(settings.landing / folder, settings.landing / "zorgned", settings.peildatum,
                                     regeling)
    rows = gold(settings, """select aanbieder, productcategorie, onderdrukt, toewijzingen, gestart,
                             dagen_tot_start_mediaan, wachtend from sociaal_domein_wachttijd_aanbieder
                             where niveau = 'aanbieder_productcategorie' and wet = ?""", [wet])
    assert {(r[0], r[1]) for r in rows} == set(waits)
    for aanbieder, categorie, onderdrukt, toewijzingen, gestart, mediaan, wachtend in rows:
        pairs = waits[(aanbieder, categorie)]
        days = [(start - assigned).days for assigned, start, _ in pairs if start and start >= assigned]
        waiting = sum(start is None and (einde is None or einde >= settings.peildatum) for _, start, einde in pairs)
        assert not onderdrukt
        assert (toewijzingen, gestart, wachtend) == (len(pairs), len(days), waiting)
        assert mediaan == pytest.approx(statistics.median(days))
    if law == "wmo":  # providers of Begeleiding have long waiting lists
        assert _longer_wait(rows, "02", "01", 3)
    else:  # jeugd-ggz waits weeks, twice as long as ambulant jeugdhulp
        assert _longer_wait(rows, "54", "45", 2) and min(r[5] for r in rows if r[1] == "54") >= 28


@pytest.mark.parametrize("law", LAWS)
def test_corrections_and_withdrawals_leave_the_current_truth_in_silver(demo_run, law):
    from tests import wmo_truth

    settings, _ = demo_run
    folder, wet, _ = LAWS[law]
    toewijzingen, begins = wmo_truth.iwmo_current(settings.landing / folder)
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        silver = {r[0]: r[1:] for r in db.execute("""select toewijzing_id, toewijzingsdatum, einddatum, gemeentecode
            from silver.toewijzing where bron_systeem = 'iwmo' and origineel_ontvangen and wet = ?""",
                                                  [wet]).fetchall()}
        starts = dict(db.execute("""select l.toewijzing_id, l.begindatum from silver.levering as l
            join silver.toewijzing as t using (wet, gemeentecode, toewijzing_id)
            where t.bron_systeem = 'iwmo' and l.begindatum is not null and t.wet = ?""", [wet]).fetchall())
        stored = db.execute("""select count(*) filter (where status_aanlevering = '3'),
            count(*) filter (where status_aanlevering = '2'), count(*) filter (where reden_wijziging = '13'),
            count(*) filter (where reden_wijziging is not null), count(distinct versie) from read_parquet(?)
            where wet = ?""", [f"{settings.bronze}/iwmo/product/*.parquet", wet]).fetchone()
    withdrawn_starts, changed_stops, deleted, changed, versions = stored
    # bronze keeps every delivery; the Wmo has its 2.0 years
    assert withdrawn_starts > 40 and changed_stops > 5 and deleted > 20 and changed > 60
    assert versions == (2 if law == "wmo" else 1)
    assert {k: (on, einde, "GM0301") for k, (_, _, on, einde) in toewijzingen.items()} == silver
    assert {k: v for k, v in begins.items() if k in silver} == starts


def test_a_case_export_without_client_block_is_read_and_counted_as_one_client_at_most(demo_run):
    settings, _ = demo_run
    [anonymous] = [p for p in (settings.landing / "zorgned").glob("*.json") if '"client"' not in p.read_text()]
    records = len(json.loads(anonymous.read_text())["_embedded"]["aanvraag"])
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        kept = db.execute("select count(*), count(persoon_pseudoniem) from read_parquet(?) where bron_bestand = ?",
                          [f"{settings.bronze}/zorgned/aanvraag/*.parquet", anonymous.name]).fetchone()
    assert kept == (records, 0)


def test_wmo_contradictions_are_findings_in_dq_resultaten_not_drops(demo_run):
    from tests import wmo_truth

    settings, result = demo_run
    both_laws = wmo_truth.cases(settings.landing / "zorgned", ("WMO", "JEUGD"))
    after = sum(1 for c in both_laws.values() if c.aanvraag and c.beschikking and c.aanvraag > c.beschikking)
    assert after > 10
    findings = dict((r[0], r[1]) for r in gold(settings, """
        select tabel || '.' || kolom, aantal_onverwacht from dq_resultaten
        where run_id = ? and kolom in ('datumvolgorde_geldig', 'beschikking_bekend', 'start_na_toewijzing', 'bsn_geldig')""",
        [result.run_id]))
    assert findings["silver.aanvraag_wmo_jeugd.datumvolgorde_geldig"] == after
    assert findings["silver.toewijzing.beschikking_bekend"] > 0  # toewijzingen without a beschikking
    assert findings["silver.levering.start_na_toewijzing"] > 0  # care started before the toewijzing
    assert findings["bronze.zorgned_aanvraag.bsn_geldig"] > 0  # elfproef findings
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        assert db.execute("select count(*) from silver.aanvraag_wmo_jeugd where not datumvolgorde_geldig").fetchone()[0] == after
        # An iWmo 3.x toewijzing names no beschikking by specification: not an orphan, nothing to look up
        unnamed = db.execute("select count(*), count(beschikking_bekend) from silver.toewijzing "
                             "where beschikkingnummer is null").fetchone()
        orphans = db.execute("select count(*) from silver.toewijzing where not beschikking_bekend").fetchone()[0]
    assert unnamed[0] > 0 and unnamed[1] == 0
    assert findings["silver.toewijzing.beschikking_bekend"] == orphans


# The social-domain tables (the GGM's names): the Jeugd tests below name them only here.
SOCIAAL_DOMEIN_SILVER = ("melding_wmo_jeugd", "aanvraag_wmo_jeugd", "beschikte_voorziening", "toewijzing", "levering")


LEVERING = "levering"


WACHTLIJST, DOORLOOPTIJDEN, WACHTTIJD_AANBIEDER = (
    "sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder")


def test_jeugd_is_in_every_social_domain_table_of_silver_and_gold_beside_the_wmo(demo_run):
    settings, _ = demo_run
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        for table in SOCIAAL_DOMEIN_SILVER:
            laws = dict(db.execute(f"select wet, count(*) from silver.{table} group by wet").fetchall())
            assert laws.keys() == {"wmo", "jeugdwet"} and laws["jeugdwet"] > 1_000, (table, laws)
    for table in (WACHTLIJST, DOORLOOPTIJDEN, WACHTTIJD_AANBIEDER):
        laws = dict(gold(settings, f"select wet, count(*) filter (where not onderdrukt) from {table} group by wet"))
        assert laws.keys() == {"wmo", "jeugdwet"} and laws["jeugdwet"] > 0, (table, laws)


def test_about_one_young_inhabitant_in_ten_had_jeugdhulp_in_the_last_year(demo_run):
    settings, _ = demo_run
    year_ago = settings.peildatum - gt.dt.timedelta(days=365)
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        [(clients,)] = db.execute(f"""select count(distinct persoon_pseudoniem) from silver.{LEVERING}
            where wet = 'jeugdwet' and begindatum <= ? and coalesce(einddatum, ?) >= ?""",
                                  [settings.peildatum, settings.peildatum, year_ago]).fetchall()
        ages = dict(db.execute("""select leeftijdsklasse, count(*) from read_parquet(?) where wet = 'jeugdwet'
            group by 1""", [f"{settings.bronze}/iwmo/product/*.parquet"]).fetchall())
    # The demo's 48,000 inhabitants are older than the Dutch (about a fifth is 0-23, 10,500): one in ten of them
    # is 1,050, 22 per 1,000 inhabitants.
    assert 0.018 < clients / DEMO_INWONERS < 0.026
    assert ages.keys() == {"0-17", "18-29"} and ages["0-17"] > 0.8 * sum(ages.values())  # verlengde jeugdhulp to 23


def test_the_aanbieders_verzoeken_name_their_verwijzers(demo_run):
    settings, _ = demo_run
    with duckdb.connect() as db:
        rows = db.execute("""select productcategorie, verwijzer_type, count(*) from read_parquet(?)
            where berichttype = 'JW315' group by all""", [f"{settings.bronze}/iwmo/product/*.parquet"]).fetchall()
    per_type = Counter()
    for _, verwijzer, count in rows:
        per_type[verwijzer] += count
    total = sum(per_type.values())
    assert set(per_type) == {"01", "02", "03", "04", "05", "06", "08"}  # COD327, every JW315 names one
    assert per_type.most_common(1)[0][0] == "02" and 0.35 < per_type["02"] / total < 0.5  # huisarts
    assert 0.2 < per_type["01"] / total < 0.32  # gemeente
    # a gecertificeerde instelling or the rechter refers to jeugdbescherming and jeugdreclassering only
    assert {c for c, v, _ in rows if v in ("04", "08")} == {"47", "48"}
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        verzoeken, answered, known = db.execute("""select count(*), count(toewijzing_id), count(*) filter (where verwijzer_bekend)
            from silver.verzoek_om_toewijzing where wet = 'jeugdwet'""").fetchone()
    assert verzoeken > 1_000 and answered > 0.8 * verzoeken and known == verzoeken
    # gold reads the waiting list's causes by verwijzer: per week, who came in through a huisarts, a jeugdarts, ...
    instroom = dict(gold(settings, """select verwijzer_type, sum(instroom) from sociaal_domein_instroom_uitstroom
        where wet = 'jeugdwet' and fase = 'verzoek' and niveau = 'verwijzer' and not onderdrukt group by 1"""))
    assert max(instroom, key=instroom.get) == "02" and {"01", "02", "05"} <= instroom.keys()


def test_jeugd_aanvragen_run_past_the_awb_term_with_no_onderzoek_term(demo_run):
    settings, _ = demo_run
    over, onderzoek_term = gold(settings, f"""select sum(aanvragen_over_termijn), count(meldingen_over_termijn)
        from {WACHTLIJST} where wet = 'jeugdwet' and niveau = 'gemeente'""")[0]
    assert over > 50 and onderzoek_term == 0  # the Jeugdwet has no onderzoek term: never a number


def test_no_ijw_file_of_the_demo_is_set_aside(demo_run):
    settings, _ = demo_run
    landed = {p.name for p in (settings.landing / "ijw").glob("*.xml")}
    with duckdb.connect() as db:
        read = {r[0] for r in db.execute("select distinct bron_bestand from read_parquet(?) where wet = 'jeugdwet'",
                                         [f"{settings.bronze}/iwmo/bericht/*.parquet"]).fetchall()}
    assert len(landed) > 5_000 and read == landed
    assert {name for name in landed if name.split("_")[0] in ("JW302", "JW306", "JW308")}  # retours are read too
    assert not (settings.quarantine / "bestanden").exists() and not (settings.quarantine / "records" / "iwmo").exists()
