"""When the lakehouse runs: nightly at 02:00 Amsterdam time, and whenever new files land."""

import hashlib

import dagster as dg

from pipelines.bronze.ingest import pending_files
from pipelines.bronze.sources import SOURCES
from pipelines.settings import load_settings

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
    waiting = sorted((row["bestand"], row["bytes"], row["mtime_ns"])
                     for source in SOURCES for row in pending_files(settings, source).to_pylist())
    if not waiting:
        return dg.SkipReason("no new or changed files in landing/")
    digest = hashlib.sha256(repr(waiting).encode()).hexdigest()
    if digest == context.cursor:
        return dg.SkipReason(f"a run was already started for the {len(waiting)} new or changed files in landing/")
    context.update_cursor(digest)
    return dg.RunRequest(run_key=digest, tags={"trigger": "new_landing_files"})


@dg.definitions
def automation() -> dg.Definitions:
    return dg.Definitions(
        jobs=[lakehouse_job],
        schedules=[nightly],
        sensors=[new_landing_files],
        # One writer at a time on the build database: steps run one after another in a single process.
        executor=dg.in_process_executor,
    )
