"""The floor: the lakehouse's own silver and gold SQL run straight on DuckDB, no dbt, no Dagster.

`python -m benchmarks.floor BUILD_DB MANIFEST OUT_DB` takes the compiled SQL of every model from a dbt
manifest (`pipelines.dbt.runner.compile_models` in the same environment, so it reads the same bronze) and
creates each table in dependency order in a fresh database, with the pipeline's DuckDB settings so both run
the same engine the same way. Seeds are reference inputs like bronze: they are copied from the pipeline's
build database, not timed. Prints the seconds per model as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from pipelines.settings import Settings, load_settings


def models_in_order(manifest: dict) -> list[dict]:
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    graph = {uid: [d for d in node["depends_on"]["nodes"] if d in models] for uid, node in models.items()}
    return [models[uid] for uid in TopologicalSorter(graph).static_order()]


def build(build_db: Path, manifest: dict, out_db: Path, settings: Settings) -> dict[str, float]:
    # The compiled SQL names relations "<catalog>"."<schema>"."<table>"; the floor's file gets the same catalog name.
    if out_db.stem != build_db.stem:
        raise ValueError(f"the floor database must be named {build_db.name}, like the build database")
    seconds = {}
    # The pipeline's DuckDB settings: its memory limit, and bronze as the place the sources' paths are relative to.
    config = {"memory_limit": settings.memory_limit, "file_search_path": str(settings.bronze)}
    with duckdb.connect(str(out_db), config=config) as db:
        db.execute(f"attach '{build_db}' as pipeline (read_only)")
        for schema in ("silver", "gold"):
            db.execute(f"create schema if not exists {schema}")
        for node in manifest["nodes"].values():
            if node["resource_type"] == "seed":
                db.execute(f'create table {node["relation_name"]} as from pipeline."{node["schema"]}"."{node["alias"]}"')
        for node in models_in_order(manifest):
            started = time.perf_counter()
            db.execute(f'create table {node["relation_name"]} as {node["compiled_code"]}')
            seconds[f'{node["schema"]}.{node["name"]}'] = time.perf_counter() - started
    return seconds


if __name__ == "__main__":
    build_db, manifest_path, out_db = map(Path, sys.argv[1:4])
    print(json.dumps(build(build_db, json.loads(manifest_path.read_text()), out_db, load_settings())))
