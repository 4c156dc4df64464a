"""Shared test helpers: where the real logs live, and small builders of inputs."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

# The loopback S3 server of the S3 tests (moto, one per session, started on first use).
from s3_server import s3_endpoint, s3_opts, s3  # noqa: F401  (fixtures)

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


@pytest.fixture(scope="session")
def spark():
    """One local Spark (local[2]) for the whole test session: starting one costs seconds."""
    import os
    import shutil
    import sys

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("the Spark tests need Java 17 (java on PATH or JAVA_HOME)")
    from pyspark.sql import SparkSession

    # Executors run this interpreter and import the edxlog these tests import (the Python
    # workers inherit the environment, but not the working directory a relative path needs).
    import edxlog

    saved = {name: os.environ.get(name) for name in ("PYSPARK_PYTHON", "PYTHONPATH")}
    os.environ["PYSPARK_PYTHON"] = sys.executable
    here = str(Path(edxlog.__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, saved["PYTHONPATH"]) if p)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("edxlog-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# ---- big inputs built streaming at test time (nothing large is committed) -----------------

#: Sizes of the biggest inputs are multiplied by this: 1 for a release build (CI installs one
#: with `pip install .`), 1/32 for a debug build (`maturin build --profile dev`), which is about
#: 30 times slower. The outcomes asserted are exact either way.
BIG = 1 / 32 if __import__("edxlog._core")._core._testing.debug_build else 1

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def write_gzip_repeated(path: Path, chunk: bytes, times: int) -> int:
    """One gzip member whose data is ``chunk * times``, written in seconds for any size.

    Each copy of ``chunk`` is deflated once and full-flushed (which resets the compressor, so
    every later copy compresses to the same bytes); the CRC and length trailer are computed over
    the whole data. Returns the decompressed size.
    """
    import zlib

    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    first = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    assert comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH) == again
    final = comp.flush(zlib.Z_FINISH)
    crc = 0
    with open(path, "wb") as f:
        f.write(GZIP_HEADER)
        for i in range(times):
            f.write(first if i == 0 else again)
            crc = zlib.crc32(chunk, crc)
        f.write(final)
        f.write(crc.to_bytes(4, "little") + ((len(chunk) * times) & 0xFFFFFFFF).to_bytes(4, "little"))
    return len(chunk) * times


def run_python(code: str, *, timeout: float = 300, env=None) -> dict:
    """Runs ``code`` in a fresh interpreter; it must print one JSON object as its last line.
    The result gains ``maxrss_mb`` (``ru_maxrss``) and ``hwm_mb`` (``VmHWM``): peak memory."""
    import os
    import subprocess
    import sys

    prelude = "import json, resource, sys, time\n"
    # On Linux ru_maxrss survives exec: a child forked straight from pytest starts at pytest's
    # own RSS (hundreds of MB late in a run). A shell in between forks the child from a small
    # process, so its ru_maxrss is its own. VmHWM (this process's own peak) is reported too.
    epilogue = (
        "\n_out['maxrss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "_out['hwm_mb'] = next(int(l.split()[1]) for l in open('/proc/self/status')"
        " if l.startswith('VmHWM')) / 1024\n"
        "print(json.dumps(_out))\n"
    )
    proc = subprocess.run(
        ["/bin/sh", "-c", '"$0" -c "$1"; exit $?', sys.executable, prelude + code + epilogue],
        capture_output=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])
