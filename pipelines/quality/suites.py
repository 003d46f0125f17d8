"""Suites in `expectations/` (one per table, named `<zone>.<table>`), the data they run on, and their results.

A suite's `meta` may ask for three derived parameters:
- `actualiteit: {kolom, max_dagen}` gives `vers_sinds`, the oldest acceptable newest value of `kolom`;
- `volume: {kolom, basisweken}` gives `volume_min`/`volume_max` for the latest full day's count, from the
  same weekday in the preceding weeks; expectations with `meta.deel = "laatste_dag"` run on that day only;
- `instorting: {min_aandeel}` gives `rijen_min`, the share `min_aandeel` of the rows the table had at its last
  check that did not find it collapsed (`LAKEHOUSE_FULL_REFRESH=1` accepts the table as it is now).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import median

import duckdb
import pandas as pd

from pipelines.bronze.deliveries import last_withdrawal
from pipelines.bronze.sources import BRONZE_SYSTEMS, BRONZE_TABLES
from pipelines.dbt.state import table_inputs
from pipelines.quality.gx import Batch, judges_each_row, key_columns, summed, validate
from pipelines.quality.results import Outcome
from pipelines.settings import EXPECTATIONS_DIR, Settings

LATEST_DAY = "laatste_dag"
# A national key sort (34 million reisdocumenten) is as fast under this limit and takes half the memory.
CHECK_MEMORY_LIMIT = "512MB"
LAST_CHECKS = "_laatste_controle"  # per suite: what its last check found, on which state of the table
NEW_PARTS = "nieuwe_delen"  # the name of GX's batch of a bronze table's new parts
COLLAPSE_PARAMETER = "rijen_min"
EXAMPLE_COLUMNS = ["bron_bestand", "bron_record"]  # the landing file and record of a silver row


@dataclass(frozen=True)
class Suite:
    name: str
    meta: dict
    expectations: list[dict]

    @property
    def zone(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]


def load_suites(folder: Path = EXPECTATIONS_DIR) -> list[Suite]:
    suites = []
    for path in sorted(folder.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        if spec["name"] != path.stem:
            raise ValueError(f"{path}: suite name {spec['name']!r} must equal the file name")
        suites.append(Suite(spec["name"], spec.get("meta", {}), spec["expectations"]))
    return suites


def run_suite(suite: Suite, settings: Settings, run_id: str) -> list[Outcome]:
    """The suite's outcomes, in its order, GX validating no more than the verdicts need.

    On a table in the state of its last check by the same suite (silver and gold: built from the same inputs;
    bronze: the same parts, no delivery withdrawn since) an expectation that does not compare with the peildatum
    keeps the outcome it had, with the run that computed it. Bronze is append-only and a part never changes once
    written, so on a bronze table that only gained parts an expectation judging each row adds the counts GX makes
    on the new parts to those it had, and decides on the sums; a uniqueness count only while no key of the new
    rows occurs in the parts before. Everything else GX validates on the whole table.
    """
    table, last = _table_state(suite, settings), _last_check(suite, settings)
    same = table is not None and last.get("table") == table
    kept = last["outcomes"] if same else {}
    new_parts, added = _gained_parts(suite, settings, last, table) if suite.zone == "bronze" and not same else ([], [])
    whole = [i for i in range(len(suite.expectations)) if i not in kept and i not in added]
    outcomes = kept | _validate_suite(suite, whole, settings, run_id, last.get("rijen"))
    if added:
        with _batch(suite, [suite.expectations[i] for i in added], settings, new_parts) as batch:
            found = _validated(f"{suite.name}.{NEW_PARTS}", suite, added, batch, {}, settings, run_id)
        # An error on the new parts stays an error: summed, its missing counts would read as none unexpected.
        outcomes |= {i: o if _errored(o) else summed(suite.expectations[i], [last["outcomes"][i], o])
                     for i, o in found.items()}
    ordered = [outcomes[i] for i in range(len(suite.expectations))]
    _remember(suite, settings, table, ordered, last.get("rijen"), run_id)
    return ordered


def _gained_parts(suite: Suite, settings: Settings, last: dict, table: dict) -> tuple[list[Path], list[int]]:
    """The bronze parts written since the last check, and the positions of the expectations whose outcome adds
    up over them; none when no part was checked then, a part checked then is gone or changed, or a delivery
    stopped counting since."""
    before = last.get("table") or {}
    if not before.get("parts") or before["withdrawal"] != table["withdrawal"] or any(
            table["parts"].get(name) != size for name, size in before["parts"].items()):
        return [], []
    folder, deliveries = settings.bronze / BRONZE_TABLES[suite.table].folder, _deliveries(suite, settings)
    new, old = ([folder / name for name in table["parts"] if (name in before["parts"]) == was] for was in (False, True))
    added = [i for i in last["outcomes"] if judges_each_row(suite.expectations[i]) and not (
        key_columns(suite.expectations[i]) and _keys_shared(key_columns(suite.expectations[i]), old, new, deliveries))]
    return new, added


def _errored(outcome: Outcome) -> bool:
    return (outcome.waargenomen or "").startswith("error:")


def _keys_shared(key: list[str], old: list[Path], new: list[Path], deliveries: Path) -> bool:
    """Whether a key of the new rows occurs among the rows checked before (by hash: two empty keys match too)."""
    hashed = "hash(" + ", ".join(f'"{column}"' for column in key) + ")"
    with duckdb.connect(config={"memory_limit": CHECK_MEMORY_LIMIT}) as db:
        return db.execute(f"select exists (select 1 from {_current_rows(old, deliveries)} where {hashed} in "
                          f"(select {hashed} from {_current_rows(new, deliveries)}))").fetchone()[0]


def _validate_suite(suite: Suite, positions: list[int], settings: Settings, run_id: str,
                    rows_before: int | None) -> dict[int, Outcome]:
    """GX validates the expectations at `positions` on the whole table, those on the latest day (`meta.deel`) on
    that day's rows."""
    if not positions:
        return {}
    latest = [i for i in positions if _on_latest_day(suite.expectations[i])]
    with _batch(suite, [suite.expectations[i] for i in positions], settings) as batch:
        parameters = _parameters(suite, settings, batch, rows_before)
        outcomes = _validated(suite.name, suite, [i for i in positions if i not in latest], batch, parameters,
                              settings, run_id)
        if latest:
            day = f"date '{settings.peildatum - dt.timedelta(days=1)}'"
            on_day = f"select * from ({batch.query}) where cast({suite.meta['volume']['kolom']} as date) = {day}"
            outcomes |= _validated(f"{suite.name}.{LATEST_DAY}", suite, latest,
                                   dataclasses.replace(batch, query=on_day), parameters, settings, run_id)
    return outcomes


