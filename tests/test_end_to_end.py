"""The demo municipality through the real Dagster definitions: gold checked against plain-Python figures."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections import Counter, defaultdict

import duckdb
import pytest

from benchmarks import pandas_fixi
from benchmarks.compare import parquet, same_rows
from benchmarks.floor import build as build_floor
from pipelines.dbt_in_process import PROJECT_MANIFEST
from pipelines.demo.municipality import DEMO_INWONERS
from pipelines.transform import compile_models
from tests import ground_truth as gt
from tests.conftest import all_stored_strings


def gold(settings, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return db.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def truth(demo_run):
    settings, _ = demo_run
    return gt.latest_state(gt.read_landing(settings.landing / "fixi"))


def test_the_run_succeeds_with_every_check_passing_or_only_warning(demo_run):
    _, result = demo_run
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 30  # dbt tests and one GX suite per Fixi table
    errors = [c for c in checks if not c.passed and c.severity.value == "ERROR"]
    assert errors == []


def test_gold_tables_are_published_as_parquet_and_views(demo_run):
    settings, _ = demo_run
    tables = {row[0]: row[1] for row in gold(settings, "select tabel, aantal_rijen from publicatie")}
    assert set(tables) == {"fixi_meldingen_week", "fixi_pieken", "fixi_afhandeling", "fixi_piek_oorzaken",
                           "fixi_prognose", "dq_resultaten",
                           "sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder",
                           "sociaal_domein_instroom_uitstroom",
                           "reisdocumenten_verloop_maand", "reisdocumenten_aanvragen_week", "reisdocumenten_prognose"}
    for name, rows in tables.items():
        assert (settings.gold / f"{name}.parquet").exists()
        assert gold(settings, f"select count(*) from {name}")[0][0] == rows > 0


def test_demo_has_realistic_volume(truth):
    per_year = Counter(m.created.year for m in truth.values())
    assert 13_500 <= per_year[2025] <= 16_500  # about 15,000 reports a year for 48,000 inhabitants


def test_weekly_counts_match_the_landing_files(demo_run, truth):
    settings, _ = demo_run
    expected = Counter((gt.week_start(m.created), m.categorie) for m in truth.values())
    actual = {(w, c): n for w, c, n in gold(
        settings, "select week_start, categorie, sum(aantal_meldingen) from fixi_meldingen_week group by all")}
    assert actual == dict(expected)
    peaks = {(w, c): n for w, c, n in gold(settings, "select week_start, categorie, aantal_meldingen from fixi_pieken")}
    assert {k: v for k, v in peaks.items() if v} == dict(expected)


def test_handled_counts_and_handling_times_match_the_landing_files(demo_run, truth):
    settings, _ = demo_run
    groups = defaultdict(list)
    for m in truth.values():
        groups[(gt.week_start(m.created), m.categorie)].append(m)
    rows = gold(settings, """
        select week_start, categorie, sum(aantal_afgehandeld) from fixi_meldingen_week group by all""")
    assert {(w, c): n for w, c, n in rows} == {
        k: sum(m.status == "afgehandeld" for m in ms) for k, ms in groups.items()
    }
    # Medians per week, categorie and wijk: check every cell of one busy categorie in full.
    cells = gold(settings, """
        select week_start, wijkcode, doorlooptijd_dagen_mediaan, doorlooptijd_dagen_p90, doorlooptijd_werkdagen_mediaan
        from fixi_meldingen_week where categorie = 'Openbaar groen' and wijkcode is not null""")
    by_cell = defaultdict(list)
    wijk_of = _wijk_per_melding(settings)
    for m in truth.values():
        if m.categorie == "Openbaar groen" and gt.handled_days(m) is not None:
            by_cell[(gt.week_start(m.created), wijk_of[m.melding_id])].append(m)
    assert len(cells) > 100
    for week, wijk, median_days, p90_days, median_working in cells:
        handled = by_cell.get((week, wijk), [])
        if not handled:
            assert median_days is None
            continue
        days = sorted(gt.handled_days(m) for m in handled)
        assert median_days == pytest.approx(statistics.median(days))
        expected_p90 = statistics.quantiles(days, n=10, method="inclusive")[8] if len(days) > 1 else days[0]
        assert p90_days == pytest.approx(expected_p90)
        assert median_working == pytest.approx(statistics.median(gt.working_days(m) for m in handled))


def _wijk_per_melding(settings) -> dict[str, str]:
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        return dict(db.execute("select melding_id, wijkcode from silver.fixi_melding").fetchall())


def test_backlog_and_share_within_term_match_the_landing_files(demo_run, truth):
    settings, _ = demo_run
    terms = {c: int(t) for c, t in gt._seed("fixi_categorie.csv", "categorie", "afhandeltermijn_werkdagen").items()}
    handled_in_month = Counter()
    within = Counter()
    for m in truth.values():
        if gt.handled_days(m) is not None:
            key = (m.closed.date().replace(day=1), m.categorie)
            handled_in_month[key] += 1
            within[key] += gt.working_days(m) <= terms[m.categorie]
    rows = gold(settings, "select maand_start, categorie, aantal_afgehandeld, aantal_binnen_termijn from fixi_afhandeling")
    assert {(r[0], r[1]): (r[2], r[3]) for r in rows if r[2]} == {k: (n, within[k]) for k, n in handled_in_month.items()}
    # Backlog at the end of May 2026 for Wegen en trottoirs: made by then, not yet left the backlog.
    end_of_may = gt.dt.datetime(2026, 6, 1)
    open_then = sum(
        1 for m in truth.values()
        if m.categorie == "Wegen en trottoirs" and m.created < end_of_may and not _left_backlog_before(m, end_of_may)
    )
    assert gold(settings, """select openstaand_einde_maand from fixi_afhandeling
                             where categorie = 'Wegen en trottoirs' and maand_start = '2026-05-01'""")[0][0] == open_then


def _left_backlog_before(m: gt.Melding, moment) -> bool:
    if m.status != "afgehandeld":
        return False
    left = m.closed if (m.closed is not None and m.closed >= m.created) else max(m.created, m.modified or m.created)
    return left < moment


def test_new_year_litter_is_flagged_as_a_peak(demo_run):
    settings, _ = demo_run
    peaks = gold(settings, """select week_start, verhouding, drukste_wijknaam from fixi_pieken
                              where categorie = 'Afval en zwerfafval' and is_piek""")
    for year in (2024, 2025, 2026):
        new_year = gt.dt.date(year, 1, 1)
        week = [p for p in peaks if p[0] <= new_year <= p[0] + gt.dt.timedelta(days=6)]
        assert week, f"no litter peak in the week of New Year {year}"
        assert week[0][1] >= 1.5 and week[0][2]
    quiet_summer = [p for p in peaks if p[0].month == 6 and p[0].year == 2025]
    assert quiet_summer == []


def test_dirty_records_are_kept_flagged_and_counted_in_dq_resultaten(demo_run, truth):
    settings, result = demo_run
    closed_before_created = sum(1 for m in truth.values() if m.closed is not None and m.closed < m.created)
    assert closed_before_created > 50
    rows = gold(settings, """
        select aantal_onverwacht, dimensie, ernst, geslaagd from dq_resultaten
        where tabel = 'silver.fixi_melding' and kolom = 'datumvolgorde_geldig' and run_id = ?""", [result.run_id])
    assert rows == [(closed_before_created, "consistentie", "critical", True)]
    dimensions = {r[0] for r in gold(settings, "select distinct dimensie from dq_resultaten")}
    assert {"volledigheid", "geldigheid", "uniciteit", "actualiteit", "consistentie"} <= dimensions
    suites = {r[0] for r in gold(settings, "select distinct tabel from dq_resultaten where run_id = ?", [result.run_id])}
    assert {"bronze.fixi_melding", "silver.fixi_melding", "gold.fixi_meldingen_week", "gold.fixi_pieken",
            "gold.fixi_afhandeling"} <= suites


def test_every_dbt_test_is_a_result_in_dq_resultaten_beside_the_suites(demo_run):
    """Keys and relationships are tested by dbt, not a second time by GX: their outcomes are result rows too."""
    settings, result = demo_run
    tests = [n for n in json.loads(PROJECT_MANIFEST.read_text())["nodes"].values() if n["resource_type"] == "test"]
    rows = gold(settings, """
        select tabel, expectation, kolom, dimensie, ernst, geslaagd, aantal_onverwacht, aantal_rijen, berekend_in_run
        from dq_resultaten where run_id = ? and expectation like 'dbt.%'""", [result.run_id])
    assert len(rows) == len(tests) > 60
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        meldingen = db.execute("select count(*) from silver.fixi_melding").fetchone()[0]
    assert [r for r in rows if r[:2] == ("silver.fixi_melding", "dbt.unique_combination")] == [
        ("silver.fixi_melding", "dbt.unique_combination", "gemeentecode, melding_id", "uniciteit", "critical", True, 0,
         meldingen, result.run_id)]
    assert {r[3] for r in rows} == {"uniciteit", "volledigheid", "geldigheid", "consistentie"}
    checked = {r[0] for r in gold(settings, "select distinct tabel from dq_resultaten where laag <> 'bronze'")}
    assert checked <= {r[0] for r in rows if r[3] == "uniciteit"}  # every silver and gold table: its key


def test_quarantine_names_file_record_and_reason(demo_run):
    settings, _ = demo_run
    with duckdb.connect() as db:
        rows = db.execute(f"""select bron_bestand, bron_record, reden
            from read_parquet('{settings.quarantine}/records/*/*.parquet')""").fetchall()
    reasons = Counter(r[2].split(" ")[0] for r in rows)
    assert reasons["melding"] > 0  # without a meldingnummer
    assert any("the page is cut off or corrupt" in r[2] for r in rows)
    assert any("is not a valid" in r[2] for r in rows)  # 31 February and 30 February
    for file, record, _ in rows:
        assert (settings.landing / "fixi" / file).exists() and record >= 1


def test_every_silver_melding_traces_back_to_its_landing_record(demo_run, truth):
    settings, _ = demo_run
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        rows = db.execute("select melding_id, bron_bestand, bron_record from silver.fixi_melding").fetchall()
    sources = defaultdict(set)
    for m in gt.read_landing(settings.landing / "fixi"):
        sources[m.melding_id].add(m.source)
    assert len(rows) == len(truth)
    assert all((file, record) in sources[melding] for melding, file, record in rows)


def test_openlineage_events_cover_every_asset_with_column_lineage(demo_run):
    settings, result = demo_run
    events = [json.loads(p.read_text()) for p in settings.lineage.glob(f"events/*/{result.run_id}/*.json")]
    by_job = defaultdict(set)
    for e in events:
        by_job[e["job"]["name"]].add(e["eventType"])
        if e["run"]["runId"] != result.run_id:  # the Dagster run's own events are the parent
            assert e["run"]["facets"]["parent"]["run"]["runId"] == result.run_id
    for job in ("bronze.fixi", "silver.fixi_melding", "gold.fixi_pieken", "gold.publicatie_fixi"):
        assert by_job[job] == {"START", "COMPLETE"}, job
    week = next(e for e in events if e["job"]["name"] == "gold.fixi_meldingen_week" and e["eventType"] == "COMPLETE")
    lineage = week["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert {"name": "silver.fixi_melding", "field": "doorlooptijd_werkdagen"}.items() <= \
        lineage["doorlooptijd_werkdagen_mediaan"]["inputFields"][0].items()
    assert (settings.dbt_docs / "index.html").exists() and (settings.dbt_docs / "catalog.json").exists()


def test_column_lineage_follows_every_model_back_to_the_bronze_columns(demo_run):
    settings, result = demo_run
    lineage = {m.asset_key.to_user_string(): m.materialization.metadata["dagster/column_lineage"].value.deps_by_column
               for m in result.get_asset_materialization_events()
               if m.asset_key.path[0] in ("silver", "gold") and "dagster/column_lineage" in m.materialization.metadata}
    manifest = json.loads(PROJECT_MANIFEST.read_text())
    models = {f"{n['schema']}/{n['alias']}" for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert set(lineage) == models
    assert all(any(deps for deps in columns.values()) for columns in lineage.values())

    def inputs(table: str, column: str) -> set[str]:
        return {f"{d.asset_key.to_user_string()}.{d.column_name}" for d in lineage[table][column]}

    melding = "silver/fixi_melding"
    assert inputs(melding, "datum_melding") == {"bronze/fixi_melding.datum_melding"}
    assert inputs(melding, "doorlooptijd_werkdagen") >= {"bronze/fixi_melding.datum_melding",
                                                         "bronze/fixi_melding.datum_afgehandeld",
                                                         "silver/kalender.werkdag_volgnummer"}
    # Deliveries are merged field by field: the key and the delivery order choose the row, the value is the column's.
    choosing = {f"bronze/brp_reisdocument.{c}" for c in ("gemeentecode", "reisdocumentnummer", "persoon_pseudoniem",
                                                         "geladen_op", "bron_bestand", "bron_record")}
    assert inputs("silver/reisdocument", "datum_einde_geldigheid") - choosing == {
        "bronze/brp_reisdocument.datum_einde_geldigheid"}
    # iWmo messages and the case-management export both feed the toewijzingen
    assert inputs("silver/toewijzing", "aanbieder") == {"bronze/iwmo_product.aanbieder",
                                                            "bronze/zorgned_toewijzing.aanbieder"}
    events = [json.loads(p.read_text()) for p in settings.lineage.glob(f"events/*/{result.run_id}/*.json")]
    silver = next(e for e in events if e["job"]["name"] == "silver.fixi_melding" and e["eventType"] == "COMPLETE")
    assert silver["outputs"][0]["facets"]["columnLineage"]["fields"]["datum_melding"]["inputFields"] == [
        {"namespace": silver["outputs"][0]["namespace"], "name": "bronze.fixi_melding", "field": "datum_melding"}]


def test_dagster_records_row_counts_schemas_owners_and_privacy(demo_run):
    from pipelines.definitions import defs

    settings, result = demo_run
    materialisations = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    week = materialisations["gold/fixi_meldingen_week"].materialization.metadata
    assert week["dagster/row_count"].value == gold(settings, "select count(*) from fixi_meldingen_week")[0][0]
    assert materialisations["bronze/fixi_melding"].materialization.metadata["records_quarantined"].value > 0
    graph = defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        spec = graph.get(key)
        if key.path[0] in ("silver", "gold") and key.path[-1] != "publicatie":
            assert spec.owners, key
            assert spec.metadata.get("privacy") in ("openbaar", "intern", "vertrouwelijk"), key
            assert spec.description, key
        if schema := spec.metadata.get("dagster/column_schema"):  # a privacy class on every column, bronze too
            assert {c.tags.get("privacy") for c in schema.columns} <= {"openbaar", "intern", "vertrouwelijk"}, key
    toewijzing = graph.get(gt_key("silver", "toewijzing")).metadata["dagster/column_schema"].columns
    assert {c.tags["privacy"] for c in toewijzing} == {"vertrouwelijk"}  # Jeugd: minors, a special category
    bronze_columns = graph.get(gt_key("bronze", "fixi_melding")).metadata["dagster/column_schema"].columns
    assert "melding_id" in [c.name for c in bronze_columns]
    gold_columns = graph.get(gt_key("gold", "fixi_pieken")).metadata["dagster/column_schema"].columns
    assert {"is_piek", "verwacht_aantal"} <= {c.name for c in gold_columns}


def gt_key(*path):
    import dagster as dg

    return dg.AssetKey(list(path))


def _personal_data_in_landing(folder) -> set[str]:
    """Reporter names, e-mail addresses, phone numbers, free text, streets and full postcodes in the exports."""
    values = set()
    for path in folder.iterdir():
        if path.suffix == ".csv":
            for row in gt.csv.DictReader(gt.io.StringIO(path.read_bytes().decode("cp1252")), delimiter=";"):
                values |= {row[c] for c in ("Naam melder", "E-mail melder", "Telefoon melder", "Omschrijving", "Adres",
                                            "Postcode")}
        else:
            for issue in gt.api_issues(path.read_text(encoding="utf-8")):
                details = issue["addressDetails"]
                values |= {issue["description"], issue["address"], details["postcode"],
                           f"{details['street']} {details['houseNumber']}"}
    return {v for v in values if v}


def test_no_personal_data_or_free_text_in_bronze_silver_or_gold(demo_run):
    settings, _ = demo_run
    personal = _personal_data_in_landing(settings.landing / "fixi")
    assert len(personal) > 10_000  # the demo exports really do carry names, e-mails, phones and text
    stored = all_stored_strings(settings)
    assert personal & stored == set()
    assert not [s for s in stored if "@" in s or "Bel mij" in s]


# ------------------------------------------------------------------------------------------------- Wmo


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


def test_no_bsn_name_address_or_email_of_wmo_or_jeugd_clients_in_any_zone(demo_run):
    from tests import wmo_truth

    settings, _ = demo_run
    landing = settings.landing
    personal = wmo_truth.personal_data(landing / "zorgned", landing / "iwmo", landing / "ijw")
    assert len(personal) > 5_000
    assert personal & all_stored_strings(settings) == set()


# ------------------------------------------------------------------------------------------------- Jeugd

# The social-domain tables (the GGM's names): the Jeugd tests below name them only here.
SOCIAAL_DOMEIN_SILVER = ("melding_wmo_jeugd", "aanvraag_wmo_jeugd", "beschikte_voorziening", "toewijzing", "levering")
LEVERING = "levering"
WACHTLIJST, DOORLOOPTIJDEN, WACHTTIJD_AANBIEDER = "sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder"


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


# ------------------------------------------------------------------------------------------ reisdocumenten


def _gba_rows(settings):
    text = (settings.landing / "brp" / "brp_reisdocumenten_gba.csv").read_text(encoding="utf-8-sig")
    return list(gt.csv.DictReader(gt.io.StringIO(text), delimiter=";"))


def _applications(settings):
    rows = []
    for path in sorted((settings.landing / "burgerzaken").glob("*.csv")):
        rows += list(gt.csv.DictReader(gt.io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"))
    return rows


def test_expiries_show_the_2024_2029_renewal_peak(demo_run):
    settings, _ = demo_run
    per_year = dict(gold(settings, """select year(maand_start), sum(aantal_verlopend) from reisdocumenten_verloop_maand
                                      where soort in ('PN', 'NI') group by 1"""))
    dip = statistics.mean(per_year[y] for y in range(2019, 2024))
    peak = statistics.mean(per_year[y] for y in range(2024, 2029))
    assert peak > 2.5 * dip
    assert max(per_year) >= 2036  # ten years ahead of the peildatum
    forecast = gold(settings, "select maand_start, verwacht from reisdocumenten_prognose where verwacht is not null")
    assert len(forecast) == 2 * 24  # PN and NI
    assert statistics.mean(v for _, v in forecast) > 1.5 * dip / 12 / 2  # per soort and month, above the dip
    peaks = [m for (m,) in gold(settings, "select maand_start from reisdocumenten_prognose where is_piek")]
    assert peaks and all(2024 <= m.year <= 2029 for m in peaks)


def test_weekly_applications_match_the_counter_exports(demo_run):
    settings, _ = demo_run
    expected = Counter()
    for row in _applications(settings):
        day = gt.dt.datetime.strptime(row["Aanvraagdatum"], "%d-%m-%Y").date()
        expected[(day - gt.dt.timedelta(days=day.weekday()), row["Soort"], row["Locatie"])] += 1
    actual = {(w, s, loc): n for w, s, loc, n in gold(
        settings, "select week_start, soort, locatie, aantal_aanvragen from reisdocumenten_aanvragen_week")}
    assert actual == dict(expected)
    kings_day = gold(settings, "select distinct feestdag_namen from reisdocumenten_aanvragen_week "
                               "where week_start = '2025-04-21'")
    assert kings_day and "Koningsdag" in kings_day[0][0]


def test_the_demo_backtest_is_reasonable(demo_run):
    settings, _ = demo_run
    errors = [abs(r[0]) for r in gold(settings, "select backtest_afwijking from reisdocumenten_prognose "
                                                "where backtest_afwijking is not null")]
    assert len(errors) == 2 * 12 and statistics.mean(errors) < 0.25


def test_no_bsn_or_name_anywhere_and_no_document_number_in_gold(demo_run):
    settings, _ = demo_run
    gba, applications = _gba_rows(settings), _applications(settings)
    bsns = {r["01.01.20"] for r in gba if r["01.01.20"]} | {r["BSN"] for r in applications}
    names = {r["01.02.40"] for r in gba if r["01.02.40"]}
    numbers = {r["12.35.20"] for r in gba}
    assert len(bsns) > 30_000 and len(numbers) > 50_000
    stored = all_stored_strings(settings)
    assert bsns & stored == set()
    full_names = {f"{r['01.02.10']} {r['01.02.40']}" for r in gba if r["01.02.40"]}
    assert full_names & stored == set() and len(names) > 100
    with duckdb.connect() as db:
        gold_strings = set()
        for path in settings.gold.glob("*.parquet"):
            for (name,) in db.execute(f"select column_name from (describe select * from read_parquet('{path}')) "
                                      "where column_type = 'VARCHAR'").fetchall():
                gold_strings |= {v for (v,) in db.execute(f'select distinct "{name}" from read_parquet(\'{path}\')').fetchall()}
    assert numbers & gold_strings == set()


def test_the_benchmark_baselines_compute_the_same_gold_as_the_pipeline(demo_run, tmp_path):
    """`make bench` compares the pipeline with a pandas script and with its own SQL on bare DuckDB; both must
    agree with the published gold, or their timings compare different work."""
    settings, _ = demo_run
    weeks = pandas_fixi.per_week(pandas_fixi.meldingen(settings.bronze, settings.peildatum))
    weeks.to_parquet(tmp_path / "pandas.parquet", index=False)
    manifest = json.loads(compile_models(settings, tmp_path / "dbt").read_text())
    seconds = build_floor(settings.build_db, manifest, tmp_path / settings.build_db.name, settings)

    assert len(weeks) > 5_000 and set(seconds) >= {"silver.fixi_melding", "gold.fixi_meldingen_week"}
    with duckdb.connect() as db:
        db.execute(f"attach '{tmp_path / settings.build_db.name}' as floor (read_only)")
        published = parquet(settings.gold / "fixi_meldingen_week.parquet")
        assert same_rows(db, parquet(tmp_path / "pandas.parquet"), published)
        for table in ("fixi_meldingen_week", "sociaal_domein_wachtlijst", "reisdocumenten_prognose"):
            assert same_rows(db, f"floor.gold.{table}", parquet(settings.gold / f"{table}.parquet")), table
        # and the comparison itself notices a difference
        assert not same_rows(db, f"(select * from {published} limit 10)", published)


def test_a_large_table_is_checked_in_slices_with_the_outcomes_of_the_whole(demo_run, monkeypatch):
    """Above SLICE_ROWS a table never enters pandas whole; its outcomes equal those of validating it whole."""
    from pipelines.quality import suites

    settings, _ = demo_run

    def outcomes() -> dict[str, list[tuple]]:
        # full_refresh: bronze suites count every part again rather than add to the counts kept by the run
        recount = dataclasses.replace(settings, full_refresh=True)
        return {suite.name: sorted((o.expectation, o.kolom or "", o.omschrijving, o.geslaagd, o.aantal_rijen,
                                    o.aantal_onverwacht, _number(o.percentage_onverwacht), _number(o.waargenomen))
                                   for o in suites.run_suite(suite, recount, "recount")) for suite in suites.load_suites()}

    whole = outcomes()
    slices = []
    monkeypatch.setattr(suites, "_frames", _recording(suites._frames, slices))
    monkeypatch.setattr(suites, "SLICE_ROWS", 5_000)
    assert outcomes() == whole
    # The Fixi and BRP tables have 45,000 to 91,000 rows; GX sees those that could fail a per-row expectation or
    # repeat a key, and the rows of the expectations SQL cannot screen, in slices
    assert len(slices) > 20 and max(slices) <= 5_000
    assert sum(1 for results in whole.values() for o in results if o[5]) >= 5  # real findings were compared


def _recording(slicer, sizes: list[int]):
    def recorded(*args):
        for frame in slicer(*args):
            sizes.append(len(frame))
            yield frame
    return recorded


def _number(value):
    """Percentages and observed means to 9 significant digits: pandas and DuckDB sum in a different order."""
    try:
        return float(f"{float(value):.9g}")
    except (TypeError, ValueError):
        return value
