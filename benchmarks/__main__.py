"""`make bench` (`python -m benchmarks`): generation, full build and nightly run per scale, with baselines.

Scales: 1 and 10 municipalities by default; `--national` adds all 342 (`make bench NATIONAL=1`). On the largest
scale, every dashboard page is rendered headless on the gold it built (benchmarks/dashboard.py).
Writes `benchmarks/results/<date>.md` and `.json`, and the same as `latest.md` / `latest.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from benchmarks.machine import described, previous_reference, reference_seconds
from benchmarks.report import write_report
from benchmarks.scale import bench_scale
from pipelines.bronze.ingest import municipality_count
from pipelines.demo import DEFAULT_YEARS
from pipelines.demo.municipality import NATIONAL_GEMEENTEN

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gemeenten", default="1,10", help="comma-separated scales in municipalities (default 1,10)")
    parser.add_argument("--national", action="store_true", help=f"also run national scale ({NATIONAL_GEMEENTEN})")
    parser.add_argument("--years", type=int, default=DEFAULT_YEARS, help="years of history (default 3)")
    parser.add_argument("--work", type=Path, default=HERE / ".work", help="where the data of each scale is built")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    scales = [int(n) for n in args.gemeenten.split(",")] + ([NATIONAL_GEMEENTEN] if args.national else [])
    before = previous_reference(args.results / "latest.json")
    start = reference_seconds(args.work)
    results, markdown = [], ""
    for count in scales:
        print(f"bench: {municipality_count(count)}, {args.years} years of history", flush=True)
        # The dashboard's pages are timed on the largest scale's gold.
        results.append(bench_scale(count, args.years, args.work / f"gemeenten_{count}", dashboard=count == max(scales)))
        # latest.* after every scale, so that a long national run that is stopped still leaves the smaller
        # scales' report; the dated report once all scales are done.
        done = len(results) == len(scales)
        end = reference_seconds(args.work) if done else None
        markdown = write_report(results, args.results, dt.date.today(), described(start, end, before), dated=done)
    print(markdown)
    return 0 if all(r["correct"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
