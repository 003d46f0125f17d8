"""A bench report says when the machine ran at another speed than for the last report."""

import json

from benchmarks.machine import described, previous_reference
from benchmarks.report import _reference_line

USUAL = {"duckdb_aggregation": 0.6, "sqlite_commits": 0.3}


def test_the_slower_of_start_and_end_is_compared_with_the_last_reports_start():
    reference = described(USUAL, {"duckdb_aggregation": 1.2, "sqlite_commits": 0.3}, USUAL)
    assert reference["against_last_report"] == {"duckdb_aggregation": 2.0, "sqlite_commits": 1.0}
    assert "**The machine ran at another speed" in _reference_line(reference)


def test_a_machine_at_its_usual_speed_is_not_flagged():
    reference = described({"duckdb_aggregation": 0.66, "sqlite_commits": 0.27}, None, USUAL)
    assert reference["against_last_report"] == {"duckdb_aggregation": 1.1, "sqlite_commits": 0.9}
    line = _reference_line(reference)
    assert "not measured yet" in line and "another speed" not in line


def test_a_faster_machine_is_flagged_too():
    reference = described({"duckdb_aggregation": 0.3, "sqlite_commits": 0.3}, None, USUAL)
    assert "**The machine ran at another speed" in _reference_line(reference)


def test_the_last_reports_reference_is_read_from_latest_json_when_it_has_one(tmp_path):
    latest = tmp_path / "latest.json"
    assert previous_reference(latest) is None
    latest.write_text(json.dumps({"machine": {"cpus": 2}}))
    reference = described(previous_reference(latest) or USUAL, None, previous_reference(latest))
    assert reference["against_last_report"] == {}
    assert "no reference to compare with" in _reference_line(reference)
    latest.write_text(json.dumps({"machine": {"reference": described(USUAL, USUAL, None)}}))
    assert previous_reference(latest) == USUAL


def test_the_reference_workloads_run_and_print_nothing(tmp_path, capfd):
    from benchmarks.machine import reference_seconds

    seconds = reference_seconds(tmp_path)
    assert set(seconds) == set(USUAL) and all(s > 0 for s in seconds.values())
    assert capfd.readouterr().out == ""
    assert list(tmp_path.iterdir()) == []  # the SQLite scratch database is gone
