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
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.bronze.deliveries import last_withdrawal
from pipelines.bronze.sources import BRONZE_SYSTEMS, BRONZE_TABLES
from pipelines.dbt.rebuild import bronze_parts
from pipelines.dbt.state import table_inputs
from pipelines.quality.gx import Batch, Outcome, judges_each_row, key_columns, summed, validate
from pipelines.settings import EXPECTATIONS_DIR, Settings

LATEST_DAY = "laatste_dag"
# A national key sort (34 million reisdocumenten) is as fast under this limit and takes half the memory.
CHECK_MEMORY_LIMIT = "512MB"
KEPT_OUTCOMES = "_kept_outcomes"  # per suite: the table's state at its last check, and the outcomes kept from it
COUNTED_PARTS = "_counted_parts"  # per bronze suite: the parts counted so far, and the outcomes counted over them
NEW_PARTS = "nieuwe_delen"  # the name of GX's batch of a bronze table's new parts
VOLUMES = "_volumes"  # per suite: the row count at its last check that found no collapse
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
    """The suite's outcomes, in its order.

    On a table unchanged since its last check (the same parts in bronze; in silver and gold, a table built
    from the same inputs), an expectation whose verdict does not depend on the day keeps the outcome it had,
    with the run that computed it: only the expectations that compare with the peildatum run again.
    """
    state = _table_state(suite, settings)
    kept = _kept_outcomes(suite, settings, state)
    todo = [i for i in range(len(suite.expectations)) if i not in kept]
    if suite.zone == "bronze":
        computed = _validate_bronze(suite, todo, settings, run_id)
    else:
        computed = dict(zip(todo, _validate_suite(suite, [suite.expectations[i] for i in todo], settings, run_id),
                            strict=True))
    outcomes = [kept[i] if i in kept else computed[i] for i in range(len(suite.expectations))]
    if state is not None:
        _keep_outcomes(suite, settings, state, outcomes, run_id)
    _remember_volume(suite, settings, outcomes, run_id)
    return outcomes


def _collapse_check(expectation: dict) -> bool:
    return f'"{COLLAPSE_PARAMETER}"' in json.dumps(expectation["kwargs"])


def _remember_volume(suite: Suite, settings: Settings, outcomes: list[Outcome], run_id: str) -> None:
    """The row count the next check compares with (`instorting`): kept only when this one found no collapse, so a
    collapsed table stays blocked until its input is restored."""
    checked = [o for e, o in zip(suite.expectations, outcomes, strict=True) if _collapse_check(e)]
    if checked and all(o.geslaagd for o in checked):
        path = settings.dq_results / VOLUMES / f"{suite.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"rijen": checked[0].aantal_rijen, "run_id": run_id}))


def _collapse_bound(suite: Suite, settings: Settings) -> int:
    path = settings.dq_results / VOLUMES / f"{suite.name}.json"
    if settings.full_refresh or not path.exists():
        return 0
    return math.floor(suite.meta["instorting"]["min_aandeel"] * json.loads(path.read_text())["rijen"])


def _validate_bronze(suite: Suite, positions: list[int], settings: Settings, run_id: str) -> dict[int, Outcome]:
    """The expectations at `positions` on a bronze table, GX validating only the parts written since the last
    check where the verdict allows it.

    Bronze is append-only and a part never changes once written. So for an expectation that judges each row
    (and does not compare with the peildatum) the counts over the parts checked before are kept, the counts GX
    makes on a batch of the new parts are added, and the expectation itself decides on the sums. A uniqueness
    count adds up the same way as long as no key of the new rows occurs in a part checked before; otherwise it
    is counted again over all parts. A delivery removed from or replaced in landing since the last check
    (`deliveries.last_withdrawal`), a kept part gone or changed, a changed suite or LAKEHOUSE_FULL_REFRESH start
    the count again from the whole table. The other expectations read the whole table.
    """
    expectations, deliveries = suite.expectations, _deliveries(suite, settings)
    folder = settings.bronze / BRONZE_TABLES[suite.table].folder
    parts = {p.name: p.stat().st_size for p in sorted(folder.glob("*.parquet"))}
    withdrawal = last_withdrawal(deliveries)
    counted = [i for i in positions if judges_each_row(expectations[i]) and not _depends_on_the_day(expectations[i])]
    checked, kept = _counted_parts(suite, settings, parts, withdrawal)
    new = [folder / name for name in parts if name not in checked]
    old = [folder / name for name in checked]
    added = [i for i in counted if checked and not (key_columns(expectations[i]) and new and _keys_shared(
        key_columns(expectations[i]), old, new, deliveries))]
    whole = [i for i in positions if i not in added]
    outcomes = dict(zip(whole, _validate_suite(suite, [expectations[i] for i in whole], settings, run_id), strict=True))
    if added and new:
        with _bronze_copy(suite, [expectations[i] for i in added], settings, new) as batch:
            found = validate(f"{suite.name}.{NEW_PARTS}", [expectations[i] for i in added], batch, {},
                             settings.gx_docs, run_id)
        # An error on the new parts stays an error: summed, its missing counts would read as none unexpected.
        outcomes.update({i: o if _errored(o) else summed(expectations[i], [kept[i], o])
                         for i, o in zip(added, found, strict=True)})
    else:
        outcomes.update({i: kept[i] for i in added})
    if counted and not any(_errored(outcomes[i]) for i in counted):
        _keep_counted_parts(suite, settings, parts, withdrawal, {i: outcomes[i] for i in counted})
    return outcomes


