"""The build state: one JSON file per data root (`silver/_dbt/build_state.json`) holding what each model was
last built from, what the last run decided for it and why, each built model's column lineage, and what the
dbt docs were last generated for. Nothing else keeps state about dbt's builds.

    {"format": 2,
     "builds": {unique_id: {"table", "definition", "every_row", "whole_build_run", "built_in_run",
                            "tests_passed", "inputs", "fingerprint"}},
     "decisions": {unique_id: {"run_id", "step", "decision", "reasons"}},
     "column_lineage": {unique_id: {"made_from", "metadata"}},
     "last_run": run_id, "docs_made_for": ...}

A file of another format (an older version's) is not read: every model is then built once, and whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.settings import Settings

STATE_FILE = "build_state.json"  # in the data root's dbt folder (Settings.dbt_state), beside dbt's parse
FORMAT = 2  # 1: the Dutch-keyed state of earlier versions, with the column lineage and docs marker apart
SECTIONS = ("builds", "decisions", "column_lineage")


def load(folder: Path) -> dict[str, Any]:
    """The state kept in `folder`; empty when there is none or it has another format."""
    path = folder / STATE_FILE
    state = json.loads(path.read_text()) if path.exists() else {}
    if state.get("format") != FORMAT:
        state = {"format": FORMAT}
    for section in SECTIONS:
        state.setdefault(section, {})
    return state


def save(folder: Path, state: dict[str, Any]) -> None:
    """Replace the state file in one rename: a run killed while writing leaves the previous state whole."""
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{STATE_FILE}.new"
    staging.write_text(json.dumps(state, sort_keys=True))
    staging.replace(folder / STATE_FILE)


def older_format(folder: Path) -> str | None:
    """A line for the log when `folder` holds build state this version does not read, else None."""
    path = folder / STATE_FILE
    if path.exists() and json.loads(path.read_text()).get("format") != FORMAT:
        return (f"{path} was written by an older version: it is not read, so every model is built, and built "
                "whole, once")
    return None


def recorded_builds(folder: Path) -> dict[str, dict]:
    """Per model or seed (unique id), the record of its last build."""
    return load(folder)["builds"]


def last_build_of_table(settings: Settings, table: str) -> dict:
    """The record of the last build of the table (`schema.name`), or {} when none is recorded."""
    return next((build for build in recorded_builds(settings.dbt_state).values() if build["table"] == table), {})


def table_inputs(settings: Settings, table: str) -> str | None:
    """The fingerprint of the inputs the table (`schema.name`) was last built from, if that build passed its tests."""
    return last_build_of_table(settings, table).get("fingerprint")


def built_in_run(settings: Settings, table: str) -> str | None:
    """The run that last built the table (`schema.name`), if that build passed its tests."""
    build = last_build_of_table(settings, table)
    return build["built_in_run"] if "fingerprint" in build else None
