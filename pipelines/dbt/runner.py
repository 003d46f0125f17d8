"""The one way dbt runs: inside this process, on the project parsed once per process.

A dbt subprocess starts Python, imports dbt and reads the parsed project before it runs any SQL, and a run
invokes dbt once per subject area and zone: on a national night that start-up was as long as the SQL of the
models the night rebuilt. dbt's own events come back through a callback in the form its JSON log has,
so dagster-dbt turns them into Dagster events as it does for its subprocess. `make` parses the project the same
way (`python -m pipelines.dbt parse`), as do the benchmark's compile and the dbt docs.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest
from dbt_common.events.functions import msg_to_dict

from pipelines.dbt import state
from pipelines.dbt.manifest import PROJECT_MANIFEST
from pipelines.garbage_collection import exempt_from_garbage_collection
from pipelines.settings import DBT_PROJECT_DIR, Settings, load_settings

PARTIAL_PARSE = "partial_parse.msgpack"  # dbt's own file name for the parse it starts the next one from
PROFILE_ENV = ("LAKEHOUSE_BRONZE", "LAKEHOUSE_BUILD_DB", "LAKEHOUSE_MEMORY_LIMIT")  # read by profiles.yml only
_PARSED: dict[str, Manifest] = {}  # by project state
# dbt's info lines on the console: what it built and its count of outcomes ("Done. PASS=.. WARN=.."). A test has
# a line of its own only when it warns or fails; the run's summary counts them all.
CONSOLE = ("LogModelResult", "LogSeedResult", "LogSnapshotResult", "StatsLine")


class DbtError(RuntimeError):
    """A dbt command that failed, with dbt's own error messages."""


