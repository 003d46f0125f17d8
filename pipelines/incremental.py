"""When an incremental silver model must be rebuilt whole: its definition changed since it was built.

An incremental build keeps the rows earlier builds computed. After a change to the model's SQL, or to a model,
seed (codelist) or macro it is built from, those rows would still follow the old definition, or lack a column
the new SQL reads. So each incremental model's definition is fingerprinted from dbt's manifest and recorded
when it is built; a model whose fingerprint differs, or has none recorded (a build database made before
fingerprints were kept), is rebuilt from all of bronze. Bronze itself is data, not definition: new bronze
rows are what incremental builds are for.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

RECORD = "incremental_definitions.json"  # in the dbt state folder, beside the build database


def definitions_to_rebuild(manifest: dict, unique_ids: list[str], state: Path) -> dict[str, str]:
    """The incremental models among `unique_ids` that must be rebuilt whole, each with the reason."""
    recorded = _recorded(state)
    reasons = {}
    for uid in unique_ids:
        if not _is_incremental(manifest, uid):
            continue
        if uid not in recorded:
            reasons[uid] = "no record of the definition it was built with (a first build, or a database from an older version)"
        elif recorded[uid] != definition_fingerprint(manifest, uid):
            reasons[uid] = "its SQL, or a model, seed or macro it is built from, changed since its last build"
    return reasons


def record_definitions(manifest: dict, unique_ids: list[str], state: Path) -> None:
    """Record the definitions the incremental models among `unique_ids` were just built with."""
    recorded = _recorded(state)
    recorded.update({uid: definition_fingerprint(manifest, uid) for uid in unique_ids if _is_incremental(manifest, uid)})
    state.mkdir(parents=True, exist_ok=True)
    (state / RECORD).write_text(json.dumps(recorded, indent=2, sort_keys=True))


def definition_fingerprint(manifest: dict, unique_id: str) -> str:
    """SHA-256 over the model and everything upstream of it in dbt except sources: SQL, seeds and macros."""
    digest = hashlib.sha256()
    for uid in sorted(_upstream(manifest, unique_id)):
        if uid in manifest["nodes"]:
            content = manifest["nodes"][uid]["checksum"]["checksum"]
        else:
            content = manifest["macros"][uid]["macro_sql"]
        digest.update(f"{uid}\n{content}\n".encode())
    return digest.hexdigest()


def _upstream(manifest: dict, unique_id: str) -> set[str]:
    seen, todo = set(), [unique_id]
    while todo:
        uid = todo.pop()
        item = manifest["nodes"].get(uid) or manifest["macros"].get(uid)
        if uid in seen or item is None:  # sources are in neither
            continue
        seen.add(uid)
        todo += [*item["depends_on"].get("nodes", []), *item["depends_on"].get("macros", [])]
    return seen


def _is_incremental(manifest: dict, uid: str) -> bool:
    return manifest["nodes"][uid]["config"].get("materialized") == "incremental"


def _recorded(state: Path) -> dict[str, str]:
    path = state / RECORD
    return json.loads(path.read_text()) if path.exists() else {}
