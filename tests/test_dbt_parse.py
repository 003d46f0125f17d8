"""dbt's parse of the project names no data root, so a new data root starts from the parse `make` left."""

from __future__ import annotations

import os

from pipelines.dbt import runner
from tests.conftest import use_data_root

FULL_PARSE = "dbt: parsing the whole project"


def test_a_new_data_root_starts_from_the_projects_parse(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "_PARSED", {})
    settings = use_data_root(monkeypatch, tmp_path / "nieuw")

    manifest = runner.parsed_project(settings)

    assert FULL_PARSE not in capsys.readouterr().out
    assert (settings.dbt_state / runner.PARTIAL_PARSE).exists()
    source = manifest.sources["source.lakehouse.bronze.fixi_melding"]
    assert source.relation_name == "read_parquet('fixi/melding/*.parquet', union_by_name = true)"
    assert str(tmp_path) not in manifest.to_msgpack().decode("utf-8", errors="replace")


def test_a_parse_from_nothing_says_why_it_is_slow(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "_PARSED", {})
    monkeypatch.setattr(runner, "_start_from_project_parse", lambda dbt_state: None)
    settings = use_data_root(monkeypatch, tmp_path / "leeg")

    runner.parsed_project(settings)

    assert f"{FULL_PARSE}: Unable to do partial parsing because saved manifest not found" in capsys.readouterr().out


def test_dbt_leaves_the_environment_as_it_found_it(tmp_path, monkeypatch):
    """A process that runs dbt for several data roots (the benchmark) hands no root's zones on to the next root
    or to the processes it starts: the environment dbt ran in is undone afterwards."""
    settings = use_data_root(monkeypatch, tmp_path / "eerste")
    before = dict(os.environ)

    assert runner.invoke(["ls", "--select", "fixi_melding"], settings, tmp_path / "target").success

    assert dict(os.environ) == before
