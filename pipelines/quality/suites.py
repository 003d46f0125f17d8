"""Suites in `expectations/` (one per table, named `<zone>.<table>`), the data they run on, and their results.

A suite's `meta` may ask for three derived parameters:
- `actualiteit: {kolom, max_dagen}` gives `vers_sinds`, the oldest acceptable newest value of `kolom`;
- `volume: {kolom, basisweken}` gives `volume_min`/`volume_max` for the latest full day's count, from the
  same weekday in the preceding weeks; expectations with `meta.deel = "laatste_dag"` run on that day only;
- `instorting: {min_aandeel}` gives `rijen_min`, the share `min_aandeel` of the rows the table had at its last
  check that did not find it collapsed (`LAKEHOUSE_FULL_REFRESH=1` accepts the table as it is now).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
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
from pipelines.quality.gx import Counts, Outcome, count_slices, summed_outcomes, validate
from pipelines.settings import EXPECTATIONS_DIR, Settings

LATEST_DAY = "laatste_dag"
SLICE_ROWS = 500_000  # larger tables are validated in slices of about this many rows
TABLE_LEVEL = {"expect_table_row_count_to_be_between"}
# SQL computing a column's aggregate as GX does on pandas: the mean of a boolean column is its share of true values.
AGGREGATES = {"expect_column_max_to_be_between": "max({})",
              "expect_column_mean_to_be_between": "avg(cast({} as double))"}
UNIQUENESS = {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}
# Nationally the key sort of 34 million reisdocumenten took the same 36 s with this limit, at 1.2 GB instead of 2.3 GB.
CHECK_MEMORY_LIMIT = "512MB"
CANDIDATES = "uniciteit_kandidaten"  # temporary table of the rows a uniqueness expectation could find repeated
SLICE_COLUMN = "_deel"  # the slice a row's key hashes to
CHECKED_PARTS = "_gecontroleerde_delen"  # per bronze suite: the parts counted so far, and their counts
KEPT_OUTCOMES = "_uitkomsten"  # per suite: the table's state at its last check, and the outcomes kept from it
VOLUMES = "_volumes"  # per suite: the row count at its last check that found no collapse
COLLAPSE_PARAMETER = "rijen_min"


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
    computed = dict(zip(todo, _validate_suite(suite, [suite.expectations[i] for i in todo], settings), strict=True))
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


def _validate_suite(suite: Suite, expectations: list[dict], settings: Settings) -> list[Outcome]:
    if not expectations:
        return []
    with _connect(suite, settings) as db:
        relation = _relation(suite, settings)
        parameters = _parameters(suite, settings, db, relation)
        latest = [i for i, e in enumerate(expectations) if e.get("meta", {}).get("deel") == LATEST_DAY]
        per_part = [i for i, e in enumerate(expectations) if suite.zone == "bronze" and _adds_up_over_parts(e)
                    and i not in latest]
        whole = [i for i in range(len(expectations)) if i not in latest and i not in per_part]
        outcomes = _ordered(expectations, [
            (per_part, lambda es: _validate_new_parts(suite, es, db, settings, parameters)),
            (whole, lambda es: _validate_table(suite.name, es, db, relation, parameters)),
            (latest, lambda es: _validate_latest_day(suite, es, db, relation, settings, parameters)),
        ])
        if suite.zone == "silver":
            outcomes = [_with_examples(e, o, db, relation) for e, o in zip(expectations, outcomes, strict=True)]
        return outcomes


EXAMPLES = 5  # source records named per finding


def _with_examples(expectation: dict, outcome: Outcome, db, relation: str) -> Outcome:
    """A per-row finding with the landing file and record of a few of the rows it counts (`waargenomen`), so a
    data steward can find them without opening the build database."""
    types = _column_types(db, relation)
    fails = _fails(expectation, types)
    if not outcome.aantal_onverwacht or outcome.waargenomen or fails is None \
            or not {"bron_bestand", "bron_record"} <= types.keys():
        return outcome
    rows = db.execute(f"select bron_bestand, bron_record from {relation} where {fails} "
                      f"order by bron_bestand, bron_record limit {EXAMPLES}").fetchall()
    return dataclasses.replace(outcome, waargenomen="e.g. " + ", ".join(f"{file}#{record}" for file, record in rows))


def _fails(expectation: dict, types: dict[str, str]) -> str | None:
    """SQL for the rows a per-row expectation counts as unexpected (not missing), or None where it is not plain."""
    screen = _screen(expectation, types)
    kwargs, kind = expectation["kwargs"], expectation["type"]
    if screen is None:
        return None
    if kind == "expect_column_values_to_not_be_null":
        return f"({screen.applies}) and {screen.could_fail}"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        operator = ">=" if kwargs.get("or_equal") else ">"
        return f'({screen.applies}) and "{a}" is not null and "{b}" is not null and not ("{a}" {operator} "{b}")'
    column = kwargs["column"]
    if kind == "expect_column_values_to_be_between":
        bounds = [f'"{column}" {op} {_literal(kwargs[name], types.get(column))}'
                  for op, name in (("<", "min_value"), (">", "max_value")) if kwargs.get(name) is not None]
        return f'({screen.applies}) and "{column}" is not null and ({" or ".join(bounds)})'
    return f'({screen.applies}) and not {_missing(column, types)} and ({screen.could_fail})'


def _ordered(expectations: list[dict], groups: list[tuple[list[int], Callable]]) -> list[Outcome]:
    """Validate groups of the expectations (by position) each its own way; the outcomes in the expectations' order."""
    outcomes = {}
    for positions, validate_group in groups:
        if positions:
            outcomes.update(zip(positions, validate_group([expectations[i] for i in positions]), strict=True))
    return [outcomes[i] for i in range(len(expectations))]


