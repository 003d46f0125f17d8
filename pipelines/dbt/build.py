"""`dbt build` in a Dagster step: the step's models that are not up to date are built and tested, and what was
built is described (row counts, schemas, column lineage, OpenLineage) before Dagster sees the events.

dbt runs in this process (pipelines/dbt/runner.py) and holds the build database's write lock for its whole
invocation, so facts about the built tables are gathered once dbt is done, from a read-only connection
(pipelines/dbt/facts.py). Which models are built, rebuilt whole or kept, and why, is decided from the build state
(pipelines/dbt/rebuild.py) and recorded there for `python -m pipelines.dbt why`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import dagster as dg
import duckdb
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from pipelines.column_lineage import parents_of
from pipelines.dbt import state
from pipelines.dbt.facts import catalogue, column_lineage_metadata, read_only, row_count, table_facts
from pipelines.dbt.manifest import is_incremental, schema_and_name, table_name, tests_on
from pipelines.dbt.rebuild import Decision, Inputs, current_inputs, decide, record_builds, record_decisions, to_rebuild_whole
from pipelines.dbt.runner import invoke
from pipelines.lineage import LineageRun, dataset, namespace
from pipelines.quality.results import dbt_test_outcome, store_test_outcomes
from pipelines.settings import Settings


def dbt_build(context: dg.AssetExecutionContext, settings: Settings) -> Iterator:
    """`dbt build` for the selected assets that are not up to date; yields Dagster events enriched once dbt is
    done. An up-to-date model is not built or tested again: its table and the outcome of its tests are those
    of the build recorded for the same inputs."""
    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    if older := state.older_format(settings.dbt_state):
        context.log.warning(older)
    selected = [n["unique_id"] for n in manifest["nodes"].values()
                if n["resource_type"] in ("model", "seed") and translator.get_asset_key(n) in context.selected_asset_keys]
    inputs = current_inputs(manifest, selected, settings)
    kept_outcomes = {}
    with read_only(settings) as db:
        decisions = decide(manifest, inputs, settings, set(catalogue(db)) if db else set())
        unchanged = [uid for uid, decision in decisions.items() if decision.kept]
        if unchanged:
            context.log.info(f"up to date, not built again: {', '.join(manifest['nodes'][uid]['name'] for uid in unchanged)}")
        for uid in unchanged:
            node = manifest["nodes"][uid]
            rows = row_count(db, node)
            yield from _unchanged_events(context, manifest, translator, node, decisions[uid], rows)
            kept_outcomes[table_name(node)] = [dbt_test_outcome(test, True, 0, rows, decisions[uid].last_build["built_in_run"])
                                               for test in _tests_kept(context, manifest, translator, node)]
    store_test_outcomes(settings, context.run_id, kept_outcomes)
    to_build = [uid for uid in selected if not decisions[uid].kept]
    record_decisions(settings.dbt_state, context.run_id, context.op_def.name,
                     {uid: ("kept", decisions[uid].reasons) for uid in unchanged})
    if to_build:
        yield from _build(context, settings, manifest, translator, {uid: inputs[uid] for uid in to_build}, decisions)


def _build(context: dg.AssetExecutionContext, settings: Settings, manifest: dict, translator,
           inputs: dict[str, Inputs], decisions: dict[str, Decision]) -> Iterator:
    rebuild = to_rebuild_whole(manifest, inputs, settings.dbt_state)
    for uid, reason in rebuild.items():
        context.log.info(f"{manifest['nodes'][uid]['name']} is rebuilt whole: {reason}")
    # No manifest.json or run_results.json per invocation: nothing reads them, and writing them is slow.
    full_refresh = settings.full_refresh or bool(rebuild)
    # A model's tests by name too: one that also reads a codelist not rebuilt (relationships) is no test of a
    # selected node's to dbt's indirect selection, and would silently not run.
    command = ["build", "--no-write-json", *(["--full-refresh"] if full_refresh else []),
               "--select", *(f"path:{manifest['nodes'][uid]['original_file_path']}" for uid in inputs),
               *(test["name"] for uid in inputs for test in tests_on(manifest, uid))]
    target_path = settings.dbt_state / "runs" / f"{context.run_id}-{context.op_def.name}"
    context.log.debug(f"dbt {' '.join(command)}")  # in the log file; the console shows what dbt built
    runs = {uid: LineageRun(settings, context.run_id, table_name(manifest["nodes"][uid]),
                            _lineage_inputs(settings, manifest, manifest["nodes"][uid])) for uid in inputs}
    for run in runs.values():
        run.emit("START")
    invocation = invoke(command, settings, target_path)
    events = [event for message in invocation.events
              for event in message.to_default_asset_events(manifest=manifest, dagster_dbt_translator=translator,
                                                           context=context, target_path=target_path)]
    error = invocation.error()
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        tables = catalogue(db)
        # A model dbt could not build on a first build has no table; dbt's error is raised below.
        facts = {uid: table_facts(db, tables, manifest, manifest["nodes"][uid]) for uid in runs
                 if schema_and_name(manifest["nodes"][uid]) in tables}
    store_test_outcomes(settings, context.run_id, _test_outcomes(manifest, events, facts))
    built = [uid for uid in map(_unique_id, (e for e in events if isinstance(e, dg.Output))) if uid in facts]
    record_builds(manifest, built, _tests_passed(manifest, translator, built, events), inputs, context.run_id,
                  settings.dbt_state, whole=full_refresh)
    why = {uid: _what_was_done(manifest, uid, decisions[uid], uid in built, full_refresh, rebuild, settings)
           for uid in inputs}
    record_decisions(settings.dbt_state, context.run_id, context.op_def.name, why)
    lineage = column_lineage_metadata(settings, manifest, translator, target_path, built, facts, full_refresh)
    for event in events:
        uid = _unique_id(event)
        if isinstance(event, dg.Output) and uid in facts:
            extra = lineage[uid]
            runs[uid].outputs = [_output_dataset(settings, manifest["nodes"][uid], facts[uid], extra)]
            runs.pop(uid).emit("COMPLETE")
            event = event.with_metadata({**event.metadata, "dagster/row_count": facts[uid]["rows"], "rebuilt": True,
                                         "why": _in_words(*why[uid]), **extra})
        yield event
    for run in runs.values():
        run.emit("FAIL", error=str(error) if error else "not built: an upstream model or test failed")
    if error:
        raise error
    # Each invocation writes its own target folder; kept only when dbt failed, for its logs.
    shutil.rmtree(target_path, ignore_errors=True)


def _what_was_done(manifest: dict, uid: str, decision: Decision, built: bool, full_refresh: bool,
                   rebuild: dict[str, str], settings: Settings) -> tuple[str, list[str]]:
    """What the step did with a model it did not keep, and why: the reasons it was not up to date and, of an
    incremental model, why it was rebuilt whole or what it added."""
    if not built:
        return "not built", [*decision.reasons, "dbt did not build it: it, or a model or test before it, failed"]
    if not is_incremental(manifest, uid):
        return "built", decision.reasons
    if not full_refresh:
        return "built incrementally", [*decision.reasons, "only the rows that arrived since its last build were added"]
    if uid in rebuild:
        whole = rebuild[uid]
    elif settings.full_refresh:
        whole = "a full rebuild was asked for (LAKEHOUSE_FULL_REFRESH)"
    else:
        others = ", ".join(manifest["nodes"][other]["name"] for other in rebuild)
        whole = f"{others} in the same dbt invocation is rebuilt whole, and --full-refresh applies to all of it"
    return "rebuilt whole", [*decision.reasons, f"rebuilt whole: {whole}"]


def _in_words(decision: str, reasons: list[str]) -> str:
    return f"{decision}: " + "; ".join(reasons)


def _tests_passed(manifest: dict, translator, built: list[str], events: list) -> set[str]:
    """The models among `built` whose every test ran in this build and passed."""
    passed = {(e.asset_key, e.check_name) for e in events if isinstance(e, dg.AssetCheckResult) and e.passed}
    return {uid for uid in built
            if all((translator.get_asset_key(manifest["nodes"][uid]), test["name"]) in passed
                   for test in tests_on(manifest, uid))}


def _unchanged_events(context, manifest: dict, translator, node: dict, decision: Decision, rows: int) -> Iterator:
    """The materialization of a model that is up to date, and its tests' outcome at the build that made it."""
    key = translator.get_asset_key(node)
    unchanged = {"rebuilt": False, "built_in_run": decision.last_build["built_in_run"]}
    yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                    metadata={"unique_id": node["unique_id"], "dagster/row_count": rows, **unchanged,
                              "why": _in_words("kept", decision.reasons)})
    for test in _tests_kept(context, manifest, translator, node):
        yield dg.AssetCheckResult(asset_key=key, check_name=test["name"], passed=True, metadata=unchanged)


