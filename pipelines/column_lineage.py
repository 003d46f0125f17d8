"""Column lineage of a dbt model: for each of its columns, the columns of the bronze, silver or gold tables it is
computed from, read by sqlglot from the model's compiled SQL.

Silver models read bronze through `read_parquet(...)`, whose columns sqlglot cannot see; the bronze table
definitions give them, so an analyst can follow a gold number back to the bronze columns it came from.
"""

from __future__ import annotations

import dagster as dg
from sqlglot import exp, parse_one
from sqlglot.expressions import normalize_table_name, to_table
from sqlglot.lineage import lineage
from sqlglot.optimizer import optimize
from sqlglot.schema import MappingSchema

DIALECT = "duckdb"


def column_lineage(manifest: dict, translator, node: dict, sql: str, columns: dict[str, dict],
                   parents: dict[str, dict[str, dict]]) -> dg.TableColumnLineage:
    """The lineage of the model `node` from its compiled `sql`, given its `columns` and its parents' (both
    `{column: {"data_type": ...}}`, the parents by relation name). Raises sqlglot's error where it cannot
    follow the SQL."""
    schema = MappingSchema(dialect=DIALECT)
    assets = {}  # a parent's normalised table name -> its asset key
    for parent in parents_of(manifest, node):
        table = parent["relation_name"]
        if parent["resource_type"] == "source":  # read_parquet(...) in the SQL becomes the source's table name
            table = ".".join(f'"{part}"' for part in (parent["database"], parent["schema"], parent["name"]))
            sql = sql.replace(parent["relation_name"], table)
        _add_table(schema, table, parents[parent["relation_name"]])
        assets[normalize_table_name(to_table(table, dialect=DIALECT), dialect=DIALECT)] = translator.get_asset_key(parent)
    _add_table(schema, node["relation_name"], columns)
    # Written back to SQL before lineage(): dagster-dbt found that lineage() fails on some optimised trees.
    optimised = optimize(parse_one(sql, dialect=DIALECT), schema=schema, dialect=DIALECT).sql(dialect=DIALECT)
    # All columns in one call: sqlglot then walks the query's scopes once, not once per column.
    roots = {name.lower(): root for name, root in lineage(None, optimised, schema, dialect=DIALECT, trim_selects=False).items()}
    return dg.TableColumnLineage(deps_by_column={
        column.lower(): sorted(_leaves(roots[column.lower()], assets), key=lambda d: (d.asset_key.path, d.column_name))
        if column.lower() in roots else []
        for column in columns
    })


def parents_of(manifest: dict, node: dict) -> list[dict]:
    """The sources, seeds and models a model reads, as the manifest describes them."""
    return [manifest["sources"][uid] if uid.startswith("source.") else manifest["nodes"][uid]
            for uid in node["depends_on"].get("nodes", [])]


def _add_table(schema: MappingSchema, table: str, columns: dict[str, dict]) -> None:
    schema.add_table(to_table(table, dialect=DIALECT), {name: meta["data_type"] for name, meta in columns.items()},
                     dialect=DIALECT)


def _leaves(root, assets: dict[str, dg.AssetKey]) -> set[dg.TableColumnDep]:
    """The parent columns at the ends of a column's lineage graph."""
    deps = set()
    for node in root.walk():
        table = None if node.downstream else node.expression.find(exp.Table)
        key = table and assets.get(normalize_table_name(table, dialect=DIALECT))
        if key:
            deps.add(dg.TableColumnDep(asset_key=key, column_name=exp.to_column(node.name).name.lower()))
    return deps