def _validate_latest_day(suite: Suite, expectations: list[dict], db, relation: str, settings: Settings,
                         parameters: dict) -> list[Outcome]:
    column = suite.meta["volume"]["kolom"]
    day = settings.peildatum - dt.timedelta(days=1)
    frame = _frame(db, f"select {_projection(expectations)} from {relation} where cast({column} as date) = ?", [day])
    return validate(f"{suite.name}:{LATEST_DAY}", expectations, frame, parameters)


def _validate_table(name: str, expectations: list[dict], db, relation: str, parameters: dict) -> list[Outcome]:
    """Validate a whole table; one larger than SLICE_ROWS never enters pandas whole.

    A large table's aggregates (max, mean) are computed in DuckDB and validated as one row, its row count
    on an index without columns, its per-row expectations on the rows that could fail them (`_row_counts`), and
    each uniqueness expectation on the rows that could repeat (`_unique_counts`).
    """
    (rows,), = db.sql(f"select count(*) from {relation}").fetchall()
    if rows <= SLICE_ROWS:
        return validate(name, expectations, _frame(db, f"select {_projection(expectations)} from {relation}"), parameters)

    def aggregate(e: dict) -> list[Outcome]:
        if "row_condition" in e["kwargs"]:
            raise ValueError(f"{name}: {e['type']} with a row_condition cannot be computed in DuckDB")
        column = e["kwargs"]["column"]
        computed = AGGREGATES[e["type"]].format(f'"{column}"')
        value = _frame(db, f'select {computed} as "{column}" from {relation}')
        return validate(name, [e], value, parameters, rows=rows)

    def unique(e: dict) -> list[Outcome]:
        return summed_outcomes([e], _unique_counts(name, e, db, relation, rows, parameters))

    kinds = [_kind(e) for e in expectations]
    return _ordered(expectations, [
        ([i for i, k in enumerate(kinds) if k == "table"],
         lambda es: validate(name, es, pd.DataFrame(index=pd.RangeIndex(rows)), parameters)),
        ([i for i, k in enumerate(kinds) if k == "row"],
         lambda es: summed_outcomes(es, _row_counts(name, es, db, relation, parameters))),
        *(([i], lambda es: aggregate(es[0])) for i, k in enumerate(kinds) if k == "aggregate"),
        *(([i], lambda es: unique(es[0])) for i, k in enumerate(kinds) if k == "unique"),
    ])


def _kind(expectation: dict) -> str:
    kind = expectation["type"]
    return ("table" if kind in TABLE_LEVEL else "aggregate" if kind in AGGREGATES
            else "unique" if kind in UNIQUENESS else "row")


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
    if kept["tabel"] != state or kept["suite"] != _fingerprint(suite.expectations):
        return {}
    return {int(i): Outcome(**o) for i, o in kept["uitkomsten"].items()}


