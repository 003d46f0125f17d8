"""The generation floor: writing the same bytes into the same number of files, without generating them.

`python -m benchmarks.write_floor LANDING SCRATCH` writes, for every file under LANDING, a file of the same size
and name into SCRATCH, in as many processes as the machine has cores (generation uses as many), a batch of drop
folders (municipalities) at a time: it flushes each batch to disk as the bench flushes generation's files, and
removes it before the next, so the floor needs only a batch's space beside the landing. Prints the seconds spent
writing and flushing (not removing), the files and the bytes as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

BATCH = 20  # drop folders written before a flush


def write_floor(landing: Path, scratch: Path, processes: int = os.cpu_count() or 1) -> dict:
    seconds, files, size = 0.0, 0, 0
    folders = _drop_folders(landing)
    with ProcessPoolExecutor(processes) as pool:
        for batch in (folders[i:i + BATCH] for i in range(0, len(folders), BATCH)):
            started = time.perf_counter()
            written = list(pool.map(partial(_write_like, landing=landing, scratch=scratch), batch))
            os.sync()
            seconds += time.perf_counter() - started
            files, size = files + sum(n for n, _ in written), size + sum(b for _, b in written)
            shutil.rmtree(scratch, ignore_errors=True)
    return {"seconds": seconds, "files": files, "bytes": size}


def _write_like(drop_folder: Path, landing: Path, scratch: Path) -> tuple[int, int]:
    """Write a file of the same name and size as every file of this drop folder; return the files and bytes."""
    sizes = [(p.relative_to(landing), p.stat().st_size) for p in drop_folder.rglob("*")
             if p.is_file() and not (drop_folder == landing and p.relative_to(landing).parts[0].startswith("GM"))]
    buffer = b"x" * max((s for _, s in sizes), default=0)
    for relative, length in sizes:
        target = scratch / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(buffer[:length])
    return len(sizes), sum(s for _, s in sizes)


def _drop_folders(landing: Path) -> list[Path]:
    """The platform's own landing and every municipality's drop folder in it (landing/GMxxxx/)."""
    return [landing] + sorted(p for p in landing.glob("GM*") if p.is_dir())


if __name__ == "__main__":
    print(json.dumps(write_floor(Path(sys.argv[1]), Path(sys.argv[2]))))
