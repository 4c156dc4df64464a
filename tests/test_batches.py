"""Batches: full across member boundaries, rows keeping their own source and line; and the
Python surface of the core's single definitions (defaults, stats names, rejects schema)."""

from __future__ import annotations

import gzip
import io
import tarfile

import pyarrow as pa
import pytest

import edxlog
from edxlog import _core
from conftest import line


def small_members_tar(path, members: int, lines: int, gz: bool):
    with tarfile.open(path, "w") as tar:
        for m in range(members):
            data = b"".join(line(username=f"m{m}-{i}") + b"\n" for i in range(lines))
            if gz:
                data = gzip.compress(data, mtime=0)
            info = tarfile.TarInfo(f"srv{m % 3}/tracking.log-{m:05d}" + (".gz" if gz else ""))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_many_small_members_give_full_batches_not_one_per_member(tmp_path, gz):
    path = small_members_tar(tmp_path / "many.tar", 2000, 20, gz)
    for threads in (1, 3):
        with edxlog.read(path, batch_size=4096, threads=threads) as reader:
            batches = list(reader)
            stats = reader.stats
        assert stats["members"] == 2000 and stats["rows"] == 40_000
        sizes = [b.num_rows for b in batches]
        # About full batches (a work item holds whole members; a gzipped member's line count is
        # unknown until it is inflated), never one per member.
        assert max(sizes) <= 4096 and len(sizes) <= 2 * 10, sizes
        if not gz:
            assert min(sizes[:-1]) >= 4096 - 20, sizes
        table = pa.Table.from_batches(batches)
        # Each row keeps where it came from, across the batch boundaries.
        assert table.column("username").to_pylist() == [f"m{m}-{i}" for m in range(2000) for i in range(20)]
        assert table.column("line").to_pylist() == list(range(1, 21)) * 2000
        sources = table.column("source").to_pylist()
        assert sources[20 * 1234] == "srv1/tracking.log-01234" + (".gz" if gz else "")
        assert table.column("server").to_pylist()[20 * 1234] == "srv1"


def test_read_defaults_come_from_the_core():
    import inspect

    params = inspect.signature(edxlog.read).parameters
    for name, value in _core.DEFAULTS.items():
        assert params[name].default == value, name
    assert _core.DEFAULTS == {"batch_size": 65536, "max_line_bytes": 64 * 2**20, "max_rejects": 10_000}


def test_stats_keys_and_rejects_schema_are_the_core_s(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(line(username="a") + b"\nnot json\n")
    with edxlog.read(path) as reader:
        reader.read_all()
        assert tuple(reader.stats) == _core.STATS_FIELDS
        assert reader.rejects().schema.equals(_core.rejects_schema())
        assert reader.rejects().num_rows == 1


def test_test_hooks_are_not_on_the_public_surface():
    for hook in ("inflate_only", "_debug_build", "panic_on"):
        assert not hasattr(edxlog, hook) and not hasattr(_core, hook), hook
    assert isinstance(_core._testing.debug_build, bool)
