"""Why published tables show no figures: the run's summary says so per table, in plain words.

Tables of sensitive data suppress small cells and say why per cell (`onderdrukt_reden`, see the dbt macros in
`suppression.sql`). A table whose every cell is suppressed looks empty to a user; this tells them why, and
points at the cause a municipality can fix: records without a client identity (no BSN, no client number).
"""

from __future__ import annotations

import duckdb

from pipelines.settings import Settings

WITHOUT_IDENTITY = "clienten zonder identiteit"


def suppression_notes(settings: Settings) -> list[str]:
    """One line per published table that shows no figures at all, or hides cells for want of client identity."""
    if not settings.gold_db.exists():
        return []
    with duckdb.connect(str(settings.gold_db), read_only=True) as db:
        tables = [name for (name,) in db.execute(
            "select distinct table_name from information_schema.columns where column_name = 'onderdrukt_reden' "
            "order by table_name").fetchall()]
        counts = [(name, *db.execute(
            f"select count(*), count(onderdrukt_reden), count(*) filter (where onderdrukt_reden = ?) from {name}",
            [WITHOUT_IDENTITY]).fetchone()) for name in tables]
    return [line for counted in counts if (line := _note(*counted))]


def _note(table: str, cells: int, suppressed: int, without_identity: int) -> str | None:
    identity = (f"{without_identity:,} of them hold records without a BSN or client number, which count as one "
                "client at most: deliver the case export with its client details (BSN or client number)")
    if cells and suppressed == cells:
        return (f"  {table}: no figures: all {cells:,} cells have fewer than 5 identifiable clients"
                + (f"; {identity}" if without_identity else ""))
    if without_identity:
        return f"  {table}: {suppressed:,} of {cells:,} cells suppressed; {identity}"
    return None