def _tests_kept(context, manifest: dict, translator, node: dict) -> list[dict]:
    """The selected tests of an up-to-date model, whose outcome is that of the build that made it."""
    key = translator.get_asset_key(node)
    return [test for test in tests_on(manifest, node["unique_id"])
            if dg.AssetCheckKey(key, test["name"]) in context.selected_asset_check_keys]


def _test_outcomes(manifest: dict, events: list, facts: dict) -> dict[str, list]:
    """Per table, the result rows of the dbt tests this build ran on it."""
    outcomes = {}
    for event in events:
        if isinstance(event, dg.AssetCheckResult):
            test = manifest["nodes"][event.metadata["unique_id"].value]
            failures = event.metadata.get("dagster_dbt/failed_row_count")
            rows = facts.get(test["attached_node"], {}).get("rows")
            outcomes.setdefault(table_name(manifest["nodes"][test["attached_node"]]), []).append(
                dbt_test_outcome(test, event.passed, failures.value if failures else None, rows))
    return outcomes


def _unique_id(event) -> str | None:
    meta = getattr(event, "metadata", None) or {}
    value = meta.get("unique_id")
    return getattr(value, "text", value)


def _lineage_inputs(settings: Settings, manifest: dict, node: dict) -> list[dict]:
    return [dataset(namespace(settings), f"bronze.{parent['name']}" if parent["resource_type"] == "source"
                    else table_name(parent)) for parent in parents_of(manifest, node)]


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
    return dataset(namespace(settings), table_name(node), columns, column_lineage)
