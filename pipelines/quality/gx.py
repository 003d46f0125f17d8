"""The one place that runs Great Expectations: GX's own SQL execution engine, computing inside DuckDB.

GX 1.x knows no DuckDB. Its SQL engine returns a query's result after leaving the connection, and
duckdb-engine's rollback on close discards it, so every metric came back empty. `DuckDBDatasource` is GX's
SQL datasource with an engine that fetches each result before the connection closes, and the two metrics
whose SQL GX writes in a form DuckDB lacks: a regex match and the mean of a boolean column.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import great_expectations as gx
import sqlalchemy as sa
from great_expectations.core import ExpectationValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier, ValidationResultIdentifier
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from great_expectations.expectations.metrics import (
    ColumnAggregateMetricProvider,
    ColumnMapMetricProvider,
    column_aggregate_partial,
    column_condition_partial,
)

from pipelines.quality.results import Outcome

POSITION = "_positie"  # an expectation's place in its suite, carried through GX in its meta
DOCS_SITE = "lakehouse"
RESULTS = "validaties"  # the Data Docs' store of validation results, the latest per suite


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    def execute_query(self, query):
        """The rows fetched while the connection is open: duckdb-engine rolls back on close, losing a result
        still to be read."""
        with self.get_connection() as connection:
            return self._execute_query_with_recovery(connection, query).freeze()()


class DuckDBDatasource(SQLDatasource):
    type: Literal["duckdb"] = "duckdb"

    @property
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine


class DuckDBMatchRegex(ColumnMapMetricProvider):
    condition_metric_name = "column_values.match_regex"
    condition_value_keys = ("regex",)

    @column_condition_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column, regex, **kwargs):
        """A search anywhere in the value, as GX's pandas engine (`str.contains`) and Postgres (`~`) do."""
        return sa.func.regexp_matches(column, regex)


class DuckDBColumnMean(ColumnAggregateMetricProvider):
    metric_name = "column.mean"

    @column_aggregate_partial(engine=DuckDBExecutionEngine)
    def _duckdb(cls, column, **kwargs):
        """The share of true values for a boolean column, as pandas takes it: DuckDB has no avg(BOOLEAN)."""
        return sa.func.avg(sa.cast(column, sa.Double))


@dataclass(frozen=True)
class Batch:
    """Rows to validate: a query on a DuckDB database."""

    query: str
    database: Path
    config: dict  # DuckDB settings of the connection
    examples: list[str] | None = None  # columns naming a few unexpected rows in `waargenomen`


EXAMPLES = 5  # rows named per finding: the first by `Batch.examples` of the ones GX names
# Rows GX names per finding, in the table's order, which differs between two builds of a table: of a finding of no
# more rows the first EXAMPLES are the same every build. A few more rows cost GX little (0.2 s for 10,000).
NAMED = 10_000


def validate(name: str, expectations: list[dict], batch: Batch, parameters: dict, docs: Path,
             run_id: str) -> list[Outcome]:
    """The expectations (GX suite JSON entries) validated on the batch, in their order, with `$PARAMETER`
    values filled in; the Data Docs in `docs` show the result."""
    if not expectations:
        return []
    numbered = [{**e, "meta": {**e.get("meta", {}), POSITION: i}} for i, e in enumerate(expectations)]
    suite = gx.ExpectationSuite(name=name, expectations=[ExpectationConfiguration(**e).to_domain_obj() for e in numbered])
    context = _context(docs)
    datasource = context.data_sources.add_or_update_duckdb(
        name=name, connection_string=f"duckdb:///{batch.database}",
        kwargs={"connect_args": {"read_only": True, "config": batch.config}})
    engine = datasource.get_execution_engine()
    try:
        definition = datasource.add_query_asset(name, query=batch.query).add_batch_definition_whole_table("geheel")
        result = definition.get_batch().validate(suite, expectation_parameters=parameters, result_format=_format(batch))
        rows = engine.execute_query(sa.text(f"select count(*) from ({batch.query})")).scalar()
    finally:
        for connections in (engine.engine, datasource.get_engine()):
            connections.dispose()  # none stays open: dbt writes the build database in this same process
        context.data_sources.delete(name)
    if batch.examples:
        for r in result.results:
            _keep_first_named(r.result or {}, batch.examples)
    _show_in_docs(context, suite, result, run_id)
    return [_outcome(r, rows) for r in sorted(result.results, key=lambda r: r.expectation_config.meta[POSITION])]


def _format(batch: Batch) -> dict:
    """Unexpected values are left out (bronze holds personal data); a few rows are named by `batch.examples`."""
    if batch.examples:
        return {"result_format": "SUMMARY", "partial_unexpected_count": NAMED, "exclude_unexpected_values": True,
                "unexpected_index_column_names": batch.examples}
    return {"result_format": "BASIC", "partial_unexpected_count": 0}