def _errored(outcome: Outcome) -> bool:
    return (outcome.waargenomen or "").startswith("error:")


def _keys_shared(key: list[str], old: list[Path], new: list[Path], deliveries: Path) -> bool:
    """Whether a key of the new rows occurs among the rows checked before (by hash: two empty keys match too)."""
    hashed = "hash(" + ", ".join(f'"{column}"' for column in key) + ")"
    with duckdb.connect(config={"memory_limit": CHECK_MEMORY_LIMIT}) as db:
        return db.execute(f"select exists (select 1 from {_current_rows(old, deliveries)} where {hashed} in "
                          f"(select {hashed} from {_current_rows(new, deliveries)}))").fetchone()[0]


def _counted_parts(suite: Suite, settings: Settings, parts: dict[str, int],
                   withdrawal: str) -> tuple[dict[str, int], dict[int, Outcome]]:
    """The parts counted before and the outcomes over them, by position: none when a part of them is gone or
    changed, a delivery stopped counting since, or the suite changed."""
    path = settings.dq_results / COUNTED_PARTS / f"{suite.name}.json"
    counted = json.loads(path.read_text()) if path.exists() else None
    if (settings.full_refresh or counted is None or counted["suite"] != _fingerprint(suite.expectations)
            or counted["withdrawal"] != withdrawal
            or any(parts.get(name) != size for name, size in counted["parts"].items())):
        return {}, {}
    return counted["parts"], {int(i): Outcome(**o) for i, o in counted["outcomes"].items()}


def _keep_counted_parts(suite: Suite, settings: Settings, parts: dict[str, int], withdrawal: str,
                        outcomes: dict[int, Outcome]) -> None:
    path = settings.dq_results / COUNTED_PARTS / f"{suite.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"suite": _fingerprint(suite.expectations), "parts": parts, "withdrawal": withdrawal,
                                "outcomes": {i: asdict(o) for i, o in outcomes.items()}}))


def _validate_suite(suite: Suite, expectations: list[dict], settings: Settings, run_id: str) -> list[Outcome]:
    """GX validates the whole table, and the expectations on the latest day (`meta.deel`) on that day's rows."""
    if not expectations:
        return []
    with _batch(suite, expectations, settings) as batch:
        parameters = _parameters(suite, settings, batch)
        latest = [i for i, e in enumerate(expectations) if e.get("meta", {}).get("deel") == LATEST_DAY]
        whole = [i for i in range(len(expectations)) if i not in latest]
        outcomes = dict(zip(whole, validate(suite.name, [expectations[i] for i in whole], batch, parameters,
                                            settings.gx_docs, run_id), strict=True))
        if latest:
            outcomes.update(zip(latest, validate(f"{suite.name}.{LATEST_DAY}", [expectations[i] for i in latest],
                                                 _latest_day(suite, settings, batch), parameters, settings.gx_docs,
                                                 run_id), strict=True))
    return [outcomes[i] for i in range(len(expectations))]


def _latest_day(suite: Suite, settings: Settings, batch: Batch) -> Batch:
    day = settings.peildatum - dt.timedelta(days=1)
    return dataclasses.replace(batch, query=f"select * from ({batch.query}) "
                               f"where cast({suite.meta['volume']['kolom']} as date) = date '{day.isoformat()}'")


@contextmanager
def _batch(suite: Suite, expectations: list[dict], settings: Settings) -> Iterator[Batch]:
    """The table's rows for GX."""
    if suite.zone == "bronze":
        with _bronze_copy(suite, expectations, settings) as batch:
            yield batch
    else:
        yield _built_table(suite, settings, _check_config(suite, settings))


def _check_config(suite: Suite, settings: Settings) -> dict:
    """DuckDB settings whose sorts spill to disk beyond CHECK_MEMORY_LIMIT into a folder of the suite's own (two
    checks may run at once)."""
    spill = settings.dq_results / "_tmp" / suite.name
    spill.mkdir(parents=True, exist_ok=True)  # DuckDB makes only the last folder of it
    return {"memory_limit": CHECK_MEMORY_LIMIT, "temp_directory": str(spill)}


def _built_table(suite: Suite, settings: Settings, config: dict) -> Batch:
    """A silver or gold table in the build database; silver findings name a few of their landing records."""
    batch = Batch(f'select * from "{suite.zone}"."{suite.table}"', settings.build_db, config)
    with _connect(batch) as db:
        columns = {name for name, *_ in db.execute(f"describe {batch.query}").fetchall()}
    named = suite.zone == "silver" and set(EXAMPLE_COLUMNS) <= columns
    return dataclasses.replace(batch, examples=EXAMPLE_COLUMNS) if named else batch


