"""Publication: gold tables and data-quality results become `gold/*.parquet` and `gold/gold.duckdb`."""

import dagster as dg

from pipelines.defs.dbt import dbt_gold
from pipelines.lineage import dataset, lineage_run, namespace
from pipelines.publish import publish
from pipelines.settings import load_settings

GOLD_KEYS = sorted(dbt_gold.keys, key=lambda key: key.to_user_string())


@dg.asset(
    key=["gold", "publicatie"],
    group_name="gold",
    deps=GOLD_KEYS,
    kinds={"duckdb", "parquet"},
    owners=["team:data-platform"],
    metadata={"zone": "gold", "privacy": "openbaar"},
)
def publicatie(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Publish gold atomically: new Parquet files swapped into `gold/`, and a fresh `gold/gold.duckdb` of
    views over them that analysts open read-only. Runs only when every blocking check upstream passed."""
    settings = load_settings()
    tables = [key.path[-1] for key in GOLD_KEYS]
    inputs = [dataset(namespace(settings), f"gold.{name}") for name in tables]
    with lineage_run(settings, context.run_id, "gold.publicatie", inputs) as run:
        counts = publish(settings, tables, context.run_id)
        run.outputs = [dataset(f"file://{settings.gold}", f"{name}.parquet") for name in counts]
    context.log.info(f"published {len(counts)} gold tables to {settings.gold}")
    return dg.MaterializeResult(
        metadata={
            "tables": dg.MetadataValue.json(counts),
            "gold_db": dg.MetadataValue.path(str(settings.gold_db)),
            "dagster/row_count": sum(counts.values()),
        }
    )


@dg.definitions
def publication() -> dg.Definitions:
    return dg.Definitions(assets=[publicatie])
