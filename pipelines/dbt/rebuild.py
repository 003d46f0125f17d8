"""Which models a run builds, rebuilds whole or keeps, and why: from what each model was last built from.

A model's *inputs* are its own definition (its SQL and configuration, and the macros it calls), its tests, the
bronze parts of the sources it reads, the peildatum when it uses it (only its month or its last Sunday when it
reads no more than that, through the `peilmaand` and `peilzondag` macros), and the inputs its parent models were
last built from (so a model built from a parent that was not rebuilt yet is rebuilt once that parent is).

A model whose inputs equal those of its last build, whose tests then all passed and whose table is still there,
is up to date: the run neither builds nor tests it again, since the same inputs give the same table. An
incremental model is rebuilt whole when its *definition* (its SQL and configuration and those of every model,
seed and macro upstream of it) differs from the one it was built with (the rows earlier builds kept would still
follow the old definition, or lack a column the new SQL reads), or when a model or codelist it reads was rebuilt
since (new areas move every melding, not only the new ones), or when a delivery it was built from was removed
from or replaced in landing (the records it still holds may rest on it). An incremental model it reads counts as
rebuilt only when that model was rebuilt whole: the rows it added since are what the incremental SQL reads.
Bronze is append-only and a part is never rewritten in place, so its name, size and modification time stand for
its content.

Every decision is recorded with its reasons in the build state (pipelines/dbt/state.py), which
`python -m pipelines.dbt why <model>` prints.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.bronze.deliveries import last_withdrawal
from pipelines.dbt import state
from pipelines.dbt.manifest import (
    display_name,
    in_dependency_order,
    is_incremental,
    is_source,
    macros_called,
    parents,
    schema_and_name,
    table_name,
    tests_on,
    upstream,
)
from pipelines.settings import Settings

DELIVERIES_FOLDER = "/aanlevering"  # of a source's `<system>_aanlevering` table (pipelines/bronze/tables.py)
PEILDATUM_MACRO = "macro.lakehouse.peildatum"
# Macros that read no more of the peildatum than a coarser date, with that date: a model that uses only them is
# rebuilt when that date moves (a new month, a new week), not every night.
PEILDATUM_PARTS = {
    "macro.lakehouse.peilmaand": lambda day: f"peilmaand {day:%Y-%m}",
    "macro.lakehouse.peilzondag": lambda day: f"peilzondag {day - dt.timedelta(day.isoweekday() % 7)}",
}
# Configuration that describes a model without changing what it computes.
DESCRIPTIVE_CONFIG = ("meta", "docs", "tags", "group")


def source_parts(folder: Path) -> dict[str, Any]:
    """A bronze table's parts: how many, and a digest of the name, size and modification time of each."""
    parts = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.parquet"))
    return {"parts": len(parts), "digest": hashlib.sha256(json.dumps(parts).encode()).hexdigest()}


@dataclass(frozen=True)
class Inputs:
    """What a model would be built from now. `parents`: per model, seed or source it reads, its state (a model's
    or seed's: the fingerprint of its own inputs, None when it has no build that passed its tests; a source's:
    its bronze parts). `every_row`: what applies to every row of an incremental model (per model or seed it
    reads, its state or, of an incremental one, the run that last built it whole; per list of deliveries, its
    last withdrawal); a change there rebuilds the model whole."""

    code: str
    tests: str = ""
    parents: dict[str, Any] = field(default_factory=dict)
    peildatum: str | None = None
    every_row: dict[str, str | None] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str | None:
        """One digest of all inputs; None when a parent has no build that passed its tests (such a model is
        never up to date)."""
        if None in self.parents.values():
            return None
        return hashlib.sha256(json.dumps(self.compared(), sort_keys=True).encode()).hexdigest()

    def compared(self) -> dict[str, Any]:
        """The inputs as the build state records them, to compare with the next run's."""
        return {"code": self.code, "tests": self.tests, "parents": self.parents, "peildatum": self.peildatum}


@dataclass(frozen=True)
class Decision:
    """Whether a run keeps a model as its last build left it, and why it does or does not."""

    kept: bool
    reasons: list[str]
    last_build: dict


def current_inputs(manifest: dict, unique_ids: list[str], settings: Settings) -> dict[str, Inputs]:
    """The inputs of each of `unique_ids`, built together in one dbt invocation: a parent among them counts with
    the inputs it is about to be built from, any other parent with those it was last built from."""
    recorded = state.recorded_builds(settings.dbt_state)
    building = set(unique_ids)
    found: dict[str, Inputs] = {}

    def parent_state(uid: str) -> Any:
        if is_source(manifest, uid):
            return source_parts(_source_folder(manifest, settings, uid))
        if uid in building:
            return inputs(uid).fingerprint
        return recorded.get(uid, {}).get("fingerprint")

    def whole_build(uid: str) -> str | None:
        # Built in this same invocation, it may yet be rebuilt whole: counted as rebuilt.
        return None if uid in building else recorded.get(uid, {}).get("whole_build_run")

    def inputs(uid: str) -> Inputs:
        if uid not in found:
            # While its parents are looked at: a cycle through tests is never up to date.
            found[uid] = Inputs("", parents={uid: None})
            tests = sorted(test["unique_id"] for test in tests_on(manifest, uid))
            read = {p for node in [uid, *tests] for p in manifest["nodes"][node]["depends_on"].get("nodes", [])} - {uid}
            states = {parent: parent_state(parent) for parent in sorted(read)}
            found[uid] = Inputs(
                code=_digest(_definition_content(manifest, uid)),
                tests=_digest("".join(_definition_content(manifest, test) for test in tests)),
                parents=states,
                peildatum=_reference_date(manifest, [uid, *tests], settings.peildatum),
                every_row={p: whole_build(p) if is_incremental(manifest, p) else s
                           for p, s in states.items() if p in manifest["nodes"]}
                | {p: last_withdrawal(_source_folder(manifest, settings, p)) for p in states if is_deliveries(manifest, p)},
            )
        return found[uid]

    return {uid: inputs(uid) for uid in unique_ids}


