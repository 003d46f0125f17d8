"""Lineage and metadata of the demo run: OpenLineage events, column lineage, Dagster's asset metadata."""

from __future__ import annotations

import json
from collections import defaultdict

from pipelines.dbt.manifest import PROJECT_MANIFEST
from tests.conftest import gold


def test_openlineage_events_cover_every_asset_with_column_lineage(demo_run):
    settings, result = demo_run
    events = [json.loads(p.read_text()) for p in settings.lineage.glob(f"events/*/{result.run_id}/*.json")]
    by_job = defaultdict(set)
    for e in events:
        by_job[e["job"]["name"]].add(e["eventType"])
        if e["run"]["runId"] != result.run_id:  # the Dagster run's own events are the parent
            assert e["run"]["facets"]["parent"]["run"]["runId"] == result.run_id
    for job in ("bronze.fixi", "silver.fixi_melding", "gold.fixi_pieken", "gold.publicatie_fixi"):
        assert by_job[job] == {"START", "COMPLETE"}, job
    week = next(e for e in events if e["job"]["name"] == "gold.fixi_meldingen_week" and e["eventType"] == "COMPLETE")
    lineage = week["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert {"name": "silver.fixi_melding", "field": "doorlooptijd_werkdagen"}.items() <= \
        lineage["doorlooptijd_werkdagen_mediaan"]["inputFields"][0].items()
    assert (settings.dbt_docs / "index.html").exists() and (settings.dbt_docs / "catalog.json").exists()


def test_column_lineage_follows_every_model_back_to_the_bronze_columns(demo_run):
    settings, result = demo_run
    lineage = {m.asset_key.to_user_string(): m.materialization.metadata["dagster/column_lineage"].value.deps_by_column
               for m in result.get_asset_materialization_events()
               if m.asset_key.path[0] in ("silver", "gold") and "dagster/column_lineage" in m.materialization.metadata}
    manifest = json.loads(PROJECT_MANIFEST.read_text())
    models = {f"{n['schema']}/{n['alias']}" for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert set(lineage) == models
    assert all(any(deps for deps in columns.values()) for columns in lineage.values())

    def inputs(table: str, column: str) -> set[str]:
        return {f"{d.asset_key.to_user_string()}.{d.column_name}" for d in lineage[table][column]}

    melding = "silver/fixi_melding"
    assert inputs(melding, "datum_melding") == {"bronze/fixi_melding.datum_melding"}
    assert inputs(melding, "doorlooptijd_werkdagen") >= {"bronze/fixi_melding.datum_melding",
                                                         "bronze/fixi_melding.datum_afgehandeld",
                                                         "silver/kalender.werkdag_volgnummer"}
    # Deliveries are merged field by field: the key and the delivery order choose the row, the value is the column's.
    choosing = {f"bronze/brp_reisdocument.{c}" for c in ("gemeentecode", "reisdocumentnummer", "persoon_pseudoniem",
                                                         "geladen_op", "bron_bestand", "bron_record")}
    assert inputs("silver/reisdocument", "datum_einde_geldigheid") - choosing == {
        "bronze/brp_reisdocument.datum_einde_geldigheid"}
    # iWmo messages and the case-management export both feed the toewijzingen
    assert inputs("silver/toewijzing", "aanbieder") == {"bronze/iwmo_product.aanbieder",
                                                            "bronze/zorgned_toewijzing.aanbieder"}
    events = [json.loads(p.read_text()) for p in settings.lineage.glob(f"events/*/{result.run_id}/*.json")]
    silver = next(e for e in events if e["job"]["name"] == "silver.fixi_melding" and e["eventType"] == "COMPLETE")
    assert silver["outputs"][0]["facets"]["columnLineage"]["fields"]["datum_melding"]["inputFields"] == [
        {"namespace": silver["outputs"][0]["namespace"], "name": "bronze.fixi_melding", "field": "datum_melding"}]


def test_dagster_records_row_counts_schemas_owners_and_privacy(demo_run):
    from pipelines.definitions import defs

    settings, result = demo_run
    materialisations = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    week = materialisations["gold/fixi_meldingen_week"].materialization.metadata
    assert week["dagster/row_count"].value == gold(settings, "select count(*) from fixi_meldingen_week")[0][0]
    assert materialisations["bronze/fixi_melding"].materialization.metadata["records_quarantined"].value > 0
    graph = defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        spec = graph.get(key)
        if key.path[0] in ("silver", "gold") and key.path[-1] != "publicatie":
            assert spec.owners, key
            assert spec.metadata.get("privacy") in ("openbaar", "intern", "vertrouwelijk"), key
            assert spec.description, key
        if schema := spec.metadata.get("dagster/column_schema"):  # a privacy class on every column, bronze too
            assert {c.tags.get("privacy") for c in schema.columns} <= {"openbaar", "intern", "vertrouwelijk"}, key
    toewijzing = graph.get(gt_key("silver", "toewijzing")).metadata["dagster/column_schema"].columns
    assert {c.tags["privacy"] for c in toewijzing} == {"vertrouwelijk"}  # Jeugd: minors, a special category
    bronze_columns = graph.get(gt_key("bronze", "fixi_melding")).metadata["dagster/column_schema"].columns
    assert "melding_id" in [c.name for c in bronze_columns]
    gold_columns = graph.get(gt_key("gold", "fixi_pieken")).metadata["dagster/column_schema"].columns
    assert {"is_piek", "verwacht_aantal"} <= {c.name for c in gold_columns}


def gt_key(*path):
    import dagster as dg

    return dg.AssetKey(list(path))
