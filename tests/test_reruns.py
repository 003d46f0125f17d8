"""Nightly behaviour: reruns are idempotent, analysts never block a run, and a failed run keeps yesterday's gold."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.bronze.parts import row_count
from pipelines.dbt.state import recorded_builds
from tests.conftest import copy_data_root, gold_rows, run_lakehouse

WEEKS_MODEL = "model.lakehouse.fixi_meldingen_week"
GOLD_MARTS = ("fixi_meldingen_week", "fixi_pieken", "fixi_afhandeling", "fixi_piek_oorzaken", "fixi_prognose")
ALL_GOLD = (*GOLD_MARTS, "sociaal_domein_wachtlijst", "sociaal_domein_doorlooptijden", "sociaal_domein_wachttijd_aanbieder",
            "reisdocumenten_prognose", "reisdocumenten_verloop_maand", "reisdocumenten_aanvragen_week")
CSV_HEADER = "Meldingnummer;Categorie;Status;Omschrijving;Datum melding;Datum afgehandeld;Laatst gewijzigd;" \
             "Breedtegraad;Lengtegraad;Postcode"


def new_export(settings, name: str, count: int, lat: str = "52,1300", lon: str = "6,2000") -> None:
    """A back-office export of `count` new meldingen made the day before the peildatum."""
    day = (settings.peildatum - dt.timedelta(days=1)).strftime("%d-%m-%Y")
    lines = [CSV_HEADER] + [
        f"N{name}-{i:05d};Straatverlichting;ontvangen;Lamp kapot, bel 0612345678;{day} 10:00;;{day} 10:00;{lat};{lon};7201 AB"
        for i in range(count)
    ]
    (settings.landing / "fixi" / f"{name}.csv").write_bytes("\r\n".join(lines).encode("cp1252"))


def bronze_rows(settings) -> int:
    return row_count(settings.bronze / "fixi" / "melding")


def bronze_parts(settings) -> list[str]:
    """Bronze's data and quarantine parts; not the file register, which lists this copy's landing paths anew."""
    return sorted(p.name for p in settings.bronze.rglob("*.parquet") if "_register" not in p.parts)


def file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publications(settings) -> dict[str, tuple]:
    """Per published table: the run that published it, when, and the run that built it."""
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return {table: facts for table, *facts in
                db.execute("select tabel, run_id, gepubliceerd_op, gebouwd_in_run from publicatie").fetchall()}


def test_a_second_run_on_unchanged_landing_adds_nothing_and_gives_identical_gold(demo_run, tmp_path, monkeypatch):
    settings = copy_data_root(demo_run[0], tmp_path / "rerun", monkeypatch)
    bronze_files = bronze_parts(settings)
    rows_before, gold_before = bronze_rows(settings), {t: gold_rows(settings, t) for t in GOLD_MARTS}
    gold_files, published_before = {t: file_digest(settings.gold / f"{t}.parquet") for t in ALL_GOLD}, publications(settings)

    result = run_lakehouse()

    assert result.success
    published = publications(settings)
    materialised = {m.asset_key.to_user_string(): m.materialization.metadata for m in result.get_asset_materialization_events()}
    assert materialised["bronze/fixi_melding"]["rows_added"].value == 0
    assert materialised["bronze/fixi_melding"]["files_new"].value == 0
    assert bronze_parts(settings) == bronze_files
    assert bronze_rows(settings) == rows_before
    assert {t: gold_rows(settings, t) for t in GOLD_MARTS} == gold_before
    # Same inputs, same peildatum: no model is built again, and no check recomputes what it found last time.
    assert rebuilt(result) == set()
    checks = {c.asset_key.to_user_string(): c.metadata for c in result.get_asset_check_evaluations()
              if c.check_name.startswith("gx_")}
    assert len(checks) == 28 and all(m["kept_from_earlier_check"].value > 0 for m in checks.values())
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        computed_in = dict(db.execute("select berekend_in_run = run_id, count(*) from dq_resultaten "
                                      "where run_id = ? group by all", [result.run_id]).fetchall())
    assert computed_in[False] > 80 and computed_in[True] < 30  # only what compares with the peildatum ran
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:  # each dbt test: its outcome at the build
        assert db.execute("select count(*) from dq_resultaten where run_id = ? and expectation like 'dbt.%' "
                          "and berekend_in_run = run_id", [result.run_id]).fetchone()[0] == 0
    # Nothing was rebuilt, so no gold file was written again; each keeps the run that published it.
    assert {t: published[t] for t in ALL_GOLD} == {t: published_before[t] for t in ALL_GOLD}
    assert published["dq_resultaten"][0] == result.run_id
    assert {t: file_digest(settings.gold / f"{t}.parquet") for t in ALL_GOLD} == gold_files


def test_a_nightly_build_of_fixi_melding_reads_only_the_meldingen_with_a_new_delivery(demo_run, tmp_path, monkeypatch):
    """The areas are ingested after the Fixi exports in a run; comparing their load time with the meldingen's
    once made every first nightly build after a full build recompute all meldingen."""
    from pipelines.bronze.fixi import FIXI
    from pipelines.bronze.ingest import ingest
    from pipelines.dbt.runner import invoke

    settings = copy_data_root(demo_run[0], tmp_path / "incremental", monkeypatch)
    new_export(settings, "nachtexport", 25)
    ingest(FIXI, settings, "run-nacht", logging.getLogger("test"))
    assert invoke(["compile", "--select", "fixi_melding"], settings, tmp_path / "dbt").success

    compiled = next((tmp_path / "dbt" / "compiled").rglob("fixi_melding.sql")).read_text()
    search_bronze = {"file_search_path": str(settings.bronze)}  # the sources' paths are relative to it, as in dbt
    with duckdb.connect(str(settings.build_db), read_only=True, config=search_bronze) as db:
        selected = db.execute(f"select count(*), count(*) filter (melding_id like 'Nnachtexport-%') from ({compiled})")
        assert selected.fetchone() == (25, 25)


def melding_export(settings, name: str, number: str, made: str, changed: str) -> None:
    """A back-office export of one melding, made (and last changed) on the given days (dd-mm-yyyy)."""
    line = f"{number};Straatverlichting;ontvangen;Lamp kapot;{made} 10:00;;{changed} 10:00;52,1300;6,2000;7201 AB"
    (settings.landing / "fixi" / f"{name}.csv").write_bytes("\r\n".join([CSV_HEADER, line]).encode("cp1252"))


def rows_of_week(settings, week_start: str) -> int:
    with duckdb.connect() as db:
        return db.execute(f"select count(*) from read_parquet('{settings.gold}/fixi_meldingen_week.parquet') "
                          f"where week_start = '{week_start}'").fetchone()[0]


def test_nightly_builds_recompute_only_the_changed_weeks_and_equal_a_full_rebuild(demo_run, tmp_path, monkeypatch):
    """A melding of January 2020, alone in its week, whose date is corrected the next night: the week it left is
    deleted, not kept with yesterday's count."""
    settings = copy_data_root(demo_run[0], tmp_path / "weeks", monkeypatch)
    yesterday = (settings.peildatum - dt.timedelta(days=1)).strftime("%d-%m-%Y")
    new_export(settings, "nacht1", 25)
    melding_export(settings, "oud", "Nverplaatst-1", "08-01-2020", yesterday)
    assert run_lakehouse().success
    assert rows_of_week(settings, "2020-01-06") == 1

    new_export(settings, "nacht2", 10)
    melding_export(settings, "correctie", "Nverplaatst-1", yesterday, yesterday)  # the later delivery wins
    nightly = run_lakehouse()

    assert nightly.success
    assert rows_of_week(settings, "2020-01-06") == 0
    whole = recorded_builds(settings.dbt_state)[WEEKS_MODEL]["whole_build_run"]
    assert whole != nightly.run_id  # recomputed week by week, not whole
    incremental = {t: gold_rows(settings, t) for t in GOLD_MARTS}
    monkeypatch.setenv("LAKEHOUSE_FULL_REFRESH", "1")
    assert run_lakehouse().success
    assert {t: gold_rows(settings, t) for t in GOLD_MARTS} == incremental


