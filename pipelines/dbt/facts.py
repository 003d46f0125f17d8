"""Facts about the tables a dbt build made, read once dbt is done: their columns, row counts, the columns of
what they read, and each model's column lineage from its compiled SQL (pipelines/column_lineage.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.bronze.sources import BRONZE_TABLES
from pipelines.column_lineage import column_lineage, parents_of
from pipelines.dbt import state
from pipelines.dbt.manifest import is_incremental, schema_and_name
from pipelines.dbt.rebuild import definition_fingerprint
from pipelines.settings import Settings


@contextmanager
def read_only(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the build database, or None before the first build made it."""
    if not settings.build_db.exists():
        yield None
        return
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        yield db


def catalogue(db: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, dict]]:
    """The columns of every table in the build database, by (schema, table): one query for the whole step."""
    columns = {}
    for schema, table, column, dtype in db.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "order by table_schema, table_name, ordinal_position").fetchall():
        columns.setdefault((schema, table), {})[column] = {"data_type": dtype}
    return columns


def row_count(db: duckdb.DuckDBPyConnection, node: dict) -> int:
    return db.execute(f'select count(*) from "{node["schema"]}"."{node["alias"]}"').fetchone()[0]


def table_facts(db: duckdb.DuckDBPyConnection, tables: dict, manifest: dict, node: dict) -> dict:
    """A built table's columns and row count, and the columns of each table it reads (by relation name)."""
    parents = {parent["relation_name"]: _bronze_columns(db, parent["name"]) if parent["resource_type"] == "source"
               else tables.get(schema_and_name(parent), {}) for parent in parents_of(manifest, node)}
    return {"columns": tables[schema_and_name(node)], "parents": parents, "rows": row_count(db, node)}


def _bronze_columns(db: duckdb.DuckDBPyConnection, table: str) -> dict[str, dict]:
    """A bronze table's columns as its definition gives them, in DuckDB's types like those of the built tables."""
    schema = BRONZE_TABLES[table].arrow_schema
    types = db.from_arrow(schema.empty_table()).dtypes
    return {name: {"data_type": str(dtype)} for name, dtype in zip(schema.names, types)}


def column_lineage_metadata(settings: Settings, manifest: dict, translator, target_path: Path, built: list[str],
                            facts: dict[str, dict], whole: bool) -> dict[str, dict]:
    """Column lineage metadata of each built model. Reading the compiled SQL is slow, for the same answer every
    night, so it is kept in the build state per model with what it follows from: the model's definition (its SQL
    and all upstream of it), for an incremental model whether it was built whole (its SQL differs), and the
    columns of the model and its parents. Nightly literals such as the peildatum do not change it."""
    kept = state.load(settings.dbt_state)
    lineage = {}
    for uid in built:
        node = manifest["nodes"][uid]
        incremental = is_incremental(manifest, uid)
        made_from = {built_whole: hashlib.sha256(json.dumps([definition_fingerprint(manifest, uid), built_whole,
                                                             facts[uid]["columns"], facts[uid]["parents"]],
                                                            sort_keys=True).encode()).hexdigest()
                     for built_whole in (True, False)}
        now = made_from[whole and incremental]
        # An incremental night's SQL reads the model's own table and temporary ones, which sqlglot cannot
        # follow: the lineage of its last whole build, of the same definition and columns, holds for it too.
        if kept["column_lineage"].get(uid, {}).get("made_from") in (now, made_from[True] if incremental else now):
            lineage[uid] = dg.deserialize_value(kept["column_lineage"][uid]["metadata"], dict)
        else:
            lineage[uid] = _lineage_metadata(manifest, translator, target_path, node, facts[uid])
            kept["column_lineage"][uid] = {"made_from": now, "metadata": dg.serialize_value(lineage[uid])}
    state.save(settings.dbt_state, kept)
    return lineage


def _lineage_metadata(manifest: dict, translator, target_path: Path, node: dict, facts: dict) -> dict:
    """Column lineage where sqlglot can follow the compiled SQL."""
    if node["resource_type"] != "model":
        return {}
    sql = (target_path / "compiled" / node["package_name"] / node["original_file_path"]).read_text()
    try:
        return {"dagster/column_lineage": column_lineage(manifest, translator, node, sql, facts["columns"],
                                                         facts["parents"])}
    except Exception as err:  # lineage is a description of the build, never a reason to fail it
        dg.get_dagster_logger().warning(f"no column lineage for {node['name']}: {err}")
        return {}
