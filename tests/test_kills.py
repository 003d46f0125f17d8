"""A real `python -m pipelines.run` killed with SIGKILL during ingestion, during dbt and during publication, each
followed by a rerun, gives the gold of a clean run over the same landing; analysts holding the catalogue open
read-only, or trying to write it, during a run never break the run and never see an untruthful `publicatie`.

The kill is exact, not timed: the killed run is started with this module's `sitecustomize` on its PYTHONPATH (test
code, nothing in the product), an audit hook that sends the process SIGKILL the moment it opens or renames a given
file, e.g. the catalogue of the second area it publishes. The process dies as from `kill -9`: no finally, no atexit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.demo import generate_demo
from pipelines.demo.municipality import zutphen
from pipelines.settings import PROJECT_ROOT, Settings, load_settings
from tests.conftest import ENV_VARS, PEILDATUM

KILLER = """
import fnmatch, os, signal

_event, _pattern, _nth = os.environ["KILL_AT"].split("|")
_seen = 0


def _path(argument):
    return os.fsdecode(argument) if isinstance(argument, (str, bytes, os.PathLike)) else ""


def _kill_at(event, args):
    global _seen
    if event != _event:
        return
    if event == "open" and (not isinstance(args[1], str) or "w" not in args[1]):
        return  # only files opened for writing
    if fnmatch.fnmatch(_path(args[1] if event == "os.rename" else args[0]), _pattern):
        _seen += 1
        if _seen == int(_nth):
            os.kill(os.getpid(), signal.SIGKILL)


os.environ.pop("KILL_AT")  # not for the processes this one starts
import sys
sys.addaudithook(_kill_at)
"""
# (audit event, file pattern, n-th match): the moment each run is killed
DURING_INGESTION = ("os.rename", "*/bronze/fixi/*.parquet", 1)  # a staged Fixi part moved into bronze, unregistered
DURING_DBT = ("open", "*/models/gold/fixi/fixi_pieken.sql", 1)  # fixi_meldingen_week built, its sibling compiled
DURING_PUBLICATION = ("os.rename", "*/gold/gold.duckdb", 2)  # the second area's files and manifest written, not
# its catalogue

ANALYST = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)   # an analyst's session, left open across the run
for _ in sys.stdin:
    seen = {t: [n, con.execute(f'select count(*) from "{t}"').fetchone()[0], r]
            for t, n, r in con.execute("select tabel, aantal_rijen, run_id from publicatie").fetchall()}
    print(json.dumps(seen), flush=True)
"""
VARYING = {"run_id", "berekend_in_run", "gecontroleerd_op", "laatst_geladen_op"}  # which run, and when


def environment(root: Path, kill_at: tuple | None = None, **settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in ENV_VARS}
    env.update(LAKEHOUSE_DATA_ROOT=str(root), LAKEHOUSE_PEILDATUM=PEILDATUM, DAGSTER_HOME=str(root / ".dagster"),
               **settings)
    (root / ".dagster").mkdir(parents=True, exist_ok=True)
    if kill_at:
        killer = root.parent / f"killer-{root.name}"
        killer.mkdir(exist_ok=True)
        (killer / "sitecustomize.py").write_text(KILLER)
        env.update(KILL_AT="|".join(map(str, kill_at)),
                   PYTHONPATH=os.pathsep.join([str(killer), *filter(None, [env.get("PYTHONPATH")])]))
    return env


