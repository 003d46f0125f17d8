"""What each dbt model was built from, so a run builds only what new data, a changed definition or a new
peildatum affects.

Per model two fingerprints are recorded when it is built:
- its *definition*: its SQL and configuration and those of every model, seed and macro upstream of it;
- its *inputs*: its own definition, its tests, the bronze parts of the sources it reads, the peildatum when it
  uses it (only its month or its last Sunday when it reads no more than that, through the `peilmaand` and
  `peilzondag` macros), and the inputs its parent models were last built from (so a model built from a parent
  that was not rebuilt yet is rebuilt once that parent is).

A model whose inputs equal those of its last build, whose tests then all passed and whose table is still there,
is up to date: the run neither builds nor tests it again, since the same inputs give the same table. An
incremental model is rebuilt whole when its definition differs from the one it was built with (the rows earlier
builds kept would still follow the old definition, or lack a column the new SQL reads), or when a model or
codelist it reads was rebuilt since (new areas move every melding, not only the new ones), or when a delivery it
was built from was removed from or replaced in landing (the records it still holds may rest on it). An incremental model
it reads counts as rebuilt only when that model was rebuilt whole: the rows it added since are what the
incremental SQL reads.
Bronze is append-only and a part is never rewritten, so its name, size and modification time stand for its content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.bronze.deliveries import last_withdrawal
from pipelines.settings import Settings

DELIVERIES_FOLDER = "/aanlevering"  # of a source's `<system>_aanlevering` table (pipelines/bronze/tables.py)

RECORD = "build_state.json"  # in the dbt state folder, beside the build database
WHOLE_BUILD = "geheel_gebouwd_in_run"  # of an incremental model: the last run that built it from all its input
PEILDATUM_MACRO = "macro.lakehouse.peildatum"
# Macros that read no more of the peildatum than a coarser date, with that date: a model that uses only them is
# rebuilt when that date moves (a new month, a new week), not every night.
PEILDATUM_PARTS = {
    "macro.lakehouse.peilmaand": lambda day: f"peilmaand {day:%Y-%m}",
    "macro.lakehouse.peilzondag": lambda day: f"peilzondag {day - dt.timedelta(day.isoweekday() % 7)}",
}
# Configuration that describes a model without changing what it computes.
DESCRIPTIVE_CONFIG = ("meta", "docs", "tags", "group")


def bronze_parts(folder: Path) -> str:
    """A bronze table's parts as a fingerprint: name, size and modification time of each."""
    parts = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.parquet"))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Inputs:
    """What a model would be built from now: the fingerprint of all its inputs (None when a parent has no
    recorded inputs: such a model cannot be up to date), and the state of each model and seed it reads (of an
    incremental one: the run that last built it whole)."""

    fingerprint: str | None
    parents: dict[str, str | None]


def current_inputs(manifest: dict, unique_ids: list[str], settings: Settings) -> dict[str, Inputs]:
    """The inputs of each of `unique_ids`, built together in one dbt invocation: a parent among them counts with
    the inputs it is about to be built from, any other parent with those it was last built from."""
    recorded = _recorded(settings.dbt_state)
    building = set(unique_ids)
    found: dict[str, Inputs] = {}

    def parent_state(uid: str) -> str | None:
        if uid in manifest["sources"]:
            return bronze_parts(settings.bronze / manifest["sources"][uid]["meta"]["folder"])
        if uid in building:
            return inputs(uid).fingerprint
        return recorded.get(uid, {}).get("invoer")

    def whole_build(uid: str) -> str | None:
        # Built in this same invocation, it may yet be rebuilt whole: counted as rebuilt.
        return None if uid in building else recorded.get(uid, {}).get(WHOLE_BUILD)

    def inputs(uid: str) -> Inputs:
        if uid not in found:
            found[uid] = Inputs(None, {})  # while its parents are looked at: a cycle through tests is never up to date
            tests = [t for t in manifest["child_map"].get(uid, [])
                     if t.startswith("test.") and manifest["nodes"][t].get("attached_node") == uid]
            parents = {p for node in [uid, *tests] for p in manifest["nodes"][node]["depends_on"].get("nodes", [])} - {uid}
            states = {parent: parent_state(parent) for parent in sorted(parents)}
            digest = hashlib.sha256(_definition_content(manifest, uid).encode())
            for test in sorted(tests):
                digest.update(_definition_content(manifest, test).encode())
            for parent, state in states.items():
                digest.update(f"{parent}\n{state}\n".encode())
            if reference := _reference_date(manifest, [uid, *tests], settings.peildatum):
                digest.update(f"{reference}\n".encode())
            found[uid] = Inputs(None if None in states.values() else digest.hexdigest(),
                                {p: whole_build(p) if is_incremental(manifest, p) else state
                                 for p, state in states.items() if p in manifest["nodes"]}
                                | {p: last_withdrawal(settings.bronze / manifest["sources"][p]["meta"]["folder"])
                                   for p in states if is_deliveries(manifest, p)})
        return found[uid]

    return {uid: inputs(uid) for uid in unique_ids}