def rebuilt(result) -> set[str]:
    """The silver and gold tables the run built, not those it found up to date."""
    return {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
            if m.asset_key.path[0] in ("silver", "gold") and "rebuilt" in m.materialization.metadata
            and m.materialization.metadata["rebuilt"].value}


def column_lineage(result, assets: set[str]) -> dict[str, dict]:
    """Per asset, the columns its materialization says each column was computed from."""
    return {m.asset_key.to_user_string(): {column: sorted(dep.asset_key.to_user_string() + "." + dep.column_name
                                                          for dep in deps)
                                           for column, deps in lineage.value.deps_by_column.items()}
            for m in result.get_asset_materialization_events() if m.asset_key.to_user_string() in assets
            and (lineage := m.materialization.metadata.get("dagster/column_lineage"))}


def test_a_new_peildatum_rebuilds_only_what_compares_with_it_and_equals_a_full_rebuild(demo_run, tmp_path, monkeypatch):
    settings = copy_data_root(demo_run[0], tmp_path / "tomorrow", monkeypatch)
    # Tuesday 30 June -> Sunday 5 July: a new month, and a new week for the weekly waiting list
    monkeypatch.setenv("LAKEHOUSE_PEILDATUM", str(settings.peildatum + dt.timedelta(days=5)))

    with monkeypatch.context() as m:  # the same SQL as yesterday's: its column lineage is kept, not worked out again
        m.setattr("pipelines.dbt.facts.column_lineage", lambda *_: pytest.fail("lineage again"))
        nightly = run_lakehouse()

    assert nightly.success
    assert rebuilt(nightly) == {"gold/fixi_afhandeling", "gold/fixi_prognose", "gold/sociaal_domein_wachtlijst",
                                "gold/sociaal_domein_wachttijd_aanbieder", "gold/sociaal_domein_instroom_uitstroom",
                                "gold/reisdocumenten_verloop_maand", "gold/reisdocumenten_prognose"}
    assert column_lineage(nightly, rebuilt(nightly)) == column_lineage(demo_run[1], rebuilt(nightly))
    assert len(column_lineage(nightly, rebuilt(nightly))["gold/sociaal_domein_wachtlijst"]) > 5
    with duckdb.connect() as db:  # the new peildatum, in July, is what the rebuilt gold counts up to
        months = db.execute(f"select max(maand_start) from read_parquet('{settings.gold}/fixi_afhandeling.parquet')")
        assert months.fetchone()[0] == dt.date(2026, 7, 1)
        weeks = db.execute(f"select max(peildatum) from read_parquet('{settings.gold}/sociaal_domein_wachtlijst.parquet')")
        assert weeks.fetchone()[0] == dt.date(2026, 7, 5)
    incremental = {t: gold_rows(settings, t) for t in ALL_GOLD}
    monkeypatch.setenv("LAKEHOUSE_FULL_REFRESH", "1")
    assert run_lakehouse().success
    assert {t: gold_rows(settings, t) for t in ALL_GOLD} == incremental


