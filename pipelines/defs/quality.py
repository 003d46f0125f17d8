"""Each Great Expectations suite in `expectations/` runs as a blocking asset check on the table it names."""

import dagster as dg

from pipelines.quality.results import Outcome, store_results
from pipelines.quality.suites import Suite, load_suites, run_suite
from pipelines.settings import load_settings

EXPECTATIONS_TABLE = dg.TableSchema(columns=[
    dg.TableColumn("expectation", "string"), dg.TableColumn("kolom", "string"), dg.TableColumn("ernst", "string"),
    dg.TableColumn("geslaagd", "bool"), dg.TableColumn("aantal_onverwacht", "int"),
    dg.TableColumn("percentage_onverwacht", "float"), dg.TableColumn("omschrijving", "string"),
    dg.TableColumn("waargenomen", "string"),
])


def suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([suite.zone, suite.table]),
        name=f"gx_{suite.table}",
        description=f"Great Expectations suite `expectations/{suite.name}.json`: {len(suite.expectations)} expectations. "
        "A failed critical expectation blocks everything downstream.",
        blocking=True,
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        settings = load_settings()
        outcomes = run_suite(suite, settings, context.run.run_id)
        stored = store_results(suite.name, outcomes, settings, context.run.run_id)
        kept = [o for o in outcomes if o.berekend_in_run]
        if kept:
            context.log.info(f"{suite.name}: {len(kept)} of {len(outcomes)} outcomes kept from the last check of "
                             "the same data; the others were computed again")
        failed = [o for o in outcomes if not o.geslaagd]
        critical = [o for o in failed if o.ernst == "critical"]
        for o in failed:
            context.log.warning(f"{suite.name}: {o.ernst} expectation failed: {o.omschrijving} "
                                f"({o.expectation} {o.kolom or ''}; unexpected {o.aantal_onverwacht}, observed {o.waargenomen})")
        return dg.AssetCheckResult(
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR if critical else dg.AssetCheckSeverity.WARN,
            metadata={
                "expectations": dg.MetadataValue.table([_row(o) for o in outcomes], EXPECTATIONS_TABLE),
                "kept_from_earlier_check": len(kept),
                "failed_critical": len(critical),
                "failed_warning": len(failed) - len(critical),
                "results": dg.MetadataValue.path(str(stored)),
                "data_docs": dg.MetadataValue.path(str(settings.gx_docs / "site" / "index.html")),
            },
        )

    return _check


def _row(outcome: Outcome) -> dg.TableRecord:
    """An expectation's outcome as a row of the check's table in the Dagster UI."""
    return dg.TableRecord({column.name: getattr(outcome, column.name) for column in EXPECTATIONS_TABLE.columns})


@dg.definitions
def quality_checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[suite_check(suite) for suite in load_suites()])