def up_to_date(manifest: dict, inputs: dict[str, Inputs], settings: Settings,
               tables: set[tuple[str, str]]) -> dict[str, dict]:
    """The models that need no build, each with the record of the build that made its table: built from the
    same inputs with all tests passed, and its table (schema, name) is among `tables`."""
    if settings.full_refresh:
        return {}
    recorded = _recorded(settings.dbt_state)
    kept = {uid for uid, now in inputs.items() if now.fingerprint is not None
            and recorded.get(uid, {}).get("invoer") == now.fingerprint and _table(manifest, uid) in tables}
    # Dagster takes a step's assets in dependency order: a model below one that is built in the same step is built too.
    for uid in _in_dependency_order(manifest, list(inputs)):
        if any(p in inputs and p not in kept for p in manifest["nodes"][uid]["depends_on"].get("nodes", [])):
            kept.discard(uid)
    return {uid: recorded[uid] for uid in _in_dependency_order(manifest, list(inputs)) if uid in kept}


def _in_dependency_order(manifest: dict, unique_ids: list[str]) -> list[str]:
    """`unique_ids` with every model after the models among them it reads."""
    among, ordered, seen = set(unique_ids), [], set()

    def visit(uid: str) -> None:
        if uid in seen:
            return
        seen.add(uid)
        for parent in manifest["nodes"][uid]["depends_on"].get("nodes", []):
            if parent in among:
                visit(parent)
        ordered.append(uid)

    for uid in unique_ids:
        visit(uid)
    return ordered


def table_inputs(settings: Settings, table: str) -> str | None:
    """The inputs the table (`schema.name`) was last built from, if that build passed its tests."""
    return _last_build(settings, table).get("invoer")


def built_in_run(settings: Settings, table: str) -> str | None:
    """The run that last built the table (`schema.name`), if that build passed its tests."""
    return _last_build(settings, table).get("run_id")


def _last_build(settings: Settings, table: str) -> dict:
    return next((entry for entry in _recorded(settings.dbt_state).values() if entry.get("tabel") == table), {})


def to_rebuild_whole(manifest: dict, inputs: dict[str, Inputs], state: Path) -> dict[str, str]:
    """The incremental models among `inputs` that must be rebuilt whole, each with the reason.

    Their SQL adds only the rows that arrived since in what they are incremental on (bronze; for Fixi's weeks,
    fixi_melding); what else they read (areas, calendar, codelists) applies to every row, so a change there, or a
    whole rebuild of the incremental model they read, rebuilds them whole."""
    recorded = _recorded(state)
    reasons = {}
    for uid, now in inputs.items():
        if not is_incremental(manifest, uid):
            continue
        last = recorded.get(uid, {})
        changed = [p for p, parent in now.parents.items() if parent is None or parent != last.get("ouders", {}).get(p)]
        rebuilt = sorted(manifest["nodes"][p]["name"] for p in changed if p in manifest["nodes"])
        withdrawn = sorted(manifest["sources"][p]["name"] for p in changed if p in manifest["sources"])
        if "definitie" not in last:
            reasons[uid] = "no record of the definition it was built with (a first build, or a database from an older version)"
        elif last["definitie"] != definition_fingerprint(manifest, uid):
            reasons[uid] = "its SQL, or a model, seed or macro it is built from, changed since its last build"
        elif rebuilt:
            reasons[uid] = f"a model or codelist it reads was rebuilt since its last build: {', '.join(rebuilt)}"
        elif withdrawn:
            reasons[uid] = ("a delivery it was built from was removed from or replaced in landing since its last build "
                            f"({', '.join(withdrawn)})")
    return reasons


