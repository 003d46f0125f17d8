"""A shared platform: two municipalities in one lakehouse, a bad file in one of them, and a nightly increment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from collections import Counter

import duckdb
import pytest

from pipelines.bronze import landing
from pipelines.bronze.file_register import rejected_files
from pipelines.demo import generate_next_day
from pipelines.demo.municipality import gemeenten
from pipelines.settings import DBT_PROJECT_DIR
from tests import ground_truth as gt
from tests.conftest import copy_data_root, demo_landing_of_two, gold_rows, run_lakehouse, use_data_root

SEED = 303  # the second municipality is small (17,573 inhabitants): a quicker test
SEEDS = {p.stem for p in (DBT_PROJECT_DIR / "seeds").rglob("*.csv")}  # code lists, the same for every municipality
# dq_resultaten holds run ids and timestamps; every other gold table is reproducible but for ingestion times
RUN_SPECIFIC = {"dq_resultaten"}


def quiet(_):
    pass


@pytest.fixture(scope="module")
def two_municipalities(tmp_path_factory):
    """GM0301 and one other municipality, one year each, with an unreadable BRP file in the other's drop folder."""
    root = tmp_path_factory.mktemp("gemeenten")
    with pytest.MonkeyPatch.context() as mp:
        settings = use_data_root(mp, root)
        demo_landing_of_two(settings, seed=SEED)
        other = gemeenten(2, settings.gemeentecode, SEED)[1].gemeentecode
        (settings.landing / other / "brp" / "kapot.csv").write_bytes(b"\x00\x01 dit is geen BRP-bestand \xff")
        yield settings, run_lakehouse(), other


def published(settings) -> list[str]:
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        return [t for (t,) in db.execute("select tabel from publicatie order by tabel").fetchall()]


def test_a_bad_file_of_one_municipality_is_set_aside_and_stops_nobody(two_municipalities):
    settings, result, other = two_municipalities
    assert result.success
    rejected = rejected_files(settings)
    assert [(r["gemeentecode"], r["bestand"].endswith(f"{other}/brp/kapot.csv")) for r in rejected] == [(other, True)]
    with duckdb.connect() as db:
        documents = dict(db.execute(
            f"select gemeentecode, count(*) from read_parquet('{settings.bronze}/brp/reisdocument/*.parquet') group by 1"
        ).fetchall())
    assert set(documents) == {settings.gemeentecode, other} and min(documents.values()) > 10_000