def _keep_outcomes(suite: Suite, settings: Settings, state: str, outcomes: list[Outcome], run_id: str) -> None:
    path = settings.dq_results / KEPT_OUTCOMES / f"{suite.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {i: asdict(o) | {"berekend_in_run": o.berekend_in_run or run_id}
            for i, (e, o) in enumerate(zip(suite.expectations, outcomes, strict=True)) if not _depends_on_the_day(e)}
    path.write_text(json.dumps({"tabel": state, "suite": _fingerprint(suite.expectations), "uitkomsten": kept}))


def _adds_up_over_parts(expectation: dict) -> bool:
    """A per-row or uniqueness verdict that does not depend on the day: counted once per part, it holds for good
    (a uniqueness count as long as no key of a later part repeats one of an earlier part, `_with_new_parts`)."""
    return _kind(expectation) in ("row", "unique") and not _depends_on_the_day(expectation)


def _validate_new_parts(suite: Suite, expectations: list[dict], db, settings: Settings, parameters: dict) -> list[Outcome]:
    """The whole bronze table's outcomes, scanning only the Parquet parts written since the last check.

    Bronze is append-only and a part never changes once written, so the counts over parts checked before
    are kept (in `CHECKED_PARTS`) and added to those of the new parts. Only the rows of the deliveries that count
    now are checked, as only they reach silver: a delivery removed from or replaced in landing since
    (`deliveries.last_withdrawal`), a kept part that is gone or changed, a changed suite, or
    LAKEHOUSE_FULL_REFRESH start the count again from the whole table.
    """
    if not expectations:
        return []
    folder = settings.bronze / BRONZE_TABLES[suite.table].folder
    deliveries = _deliveries(suite, settings)
    parts = {p.name: p.stat().st_size for p in sorted(folder.glob("*.parquet"))}
    withdrawal = last_withdrawal(deliveries)
    checked, counts = _kept_counts(suite, expectations, parts, withdrawal, settings)
    new = [folder / name for name in parts if name not in checked]
    if new:
        counts = _with_new_parts(suite.name, expectations, db, counts, [folder / name for name in checked], new,
                                 parameters, deliveries)
    if not counts.errors:
        _keep_counts(suite, expectations, parts, withdrawal, counts, settings)
    return summed_outcomes(expectations, counts)


def _with_new_parts(name: str, expectations: list[dict], db, kept: Counts, checked: list[Path], new: list[Path],
                    parameters: dict, deliveries: Path) -> Counts:
    """The counts over all parts: those `kept` for the parts `checked` before, plus those of the `new` parts.

    Per-row counts always add up. A uniqueness count adds up when no key of a new part occurs in a part checked
    before, and no empty key is in both: only then can no row have become a repeat. Otherwise it is counted again
    over all parts. National Fixi's nightly uniqueness check grouped all 20 million keys (1.1 s)."""
    relation = _parts_relation(new, deliveries)
    rows = [i for i, e in enumerate(expectations) if _kind(e) == "row"]
    groups = []
    if rows:
        groups.append((rows, _picked(kept, rows) + _row_counts(name, [expectations[i] for i in rows], db, relation,
                                                                parameters)))
    (new_rows,), = db.sql(f"select count(*) from {relation}").fetchall()
    for i, e in enumerate(expectations):
        if _kind(e) != "unique":
            continue
        if checked and _keys_shared(e, db, relation, _parts_relation(checked, deliveries)):
            counts = _unique_counts(name, e, db, _parts_relation(checked + new, deliveries), kept.rows + new_rows,
                                    parameters)
        else:
            counts = _picked(kept, [i]) + _unique_counts(name, e, db, relation, new_rows, parameters)
        groups.append(([i], counts))
    return _by_position(groups)


def _keys_shared(expectation: dict, db, new: str, checked: str) -> bool:
    """Whether a key of the `new` rows (by its hash) occurs among the `checked` rows, or both have an empty key."""
    key, types = _key(expectation), _column_types(db, new)
    empty = " or ".join(_missing(column, types) for column in _key_names(expectation))
    (shared,), = db.sql(f"select count(*) from {checked} where hash({key}) in (select hash({key}) from {new}) "
                        f"or (({empty}) and exists (select 1 from {new} where {empty}))").fetchall()
    return shared > 0


