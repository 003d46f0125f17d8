"""dbt tests as data-quality results, beside the Great Expectations suites' in `dq_resultaten`.

Keys and relationships are dbt's to test, the other procedures GX's (DESIGN). A dashboard of data quality per
table and dimension needs both, so every dbt test a build runs, or keeps from the build that made an unchanged
table, becomes a result row too: the same columns, the test's kind as expectation (`dbt.unique_combination`),
and as unexpected count what dbt counts as failures (for a uniqueness test: the repeated keys).
"""

from __future__ import annotations

from pipelines.quality.gx import Outcome
from pipelines.quality.suites import store_results
from pipelines.settings import Settings

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
