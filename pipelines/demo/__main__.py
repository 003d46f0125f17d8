"""Generate demo exports on their own: `python -m pipelines.demo --gemeenten 10 --years 3`.

`--next-day` instead writes what one more night brings (each municipality's Fixi reports of the day after
`--end`), to try an incremental run on top of exports generated before with the same arguments.
"""

import argparse
import datetime as dt
from pathlib import Path

from pipelines.demo import DEFAULT_SEED, DEFAULT_YEARS, generate_gemeenten, generate_next_day
from pipelines.demo.municipality import NATIONAL_GEMEENTEN
from pipelines.settings import load_settings


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, default=settings.landing, help="folder to write into")
    parser.add_argument("--gemeenten", type=int, default=1,
                        help=f"number of municipalities (default 1; {NATIONAL_GEMEENTEN} is national scale)")
    parser.add_argument("--years", type=int, default=DEFAULT_YEARS, help="years of history (default 3)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--end", type=dt.date.fromisoformat, default=settings.peildatum - dt.timedelta(days=1),
        help="last day of data (default: the day before the peildatum)",
    )
    parser.add_argument("--next-day", action="store_true", help="only the new reports of the day after --end")
    args = parser.parse_args()
    if not 1 <= args.gemeenten <= NATIONAL_GEMEENTEN:
        parser.error(f"--gemeenten must be between 1 and {NATIONAL_GEMEENTEN}")
    if args.next_day:
        generate_next_day(args.landing, args.gemeenten, settings.gemeentecode, args.end + dt.timedelta(days=1),
                          settings.afhandeltermijnen, args.seed)
        return
    generate_gemeenten(args.landing, args.gemeenten, settings.gemeentecode, args.end, settings.afhandeltermijnen,
                       args.years, args.seed)


if __name__ == "__main__":
    main()
