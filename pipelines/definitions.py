"""The Dagster code location: `dagster dev -m pipelines.definitions`."""

import gc
from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    # Loading imports dbt, dagster-dbt and Great Expectations: half a million objects, over which Python's
    # cyclic garbage collector ran eight full passes (1.1-1.3 s of every run). None of them is garbage, so the
    # collector is paused while they load and then told to leave them be (`gc.freeze`).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
