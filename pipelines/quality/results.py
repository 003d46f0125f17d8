"""Data-quality results: one row per expectation or dbt test per check, kept run after run in `dq_resultaten`.

Keys and relationships are dbt's to test, the other procedures GX's (DESIGN). A dashboard of data quality per
table and dimension needs both, so every dbt test a build runs, or keeps from the build that made an unchanged
table, becomes a result row too: the same columns, the test's kind as expectation (`dbt.unique_combination`),
and as unexpected count what dbt counts as failures (for a uniqueness test: the repeated keys).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.settings import Settings


@dataclass(frozen=True)
class Outcome:
    expectation: str
    kolom: str | None
    dimensie: str
    ernst: str  # critical | warning | info
    omschrijving: str
    geslaagd: bool
    aantal_rijen: int
    aantal_onverwacht: int | None
    percentage_onverwacht: float | None
    waargenomen: str | None
    berekend_in_run: str | None = None  # an earlier run that computed it on the same data; None: this run
    aantal_ontbrekend: int | None = None  # of a map expectation: rows it did not judge (an empty value)


RESULT_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("gecontroleerd_op", pa.timestamp("us")), ("peildatum", pa.date32()),
    ("laag", pa.string()), ("tabel", pa.string()), ("expectation", pa.string()), ("kolom", pa.string()),
    ("dimensie", pa.string()), ("ernst", pa.string()), ("omschrijving", pa.string()), ("geslaagd", pa.bool_()),
    ("aantal_rijen", pa.int64()), ("aantal_onverwacht", pa.int64()), ("percentage_onverwacht", pa.float64()),
    ("waargenomen", pa.string()), ("berekend_in_run", pa.string()),
])


def store_results(table: str, outcomes: list[Outcome], settings: Settings, run_id: str,
                  file_name: str | None = None) -> Path:
    """Keep every result of a table's checks (`<zone>.<table>`), run after run, so data quality itself can be
    monitored over time. `file_name` in the run's folder: the table's own by default."""
    stamp = {"run_id": run_id, "gecontroleerd_op": dt.datetime.now(dt.UTC).replace(tzinfo=None),
             "peildatum": settings.peildatum, "laag": table.split(".", 1)[0], "tabel": table}
    rows = [{**stamp, **asdict(o), "berekend_in_run": o.berekend_in_run or run_id} for o in outcomes]
    path = settings.dq_results / run_id / (file_name or f"{table}.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=RESULT_SCHEMA), path)
    return path


DIMENSIONS = {"unique": "uniciteit", "unique_combination": "uniciteit", "not_null": "volledigheid",
              "accepted_values": "geldigheid", "relationships": "consistentie",
              "no_recoverable_suppressed_cell": "consistentie"}
DESCRIPTIONS = {"unique": "Every value occurs once", "unique_combination": "Every key occurs once",
                "not_null": "Never empty", "accepted_values": "Only the accepted values",
                "relationships": "Every value is known in the table it refers to",
                "no_recoverable_suppressed_cell": "No suppressed row can be derived from a total and the rows beside it"}


def dbt_test_outcome(test: dict, passed: bool, failures: int | None, rows: int,
                     computed_in: str | None = None) -> Outcome:
    """The result row of one dbt test (its manifest node) on a table of `rows` rows."""
    kind = test["test_metadata"]["name"]
    columns = test["test_metadata"]["kwargs"].get("columns") or ([test["column_name"]] if test["column_name"] else [])
    return Outcome(
        expectation=f"dbt.{kind}",
        kolom=", ".join(columns) or None,  # None: a test of the whole table
        dimensie=DIMENSIONS.get(kind, "geldigheid"),
        ernst="critical" if test["config"]["severity"].lower() == "error" else "warning",
        omschrijving=test.get("description") or DESCRIPTIONS.get(kind, f"dbt test {kind}"),
        geslaagd=passed,
        aantal_rijen=rows,
        aantal_onverwacht=failures,
        percentage_onverwacht=None,
        waargenomen=None,
        berekend_in_run=computed_in,
    )


def store_test_outcomes(settings: Settings, run_id: str, outcomes: dict[str, list[Outcome]]) -> None:
    """Per table (`<zone>.<table>`), its dbt tests' results, in the run's results beside its GX suite's."""
    for table, table_outcomes in outcomes.items():
        if table_outcomes:
            store_results(table, table_outcomes, settings, run_id, file_name=f"{table}.dbt.parquet")
