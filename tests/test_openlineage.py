"""The OpenLineage events of the demo run: valid against the OpenLineage schemas, datasets named without machine
paths, the Dagster run as every job run's parent, and the quality checks of each input table in them."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import duckdb
import jsonschema
import pytest
from referencing import Registry, Resource

from pipelines.lineage import dagster_run
from pipelines.settings import load_settings

SCHEMAS = Path(__file__).parent / "fixtures" / "openlineage"  # as published on openlineage.io/spec (SOURCES.md)


@pytest.fixture(scope="module")
def events(demo_run) -> list[dict]:
    settings, result = demo_run
    return [json.loads(p.read_text()) for p in sorted(settings.lineage.glob(f"events/*/{result.run_id}/*.json"))]


def validator_of(url: str, registry: Registry) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": url}, registry=registry)


def schemas() -> Registry:
    return Registry().with_resources((schema["$id"], Resource.from_contents(schema)) for schema in (
        json.loads(path.read_text()) for path in SCHEMAS.rglob("*.json")))


def facets_of(event: dict) -> list[dict]:
    kinds = ("facets", "inputFacets", "outputFacets")
    datasets = [d.get(kind, {}) for d in event["inputs"] + event["outputs"] for kind in kinds]
    return [facet for facets in [event["run"].get("facets", {}), event["job"].get("facets", {}), *datasets]
            for facet in facets.values()]


def test_every_event_and_facet_is_valid_against_the_schema_it_names(events):
    registry = schemas()
    assert len(events) > 50
    for event in events:
        validator_of(event["schemaURL"], registry).validate(event)
        for facet in facets_of(event):
            validator_of(facet["_schemaURL"], registry).validate(facet)
    # The schema's own paths: the event of a schema that has none (as `#/definitions/RunEvent` in 2-0-2) is refused.
    wrong = {**events[0], "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"}
    with pytest.raises(Exception, match="definitions"):
        validator_of(wrong["schemaURL"], registry).validate(wrong)


def test_datasets_are_named_by_the_lakehouse_not_by_the_machine(demo_run, events):
    settings, _ = demo_run
    namespaces = defaultdict(set)
    for event in events:
        for data in event["inputs"] + event["outputs"]:
            namespaces[data["namespace"]].add(data["name"])
            for column in data["facets"].get("columnLineage", {}).get("fields", {}).values():
                for field in column["inputFields"]:
                    namespaces[field["namespace"]].add(field["name"])
    assert set(namespaces) == {"duckdb://lakehouse-gm0301", "file://lakehouse-gm0301"}
    tables, files = namespaces["duckdb://lakehouse-gm0301"], namespaces["file://lakehouse-gm0301"]
    assert {"bronze.fixi_melding", "silver.fixi_melding", "gold.fixi_pieken"} <= tables
    # the folders files were read from, not each file
    landed = {(Path("landing") / p.parent.relative_to(settings.landing)).as_posix()
              for p in settings.landing.rglob("*") if p.is_file()}
    assert {name for name in files if name.startswith("landing/")} <= landed
    assert "landing/fixi" in files
    assert "gold/fixi_pieken.parquet" in files
    assert all(str(settings.data_root) not in json.dumps(event) for event in events)


def test_the_dagster_run_has_its_own_events_and_is_the_parent_of_every_job_run(demo_run, events):
    _, result = demo_run
    own = [e for e in events if e["run"]["runId"] == result.run_id]
    assert [(e["eventType"], e["job"]["name"]) for e in own] == [("START", "lakehouse"), ("COMPLETE", "lakehouse")]
    assert own[0]["eventTime"] == min(e["eventTime"] for e in events)
    assert own[1]["eventTime"] == max(e["eventTime"] for e in events)
    children = [e for e in events if e not in own]
    assert {e["job"]["name"] for e in children} >= {"bronze.fixi", "silver.fixi_melding", "gold.publicatie_fixi"}
    for event in children:
        parent = event["run"]["facets"]["parent"]
        assert (parent["run"]["runId"], parent["job"]["name"], parent["job"]["namespace"]) == \
            (result.run_id, "lakehouse", own[0]["job"]["namespace"])
    runs = defaultdict(list)
    for event in children:
        runs[event["run"]["runId"]].append(event["eventType"])
    assert all(types == ["START", "COMPLETE"] for types in runs.values())


def test_input_tables_carry_the_checks_the_run_made_on_them(demo_run, events):
    settings, result = demo_run
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        checks = db.execute("select tabel, expectation, geslaagd from dq_resultaten where run_id = ?",
                            [result.run_id]).fetchall()
    checked = defaultdict(list)
    for table, expectation, passed in checks:
        checked[table].append((expectation, passed))

    def assertions(job: str, table: str) -> list[tuple]:
        complete = next(e for e in events if e["job"]["name"] == job and e["eventType"] == "COMPLETE")
        data = next(d for d in complete["inputs"] if d["name"] == table)
        return [(a["assertion"], a["success"]) for a in data["inputFacets"]["dataQualityAssertions"]["assertions"]]

    # gold: its GX suite and dbt tests, all done before publication
    assert sorted(assertions("gold.publicatie_fixi", "gold.fixi_pieken")) == sorted(checked["gold.fixi_pieken"])
    assert any(e.startswith("dbt.") for e, _ in checked["gold.fixi_pieken"])
    assert any(e.startswith("expect_") for e, _ in checked["gold.fixi_pieken"])
    # bronze: the GX suite of the table a silver model read
    bronze = assertions("silver.fixi_melding", "bronze.fixi_melding")
    assert bronze and set(bronze) <= set(checked["bronze.fixi_melding"])


def lineage_server(status: int) -> tuple[HTTPServer, list[tuple[str, dict]]]:
    """A lineage server on this machine that answers every event with `status`, and what it received."""
    received = []

    class Server(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def events_sent_to(settings_root: Path, status: int, monkeypatch) -> tuple[list[dict], list[tuple[str, dict]]]:
    """The events of a Dagster run with a failed step, as files and as the lineage server received them."""
    server, received = lineage_server(status)
    monkeypatch.setenv("LAKEHOUSE_DATA_ROOT", str(settings_root))
    monkeypatch.setenv("LAKEHOUSE_LINEAGE_URL", f"http://127.0.0.1:{server.server_port}")
    settings = load_settings()
    try:
        with dagster_run(settings, "0193a1f2-0000-7000-8000-000000000001", "lakehouse") as failed:
            failed.append("dbt_silver_fixi")
    finally:
        server.shutdown()
    files = sorted((json.loads(p.read_text()) for p in settings.lineage.glob("events/*/*/*.json")),
                   key=lambda e: e["eventType"] != "START")
    return files, received


def test_a_lineage_server_gets_the_events_the_files_get(tmp_path, monkeypatch):
    files, received = events_sent_to(tmp_path, 201, monkeypatch)
    assert received == [("/api/v1/lineage", event) for event in files]
    assert [e["eventType"] for e in files] == ["START", "FAIL"]
    assert files[1]["run"]["facets"]["errorMessage"]["message"] == "failed steps: dbt_silver_fixi"


def test_a_lineage_server_that_refuses_an_event_is_left_alone_and_the_files_keep_every_event(tmp_path, monkeypatch):
    files, received = events_sent_to(tmp_path, 400, monkeypatch)
    assert [e["eventType"] for e in files] == ["START", "FAIL"]
    assert received == [("/api/v1/lineage", files[0])]  # tried once, not again for the next event
