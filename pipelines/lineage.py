"""OpenLineage events, built and sent with openlineage-python: as JSON files in `lineage/events/`, readable by any
OpenLineage consumer, and to a lineage server such as Marquez when LAKEHOUSE_LINEAGE_URL names one.

The Dagster run is a job run of its own (START, then COMPLETE or FAIL). Each asset materialisation is a job run
too, whose ParentRunFacet points at the Dagster run, with its input and output datasets, their schemas, column
lineage where known, and on each input table the data-quality assertions this run has checked on it so far.

Datasets are named as the OpenLineage naming spec names them (namespace `scheme://authority`, name the path
within it), with a logical authority instead of a machine's paths, so the same table has the same name wherever
the data root lies: the build database's tables `duckdb://lakehouse-gm0363` `silver.fixi_melding`, files
`file://lakehouse-gm0363` `landing/fixi` (a folder read) and `gold/fixi_pieken.parquet`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState, set_producer
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_assertions_dataset,
    error_message_run,
    job_type_job,
    parent_run,
    schema_dataset,
)
from openlineage.client.serde import Serde
from openlineage.client.transport.http import HttpTransport
from openlineage.client.transport.transport import Config, Transport
from openlineage.client.uuid import generate_new_uuid

from pipelines.settings import Settings

PRODUCER = "https://github.com/gemeente-lakehouse/pipelines"
SEVERITY = {"critical": "error", "warning": "warn"}  # dq_resultaten's `ernst` in the facet's words

set_producer(PRODUCER)  # this project made the events and their facets; the client says its version in a tag


def lakehouse(settings: Settings) -> str:
    """The logical name of this lakehouse, the authority of its dataset namespaces and its jobs' namespace."""
    return f"lakehouse-{settings.gemeentecode.lower()}"


def namespace(settings: Settings) -> str:
    """The namespace of the tables in the build database: bronze (as dbt reads it), silver and gold."""
    return f"duckdb://{lakehouse(settings)}"


def files_namespace(settings: Settings) -> str:
    return f"file://{lakehouse(settings)}"


@dataclass
class Dataset:
    """An input or output dataset before it is known which of the two it is."""
    namespace: str
    name: str
    facets: dict = field(default_factory=dict)


def dataset(ns: str, name: str, columns: dict[str, str] | None = None, column_lineage: dict | None = None) -> Dataset:
    """A dataset; `columns` maps name -> type, `column_lineage` output column -> its input fields
    (`{"namespace", "name", "field"}`). Optional parts left empty are None: the JSON leaves out a None, not a []."""
    facets = {}
    if columns:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t, fields=None) for n, t in columns.items()])
    if column_lineage:
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(dataset=None, fields={
            column: column_lineage_dataset.Fields(
                inputFields=[column_lineage_dataset.InputField(**i, transformations=None) for i in inputs])
            for column, inputs in column_lineage.items()})
    return Dataset(ns, name, facets)


def landing_folders(settings: Settings, folders: Iterable[str]) -> list[Dataset]:
    """Landing folders files were read from, by their path within the landing folder, wherever that lies. A
    folder, not each file: a national first load reads millions of bericht files, and an event naming each was
    close to a gigabyte. The file register names every file a run read."""
    return [dataset(files_namespace(settings), (Path("landing") / Path(f).relative_to(settings.landing)).as_posix())
            for f in sorted(folders)]


def published_file(settings: Settings, table: str) -> Dataset:
    return dataset(files_namespace(settings), f"gold/{table}.parquet")


@dataclass
class LineageRun:
    """One asset materialisation as an OpenLineage job run, a child of the Dagster run."""
    settings: Settings
    dagster_run_id: str
    job: str
    inputs: list[Dataset] = field(default_factory=list)
    outputs: list[Dataset] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: str(generate_new_uuid()))

    def emit(self, event_type: str, error: str | None = None) -> None:
        dagster_job = dg.OpExecutionContext.get().job_name  # the step's own run: its job is the parent
        parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=self.dagster_run_id),
                                           job=parent_run.Job(namespace=lakehouse(self.settings), name=dagster_job))
        final = event_type != "START"
        _emit(self.settings, RunEvent(
            eventType=RunState[event_type],
            eventTime=_now(),
            run=Run(runId=self.run_id, facets={"parent": parent, **_error(error)}),
            job=_job(self.settings, self.job, "ASSET"),
            # A table's checks so far are told once, when the job ends: it read the table as it was then.
            inputs=[_input(self.settings, self.dagster_run_id, d, final) for d in self.inputs],
            outputs=[OutputDataset(d.namespace, d.name, facets=d.facets) for d in self.outputs] if final else [],
        ))


@contextmanager
def lineage_run(settings: Settings, dagster_run_id: str, job: str, inputs: Iterable[Dataset] = ()):
    """Emit START now, and COMPLETE or FAIL when the block ends; the block adds inputs and outputs."""
    run = LineageRun(settings, dagster_run_id, job, list(inputs))
    run.emit("START")
    try:
        yield run
    except BaseException as err:
        run.emit("FAIL", error=f"{type(err).__name__}: {err}")
        raise
    run.emit("COMPLETE")