def decide(manifest: dict, inputs: dict[str, Inputs], settings: Settings,
           tables: set[tuple[str, str]]) -> dict[str, Decision]:
    """Per model of `inputs`, in dependency order, whether it is kept: built before from the same inputs with all
    tests passed, its table (schema, name) among `tables`, no model it reads built in this same step, and no
    full rebuild asked for."""
    recorded = state.recorded_builds(settings.dbt_state)
    decisions = {}
    # Dagster takes a step's assets in dependency order: a model below one that is built in the same step is built too.
    for uid in in_dependency_order(manifest, list(inputs)):
        last = recorded.get(uid, {})
        reasons = _reasons_to_build(manifest, uid, inputs[uid], last, settings, tables) or [
            f"{display_name(manifest, p)}, which it reads, is built in this same step"
            for p in parents(manifest, uid) if p in decisions and not decisions[p].kept]
        decisions[uid] = Decision(not reasons, reasons or [_why_kept(inputs[uid], last)], last)
    return decisions


def _reasons_to_build(manifest: dict, uid: str, now: Inputs, last: dict, settings: Settings,
                      tables: set[tuple[str, str]]) -> list[str]:
    if settings.full_refresh:
        return ["a full rebuild was asked for (LAKEHOUSE_FULL_REFRESH)"]
    if not last:
        return ["no earlier build of it is recorded (a first build, or build state of an older version)"]
    reasons = []
    if schema_and_name(manifest["nodes"][uid]) not in tables:
        reasons.append(f"its table {table_name(manifest['nodes'][uid])} is not in the build database")
    if not last["tests_passed"]:
        reasons.append(f"its last build (run {last['built_in_run']}) did not pass all its tests")
    elif "fingerprint" not in last:
        reasons.append(f"its last build (run {last['built_in_run']}) read a model that had no build which passed "
                       "its tests")
    missing = [display_name(manifest, p) for p, s in now.parents.items() if s is None]
    if missing:
        reasons.append(f"what it reads has no build that passed its tests: {', '.join(missing)}")
    elif "inputs" in last and now.fingerprint != last["fingerprint"]:
        reasons += _changed_inputs(manifest, last["inputs"], now.compared())
    return reasons


def _changed_inputs(manifest: dict, then: dict, now: dict) -> list[str]:
    """In plain words, what differs between the inputs of the last build and today's."""
    changed = []
    if then["code"] != now["code"]:
        changed.append("its SQL, its configuration or a macro it calls changed")
    if then["tests"] != now["tests"]:
        changed.append("its tests changed")
    if then["peildatum"] != now["peildatum"]:
        changed.append(f"the peildatum moved: {_one_line(then['peildatum'])} then, {_one_line(now['peildatum'])} now")
    for parent in sorted(then["parents"].keys() | now["parents"].keys()):
        before, after, name = then["parents"].get(parent), now["parents"].get(parent), display_name(manifest, parent)
        if before == after:
            continue
        if before is None:
            changed.append(f"it reads {name} now, which it did not at its last build")
        elif after is None:
            changed.append(f"it no longer reads {name}")
        elif is_source(manifest, parent):
            changed.append(f"{name} has new or rewritten parts ({before['parts']} then, {after['parts']} now)")
        else:
            changed.append(f"{name}, which it reads, was built from other inputs since")
    return changed or ["its inputs differ from those of its last build"]


def _why_kept(now: Inputs, last: dict) -> str:
    same = ["the same SQL and tests", *(["the same upstream data"] if now.parents else []),
            *([f"the same peildatum ({_one_line(now.peildatum)})"] if now.peildatum else [])]
    return (f"nothing it is built from changed since its build in run {last['built_in_run']}, whose tests all "
            f"passed: {', '.join(same)}")


def _one_line(peildatum: str | None) -> str:
    """What a model reads of the peildatum (`peilmaand 2026-06`, one line per part), on one line."""
    return ", ".join((peildatum or "none of it").splitlines())


