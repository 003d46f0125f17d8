"""dbt models as Dagster assets: silver and gold as two steps, so blocking silver checks can stop gold."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.settings import DBT_PROJECT_DIR, load_settings
from pipelines.transform import dbt_build, dbt_docs

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class LakehouseTranslator(DagsterDbtTranslator):
    """Asset keys, groups, owners and metadata for every dbt node, set in this one place."""

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
        return {
            **super().get_metadata(props),
            **{key: meta[key] for key in ("zone", "privacy", "retention") if key in meta},
        }


def _zone(props) -> str:
    return props["config"].get("schema") or "silver"


def _meta(props) -> dict:
    return {**props.get("meta", {}), **props.get("config", {}).get("meta", {})}


TRANSLATOR = LakehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="path:models/silver path:seeds",
    name="dbt_silver",
    dagster_dbt_translator=TRANSLATOR,
)
def dbt_silver(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Silver: cleaned, deduplicated and conformed tables, plus the codelist seeds."""
    yield from dbt_build(context, dbt, load_settings())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="path:models/gold",
    name="dbt_gold",
    dagster_dbt_translator=TRANSLATOR,
)
def dbt_gold(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Gold: the marts analysts read, built in the build database; publication makes them public."""
    settings = load_settings()
    yield from dbt_build(context, dbt, settings)
    docs = dbt_docs(dbt, settings)
    context.log.info(f"dbt docs generated: {docs}")


@dg.definitions
def dbt_definitions() -> dg.Definitions:
    # The dbt next to this interpreter, so the product works without an activated virtual environment.
    dbt_executable = str(Path(sys.executable).parent / "dbt")
    return dg.Definitions(
        assets=[dbt_silver, dbt_gold],
        resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable)},
    )