@contextmanager
def _bronze_copy(suite: Suite, expectations: list[dict], settings: Settings,
                 parts: list[Path] | None = None) -> Iterator[Batch]:
    """The rows of the deliveries that count now, of all parts or of `parts`, in a DuckDB file of their own with
    the columns the expectations use: bronze is many Parquet parts, which GX would read again for each of its
    queries."""
    config = _check_config(suite, settings)
    copy = Path(config["temp_directory"]) / "batch.duckdb"
    parts = parts or [settings.bronze / BRONZE_TABLES[suite.table].folder / "*.parquet"]
    copy.unlink(missing_ok=True)
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


def _depends_on_the_day(expectation: dict) -> bool:
    """Compares with the peildatum: a bound derived from it, or only the latest day's rows."""
    return "$PARAMETER" in json.dumps(expectation["kwargs"]) or expectation.get("meta", {}).get("deel") == LATEST_DAY


def _table_state(suite: Suite, settings: Settings) -> str | None:
    """What the table's content follows from: its parts in bronze, in silver and gold the inputs of the build
    that made it. None when unknown (a build whose tests failed)."""
    if suite.zone == "bronze":
        return bronze_parts(settings.bronze / BRONZE_TABLES[suite.table].folder) + bronze_parts(_deliveries(suite, settings))
    return table_inputs(settings, suite.name)


def _kept_outcomes(suite: Suite, settings: Settings, state: str | None) -> dict[int, Outcome]:
    """The outcomes kept at the last check, by position, when it checked the table in this same state with
    this same suite: those of expectations that do not depend on the day, each with the run that computed it."""
    path = settings.dq_results / KEPT_OUTCOMES / f"{suite.name}.json"
    if state is None or settings.full_refresh or not path.exists():
        return {}
    kept = json.loads(path.read_text())
    if kept["table"] != state or kept["suite"] != _fingerprint(suite.expectations):
        return {}
    return {int(i): Outcome(**o) for i, o in kept["outcomes"].items()}


def _keep_outcomes(suite: Suite, settings: Settings, state: str, outcomes: list[Outcome], run_id: str) -> None:
    path = settings.dq_results / KEPT_OUTCOMES / f"{suite.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {i: asdict(o) | {"berekend_in_run": o.berekend_in_run or run_id}
            for i, (e, o) in enumerate(zip(suite.expectations, outcomes, strict=True)) if not _depends_on_the_day(e)}
    path.write_text(json.dumps({"table": state, "suite": _fingerprint(suite.expectations), "outcomes": kept}))


def _fingerprint(expectations: list[dict]) -> str:
    return hashlib.sha256(json.dumps(expectations, sort_keys=True).encode()).hexdigest()


def _deliveries(suite: Suite, settings: Settings) -> Path:
    """The folder of the `<system>_aanlevering` table of a bronze suite's source system, the deliveries that
    count now: only their rows reach silver (the dbt macro `current_deliveries`), and only they are checked."""
    return settings.bronze / BRONZE_TABLES[f"{BRONZE_SYSTEMS[suite.table]}_aanlevering"].folder


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _parameters(suite: Suite, settings: Settings, batch: Batch) -> dict:
    parameters = {}
    if "actualiteit" in suite.meta:
        days = suite.meta["actualiteit"]["max_dagen"]
        parameters["vers_sinds"] = pd.Timestamp(settings.peildatum - dt.timedelta(days=days))
    if "volume" in suite.meta:
        parameters.update(_volume_bounds(suite.meta["volume"], settings, batch))
    if "instorting" in suite.meta:
        parameters[COLLAPSE_PARAMETER] = _collapse_bound(suite, settings)
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


RESULT_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("gecontroleerd_op", pa.timestamp("us")), ("peildatum", pa.date32()),
    ("laag", pa.string()), ("tabel", pa.string()), ("expectation", pa.string()), ("kolom", pa.string()),
    ("dimensie", pa.string()), ("ernst", pa.string()), ("omschrijving", pa.string()), ("geslaagd", pa.bool_()),
    ("aantal_rijen", pa.int64()), ("aantal_onverwacht", pa.int64()), ("percentage_onverwacht", pa.float64()),
    ("waargenomen", pa.string()), ("berekend_in_run", pa.string()),
])


def store_results(table: str, outcomes: list[Outcome], settings: Settings, run_id: str,
                  file_name: str | None = None) -> Path:
    """Keep every result of a table's checks (`<zone>.<table>`), run after run, so data quality itself can be
    monitored over time. `file_name` in the run's folder: the table's own by default."""
    stamp = {"run_id": run_id, "gecontroleerd_op": dt.datetime.now(dt.UTC).replace(tzinfo=None),
             "peildatum": settings.peildatum, "laag": table.split(".", 1)[0], "tabel": table}
    rows = [{**stamp, **asdict(o), "berekend_in_run": o.berekend_in_run or run_id} for o in outcomes]
    path = settings.dq_results / run_id / (file_name or f"{table}.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=RESULT_SCHEMA), path)
    return path