ANALYST = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)   # an analyst's session, left open
for _ in sys.stdin:
    print(*con.execute(\"\"\"select (select sum(aantal_meldingen) from fixi_meldingen_week),
        (select sum(aantal_meldingen) from fixi_pieken), (select run_id from publicatie where tabel = 'fixi_pieken')
        \"\"\").fetchone(), flush=True)
"""


def test_an_open_analyst_session_does_not_block_the_run_and_sees_one_publication_truthfully(demo_run, tmp_path,
                                                                                         monkeypatch):
    """A session held open across a run keeps the publication it opened, every table of an area from one run and
    `publicatie` saying which; a new session sees the new one."""
    settings = copy_data_root(demo_run[0], tmp_path / "analyst", monkeypatch)
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(settings.gold_db)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask() -> list[str]:
        analyst.stdin.write("?\n")
        analyst.stdin.flush()
        return analyst.stdout.readline().split()

    try:
        week, pieken, published_by = before = ask()
        assert week == pieken
        new_export(settings, "avondexport", 40)
        result = run_lakehouse()
        assert result.success
        assert ask() == before  # the held session: yesterday's area, and publicatie says so
        (weeks,) = [m.step_materialization_data.materialization.metadata for m in result.get_asset_materialization_events()
                    if m.asset_key.to_user_string() == "gold/fixi_meldingen_week"]
        lineage = weeks["dagster/column_lineage"].value.deps_by_column  # kept on an incremental night too
        assert {d.asset_key.to_user_string() for d in lineage["gemeentecode"]} == {"silver/fixi_melding"}
    finally:
        analyst.stdin.close()
        analyst.wait(timeout=30)
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:  # a new session: today's
        assert db.execute("""select (select sum(aantal_meldingen) from fixi_meldingen_week),
            (select sum(aantal_meldingen) from fixi_pieken), (select run_id from publicatie where tabel = 'fixi_pieken')
            """).fetchone() == (int(week) + 40, int(pieken) + 40, result.run_id)


def test_a_critical_silver_failure_blocks_its_own_gold_only_and_keeps_yesterdays(demo_run, tmp_path, monkeypatch):
    settings = copy_data_root(demo_run[0], tmp_path / "blocked", monkeypatch)
    fixi_files = {t: file_digest(settings.gold / f"{t}.parquet") for t in GOLD_MARTS}
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        before = dict(db.execute("select tabel, run_id from publicatie").fetchall())
    # Valid Dutch coordinates (bronze accepts them) but in Amsterdam: far more than the 2% silver tolerates.
    new_export(settings, "verkeerde_gemeente", 3_000, lat="52,3702", lon="4,8952")

    result = run_lakehouse()

    assert not result.success
    failed = {(c.asset_key.to_user_string(), c.check_name) for c in result.get_asset_check_evaluations() if not c.passed}
    assert ("silver/fixi_melding", "gx_fixi_melding") in failed
    built = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "silver/fixi_melding" in built and not built & {"gold/fixi_pieken", "gold/publicatie_fixi"}
    assert {"gold/sociaal_domein_wachtlijst", "gold/publicatie_sociaal_domein", "gold/publicatie_reisdocumenten"} <= built
    assert {t: file_digest(settings.gold / f"{t}.parquet") for t in GOLD_MARTS} == fixi_files
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        after = dict(db.execute("select tabel, run_id from publicatie").fetchall())
        assert db.execute("select count(*) from fixi_pieken").fetchone()[0] > 0
    assert {t: after[t] for t in GOLD_MARTS} == {t: before[t] for t in GOLD_MARTS}  # yesterday's Fixi gold
    assert after["dq_resultaten"] == result.run_id  # the other areas published in the same run


def test_a_failing_dbt_model_fails_its_step_with_dbts_error_and_the_next_run_builds_it(demo_run, tmp_path, monkeypatch):
    settings = copy_data_root(demo_run[0], tmp_path / "dbt_error", monkeypatch)
    with duckdb.connect(str(settings.build_db)) as db:  # the calendar broken by hand: it has no datum any more
        db.execute("create or replace table silver.kalender as select 1 as geen_datum")
    before = file_digest(settings.gold / "fixi_afhandeling.parquet")
    monkeypatch.setenv("LAKEHOUSE_PEILDATUM", str(settings.peildatum + dt.timedelta(days=1)))

    failed = run_lakehouse()

    assert not failed.success
    errors = {e.step_key: e.step_failure_data.error.cause.message for e in failed.get_step_failure_events()}
    assert "dbt_gold_fixi" in errors
    assert "`dbt build" in errors["dbt_gold_fixi"] and "fixi_afhandeling" in errors["dbt_gold_fixi"]
    assert "datum" in errors["dbt_gold_fixi"]  # dbt's own message: the column it could not find
    assert file_digest(settings.gold / "fixi_afhandeling.parquet") == before  # yesterday's gold stays published
    with duckdb.connect(str(settings.build_db)) as db:  # dbt let go of the build database
        db.execute("drop table silver.kalender")

    assert run_lakehouse().success  # the missing calendar is built again, and the gold from it
    assert file_digest(settings.gold / "fixi_afhandeling.parquet") != before


def test_a_first_build_that_dbt_cannot_finish_names_dbts_error_in_the_summary(demo_run, tmp_path, monkeypatch, capsys):
    from pipelines.run import print_summary

    settings = copy_data_root(demo_run[0], tmp_path / "first_build", monkeypatch)
    shutil.rmtree(settings.silver)  # a first build: no table of an earlier one to fall back on
    monkeypatch.setenv("LAKEHOUSE_MEMORY_LIMIT", "2MB")  # a night on which DuckDB runs out of memory

    failed = run_lakehouse()

    assert not failed.success
    errors = {e.step_key: e.step_failure_data.error.cause for e in failed.get_step_failure_events()}
    assert "dbt_silver_referentie" in errors  # the calendar, which every other Fixi and Wmo step waits for
    assert {e.cls_name for e in errors.values()} == {"DbtError"}  # dbt's own errors, not about a missing table
    assert "Out of Memory" in errors["dbt_silver_referentie"].message
    capsys.readouterr()  # the run's own progress lines
    print_summary(settings, failed, 1.0)
    summary = capsys.readouterr().out
    assert "FAILED" in summary and "failed step dbt_silver_referentie:" in summary
    assert "Failure in model kalender" in summary and "\x1b[" not in summary  # dbt's own words, first lines


def test_an_interrupted_publication_leaves_nothing_half_published(demo_run, tmp_path, monkeypatch):
    """A run killed mid-publication leaves only its staging folder; the next publication removes it."""
    from pipelines.publish import publish

    settings = copy_data_root(demo_run[0], tmp_path / "interrupted", monkeypatch)
    stale = settings.gold / ".staging-interrupted"
    stale.mkdir()
    (stale / "fixi_pieken.parquet").write_bytes(b"half written")
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        assert db.execute("select count(*) from fixi_pieken").fetchone()[0] > 0  # still yesterday's gold
    manifest = settings.gold / "_publicatie.json"
    published = json.loads(manifest.read_text())
    published["fixi_pieken"]["gebouwd_in_run"] = "an-earlier-build"  # the interrupted run had built it anew
    manifest.write_text(json.dumps(published))

    counts = publish(settings, list(GOLD_MARTS), run_id="00000000-0000-0000-0000-00000000abcd")

    assert not stale.exists()
    assert set(counts) == {"fixi_pieken", "dq_resultaten"}  # the others are published from their latest build
    assert counts["fixi_pieken"] == len(gold_rows(settings, "fixi_pieken"))


def test_a_gold_table_no_model_makes_any_more_is_withdrawn_not_left_standing(demo_run, tmp_path, monkeypatch, caplog):
    """An upgrade that renames a gold model (wmo_wachtlijst became sociaal_domein_wachtlijst) must not leave the old
    name in the catalogue with the figures of its last publication."""
    from pipelines.defs.publication import GOLD_TABLES
    from pipelines.publish import publish, write_catalogue

    settings = copy_data_root(demo_run[0], tmp_path / "renamed", monkeypatch)
    manifest = settings.gold / "_publicatie.json"
    published = json.loads(manifest.read_text())
    published["wmo_wachtlijst"] = published["sociaal_domein_wachtlijst"]  # as an older version published it
    version = settings.gold / "_versies" / published["wmo_wachtlijst"]["versie"]
    shutil.copy(version / "sociaal_domein_wachtlijst.parquet", version / "wmo_wachtlijst.parquet")
    manifest.write_text(json.dumps(published))
    write_catalogue(settings)
    assert "wmo_wachtlijst" in catalogue_tables(settings)

    publish(settings, list(GOLD_MARTS), run_id="upgrade-run", made_now=GOLD_TABLES)

    assert "wmo_wachtlijst" not in catalogue_tables(settings)
    assert "wmo_wachtlijst" not in json.loads(manifest.read_text())
    assert {"sociaal_domein_wachtlijst", "fixi_pieken"} <= catalogue_tables(settings)
    assert "withdrawn from gold, no model makes them any more: wmo_wachtlijst" in caplog.text


def catalogue_tables(settings) -> set[str]:
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return {name for (name,) in db.execute("select table_name from information_schema.tables").fetchall()}


def test_a_published_file_gone_missing_is_named_and_nothing_is_half_written(demo_run, tmp_path, monkeypatch):
    from pipelines.publish import write_catalogue

    settings = copy_data_root(demo_run[0], tmp_path / "missing", monkeypatch)
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        (read,) = db.execute("select bestand from publicatie where tabel = 'sociaal_domein_wachtlijst'").fetchone()
    Path(read).unlink()  # the version file its view reads
    before = file_digest(settings.gold_db)

    with pytest.raises(FileNotFoundError,
                       match=r"_publicatie\.json lists sociaal_domein_wachtlijst as published, "
                             r"but .*/sociaal_domein_wachtlijst\.parquet"):
        write_catalogue(settings)

    assert file_digest(settings.gold_db) == before
    assert not list(settings.gold.glob(".gold-*"))  # no half-made catalogue left behind


def catalogue_view(settings) -> tuple:
    """What a new reader of the catalogue sees of the Fixi area: its week and peak totals, and who published each."""
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return db.execute("""select (select sum(aantal_meldingen) from fixi_meldingen_week),
            (select sum(aantal_meldingen) from fixi_pieken),
            (select list(distinct run_id) from publicatie where tabel like 'fixi%')""").fetchone()


def test_a_publication_killed_before_its_catalogue_leaves_the_area_whole_and_the_next_one_tidies_up(
        demo_run, tmp_path, monkeypatch):
    """Killed after the area's files were written but before the catalogue: readers still see yesterday's area,
    every table of it, and `publicatie` says so; the next publication removes what the killed one left."""
    import pipelines.publish as publication

    settings = copy_data_root(demo_run[0], tmp_path / "killed", monkeypatch)
    yesterday = catalogue_view(settings)
    with duckdb.connect(str(settings.build_db)) as db:  # what tonight's build made, not yet published
        db.execute("update gold.fixi_meldingen_week set aantal_meldingen = aantal_meldingen + 1 where true")
        db.execute("update gold.fixi_pieken set aantal_meldingen = aantal_meldingen + 1 where true")
        tonight = db.execute("""select (select sum(aantal_meldingen) from gold.fixi_meldingen_week),
            (select sum(aantal_meldingen) from gold.fixi_pieken)""").fetchone()
    manifest = json.loads((settings.gold / "_publicatie.json").read_text())
    for name in GOLD_MARTS:
        manifest[name]["gebouwd_in_run"] = "tonight"
    (settings.gold / "_publicatie.json").write_text(json.dumps(manifest))
    (settings.gold / ".gold-killed.duckdb").write_bytes(b"half a catalogue")
    (settings.gold / ".gold-killed.duckdb.wal").write_bytes(b"its WAL")
    versions = set((settings.gold / "_versies").iterdir())

    def killed(*_):
        raise KeyboardInterrupt("SIGKILL while the catalogue is written")

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(publication, "_record", killed)
        publication.publish(settings, list(GOLD_MARTS), "killed-run")
    assert catalogue_view(settings) == yesterday and yesterday[:2] != tonight
    (unpublished,) = set((settings.gold / "_versies").iterdir()) - versions

    counts = publication.publish(settings, list(GOLD_MARTS), "next-run")

    assert catalogue_view(settings) == (*tonight, ["next-run"])  # every table of the area from this publication
    assert set(counts) == {*GOLD_MARTS, "dq_resultaten"}
    assert not unpublished.exists() and not list(settings.gold.glob(".gold-*"))
    assert not list(settings.gold.glob(".staging-*"))
    for name in GOLD_MARTS:  # the files for tools that read Parquet are the published versions
        with duckdb.connect(str(settings.gold_db), read_only=True) as db:
            (read,) = db.execute("select bestand from publicatie where tabel = ?", [name]).fetchone()
        assert os.path.samefile(read, settings.gold / f"{name}.parquet")


def test_tables_an_analyst_made_in_the_catalogue_are_saved_loudly(demo_run, tmp_path, monkeypatch, caplog):
    from pipelines.publish import publish

    settings = copy_data_root(demo_run[0], tmp_path / "analyst_rw", monkeypatch)
    assert stat.S_IMODE(os.stat(settings.gold_db).st_mode) == 0o444  # read-only on disk
    os.chmod(settings.gold_db, 0o644)  # an analyst who insists
    with duckdb.connect(str(settings.gold_db)) as db:
        db.execute("create table mijn_analyse as select categorie, sum(aantal_meldingen) as n "
                   "from fixi_meldingen_week group by all")
        mine = sorted(db.execute("select * from mijn_analyse").fetchall())
    with caplog.at_level(logging.WARNING):
        publish(settings, list(GOLD_MARTS), "next-run")
    (saved,) = (settings.gold / "_bewaard").glob("*/mijn_analyse.parquet")
    assert sorted(duckdb.execute(f"select * from read_parquet('{saved}')").fetchall()) == mine
    assert "held 1 table(s) that publication did not make (mijn_analyse)" in caplog.text


def test_bronze_written_by_an_earlier_version_is_read_with_the_columns_added_since(demo_run, tmp_path, monkeypatch):
    """An installation upgraded from a version that read Wmo only: its bronze iwmo and zorgned parts have no `wet`,
    and its wijken/buurten part no inhabitants. The next run gives those parts wet = wmo once, reads the missing
    inhabitants as empty, and builds as before, with nothing new in landing."""
    import pyarrow.parquet as pq

    settings = copy_data_root(demo_run[0], tmp_path / "upgraded", monkeypatch)
    folders = {"iwmo/product": "wet", "zorgned/aanvraag": "wet", "referentie/wijk_buurt": "aantal_inwoners"}
    stripped = 0
    for folder, column in folders.items():
        (settings.bronze / folder / "_leeg.parquet").unlink(missing_ok=True)
        for part in (settings.bronze / folder).glob("*.parquet"):
            data = pq.read_table(part)
            if column == "wet" and set(data["wet"].to_pylist()) != {"wmo"}:
                continue  # the earlier version read no Jeugd: its parts held Wmo only
            pq.write_table(data.drop_columns([c for c in data.column_names
                                              if c == column or c.startswith("inwoners_")]), part)
            stripped += 1
    assert stripped > 0
    wachtlijst_before = gold_rows(settings, "sociaal_domein_wachtlijst")

    assert run_lakehouse().success

    for folder in ("iwmo/product", "zorgned/aanvraag"):
        with duckdb.connect() as db:
            empty = db.execute(f"select count(*) from read_parquet('{settings.bronze / folder}/*.parquet', "
                               "union_by_name = true) where wet is null").fetchone()[0]
        assert empty == 0, folder
    assert gold_rows(settings, "sociaal_domein_wachtlijst") == wachtlijst_before
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        assert db.execute("select count(wachtend_per_1000_inwoners) from sociaal_domein_instroom_uitstroom").fetchone() == (0,)


def test_deliveries_lost_are_recorded_again_from_the_file_register_without_reading_a_file(demo_run, tmp_path,
                                                                                        monkeypatch):
    """A data root without the record of which deliveries count (from a version before it, or deleted by hand):
    the next run records every landing file again with the hash the file register holds for it and reads no file.
    Not knowing what counted before, it records a withdrawal, so that silver is built again whole."""
    import pyarrow.parquet as pq

    from pipelines.bronze.ingest import ingest
    from pipelines.bronze.iwmo import IWMO

    settings = copy_data_root(demo_run[0], tmp_path / "zonder_aanlevering", monkeypatch)
    folder = settings.bronze / IWMO.aanlevering.folder
    columns = ["gemeentecode", "map", "bestand", "bron_bestand_hash", "bytes", "mtime_ns"]

    def recorded() -> list[tuple]:
        parts = sorted(folder.glob("GM*.parquet"))
        return sorted(row for part in parts for row in zip(*pq.read_table(part, columns=columns).to_pydict().values()))

    before = recorded()
    assert len(before) > 1_000 and {row[0] for row in before} == {settings.gemeentecode}
    for part in folder.glob("GM*.parquet"):
        part.unlink()
    report = ingest(IWMO, settings, "herstel-aanlevering", logging.getLogger("test"))
    assert (report.files_new, report.withdrawn) == (0, ["(a delivery that had stopped counting is back in landing)"])
    assert recorded() == before
