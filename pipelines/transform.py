"""Running dbt for a zone, and describing what it built: row counts, schemas, column lineage, OpenLineage.

dbt runs in this process (pipelines/dbt_in_process.py) and holds the build database's write lock for its
whole invocation, so facts about the built tables are gathered once dbt is done, from a read-only connection,
and attached to the events before Dagster sees them. Column lineage is read from the compiled SQL
(pipelines/column_lineage.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from pipelines.bronze.sources import BRONZE_TABLES
from pipelines.build_state import (Inputs, current_inputs, definition_fingerprint, is_incremental, record_builds,
                                   to_rebuild_whole, up_to_date)
from pipelines.column_lineage import column_lineage, parents_of
from pipelines.dbt_in_process import PROJECT_MANIFEST, invoke, parse_environment, project_state
from pipelines.lineage import LineageRun, dataset, namespace
from pipelines.quality.dbt_tests import dbt_test_outcome, store_test_outcomes
from pipelines.settings import DBT_PROJECT_DIR, Settings, load_settings

# The dbt next to this interpreter, so the product works without an activated virtual environment.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
# In the dbt state folder: per model, its last column lineage and what that followed from.
COLUMN_LINEAGE = "kolomlineage.json"


def dbt_build(context: dg.AssetExecutionContext, settings: Settings) -> Iterator:
    """`dbt build` for the selected assets that are not up to date; yields Dagster events enriched once dbt is
    done. An up-to-date model is not built or tested again: its table and the outcome of its tests are those
    of the build recorded for the same inputs (pipelines/build_state.py)."""
    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    selected = [n["unique_id"] for n in manifest["nodes"].values()
                if n["resource_type"] in ("model", "seed") and translator.get_asset_key(n) in context.selected_asset_keys]
    inputs = current_inputs(manifest, selected, settings)
    kept = {}
    with _read_only(settings) as db:
        unchanged = up_to_date(manifest, inputs, settings, set(_catalogue(db)) if db else set())
        if unchanged:
            context.log.info(f"up to date, not built again: {', '.join(manifest['nodes'][uid]['name'] for uid in unchanged)}")
        for uid, build in unchanged.items():
            node = manifest["nodes"][uid]
            rows = _row_count(db, node)
            yield from _unchanged_events(context, manifest, translator, node, build, rows)
            kept[_table(node)] = [dbt_test_outcome(test, True, 0, rows, build["run_id"])
                                  for test in _tests_kept(context, manifest, translator, node)]
    store_test_outcomes(settings, context.run_id, kept)
    to_build = [uid for uid in selected if uid not in unchanged]
    if to_build:
        yield from _build(context, settings, manifest, translator, {uid: inputs[uid] for uid in to_build})


def _build(context: dg.AssetExecutionContext, settings: Settings, manifest: dict, translator,
           inputs: dict[str, Inputs]) -> Iterator:
    rebuild = to_rebuild_whole(manifest, inputs, settings.dbt_state)
    for uid, reason in rebuild.items():
        context.log.info(f"{manifest['nodes'][uid]['name']} is rebuilt whole: {reason}")
    # No manifest.json or run_results.json per invocation: nothing reads them, and writing them cost 0.6 s a step.
    full_refresh = settings.full_refresh or bool(rebuild)
    # A model's tests by name too: one that also reads a codelist not rebuilt (relationships) is no test of a
    # selected node's to dbt's indirect selection, and would silently not run.
    command = ["build", "--no-write-json", *(["--full-refresh"] if full_refresh else []),
               "--select", *(f"path:{manifest['nodes'][uid]['original_file_path']}" for uid in inputs),
               *(test["name"] for uid in inputs for test in _tests_on(manifest, uid) if test["attached_node"] == uid)]
    target_path = settings.dbt_state / "runs" / f"{context.run_id}-{context.op_def.name}"
    context.log.debug(f"dbt {' '.join(command)}")  # in the log file; the console shows what dbt built
    runs = {uid: LineageRun(settings, context.run_id, _table(manifest["nodes"][uid]),
                            _inputs(settings, manifest, manifest["nodes"][uid])) for uid in inputs}
    for run in runs.values():
        run.emit("START")
    invocation = invoke(command, settings, target_path)
    events = [event for message in invocation.events
              for event in message.to_default_asset_events(manifest=manifest, dagster_dbt_translator=translator,
                                                           context=context, target_path=target_path)]
    error = invocation.error()
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        catalogue = _catalogue(db)
        # A model dbt could not build on a first build has no table; dbt's error is raised below.
        facts = {uid: _table_facts(db, catalogue, manifest, manifest["nodes"][uid]) for uid in runs
                 if _schema_and_name(manifest["nodes"][uid]) in catalogue}
    store_test_outcomes(settings, context.run_id, _test_outcomes(manifest, events, facts))
    built = [uid for uid in map(_unique_id, (e for e in events if isinstance(e, dg.Output))) if uid in facts]
    record_builds(manifest, built, _tests_passed(manifest, translator, built, events), inputs, context.run_id,
                  settings.dbt_state, whole=full_refresh)
    lineage = _column_lineage(settings, manifest, translator, target_path, built, facts, full_refresh)
    for event in events:
        uid = _unique_id(event)
        if isinstance(event, dg.Output) and uid in facts:
            extra = lineage[uid]
            runs[uid].outputs = [_output_dataset(settings, manifest["nodes"][uid], facts[uid], extra)]
            runs.pop(uid).emit("COMPLETE")
            event = event.with_metadata({**event.metadata, "dagster/row_count": facts[uid]["rows"], "herbouwd": True,
                                         **extra})
        yield event
    for run in runs.values():
        run.emit("FAIL", error=str(error) if error else "not built: an upstream model or test failed")
    if error:
        raise error
    # Each invocation writes its own target folder; kept only when dbt failed, for its logs.
    shutil.rmtree(target_path, ignore_errors=True)


@contextmanager
def _read_only(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the build database, or None before the first build made it."""
    if not settings.build_db.exists():
        yield None
        return
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        yield db