@dataclass
class Invocation:
    """One dbt command's outcome: its events in order and, if it failed, why."""

    command: str
    target_path: Path
    events: list[DbtCoreCliEventMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    success: bool = False

    def error(self) -> DbtError | None:
        if self.success:
            return None
        log = self.target_path / "dbt.log"
        return DbtError(f"`dbt {self.command}` failed; dbt's debug log: {log}" + "".join(f"\n{e}" for e in self.errors))


def invoke(command: list[str], settings: Settings, target_path: Path) -> Invocation:
    """Run `dbt <command>` on the parsed project against the settings' zones, writing compiled SQL and dbt's
    debug log into `target_path`. What dbt built, its warnings and errors are printed as they come (`CONSOLE`)."""
    invocation = Invocation(" ".join(command), target_path)

    def collect(message) -> None:
        # msg_to_dict is what dbt's JSON log writes, the form dagster-dbt reads from its subprocess.
        event = DbtCoreCliEventMessage(raw_event=msg_to_dict(message), event_history_metadata={})
        level = event.raw_event["info"]["level"]
        if level == "error":
            invocation.errors.append(event.raw_event["info"]["msg"])
        if level in ("warn", "error") or event.raw_event["info"]["name"] in CONSOLE:
            print(event, flush=True)
        invocation.events.append(event)

    manifest = parsed_project(settings)
    with _environment(settings.dbt_env()):
        try:
            result = dbtRunner(manifest=manifest, callbacks=[collect]).invoke(
                [*command, *_common_flags(target_path), "--log-path", str(target_path)]
            )
        finally:
            _release_build_db()
    if result.exception is not None:
        invocation.errors.append(f"{type(result.exception).__name__}: {result.exception}")
    invocation.success = bool(result.success) and not invocation.errors
    return invocation


def parsed_project(settings: Settings) -> Manifest:
    """dbt's parse of the project: once per process and project version. Parsed without the variables only the
    profile reads, it names no data root, so a data root without a parse of its own starts from the one `make`
    left in dbt_project/target and dbt re-reads only the files that changed since, not the whole project."""
    state_of_project = project_state(settings)
    if state_of_project not in _PARSED:
        _start_from_project_parse(settings.dbt_state)
        # dbt reads the zones and the peildatum with env_var()
        with _environment(settings.dbt_env()), exempt_from_garbage_collection():  # kept for the whole process
            result = _parse(settings.dbt_state, "--no-write-json", "--log-level-file", "none")
        _PARSED[state_of_project] = result.result
    return _PARSED[state_of_project]


def parse_project() -> None:
    """`dbt parse` into dbt_project/target: the manifest Dagster builds the asset graph from, and the parse
    every data root's first run starts from."""
    with _environment(load_settings().dbt_env()):
        _parse(PROJECT_MANIFEST.parent)


def _parse(target_path: Path, *flags: str):
    """`dbt parse` into `target_path`, without the variables only profiles.yml reads: dbt compares the rendered
    profile with the earlier parse's and parses everything again when it differs, though no model depends on it."""
    with _environment(without=PROFILE_ENV):
        result = dbtRunner(callbacks=[_report_full_parse]).invoke(["parse", *flags, *_common_flags(target_path)])
    if not result.success:
        raise DbtError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")
    return result


def compile_models(settings: Settings, target: Path) -> Path:
    """`dbt compile` against the settings' bronze into `target`; returns the manifest with the compiled SQL
    (the benchmark runs it on bare DuckDB). --full-refresh: incremental models compile to their full-build
    SQL, which needs no existing table."""
    if error := invoke(["compile", "--full-refresh"], settings, target).error():
        raise error
    return target / "manifest.json"


def generate_docs(settings: Settings) -> bool:
    """Generate dbt docs (manifest, catalog, index.html and static_index.html) into the lineage folder, unless
    the docs there were made for this same project and environment (they describe models and columns, which
    only the project changes). Returns whether they were generated."""
    kept, made_for = state.load(settings.dbt_state), project_state(settings)
    if (settings.dbt_docs / "static_index.html").exists() and kept.get("docs_made_for") == made_for:
        return False
    # --static: static_index.html carries the manifest and catalogue inside, so it opens from the file (index.html
    # fetches them, which a browser refuses from file://).
    invocation = invoke(["docs", "generate", "--static", "--log-level-file", "none"], settings, settings.dbt_docs)
    if error := invocation.error():
        raise error
    kept = state.load(settings.dbt_state)
    kept["docs_made_for"] = made_for
    state.save(settings.dbt_state, kept)
    return True


@contextmanager
def _environment(values: Mapping[str, str] | None = None, without: Iterable[str] = ()) -> Iterator[None]:
    """This process's environment with `values` set and the variables `without` unset while dbt runs, and as it
    was afterwards: a process that runs dbt for several data roots (the benchmark) must not hand one root's
    zones on to the next, or to the processes it starts."""
    values, without = dict(values or {}), tuple(without)
    saved = {name: os.environ.get(name) for name in (*values, *without)}
    os.environ.update(values)
    for name in without:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _start_from_project_parse(dbt_state: Path) -> None:
    own, project = dbt_state / PARTIAL_PARSE, PROJECT_MANIFEST.parent / PARTIAL_PARSE
    if not own.exists() and project.exists():
        dbt_state.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(project, own)


def _report_full_parse(message) -> None:
    """Says why dbt parses the whole project (slow) instead of only what changed since the last parse."""
    if message.info.name == "UnableToPartialParse":
        print(f"dbt: parsing the whole project: {message.info.msg}", flush=True)


def project_state(settings: Settings) -> str:
    """What a parse or the docs depend on besides the project's files: the environment dbt sees, except what
    only the profile reads (where the data is) and the peildatum, which changes every night and is read only
    when a model runs; no description in the docs depends on either."""
    env = {name: value for name, value in settings.dbt_env().items()
           if name not in PROFILE_ENV and name != "LAKEHOUSE_PEILDATUM"}
    return json.dumps({**env, "project": PROJECT_MANIFEST.stat().st_mtime_ns}, sort_keys=True)


def _common_flags(target_path: Path) -> list[str]:
    return ["--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target_path)]


def _release_build_db() -> None:
    """dbt-duckdb keeps its database open in a class attribute after the command; the facts about the built
    tables are read next, from a read-only connection, which DuckDB refuses while this process holds the
    file open read-write."""
    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()
