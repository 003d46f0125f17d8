"""What a model was built from decides whether a run builds it again, judged on the project's real manifest."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json

import duckdb
import pytest

from pipelines.bronze.parts import write_parquet
from pipelines.bronze.tables import FIXI_MELDING
from pipelines.dbt.manifest import PROJECT_MANIFEST
from pipelines.dbt.rebuild import Inputs, current_inputs, decide, definition_fingerprint, record_builds, to_rebuild_whole
from pipelines.dbt.state import STATE_FILE, older_format, recorded_builds
from tests.conftest import copy_data_root, run_lakehouse

FIXI_MELDING_MODEL = "model.lakehouse.fixi_melding"
WEEK = "model.lakehouse.fixi_meldingen_week"
SILVER_FIXI = [FIXI_MELDING_MODEL, "seed.lakehouse.fixi_categorie", "seed.lakehouse.fixi_categorie_bron",
               "seed.lakehouse.fixi_status"]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(PROJECT_MANIFEST.read_text())


def changed(manifest: dict, uid: str) -> dict:
    """A copy of the manifest in which node or macro `uid` has other content."""
    other = copy.deepcopy(manifest)
    if uid in other["nodes"]:
        other["nodes"][uid]["checksum"]["checksum"] = "0" * 64
    else:
        other["macros"][uid]["macro_sql"] += "\n-- changed"
    return other


def bronze_part(settings, name: str) -> None:
    moment = dt.datetime.combine(settings.peildatum, dt.time(9))
    write_parquet([{"melding_id": name, "gemeentecode": "GM0301", "categorie_bron": "Straatverlichting",
                    "status_bron": "open", "datum_melding": moment, "bron_formaat": "backoffice_csv",
                    "bron_systeem": "fixi", "bron_bestand": f"{name}.csv", "bron_bestand_hash": name,
                    "bron_record": 2, "run_id": name, "geladen_op": moment}],
                  FIXI_MELDING, settings.bronze / FIXI_MELDING.folder / f"{name}.parquet")


@pytest.mark.parametrize("upstream", [
    FIXI_MELDING_MODEL,                         # its own SQL
    "seed.lakehouse.fixi_categorie",            # a codelist it maps categories with
    "model.lakehouse.kalender",                 # a model it reads working days from
    "macro.lakehouse.delivery_rank",            # a macro it calls
    "macro.lakehouse.duckdb__days_between",     # a macro that macro dispatches to
])
def test_a_change_upstream_in_dbt_changes_the_definition(manifest, upstream):
    before = definition_fingerprint(manifest, FIXI_MELDING_MODEL)
    assert definition_fingerprint(changed(manifest, upstream), FIXI_MELDING_MODEL) != before


def test_a_change_downstream_or_elsewhere_leaves_the_definition(manifest):
    before = definition_fingerprint(manifest, FIXI_MELDING_MODEL)
    for uid in [WEEK, "seed.lakehouse.reisdocument_soort", "model.lakehouse.melding_wmo_jeugd"]:
        assert uid in manifest["nodes"]
        assert definition_fingerprint(changed(manifest, uid), FIXI_MELDING_MODEL) == before


def built(*uids: str, inputs: str = "gebouwd") -> dict[str, Inputs]:
    """Inputs that differ from those of another name: only their own code, nothing read."""
    return {uid: Inputs(code=inputs) for uid in uids}


def up_to_date(manifest: dict, inputs: dict[str, Inputs], settings, tables) -> dict[str, dict]:
    """The models a step keeps, each with the record of the build that made its table."""
    return {uid: decision.last_build for uid, decision in decide(manifest, inputs, settings, tables).items()
            if decision.kept}


def test_only_incremental_models_whose_recorded_definition_differs_are_rebuilt_whole(manifest, tmp_path):
    selected = built(FIXI_MELDING_MODEL, "model.lakehouse.wijk_buurt", "seed.lakehouse.fixi_categorie")
    assert set(to_rebuild_whole(manifest, selected, tmp_path)) == {FIXI_MELDING_MODEL}  # nothing recorded yet

    record_builds(manifest, list(selected), set(), selected, "run-1", tmp_path, whole=True)

    assert to_rebuild_whole(manifest, selected, tmp_path) == {}
    reasons = to_rebuild_whole(changed(manifest, "seed.lakehouse.fixi_status"), selected, tmp_path)
    assert list(reasons) == [FIXI_MELDING_MODEL] and "changed since its last build" in reasons[FIXI_MELDING_MODEL]


def test_an_incremental_model_is_rebuilt_whole_after_what_it_reads_besides_bronze_was_rebuilt(manifest, settings):
    """New CBS wijken and buurten move meldingen already in silver: fixi_melding is built from all of bronze."""
    built_referentie(manifest, settings)
    bronze_part(settings, "maandag")
    inputs = current_inputs(manifest, SILVER_FIXI, settings)
    record_builds(manifest, SILVER_FIXI, set(SILVER_FIXI), inputs, "run-1", settings.dbt_state, whole=True)
    bronze_part(settings, "dinsdag")
    assert to_rebuild_whole(manifest, current_inputs(manifest, SILVER_FIXI, settings), settings.dbt_state) == {}

    record_builds(manifest, ["model.lakehouse.wijk_buurt"], {"model.lakehouse.wijk_buurt"},
                  built("model.lakehouse.wijk_buurt", inputs="nieuwe buurten"), "run-2", settings.dbt_state, whole=True)

    reasons = to_rebuild_whole(manifest, current_inputs(manifest, SILVER_FIXI, settings), settings.dbt_state)
    assert reasons == {FIXI_MELDING_MODEL: "a model or codelist it reads was rebuilt since its last build: wijk_buurt"}


def test_gold_built_incrementally_from_silver_is_rebuilt_whole_only_after_silver_was(manifest, settings):
    """fixi_meldingen_week recomputes the weeks of the meldingen fixi_melding added since; a silver rebuilt whole
    (new areas) changes meldingen without a new delivery, which only a whole rebuild of the weeks sees."""
    built_referentie(manifest, settings)
    record_builds(manifest, [FIXI_MELDING_MODEL], {FIXI_MELDING_MODEL}, built(FIXI_MELDING_MODEL, inputs="maandag"),
                  "run-1", settings.dbt_state, whole=True)
    record_builds(manifest, [WEEK], {WEEK}, current_inputs(manifest, [WEEK], settings), "run-1", settings.dbt_state,
                  whole=True)

    record_builds(manifest, [FIXI_MELDING_MODEL], {FIXI_MELDING_MODEL}, built(FIXI_MELDING_MODEL, inputs="dinsdag"),
                  "run-2", settings.dbt_state, whole=False)
    assert to_rebuild_whole(manifest, current_inputs(manifest, [WEEK], settings), settings.dbt_state) == {}

    record_builds(manifest, [FIXI_MELDING_MODEL], {FIXI_MELDING_MODEL}, built(FIXI_MELDING_MODEL, inputs="woensdag"),
                  "run-3", settings.dbt_state, whole=True)
    reasons = to_rebuild_whole(manifest, current_inputs(manifest, [WEEK], settings), settings.dbt_state)
    assert reasons == {WEEK: "a model or codelist it reads was rebuilt since its last build: fixi_melding"}
    # built in the same step as silver, which may yet be rebuilt whole: the weeks are rebuilt whole too
    assert set(to_rebuild_whole(manifest, current_inputs(manifest, [FIXI_MELDING_MODEL, WEEK], settings),
                                settings.dbt_state)) >= {WEEK}


def built_referentie(manifest, settings) -> None:
    """Calendar, areas and the social domain's productcategorieën recorded as built and tested: what silver Fixi
    and Wmo read besides bronze and seeds."""
    referentie = ["model.lakehouse.kalender", "model.lakehouse.wijk_buurt", "model.lakehouse.productcategorie"]
    record_builds(manifest, referentie, set(referentie), built(*referentie), "run-0", settings.dbt_state, whole=True)


def test_new_bronze_parts_change_the_inputs_of_what_reads_them_only(manifest, settings):
    built_referentie(manifest, settings)
    bronze_part(settings, "maandag")
    wmo = ["model.lakehouse.melding_wmo_jeugd", "seed.lakehouse.wmo_productcategorie"]
    before = current_inputs(manifest, SILVER_FIXI + wmo, settings)
    assert None not in [i.fingerprint for i in before.values()]
    assert current_inputs(manifest, SILVER_FIXI + wmo, settings) == before  # the same files: the same inputs

    bronze_part(settings, "dinsdag")

    after = current_inputs(manifest, SILVER_FIXI + wmo, settings)
    assert {uid for uid in before if before[uid].fingerprint != after[uid].fingerprint} == {FIXI_MELDING_MODEL}


def models_changed_by(manifest: dict, settings, peildatum: dt.date) -> set[str]:
    """After a build of everything, the models whose inputs differ when the peildatum moves to `peildatum`."""
    models = [uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"]
    everything = [uid for uid in manifest["nodes"] if not uid.startswith("test.")]
    record_builds(manifest, everything, set(everything), built(*everything), "run-1", settings.dbt_state, whole=True)
    now = current_inputs(manifest, models, settings)
    assert None not in [now[uid].fingerprint for uid in models]
    then = current_inputs(manifest, models, dataclasses.replace(settings, peildatum=peildatum))
    return {manifest["nodes"][uid]["name"] for uid in models if now[uid].fingerprint != then[uid].fingerprint}


def test_a_new_peildatum_changes_the_inputs_of_the_models_that_compare_with_it(manifest, settings):
    tomorrow = settings.peildatum + dt.timedelta(1)
    assert tomorrow.month != settings.peildatum.month  # Tuesday 30 June -> Wednesday 1 July: a new month, same week
    assert models_changed_by(manifest, settings, tomorrow) == {
        "fixi_afhandeling", "sociaal_domein_wachttijd_aanbieder", "reisdocumenten_verloop_maand", "reisdocumenten_prognose"}


def test_a_peildatum_in_the_same_month_leaves_the_models_that_read_only_its_month_as_they_are(manifest, settings):
    yesterday = settings.peildatum - dt.timedelta(1)
    assert yesterday.month == settings.peildatum.month
    assert models_changed_by(manifest, settings, yesterday) == {"fixi_afhandeling", "sociaal_domein_wachttijd_aanbieder"}


@pytest.mark.parametrize("days, week_changes", [(-3, True), (-2, False), (4, False), (5, True)])
def test_the_weekly_waiting_list_is_rebuilt_when_a_week_has_ended_since(manifest, settings, days, week_changes):
    """Its snapshots are taken on Sundays up to the peildatum (Tuesday 30 June): Sunday 28 June is the last one
    until Sunday 5 July."""
    assert settings.peildatum.isoweekday() == 2
    peildatum = settings.peildatum + dt.timedelta(days)
    assert ("sociaal_domein_wachtlijst" in models_changed_by(manifest, settings, peildatum)) is week_changes


def test_a_model_is_rebuilt_after_its_parent_was_rebuilt_in_another_run(manifest, settings):
    """Gold built while silver still held yesterday's rows must not count as up to date once silver is rebuilt."""
    built_referentie(manifest, settings)
    record_builds(manifest, [FIXI_MELDING_MODEL], {FIXI_MELDING_MODEL}, built(FIXI_MELDING_MODEL, inputs="maandag"),
                  "run-1", settings.dbt_state, whole=True)
    week = current_inputs(manifest, [WEEK], settings)
    record_builds(manifest, [WEEK], {WEEK}, week, "run-1", settings.dbt_state, whole=True)
    tables = {("gold", "fixi_meldingen_week")}
    assert set(up_to_date(manifest, week, settings, tables)) == {WEEK}

    record_builds(manifest, [FIXI_MELDING_MODEL], {FIXI_MELDING_MODEL}, built(FIXI_MELDING_MODEL, inputs="dinsdag"),
                  "run-2", settings.dbt_state, whole=False)

    assert up_to_date(manifest, current_inputs(manifest, [WEEK], settings), settings, tables) == {}