def _validated(name: str, suite: Suite, positions: list[int], batch: Batch, parameters: dict, settings: Settings,
               run_id: str) -> dict[int, Outcome]:
    found = validate(name, [suite.expectations[i] for i in positions], batch, parameters, settings.gx_docs, run_id)
    return dict(zip(positions, found, strict=True))


@contextmanager
def _batch(suite: Suite, expectations: list[dict], settings: Settings,
           parts: list[Path] | None = None) -> Iterator[Batch]:
    """The rows GX validates, with DuckDB settings whose sorts spill to disk beyond CHECK_MEMORY_LIMIT into a
    folder of the suite's own (two checks may run at once).

    Silver and gold: the table in the build database; silver findings name a few of their landing records.
    Bronze: the rows of the deliveries that count now, of all parts or of `parts`, copied with the columns the
    expectations use into a DuckDB file of their own: GX would read the Parquet parts again for each query.
    """
    spill = settings.dq_results / "_tmp" / suite.name
    spill.mkdir(parents=True, exist_ok=True)  # DuckDB makes only the last folder of it
    config = {"memory_limit": CHECK_MEMORY_LIMIT, "temp_directory": str(spill)}
    if suite.zone != "bronze":
        yield Batch(f'select * from "{suite.zone}"."{suite.table}"', settings.build_db, config,
                    EXAMPLE_COLUMNS if suite.zone == "silver" else None)
        return
    copy = spill / "batch.duckdb"
    copy.unlink(missing_ok=True)
    parts = parts or [settings.bronze / BRONZE_TABLES[suite.table].folder / "*.parquet"]
    with duckdb.connect(str(copy), config=config) as db:
        db.execute(f"create table rijen as select {_columns(expectations)} "
                   f"from {_current_rows(parts, _deliveries(suite, settings))}")
    try:
        yield Batch("select * from rijen", copy, config)
    finally:
        copy.unlink()


def _current_rows(parts: list[Path], deliveries: Path) -> str:
    """The rows of bronze parts that belong to the deliveries counting now, as silver reads them (the dbt macro
    `current_deliveries`)."""
    return (f"(select * from read_parquet([{', '.join(_quoted(p) for p in parts)}], union_by_name = true) "
            f"where bron_bestand_hash in (select bron_bestand_hash from read_parquet({_quoted(deliveries / '*.parquet')})))")


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _columns(expectations: list[dict]) -> str:
    """The columns the expectations look at."""
    columns = set()
    for kwargs in (e["kwargs"] for e in expectations):
        columns.update(kwargs.get("column_list", []))
        columns.update(kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs)
        columns.update([kwargs["row_condition"]["column"]["name"]] if "row_condition" in kwargs else [])
    return ", ".join(f'"{c}"' for c in sorted(columns)) or "1 as rij"  # a row count needs rows, no columns


def _connect(batch: Batch) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(batch.database), read_only=True, config=batch.config)


