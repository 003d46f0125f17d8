"""Dagster's run history lives with the data root it describes, so `make dev` shows only this lakehouse's runs."""

import os
import subprocess

from pipelines.settings import PROJECT_ROOT


def planned_commands(**environment) -> str:
    """What `make run` would do (make -n executes nothing), in an environment without the caller's DAGSTER_HOME."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "LAKEHOUSE_DATA_ROOT")}
    return subprocess.run(["make", "-n", "run"], cwd=PROJECT_ROOT, env={**env, **environment}, check=True,
                          capture_output=True, text=True).stdout


def test_each_data_root_has_its_own_run_history(tmp_path):
    first, second = tmp_path / "gemeente_a", tmp_path / "gemeente_b"
    assert f"cp dagster_instance.yaml {first}/.dagster/dagster.yaml" in planned_commands(LAKEHOUSE_DATA_ROOT=str(first))
    assert f"cp dagster_instance.yaml {second}/.dagster/dagster.yaml" in planned_commands(LAKEHOUSE_DATA_ROOT=str(second))
    assert not first.exists() and not second.exists()
