"""The project's own generic dbt tests (dbt_project/macros/tests.sql) find exactly what they should."""

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
