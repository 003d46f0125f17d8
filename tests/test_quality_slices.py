"""Great Expectations outcomes summed over slices equal those of the whole frame, failures included."""

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from great_expectations.execution_engine import pandas_execution_engine

from pipelines.quality import suites
from pipelines.quality.gx import count_slices, summed_outcomes, validate


def expectation(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"dimensie": "juistheid", "omschrijving": kind}}


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    status = rng.choice(["open", "dicht", "onbekend"], size=600, p=[0.5, 0.35, 0.15])
    made = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 100, size=600), unit="D")
    closed = made + pd.to_timedelta(rng.integers(-3, 30, size=600), unit="D")
    frame = pd.DataFrame({"id": [f"M{i % 590}" for i in range(600)], "status": status, "gemaakt": made,
                          "gesloten": closed})
    frame.loc[rng.choice(600, size=20, replace=False), "status"] = None
    return frame


ROW_WISE = [
    expectation("expect_column_values_to_be_in_set", column="status", value_set=["open", "dicht"], mostly=0.9),
    expectation("expect_column_values_to_be_in_set", column="status", value_set=["open", "dicht"], mostly=0.8),
    expectation("expect_column_values_to_not_be_null", column="status", mostly=0.99),
    expectation("expect_column_values_to_not_be_null", column="status", mostly=0.95),
    expectation("expect_column_pair_values_a_to_be_greater_than_b", column_A="gesloten", column_B="gemaakt",
                or_equal=True, mostly=0.95),
]
UNIQUE = expectation("expect_column_values_to_be_unique", column="id")


def validate_slices(name, expectations, frames, parameters):
    return summed_outcomes(expectations, count_slices(name, expectations, frames, parameters))


@pytest.fixture
def judged(monkeypatch) -> list[tuple[int, int]]:
    """(expectations, rows) of each batch of frames GX judges through `count_slices`, SLICE_ROWS lowered to 250."""
    seen, count = [], suites.count_slices

    def counting(name, expectations, frames, parameters):
        frames = list(frames)
        seen.append((len(expectations), sum(len(f) for f in frames)))
        return count(name, expectations, frames, parameters)

    monkeypatch.setattr(suites, "count_slices", counting)
    monkeypatch.setattr(suites, "SLICE_ROWS", 250)
    return seen


def summary(outcomes) -> list[tuple]:
    return sorted((o.expectation, o.geslaagd, o.aantal_rijen, o.aantal_onverwacht, round(o.percentage_onverwacht, 9))
                  for o in outcomes)


def test_row_wise_outcomes_add_up_over_any_slices():
    whole = frame()
    expected = summary(validate("t", ROW_WISE, whole, {}))
    assert [o[1] for o in expected].count(False) == 3  # 15% outside the set, 3% empty, a tenth closed early
    assert summary(validate_slices("t", ROW_WISE, (whole.iloc[i:i + 250] for i in range(0, 600, 250)), {})) == expected


def test_uniqueness_adds_up_when_each_key_stays_in_one_slice():
    whole = frame()
    expected = summary(validate("t", [UNIQUE], whole, {}))
    assert expected[0][1:4] == (False, 600, 20)  # ten ids occur twice
    by_key = [whole[whole["id"].map(hash) % 3 == i] for i in range(3)]
    assert summary(validate_slices("t", [UNIQUE], by_key, {})) == expected


def test_outcomes_follow_the_suite_order_whatever_order_gx_reports_them():
    """GX reports results grouped by column, not in the suite's order; summed counts were once given to the
    wrong expectation that way (a not-null count under a value-set expectation)."""
    whole = frame()
    interleaved = [
        expectation("expect_column_values_to_be_in_set", column="status", value_set=["open"]),
        expectation("expect_column_values_to_not_be_null", column="gemaakt"),
        expectation("expect_column_values_to_not_be_null", column="status"),
    ]
    outcomes = validate("t", interleaved, whole, {})
    assert [(o.expectation, o.kolom) for o in outcomes] == [(e["type"], e["kwargs"]["column"]) for e in interleaved]
    assert [o.aantal_onverwacht for o in outcomes] == [(whole["status"].notna() & (whole["status"] != "open")).sum(), 0, 20]
    sliced = validate_slices("t", interleaved, (whole.iloc[i:i + 250] for i in range(0, 600, 250)), {})
    assert [(o.expectation, o.kolom, o.aantal_onverwacht) for o in sliced] == [
        (o.expectation, o.kolom, o.aantal_onverwacht) for o in outcomes]


def test_frames_are_validated_without_hashing_every_row(monkeypatch):
    """GX hashed each frame twice for a batch marker nobody reads: 40% of the time of a national suite."""

    def hashed(frame):
        raise AssertionError(f"GX hashed a frame of {len(frame)} rows")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", hashed)
    outcomes = validate("t", ROW_WISE, frame(), {})
    assert [o.geslaagd for o in outcomes] == [False, True, False, True, False]