@cache
def _context(docs: Path):
    """A GX context whose validation results and Data Docs site are files under `docs`: each check, in
    whichever process, adds its suite's page to the one site."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    context.add_store(RESULTS, {"class_name": "ValidationResultsStore", "store_backend": {
        "class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs / RESULTS)}})
    context.variables.validation_results_store_name = RESULTS
    context.add_data_docs_site(DOCS_SITE, {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs / "site")},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_cta_footer": False},
        "site_section_builders": {"expectations": "0", "profiling": "0"},  # the validation pages show the suites
    })
    return context


def _show_in_docs(context, suite, result, run_id: str) -> None:
    """The result in the Data Docs, in place of the suite's earlier one (a page per expectation suite would
    double the time the docs take)."""
    store = context.validation_results_store
    for key in store.list_keys():
        if key.expectation_suite_identifier.name == suite.name:
            store.remove_key(key)
    suite_key = ExpectationSuiteIdentifier(suite.name)
    result_key = ValidationResultIdentifier(suite_key, RunIdentifier(run_name=run_id), batch_identifier=suite.name)
    store.set(result_key, result)
    context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=[result_key])


def _keep_first_named(details: dict, examples: list[str]) -> None:
    """Of the rows GX named, only the first EXAMPLES by `examples`: the ones the outcome and the Data Docs name."""
    named = _named(details)
    if named:
        first = sorted(zip(*(named[column] for column in examples)))[:EXAMPLES]
        details["partial_unexpected_index_list"] = [{c: [row[i] for row in first] for i, c in enumerate(examples)}]


def _outcome(result, rows: int) -> Outcome:
    details = result.result or {}
    config = result.expectation_config
    error = _error(result)
    observed = details.get("observed_value")
    return Outcome(
        expectation=config.type,
        kolom=config.kwargs.get("column") or ",".join(config.kwargs.get("column_list") or []) or None,
        dimensie=config.meta.get("dimensie", "onbekend"),
        ernst=config.severity.value if hasattr(config.severity, "value") else str(config.severity),
        omschrijving=config.meta.get("omschrijving", ""),
        geslaagd=bool(result.success),
        aantal_rijen=rows,
        aantal_onverwacht=details.get("unexpected_count"),
        percentage_onverwacht=details.get("unexpected_percent"),
        waargenomen=f"error: {error}" if error else _observed(observed, details),
        aantal_ontbrekend=details.get("missing_count"),
    )


ACROSS_ROWS = {"column_values.unique": "column", "compound_columns.unique": "column_list"}  # map metric: its key


def judges_each_row(expectation: dict) -> bool:
    """A map expectation on every row (no `row_condition`): GX counts the rows, the empty ones and the unexpected
    ones, and decides on those counts."""
    return getattr(_domain(expectation), "map_metric", None) is not None and "row_condition" not in expectation["kwargs"]


def key_columns(expectation: dict) -> list[str]:
    """The key of a uniqueness expectation, whose verdict on a row depends on the other rows; [] for any other."""
    kwargs = expectation["kwargs"]
    key = ACROSS_ROWS.get(getattr(_domain(expectation), "map_metric", None))
    return [] if key is None else [kwargs[key]] if key == "column" else list(kwargs[key])


def summed(expectation: dict, outcomes: list[Outcome]) -> Outcome:
    """The outcome of a map expectation on the rows of several batches together: the counts GX made on each batch,
    added up, and the verdict of the expectation's own `_validate` on the sums (its `mostly`, its empty rows)."""
    rows, missing, unexpected = (sum(getattr(o, name) or 0 for o in outcomes)
                                 for name in ("aantal_rijen", "aantal_ontbrekend", "aantal_onverwacht"))
    domain = _domain(expectation)
    metric = domain.map_metric
    result = domain._validate(metrics={"table.row_count": rows, "column_values.nonnull.unexpected_count": missing,
                                       f"{metric}.unexpected_count": unexpected, f"{metric}.filtered_row_count": rows - missing},
                              runtime_configuration={"result_format": "BASIC"})
    validation = ExpectationValidationResult(success=result["success"], result=result["result"],
                                             expectation_config=domain.configuration)
    return _outcome(validation, rows)


def _domain(expectation: dict):
    return ExpectationConfiguration(**expectation).to_domain_obj()


def _error(result) -> str | None:
    """GX's exception message: on the result itself, or on a metric it needed."""
    info = result.exception_info or {}
    found = [info] if "raised_exception" in info else list(info.values())
    return next((e["exception_message"] for e in found if e.get("exception_message")), None)


def _observed(observed, details: dict) -> str | None:
    if observed is not None:
        return str(observed)
    named = _named(details)
    return "e.g. " + ", ".join("#".join(map(str, row)) for row in zip(*named.values())) if named else None


def _named(details: dict) -> dict[str, list]:
    """The rows GX named in a result, as a list of values per column of `Batch.examples`; empty when none."""
    return (details.get("partial_unexpected_index_list") or [{}])[0]
