"""Helpers of the CLI tests: run `python -m edxlog` in a subprocess, build exports, read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
from conftest import make_tar

ORDER = [("source", "ascending"), ("line", "ascending")]


def edxlog_cli(*args, input: bytes | None = None, timeout: float = 120, env=None) -> subprocess.CompletedProcess:
    """`python -m edxlog ARGS...`, with text stdout/stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "edxlog", *map(str, args)],
        input=input,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    proc.stdout = proc.stdout.decode("utf-8", "replace")
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    return proc


def ok(*args, **kw) -> subprocess.CompletedProcess:
    proc = edxlog_cli(*args, **kw)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The error output is exactly one line, without a traceback."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("edxlog: error: "), lines[0]
    return lines[0]


def members_of(tar_path: Path) -> dict[str, bytes]:
    with tarfile.open(tar_path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isreg()}


def pack(path: Path, members: dict[str, bytes], *, gz: bool = False) -> Path:
    return make_tar(path, members, compress=gz)


def read_dataset(root: Path, *, hive: bool = True) -> pa.Table:
    """Every data file of a dataset (pyarrow skips `_rejects/`, `_tmp/`, the manifest)."""
    part = "hive" if hive else None
    return pads.dataset(root, format="parquet", partitioning=part).to_table()


def without_date(table: pa.Table) -> pa.Table:
    return table.drop_columns(["date"]) if "date" in table.column_names else table


def same_rows(a: pa.Table, b: pa.Table) -> bool:
    return a.sort_by(ORDER).equals(b.sort_by(ORDER))


def visible_files(root: Path) -> list[str]:
    """Files a query engine globbing for data would see (outside `_tmp/`, not hidden)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "_tmp"]
        out += [os.path.relpath(os.path.join(dirpath, f), root) for f in filenames if f.endswith(".parquet")]
    return sorted(out)


def summary_json(path: Path) -> dict:
    return json.loads(path.read_text())
