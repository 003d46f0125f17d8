"""The one place that runs Great Expectations.

GX 1.x cannot validate DuckDB through duckdb-engine (every metric comes back empty), so suites are run
on pandas dataframes that `pipelines.quality.suites` fetches from DuckDB; a large table in slices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import great_expectations as gx
import pandas as pd
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

# GX fingerprints every dataframe under this many bytes by hashing all its rows, twice per validation, for a
# batch marker that nothing here reads: without it the national BRP bronze suite took 28 s instead of 52 s.
# 0 hashes none.
pandas_execution_engine.HASH_THRESHOLD = 0

POSITION = "_positie"  # an expectation's place in its suite, carried through GX in its meta


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


@cache
def _batch_definition():
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    return context.data_sources.add_pandas("lakehouse").add_dataframe_asset("frame").add_batch_definition_whole_dataframe("geheel")


def validate(name: str, expectations: list[dict], frame: pd.DataFrame, parameters: dict,
             rows: int | None = None) -> list[Outcome]:
    """Validate `frame` against the expectations (GX suite JSON entries), with `$PARAMETER` values filled in.

    `rows` is the table's row count when `frame` stands in for it (an aggregate computed in DuckDB).
    """
    if not expectations:
        return []
    return [_outcome(r, len(frame) if rows is None else rows) for r in _results(name, expectations, frame, parameters)]


@dataclass
class Counts:
    """Per expectation, [element, missing, unexpected] counts over the rows validated so far, and any error."""

    totals: list[list[int]]
    rows: int = 0
    errors: dict[int, str] = field(default_factory=dict)

    @classmethod
    def empty(cls, expectations: list[dict]) -> Counts:
        return cls([[0, 0, 0] for _ in expectations])

    def __add__(self, other: Counts) -> Counts:
        return Counts([[a + b for a, b in zip(t, o)] for t, o in zip(self.totals, other.totals)],
                      self.rows + other.rows, {**self.errors, **other.errors})


def count_slices(name: str, expectations: list[dict], frames: Iterable[pd.DataFrame], parameters: dict) -> Counts:
    """The counts of validating the slices together, holding one slice at a time (`summed_outcomes` judges them).

    Only for expectations whose counts add up over slices: column-map expectations (one verdict per row),
    and uniqueness when every slice holds all rows of its key values.
    """
    counts = Counts.empty(expectations)
    for frame in frames:
        results = _results(name, expectations, frame, parameters)
        counts += Counts(
            [[(r.result or {}).get(k) or 0 for k in ("element_count", "missing_count", "unexpected_count")] for r in results],
            len(frame),
            {i: r.exception_info["exception_message"] for i, r in enumerate(results)
             if (r.exception_info or {}).get("exception_message")},
        )
    return counts


def summed_outcomes(expectations: list[dict], counts: Counts) -> list[Outcome]:
    """Success decided on the totals the way GX decides it on one frame: the share of expected values among
    the non-missing ones, against `mostly`."""
    return [_summed_outcome(ExpectationConfiguration(**e), total, counts.rows, counts.errors.get(i))
            for i, (e, total) in enumerate(zip(expectations, counts.totals))]


def _results(name: str, expectations: list[dict], frame: pd.DataFrame, parameters: dict) -> list:
    """GX's results in the order of `expectations`: GX reports them grouped by column, and counts summed over
    slices are matched to expectations by position."""
    numbered = [{**e, "meta": {**e.get("meta", {}), POSITION: i}} for i, e in enumerate(expectations)]
    suite = gx.ExpectationSuite(name=name, expectations=[ExpectationConfiguration(**e).to_domain_obj() for e in numbered])
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    return sorted(batch.validate(suite, expectation_parameters=parameters).results,
                  key=lambda result: result.expectation_config.meta[POSITION])


def _summed_outcome(config, total: list[int], rows: int, error: str | None) -> Outcome:
    elements, missing, unexpected = total
    considered = elements - missing
    mostly = config.kwargs.get("mostly", 1)
    return _described(
        config,
        geslaagd=error is None and (considered == 0 or (considered - unexpected) / considered >= mostly),
        aantal_rijen=rows,
        aantal_onverwacht=unexpected,
        percentage_onverwacht=100 * unexpected / considered if considered else None,
        waargenomen=f"error: {error}" if error else None,
    )


def _outcome(result, rows: int) -> Outcome:
    details = result.result or {}
    observed = details.get("observed_value")
    error = (result.exception_info or {}).get("exception_message")
    return _described(
        result.expectation_config,
        geslaagd=bool(result.success),
        aantal_rijen=rows,
        aantal_onverwacht=details.get("unexpected_count"),
        percentage_onverwacht=details.get("unexpected_percent"),
        waargenomen=f"error: {error}" if error else (None if observed is None else str(observed)),
    )


def _described(config, **found) -> Outcome:
    """An outcome with what the expectation's configuration says of it: type, column, dimension, severity."""
    return Outcome(
        expectation=config.type,
        kolom=config.kwargs.get("column") or ",".join(config.kwargs.get("column_list") or []) or None,
        dimensie=config.meta.get("dimensie", "onbekend"),
        ernst=config.severity.value if hasattr(config.severity, "value") else str(config.severity),
        omschrijving=config.meta.get("omschrijving", ""),
        **found,
    )
