"""Fixtures of the pytest-benchmark benchmarks (``python -m pytest benches --benchmark-only``).

The corpora are small synthetic exports of both generator profiles (``2017``, shaped like a real
export, and the ``classic`` mix), made once per session in a temporary directory (a few MB
each), so the whole suite runs in a minute or two; ``benches/compare.py`` is the side-by-side
comparison with the targets. These files are not collected by ``python -m pytest``
(``testpaths`` is ``tests``).
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

SERVERS, DAYS, LINES, SEED = 2, 2, 2000, 99   # 4 members, ~6-8 MB of JSON
REF_LINES = 300                                 # the reference reads 4 x 300 lines
PROFILES = ["2017", "classic"]


@pytest.fixture(scope="session", params=PROFILES)
def corpora(request, tmp_path_factory) -> dict:
    """{"profile", "plain": tar of plain members, "gzm": tar of gzipped members, "files": the
    members extracted to .log files, "ref": a small tar of plain members for the pure-Python
    reference, "many": a tar of 400 members of 20 lines, "bytes", "ref_bytes", "many_bytes"}."""
    from edxlog import synth

    profile = request.param
    d = tmp_path_factory.mktemp("bench-corpora-" + profile)
    out = {"profile": profile}
    st = synth.generate(d / "gzm.tar", servers=SERVERS, days=DAYS, lines=LINES, seed=SEED, profile=profile)
    out["gzm"] = d / "gzm.tar"
    out["bytes"] = st["bytes_raw"]
    members = []
    with tarfile.open(out["gzm"]) as src:
        members = [(m.name[:-3], gzip.decompress(src.extractfile(m).read())) for m in src if m.isfile()]
    out["plain"] = _tar(d / "plain.tar", members)
    files = []
    for name, data in members:
        p = d / (name.replace("/", "__") + ".log")
        p.write_bytes(data)
        files.append(str(p))
    out["files"] = files
    ref = [(name, b"".join(data.splitlines(keepends=True)[:REF_LINES])) for name, data in members]
    out["ref"] = _tar(d / "ref.tar", ref)
    out["ref_bytes"] = sum(len(x) for _, x in ref)
    lines = b"".join(x for _, x in members).splitlines(keepends=True)[:400 * 20]
    out["many"] = _tar(d / "many.tar", [("srv/log-%04d" % i, b"".join(lines[i * 20:(i + 1) * 20])) for i in range(400)])
    out["many_bytes"] = sum(len(x) for x in lines)
    return out


def _tar(path, members):
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), 0
            tar.addfile(ti, io.BytesIO(data))
    return path


def mb_per_s(benchmark, nbytes: int) -> None:
    """Record the corpus size so MB/s can be read from the saved JSON (extra_info)."""
    benchmark.extra_info["json_bytes"] = nbytes
    stats = getattr(benchmark, "stats", None)
    if stats is not None and getattr(stats, "stats", None) is not None and stats.stats.min:
        benchmark.extra_info["MB/s (best)"] = round(nbytes / 1e6 / stats.stats.min, 1)
