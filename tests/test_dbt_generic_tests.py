"""The project's own generic dbt tests (dbt_project/macros/tests.sql) find exactly what they should, and its
portable macros (dbt_project/macros/portable.sql) give DuckDB and the standard SQL of other engines the same rows."""

import re

import duckdb
import jinja2

from pipelines.settings import DBT_PROJECT_DIR


def generic_test_sql(name: str, **arguments) -> str:
    """The SQL of a generic test as dbt renders it: the body of its `{% test %}` block."""
    macros = (DBT_PROJECT_DIR / "macros" / "tests.sql").read_text(encoding="utf-8")
    body = re.search(r"{%\s*test " + name + r"\(.*?\)\s*%}(.*?){%\s*endtest\s*%}", macros, re.S).group(1)
    return jinja2.Template(body).render(**arguments)


def test_unique_combination_finds_every_repeated_combination_and_nothing_else():
    with duckdb.connect() as db:
        db.execute("""create table melding as select * from (values
            ('GM0301', 'F-1'), ('GM0301', 'F-1'), ('GM0301', 'F-2'), ('GM0302', 'F-1'),
            ('GM0302', null), ('GM0302', null), (null, 'F-3'), ('GM0303', 'F-4'), ('GM0303', 'F-4'), ('GM0303', 'F-4')
        ) as t(gemeentecode, melding_id)""")
        sql = generic_test_sql("unique_combination", model="melding", columns=["gemeentecode", "melding_id"])
        found = db.execute(sql).fetchall()
        # Every combination sharing one hash: only the real repeats are reported all the same.
        db.execute("create macro one_hash(a, b) as 1")
        colliding = db.execute(sql.replace("hash(", "one_hash(")).fetchall()
    expected = [("GM0301", "F-1", 2), ("GM0302", None, 2), ("GM0303", "F-4", 3)]
    assert sorted(found, key=str) == sorted(colliding, key=str) == sorted(expected, key=str)


def portable_macros():
    """The macros of portable.sql as dbt renders them, each engine's branch callable by its own name."""
    return jinja2.Template((DBT_PROJECT_DIR / "macros" / "portable.sql").read_text(encoding="utf-8")).module


def test_first_per_group_takes_the_first_row_in_order_with_nulls_last_on_duckdb_and_in_standard_sql():
    with duckdb.connect() as db:
        db.execute("""create table per_wijk_week as select * from (values
            ('GM0301', 'Afval', 'WK01', 'Centrum', 7), ('GM0301', 'Afval', 'WK02', 'Noord', 9),
            ('GM0301', 'Afval', 'WK03', 'Zuid', 9),
            ('GM0301', 'Groen', null, 'Onbekend', 4), ('GM0301', 'Groen', 'WK03', 'Zuid', 4),
            ('GM0302', 'Groen', null, 'Onbekend', 2), ('GM0302', 'Groen', 'WK01', 'Oost', 1)
        ) as t(gemeentecode, categorie, wijkcode, wijknaam, aantal_meldingen)""")
        arguments = ("per_wijk_week", ["gemeentecode", "categorie"], ["-aantal_meldingen", "wijkcode"],
                     ["wijkcode", "wijknaam", "aantal_meldingen"])
        macros = portable_macros()
        on_duckdb = db.execute(str(macros.duckdb__first_per_group(*arguments))).fetchall()
        standard = db.execute(str(macros.default__first_per_group(*arguments))).fetchall()
    expected = [("GM0301", "Afval", "WK02", "Noord", 9), ("GM0301", "Groen", "WK03", "Zuid", 4),
                ("GM0302", "Groen", None, "Onbekend", 2)]
    assert sorted(on_duckdb, key=str) == sorted(standard, key=str) == sorted(expected, key=str)


def test_exact_stddev_samp_is_stddev_samp_from_integer_sums_and_null_below_two_rows():
    macro = jinja2.Template((DBT_PROJECT_DIR / "macros" / "exact_stddev_samp.sql").read_text(encoding="utf-8")).module
    with duckdb.connect() as db:
        db.execute("""create table weken as select * from (values
            ('a', 3, true), ('a', 5, true), ('a', 9, false), ('a', 0, true), ('a', 1000000, false),
            ('b', 4, true), ('b', 7, false), ('c', 2, false), ('c', 2, false)
        ) as t(reeks, aantal, zelfde_vakantie)""")
        found = db.execute(f"""select reeks,
                {macro.exact_stddev_samp('aantal', 'zelfde_vakantie')}, stddev_samp(aantal) filter (where zelfde_vakantie),
                {macro.exact_stddev_samp('aantal', 'true')}, stddev_samp(aantal)
            from weken group by reeks order by reeks""").fetchall()
    for reeks, exact_same, duckdb_same, exact_all, duckdb_all in found:
        assert (exact_same is None) == (duckdb_same is None), reeks
        assert exact_same is None or abs(exact_same - duckdb_same) < 1e-9 * max(duckdb_same, 1), reeks
        assert abs(exact_all - duckdb_all) < 1e-9 * max(duckdb_all, 1), reeks
    # b has one row in the holiday and c none: null, so that the model falls back to all the weeks
    assert [(r[0], r[1] is None) for r in found] == [("a", False), ("b", True), ("c", True)]
    assert found[2][3] == 0.0
