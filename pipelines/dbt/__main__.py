"""`python -m pipelines.dbt parse` and `python -m pipelines.dbt why <model>`."""

from __future__ import annotations

import argparse
import sys

from pipelines.dbt.manifest import read_manifest
from pipelines.dbt.runner import parse_project
from pipelines.dbt.why import why
from pipelines.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.dbt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("parse", help="parse the dbt project into dbt_project/target (what `make` does)")
    explain = commands.add_parser("why", help="why the last run rebuilt a model, or kept it")
    explain.add_argument("model", help="silver.fixi_melding, gold/fixi_pieken or fixi_melding")
    args = parser.parse_args(argv)
    if args.command == "parse":
        parse_project()
        return 0
    try:
        print(why(load_settings(), read_manifest(), args.model))
    except (KeyError, SettingsError) as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