def _deliveries(suite: Suite, settings: Settings) -> Path:
    """The folder of the `<system>_aanlevering` table of a bronze suite's source system, the deliveries that
    count now: only their rows reach silver (the dbt macro `current_deliveries`), and only they are checked."""
    return settings.bronze / BRONZE_TABLES[f"{BRONZE_SYSTEMS[suite.table]}_aanlevering"].folder


def _table_state(suite: Suite, settings: Settings) -> dict | str | None:
    """What the table's content follows from: in bronze its parts (by size: a part is never rewritten) and the
    last withdrawal of a delivery, in silver and gold the inputs of the build that made it. None when unknown
    (a build whose tests failed)."""
    if suite.zone != "bronze":
        return table_inputs(settings, suite.name)
    folder = settings.bronze / BRONZE_TABLES[suite.table].folder
    return {"parts": {part.name: part.stat().st_size for part in sorted(folder.glob("*.parquet"))},
            "withdrawal": last_withdrawal(_deliveries(suite, settings))}


def _last_check(suite: Suite, settings: Settings) -> dict:
    """What the last check found: the table's state, the outcomes it kept by position, and the row count of the
    last check that found no collapse (`rijen`). Only that count when the suite changed since, and not even that
    under LAKEHOUSE_FULL_REFRESH."""
    path = settings.dq_results / LAST_CHECKS / f"{suite.name}.json"
    last = json.loads(path.read_text()) if path.exists() and not settings.full_refresh else {}
    if last.get("suite") != _fingerprint(suite.expectations):
        return {"outcomes": {}, "rijen": last.get("rijen")}
    return last | {"outcomes": {int(i): Outcome(**o) for i, o in last["outcomes"].items()}}


def _remember(suite: Suite, settings: Settings, table: dict | str | None, outcomes: list[Outcome],
              rows_before: int | None, run_id: str) -> None:
    """Keeps the outcomes that do not depend on the day and met no error, each with the run that computed it; and
    the row count only when no collapse was found, so a collapsed table stays blocked until its input is restored."""
    kept = {i: asdict(o) | {"berekend_in_run": o.berekend_in_run or run_id}
            for i, (e, o) in enumerate(zip(suite.expectations, outcomes, strict=True))
            if not _depends_on_the_day(e) and not _errored(o)}
    collapse = [o for e, o in zip(suite.expectations, outcomes, strict=True)
                if f'"{COLLAPSE_PARAMETER}"' in json.dumps(e["kwargs"])]
    rows = collapse[0].aantal_rijen if collapse and all(o.geslaagd for o in collapse) else rows_before
    path = settings.dq_results / LAST_CHECKS / f"{suite.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"suite": _fingerprint(suite.expectations), "table": table, "outcomes": kept,
                                "rijen": rows}))


def _depends_on_the_day(expectation: dict) -> bool:
    """Compares with the peildatum: a bound derived from it, or only the latest day's rows."""
    return "$PARAMETER" in json.dumps(expectation["kwargs"]) or _on_latest_day(expectation)


def _on_latest_day(expectation: dict) -> bool:
    return expectation.get("meta", {}).get("deel") == LATEST_DAY


def _fingerprint(expectations: list[dict]) -> str:
    return hashlib.sha256(json.dumps(expectations, sort_keys=True).encode()).hexdigest()


def _parameters(suite: Suite, settings: Settings, batch: Batch, rows_before: int | None) -> dict:
    parameters = {}
    if "actualiteit" in suite.meta:
        days = suite.meta["actualiteit"]["max_dagen"]
        parameters["vers_sinds"] = pd.Timestamp(settings.peildatum - dt.timedelta(days=days))
    if "volume" in suite.meta:
        parameters.update(_volume_bounds(suite.meta["volume"], settings, batch))
    if "instorting" in suite.meta:
        parameters[COLLAPSE_PARAMETER] = math.floor(suite.meta["instorting"]["min_aandeel"] * (rows_before or 0))
    return parameters


def _volume_bounds(spec: dict, settings: Settings, batch: Batch) -> dict:
    """The usual count for the latest full day: the median of the same weekday in the weeks before."""
    day = settings.peildatum - dt.timedelta(days=1)
    earlier = [day - dt.timedelta(weeks=w) for w in range(1, spec["basisweken"] + 1)]
    with _connect(batch) as db:
        counts = dict(db.execute(
            f"select cast({spec['kolom']} as date) as dag, count(*) from ({batch.query}) "
            f"where cast({spec['kolom']} as date) in (select unnest(?::date[])) group by dag",
            [earlier],
        ).fetchall())
    usual = median(counts.get(d, 0) for d in earlier)
    # Wide bounds: a real peak (a storm) is worth a warning, ordinary noise is not.
    return {"volume_min": math.floor(0.4 * usual), "volume_max": math.ceil(2.5 * usual + 5)}