def test_a_scan_reaches_gx_in_full_slices_with_duckdbs_types(tmp_path, monkeypatch):
    """Bronze is many small Parquet parts and DuckDB hands over a batch per part; each frame is a GX validation,
    so frames are cut to SLICE_ROWS whatever the batches. Types are those DuckDB's own pandas conversion gives:
    dates as timestamps, booleans as pandas' nullable boolean, integers with empty values as float64."""

    for part in range(31):
        rows = 10 if part == 30 else 100
        pq.write_table(pa.table({
            "dag": pa.array([dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(rows)], pa.date32()),
            "geldig": pa.array([None if i == 0 else i % 2 == 0 for i in range(rows)], pa.bool_()),
            "dagen": pa.array([None if i == 0 else i for i in range(rows)], pa.int32()),
            "code": pa.array([f"C{i}" for i in range(rows)]),
        }), tmp_path / f"part-{part:02d}.parquet")
    monkeypatch.setattr(suites, "SLICE_ROWS", 250)
    with duckdb.connect() as db:
        frames = list(suites._scan_in_slices(db, f"read_parquet('{tmp_path}/*.parquet')", [
            expectation("expect_column_values_to_not_be_null", column=column) for column in ("dag", "geldig", "dagen", "code")]))
    assert [len(f) for f in frames] == [250] * 12 + [10]
    first = frames[0]
    assert str(first["dag"].dtype) == "datetime64[us]" and first["dag"].iloc[1] == pd.Timestamp("2026-01-02")
    assert first["geldig"].dtype == "boolean" and first["geldig"].isna().sum() == 3  # the first row of each part
    assert first["dagen"].dtype == "float64" and first["dagen"].isna().sum() == 3
    assert first["code"].iloc[0] == "C0"


def test_uniqueness_of_a_large_table_equals_gx_on_the_whole_frame_while_gx_sees_only_candidates(judged):
    """A large table's uniqueness is judged by GX on the rows whose key could repeat (its hash occurs more than
    once) or is empty; all other rows are counted as present and unique. Outcomes equal those of GX on the whole
    frame, for one column and for a compound key with partly and wholly empty keys."""

    rng = np.random.default_rng(11)
    ids = [f"R{i}" for i in range(3000)] + [f"R{i}" for i in rng.choice(3000, size=40, replace=False)] + ["R7"] * 3
    whole = pd.DataFrame({"id": ids, "bron": rng.choice(["a", "b"], size=len(ids)),
                          "regel": rng.integers(0, 2000, size=len(ids)).astype("float64")})
    whole.loc[rng.choice(len(whole), size=1), "id"] = None  # one empty key: its hash occurs once
    whole.loc[rng.choice(len(whole), size=1), ["bron", "regel"]] = [None, np.nan]
    whole.loc[rng.choice(len(whole), size=9, replace=False), "bron"] = None
    checks = [UNIQUE, expectation("expect_compound_columns_to_be_unique", column_list=["bron", "regel"]),
              expectation("expect_compound_columns_to_be_unique", column_list=["id", "bron"], mostly=0.97)]
    with duckdb.connect() as db:
        db.register("tabel", whole)
        outcomes = suites._validate_table("t", checks, db, "tabel", {})
    expected = validate("t", checks, whole, {})
    assert [(o.geslaagd, o.aantal_rijen, o.aantal_onverwacht, round(o.percentage_onverwacht, 9)) for o in outcomes] == [
        (o.geslaagd, o.aantal_rijen, o.aantal_onverwacht, round(o.percentage_onverwacht, 9)) for o in expected]
    assert [o.geslaagd for o in expected] == [False, False, True] and expected[1].aantal_onverwacht > 0
    assert judged[0][1] < 200 and judged[2][1] < 200  # of 3,043 rows


def test_aggregates_of_a_large_table_equal_gx_on_the_whole_frame_for_booleans_too(judged):
    """A large table's max and mean are computed in DuckDB. The mean of a boolean column (gold.fixi_pieken's
    is_piek) is the share of true values, as pandas takes it; DuckDB has no avg(BOOLEAN), and the national check
    failed on it once the table grew past SLICE_ROWS."""
    rng = np.random.default_rng(23)
    whole = pd.DataFrame({"is_piek": rng.random(600) < 0.07, "aantal": rng.integers(0, 50, size=600)})
    checks = [expectation("expect_column_mean_to_be_between", column="is_piek", min_value=0, max_value=0.1),
              expectation("expect_column_mean_to_be_between", column="is_piek", min_value=0, max_value=0.05),
              expectation("expect_column_mean_to_be_between", column="aantal", min_value=20, max_value=30),
              expectation("expect_column_max_to_be_between", column="aantal", max_value=40)]
    with duckdb.connect() as db:
        db.register("tabel", whole)
        outcomes = suites._validate_table("t", checks, db, "tabel", {})
    expected = validate("t", checks, whole, {})
    assert [(o.geslaagd, o.aantal_rijen, round(float(o.waargenomen), 9)) for o in outcomes] == [
        (o.geslaagd, o.aantal_rijen, round(float(o.waargenomen), 9)) for o in expected]
    assert [o.geslaagd for o in expected] == [True, False, True, False]
    assert not judged  # nothing went through GX row by row


