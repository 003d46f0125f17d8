"""Great Expectations computes inside DuckDB: its outcomes on a table with bad rows equal plain SQL's counts."""

import dataclasses

import duckdb
import pytest

from pipelines.quality.gx import Batch, judges_each_row, summed, validate


def expectation(kind: str, severity: str = "warning", **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "severity": severity,
            "meta": {"dimensie": "geldigheid", "omschrijving": kind}}


# 6,000 rows with every kind of bad row the suites look for: empty and unknown codes, values out of bounds, a
# closing date before the opening one, a malformed gemeentecode, repeated keys, and a condition on other rows.
TABLE = """
    create table meldingen as select
        'export_' || (i % 12) || '.csv' as bron_bestand, i + 2 as bron_record,
        'M' || (i % 5990) as melding_id, 'GM0301' as bron,
        case when i % 50 = 0 then null when i % 7 = 0 then 'onbekend' when i % 2 = 0 then 'open' else 'dicht' end as status,
        case when i % 97 = 0 then 'GM301' when i % 89 = 0 then 'xGM0301' else 'GM0301' end as gemeentecode,
        case when i % 31 = 0 then -1.5 when i % 43 = 0 then 25.0 when i % 61 = 0 then null else (i % 24) + 0.5 end as uur,
        date '2026-01-01' + (i % 300)::int as gemaakt,
        date '2026-01-01' + ((i % 300) + case when i % 40 = 0 then -3 else i % 20 end)::int as gesloten,
        case when i % 2 = 1 and i % 45 <> 1 then date '2026-11-30' end as afgehandeld_op,
        i % 14 = 0 as is_piek
    from range(6000) t(i)"""


@pytest.fixture
def table(tmp_path) -> Batch:
    database = tmp_path / "tabel.duckdb"
    with duckdb.connect(str(database)) as db:
        db.execute(TABLE)
    return Batch("select * from meldingen", database, {"memory_limit": "256MB"}, ["bron_bestand", "bron_record"])


def sql(batch: Batch, query: str) -> int:
    with duckdb.connect(str(batch.database), read_only=True) as db:
        return db.execute(query).fetchone()[0]


def outcomes(batch: Batch, expectations: list[dict], tmp_path, parameters: dict | None = None):
    return validate("silver.meldingen", expectations, batch, parameters or {}, tmp_path / "docs", "run-1")


# Each per-row expectation with the SQL that counts the rows it finds unexpected (empty values are missing,
# not unexpected), the rows it applies to, and the share it tolerates.
PER_ROW = [
    (expectation("expect_column_values_to_not_be_null", column="status", mostly=0.97),
     "status is null", "true", 0.97),
    (expectation("expect_column_values_to_be_in_set", column="status", value_set=["open", "dicht"], mostly=0.9),
     "status not in ('open', 'dicht')", "status is not null", 0.9),
    (expectation("expect_column_values_to_be_in_set", column="status", value_set=["open", "dicht"], mostly=0.8),
     "status not in ('open', 'dicht')", "status is not null", 0.8),
    (expectation("expect_column_values_to_match_regex", column="gemeentecode", regex="^GM[0-9]{4}$"),
     "not regexp_full_match(gemeentecode, 'GM[0-9]{4}')", "true", 1),
    (expectation("expect_column_values_to_be_between", column="uur", min_value=0, max_value=24, mostly=0.9),
     "uur < 0 or uur > 24", "uur is not null", 0.9),
    (expectation("expect_column_pair_values_a_to_be_greater_than_b", column_A="gesloten", column_B="gemaakt",
                 or_equal=True, mostly=0.97, ignore_row_if="either_value_is_missing"),
     "gesloten < gemaakt", "true", 0.97),
    (expectation("expect_column_values_to_not_be_null", column="afgehandeld_op", mostly=0.97, row_condition={
        "type": "comparison", "column": {"name": "status"}, "operator": "==", "parameter": "dicht"}),
     "status = 'dicht' and afgehandeld_op is null", "status = 'dicht'", 0.97),
    (expectation("expect_compound_columns_to_be_unique", column_list=["bron", "melding_id"], severity="critical"),
     "(bron, melding_id) in (select (bron, melding_id) from meldingen group by all having count(*) > 1)", "true", 1),
]


