"""`make bench`: what a full build and a nightly run cost, measured against two baselines in the same run.

Every measured step runs as its own process tree (generation, the Dagster build, the bare-DuckDB floor, the
pandas script), so wall time and peak memory (RSS, children included) are those of that step alone.
"""