def test_per_row_expectations_of_a_large_table_equal_gx_on_the_whole_frame_while_gx_sees_only_suspects(judged):
    """A large table's per-row expectations are judged by GX on the rows SQL picks as able to fail them (empty,
    NaN, outside the set or bounds, on a bound, not greater, not matching); every other row counts as present and
    expected. Expectations SQL cannot screen exactly as GX judges (a condition other than `column == value`, a
    pattern RE2 reads differently, a value of another type than its column) are judged on every row. The outcomes
    equal those of GX on the whole frame."""

    rng = np.random.default_rng(17)
    n = 3000
    uur = rng.uniform(0.5, 23.5, size=n)
    uur[rng.choice(n, size=40, replace=False)] = rng.uniform(-5, 30, size=40)
    uur[rng.choice(n, size=7, replace=False)] = np.nan  # NaN, not empty: pandas counts it as missing all the same
    uur[:3] = [0.0, 24.0, 24.0]  # on the bounds
    status = rng.choice(["open", "dicht", "onbekend"], size=n, p=[0.6, 0.39, 0.01]).astype(object)
    status[rng.choice(n, size=11, replace=False)] = None
    gemaakt = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 100, size=n), unit="D")
    gesloten = gemaakt + pd.to_timedelta(rng.integers(0, 30, size=n) - 2 * (rng.random(n) < 0.02), unit="D")
    code = [f"GM{i:04d}" for i in rng.integers(0, 9999, size=n)]
    code[5], code[6], code[7] = "GM12345", "gm0301", "GM5{,4}"  # the last matches ^GM[0-9]{,4}$ in RE2, not in Python
    gesloten_op = pd.Series(gesloten).where(status == "dicht")
    gesloten_op[rng.choice(np.flatnonzero(status == "dicht"), size=9, replace=False)] = pd.NaT
    tabel = pa.table({
        "uur": pa.array(uur), "gewicht": pa.array(np.where(np.arange(n) % 600 == 1, np.nan, 1.0)),
        "status": pa.array(list(status), pa.string()), "code": pa.array(code),
        "gemaakt": pa.array(gemaakt), "gesloten": pa.array(gesloten), "gesloten_op": pa.array(gesloten_op),
        "vlag": pa.array([None if i % 500 == 0 else i % 40 != 0 for i in range(n)], pa.bool_()),
        "tekst_vlag": pa.array(["true" if i % 9 else "ja" for i in range(n)]),
    })
    screened = [
        expectation("expect_column_values_to_be_between", column="uur", min_value=0, max_value=24, mostly=0.9),
        expectation("expect_column_values_to_be_between", column="uur", min_value=0, mostly=0.97),
        expectation("expect_column_values_to_be_in_set", column="status", value_set=["open", "dicht"], mostly=0.97),
        expectation("expect_column_values_to_not_be_null", column="status"),
        expectation("expect_column_values_to_not_be_null", column="gewicht", mostly=0.999),
        expectation("expect_column_values_to_be_in_set", column="vlag", value_set=[True], mostly=0.98),
        expectation("expect_column_pair_values_a_to_be_greater_than_b", column_A="gesloten", column_B="gemaakt",
                    or_equal=True, mostly=0.9),
        expectation("expect_column_values_to_match_regex", column="code", regex="^GM[0-9]{4}$"),
        expectation("expect_column_values_to_not_be_null", column="gesloten_op", row_condition='status=="dicht"',
                    condition_parser="pandas", mostly=0.99),
    ]
    scanned = [
        expectation("expect_column_values_to_not_be_null", column="gesloten_op", row_condition='status!="open"',
                    condition_parser="pandas", mostly=0.99),
        expectation("expect_column_values_to_match_regex", column="code", regex=r"^GM\d{4}(?!5)"),
        expectation("expect_column_values_to_match_regex", column="code", regex="^GM[0-9]{,4}$"),
        expectation("expect_column_values_to_be_in_set", column="tekst_vlag", value_set=[True]),
    ]
    checks = [screened[0], scanned[0], *screened[1:5], scanned[1], *screened[5:], *scanned[2:]]
    with duckdb.connect() as db:
        db.register("tabel", tabel)
        outcomes = suites._validate_table("t", checks, db, "tabel", {})
        expected = validate("t", checks, suites._frame(db, "select * from tabel"), {})

    def figures(o):
        return o.expectation, o.geslaagd, o.aantal_rijen, o.aantal_onverwacht, round(o.percentage_onverwacht or 0, 9)

    assert [figures(o) for o in outcomes] == [figures(o) for o in expected]
    assert [o.geslaagd for o in expected].count(False) >= 4 and all(o.aantal_onverwacht for o in expected[:4])
    assert judged[0][0] == len(screened) and judged[0][1] < 600  # of 3,000 rows
    assert judged[1] == (len(scanned), n)
