"""dbt models as Dagster assets: silver and gold as two steps, so blocking silver checks can stop gold."""

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets
from dagster_dbt.asset_utils import DAGSTER_DBT_PROJECT_METADATA_KEY as DBT_PROJECT_METADATA
from dagster_dbt.dbt_project import using_dagster_dev

from pipelines.dbt.build import dbt_build
from pipelines.dbt.runner import generate_docs, parse_project
from pipelines.settings import DBT_PROJECT_DIR, load_settings

# Under `dagster dev` the project is parsed on every load of the definitions, as `make` parses it, so a model
# changed since shows after a reload (dagster-dbt's own preparation would run a dbt subprocess); elsewhere `make`
# has parsed it.
if using_dagster_dev():
    parse_project()
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class LakehouseTranslator(DagsterDbtTranslator):
    """Asset keys, groups, owners and metadata for every dbt node, set in this one place."""

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        # Without the DbtProject object dagster-dbt adds to the metadata, which Dagster cannot serialise: the UI
        # would show it on every dbt asset as "[DbtProject] (unserializable)". Nothing here reads it back.
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec.replace_attributes(metadata={k: v for k, v in spec.metadata.items() if k != DBT_PROJECT_METADATA})

    def get_asset_key(self, props) -> dg.AssetKey:
        if props["resource_type"] == "source":
            return super().get_asset_key(props)  # the bronze asset named in the source's meta
        return dg.AssetKey([_zone(props), props["name"]])

    def get_group_name(self, props) -> str:
        return "bronze" if props["resource_type"] == "source" else _zone(props)

    def get_owners(self, props) -> list[str]:
        owner = _meta(props).get("owner")
        return [owner] if owner else []

    def get_metadata(self, props) -> dict:
        meta = _meta(props)
        metadata = {
            **super().get_metadata(props),
            **{key: meta[key] for key in ("zone", "privacy", "retention") if key in meta},
        }
        if (schema := metadata.get("dagster/column_schema")) and "privacy" in meta:
            metadata["dagster/column_schema"] = _with_privacy_per_column(schema, props, meta["privacy"])
        return metadata


def _with_privacy_per_column(schema: dg.TableSchema, props, table_privacy: str) -> dg.TableSchema:
    """Every column's privacy class as a column tag: its own (column meta `privacy`) where it differs from its
    table's, else the table's, so the asset's columns in Dagster each say how they may be used."""
    columns = props.get("columns", {})
    return dg.TableSchema(columns=[
        dg.TableColumn(name=c.name, type=c.type, description=c.description,
                       tags={**c.tags, "privacy": _meta(columns.get(c.name, {})).get("privacy", table_privacy)})
        for c in schema.columns
    ])


def _zone(props) -> str:
    return props["config"].get("schema") or "silver"


def _meta(props) -> dict:
    return {**props.get("meta", {}), **props.get("config", {}).get("meta", {})}


TRANSLATOR = LakehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
# Subject areas get their own dbt steps, so a blocking check on one source stops only its own area.
SILVER_AREAS = ("referentie", "fixi", "sociaal_domein", "reisdocumenten")
GOLD_AREAS = ("fixi", "sociaal_domein", "reisdocumenten")


def area_assets(zone: str, area: str) -> dg.AssetsDefinition:
    seeds = DBT_PROJECT_DIR / "seeds" / area

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=f"path:models/{zone}/{area}" + (f" path:seeds/{area}" if zone == "silver" and seeds.exists() else ""),
        name=f"dbt_{zone}_{area}",
        dagster_dbt_translator=TRANSLATOR,
    )
    def _assets(context: dg.AssetExecutionContext):
        yield from dbt_build(context, load_settings())

    return _assets


SILVER = {area: area_assets("silver", area) for area in SILVER_AREAS}
GOLD = {area: area_assets("gold", area) for area in GOLD_AREAS}


@dg.asset(
    key=["lineage", "dbt_docs"],
    group_name="lineage",
    deps=[key for assets in GOLD.values() for key in assets.keys],
    kinds={"dbt"},
    owners=["team:data-platform"],
)
def dbt_documentation() -> dg.MaterializeResult:
    """dbt docs (model graph, descriptions, owners, privacy classes, catalogue) in `lineage/dbt_docs/`,
    regenerated after every subject area's gold is built when the project changed since the last docs."""
    settings = load_settings()
    regenerated = generate_docs(settings)
    return dg.MaterializeResult(metadata={"index": dg.MetadataValue.path(str(settings.dbt_docs / "static_index.html")),
                                          "regenerated": regenerated})


@dg.definitions
def dbt_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[*SILVER.values(), *GOLD.values(), dbt_documentation])