@pytest.mark.parametrize("system", ["iwmo", "fixi", "brp"])
def test_drop_folders_listed_over_worker_processes_give_the_listing_of_one_process(two_municipalities, system,
                                                                                    monkeypatch):
    settings, _, other = two_municipalities
    settings = dataclasses.replace(settings, full_refresh=True)  # every folder, not only those changed since the run
    monkeypatch.setattr(landing, "PARALLEL_FROM_FILES", 2)

    inline = landing.landing_listing(settings, system, processes=1)
    over_two = landing.landing_listing(settings, system, processes=2)

    assert over_two == inline
    assert (inline.not_listed, inline.municipalities) == (0, sorted([settings.gemeentecode, other]))
    rows = inline.files.to_pylist()
    assert {r["gemeentecode"] for r in rows} == {settings.gemeentecode, other}
    folders = [folder for _, folder in landing.drop_folders(settings, system)]  # iwmo: also each ijw folder

    def folder_of(path: str) -> int:
        return next(i for i, folder in enumerate(folders) if path.startswith(folder + os.sep))

    assert [(folder_of(r["bestand"]), r["bestand"]) for r in rows] == \
        sorted((folder_of(r["bestand"]), r["bestand"]) for r in rows)  # folder by folder, then by path
    for r in rows:
        stat = os.stat(r["bestand"])
        assert (r["bytes"], r["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns)


def test_every_table_in_silver_and_gold_carries_both_municipalities(two_municipalities):
    settings, _, other = two_municipalities
    both = {settings.gemeentecode, other}
    for table in set(published(settings)) - RUN_SPECIFIC:
        with duckdb.connect() as db:
            codes = {c for (c,) in db.execute(
                f"select distinct gemeentecode from read_parquet('{settings.gold / table}.parquet')").fetchall()}
        assert codes == both, table
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        silver = [t for (t,) in db.execute(
            "select table_name from information_schema.tables where table_schema = 'silver' order by 1").fetchall()
            if t not in SEEDS]
        without = [t for t in silver if not db.execute(
            "select count(*) from information_schema.columns where table_schema = 'silver' and table_name = ? "
            "and column_name = 'gemeentecode'", [t]).fetchone()[0]]
        # the calendar and the productcategorieën (two codelists) are national, the weather per KNMI station, the
        # school holidays per region
        national = ["kalender", "productcategorie", "schoolvakantie_week", "weer_dag"]
        assert without == national
        for table in set(silver) - set(national):
            codes = {c for (c,) in db.execute(f"select distinct gemeentecode from silver.{table}").fetchall()}
            assert codes == both, table


def test_weekly_counts_per_municipality_match_each_drop_folder(two_municipalities):
    settings, _, other = two_municipalities
    expected = Counter()
    for code, folder in ((settings.gemeentecode, settings.landing / "fixi"), (other, settings.landing / other / "fixi")):
        for m in gt.latest_state(gt.read_landing(folder)).values():
            expected[(code, gt.week_start(m.created), m.categorie)] += 1
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        actual = {(g, w, c): n for g, w, c, n in db.execute(
            "select gemeentecode, week_start, categorie, sum(aantal_meldingen) from fixi_meldingen_week group by all"
        ).fetchall()}
    assert actual == dict(expected)
    assert {g for g, _, _ in actual} == {settings.gemeentecode, other}

LEVERING = "levering"  # silver's social-domain levering (GGM Levering)


def test_each_municipality_has_jeugd_in_proportion_to_its_young_inhabitants(two_municipalities):
    """Jeugd clients come from each municipality's own BRP: per inhabitant, both have about as many."""
    settings, _, other = two_municipalities
    inhabitants = {g.gemeentecode: g.inwoners for g in gemeenten(2, settings.gemeentecode, SEED)}
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        clients = dict(db.execute(f"""select gemeentecode, count(distinct persoon_pseudoniem) from silver.{LEVERING}
            where wet = 'jeugdwet' group by 1""").fetchall())
    per_inhabitant = {code: clients[code] / inhabitants[code] for code in (settings.gemeentecode, other)}
    # one year of trajectories: about 7 in 100 young inhabitants (a fifth of all) started jeugdhulp
    assert all(0.01 < share < 0.02 for share in per_inhabitant.values()), per_inhabitant
    assert max(per_inhabitant.values()) < 1.3 * min(per_inhabitant.values())



def _files_without_rows(settings, system: str) -> int:
    """Landing files of a source that bronze registered as ingested without a row or quarantined record."""
    entries = duckdb.execute(f"""select rows from read_parquet('{settings.bronze}/_register/{system}/*.parquet')
        where status = 'ingested' and quarantined = 0""").fetchall()
    return sum(1 for (rows,) in entries if not any(json.loads(rows).values()))


def test_a_nightly_increment_gives_the_same_gold_as_a_full_rebuild(two_municipalities, tmp_path, monkeypatch):
    built, _, _ = two_municipalities
    nightly = copy_data_root(built, tmp_path / "nightly", monkeypatch)
    new = generate_next_day(nightly.landing, 2, nightly.gemeentecode, nightly.peildatum - dt.timedelta(days=1),
                            nightly.afhandeltermijnen, seed=SEED, progress=quiet)
    increment = run_lakehouse()
    assert increment.success and new > 20
    bronze = {m.asset_key.to_user_string(): m.materialization.metadata
              for m in increment.get_asset_materialization_events()}
    fixi = bronze["bronze/fixi_melding"]
    assert fixi["files_new"].value == 2  # one API page per municipality; nothing already ingested is read again
    assert fixi["rows_added"].value + fixi["records_quarantined"].value == new
    # A file that yielded nothing (an empty Haal Centraal answer) leaves no content hash in bronze, and on this copied
    # data root no register path matches: only such files are read again, adding nothing
    brp = bronze["bronze/brp_reisdocument"]
    assert (brp["files_new"].value, brp["rows_added"].value) == (_files_without_rows(built, "brp"), 0)

    rebuild = use_data_root(monkeypatch, tmp_path / "rebuild")
    shutil.copytree(nightly.landing, rebuild.landing)
    assert run_lakehouse().success
    for table in set(published(nightly)) - RUN_SPECIFIC:
        # each ingested the exports itself: all but the moments of ingestion are the same
        same = gold_rows(nightly, table, ingestion_times=False) == gold_rows(rebuild, table, ingestion_times=False)
        assert same, table
    counted = {name: duckdb.execute(f"select sum(aantal_meldingen) from read_parquet('{root.gold}/fixi_meldingen_week.parquet')")
               .fetchone()[0] for name, root in (("before", built), ("after", nightly))}
    assert counted["after"] > counted["before"]
