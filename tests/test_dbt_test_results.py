"""A dbt test's outcome as a data-quality result row: its kind, columns, dimension and dbt's failure count."""

import json

import dagster as dg

from pipelines.dbt.build import _test_outcomes
from pipelines.dbt.manifest import PROJECT_MANIFEST
from pipelines.quality.results import DESCRIPTIONS, Outcome

MELDING = "model.lakehouse.fixi_melding"


def test_a_failed_dbt_test_is_a_failed_critical_result_with_dbts_failure_count():
    manifest = json.loads(PROJECT_MANIFEST.read_text())
    [key_test] = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"
                  and n["attached_node"] == MELDING and n["test_metadata"]["name"] == "unique_combination"]
    [category_test] = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"
                       and n["attached_node"] == MELDING and n["test_metadata"]["name"] == "relationships"]
    events = [dg.AssetCheckResult(asset_key=["silver", "fixi_melding"], check_name=test["name"], passed=passed,
                                  metadata={"unique_id": test["unique_id"], "dagster_dbt/failed_row_count": failures})
              for test, passed, failures in ((key_test, False, 3), (category_test, True, 0))]

    outcomes = _test_outcomes(manifest, events, {MELDING: {"rows": 1_000}})

    assert outcomes == {"silver.fixi_melding": [
        Outcome("dbt.unique_combination", "gemeentecode, melding_id", "uniciteit", "critical",
                DESCRIPTIONS["unique_combination"], False, 1_000, 3, None, None),
        Outcome("dbt.relationships", "categorie", "consistentie", "critical", DESCRIPTIONS["relationships"], True,
                1_000, 0, None, None),
    ]}
