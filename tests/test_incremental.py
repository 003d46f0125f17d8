"""Incremental silver models are rebuilt whole when their definition changed, judged on the project's real manifest."""

from __future__ import annotations

import copy
import json

import duckdb
import pytest

from pipelines.incremental import RECORD, definition_fingerprint, definitions_to_rebuild, record_definitions
from pipelines.transform import PROJECT_MANIFEST
from tests.conftest import copy_data_root, run_lakehouse

FIXI_MELDING = "model.lakehouse.fixi_melding"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(PROJECT_MANIFEST.read_text())


def changed(manifest: dict, uid: str) -> dict:
    """A copy of the manifest in which node or macro `uid` has other content."""
    other = copy.deepcopy(manifest)
    if uid in other["nodes"]:
        other["nodes"][uid]["checksum"]["checksum"] = "0" * 64
    else:
        other["macros"][uid]["macro_sql"] += "\n-- changed"
    return other


@pytest.mark.parametrize("upstream", [
    FIXI_MELDING,                               # its own SQL
    "seed.lakehouse.fixi_categorie",            # a codelist it maps categories with
    "model.lakehouse.kalender",                 # a model it reads working days from
    "macro.lakehouse.delivery_rank",            # a macro it calls
    "macro.lakehouse.duckdb__days_between",     # a macro that macro dispatches to
])
def test_a_change_upstream_in_dbt_changes_the_fingerprint(manifest, upstream):
    assert definition_fingerprint(changed(manifest, upstream), FIXI_MELDING) != definition_fingerprint(manifest, FIXI_MELDING)


def test_a_change_downstream_or_elsewhere_leaves_the_fingerprint(manifest):
    unrelated = ["model.lakehouse.fixi_meldingen_week", "seed.lakehouse.reisdocument_soort", "model.lakehouse.wmo_melding"]
    for uid in unrelated:
        assert uid in manifest["nodes"]
        assert definition_fingerprint(changed(manifest, uid), FIXI_MELDING) == definition_fingerprint(manifest, FIXI_MELDING)


def test_only_incremental_models_whose_recorded_definition_differs_are_rebuilt(manifest, tmp_path):
    selected = [FIXI_MELDING, "model.lakehouse.wijk_buurt", "seed.lakehouse.fixi_categorie"]
    assert set(definitions_to_rebuild(manifest, selected, tmp_path)) == {FIXI_MELDING}  # nothing recorded yet

    record_definitions(manifest, selected, tmp_path)

    assert json.loads((tmp_path / RECORD).read_text()).keys() == {FIXI_MELDING}
    assert definitions_to_rebuild(manifest, selected, tmp_path) == {}
    reasons = definitions_to_rebuild(changed(manifest, "seed.lakehouse.fixi_status"), selected, tmp_path)
    assert list(reasons) == [FIXI_MELDING] and "changed since its last build" in reasons[FIXI_MELDING]


def test_a_build_database_from_an_older_version_is_rebuilt_not_left_stale(demo_run, tmp_path, monkeypatch):
    """A database built before fixi_melding had laatst_geladen_op, and before definitions were recorded: an
    incremental run read the missing column (a DuckDB binder error) and would have kept the old rows."""
    settings = copy_data_root(demo_run[0], tmp_path / "older", monkeypatch)
    with duckdb.connect(str(settings.build_db)) as db:
        rows = db.execute("select count(*) from silver.fixi_melding").fetchone()[0]
        db.execute("update silver.fixi_melding set categorie = 'oude definitie'")
        db.execute("alter table silver.fixi_melding drop column laatst_geladen_op")
    record = settings.dbt_state / RECORD
    assert FIXI_MELDING in json.loads(record.read_text())  # every build records the definition it used
    record.unlink()

    result = run_lakehouse()

    assert result.success
    with duckdb.connect(str(settings.build_db), read_only=True) as db:
        assert db.execute("select count(*), count(laatst_geladen_op), count(*) filter (categorie = 'oude definitie') "
                          "from silver.fixi_melding").fetchone() == (rows, rows, 0)
    assert FIXI_MELDING in json.loads((settings.dbt_state / RECORD).read_text())
