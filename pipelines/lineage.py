"""OpenLineage events as JSON files in `lineage/events/`, readable by any OpenLineage consumer.

Each asset materialisation is an OpenLineage job run (START, then COMPLETE or FAIL) whose parent is the
Dagster run, with its input and output datasets, their schemas and, where known, column lineage.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

from pipelines.settings import Settings

PRODUCER = "https://github.com/gemeente-lakehouse/pipelines"
SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"
FACETS = "https://openlineage.io/spec/facets/1-0-1"
DAGSTER_JOB = "lakehouse"


def namespace(settings: Settings) -> str:
    return f"gemeente-lakehouse/{settings.gemeentecode}"


def dataset(ns: str, name: str, columns: dict[str, str] | None = None, column_lineage: dict | None = None) -> dict:
    """An input or output dataset; `columns` maps name -> type, `column_lineage` output column -> inputs."""
    facets = {}
    if columns:
        facets["schema"] = _facet("SchemaDatasetFacet", {"fields": [{"name": n, "type": t} for n, t in columns.items()]})
    if column_lineage:
        facets["columnLineage"] = _facet(
            "ColumnLineageDatasetFacet",
            {"fields": {col: {"inputFields": inputs} for col, inputs in column_lineage.items()}},
        )
    return {"namespace": ns, "name": name, "facets": facets}


def _facet(name: str, body: dict) -> dict:
    return {"_producer": PRODUCER, "_schemaURL": f"{FACETS}/{name}.json", **body}


@dataclass
class LineageRun:
    settings: Settings
    dagster_run_id: str
    job: str
    inputs: list[dict] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        # Stable per (Dagster run, job), so START and COMPLETE of one materialisation share it.
        return str(uuid.uuid5(uuid.UUID(self.dagster_run_id), self.job))

    def emit(self, event_type: str, error: str | None = None) -> None:
        now = dt.datetime.now(dt.UTC)
        run_facets = {
            "parent": _facet(
                "ParentRunFacet",
                {"run": {"runId": self.dagster_run_id}, "job": {"namespace": namespace(self.settings), "name": DAGSTER_JOB}},
            )
        }
        if error:
            run_facets["errorMessage"] = _facet("ErrorMessageRunFacet", {"message": error, "programmingLanguage": "python"})
        event = {
            "eventType": event_type,
            "eventTime": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "run": {"runId": self.run_id, "facets": run_facets},
            "job": {"namespace": namespace(self.settings), "name": self.job},
            "inputs": self.inputs,
            "outputs": self.outputs if event_type != "START" else [],
            "producer": PRODUCER,
            "schemaURL": SPEC,
        }
        folder = self.settings.lineage / "events" / now.strftime("%Y-%m-%d") / self.dagster_run_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{now:%H%M%S%f}_{self.job.replace('/', '.')}_{event_type}.json"
        path.write_text(json.dumps(event, indent=1, ensure_ascii=False), encoding="utf-8")


@contextmanager
def lineage_run(settings: Settings, dagster_run_id: str, job: str, inputs: Iterable[dict] = ()):
    """Emit START now, and COMPLETE or FAIL when the block ends; the block adds inputs and outputs."""
    run = LineageRun(settings, dagster_run_id, job, list(inputs))
    run.emit("START")
    try:
        yield run
    except BaseException as err:
        run.emit("FAIL", error=f"{type(err).__name__}: {err}")
        raise
    run.emit("COMPLETE")