def to_rebuild_whole(manifest: dict, inputs: dict[str, Inputs], folder: Path) -> dict[str, str]:
    """The incremental models among `inputs` that must be rebuilt whole, each with the reason.

    Their SQL adds only the rows that arrived since in what they are incremental on (bronze; for Fixi's weeks,
    fixi_melding); what else they read (areas, calendar, codelists) applies to every row, so a change there, or a
    whole rebuild of the incremental model they read, rebuilds them whole."""
    recorded = state.recorded_builds(folder)
    reasons = {}
    for uid, now in inputs.items():
        if not is_incremental(manifest, uid):
            continue
        last = recorded.get(uid, {})
        changed = [p for p, parent in now.every_row.items() if parent is None or parent != last.get("every_row", {}).get(p)]
        rebuilt = sorted(manifest["nodes"][p]["name"] for p in changed if p in manifest["nodes"])
        withdrawn = sorted(manifest["sources"][p]["name"] for p in changed if is_source(manifest, p))
        if not last:
            reasons[uid] = "no record of the definition it was built with (a first build, or build state of an older version)"
        elif last["definition"] != definition_fingerprint(manifest, uid):
            reasons[uid] = "its SQL, or a model, seed or macro it is built from, changed since its last build"
        elif rebuilt:
            reasons[uid] = f"a model or codelist it reads was rebuilt since its last build: {', '.join(rebuilt)}"
        elif withdrawn:
            reasons[uid] = ("a delivery it was built from was removed from or replaced in landing since its last build "
                            f"({', '.join(withdrawn)})")
    return reasons


def record_builds(manifest: dict, built: list[str], tested: set[str], inputs: dict[str, Inputs],
                  run_id: str, folder: Path, whole: bool) -> None:
    """Record what the models in `built` were built from, and whether the incremental ones among them were
    rebuilt `whole`. Their inputs are recorded only for those whose tests all passed (`tested`): any other is
    built and tested again by the next run."""
    kept = state.load(folder)
    for uid in built:
        last = kept["builds"].get(uid, {})
        record = {"table": table_name(manifest["nodes"][uid]), "definition": definition_fingerprint(manifest, uid),
                  "every_row": inputs[uid].every_row, "built_in_run": run_id, "tests_passed": uid in tested}
        if is_incremental(manifest, uid):
            record["whole_build_run"] = run_id if whole else last.get("whole_build_run")
        if uid in tested and inputs[uid].fingerprint is not None:
            record |= {"inputs": inputs[uid].compared(), "fingerprint": inputs[uid].fingerprint}
        kept["builds"][uid] = record
    state.save(folder, kept)


def record_decisions(folder: Path, run_id: str, step: str, decisions: dict[str, tuple[str, list[str]]]) -> None:
    """Record, per model a step considered, what the run did with it (`kept`, `built`, `built whole`, ...) and why."""
    kept = state.load(folder)
    for uid, (decision, reasons) in decisions.items():
        kept["decisions"][uid] = {"run_id": run_id, "step": step, "decision": decision, "reasons": reasons}
    kept["last_run"] = run_id
    state.save(folder, kept)


def definition_fingerprint(manifest: dict, unique_id: str) -> str:
    """SHA-256 over the model and every model and seed upstream of it (not sources): SQL, configuration and
    the macros each calls."""
    digest = hashlib.sha256()
    for uid in sorted(upstream(manifest, unique_id)):
        digest.update(f"{uid}\n{_definition_content(manifest, uid)}\n".encode())
    return digest.hexdigest()


def _definition_content(manifest: dict, uid: str) -> str:
    """What of a node decides the table it builds or the verdict of a test: dbt's checksum of its file and its
    SQL (a seed's content), the configuration that is not descriptive, a contract's column types, a generic test's
    arguments, and the macros it calls."""
    node = manifest["nodes"][uid]
    config = {k: v for k, v in node["config"].items() if k not in DESCRIPTIVE_CONFIG}
    columns = {name: column.get("data_type") for name, column in node.get("columns", {}).items()}
    macros = {m: manifest["macros"][m]["macro_sql"] for m in sorted(macros_called(manifest, uid))}
    return json.dumps([node["checksum"]["checksum"], node.get("raw_code"), config, columns,
                       node.get("test_metadata"), macros], sort_keys=True, default=str)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _reference_date(manifest: dict, nodes: list[str], peildatum: dt.date) -> str | None:
    """What of the peildatum the nodes read: the date itself, only coarser dates (its month through `peilmaand`,
    its last Sunday through `peilzondag`), or nothing."""
    calls = set().union(*(macros_called(manifest, node, opaque=frozenset(PEILDATUM_PARTS)) for node in nodes))
    if PEILDATUM_MACRO in calls:
        return f"peildatum {peildatum}"
    return "\n".join(part(peildatum) for macro, part in sorted(PEILDATUM_PARTS.items()) if macro in calls) or None


def _source_folder(manifest: dict, settings: Settings, uid: str) -> Path:
    return settings.bronze / manifest["sources"][uid]["meta"]["folder"]


def is_deliveries(manifest: dict, uid: str) -> bool:
    """Whether the node is a source listing the deliveries that count now (`<system>_aanlevering`)."""
    return is_source(manifest, uid) and manifest["sources"][uid]["meta"].get("folder", "").endswith(DELIVERIES_FOLDER)
