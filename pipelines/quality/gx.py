"""The one place that runs Great Expectations.

GX 1.x cannot validate DuckDB through duckdb-engine (every metric comes back empty), so suites are run
on pandas dataframes that `pipelines.quality.suites` fetches from DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration


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


@cache
def _batch_definition():
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    return context.data_sources.add_pandas("lakehouse").add_dataframe_asset("frame").add_batch_definition_whole_dataframe("geheel")


def validate(name: str, expectations: list[dict], frame: pd.DataFrame, parameters: dict) -> list[Outcome]:
    """Validate `frame` against the expectations (GX suite JSON entries), with `$PARAMETER` values filled in."""
    if not expectations:
        return []
    suite = gx.ExpectationSuite(name=name, expectations=[ExpectationConfiguration(**e).to_domain_obj() for e in expectations])
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, expectation_parameters=parameters)
    return [_outcome(r, len(frame)) for r in result.results]


def _outcome(result, rows: int) -> Outcome:
    config = result.expectation_config
    details = result.result or {}
    observed = details.get("observed_value")
    error = (result.exception_info or {}).get("exception_message")
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
        waargenomen=f"error: {error}" if error else (None if observed is None else str(observed)),
    )