def _picked(counts: Counts, positions: list[int]) -> Counts:
    """The counts of the expectations at `positions`."""
    return Counts([counts.totals[i] for i in positions], counts.rows)


def _parts_relation(paths: list[Path], deliveries: Path) -> str:
    return _current(f"read_parquet([{', '.join(_quoted(p) for p in paths)}], union_by_name = true)", deliveries)


def _current(relation: str, deliveries: Path) -> str:
    """The rows of a bronze relation that belong to the deliveries counting now, as silver reads them (the dbt
    macro `current_deliveries`)."""
    return (f"(select * from {relation} where bron_bestand_hash in "
            f"(select bron_bestand_hash from read_parquet({_quoted(deliveries / '*.parquet')})))")


def _deliveries(suite: Suite, settings: Settings) -> Path:
    """The folder of the `<system>_aanlevering` table of a bronze suite's source system."""
    return settings.bronze / BRONZE_TABLES[f"{BRONZE_SYSTEMS[suite.table]}_aanlevering"].folder


def _kept_counts(suite: Suite, expectations: list[dict], parts: dict[str, int], withdrawal: str,
                 settings: Settings) -> tuple[dict, Counts]:
    path = _kept_path(suite, settings)
    kept = json.loads(path.read_text()) if path.exists() else None
    if (settings.full_refresh or kept is None or kept["suite"] != _fingerprint(expectations)
            or kept.get("intrekking") != withdrawal
            or any(parts.get(name) != size for name, size in kept["parts"].items())):
        return {}, Counts.empty(expectations)
    return kept["parts"], Counts(kept["totals"], kept["rows"])


def _keep_counts(suite: Suite, expectations: list[dict], parts: dict[str, int], withdrawal: str, counts: Counts,
                 settings: Settings) -> None:
    path = _kept_path(suite, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {"suite": _fingerprint(expectations), "parts": parts, "intrekking": withdrawal, "totals": counts.totals,
            "rows": counts.rows}
    path.write_text(json.dumps(kept))


def _kept_path(suite: Suite, settings: Settings) -> Path:
    return settings.dq_results / CHECKED_PARTS / f"{suite.name}.json"


def _fingerprint(expectations: list[dict]) -> str:
    return hashlib.sha256(json.dumps(expectations, sort_keys=True).encode()).hexdigest()


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _scan_in_slices(db, relation: str, expectations: list[dict]) -> Iterator[pd.DataFrame]:
    """The expectations' columns of every row, SLICE_ROWS at a time from one scan."""
    return _frames(db, f"select {_projection(expectations)} from {relation}")


def _frame(db, query: str, parameters: list | None = None) -> pd.DataFrame:
    return _as_pandas(db.sql(query, params=parameters).to_arrow_table())


def _frames(db, query: str) -> Iterator[pd.DataFrame]:
    """The query's rows in dataframes of SLICE_ROWS (the last one the rest). DuckDB's batches may be far smaller,
    one per Parquet part of bronze, and each dataframe costs a GX validation: national bronze iWmo took 30 s
    instead of 2 s batch by batch."""
    pending = None
    for batch in db.sql(query).to_arrow_reader(SLICE_ROWS):
        pending = pa.Table.from_batches([batch]) if pending is None else pa.concat_tables([pending, pa.Table.from_batches([batch])])
        while pending.num_rows >= SLICE_ROWS:
            yield _as_pandas(pending.slice(0, SLICE_ROWS))
            pending = pending.slice(SLICE_ROWS)
    if pending is not None and pending.num_rows:
        yield _as_pandas(pending)


def _as_pandas(data: pa.Table) -> pd.DataFrame:
    """Rows for GX, fetched through Arrow: DuckDB's own conversion to pandas makes a Python string of every text
    value first (the national fixi_melding's 17 million rows: 5.7 s, through Arrow 1.0 s).

    Dates become timestamps and booleans pandas' nullable boolean, as DuckDB's conversion makes them; integer
    columns with empty values become float64, which GX compares vectorised (pandas' nullable integers it
    compared value by value). Each column is one chunk: GX filters every frame several times, and taking rows
    from text in many small chunks was a fifth of a national suite's time.
    """
    for position, column in enumerate(data.schema):
        if pa.types.is_date(column.type):
            data = data.set_column(position, column.name, data.column(position).cast(pa.timestamp("us")))
    return data.combine_chunks().to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)


