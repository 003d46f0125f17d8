"""Bronze assets: one per source system, landing files -> typed, minimised Parquet with lineage columns."""

import dagster as dg
import pyarrow.parquet as pq

from pipelines.bronze.contract import Source
from pipelines.bronze.ingest import ingest
from pipelines.bronze.landing import system_folders
from pipelines.bronze.parts import row_count, write_parquet
from pipelines.bronze.referentie import public_holidays, school_holidays
from pipelines.bronze.sources import SOURCES
from pipelines.bronze.tables import FEESTDAG, SCHOOLVAKANTIE, BronzeTable
from pipelines.lineage import dataset, landing_folders, lineage_run, namespace
from pipelines.settings import load_settings

FIRST_CALENDAR_YEAR = 2000
CALENDAR_YEARS_AHEAD = 11  # forecasts look ten years ahead


def bronze_asset(source: Source) -> dg.AssetsDefinition:
    """One step per source system: its landing folder read once, into each of its bronze tables."""
    specs = [
        dg.AssetSpec(
            key=["bronze", table.name],
            group_name="bronze",
            kinds={"python", "parquet"},
            owners=["team:data-platform"],
            description=f"{table.description} From {' and '.join(f'`landing/{f}/`' for f in system_folders(source.system))}, "
                        "format detected per file.",
            metadata={"dagster/column_schema": table.dagster_schema("vertrouwelijk"), "zone": "bronze",
                      "privacy": "vertrouwelijk"},
        )
        for table in source.tables
    ] + [
        dg.AssetSpec(
            key=["bronze", source.aanlevering.name],
            group_name="bronze",
            kinds={"python", "parquet"},
            owners=["team:data-platform"],
            description=source.aanlevering.description,
            metadata={"dagster/column_schema": source.aanlevering.dagster_schema("intern"), "zone": "bronze",
                      "privacy": "intern"},
        )
    ]

    @dg.multi_asset(name=f"bronze_{source.system}", specs=specs)
    def _asset(context: dg.AssetExecutionContext):
        settings = load_settings()
        with lineage_run(settings, context.run_id, f"bronze.{source.system}") as run:
            report = ingest(source, settings, context.run_id, context.log)
            run.inputs = landing_folders(settings, report.folders)
            run.outputs = [dataset(namespace(settings), f"bronze.{t.name}", {c.name: str(c.type) for c in t.columns})
                           for t in source.tables]
        for table in source.tables:
            yield dg.MaterializeResult(
                asset_key=["bronze", table.name],
                metadata={
                    "dagster/row_count": row_count(settings.bronze / table.folder),
                    "rows_added": report.rows[table.name],
                    "files_new": report.files_new,
                    "files_already_ingested": report.files_known,
                    "records_quarantined": report.quarantined,
                    "files_rejected": dg.MetadataValue.md("\n".join(f"- {r}" for r in report.files_rejected) or "none"),
                    "observations": dict(report.notes),
                    "path": dg.MetadataValue.path(str(settings.bronze / table.folder)),
                },
            )
        yield dg.MaterializeResult(
            asset_key=["bronze", source.aanlevering.name],
            metadata={
                "dagster/row_count": row_count(settings.bronze / source.aanlevering.folder),
                "withdrawn": dg.MetadataValue.md("\n".join(f"- {f}" for f in report.withdrawn) or "none"),
                "path": dg.MetadataValue.path(str(settings.bronze / source.aanlevering.folder)),
            },
        )

    return _asset


def calendar_asset(table: BronzeTable, file_name: str, rows_of_years, description: str) -> dg.AssetsDefinition:
    """A bronze table the `holidays` package gives, for the calendar's years. The file is rewritten only when
    its rows differ (once a year, as the peildatum's year moves on), so what is built from it stays up to date
    in between."""

    @dg.asset(
        name=table.name,
        key_prefix=["bronze"],
        group_name="bronze",
        kinds={"python", "parquet"},
        owners=["team:data-platform"],
        description=description,
        metadata={"dagster/column_schema": table.dagster_schema("openbaar"), "zone": "bronze", "privacy": "openbaar"},
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = load_settings()
        rows = rows_of_years(FIRST_CALENDAR_YEAR, settings.peildatum.year + CALENDAR_YEARS_AHEAD)
        path = settings.bronze / table.folder / file_name
        changed = not path.exists() or pq.read_table(path).to_pylist() != rows
        with lineage_run(settings, context.run_id, f"bronze.{table.name}") as run:
            if changed:
                write_parquet(rows, table, path)
            run.outputs = [dataset(namespace(settings), f"bronze.{table.name}",
                                   {c.name: str(c.type) for c in table.columns})]
        return dg.MaterializeResult(metadata={"dagster/row_count": len(rows), "rows_added": len(rows) if changed else 0,
                                              "path": dg.MetadataValue.path(str(path))})

    return _asset


feestdag = calendar_asset(FEESTDAG, "feestdagen.parquet", public_holidays,
                          "Dutch public holidays from the `holidays` package, for counting working days.")
schoolvakantie = calendar_asset(SCHOOLVAKANTIE, "schoolvakanties.parquet", school_holidays,
                                "Dutch school holidays per region (noord, midden, zuid) from the `holidays` package, "
                                "for what drives Fixi peaks and the Fixi forecast.")


@dg.definitions
def bronze_assets() -> dg.Definitions:
    return dg.Definitions(assets=[*(bronze_asset(source) for source in SOURCES), feestdag, schoolvakantie])
