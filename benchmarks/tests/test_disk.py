"""The bench refuses a scale the disk cannot hold, before it generates anything."""

import shutil
from collections import namedtuple

import pytest

from benchmarks import scale

Usage = namedtuple("Usage", "total used free")


def test_a_national_scale_on_a_disk_without_room_is_refused_before_generating(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(100 * 1024**3, 50 * 1024**3, 50 * 1024**3))
    generated = []
    monkeypatch.setattr(scale, "_generate", lambda *args: generated.append(args))

    with pytest.raises(SystemExit, match=r"342 gemeente\(n\) need about 72 GB free in .*gemeenten_342, 50 GB is"):
        scale.bench_scale(342, 3, tmp_path / "gemeenten_342")

    assert generated == []
    scale._enough_disk(tmp_path, 10)  # ten municipalities need about 2.1 GB
