"""Ask published gold a question from the command line, read-only (the `duckdb` CLI is not installed):
`make sql Q="select * from publicatie"` or `.venv/bin/python -m dashboard.sql "select ..."`."""

import sys

import duckdb

from pipelines.settings import load_settings


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print('usage: make sql Q="select * from publicatie"', file=sys.stderr)
        return 2
    gold_db = load_settings().gold_db
    if not gold_db.exists():
        print(f"error: nothing published yet ({gold_db} does not exist): run `make run` first", file=sys.stderr)
        return 1
    with duckdb.connect(str(gold_db), read_only=True) as db:
        db.sql(argv[0]).show(max_width=200, max_rows=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