def test_each_expectations_counts_equal_plain_sql_on_a_table_with_bad_rows(table, tmp_path):
    found = outcomes(table, [e for e, *_ in PER_ROW], tmp_path)

    rows = sql(table, "select count(*) from meldingen")
    for outcome, (e, unexpected, applies, mostly) in zip(found, PER_ROW, strict=True):
        bad = sql(table, f"select count(*) from meldingen where {unexpected}")
        considered = sql(table, f"select count(*) from meldingen where {applies}")
        assert bad > 0, e  # every expectation meets bad rows
        assert (outcome.expectation, outcome.aantal_rijen, outcome.aantal_onverwacht) == (e["type"], rows, bad), e
        assert outcome.percentage_onverwacht == pytest.approx(100 * bad / considered), e
        assert outcome.geslaagd == (1 - bad / considered >= mostly), e
        assert outcome.ernst == e["severity"]
    assert [o.geslaagd for o in found] == [True, False, True, False, True, True, True, False]


def test_counts_of_two_batches_summed_give_the_outcome_of_both_together(table, tmp_path):
    """Bronze adds the counts GX makes on the new parts to those kept of the parts before (the uniqueness only while
    no key repeats across them): the sum, judged by the expectation itself, is GX's outcome on all rows."""
    per_row = [e for e, *_ in PER_ROW if judges_each_row(e)]
    # Split so that the rows repeating a melding_id are in the same batch, as `_keys_shared` makes sure in bronze.
    earlier, later = (dataclasses.replace(table, query=f"select * from meldingen where (bron_record - 2) % 5990 {op} 3000")
                      for op in ("<", ">="))

    together = summary(outcomes(table, per_row, tmp_path))
    apart = [summed(e, [a, b]) for e, a, b in zip(per_row, outcomes(earlier, per_row, tmp_path),
                                                 outcomes(later, per_row, tmp_path), strict=True)]

    assert len(per_row) == len(PER_ROW) - 1  # all but the one with a row condition
    assert [o.geslaagd for o in apart] == [True, False, True, False, True, True, False]
    assert summary(apart) == together


def summary(found) -> list[tuple]:
    return [(o.expectation, o.geslaagd, o.aantal_rijen, o.aantal_onverwacht, o.aantal_ontbrekend,
             round(o.percentage_onverwacht, 9)) for o in found]


def test_aggregates_and_row_counts_are_computed_in_duckdb_also_for_booleans(table, tmp_path):
    """The mean of a boolean column (gold.fixi_pieken's is_piek) is its share of true values, as pandas takes
    it: DuckDB has no avg(BOOLEAN)."""
    found = outcomes(table, [
        expectation("expect_column_mean_to_be_between", column="is_piek", min_value=0, max_value=0.1),
        expectation("expect_column_mean_to_be_between", column="is_piek", min_value=0, max_value=0.05),
        expectation("expect_column_max_to_be_between", column="gesloten", min_value={"$PARAMETER": "vers_sinds"}),
        expectation("expect_table_row_count_to_be_between", min_value={"$PARAMETER": "rijen_min"}),
    ], tmp_path, {"vers_sinds": "2026-12-01", "rijen_min": 6_001})

    share = sql(table, "select avg(is_piek::int) from meldingen")
    assert [(o.geslaagd, o.waargenomen) for o in found] == [
        (True, str(share)), (False, str(share)), (False, "2026-11-15"), (False, "6000")]


def test_a_pattern_is_searched_for_anywhere_in_the_value_as_gx_does_on_pandas(table, tmp_path):
    [unanchored] = outcomes(table, [expectation("expect_column_values_to_match_regex", column="gemeentecode",
                                                regex="GM[0-9]{4}")], tmp_path)

    assert unanchored.aantal_onverwacht == sql(table, "select count(*) from meldingen where gemeentecode = 'GM301'")


