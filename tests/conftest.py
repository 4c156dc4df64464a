"""Shared test helpers: where the real logs live, and small builders of inputs."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Real logs from public projects, read in place (never copied into the repo).
REALDATA = ROOT.parent / "shared" / "realdata"
EXAMPLE = ROOT / "examples" / "sample.tar.gz"


def realdata_files() -> list[Path]:
    if not REALDATA.is_dir():
        pytest.fail(f"the real logs are missing: {REALDATA} (shared/ must sit beside the repo)")
    return sorted(p for p in REALDATA.iterdir() if p.name != "README.md")


def line(**fields) -> bytes:
    """One tracking-log line from keyword fields (``event`` may be a dict or a string)."""
    return json.dumps(fields).encode()


def write_lines(path: Path, lines: list[bytes], *, gz: bool = False) -> Path:
    data = b"".join(l + b"\n" for l in lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def make_tar(path: Path, members: dict[str, bytes], *, compress: bool = False, fmt=tarfile.GNU_FORMAT) -> Path:
    """A tar with the given members (name → bytes), optionally gzipped whole."""
    with tarfile.open(path, "w:gz" if compress else "w", format=fmt) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="session")
def synth_corpus(tmp_path_factory) -> Path:
    """A tar of gzipped daily members from the generator (4 members x 1500 lines)."""
    from edxlog import synth

    path = tmp_path_factory.mktemp("synth") / "export.tar"
    synth.generate(path, servers=2, days=2, lines=1500, seed=7)
    return path