@dataclass(frozen=True)
class Screen:
    """SQL for a per-row expectation: which rows could fail it (every row GX could find missing or unexpected is
    among them), and which rows it applies to (its row condition)."""

    could_fail: str
    applies: str = "true"


def _row_counts(name: str, expectations: list[dict], db, relation: str, parameters: dict) -> Counts:
    """Per-row expectations' counts over a relation, GX judging only the rows that could fail one of them.

    Every other row is present and expected for each expectation, so it only adds to the rows it applies to.
    Sending all 17 million national Fixi meldingen through GX for eight expectations took 10 s. An expectation
    whose failing rows SQL cannot pick exactly as GX judges them (a pattern RE2 may read otherwise, a row condition
    other than `column == value`, a value of another type than its column) is judged by GX on every row.
    """
    types = _column_types(db, relation)
    screens = [_screen(e, types) for e in expectations]
    screened = [i for i, screen in enumerate(screens) if screen is not None]
    scanned = [i for i, screen in enumerate(screens) if screen is None]
    groups = []
    if screened:
        groups.append((screened, _screened_counts(name, [expectations[i] for i in screened],
                                                  [screens[i] for i in screened], db, relation, parameters)))
    if scanned:
        some = [expectations[i] for i in scanned]
        groups.append((scanned, count_slices(name, some, _scan_in_slices(db, relation, some), parameters)))
    return _by_position(groups)


def _screened_counts(name: str, expectations: list[dict], screens: list[Screen], db, relation: str,
                     parameters: dict) -> Counts:
    could_fail = " or ".join(f"coalesce(({screen.applies}) and ({screen.could_fail}), true)" for screen in screens)
    (rows, *passing), = db.sql("select count(*), " + ", ".join(
        f"count(*) filter (where not ({could_fail}) and ({screen.applies}))" for screen in screens)
        + f" from {relation}").fetchall()
    candidates = _frames(db, f"select {_projection(expectations)} from {relation} where {could_fail}")
    judged = count_slices(name, expectations, candidates, parameters)
    return judged + Counts([[n, 0, 0] for n in passing], rows - judged.rows)


def _column_types(db, relation: str) -> dict[str, str]:
    empty = db.sql(f"select * from {relation} limit 0")
    return {column: str(column_type) for column, column_type in zip(empty.columns, empty.types, strict=True)}


def _by_position(groups: list[tuple[list[int], Counts]]) -> Counts:
    """One Counts of groups of expectations counted apart over the same rows, in the expectations' order."""
    totals, errors = {}, {}
    for positions, counts in groups:
        totals.update(zip(positions, counts.totals, strict=True))
        errors.update({positions[i]: error for i, error in counts.errors.items()})
    return Counts([totals[i] for i in range(len(totals))], groups[0][1].rows, errors)


def _screen(expectation: dict, types: dict[str, str]) -> Screen | None:
    """The expectation's `Screen`, or None when SQL cannot pick its failing rows exactly as GX judges them."""
    kwargs, kind = expectation["kwargs"], expectation["type"]
    applies = _sql_condition(kwargs["row_condition"], types) if "row_condition" in kwargs else "true"
    if applies is None or not {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs} <= types.keys():
        return None  # GX reports a column that is not there
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        comparable = VALUE_KINDS.get(types.get(a)) == VALUE_KINDS.get(types.get(b)) in ("number", "time")
        could_fail = f'{_missing(a, types)} or {_missing(b, types)} or not ("{a}" > "{b}")'
        return Screen(could_fail, applies) if comparable else None
    column = kwargs.get("column")
    quoted, column_type = f'"{column}"', types.get(column)
    if kind == "expect_column_values_to_not_be_null":
        return Screen(_missing(column, types), applies)
    if kind == "expect_column_values_to_be_in_set":
        values = [_literal(value, column_type) for value in kwargs["value_set"]]
        if not values or None in values:
            return None
        return Screen(f"{_missing(column, types)} or {quoted} not in ({', '.join(values)})", applies)
    if kind == "expect_column_values_to_be_between":
        bounds = {operator: _literal(kwargs[name], column_type)
                  for operator, name in ((">", "min_value"), ("<", "max_value")) if kwargs.get(name) is not None}
        if not bounds or None in bounds.values():
            return None
        inside = " and ".join(f"{quoted} {operator} {value}" for operator, value in bounds.items())
        return Screen(f"{_missing(column, types)} or not ({inside})", applies)  # a value on a bound is for GX to judge
    if kind == "expect_column_values_to_match_regex" and column_type == "VARCHAR" and _plain(kwargs["regex"]):
        # A whole value matching a plain pattern in DuckDB is found by GX's search for it too.
        pattern = _literal(kwargs["regex"], "VARCHAR")
        return Screen(f"{_missing(column, types)} or not regexp_full_match({quoted}, {pattern})", applies)
    return None


