"""Landing is read, never left: links are not followed, special files never opened, hidden files reported, and any
legal file name is handled, its quarantine copy with a bounded name."""

from __future__ import annotations

import logging
import os
import shutil
import signal

import duckdb
import pytest

from pipelines.bronze.file_register import QUARANTINE_NAME_BYTES, rejected_files
from pipelines.bronze.ingest import ingest
from pipelines.bronze.landing import unread_in_landing
from pipelines.bronze.zorgned import ZORGNED
from tests.conftest import FIXTURES

EXPORT = FIXTURES / "zorgned" / "zorgned-wmo-aanvragen-sample.json"


@pytest.fixture
def no_hang():
    """Opening a FIFO nobody writes blocks for ever: fail instead."""
    def timeout(*_):
        raise TimeoutError("a landing entry was opened that must never be opened")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def bronze_files(settings) -> set[str]:
    with duckdb.connect() as db:
        return {name for (name,) in db.execute(
            f"select distinct bron_bestand from read_parquet('{settings.bronze}/zorgned/aanvraag/*.parquet')").fetchall()}


def test_links_and_special_files_are_refused_with_a_reason_never_followed_or_copied(settings, tmp_path, no_hang,
                                                                                       caplog):
    outside = tmp_path / "elders"
    outside.mkdir()
    shutil.copy(EXPORT, outside / "buiten_landing.json")
    folder = settings.landing / "zorgned"
    folder.mkdir(parents=True)
    shutil.copy(EXPORT, folder / "export.json")
    os.symlink(outside / "buiten_landing.json", folder / "link_naar_export.json")
    os.symlink("/etc/passwd", folder / "passwd.json")
    os.symlink(outside, folder / "gekoppelde_map")
    os.mkfifo(folder / "pijp.json")
    (folder / ".upload_bezig.json").write_bytes(EXPORT.read_bytes())
    with caplog.at_level(logging.INFO):
        report = ingest(ZORGNED, settings, "run-1", logging.getLogger("test"))

    assert bronze_files(settings) == {"export.json"}
    assert not (settings.quarantine / "bestanden").exists()  # nothing copied out of landing
    reasons = {os.path.basename(e["bestand"]): e["error"] for e in rejected_files(settings)}
    assert set(reasons) == {"link_naar_export.json", "passwd.json", "gekoppelde_map", "pijp.json"}
    assert all(reasons[n].startswith("symbolic link: not followed") for n in ("link_naar_export.json", "passwd.json",
                                                                              "gekoppelde_map"))
    assert reasons["pijp.json"].startswith("not a regular file (a FIFO, device or socket)")
    assert report.notes["hidden files or folders not read"] == 1 and ".upload_bezig.json" in caplog.text

    again = ingest(ZORGNED, settings, "run-2", logging.getLogger("test"))
    assert again.files_rejected == [] and len(rejected_files(settings)) == 4  # registered once while unchanged


def test_links_beside_the_source_folders_are_reported_not_followed(settings, tmp_path):
    (tmp_path / "elders" / "zorgned").mkdir(parents=True)
    shutil.copy(EXPORT, tmp_path / "elders" / "zorgned")
    settings.landing.mkdir()
    os.symlink(tmp_path / "elders" / "zorgned", settings.landing / "zorgned")
    ingest(ZORGNED, settings, "run-1", logging.getLogger("test"))
    assert bronze_files(settings) == set()
    assert unread_in_landing(settings.landing)[0].startswith(f"{settings.landing / 'zorgned'}: symbolic link")


def test_a_name_that_is_not_utf8_is_refused_and_the_others_still_read(settings):
    folder = settings.landing / "zorgned"
    folder.mkdir(parents=True)
    shutil.copy(EXPORT, folder / "export.json")
    with open(os.path.join(os.fsencode(folder), b"aanvragen_\xe9t\xe9.json"), "wb") as odd:
        odd.write(EXPORT.read_bytes())
    report = ingest(ZORGNED, settings, "run-1", logging.getLogger("test"))
    assert bronze_files(settings) == {"export.json"}
    assert report.files_rejected == ["aanvragen_\\xe9t\\xe9.json: its name is not valid UTF-8: not read; rename it"]


def test_the_longest_legal_names_are_read_and_set_aside_with_bounded_names(settings):
    folder = settings.landing / "zorgned"
    folder.mkdir(parents=True)
    readable = "a" * 249 + ".json"
    broken = ("wmo_aanvragen_" + "é" * 115 + "_kapot")[:249] + ".json"
    assert len(readable.encode()) == 254 and len(broken.encode()) <= 255
    shutil.copy(EXPORT, folder / readable)
    (folder / broken).write_text("{ dit is geen json", encoding="utf-8")
    report = ingest(ZORGNED, settings, "run-1", logging.getLogger("test"))
    assert bronze_files(settings) == {readable} and len(report.files_rejected) == 1
    (entry,) = rejected_files(settings)
    copy = settings.quarantine / "bestanden" / "zorgned" / os.path.basename(entry["copy"])
    assert entry["bestand"] == str(folder / broken) and copy.read_bytes() == (folder / broken).read_bytes()
    assert len(copy.name.encode()) <= QUARANTINE_NAME_BYTES and copy.name.endswith(".json")
    assert copy.name.startswith(entry["hash"][:12] + "_wmo_aanvragen_é")
