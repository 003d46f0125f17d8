"""Why a model was, or was not, rebuilt: what the last run that considered it decided, in plain words, from the
build state (pipelines/dbt/state.py)."""

from __future__ import annotations

from pipelines.dbt import state
from pipelines.dbt.manifest import find_built_node, table_name
from pipelines.settings import Settings


def why(settings: Settings, manifest: dict, name: str) -> str:
    """The decision of the last run that considered the model or seed `name`, with its reasons."""
    uid = find_built_node(manifest, name)
    table = table_name(manifest["nodes"][uid])
    kept = state.load(settings.dbt_state)
    decision = kept["decisions"].get(uid)
    if decision is None:
        return f"{table}: no run has considered it yet in {settings.data_root} (no build state in {settings.dbt_state})"
    lines = [f"{table}: {decision['decision']} in run {decision['run_id']} (step {decision['step']})"]
    if decision["run_id"] != kept["last_run"]:
        lines.append(f"  the last run, {kept['last_run']}, did not consider it: its step did not run (a blocking "
                     "check before it failed, or the run selected other assets)")
    lines += [f"  - {reason}" for reason in decision["reasons"]]
    return "\n".join(lines)
