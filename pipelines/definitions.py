"""The Dagster code location: `dagster dev -m pipelines.definitions`."""

from pathlib import Path

import dagster as dg

from pipelines.long_lived import made_for_the_process


@dg.definitions
def defs() -> dg.Definitions:
    with made_for_the_process():
        return dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
