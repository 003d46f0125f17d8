"""When the lakehouse runs: nightly at 02:00 Amsterdam time, and whenever new files land."""

import hashlib
import os

import dagster as dg

from pipelines.bronze.landing import entries_under
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
    """Start a run when files appear or change in `landing/`; the cursor is a digest of what was there."""
    landing = load_settings().landing
    listing = sorted(
        (os.path.relpath(entry.path, landing), stat.st_size, stat.st_mtime_ns)
        for entry in entries_under(landing) for stat in [entry.stat()]
    ) if landing.exists() else []
    digest = hashlib.sha256(repr(listing).encode()).hexdigest()
    if digest == context.cursor:
        return dg.SkipReason("no new or changed files in landing/")
    context.update_cursor(digest)
    if not listing:
        return dg.SkipReason("landing/ is empty")
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
