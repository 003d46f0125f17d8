"""When the lakehouse runs: nightly at 02:00 Amsterdam time, and whenever new files land."""

import hashlib

import dagster as dg

from pipelines.at_rest import writing
from pipelines.bronze.ingest import pending_files
from pipelines.bronze.sources import SOURCES
from pipelines.lineage import dagster_run
from pipelines.settings import load_settings
from pipelines.writer_lock import current_writer

lakehouse_job = dg.define_asset_job(
    "lakehouse",
    selection=dg.AssetSelection.all(),
    description="Everything: landing -> bronze -> silver -> gold, with checks, lineage and publication.",
)

nightly = dg.ScheduleDefinition(
    name="nightly",
    job=lakehouse_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Materialise the whole lakehouse every night at 02:00 (Europe/Amsterdam).",
)


@dg.sensor(job=lakehouse_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING)
def new_landing_files(context: dg.SensorEvaluationContext):
    """Start a run when landing holds files the lakehouse has not ingested: new ones, or registered ones changed
    since. It lists landing as a run does, so a large folder unchanged since the last run is not listed; the
    cursor is a digest of the files waiting, so the same files start one run."""
    settings = load_settings()
    writer = current_writer(settings)
    if writer:  # the cursor stays: the files still waiting start a run once that one is done
        return dg.SkipReason(f"another run writes the data root: {writer}")
    waiting = sorted((row["bestand"], row["bytes"], row["mtime_ns"])
                     for source in SOURCES for row in pending_files(settings, source).to_pylist())
    if not waiting:
        return dg.SkipReason(f"no new or changed files in {settings.landing}")
    digest = hashlib.sha256(repr(waiting).encode()).hexdigest()
    if digest == context.cursor:
        return dg.SkipReason(f"a run was already started for the {len(waiting)} new or changed files in "
                             f"{settings.landing}")
    context.update_cursor(digest)
    return dg.RunRequest(run_key=digest, tags={"trigger": "new_landing_files"})


class _OneWriter(dg.Executor):
    """The in-process executor, holding the data root's writer lock for the whole run (pipelines/writer_lock.py)
    and writing personal data owner-only (pipelines/at_rest.py): a run the schedule or the sensor starts while
    another run writes fails at once, naming that run. `make run` does the same itself, as `execute_in_process`
    replaces the job's executor with its own."""

    def __init__(self, in_process: dg.Executor):
        self.in_process = in_process

    @property
    def retries(self):
        return self.in_process.retries

    @property
    def step_dependency_config(self):
        return self.in_process.step_dependency_config

    def execute(self, plan_context, execution_plan):
        settings = load_settings()
        with writing(settings, plan_context.run_id), dagster_run(settings, plan_context.run_id,
                                                                 plan_context.job_name) as failed:
            for event in self.in_process.execute(plan_context, execution_plan):
                if event.is_step_failure:
                    failed.append(event.step_key)
                yield event


@dg.executor(name="one_writer", config_schema=dg.in_process_executor.config_schema)
def one_writer_executor(init_context) -> dg.Executor:
    return _OneWriter(dg.in_process_executor.executor_creation_fn(init_context))


@dg.definitions
def automation() -> dg.Definitions:
    return dg.Definitions(
        jobs=[lakehouse_job],
        schedules=[nightly],
        sensors=[new_landing_files],
        # One writer at a time on the data root: steps run one after another in a single process, under its lock.
        executor=one_writer_executor,
    )
