"""Bronze checks give the outcome of the whole table, counting only the deliveries in landing now, and GX validates
only the parts written since the last check where the verdict allows it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.bronze.deliveries import WITHDRAWALS
from pipelines.bronze.fixi import FIXI
from pipelines.bronze.parts import write_parquet
from pipelines.bronze.tables import FIXI_MELDING
from pipelines.quality import suites
from pipelines.quality.suites import load_suites, run_suite

SUITE = next(s for s in load_suites() if s.name == "bronze.fixi_melding")


def write_part(settings, name: str, count: int, bad: dict | None = None, bad_rows: int = 0) -> None:
    """A bronze part of `count` Fixi meldingen; the first `bad_rows` of them get the values in `bad`."""
    moment = dt.datetime.combine(settings.peildatum, dt.time(9)) - dt.timedelta(days=1)
    rows = [{
        "melding_id": f"{name}-{i}", "gemeentecode": "GM0301", "categorie_bron": "Straatverlichting",
        "status_bron": "open", "datum_melding": moment, "datum_afgehandeld": None, "datum_gewijzigd": moment,
        "breedtegraad": 52.14, "lengtegraad": 6.20, "postcode4": "7201", "bron_formaat": "backoffice_csv",
        "bron_systeem": "fixi", "bron_bestand": f"{name}.csv", "bron_bestand_hash": name, "bron_record": i + 2,
        "run_id": name, "geladen_op": moment,
    } | (bad if i < bad_rows else {}) for i in range(count)]
    write_parquet(rows, FIXI_MELDING, settings.bronze / FIXI_MELDING.folder / f"{name}-0000-0000.parquet")
    deliver(settings, *{row["bron_bestand_hash"] for row in rows})


def deliver(settings, *names: str) -> None:
    """The landing files `<name>.csv` (content hash `name`) count now, beside those that counted before."""
    path = settings.bronze / FIXI.aanlevering.folder / "GM0301.parquet"
    before = pq.read_table(path).to_pylist() if path.exists() else []
    rows = before + [{"gemeentecode": "GM0301", "map": "landing/fixi", "bestand": f"landing/fixi/{name}.csv",
                      "bron_bestand_hash": name} for name in names if name not in {r["bron_bestand_hash"] for r in before}]
    write_parquet(rows, FIXI.aanlevering, path)


def withdraw(settings, name: str, run_id: str) -> None:
    """The landing file `<name>.csv` was removed: its delivery no longer counts, as ingestion records it."""
    path = settings.bronze / FIXI.aanlevering.folder / "GM0301.parquet"
    write_parquet([r for r in pq.read_table(path).to_pylist() if r["bron_bestand_hash"] != name], FIXI.aanlevering, path)
    (path.parent / WITHDRAWALS).write_text(json.dumps({"run_id": run_id, "bestanden": [f"landing/fixi/{name}.csv"]}))


@pytest.fixture
def validated(monkeypatch) -> list[int]:
    """The rows of each batch GX validated a bronze suite on."""
    seen, validate = [], suites.validate

    def counting(name, expectations, batch, *args):
        with duckdb.connect(str(batch.database), read_only=True) as db:
            seen.append(db.execute(f"select count(*) from ({batch.query})").fetchone()[0])
        return validate(name, expectations, batch, *args)

    monkeypatch.setattr(suites, "validate", counting)
    return seen


def summary(outcomes) -> list[tuple]:
    return sorted((o.expectation, o.kolom or "", o.geslaagd, o.aantal_rijen, o.aantal_onverwacht) for o in outcomes)


def from_scratch(settings) -> list[tuple]:
    return summary(run_suite(SUITE, dataclasses.replace(settings, full_refresh=True), "run-scratch"))


def test_a_nightly_check_gives_the_whole_tables_outcome_on_the_current_deliveries(settings, validated):
    write_part(settings, "maandag", 1_000, {"postcode4": "72"}, bad_rows=10)
    run_suite(SUITE, settings, "run-1")
    write_part(settings, "dinsdag", 500, {"breedtegraad": 40.0}, bad_rows=20)
    validated.clear()

    outcomes = run_suite(SUITE, settings, "run-1")

    # The row count and the freshness read the whole table; the verdicts per row only Tuesday's new part.
    assert validated == [1_500, 500]
    assert summary(outcomes) == from_scratch(settings)
    by_column = {(o.expectation, o.kolom): o for o in outcomes}
    postcode = by_column[("expect_column_values_to_match_regex", "postcode4")]
    latitude = by_column[("expect_column_values_to_be_between", "breedtegraad")]
    assert (postcode.aantal_rijen, postcode.aantal_onverwacht, postcode.geslaagd) == (1_500, 10, False)
    assert (latitude.aantal_onverwacht, latitude.geslaagd) == (20, True)  # 1.3%: within the 2% it allows


def test_failing_rows_keep_failing_until_their_part_is_removed(settings, validated):
    write_part(settings, "goed", 300)
    write_part(settings, "fout", 50, {"gemeentecode": "XX01"}, bad_rows=50)
    assert not all(o.geslaagd for o in run_suite(SUITE, settings, "run-1"))
    validated.clear()

    again = run_suite(SUITE, settings, "run-1")

    assert validated == [350]  # the freshness check compares with the peildatum; the others kept their outcome
    assert [o.aantal_onverwacht for o in again if o.kolom == "gemeentecode"] == [50]
    (settings.bronze / FIXI_MELDING.folder / "fout-0000-0000.parquet").unlink()

    repaired = run_suite(SUITE, settings, "run-1")

    assert all(o.geslaagd for o in repaired)
    assert {o.aantal_rijen for o in repaired if o.expectation != "expect_table_row_count_to_be_between"} == {300}


def test_a_delivery_of_another_table_keeps_the_outcomes_of_an_unchanged_one(settings, validated):
    """A source's deliveries are shared by its tables: one that brings no rows for this table changes none of them."""
    write_part(settings, "maandag", 300)
    run_suite(SUITE, settings, "run-1")
    deliver(settings, "alleen_gebieden")
    validated.clear()

    again = run_suite(SUITE, settings, "run-2")

    assert validated == [300]  # only the freshness, which compares with the peildatum
    assert {o.berekend_in_run for o in again if o.expectation != "expect_column_max_to_be_between"} == {"run-1"}
    assert summary(again) == from_scratch(settings)


