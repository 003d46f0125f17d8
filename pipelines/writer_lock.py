"""One writer at a time on a data root, whoever starts the run: `make run`, the nightly schedule, the landing
sensor, a second shell, or another machine that mounts the same data root.

The lock is a file on the data root (`.lakehouse.lock`) locked with flock(2): the kernel releases it when its
holder exits, however it exits (a SIGKILL included), so a crashed run's lock never blocks the next. Linux carries
flock over NFS as a lock of the server, so machines sharing the mount exclude each other too. The file says who
holds it (pid, host, run id, since when), for the message of the run that finds it held. Where the file system
offers no locks at all (flock fails with ENOLCK or EOPNOTSUPP), the lock is an exclusively created companion
file instead, refreshed while it is held: it is stale when its process is gone (same host) or it was not
refreshed for STALE_AFTER_SECONDS (another host).
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.settings import Settings

LOCK_FILE = ".lakehouse.lock"
POLL_SECONDS = 1.0
REFRESH_SECONDS = 30  # without kernel locks: how often the holder touches its companion file
STALE_AFTER_SECONDS = 300  # without kernel locks: a companion file not touched this long belongs to a dead run
NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS)


class WriterBusy(RuntimeError):
    """Another run writes this data root."""


def lock_path(settings: Settings) -> Path:
    return settings.data_root / LOCK_FILE


@contextmanager
def writer_lock(settings: Settings, run_id: str, wait_seconds: float | None = None) -> Iterator[dict]:
    """Hold the data root's writer lock for the block, waiting up to `wait_seconds` (default: the setting
    LAKEHOUSE_LOCK_WAIT) for another run to finish; WriterBusy names that run when it does not."""
    wait = settings.lock_wait_seconds if wait_seconds is None else wait_seconds
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        owner = _owner(run_id)
        try:
            _acquire(descriptor, path, wait)
        except OSError as err:
            if err.errno not in NO_LOCKS:
                raise
            with _companion_lock(path, owner, wait):
                yield owner
            return
        _write_owner(descriptor, owner)
        try:
            yield owner
        finally:
            os.ftruncate(descriptor, 0)  # nobody holds it: a reader finds no owner
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def current_writer(settings: Settings) -> str | None:
    """Who writes the data root now, as a sentence; None when nobody does. For the sensor, which must not
    start a run the lock would refuse."""
    path = lock_path(settings)
    if not path.exists():
        return None
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _describe(path)
    except OSError as err:
        if err.errno not in NO_LOCKS:
            raise
        companion = _companion(path)
        return _describe(companion) if companion.exists() and not _stale(companion) else None
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return None
    finally:
        os.close(descriptor)


def _acquire(descriptor: int, path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WriterBusy(_busy_message(path, wait)) from None
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.01)))


def _owner(run_id: str) -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "run_id": run_id,
            "sinds": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def _write_owner(descriptor: int, owner: dict) -> None:
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, json.dumps(owner).encode(), 0)
    os.fsync(descriptor)


def _describe(path: Path) -> str:
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
        return f"run {owner['run_id']} (pid {owner['pid']} on {owner['host']}, since {owner['sinds']})"
    except (OSError, ValueError, KeyError):
        return "a run that has not yet said who it is"


def _busy_message(path: Path, wait: float) -> str:
    waited = f" and did not finish within {wait:.0f} s" if wait else ""
    return (f"another run writes this data root: {_describe(path)}{waited}; lock {path}. It is released when that "
            "run ends, however it ends; set LAKEHOUSE_LOCK_WAIT=<seconds> to wait for it instead.")


def _companion(path: Path) -> Path:
    return path.with_name(path.name + ".houder")


@contextmanager
def _companion_lock(path: Path, owner: dict, wait: float) -> Iterator[None]:
    """The lock on a file system without locks: an exclusively created file naming its owner, refreshed while
    held, taken over once stale."""
    companion = _companion(path)
    deadline = time.monotonic() + wait
    while True:
        try:
            descriptor = os.open(companion, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            if _stale(companion):
                _remove_stale(companion)
                continue
            if time.monotonic() >= deadline:
                raise WriterBusy(_busy_message(companion, wait)) from None
            time.sleep(POLL_SECONDS)
    try:
        _write_owner(descriptor, owner)
    finally:
        os.close(descriptor)
    stop = threading.Event()
    refresher = threading.Thread(target=_refresh, args=(companion, stop), daemon=True)
    refresher.start()
    try:
        yield
    finally:
        stop.set()
        refresher.join()
        companion.unlink(missing_ok=True)


def _refresh(companion: Path, stop: threading.Event) -> None:
    while not stop.wait(REFRESH_SECONDS):
        os.utime(companion)


def _stale(companion: Path) -> bool:
    try:
        age = time.time() - companion.stat().st_mtime
        owner = json.loads(companion.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False  # just released: the next attempt takes it
    except ValueError:
        owner = {}  # its owner died between creating and describing it, or is about to describe it
    if owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int):
        return not _alive(owner["pid"])
    return age > STALE_AFTER_SECONDS


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(companion: Path) -> None:
    """Take a stale companion file away. Best effort, as without kernel locks there is no atomic take-over: two
    runs that find it stale at the same moment could both go on, which is why flock is used wherever it works."""
    companion.unlink(missing_ok=True)