def test_outcomes_follow_the_suite_order_whatever_order_gx_reports_them(table, tmp_path):
    """GX reports results grouped by column, not in the suite's order."""
    interleaved = [
        expectation("expect_column_values_to_be_in_set", column="status", value_set=["open"]),
        expectation("expect_column_values_to_not_be_null", column="gemaakt"),
        expectation("expect_column_values_to_not_be_null", column="status"),
    ]
    found = outcomes(table, interleaved, tmp_path)

    assert [(o.expectation, o.kolom) for o in found] == [(e["type"], e["kwargs"]["column"]) for e in interleaved]
    assert [o.aantal_onverwacht for o in found] == [
        sql(table, "select count(*) from meldingen where status <> 'open'"), 0,
        sql(table, "select count(*) from meldingen where status is null")]


def test_a_finding_names_a_few_of_its_records_and_no_values(table, tmp_path):
    [regex, fine] = outcomes(table, [
        expectation("expect_column_values_to_match_regex", column="gemeentecode", regex="^GM[0-9]{4}$"),
        expectation("expect_column_values_to_not_be_null", column="gemaakt"),
    ], tmp_path)

    named = regex.waargenomen.removeprefix("e.g. ").split(", ")
    assert len(named) == 5 and all(file.startswith("export_") and record.isdigit()
                                   for file, record in (n.split("#") for n in named))
    with duckdb.connect(str(table.database), read_only=True) as db:
        for n in named:
            file, record = n.split("#")
            assert db.execute("select gemeentecode from meldingen where bron_bestand = ? and bron_record = ?",
                              [file, int(record)]).fetchone()[0] in ("GM301", "xGM0301")
    assert fine.waargenomen is None
    assert "xGM0301" not in "".join(p.read_text() for p in (tmp_path / "docs").rglob("*.json"))


def test_a_finding_names_its_first_records_whatever_order_the_table_holds_them_in(tmp_path):
    """Two builds of a silver table hold its rows in different orders: the records named must not follow it."""
    database = tmp_path / "omgekeerd.duckdb"
    with duckdb.connect(str(database)) as db:  # 3,000 findings, the first by file and record stored last
        db.execute("create table meldingen as select 'export.csv' as bron_bestand, 2999 - i as bron_record, "
                   "'GM301' as gemeentecode from range(3000) t(i)")
    batch = Batch("select * from meldingen", database, {}, ["bron_bestand", "bron_record"])

    [finding] = outcomes(batch, [expectation("expect_column_values_to_match_regex", column="gemeentecode",
                                             regex="^GM[0-9]{4}$")], tmp_path)

    assert finding.waargenomen == "e.g. export.csv#0, export.csv#1, export.csv#2, export.csv#3, export.csv#4"
    docs = "".join("".join(p.read_text().split()) for p in (tmp_path / "docs" / "validaties").rglob("*.json"))
    assert '"bron_record":[0,1,2,3,4]' in docs  # the Data Docs name the same five, not GX's thousands


def test_each_suites_latest_result_is_in_the_data_docs_and_no_connection_stays_open(table, tmp_path):
    checks = [expectation("expect_column_values_to_not_be_null", column="status")]
    validate("silver.meldingen", checks, table, {}, tmp_path / "docs", "run-1")
    validate("silver.meldingen", checks, table, {}, tmp_path / "docs", "run-2")
    validate("gold.weken", checks, table, {}, tmp_path / "docs", "run-2")

    index = (tmp_path / "docs" / "site" / "index.html").read_text()
    assert "silver.meldingen" in index and "gold.weken" in index
    for kept in ("site/validations", "validaties"):  # the pages, and the results they show: the latest per suite
        files = [p for p in (tmp_path / "docs" / kept).rglob("*") if p.is_file()]
        assert sorted(p.relative_to(tmp_path / "docs" / kept).parts[:3] for p in files) == [
            ("gold", "weken", "run-2"), ("silver", "meldingen", "run-2")]
    with duckdb.connect(str(table.database)) as db:  # a writer, as dbt is, in the same process
        db.execute("create table daarna as select 1")