@contextmanager
def dagster_run(settings: Settings, run_id: str, job: str) -> Iterator[list[str]]:
    """The Dagster run's own events, the parent of every asset's job run: START now, and when the block ends
    COMPLETE, or FAIL when it raised or put the keys of failed steps in the list it is given."""
    failed: list[str] = []
    _emit(settings, _dagster_run_event(settings, run_id, job, "START"))
    try:
        yield failed
    except BaseException as err:
        _emit(settings, _dagster_run_event(settings, run_id, job, "FAIL", f"{type(err).__name__}: {err}"))
        raise
    _emit(settings, _dagster_run_event(settings, run_id, job, "FAIL" if failed else "COMPLETE",
                                       f"failed steps: {', '.join(failed)}" if failed else None))


def _dagster_run_event(settings: Settings, run_id: str, job: str, event_type: str,
                       error: str | None = None) -> RunEvent:
    return RunEvent(eventType=RunState[event_type], eventTime=_now(), run=Run(runId=run_id, facets=_error(error)),
                    job=_job(settings, job, "JOB"))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _job(settings: Settings, name: str, kind: str) -> Job:
    return Job(namespace=lakehouse(settings), name=name, facets={
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="DAGSTER", jobType=kind)})


def _error(error: str | None) -> dict:
    return {"errorMessage": error_message_run.ErrorMessageRunFacet(message=error, programmingLanguage="python")} \
        if error else {}


def _input(settings: Settings, dagster_run_id: str, data: Dataset, with_assertions: bool) -> InputDataset:
    assertions = with_assertions and data.namespace == namespace(settings) and \
        _assertions(settings.dq_results / dagster_run_id).get(data.name)
    facet = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet
    return InputDataset(data.namespace, data.name, facets=data.facets,
                        inputFacets={"dataQualityAssertions": facet(assertions=assertions)} if assertions else {})


def _assertions(results: Path) -> dict[str, list]:
    """Per table, the checks (GX expectations and dbt tests) the run has stored in its folder of `dq_resultaten`
    so far; read again only when a result was added."""
    files = sorted(results.glob("*.parquet"))
    return _assertions_of(tuple((str(f), f.stat().st_mtime_ns) for f in files)) if files else {}


@functools.lru_cache(maxsize=4)
def _assertions_of(files: tuple[tuple[str, int], ...]) -> dict[str, list]:
    rows = duckdb.execute(
        "select tabel, expectation, kolom, ernst, omschrijving, geslaagd, waargenomen "
        "from read_parquet(?, union_by_name = true) order by tabel, expectation, kolom",
        [[name for name, _ in files]]).fetchall()
    tables = {}
    for table, expectation, column, severity, description, passed, observed in rows:
        tables.setdefault(table, []).append(data_quality_assertions_dataset.Assertion(
            assertion=expectation, success=passed, column=column if column and "," not in column else None,
            severity=SEVERITY.get(severity, severity), description=description, actual=observed,
            params={"columns": column} if column and "," in column else None))
    return tables


def _emit(settings: Settings, event: RunEvent) -> None:
    _client(settings.lineage / "events", settings.lineage_url).emit(event)


@functools.cache
def _client(folder: Path, url: str | None) -> OpenLineageClient:
    """Files in `folder` always; a lineage server too when `url` names one."""
    transports = {"files": {"type": f"{__name__}.RunFolderTransport", "folder": str(folder)}}
    if url:
        transports["server"] = {"type": f"{__name__}.LineageServerTransport", "url": url}
    return OpenLineageClient(config={
        "transport": {"type": "composite", "transports": transports},
        # No sourceCodeLocation facet: it would name the machine's git remote; the producer URI says what made it.
        "facets": {"source_code_location": {"disabled": True}},
    })


@dataclass
class RunFolderConfig(Config):
    folder: Path

    @classmethod
    def from_dict(cls, params: dict) -> RunFolderConfig:
        return cls(Path(params["folder"]))


class RunFolderTransport(Transport):
    """Each event as a JSON file in `<folder>/<date>/<Dagster run id>/`: one folder per Dagster run."""
    kind = "lakehouse-run-folder"
    config_class = RunFolderConfig

    def __init__(self, config: RunFolderConfig):
        self.folder = config.folder

    def emit(self, event: RunEvent) -> None:
        parent = (event.run.facets or {}).get("parent")
        time = dt.datetime.fromisoformat(event.eventTime)
        folder = self.folder / f"{time:%Y-%m-%d}" / (parent.run.runId if parent else event.run.runId)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time:%H%M%S%f}_{event.job.name.replace('/', '.')}_{event.eventType.value}.json"
        (folder / name).write_text(Serde.to_json(event, indent=1, ensure_ascii=False), encoding="utf-8")


class LineageServerTransport(HttpTransport):
    """The lineage server, left alone for the rest of the process once it failed to take an event: a server that
    is down costs the run one warning (and the client's retries once), not a wait on every event. The files in
    `lineage/events/` keep every event, to load into the server later."""
    kind = "lakehouse-lineage-server"
    failed = False

    def emit(self, event: RunEvent):
        if self.failed:
            return None
        try:
            return super().emit(event)
        except Exception:
            self.failed = True
            raise
