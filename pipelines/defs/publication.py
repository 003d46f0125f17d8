"""Publication per subject area: its gold tables and the data-quality results become `gold/*.parquet`, and
`gold/gold.duckdb` is rewritten over every published file. Runs only when its area's blocking checks passed,
so a blocked area keeps yesterday's gold while the others publish."""

import dagster as dg

from pipelines.defs.dbt import GOLD
from pipelines.lineage import dataset, lineage_run, namespace, published_file
from pipelines.publish import publish
from pipelines.settings import load_settings

GOLD_TABLES = {key.path[-1] for assets in GOLD.values() for key in assets.keys}


def publication_asset(area: str, gold: dg.AssetsDefinition) -> dg.AssetsDefinition:
    keys = sorted(gold.keys, key=lambda key: key.to_user_string())

    @dg.asset(
        key=["gold", f"publicatie_{area}"],
        group_name="gold",
        deps=keys,
        kinds={"duckdb", "parquet"},
        owners=["team:data-platform"],
        metadata={"zone": "gold", "privacy": "openbaar"},
        description=f"Publish the {area} gold tables atomically: new Parquet files swapped into `gold/`, and a "
        "fresh `gold/gold.duckdb` of views over all published files that analysts open read-only.",
    )
    def _publication(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = load_settings()
        tables = [key.path[-1] for key in keys]
        inputs = [dataset(namespace(settings), f"gold.{name}") for name in tables]
        with lineage_run(settings, context.run_id, f"gold.publicatie_{area}", inputs) as run:
            counts = publish(settings, tables, context.run_id, context.log, made_now=GOLD_TABLES)
            run.outputs = [published_file(settings, name) for name in counts]
        unchanged = [name for name in tables if name not in counts]
        context.log.info(f"published {', '.join(counts)} to {settings.gold}"
                         + (f"; not rebuilt since their last publication: {', '.join(unchanged)}" if unchanged else ""))
        return dg.MaterializeResult(
            metadata={
                "tables": dg.MetadataValue.json(counts),
                "unchanged": dg.MetadataValue.json(unchanged),
                "gold_db": dg.MetadataValue.path(str(settings.gold_db)),
                "dagster/row_count": sum(counts.values()),
            }
        )

    return _publication


@dg.definitions
def publication() -> dg.Definitions:
    return dg.Definitions(assets=[publication_asset(area, gold) for area, gold in GOLD.items()])
