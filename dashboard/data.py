"""Everything the dashboard and the council report read, in one place: published gold (read-only), the quarantine
counts, the dbt definitions and the column lineage.

Gold is opened read-only, once per publication: publication writes a new `gold.duckdb` and swaps it in (a rename),
so the open connection never blocks the nightly run and the run never breaks a page. The connection and the results
are cached per publication: the cache key is the identity of the catalogue file (inode, modification time), which
every publication changes, so a new publication shows at the next page view without a restart, on a new connection
(opening one costs more than most of the pages' queries). Quarantined records are
read as counts only, never their content. This module uses no Streamlit: the council report reads the same way.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.dbt.manifest import PROJECT_MANIFEST
from pipelines.dbt.state import STATE_FILE
from pipelines.settings import DBT_PROJECT_DIR, Settings

DQ_TABLE = "dq_resultaten"
CATALOGUE = "gold"  # the name the catalogue is attached under
# A quarantine reason names the offending value ("datum_melding '31-02-2023 15:15' is not a date"); the dashboard
# shows the kind of problem only, so quoted values and numbers are blanked.
QUOTED_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"")
NUMBER = re.compile(r"\d+")


def file_key(path: Path) -> tuple[int, int] | None:
    """Identity of a file for caching: changes whenever the file is replaced or rewritten; None if absent."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def publication_key(settings: Settings) -> tuple[int, int] | None:
    return file_key(settings.gold_db)


def query(settings: Settings, sql: str, params: Sequence = ()) -> pd.DataFrame:
    """A query on published gold, cached until the next publication. Empty frame when nothing is published yet."""
    key = publication_key(settings)
    if key is None:
        return pd.DataFrame()
    hashable = tuple(tuple(p) if isinstance(p, list) else p for p in params)  # a list parameter: IN (unnest(?))
    return _query(str(settings.gold_db), key, sql, hashable).copy()


@lru_cache(maxsize=256)
def _query(gold_db: str, key: tuple, sql: str, params: tuple) -> pd.DataFrame:
    # A cursor per query: each Streamlit session runs in a thread of its own, and a cursor is DuckDB's way to
    # share one database between threads. A cursor starts in the in-memory database: `use` the catalogue.
    with _connection(gold_db, key).cursor() as cursor:
        cursor.execute(f"use {CATALOGUE}")
        return cursor.execute(sql, [list(p) if isinstance(p, tuple) else p for p in params]).df()


@lru_cache(maxsize=1)
def _connection(gold_db: str, _key: tuple) -> duckdb.DuckDBPyConnection:
    """The current publication's catalogue, attached read-only to an in-memory database; the previous one is
    dropped (and closed once no query uses it any more) when a new publication changes the key. Attached, not
    opened with `duckdb.connect(gold_db)`: for a path a connection in the process still has open, DuckDB hands out
    that same database again, which is the previous publication's file."""
    db = duckdb.connect()
    db.execute(f"attach '{gold_db.replace(chr(39), chr(39) * 2)}' as {CATALOGUE} (read_only)")
    return db


def columns(settings: Settings, table: str) -> list[str]:
    """The columns a published gold table has (pages read columns by name and tolerate extra ones)."""
    frame = query(settings, "select column_name from information_schema.columns where table_name = ? "
                  "order by ordinal_position", [table])
    return frame["column_name"].tolist() if not frame.empty else []


def publication(settings: Settings) -> pd.DataFrame:
    """Per published table: rows, when and by which run it was published, which run built it."""
    return query(settings, "select tabel, aantal_rijen, run_id, gepubliceerd_op, gebouwd_in_run from publicatie "
                 "order by tabel")


def gemeenten(settings: Settings) -> list[str]:
    """Every municipality in published gold (the small tables of each subject area)."""
    tables = [t for t in ("fixi_afhandeling", "sociaal_domein_wachtlijst", "reisdocumenten_prognose")
              if "gemeentecode" in columns(settings, t)]
    if not tables:
        return []
    frame = query(settings, " union ".join(f"select distinct gemeentecode from {t}" for t in tables)
                  + " order by 1")
    return frame["gemeentecode"].dropna().tolist()


def wijknamen(settings: Settings) -> dict[str, str]:
    """CBS wijkcode -> name, as Fixi's gold publishes them (the Wmo tables carry the code only)."""
    if not {"wijkcode", "wijknaam"} <= set(columns(settings, "fixi_meldingen_week")):
        return {}
    frame = query(settings, "select wijkcode, any_value(wijknaam) as wijknaam from fixi_meldingen_week "
                  "where wijkcode is not null and wijkcode <> '' group by wijkcode")
    return dict(zip(frame["wijkcode"], frame["wijknaam"]))


@dataclass(frozen=True)
class DqStatus:
    """The outcome of a table's checks in the latest run that checked it."""
    tabel: str
    run_id: str | None
    gecontroleerd_op: object
    controles: int
    mislukt_waarschuwing: int
    mislukt_kritiek: int

    @property
    def label(self) -> str:
        if self.run_id is None:
            return "niet gecontroleerd"
        if self.mislukt_kritiek:
            return f"blokkerend: {self.mislukt_kritiek} kritieke controle(s) mislukt"
        if self.mislukt_waarschuwing:
            return f"waarschuwing: {self.mislukt_waarschuwing} van {self.controles} controles mislukt"
        return f"in orde: {self.controles} van {self.controles} controles geslaagd"


