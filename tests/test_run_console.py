"""What `make run` prints: progress without a line per dbt test, and one summary: of a failure the failed steps and
their errors (the tracebacks in the run's log file), of every run its new files, its checks and the reason of each
failed expectation, with the paths where the data lives."""

from __future__ import annotations

import json
import re

from pipelines.dbt.manifest import PROJECT_MANIFEST
from pipelines.settings import EXPECTATIONS_DIR
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
    run_id = re.search(r"== lakehouse run (\S+) FAILED", summary).group(1)
    ended = json.loads(next(settings.lineage.glob(f"events/*/{run_id}/*_lakehouse_FAIL.json")).read_text())
    assert "dbt_silver_referentie" in ended["run"]["facets"]["errorMessage"]["message"]  # the run's lineage says so


def test_a_run_prints_a_summary_of_its_new_files_and_checks_with_the_reason_of_a_failed_warning(tmp_path):
    settings = settings_of(tmp_path)
    demo_reference(settings)
    (settings.landing / "fixi").mkdir()
    new_export(settings, "export", 20)
    unknown = (settings.landing / "fixi" / "export.csv").read_bytes().replace(b";Straatverlichting;", b";Hondenpoep;")
    (settings.landing / "fixi" / "unmapped.csv").write_bytes(unknown.replace(b"Nexport-", b"Nunmapped-"))

    code, console = finish(start_run(tmp_path))

    assert code == 0, console[-3000:]
    progress, summary = console[:console.index("== lakehouse run")], console[console.index("== lakehouse run"):]
    assert re.search(r"OK created sql \w+ model silver.fixi_melding", progress)  # what dbt built, as it comes
    assert not re.search(r"\d+ of \d+ (START|PASS) ", console)  # no lines per test
    manifest = json.loads(PROJECT_MANIFEST.read_text())
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert f"\ndbt tests: {len(tests)} passed, 0 warned, 0 failed\n" in summary
    passed, warned, names = re.search(r"\nGreat Expectations suites: (\d+) passed, (\d+) warned \((.*)\), 0 failed\n",
                                      summary).groups()
    assert int(passed) + int(warned) == len(list(EXPECTATIONS_DIR.glob("*.json")))  # a check per suite
    assert len(names.split(", ")) == int(warned) and "silver/fixi_melding gx_fixi_melding" in names
    for name in names.split(", "):  # each warned suite with the reason why: its failed expectations
        assert f"  warning failed: {name.split()[0].replace('/', '.')} expect" in summary, name
    assert "  warning failed: silver.fixi_melding expect_column_values_to_be_in_set (categorie_bekend): Nearly every " \
           "source category is in the mapping seed; 20 of 40 rows unexpected" in summary
    landed = sorted(p for p in settings.landing.rglob("*") if p.is_file())
    assert console.count("new landing files") == 1
    assert f"new landing files read into bronze: {len(landed)} (fixi 2, referentie {len(landed) - 2})" in summary
    assert f"quarantined records: 0 ({settings.quarantine / 'records'}, reason per record)" in summary
    assert f"gold tables ({settings.gold}, query {settings.gold_db} read-only)" in summary  # not in the project
    assert summary.rstrip().endswith(f"council reports in {settings.gold / 'rapporten'}")  # nothing after it