def test_up_to_date_needs_passed_tests_the_table_and_no_full_refresh(manifest, settings):
    built_referentie(manifest, settings)
    bronze_part(settings, "maandag")
    inputs = current_inputs(manifest, SILVER_FIXI, settings)
    tables = {("silver", "fixi_melding"), ("silver", "fixi_categorie"), ("silver", "fixi_status")}
    record_builds(manifest, SILVER_FIXI, set(SILVER_FIXI) - {FIXI_MELDING_MODEL}, inputs, "run-1", settings.dbt_state,
                  whole=True)

    kept = up_to_date(manifest, inputs, settings, tables)

    # fixi_melding failed a test, fixi_categorie_bron's table is gone: both are built (and tested) again
    assert set(kept) == {"seed.lakehouse.fixi_categorie", "seed.lakehouse.fixi_status"}
    assert kept["seed.lakehouse.fixi_status"]["built_in_run"] == "run-1"
    assert up_to_date(manifest, inputs, dataclasses.replace(settings, full_refresh=True), tables) == {}


def test_a_model_below_one_built_in_the_same_step_is_built_too(manifest, settings):
    """Dagster takes a step's assets in dependency order, so a model cannot be up to date while a codelist it
    reads is being built before it."""
    built_referentie(manifest, settings)
    bronze_part(settings, "maandag")
    inputs = current_inputs(manifest, SILVER_FIXI, settings)
    tables = {("silver", name) for name in ("fixi_melding", "fixi_categorie", "fixi_categorie_bron", "fixi_status")}
    record_builds(manifest, SILVER_FIXI, set(SILVER_FIXI) - {"seed.lakehouse.fixi_status"}, inputs, "run-1",
                  settings.dbt_state, whole=True)

    assert set(up_to_date(manifest, inputs, settings, tables)) == {"seed.lakehouse.fixi_categorie",
                                                                    "seed.lakehouse.fixi_categorie_bron"}