def dq_status(settings: Settings, table: str) -> DqStatus:
    """`table` as `gold.<name>` (or any `<zone>.<name>`) as dq_resultaten names it."""
    frame = query(settings, f"""
        with laatste as (select max_by(run_id, gecontroleerd_op) as run_id from {DQ_TABLE} where tabel = ?)
        select any_value(run_id) as run_id, max(gecontroleerd_op) as gecontroleerd_op, count(*) as controles,
               count_if(not geslaagd and ernst <> 'critical') as waarschuwing,
               count_if(not geslaagd and ernst = 'critical') as kritiek
        from {DQ_TABLE} where tabel = ? and run_id = (select run_id from laatste)""", [table, table])
    if frame.empty or not frame["controles"].iloc[0]:
        return DqStatus(table, None, None, 0, 0, 0)
    row = frame.iloc[0]
    return DqStatus(table, row["run_id"], row["gecontroleerd_op"], int(row["controles"]), int(row["waarschuwing"]),
                    int(row["kritiek"]))


def quarantine_counts(settings: Settings) -> pd.DataFrame:
    """Quarantined records per source system, bronze table, municipality and kind of reason: counts only."""
    files = sorted((settings.quarantine / "records").glob("*/*.parquet"))
    columns_ = ["bron_systeem", "bron_tabel", "gemeentecode", "reden", "aantal"]
    if not files:
        return pd.DataFrame(columns=columns_)
    key = tuple((str(f), file_key(f)) for f in files)
    registers = tuple(sorted(str(p) for p in settings.file_register.glob("*/*.parquet")))
    return _quarantine_counts(key, registers).copy()


@lru_cache(maxsize=8)
def _quarantine_counts(files: tuple, registers: tuple) -> pd.DataFrame:
    # Only these columns are read: the record itself never leaves bronze.
    counts = """select bron_systeem, bron_tabel, bron_bestand_hash, reden, count(*) as aantal
                from read_parquet($files, union_by_name = true) group by all"""
    parameters = {"files": [f for f, _ in files]}
    with duckdb.connect() as db:
        if registers:
            # The municipality of each quarantined file, looked up in DuckDB: nationally the registers list 5.8
            # million files, too many to bring into Python for a page.
            frame = db.execute(f"""
                with counts as ({counts}),
                municipality as (
                    select hash, min(gemeentecode) as gemeentecode from read_parquet($registers, union_by_name = true)
                    where hash in (select bron_bestand_hash from counts) group by hash)
                select counts.*, municipality.gemeentecode
                from counts left join municipality on municipality.hash = counts.bron_bestand_hash""",
                               {**parameters, "registers": list(registers)}).df()
        else:
            frame = db.execute(counts, parameters).df().assign(gemeentecode=None)
    frame = frame.drop(columns="bron_bestand_hash").assign(gemeentecode=frame["gemeentecode"].fillna("onbekend"))
    frame["reden"] = frame["reden"].map(reason_kind)
    return (frame.groupby(["bron_systeem", "bron_tabel", "gemeentecode", "reden"], as_index=False)["aantal"].sum()
            .sort_values("aantal", ascending=False, ignore_index=True))


def reason_kind(reason: str) -> str:
    """The kind of problem a quarantine reason names, without the record's values."""
    return NUMBER.sub("…", QUOTED_VALUE.sub("'…'", reason or "")).strip()


def manifest(settings: Settings) -> dict:
    """The dbt manifest with every definition, owner and privacy class: the data root's dbt docs if generated,
    else the project's own parse. Both come from the same dbt YAML."""
    path = settings.dbt_docs / "manifest.json"
    path = path if path.exists() else PROJECT_MANIFEST
    return _json(str(path), file_key(path))


def column_lineage(settings: Settings) -> dict[str, dict[str, list[tuple[str, str, str]]]]:
    """Per dbt unique id: column -> the (zone, table, column) it is computed from, as the run recorded it in the
    build state."""
    path = settings.dbt_state / STATE_FILE
    raw = _json(str(path), file_key(path)).get("column_lineage", {}) if path.exists() else {}
    lineage = {}
    for uid, kept in raw.items():
        # Stored as Dagster's serialised metadata; read as plain JSON so the dashboard does not import Dagster.
        deps = json.loads(kept["metadata"]).get("dagster/column_lineage", {}).get("deps_by_column", {})
        lineage[uid] = {column: [(*dep["asset_key"]["path"][:2], dep["column_name"]) for dep in found]
                        for column, found in deps.items()}
    return lineage


@lru_cache(maxsize=4)
def _json(path: str, _key: tuple | None) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Definition:
    tabel: str
    omschrijving: str
    eigenaar: str
    privacy: str
    bewaartermijn: str
    kolommen: dict[str, str]


