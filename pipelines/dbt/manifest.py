"""The dbt manifest, read in one place: where the project's parse lies, and what the graph says of a node
(its table, its tests, what it reads, whether it is incremental)."""

from __future__ import annotations

import json
from functools import cache

from pipelines.settings import DBT_PROJECT_DIR

# `make` parses the project here (`python -m pipelines.dbt parse`); Dagster builds the asset graph from it.
PROJECT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def read_manifest() -> dict:
    """The project's manifest as `make` last parsed it."""
    return _read(PROJECT_MANIFEST.stat().st_mtime_ns)


@cache
def _read(modified_ns: int) -> dict:
    return json.loads(PROJECT_MANIFEST.read_text())


def table_name(node: dict) -> str:
    """`<zone>.<table>`: how lineage, the build state and the GX suites name a built table."""
    return f"{node['schema']}.{node['alias']}"


def schema_and_name(node: dict) -> tuple[str, str]:
    return node["schema"], node["alias"]


def tests_on(manifest: dict, unique_id: str) -> list[dict]:
    """The tests attached to the node (a relationships test reads another table too, but is attached to one)."""
    return [manifest["nodes"][t] for t in manifest["child_map"].get(unique_id, [])
            if t.startswith("test.") and manifest["nodes"][t].get("attached_node") == unique_id]


def parents(manifest: dict, unique_id: str) -> list[str]:
    """The models, seeds and sources the node reads."""
    return manifest["nodes"][unique_id]["depends_on"].get("nodes", [])


def is_incremental(manifest: dict, unique_id: str) -> bool:
    return manifest["nodes"][unique_id]["config"].get("materialized") == "incremental"


def is_source(manifest: dict, unique_id: str) -> bool:
    return unique_id in manifest["sources"]


def display_name(manifest: dict, unique_id: str) -> str:
    """A source as `bronze.<table>`, a model or seed as `<zone>.<table>`."""
    if is_source(manifest, unique_id):
        return f"bronze.{manifest['sources'][unique_id]['name']}"
    return table_name(manifest["nodes"][unique_id])


def upstream(manifest: dict, unique_id: str) -> set[str]:
    """The node and the models and seeds upstream of it (not sources)."""
    seen, todo = set(), [unique_id]
    while todo:
        uid = todo.pop()
        if uid in seen or uid not in manifest["nodes"]:
            continue
        seen.add(uid)
        todo += parents(manifest, uid)
    return seen


def macros_called(manifest: dict, unique_id: str, opaque: frozenset[str] = frozenset()) -> set[str]:
    """The macros a node calls, and the macros those call, except those called by an `opaque` one."""
    seen, todo = set(), list(manifest["nodes"][unique_id]["depends_on"].get("macros", []))
    while todo:
        macro = todo.pop()
        if macro in seen or macro not in manifest["macros"]:
            continue
        seen.add(macro)
        if macro not in opaque:
            todo += manifest["macros"][macro]["depends_on"].get("macros", [])
    return seen


def in_dependency_order(manifest: dict, unique_ids: list[str]) -> list[str]:
    """`unique_ids` with every node after the nodes among them it reads."""
    among, ordered, seen = set(unique_ids), [], set()

    def visit(uid: str) -> None:
        if uid in seen:
            return
        seen.add(uid)
        for parent in parents(manifest, uid):
            if parent in among:
                visit(parent)
        ordered.append(uid)

    for uid in unique_ids:
        visit(uid)
    return ordered


def find_built_node(manifest: dict, name: str) -> str:
    """The unique id of the model or seed called `name`: `silver.fixi_melding`, `silver/fixi_melding`,
    `fixi_melding` or its unique id. Raises KeyError naming the tables when there is none, or more than one."""
    wanted = name.replace("/", ".")
    found = [uid for uid, node in manifest["nodes"].items() if node["resource_type"] in ("model", "seed")
             and wanted in (uid, table_name(node), node["name"])]
    if len(found) == 1:
        return found[0]
    tables = sorted(table_name(node) for node in manifest["nodes"].values() if node["resource_type"] in ("model", "seed"))
    problem = "names more than one table" if found else "is no model or seed of this project"
    raise KeyError(f"{name!r} {problem}; one of: {', '.join(tables)}")
