"""The release wheel is what users install: `maturin build --release` makes an abi3 wheel, and
that wheel, installed into a fresh venv outside the source tree (pyarrow from PyPI), reads the
sample. In CI, `pip install ".[test]"` has already compiled the release build into target/, so
this build only re-links and packs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

import edxlog
from conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.wheel

SCRIPT = """
import json, sys
import edxlog, edxlog.events, edxlog.spark  # edxlog.spark imports without pyspark installed
table = edxlog.read_table(sys.argv[1])
event = edxlog.loads(b'{"event_type": "play_video", "event": "{\\\\"currentTime\\\\": 3}"}')
print(json.dumps({"file": edxlog.__file__, "version": edxlog.__version__, "rows": table.num_rows,
                  "schema": table.schema.equals(edxlog.SCHEMA), "event": event["event"]}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    maturin = shutil.which("maturin")
    cmd = [maturin] if maturin else [sys.executable, "-m", "maturin"]
    proc = subprocess.run(cmd + ["build", "--release", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_release_wheel_is_abi3_and_holds_the_package(wheel):
    # PEP 427 name: edxlog-<version>-cp39-abi3-<platform>.whl: one wheel for every CPython >= 3.9
    name = re.fullmatch(r"edxlog-([^-]+)-cp39-abi3-([^-]+)\.whl", wheel.name)
    assert name, wheel.name
    assert name.group(1) == edxlog.__version__
    with zipfile.ZipFile(wheel) as z:
        files = set(z.namelist())
        metadata = z.read(next(f for f in files if f.endswith(".dist-info/METADATA"))).decode()
    assert {"edxlog/__init__.py", "edxlog/_core.abi3.so", "edxlog/_core.pyi", "edxlog/py.typed",
            "edxlog/events.py", "edxlog/spark.py"} <= files
    assert not any(f.startswith(("tests/", "src/")) for f in files)
    assert "Requires-Dist: pyarrow>=14" in metadata


def test_wheel_installed_in_a_fresh_venv_reads_the_sample(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              str(wheel)], capture_output=True, text=True, env=env, timeout=1200)
    assert install.returncode == 0, install.stderr[-3000:]
    # Run outside the source tree, so nothing can be imported from it.
    run = subprocess.run([str(python), "-c", SCRIPT, str(EXAMPLE)], cwd=tmp_path, capture_output=True,
                         text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["file"].startswith(str(venv)), got["file"]
    assert got["version"] == edxlog.__version__
    assert got["rows"] == edxlog.read_table(EXAMPLE).num_rows == 1186
    assert got["schema"] is True
    assert got["event"] == {"currentTime": 3}