def definition(settings: Settings, table: str) -> Definition | None:
    """A gold/silver model's or bronze source's definition as the dbt YAML gives it."""
    node = find_node(manifest(settings), table)
    if node is None:
        return None
    meta = {**node.get("meta", {}), **node.get("config", {}).get("meta", {})}
    return Definition(
        tabel=table,
        omschrijving=" ".join((node.get("description") or "").split()),
        eigenaar=meta.get("owner", "onbekend"),
        privacy=meta.get("privacy", "onbekend"),
        bewaartermijn=meta.get("retention", "onbekend"),
        kolommen={name: " ".join((col.get("description") or "").split()) for name, col in node["columns"].items()},
    )


def find_node(manifest_: dict, table: str, zone: str | None = None) -> dict | None:
    """The model or seed named `table` (in `zone` if given), or for zone 'bronze' the source of that name."""
    if zone == "bronze":
        return manifest_["sources"].get(f"source.lakehouse.bronze.{table}")
    for node in manifest_["nodes"].values():
        if node["resource_type"] in ("model", "seed") and node["name"] == table and (
                zone is None or (node["config"].get("schema") or "silver") == zone or node["resource_type"] == "seed"):
            return node
    return None


def gold_tables(settings: Settings) -> list[str]:
    """The gold models the dbt project defines, by name."""
    return sorted(n["name"] for n in manifest(settings)["nodes"].values()
                  if n["resource_type"] == "model" and n["config"].get("schema") == "gold")


def lineage_to_bronze(settings: Settings, table: str, column: str) -> list[dict]:
    """Every step from a gold column back to the bronze columns it comes from: rows of (level, from, to)."""
    manifest_, lineage = manifest(settings), column_lineage(settings)
    steps, todo, seen = [], [("gold", table, column)], set()
    while todo:
        zone, name, col = todo.pop(0)
        if (zone, name, col) in seen or zone == "bronze":
            continue
        seen.add((zone, name, col))
        node = find_node(manifest_, name, zone)
        for parent in lineage.get(node["unique_id"], {}).get(col, []) if node else []:
            steps.append({"laag": zone, "tabel": name, "kolom": col,
                          "komt_uit_laag": parent[0], "komt_uit_tabel": parent[1], "komt_uit_kolom": parent[2]})
            todo.append(parent)
    return steps


def landing_of(settings: Settings, bronze_table: str) -> dict:
    """Where a bronze table's rows came from: the source system's landing folder and the files registered from it."""
    source = manifest(settings)["sources"].get(f"source.lakehouse.bronze.{bronze_table}", {})
    system = source.get("meta", {}).get("folder", bronze_table).split("/")[0]
    registers = sorted((settings.file_register / system).glob("*.parquet"))
    files, newest = 0, None
    if registers:
        with duckdb.connect() as db:
            files, newest = db.execute("select count(distinct hash), max_by(bestand, mtime_ns) "
                                       "from read_parquet(?, union_by_name = true)",
                                       [[str(p) for p in registers]]).fetchone()
    return {"bron_systeem": system, "landingsmap": f"{settings.landing}/[GMxxxx/]{system}/", "bestanden": files,
            "laatste_bestand": newest}


def quarterly_reports(settings: Settings) -> list[Path]:
    """The council's quarterly reports the last runs wrote (dashboard/kwartaalrapport.py), newest quarter first."""
    return sorted((settings.gold / "rapporten").glob("kwartaalrapport_*.html"), key=lambda p: p.stem[-6:],
                  reverse=True)


@dataclass(frozen=True)
class Wet:
    """A law of the social domain as gold names it (`wet`), its label and its statutory terms in days per step
    (onderzoek, beschikking) from the dbt seed sociaal_domein_termijn; a step without a term is absent."""
    code: str
    naam: str
    termijnen: dict[str, int]
    bronnen: dict[str, str]

    def weken(self, stap: str) -> int | None:
        return self.termijnen[stap] // 7 if stap in self.termijnen else None


WET_NAMEN = {"wmo": "Wmo 2015", "jeugdwet": "Jeugdwet"}


@lru_cache(maxsize=1)
def wetten() -> dict[str, Wet]:
    """The social-domain laws with their terms, read from the seed that gold's term columns are computed from."""
    with open(DBT_PROJECT_DIR / "seeds" / "sociaal_domein" / "sociaal_domein_termijn.csv", encoding="utf-8") as seed:
        rows = list(csv.DictReader(seed))
    return {code: Wet(code, naam, {r["stap"]: int(r["termijn_dagen"]) for r in rows if r["wet"] == code},
                      {r["stap"]: r["bron"].split(": ")[0] for r in rows if r["wet"] == code})
            for code, naam in WET_NAMEN.items()}


@lru_cache(maxsize=1)
def soortnamen() -> dict[str, str]:
    """Reisdocument soort code -> name, from the dbt seed that is the codelist."""
    with open(DBT_PROJECT_DIR / "seeds" / "reisdocumenten" / "reisdocument_soort.csv", encoding="utf-8") as seed:
        return {row["code"]: row["omschrijving"] for row in csv.DictReader(seed)}
