"""Personal data at rest: what a run writes into bronze, quarantine and the build database is owner-only
(directories 0700, files 0600), or shared with one group (LAKEHOUSE_GROEP: 2770 and 0660), and the raw exports
set aside in quarantine, which hold names and addresses, are purged after a retention period.

A run sets the process's umask while it writes, so every file it creates (Parquet parts, registers, quarantine
copies, DuckDB's database, WAL and spill files) gets the mode without each writer asking for it, and closes the
zone folders themselves, which also shuts files of older versions away. Gold is what analysts read: publication
opens its files and the catalogue to everyone (`open_to_readers`), as before.
"""

from __future__ import annotations

import grp
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.settings import Settings
from pipelines.writer_lock import writer_lock

PUBLISHED_FILE, PUBLISHED_FOLDER = 0o644, 0o755  # gold: aggregated, small cells suppressed, for every analyst


@contextmanager
def writing(settings: Settings, run_id: str) -> Iterator[None]:
    """What every run does around its work, whoever starts it: hold the data root's writer lock, create
    owner-only (or group-only), close the personal-data zones and purge expired quarantine copies."""
    with writer_lock(settings, run_id):
        previous = os.umask(0o007 if settings.groep else 0o077)
        try:
            for zone in (settings.bronze, settings.quarantine, settings.silver):
                close(zone, settings)
            if settings.build_db.exists():
                os.chmod(settings.build_db, 0o660 if settings.groep else 0o600)
            purge_rejected_files(settings)
            yield
        finally:
            os.umask(previous)


def close(folder: Path, settings: Settings) -> None:
    """A zone folder only its owner (or its group) can enter."""
    folder.mkdir(parents=True, exist_ok=True)
    if settings.groep:
        os.chown(folder, -1, _gid(settings.groep))
        os.chmod(folder, 0o2770)  # setgid: what is created inside belongs to the group too
    else:
        os.chmod(folder, 0o700)


def _gid(group: str) -> int:
    return int(group) if group.isdigit() else grp.getgrnam(group).gr_gid


def purge_rejected_files(settings: Settings) -> list[Path]:
    """Remove the raw copies of rejected exports older than the retention (LAKEHOUSE_QUARANTINE_DAYS); the
    register keeps what was rejected and why."""
    limit = time.time() - settings.quarantine_days * 86_400
    purged = [copy for copy in (settings.quarantine / "bestanden").glob("*/*")
              if copy.is_file() and copy.stat().st_mtime < limit]
    for copy in purged:
        copy.unlink()
    return purged


def open_to_readers(path: Path) -> None:
    """Open a published gold file (or folder) to every reader, whatever the run's umask."""
    os.chmod(path, PUBLISHED_FOLDER if path.is_dir() else PUBLISHED_FILE)