def built_from_their_inputs(manifest: dict, settings) -> set[tuple[str, str]]:
    """Every model and seed recorded as built, and tested, from the inputs they have now; their tables."""
    everything = [uid for uid in manifest["nodes"] if not uid.startswith("test.")]
    record_builds(manifest, everything, set(everything), current_inputs(manifest, everything, settings), "run-1",
                  settings.dbt_state, whole=True)
    return {(manifest["nodes"][uid]["schema"], manifest["nodes"][uid]["alias"]) for uid in everything}


def reasons(manifest: dict, settings, uid: str, tables) -> tuple[bool, list[str]]:
    decision = decide(manifest, current_inputs(manifest, [uid], settings), settings, tables)[uid]
    return decision.kept, decision.reasons


def test_each_decision_names_what_changed_or_that_nothing_did(manifest, settings):
    verloop, reisdocument = "model.lakehouse.reisdocumenten_verloop_maand", "model.lakehouse.reisdocument"
    bronze_part(settings, "maandag")
    tables = built_from_their_inputs(manifest, settings)

    assert reasons(manifest, settings, verloop, tables) == (True, [
        "nothing it is built from changed since its build in run run-1, whose tests all passed: the same SQL and "
        "tests, the same upstream data, the same peildatum (peilmaand 2026-06)"])
    next_month = dataclasses.replace(settings, peildatum=settings.peildatum + dt.timedelta(1))
    assert reasons(manifest, next_month, verloop, tables) == (False, [
        "the peildatum moved: peilmaand 2026-06 then, peilmaand 2026-07 now"])
    assert reasons(manifest, next_month, reisdocument, tables)[0]  # silver never reads the peildatum
    assert reasons(manifest, settings, verloop, tables - {("gold", "reisdocumenten_verloop_maand")}) == (False, [
        "its table gold.reisdocumenten_verloop_maand is not in the build database"])
    bronze_part(settings, "dinsdag")
    assert reasons(manifest, settings, FIXI_MELDING_MODEL, tables) == (False, [
        "bronze.fixi_melding has new or rewritten parts (1 then, 2 now)"])
    assert reasons(manifest, settings, WEEK, tables)[0]  # silver, and so the weeks, not built yet
    record_builds(manifest, [FIXI_MELDING_MODEL], {FIXI_MELDING_MODEL},
                  current_inputs(manifest, [FIXI_MELDING_MODEL], settings), "run-2", settings.dbt_state, whole=False)
    assert reasons(manifest, settings, WEEK, tables) == (False, [
        "silver.fixi_melding, which it reads, was built from other inputs since"])
    assert reasons(changed(manifest, WEEK), settings, WEEK, tables) == (False, [
        "its SQL, its configuration or a macro it calls changed",
        "silver.fixi_melding, which it reads, was built from other inputs since"])
    assert reasons(manifest, dataclasses.replace(settings, full_refresh=True), reisdocument, tables) == (False, [
        "a full rebuild was asked for (LAKEHOUSE_FULL_REFRESH)"])


