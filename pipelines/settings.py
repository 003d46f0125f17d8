"""The one settings object of the product, read from environment variables with sensible defaults.

Every path, the municipality, the pseudonymisation key and the reference date come from here; nothing
else in the code reads the environment. The defaults give the embedded demo set-up: folders next to the
code and DuckDB in-process.
"""

from __future__ import annotations

import csv
import datetime as dt
import grp
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
TIMEZONE = ZoneInfo("Europe/Amsterdam")

GEMEENTECODE = re.compile(r"GM[0-9]{4}")  # CBS code: also the name of a municipality's drop folder
DEMO_GEMEENTECODE = "GM0301"
# Only accepted in demo mode: the demo data holds no real persons, so its pseudonyms protect nobody.
DEMO_PSEUDONYM_KEY = "demo-sleutel-alleen-voor-de-demogemeente"
MIN_KEY_LENGTH = 32
MODES = ("demo", "productie")
# DuckDB's own cap on what it holds in memory; past it, it spills to disk next to the database. Nationally dbt's
# seeds and silver stay near this cap instead of taking most of the machine's memory, and are hardly slower.
DEFAULT_MEMORY_LIMIT = "4GB"
MEMORY_LIMIT = re.compile(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


class SettingsError(ValueError):
    """The environment does not describe a set-up the product can run with."""


@dataclass(frozen=True)
class Settings:
    data_root: Path
    landing: Path
    bronze: Path
    silver: Path
    gold: Path
    lineage: Path
    mode: str
    gemeentecode: str
    pseudonym_key: bytes
    peildatum: dt.date
    full_refresh: bool = False  # rebuild incremental models whole
    # The landing folder was named (LAKEHOUSE_LANDING or LAKEHOUSE_DATA_ROOT): demo data goes there only on request
    landing_named: bool = False
    groep: str | None = None  # the group sharing bronze, quarantine and silver (LAKEHOUSE_GROEP); None: owner only
    quarantine_days: float = 30  # how long raw copies of rejected exports are kept
    lock_wait_seconds: float = 0  # how long a run waits for another run writing the data root; 0: refuse at once
    memory_limit: str = DEFAULT_MEMORY_LIMIT  # DuckDB's, for dbt's builds
    lineage_url: str | None = None  # a lineage server (Marquez) that gets the OpenLineage events too

    @property
    def build_db(self) -> Path:
        """The DuckDB file dbt builds silver and gold in: one writer at a time, never opened by analysts."""
        return self.silver / "lakehouse.duckdb"

    @property
    def gold_db(self) -> Path:
        return self.gold / "gold.duckdb"

    @property
    def quarantine(self) -> Path:
        return self.bronze / "_quarantaine"

    @property
    def file_register(self) -> Path:
        return self.bronze / "_register"

    @property
    def dq_results(self) -> Path:
        return self.silver / "_dq_resultaten"

    @property
    def dbt_state(self) -> Path:
        """dbt's parse of the project for this data root, and each invocation's target folder."""
        return self.silver / "_dbt"

    @property
    def dbt_docs(self) -> Path:
        return self.lineage / "dbt_docs"

    @property
    def gx_docs(self) -> Path:
        """Great Expectations' Data Docs (`site/index.html`) and the latest validation result of each suite."""
        return self.lineage / "gx_docs"

    @cached_property
    def afhandeltermijnen(self) -> dict[str, int]:
        """Handling term in working days per conformed Fixi category; the dbt seed is the one source."""
        with open(DBT_PROJECT_DIR / "seeds" / "fixi" / "fixi_categorie.csv", encoding="utf-8") as seed:
            return {row["categorie"]: int(row["afhandeltermijn_werkdagen"]) for row in csv.DictReader(seed)}

    def dbt_env(self) -> dict[str, str]:
        """What dbt needs to find the zones; dbt reads these with env_var(), the bronze zone, the build database
        and the memory limit only in its profile (pipelines/dbt/runner.py keeps those out of the parse)."""
        return {
            "LAKEHOUSE_BRONZE": str(self.bronze),
            "LAKEHOUSE_BUILD_DB": str(self.build_db),
            "LAKEHOUSE_PEILDATUM": self.peildatum.isoformat(),
            "LAKEHOUSE_MEMORY_LIMIT": self.memory_limit,
            # Only the models to build are selected: with dbt's default (eager), a test of a model that is up
            # to date would run too whenever it also reads one of them.
            "DBT_INDIRECT_SELECTION": "buildable",
        }


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_root = Path(env.get("LAKEHOUSE_DATA_ROOT", PROJECT_ROOT)).resolve()

    def zone(name: str) -> Path:
        return Path(env.get(f"LAKEHOUSE_{name.upper()}", data_root / name)).resolve()

    mode = env.get("LAKEHOUSE_MODE", "demo")
    if mode not in MODES:
        raise SettingsError(f"LAKEHOUSE_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    return Settings(
        data_root=data_root,
        landing=zone("landing"),
        bronze=zone("bronze"),
        silver=zone("silver"),
        gold=zone("gold"),
        lineage=zone("lineage"),
        mode=mode,
        gemeentecode=_gemeentecode(env.get("LAKEHOUSE_GEMEENTECODE", DEMO_GEMEENTECODE)),
        pseudonym_key=_pseudonym_key(mode, env.get("LAKEHOUSE_PSEUDONYM_KEY")),
        peildatum=_peildatum(env.get("LAKEHOUSE_PEILDATUM")),
        full_refresh=env.get("LAKEHOUSE_FULL_REFRESH", "") not in ("", "0"),
        groep=_groep(env.get("LAKEHOUSE_GROEP") or None),
        quarantine_days=_amount("LAKEHOUSE_QUARANTINE_DAYS", env.get("LAKEHOUSE_QUARANTINE_DAYS", "30")),
        lock_wait_seconds=_amount("LAKEHOUSE_LOCK_WAIT", env.get("LAKEHOUSE_LOCK_WAIT", "0")),
        landing_named=bool(env.get("LAKEHOUSE_LANDING") or env.get("LAKEHOUSE_DATA_ROOT")),
        memory_limit=_memory_limit(env.get("LAKEHOUSE_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)),
        lineage_url=env.get("LAKEHOUSE_LINEAGE_URL") or None,
    )


def _gemeentecode(code: str) -> str:
    code = code.strip().upper()
    if not GEMEENTECODE.fullmatch(code):
        raise SettingsError(f"LAKEHOUSE_GEMEENTECODE must look like GM0301 (CBS code), not {code!r}")
    return code


def _groep(group: str | None) -> str | None:
    try:
        if group is not None and not group.isdigit():
            grp.getgrnam(group)
    except KeyError:
        raise SettingsError(f"LAKEHOUSE_GROEP must name an existing group (or a group id), not {group!r}") from None
    return group


def _amount(name: str, value: str) -> float:
    """A number of seconds (or days: the caller's unit), 0 or more."""
    try:
        amount = float(value)
    except ValueError:
        amount = -1
    if not amount >= 0:
        raise SettingsError(f"{name} must be a number, 0 or more, not {value!r}")
    return amount


def _memory_limit(limit: str) -> str:
    limit = limit.strip()
    if not MEMORY_LIMIT.fullmatch(limit):
        raise SettingsError(f"LAKEHOUSE_MEMORY_LIMIT must be an amount like 4GB or 512MB, not {limit!r}")
    return limit


MIN_KEY_DISTINCT_CHARACTERS = 8  # a 64-character hex key (openssl rand -hex 32) has 16
MIN_KEY_BITS = 100  # by the key's own character frequencies: 32 random hex characters give about 118


def _pseudonym_key(mode: str, key: str | None) -> bytes:
    if mode == "demo":
        return (key or DEMO_PSEUDONYM_KEY).encode()
    weakness = key_weakness(key or "")
    if weakness:
        raise SettingsError(f"Production mode needs a secret pseudonymisation key: LAKEHOUSE_PSEUDONYM_KEY {weakness}. "
                            f"Use at least {MIN_KEY_LENGTH} random characters (e.g. `openssl rand -hex 32`), kept in "
                            "the municipality's secret store.")
    return key.encode()


def key_weakness(key: str) -> str | None:
    """Why a production key is too weak to protect pseudonyms, or None. A weak key lets anyone who holds a list of
    BSNs recompute the pseudonyms, so what is refused: no key, blank or short keys, any variant of the public demo
    key (case, spaces, additions), one character or unit repeated, few distinct characters, a run like abcdef...,
    and little entropy by the key's own character frequencies."""
    compact = "".join(key.split())
    if not compact:
        return "is not set" if not key else "is blank"
    if _normal(DEMO_PSEUDONYM_KEY) in _normal(key):
        return "is (a variant of) the public demo key"
    if len(key) < MIN_KEY_LENGTH or len(compact) < MIN_KEY_LENGTH:
        return f"is too short: use at least {MIN_KEY_LENGTH} characters, not counting spaces"
    if re.fullmatch(r"(.+?)\1+", compact, re.DOTALL):
        return "repeats one character or sequence"
    if len(set(compact)) < MIN_KEY_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_KEY_DISTINCT_CHARACTERS} distinct characters"
    steps = [ord(b) - ord(a) for a, b in zip(compact, compact[1:])]
    if max(steps.count(1), steps.count(-1), steps.count(0)) * 2 >= len(steps):
        return "is mostly a run of consecutive characters (like abcdef or 123456)"
    counts = [compact.count(c) for c in set(compact)]
    bits = -sum(n * math.log2(n / len(compact)) for n in counts)
    if bits < MIN_KEY_BITS:
        return f"has too little entropy ({bits:.0f} bits by its character frequencies, at least {MIN_KEY_BITS})"
    return None


def _normal(key: str) -> str:
    return "".join(key.split()).casefold()


def _peildatum(value: str | None) -> dt.date:
    """The reference date for freshness and open-backlog figures: today in the Netherlands unless set."""
    if not value:
        return dt.datetime.now(TIMEZONE).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise SettingsError(f"LAKEHOUSE_PEILDATUM must be a date like 2026-11-23, not {value!r}") from err
