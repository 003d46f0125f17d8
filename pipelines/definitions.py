"""The Dagster code location: `dagster dev -m pipelines.definitions`."""

from pathlib import Path

import dagster as dg

from pipelines.garbage_collection import exempt_from_garbage_collection


@dg.definitions
def defs() -> dg.Definitions:
    with exempt_from_garbage_collection():
        return dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