def test_a_delivery_removed_from_landing_no_longer_counts(settings, validated):
    """Bronze keeps what was delivered; the checks, like silver, count only the deliveries in landing now."""
    write_part(settings, "goed", 300)
    write_part(settings, "fout", 50, {"gemeentecode": "XX01"}, bad_rows=50)
    assert [o.geslaagd for o in run_suite(SUITE, settings, "run-1") if o.kolom == "gemeentecode"] == [False]
    withdraw(settings, "fout", "run-2")
    validated.clear()

    repaired = run_suite(SUITE, settings, "run-2")

    assert validated == [300]
    assert all(o.geslaagd for o in repaired)
    assert {o.aantal_rijen for o in repaired if o.expectation != "expect_table_row_count_to_be_between"} == {300}
    assert (settings.bronze / FIXI_MELDING.folder / "fout-0000-0000.parquet").exists()  # bronze is not edited


def test_a_changed_suite_checks_the_table_again(settings, validated):
    write_part(settings, "maandag", 200)
    run_suite(SUITE, settings, "run-1")
    stricter = dataclasses.replace(SUITE, expectations=[*SUITE.expectations, {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "status_bron", "value_set": ["gesloten"]},
        "meta": {"dimensie": "juistheid", "omschrijving": "only closed meldingen"},
    }])
    validated.clear()

    outcomes = run_suite(stricter, settings, "run-2")

    assert validated == [200]
    assert [(o.aantal_rijen, o.aantal_onverwacht) for o in outcomes if o.kolom == "status_bron"] == [(200, 200)]
    assert {o.berekend_in_run for o in outcomes} == {None}  # none kept from the check by the other suite


def test_a_sort_beyond_the_checks_memory_limit_spills_to_disk(settings, monkeypatch):
    """Nationally a uniqueness check sorts 34 million keys: beyond the limit DuckDB must spill into the suite's
    own folder, not fail (it failed when the folder's parent did not exist yet)."""
    monkeypatch.setattr(suites, "CHECK_MEMORY_LIMIT", "64MB")
    write_part(settings, "maandag", 10)
    with suites._batch(SUITE, SUITE.expectations, settings) as batch, suites._connect(batch) as db:
        first = db.execute("select hash(i) % 7 as deel, 'sleutel-' || i as sleutel from range(4000000) t(i) "
                           "order by deel, sleutel").fetchone()
    assert first[0] == 0
    assert (settings.dq_results / "_tmp" / SUITE.name).is_dir()


def test_a_key_repeated_in_a_later_part_is_found(settings):
    write_part(settings, "maandag", 1_000)
    run_suite(SUITE, settings, "run-1")
    # A part that repeats five keys of Monday's (the same file read again, say)
    write_part(settings, "woensdag", 300, {"bron_bestand_hash": "maandag"}, bad_rows=5)

    wednesday = run_suite(SUITE, settings, "run-3")

    assert summary(wednesday) == from_scratch(settings)
    [unique] = [o for o in wednesday if o.expectation == "expect_compound_columns_to_be_unique"]
    assert (unique.aantal_rijen, unique.aantal_onverwacht, unique.geslaagd) == (1_300, 10, False)
