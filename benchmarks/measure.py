"""Wall time and peak memory of a command's whole process tree, sampled while it runs."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field

import psutil

SAMPLE_SECONDS = 0.2


@dataclass
class Measured:
    command: list[str]
    seconds: float
    returncode: int
    samples: list[tuple[float, int]] = field(repr=False)  # (epoch seconds, RSS bytes of the tree)
    output: str = field(repr=False, default="")
    stopped_for_memory: bool = False

    @property
    def peak_rss(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    def peak_rss_between(self, start: float, end: float) -> int:
        """Peak over a window; a window shorter than one sample takes the sample nearest to it."""
        inside = [rss for t, rss in self.samples if start <= t <= end]
        if inside:
            return max(inside)
        nearest = min(self.samples, key=lambda s: abs(s[0] - start), default=(0, 0))
        return nearest[1]


def run_measured(command: list[str], env: dict[str, str], log_path, rss_limit: int | None = None) -> Measured:
    """Run `command` with output to `log_path`, sampling the RSS of it and all its children.

    A tree that grows beyond `rss_limit` bytes is stopped, so a baseline that runs out of memory is
    reported as such instead of taking the machine down.
    """
    with open(log_path, "w", encoding="utf-8") as log:
        started = time.monotonic()
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        samples: list[tuple[float, int]] = []
        stopped = threading.Event()
        sampler = threading.Thread(target=_sample, args=(process.pid, samples, rss_limit, stopped), daemon=True)
        sampler.start()
        returncode = process.wait()
        seconds = time.monotonic() - started
        sampler.join()
    output = open(log_path, encoding="utf-8").read()
    return Measured(command, seconds, returncode, samples, output, stopped.is_set())


def _sample(pid: int, samples: list[tuple[float, int]], rss_limit: int | None, stopped: threading.Event) -> None:
    try:
        root = psutil.Process(pid)
        while root.is_running() and root.status() != psutil.STATUS_ZOMBIE:
            samples.append((time.time(), _tree_rss(root)))
            if rss_limit and samples[-1][1] > rss_limit:
                stopped.set()
                for process in [*root.children(recursive=True), root]:
                    process.kill()
            time.sleep(SAMPLE_SECONDS)
    except psutil.NoSuchProcess:
        pass


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total
