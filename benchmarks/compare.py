"""Whether two relations hold the same rows: how the baselines' gold is checked against the pipeline's."""

from __future__ import annotations

from pathlib import Path

import duckdb

DID_NOT_COMPLETE = "did not complete"  # a baseline that ran out of memory has no gold to compare


def parquet(path: Path) -> str:
    return f"read_parquet('{path}')"


def same_rows(db: duckdb.DuckDBPyConnection, left: str, right: str) -> bool:
    """Equal as multisets of rows, with doubles compared to 6 decimals: the same sum of doubles can differ in
    its last bits with the order in which DuckDB's threads add it up."""
    columns = db.execute(f"select column_name, column_type from (describe select * from {right})").fetchall()
    select = ", ".join(f'round("{c}", 6)' if kind == "DOUBLE" else f'"{c}"' for c, kind in columns)
    differ = db.execute(
        f"select (select count(*) from (select {select} from {left} except all select {select} from {right})) "
        f"+ (select count(*) from (select {select} from {right} except all select {select} from {left}))"
    ).fetchone()[0]
    return differ == 0


def all_identical(comparison: dict[str, bool | str]) -> bool:
    """Every comparison that could be made found identical gold. A baseline that did not complete (pandas out
    of memory at national scale) is a finding of the report, not a difference in gold."""
    return all(same is True for same in comparison.values() if same != DID_NOT_COMPLETE)