PLAIN_REGEX = re.compile(r"(?:[\w\[\]{},^$+*?-]|\\[.d])*")


def _plain(regex: str) -> bool:
    """A pattern of characters, classes, ranges, counts and anchors only, which RE2 (DuckDB, and pandas on Arrow
    text) and Python's `re` read alike; `{,n}` is a count in Python but text in RE2."""
    return bool(PLAIN_REGEX.fullmatch(regex)) and "{," not in regex


def _missing(column: str, types: dict[str, str]) -> str:
    """SQL for a value pandas counts as missing: empty, or NaN in a floating-point column."""
    return f'("{column}" is null or isnan("{column}"))' if types.get(column) in ("FLOAT", "DOUBLE") \
        else f'"{column}" is null'


CONDITION = re.compile(r"""\s*(\w+)\s*==\s*("[^"]*"|'[^']*'|True|False|-?\d+(?:\.\d+)?)\s*""")


def _sql_condition(condition: str, types: dict[str, str]) -> str | None:
    """A pandas row condition `column == value` in SQL, or None for any other condition."""
    match = CONDITION.fullmatch(condition)
    if not match:
        return None
    column, value = match.groups()
    literal = _literal(ast.literal_eval(value), types.get(column))
    return None if literal is None else f'"{column}" = {literal}'


def _literal(value, column_type: str | None) -> str | None:
    """`value` as a SQL literal to compare with a column of `column_type`, or None when they are not of one
    kind: DuckDB would cast the text 'true' to a boolean, or compare a DECIMAL exactly, where pandas does not."""
    kind = VALUE_KINDS.get(column_type)
    if isinstance(value, bool):
        return ("true" if value else "false") if kind == "boolean" else None
    if isinstance(value, int | float):
        return repr(value) if kind == "number" and math.isfinite(value) else None
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'" if kind == "text" else None
    return None


