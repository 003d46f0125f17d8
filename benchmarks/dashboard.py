"""How long each dashboard page takes to render on a built data root, headless with Streamlit's AppTest.

`python -m benchmarks.dashboard` runs in the environment of a bench scale (LAKEHOUSE_DATA_ROOT and its peildatum)
and prints one JSON line: per page the seconds of a render with the default selection (no municipality chosen,
which shows all) and with every municipality chosen in the sidebar, each on an empty cache, as the first view
after a new publication is; and how much of that went into queries on gold. Imports and Streamlit's start-up
are paid once, by a warm-up render that is not counted.
"""

from __future__ import annotations

import json
import sys
import time

from streamlit.testing.v1 import AppTest

from dashboard import data, ui
from pipelines.settings import PROJECT_ROOT, load_settings

APP = PROJECT_ROOT / "dashboard" / "app.py"
PAGES = sorted(p.stem for p in (PROJECT_ROOT / "dashboard" / "pages").glob("*.py"))
TIMEOUT = 600  # seconds AppTest waits for one render; a page slower than that is reported as failed


class QueryClock:
    """Wraps the dashboard's one cached query function to add up the seconds spent in gold queries."""

    def __init__(self, query):
        self.query, self.seconds, self.count, self.slowest = query, 0.0, 0, (0.0, "")

    def __call__(self, *args):
        started = time.perf_counter()
        try:
            return self.query(*args)
        finally:
            seconds = time.perf_counter() - started
            self.seconds += seconds
            self.count += 1
            self.slowest = max(self.slowest, (seconds, " ".join(args[2].split())[:120]))

    def reset(self) -> None:
        self.query.cache_clear()
        self.seconds, self.count, self.slowest = 0.0, 0, (0.0, "")


def render(page: str, gemeenten: list[str] | None, clock: QueryClock) -> dict:
    """One render of `page` on empty caches: its seconds, the seconds and count of its gold queries, the slowest."""
    clock.reset()
    data._connection.cache_clear()
    data._json.cache_clear()
    data._quarantine_counts.cache_clear()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.switch_page(f"pages/{page}.py")
    if gemeenten is not None:
        at.session_state[ui.GEMEENTEN_KEY] = gemeenten
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    errors = [e.message for e in at.exception]
    return {"seconds": seconds, "query_seconds": clock.seconds, "queries": clock.count,
            "slowest_query": {"seconds": clock.slowest[0], "sql": clock.slowest[1]}, "errors": errors}


def main() -> int:
    settings = load_settings()
    clock = QueryClock(data._query)
    data._query = clock  # query() looks the function up at each call
    render(PAGES[0], None, clock)  # warm-up: imports and Streamlit's start-up, not counted
    everyone = data.gemeenten(settings)
    pages = {page: {"standaard": render(page, None, clock), "alle_gemeenten": render(page, everyone, clock)}
             for page in PAGES}
    print(json.dumps({"gemeenten": len(everyone), "pages": pages}))
    return 0 if not any(r["errors"] for p in pages.values() for r in p.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