def _tests_on(manifest: dict, uid: str) -> list[dict]:
    return [manifest["nodes"][t] for t in manifest["child_map"].get(uid, []) if t.startswith("test.")]


def _tests_passed(manifest: dict, translator, built: list[str], events: list) -> set[str]:
    """The models among `built` whose every test ran in this build and passed."""
    passed = {(e.asset_key, e.check_name) for e in events if isinstance(e, dg.AssetCheckResult) and e.passed}
    return {uid for uid in built
            if all((translator.get_asset_key(manifest["nodes"][uid]), test["name"]) in passed
                   for test in _tests_on(manifest, uid) if test["attached_node"] == uid)}


def _unchanged_events(context, manifest: dict, translator, node: dict, build: dict, rows: int) -> Iterator:
    """The materialization of a model that is up to date, and its tests' outcome at the build that made it."""
    key = translator.get_asset_key(node)
    unchanged = {"herbouwd": False, "gebouwd_in_run": build["run_id"]}
    yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                    metadata={"unique_id": node["unique_id"], "dagster/row_count": rows, **unchanged})
    for test in _tests_kept(context, manifest, translator, node):
        yield dg.AssetCheckResult(asset_key=key, check_name=test["name"], passed=True, metadata=unchanged)


def _tests_kept(context, manifest: dict, translator, node: dict) -> list[dict]:
    """The selected tests of an up-to-date model, whose outcome is that of the build that made it."""
    key = translator.get_asset_key(node)
    return [test for test in _tests_on(manifest, node["unique_id"])
            if test["attached_node"] == node["unique_id"]
            and dg.AssetCheckKey(key, test["name"]) in context.selected_asset_check_keys]


def _test_outcomes(manifest: dict, events: list, facts: dict) -> dict[str, list]:
    """Per table, the result rows of the dbt tests this build ran on it."""
    outcomes = {}
    for event in events:
        if isinstance(event, dg.AssetCheckResult):
            test = manifest["nodes"][event.metadata["unique_id"].value]
            failures = event.metadata.get("dagster_dbt/failed_row_count")
            rows = facts.get(test["attached_node"], {}).get("rows")
            outcomes.setdefault(_table(manifest["nodes"][test["attached_node"]]), []).append(
                dbt_test_outcome(test, event.passed, failures.value if failures else None, rows))
    return outcomes


def _table(node: dict) -> str:
    """`<zone>.<table>`: how lineage and the GX suites name a built table."""
    return f"{node['schema']}.{node['alias']}"


def parse_project() -> None:
    """`dbt parse` into `dbt_project/target`: the manifest Dagster builds the asset graph from, and the parse
    every data root's first run starts from."""
    _run_dbt(["parse"], PROJECT_MANIFEST.parent, load_settings())


def compile_models(settings: Settings, target: Path) -> Path:
    """`dbt compile` against the settings' bronze into `target`; returns the manifest with the compiled SQL
    (the benchmark runs it on bare DuckDB). --full-refresh: incremental models compile to their full-build
    SQL, which needs no existing table."""
    _run_dbt(["compile", "--full-refresh"], target, settings)
    return target / "manifest.json"


def _run_dbt(command: list[str], target: Path, settings: Settings) -> None:
    """A dbt command outside a Dagster step, in the settings' environment, writing into `target`. A parse is made
    without the variables only the profile reads, like the pipeline's own (pipelines/dbt_in_process.py)."""
    env = {**os.environ, **settings.dbt_env()}
    if command[0] == "parse":
        env = parse_environment(env)
    subprocess.run([str(DBT_EXECUTABLE), *command, "--quiet", "--profiles-dir", ".", "--target-path", str(target)],
                   cwd=DBT_PROJECT_DIR, env=env, check=True)