def test_build_state_of_an_older_version_is_not_read_and_everything_is_built_whole_once(manifest, settings):
    tables = built_from_their_inputs(manifest, settings)
    assert older_format(settings.dbt_state) is None
    (settings.dbt_state / STATE_FILE).write_text(json.dumps(  # as versions before the one store wrote it
        {FIXI_MELDING_MODEL: {"tabel": "silver.fixi_melding", "invoer": "0" * 64, "run_id": "run-0",
                              "geheel_gebouwd_in_run": "run-0"}}))

    assert "written by an older version: it is not read, so every model is built, and built whole, once" in \
        older_format(settings.dbt_state)
    assert reasons(manifest, settings, FIXI_MELDING_MODEL, tables) == (False, [
        "no earlier build of it is recorded (a first build, or build state of an older version)"])
    assert FIXI_MELDING_MODEL in to_rebuild_whole(manifest, current_inputs(manifest, [FIXI_MELDING_MODEL], settings),
                                                  settings.dbt_state)


def test_a_build_database_from_an_older_version_is_rebuilt_not_left_stale(demo_run, tmp_path, monkeypatch):
    """A database built before fixi_melding had laatst_geladen_op, and before builds were recorded: an
    incremental run read the missing column (a DuckDB binder error) and would have kept the old rows."""
    settings = copy_data_root(demo_run[0], tmp_path / "older", monkeypatch)
    with duckdb.connect(str(settings.build_db)) as db:
        rows = db.execute("select count(*) from silver.fixi_melding").fetchone()[0]
        db.execute("update silver.fixi_melding set categorie = 'oude definitie'")
        db.execute("alter table silver.fixi_melding drop column laatst_geladen_op")
    assert FIXI_MELDING_MODEL in recorded_builds(settings.dbt_state)  # every build records what it was built from
    (settings.dbt_state / STATE_FILE).unlink()

    result = run_lakehouse()

    assert result.success
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        assert db.execute("select count(*), count(laatst_geladen_op), count(*) filter (categorie = 'oude definitie') "
                          "from silver.fixi_melding").fetchone() == (rows, rows, 0)
    assert FIXI_MELDING_MODEL in recorded_builds(settings.dbt_state)
