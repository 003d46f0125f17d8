"""`make dev` as a user meets it: no warnings while it starts, no telemetry, no welcome dialogue, and no asset whose
metadata the UI can only show as "(unserializable)"."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import dagster as dg
from dagster._core.remote_representation.external_data import RepositorySnap

from pipelines.settings import PROJECT_ROOT

# Metadata dagster-dbt keeps for itself, which the Dagster UI does not show (HIDDEN_METADATA_ENTRY_LABELS in its code)
HIDDEN_IN_THE_UI = {"dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator"}


def test_no_asset_shows_metadata_the_ui_cannot_read():
    from pipelines.definitions import defs

    snapshot = RepositorySnap.from_def(defs().get_repository_def())  # what the UI is served
    shown = {(node.asset_key.to_user_string(), key): value for node in snapshot.asset_nodes
             for key, value in node.metadata.items() if key not in HIDDEN_IN_THE_UI}
    assert len({asset for asset, _ in shown}) > 40
    assert [entry for entry, value in shown.items() if "(unserializable)" in str(getattr(value, "value", ""))] == []


def test_the_instance_sends_no_telemetry_and_shows_no_welcome_dialogue(tmp_path):
    shutil.copy(PROJECT_ROOT / "dagster_instance.yaml", tmp_path / "dagster.yaml")  # as make installs it
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_coordinator.get_run_queue_config().max_concurrent_runs == 1
        assert not instance.telemetry_enabled
        assert not instance.nux_enabled


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_dev_starts_the_ui_without_a_warning(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "LAKEHOUSE_DATA_ROOT")}
    dev = subprocess.Popen(["make", "--no-print-directory", "dev", f"DEV_PORT={free_port()}"], cwd=PROJECT_ROOT,
                           env={**env, "LAKEHOUSE_DATA_ROOT": str(tmp_path)}, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not any("Serving dagster-webserver" in line for line in lines):
            line = dev.stdout.readline()
            if not line:
                break
            lines.append(line)
    finally:
        os.killpg(dev.pid, signal.SIGINT)  # as Ctrl-C ends it
        try:
            dev.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.communicate()
    console = "".join(lines)
    assert "Serving dagster-webserver" in console, console
    assert [line for line in lines if "warning" in line.lower() or "error" in line.lower()] == []
