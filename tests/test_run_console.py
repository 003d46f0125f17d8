"""What `make run` prints when it fails: one summary of the failed steps and their errors, the tracebacks in the
run's log file, nothing after the summary."""

from __future__ import annotations

import re

from tests.conftest import demo_reference
from tests.test_kills import finish, settings_of, start_run
from tests.test_reruns import new_export


def test_a_failed_run_prints_one_summary_and_keeps_the_tracebacks_in_its_log(tmp_path):
    settings = settings_of(tmp_path)
    demo_reference(settings)
    (settings.landing / "fixi").mkdir()
    new_export(settings, "export", 20)

    code, console = finish(start_run(tmp_path, LAKEHOUSE_MEMORY_LIMIT="2MB"))  # DuckDB out of memory in dbt

    assert code == 1
    summary = console[console.index("== lakehouse run"):]
    assert "FAILED" in summary and "failed step dbt_silver_referentie:" in summary and "Out of Memory" in summary
    assert re.search(r"\d+ steps not run, after a failed step or blocking check: .*dbt_gold_fixi", summary)
    assert summary.rstrip().endswith(f"council reports in {settings.gold / 'rapporten'}")  # the summary is the end
    for noise in ("Traceback", "Stack Trace", "nanobind", "leaked", "Dependencies for step"):
        assert noise not in console, noise
    log = re.search(r"the run's whole log, tracebacks included: (\S+)", summary).group(1)
    assert f'Execution of step "dbt_silver_referentie" failed. (traceback in {log})' in console
    full = open(log, encoding="utf-8").read()
    assert "Stack Trace" in full and "Out of Memory" in full and "Dependencies for step dbt_gold_fixi" in full