def start_run(root: Path, kill_at: tuple | None = None, **settings: str) -> subprocess.Popen:
    """`python -m pipelines.run` on the data root, as `make run` starts it; its console (stdout and stderr) in one."""
    return subprocess.Popen([sys.executable, "-m", "pipelines.run"], cwd=PROJECT_ROOT,
                            env=environment(root, kill_at, **settings), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(run: subprocess.Popen) -> tuple[int, str]:
    output, _ = run.communicate(timeout=900)
    return run.returncode, output


def killed_run(root: Path, kill_at: tuple) -> str:
    code, output = finish(start_run(root, kill_at))
    assert code == -signal.SIGKILL, f"the run was not killed at {kill_at}:\n{output[-3000:]}"
    return output


def settings_of(root: Path) -> Settings:
    return load_settings({"LAKEHOUSE_DATA_ROOT": str(root), "LAKEHOUSE_PEILDATUM": PEILDATUM})


def small_landing(landing: Path) -> None:
    """The demo municipality at a twentieth of its size and one year of exports: every source and area, quickly."""
    settings = settings_of(landing.parent)
    gemeente = dataclasses.replace(zutphen(settings.gemeentecode), inwoners=2_500)
    generate_demo(landing, gemeente, settings.peildatum - dt.timedelta(days=1), settings.afhandeltermijnen, years=1,
                  progress=lambda _: None)


def catalogue(root: Path) -> dict[str, list]:
    """What a new reader of the catalogue sees: per table in `publicatie`, its row count there, the rows its view
    reads, and the run that published it."""
    with duckdb.connect(str(root / "gold" / "gold.duckdb"), read_only=True) as db:
        return {t: [n, db.execute(f'select count(*) from "{t}"').fetchone()[0], r]
                for t, n, r in db.execute("select tabel, aantal_rijen, run_id from publicatie").fetchall()}


def truthful(seen: dict[str, list]) -> bool:
    return all(in_publicatie == read for in_publicatie, read, _ in seen.values())


def differences(ours: Path, theirs: Path) -> dict[str, tuple[int, int]]:
    """Per published table, the rows of one catalogue that the other lacks, both ways (EXCEPT ALL), leaving out
    which run made them and when; data-quality results of the last run of each only."""
    found = {}
    with duckdb.connect() as db:
        db.execute(f"attach '{ours / 'gold' / 'gold.duckdb'}' as ours (read_only)")
        db.execute(f"attach '{theirs / 'gold' / 'gold.duckdb'}' as theirs (read_only)")
        tables = {t for (t,) in db.execute("select tabel from ours.publicatie union select tabel from theirs.publicatie")
                  .fetchall()}
        for table in sorted(tables):
            columns = [c for (c,) in db.execute(f"select column_name from (describe theirs.\"{table}\")").fetchall()
                       if c not in VARYING]
            select = ", ".join(f'"{c}"' for c in columns)
            last = ("where run_id = (select run_id from {side}.publicatie where tabel = 'dq_resultaten')"
                    if table == "dq_resultaten" else "")
            one, other = (f"select {select} from {side}.\"{table}\" {last.format(side=side)}" for side in ("ours", "theirs"))
            found[table] = (db.execute(f"select count(*) from ({one} except all {other})").fetchone()[0],
                            db.execute(f"select count(*) from ({other} except all {one})").fetchone()[0])
    return {table: counts for table, counts in found.items() if counts != (0, 0)}


class HeldSession:
    """An analyst's read-only session on the catalogue, in a process of its own, left open across runs."""

    def __init__(self, gold_db: Path):
        self.process = subprocess.Popen([sys.executable, "-c", ANALYST, str(gold_db)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def sees(self) -> dict[str, list]:
        self.process.stdin.write("?\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def analyst_table_in(gold_db: Path) -> list[tuple]:
    """An analyst who insists on writing into the catalogue while nobody reads it; the rows of the table made."""
    os.chmod(gold_db, 0o644)
    with duckdb.connect(str(gold_db)) as db:
        db.execute("create table mijn_analyse as select tabel, aantal_rijen from publicatie")
        return sorted(db.execute("select * from mijn_analyse").fetchall())


def test_killed_during_ingestion_dbt_and_publication_each_rerun_ends_as_a_clean_run_and_analysts_never_interfere(
        tmp_path):
    landing = tmp_path / "landing"
    small_landing(landing)
    clean_root, killed_root = tmp_path / "schoon", tmp_path / "gedood"
    for root in (clean_root, killed_root):
        shutil.copytree(landing, root / "landing")
    clean = start_run(clean_root)  # the clean run alongside, on its own data root
    gold = killed_root / "gold"

    killed_run(killed_root, DURING_INGESTION)
    assert not (gold / "gold.duckdb").exists()
    killed_run(killed_root, DURING_DBT)  # the rerun, killed in its turn
    assert not (gold / "gold.duckdb").exists()
    killed_run(killed_root, DURING_PUBLICATION)
    half_made = list(gold.glob(".gold-*.duckdb"))
    assert half_made, "the kill did not land while the catalogue was replaced"
    first_area = catalogue(killed_root)
    assert truthful(first_area) and len(first_area) > 1  # one area and the data-quality results, all readable
    assert set(first_area) < set(json.loads((gold / "_publicatie.json").read_text()))  # the second area not yet

    mine = analyst_table_in(gold / "gold.duckdb")
    held = HeldSession(gold / "gold.duckdb")
    try:
        before = held.sees()
        rerun = start_run(killed_root)
        next(line for line in iter(rerun.stdout.readline, "") if " - bronze_" in line)  # the rerun is under way
        with pytest.raises(duckdb.IOException, match="Could not set lock"):  # writing while a reader holds it
            duckdb.connect(str(gold / "gold.duckdb"))
        code, output = finish(rerun)
        assert code == 0, output[-3000:]
        after = held.sees()
    finally:
        held.close()

    assert finish(clean)[0] == 0
    # What analysts read is open to them, though a run creates files owner-only (pipelines/at_rest.py).
    reports = clean_root / "gold" / "rapporten"
    assert stat.S_IMODE(reports.stat().st_mode) == 0o755 and list(reports.iterdir())
    assert {stat.S_IMODE(p.stat().st_mode) for p in reports.iterdir()} == {0o644}
    assert not [p for p in half_made if p.exists()] and not list(gold.glob(".gold-*"))
    assert not list(gold.glob(".staging-*"))
    published = catalogue(killed_root)
    assert truthful(published) and set(published) == set(catalogue(clean_root))
    assert differences(killed_root, clean_root) == {}
    bronze = settings_of(killed_root).bronze
    with duckdb.connect() as db:  # the part a killed ingestion moved into bronze unregistered is there once
        assert db.execute(f"""select count(*) from (select bron_bestand_hash, bron_record from read_parquet(
            '{bronze}/fixi/melding/*.parquet') group by all having count(*) > 1)""").fetchone()[0] == 0

    # The held session still reads the publication it opened, `publicatie` truthful for it; a new one the rerun's.
    assert after == before and truthful(after)
    run_id = re.search(r"== lakehouse run (\S+) succeeded", output).group(1)
    assert published["dq_resultaten"][2] == run_id != before["dq_resultaten"][2]
    # The analyst's table: saved by the rerun's publication, loudly, and not in the new catalogue.
    assert "mijn_analyse" not in published
    (saved,) = (gold / "_bewaard").glob("*/mijn_analyse.parquet")
    assert sorted(duckdb.execute(f"select * from read_parquet('{saved}')").fetchall()) == mine
    assert "held 1 table(s) that publication did not make (mijn_analyse)" in output