# How pandas compares the values of a DuckDB column type: as booleans, text, numbers or moments.
VALUE_KINDS = {"BOOLEAN": "boolean", "VARCHAR": "text",
               **dict.fromkeys(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE"), "number"),
               **dict.fromkeys(("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"), "time")}


def _unique_counts(name: str, expectation: dict, db, relation: str, rows: int, parameters: dict) -> Counts:
    """A uniqueness expectation's counts over the whole table, GX judging only the rows it could find repeated
    or missing: those whose key hashes to a value that occurs more than once (every copy of a repeated key among
    them) and those with an empty (or NaN) key value, as `_missing` says. Every other row is present and unique,
    so it only adds to the rows counted. Sending all 34 million national BRP rows through GX took 12 s."""
    key, types = _key(expectation), _column_types(db, relation)
    empty = " or ".join(_missing(column, types) for column in _key_names(expectation))
    db.execute(f"create or replace temp table {CANDIDATES} as select {_projection([expectation])} from {relation} "
               f"where hash({key}) in (select hash({key}) from {relation} group by 1 having count(*) > 1) or {empty}")
    (candidates,), = db.sql(f"select count(*) from {CANDIDATES}").fetchall()
    slices = _slices_by_key(db, CANDIDATES, expectation, max(1, math.ceil(candidates / SLICE_ROWS)))
    judged = count_slices(name, [expectation], slices, parameters)
    return judged + Counts([[rows - candidates, 0, 0]], rows - candidates)


def _key_names(expectation: dict) -> list[str]:
    """The columns of a uniqueness expectation's key."""
    kwargs = expectation["kwargs"]
    return kwargs.get("column_list") or [kwargs["column"]]


def _key(expectation: dict) -> str:
    """A uniqueness expectation's key as a SQL column list."""
    return ", ".join(f'"{column}"' for column in _key_names(expectation))


def _slices_by_key(db, relation: str, expectation: dict, count: int) -> Iterator[pd.DataFrame]:
    """`count` slices by the hash of the expectation's key, so all rows with the same key land in one slice.

    One scan, sorted by slice, cut where the slice changes: a filtered scan per slice made the cost grow with
    the square of the table (69 scans of 34 million BRP rows).
    """
    key = _key(expectation)
    rest = None  # the start of a slice that may go on in the next chunk
    for frame in _frames(db, f"select {_projection([expectation])}, hash({key}) % {count} as {SLICE_COLUMN} "
                             f"from {relation} order by {SLICE_COLUMN}"):
        rows = frame if rest is None else pd.concat([rest, frame], ignore_index=True)
        complete = rows[SLICE_COLUMN] < rows[SLICE_COLUMN].iat[-1]
        for _, part in rows[complete].groupby(SLICE_COLUMN, sort=False):
            yield part.drop(columns=SLICE_COLUMN)
        rest = rows[~complete]
    if rest is not None:
        yield rest.drop(columns=SLICE_COLUMN)


def _projection(expectations: list[dict]) -> str:
    """Only the columns the expectations look at go into pandas: a fraction of a wide table's memory."""
    columns = set()
    for expectation in expectations:
        kwargs = expectation["kwargs"]
        columns.update(kwargs.get("column_list", []))
        columns.update(kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs)
        columns.update(_names_in(kwargs.get("row_condition", "")))
    return ", ".join(f'"{c}"' for c in sorted(columns)) or "1 as rij"  # a row count needs rows, no columns


def _names_in(condition: str) -> set[str]:
    """Column names in a pandas row condition such as `status=="afgehandeld"`."""
    unquoted = re.sub(r"\"[^\"]*\"|'[^']*'", "", condition)
    return set(re.findall(r"[A-Za-z_]\w*", unquoted)) - {"True", "False", "None", "and", "or", "not", "in"}


def _connect(suite: Suite, settings: Settings) -> duckdb.DuckDBPyConnection:
    """A connection whose sorts spill to disk beyond CHECK_MEMORY_LIMIT, into a folder of the suite's own (two
    checks may run at once)."""
    spill = settings.dq_results / "_tmp" / suite.name
    spill.mkdir(parents=True, exist_ok=True)  # DuckDB makes only the last folder of it
    config = {"memory_limit": CHECK_MEMORY_LIMIT, "temp_directory": str(spill)}
    if suite.zone == "bronze":
        return duckdb.connect(config=config)
    return duckdb.connect(str(settings.build_db), read_only=True, config=config)


def _relation(suite: Suite, settings: Settings) -> str:
    if suite.zone == "bronze":
        folder = settings.bronze / BRONZE_TABLES[suite.table].folder
        return _current(f"read_parquet('{folder}/*.parquet', union_by_name = true)", _deliveries(suite, settings))
    return f'"{suite.zone}"."{suite.table}"'


def _parameters(suite: Suite, settings: Settings, db, relation: str) -> dict:
    parameters = {}
    if "actualiteit" in suite.meta:
        days = suite.meta["actualiteit"]["max_dagen"]
        parameters["vers_sinds"] = pd.Timestamp(settings.peildatum - dt.timedelta(days=days))
    if "volume" in suite.meta:
        parameters.update(_volume_bounds(suite.meta["volume"], settings, db, relation))
    if "instorting" in suite.meta:
        parameters[COLLAPSE_PARAMETER] = _collapse_bound(suite, settings)
    return parameters


def _volume_bounds(spec: dict, settings: Settings, db, relation: str) -> dict:
    """The usual count for the latest full day: the median of the same weekday in the weeks before."""
    day = settings.peildatum - dt.timedelta(days=1)
    earlier = [day - dt.timedelta(weeks=w) for w in range(1, spec["basisweken"] + 1)]
    counts = dict(db.execute(
        f"select cast({spec['kolom']} as date) as dag, count(*) from {relation} "
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
