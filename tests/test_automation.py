"""The nightly schedule and the landing sensor of the real definitions."""

import gc
import logging

import dagster as dg

from pipelines.bronze.fixi import FIXI
from pipelines.bronze.ingest import ingest
from pipelines.definitions import defs


def test_nightly_schedule_materialises_everything_at_two_in_amsterdam():
    definitions = defs()
    schedule = definitions.resolve_schedule_def("nightly")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Europe/Amsterdam")
    assert schedule.job_name == "lakehouse"
    job = definitions.resolve_job_def("lakehouse")
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} >= {
        "bronze/fixi_melding", "silver/melding_wmo_jeugd", "gold/reisdocumenten_prognose", "gold/publicatie_fixi"}


def test_loading_the_definitions_pauses_the_garbage_collector_only_while_loading():
    defs()
    assert gc.isenabled() and gc.get_freeze_count() > 0


def test_sensor_starts_a_run_for_new_or_changed_files_only(settings):
    sensor = defs().resolve_sensor_def("new_landing_files")
    with dg.instance_for_test() as instance:
        empty = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert not empty.run_requests
        (settings.landing / "fixi").mkdir(parents=True)
        (settings.landing / "fixi" / "export.csv").write_text("Meldingnummer;Categorie\n")
        first = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=empty.cursor))
        assert len(first.run_requests) == 1
        again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=first.cursor))
        assert not again.run_requests
        (settings.landing / "fixi" / "export2.csv").write_text("Meldingnummer;Categorie\n")
        new = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=again.cursor))
        assert len(new.run_requests) == 1 and new.run_requests[0].run_key != first.run_requests[0].run_key
        ingest(FIXI, settings, "run-1", logging.getLogger("test"))  # what the run it started does first
        ingested = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=new.cursor))
        assert not ingested.run_requests and "no new or changed files" in ingested.skip_message
        (settings.landing / "fixi" / "export2.csv").write_text("Meldingnummer;Categorie;Status\n")  # in place
        changed = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=ingested.cursor))
        assert len(changed.run_requests) == 1
        ingest(FIXI, settings, "run-2", logging.getLogger("test"))
        (settings.landing / "fixi" / "export.csv").unlink()  # a delivery withdrawn: the next run stops counting it
        removed = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=changed.cursor))
        assert len(removed.run_requests) == 1
        ingest(FIXI, settings, "run-3", logging.getLogger("test"))
        done = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=removed.cursor))
        assert not done.run_requests