def record_builds(manifest: dict, built: list[str], tested: set[str], inputs: dict[str, Inputs],
                  run_id: str, state: Path, whole: bool) -> None:
    """Record what the models in `built` were built from, and whether the incremental ones among them were
    rebuilt `whole`. Their inputs are recorded only for those whose tests all passed (`tested`): any other is
    built and tested again by the next run."""
    recorded = _recorded(state)
    for uid in built:
        schema, name = _table(manifest, uid)
        entry = {"tabel": f"{schema}.{name}", "definitie": definition_fingerprint(manifest, uid),
                 "ouders": inputs[uid].parents}
        if is_incremental(manifest, uid):
            previous = recorded.get(uid, {}).get(WHOLE_BUILD)
            # A record from before whole builds were recorded counts from this run: what reads it is rebuilt whole once.
            entry[WHOLE_BUILD] = run_id if whole or previous is None else previous
        if uid in tested and inputs[uid].fingerprint is not None:
            entry |= {"invoer": inputs[uid].fingerprint, "run_id": run_id}
        recorded[uid] = entry
    state.mkdir(parents=True, exist_ok=True)
    (state / RECORD).write_text(json.dumps(recorded, indent=2, sort_keys=True))


def definition_fingerprint(manifest: dict, unique_id: str) -> str:
    """SHA-256 over the model and every model and seed upstream of it (not sources): SQL, configuration and
    the macros each calls."""
    digest = hashlib.sha256()
    for uid in sorted(_upstream(manifest, unique_id)):
        digest.update(f"{uid}\n{_definition_content(manifest, uid)}\n".encode())
    return digest.hexdigest()


def _definition_content(manifest: dict, uid: str) -> str:
    """What of a node decides the table it builds or the verdict of a test: its SQL (a seed's content), the
    configuration that is not descriptive, a contract's column types, a generic test's arguments, and the
    macros it calls."""
    node = manifest["nodes"][uid]
    config = {k: v for k, v in node["config"].items() if k not in DESCRIPTIVE_CONFIG}
    columns = {name: column.get("data_type") for name, column in node.get("columns", {}).items()}
    macros = {m: manifest["macros"][m]["macro_sql"] for m in sorted(_macros(manifest, uid)) if m in manifest["macros"]}
    return json.dumps([node["checksum"]["checksum"], node.get("raw_code"), config, columns,
                       node.get("test_metadata"), macros], sort_keys=True, default=str)


def _reference_date(manifest: dict, nodes: list[str], peildatum: dt.date) -> str | None:
    """What of the peildatum the nodes read: the date itself, only coarser dates (its month through `peilmaand`,
    its last Sunday through `peilzondag`), or nothing."""
    calls = set().union(*(_macros(manifest, node, opaque=frozenset(PEILDATUM_PARTS)) for node in nodes))
    if PEILDATUM_MACRO in calls:
        return f"peildatum {peildatum}"
    return "\n".join(part(peildatum) for macro, part in sorted(PEILDATUM_PARTS.items()) if macro in calls) or None


def _macros(manifest: dict, uid: str, opaque: frozenset[str] = frozenset()) -> set[str]:
    """The macros a node calls, and the macros those call, except those called by an `opaque` one."""
    seen, todo = set(), list(manifest["nodes"][uid]["depends_on"].get("macros", []))
    while todo:
        macro = todo.pop()
        if macro in seen or macro not in manifest["macros"]:
            continue
        seen.add(macro)
        if macro not in opaque:
            todo += manifest["macros"][macro]["depends_on"].get("macros", [])
    return seen


def _upstream(manifest: dict, unique_id: str) -> set[str]:
    """The node and the models and seeds upstream of it."""
    seen, todo = set(), [unique_id]
    while todo:
        uid = todo.pop()
        if uid in seen or uid not in manifest["nodes"]:  # sources are not nodes
            continue
        seen.add(uid)
        todo += manifest["nodes"][uid]["depends_on"].get("nodes", [])
    return seen


def _table(manifest: dict, uid: str) -> tuple[str, str]:
    node = manifest["nodes"][uid]
    return node["schema"], node["alias"]


def is_deliveries(manifest: dict, uid: str) -> bool:
    """Whether the node is a source listing the deliveries that count now (`<system>_aanlevering`)."""
    return uid in manifest["sources"] and manifest["sources"][uid]["meta"].get("folder", "").endswith(DELIVERIES_FOLDER)


def is_incremental(manifest: dict, uid: str) -> bool:
    return manifest["nodes"][uid]["config"].get("materialized") == "incremental"


def _recorded(state: Path) -> dict[str, dict]:
    path = state / RECORD
    return json.loads(path.read_text()) if path.exists() else {}