def dbt_docs(settings: Settings) -> bool:
    """Generate dbt docs (manifest, catalog, index.html and static_index.html) into the lineage folder, unless the docs there were
    made for this same project and environment (they describe models and columns, which only the project
    changes). Returns whether they were generated."""
    marker, state = settings.dbt_docs / "generated_for.json", project_state(settings)
    if (settings.dbt_docs / "static_index.html").exists() and marker.exists() and marker.read_text() == state:
        return False
    # --static: static_index.html carries the manifest and catalogue inside, so it opens from the file (index.html
    # fetches them, which a browser refuses from file://).
    invocation = invoke(["docs", "generate", "--static", "--log-level-file", "none"], settings, settings.dbt_docs)
    if error := invocation.error():
        raise error
    marker.write_text(state)
    return True


def _unique_id(event) -> str | None:
    meta = getattr(event, "metadata", None) or {}
    value = meta.get("unique_id")
    return getattr(value, "text", value)


def _catalogue(db: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, dict]]:
    """The columns of every table in the build database, by (schema, table): one query for the whole step."""
    catalogue = {}
    for schema, table, column, dtype in db.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "order by table_schema, table_name, ordinal_position").fetchall():
        catalogue.setdefault((schema, table), {})[column] = {"data_type": dtype}
    return catalogue


def _schema_and_name(node: dict) -> tuple[str, str]:
    return node["schema"], node["alias"]


def _row_count(db: duckdb.DuckDBPyConnection, node: dict) -> int:
    return db.execute(f'select count(*) from "{node["schema"]}"."{node["alias"]}"').fetchone()[0]


def _bronze_columns(db: duckdb.DuckDBPyConnection, table: str) -> dict[str, dict]:
    """A bronze table's columns as its definition gives them, in DuckDB's types like those of the built tables."""
    schema = BRONZE_TABLES[table].arrow_schema
    types = db.from_arrow(schema.empty_table()).dtypes
    return {name: {"data_type": str(dtype)} for name, dtype in zip(schema.names, types)}


def _table_facts(db, catalogue: dict, manifest: dict, node: dict) -> dict:
    parents = {parent["relation_name"]: _bronze_columns(db, parent["name"]) if parent["resource_type"] == "source"
               else catalogue.get(_schema_and_name(parent), {}) for parent in parents_of(manifest, node)}
    return {"columns": catalogue[_schema_and_name(node)], "parents": parents, "rows": _row_count(db, node)}


def _column_lineage(settings: Settings, manifest: dict, translator, target_path: Path, built: list[str],
                    facts: dict[str, dict], whole: bool) -> dict[str, dict]:
    """Column lineage metadata of each built model. Reading the compiled SQL takes 0.03-0.15 s a model, for the
    same answer every night, so it is kept per model with what it follows from: the model's definition
    (its SQL and all upstream of it), for an incremental model whether it was built whole (its SQL differs), and
    the columns of the model and its parents. Nightly literals such as the peildatum do not change it."""
    path = settings.dbt_state / COLUMN_LINEAGE
    kept = json.loads(path.read_text()) if path.exists() else {}
    lineage = {}
    for uid in built:
        node = manifest["nodes"][uid]
        incremental = is_incremental(manifest, uid)
        keys = {built_whole: hashlib.sha256(json.dumps([definition_fingerprint(manifest, uid), built_whole,
                                                        facts[uid]["columns"], facts[uid]["parents"]],
                                                       sort_keys=True).encode()).hexdigest()
                for built_whole in (True, False)}
        key = keys[whole and incremental]
        # An incremental night's SQL reads the model's own table and temporary ones, which sqlglot cannot
        # follow: the lineage of its last whole build, of the same definition and columns, holds for it too.
        if kept.get(uid, {}).get("sleutel") in (key, keys[True] if incremental else key):
            lineage[uid] = dg.deserialize_value(kept[uid]["metadata"], dict)
        else:
            lineage[uid] = _lineage_metadata(manifest, translator, target_path, node, facts[uid])
            kept[uid] = {"sleutel": key, "metadata": dg.serialize_value(lineage[uid])}
    path.write_text(json.dumps(kept, sort_keys=True))
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


def _inputs(settings: Settings, manifest: dict, node: dict) -> list[dict]:
    return [dataset(namespace(settings), f"bronze.{parent['name']}" if parent["resource_type"] == "source"
                    else _table(parent)) for parent in parents_of(manifest, node)]


def _output_dataset(settings: Settings, node: dict, facts: dict, extra: dict) -> dict:
    lineage = extra.get("dagster/column_lineage")
    column_lineage = None
    if lineage is not None:
        column_lineage = {
            column: [{"namespace": namespace(settings), "name": ".".join(dep.asset_key.path), "field": dep.column_name}
                     for dep in deps]
            for column, deps in lineage.deps_by_column.items() if deps
        }
    columns = {name: meta["data_type"] for name, meta in facts["columns"].items()}
    return dataset(namespace(settings), _table(node), columns, column_lineage)


if __name__ == "__main__":
    parse_project()
