"""`make why MODEL=...` names, for a real run, why a model was rebuilt or kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from pipelines.dbt.manifest import read_manifest
from pipelines.dbt.why import why
from pipelines.settings import PROJECT_ROOT
from tests.conftest import copy_data_root, run_lakehouse
from tests.test_reruns import new_export

# What a run of another copy of the project needs: its code, its dbt project and its expectations.
PROJECT_PARTS = ("pipelines", "dashboard", "dbt_project", "expectations", "pyproject.toml")


def parts(settings, table: str) -> int:
    return len(list((settings.bronze / table).glob("*.parquet")))


def test_after_a_new_landing_file_why_names_the_new_bronze_parts_and_what_was_kept(demo_run, tmp_path, monkeypatch):
    settings = copy_data_root(demo_run[0], tmp_path / "nacht", monkeypatch)
    first = demo_run[1].run_id
    manifest = read_manifest()
    assert why(settings, manifest, "silver.fixi_melding").startswith(f"silver.fixi_melding: rebuilt whole in run {first}")
    assert "no earlier build of it is recorded" in why(settings, manifest, "silver.fixi_melding")
    before = parts(settings, "fixi/melding")

    new_export(settings, "nachtexport", 25)
    nightly = run_lakehouse()

    assert nightly.success
    melding = why(settings, manifest, "silver.fixi_melding")
    assert melding.startswith(f"silver.fixi_melding: built incrementally in run {nightly.run_id}"), melding
    assert f"bronze.fixi_melding has new or rewritten parts ({before} then, {before + 1} now)" in melding
    assert "only the rows that arrived since its last build were added" in melding
    weeks = why(settings, manifest, "gold/fixi_meldingen_week")
    assert "silver.fixi_melding, which it reads, was built from other inputs since" in weeks
    for kept in ("silver.melding_wmo_jeugd", "gold.reisdocumenten_prognose", "wijk_buurt"):
        said = why(settings, manifest, kept)
        assert f": kept in run {nightly.run_id}" in said, said
        assert f"nothing it is built from changed since its build in run {first}" in said
    waiting = why(settings, manifest, "gold.sociaal_domein_wachttijd_aanbieder")  # reads the peildatum, not Fixi
    assert ": kept in run " in waiting and "the same peildatum (peildatum 2026-06-30)" in waiting

    command = [sys.executable, "-m", "pipelines.dbt", "why"]
    answer = subprocess.run([*command, "silver.fixi_melding"], capture_output=True, text=True, env=os.environ)
    assert answer.returncode == 0 and answer.stdout.strip() == melding
    unknown = subprocess.run([*command, "fixi_melden"], capture_output=True, text=True, env=os.environ)
    assert unknown.returncode == 2
    assert "'fixi_melden' is no model or seed of this project; one of: " in unknown.stderr
    assert "silver.fixi_melding" in unknown.stderr


def test_after_a_change_to_a_models_sql_why_names_the_sql_and_only_that_model_and_below_are_rebuilt(
        demo_run, tmp_path, monkeypatch):
    """The change is made to a copy of the project, which parses it and runs, as `make run` would after an edit."""
    copy_data_root(demo_run[0], tmp_path / "data", monkeypatch)  # the runs below build in this copy
    project = tmp_path / "project"
    for part in PROJECT_PARTS:
        copy = shutil.copytree if (PROJECT_ROOT / part).is_dir() else shutil.copy
        copy(PROJECT_ROOT / part, project / part, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                                     if copy is shutil.copytree else {}))
    model = project / "dbt_project" / "models" / "gold" / "fixi" / "fixi_pieken.sql"
    model.write_text(model.read_text() + "\n-- a comment changes the SQL dbt checksums: the model is built again\n")
    env = {**os.environ, "PYTHONPATH": str(project)}

    def in_project(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", *args], cwd=project, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout.strip()

    in_project("pipelines.dbt", "parse")
    in_project("pipelines.run")

    pieken = in_project("pipelines.dbt", "why", "gold.fixi_pieken")
    assert pieken.startswith("gold.fixi_pieken: built in run "), pieken
    assert "its SQL, its configuration or a macro it calls changed" in pieken
    assert "peildatum" not in pieken and "parts" not in pieken  # nothing else it is built from changed
    oorzaken = in_project("pipelines.dbt", "why", "gold.fixi_piek_oorzaken")
    assert "gold.fixi_pieken, which it reads, was built from other inputs since" in oorzaken
    assert ": kept in run " in in_project("pipelines.dbt", "why", "gold.fixi_meldingen_week")
    assert ": kept in run " in in_project("pipelines.dbt", "why", "silver.fixi_melding")
