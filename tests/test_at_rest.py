"""Personal data at rest: bronze, quarantine and silver owner-only (or one group's), gold open to analysts, raw
rejected exports purged after their retention."""

from __future__ import annotations

import grp
import logging
import os
import shutil
import stat
import time

import pytest

from pipelines.at_rest import writing
from pipelines.bronze.file_register import rejected_files
from pipelines.bronze.ingest import ingest
from pipelines.bronze.zorgned import ZORGNED
from pipelines.settings import SettingsError, load_settings
from tests.conftest import FIXTURES, use_data_root


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def ingest_with_a_rejected_file(settings) -> None:
    folder = settings.landing / "zorgned"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "zorgned" / "zorgned-wmo-aanvragen-sample.json", folder / "export.json")
    (folder / "kapot.json").write_text('{"naam": "Jan Jansen", "email": "jan@example.nl"', encoding="utf-8")
    with writing(settings, "run-1"):
        ingest(ZORGNED, settings, "run-1", logging.getLogger("test"))


def test_bronze_and_quarantine_are_owner_only(settings):
    os.umask(0o022)  # what the issue found: everything world-readable
    ingest_with_a_rejected_file(settings)
    assert mode(settings.bronze) == mode(settings.quarantine) == mode(settings.silver) == 0o700
    (copy,) = (settings.quarantine / "bestanden" / "zorgned").iterdir()
    assert mode(copy) == 0o600 and "Jan Jansen" in copy.read_text()
    files = [p for p in settings.bronze.rglob("*") if p.is_file()]
    assert len(files) >= 4 and {mode(p) for p in files} == {0o600}  # parts, register, quarantine copy
    assert {mode(p) for p in settings.bronze.rglob("*") if p.is_dir()} == {0o700}
    assert os.umask(0o022) == 0o022  # the run gives the process its umask back


def test_a_group_can_share_them(tmp_path, monkeypatch):
    use_data_root(monkeypatch, tmp_path)
    monkeypatch.setenv("LAKEHOUSE_GROEP", grp.getgrgid(os.getgid()).gr_name)
    settings = load_settings()
    ingest_with_a_rejected_file(settings)
    assert mode(settings.bronze) == 0o2770 and os.stat(settings.bronze).st_gid == os.getgid()
    assert {mode(p) for p in settings.bronze.rglob("*") if p.is_file()} == {0o660}


def test_an_unknown_group_is_refused():
    with pytest.raises(SettingsError, match="LAKEHOUSE_GROEP must name an existing group"):
        load_settings({"LAKEHOUSE_GROEP": "geen-groep-met-deze-naam"})


def test_raw_rejected_exports_are_purged_after_their_retention(settings, monkeypatch):
    ingest_with_a_rejected_file(settings)
    (copy,) = (settings.quarantine / "bestanden" / "zorgned").iterdir()
    with writing(settings, "run-2"):
        pass
    assert copy.exists()  # within the default 30 days
    month_ago = time.time() - 31 * 86_400
    os.utime(copy, (month_ago, month_ago))
    with writing(settings, "run-3"):
        pass
    assert not copy.exists()
    (entry,) = rejected_files(settings)  # the register still says what was rejected and why
    assert entry["bestand"].endswith("kapot.json") and entry["error"]
