"""Fixtures of the pytest-benchmark benchmarks (``python -m pytest benches --benchmark-only``).

The corpora are small synthetic exports made once per session by ``edxlog.synth`` (a few MB),
so the whole suite runs in about a minute; ``benches/compare.py`` is the side-by-side comparison
on realistic sizes. These files are not collected by ``python -m pytest`` (``testpaths`` is
``tests``).
"""

from __future__ import annotations

import gzip

import pytest

SERVERS, DAYS, LINES, SEED = 2, 2, 2000, 99   # 4 members, ~8 MB of JSON
REF_LINES = 300                                 # the reference reads 4 x 300 lines


@pytest.fixture(scope="session")
def corpora(tmp_path_factory) -> dict:
    """{"plain": tar of plain members, "gzm": tar of gzipped members, "tgz": .tar.gz,
    "ref": a small tar of plain members for the pure-Python reference, "bytes": JSON bytes of
    the big three, "ref_bytes": of the small one}."""
    from edxlog import synth

    d = tmp_path_factory.mktemp("bench-corpora")
    out = {}
    st = synth.generate(d / "plain.tar", servers=SERVERS, days=DAYS, lines=LINES, seed=SEED,
                        plain_members=True)
    out["plain"] = d / "plain.tar"
    synth.generate(d / "gzm.tar", servers=SERVERS, days=DAYS, lines=LINES, seed=SEED)
    out["gzm"] = d / "gzm.tar"
    out["tgz"] = d / "export.tar.gz"
    out["tgz"].write_bytes(gzip.compress(out["plain"].read_bytes(), 6, mtime=0))
    out["bytes"] = st["bytes_raw"]
    rst = synth.generate(d / "ref.tar", servers=SERVERS, days=DAYS, lines=REF_LINES, seed=SEED,
                         plain_members=True)
    out["ref"] = d / "ref.tar"
    out["ref_bytes"] = rst["bytes_raw"]
    return out


def mb_per_s(benchmark, nbytes: int) -> None:
    """Record the corpus size so MB/s can be read from the saved JSON (extra_info)."""
    benchmark.extra_info["json_bytes"] = nbytes
    stats = getattr(benchmark, "stats", None)
    if stats is not None and getattr(stats, "stats", None) is not None and stats.stats.min:
        benchmark.extra_info["MB/s (best)"] = round(nbytes / 1e6 / stats.stats.min, 1)


def pending(exc: Exception, what: str):
    pytest.skip("%s is not in the installed core yet (%s)" % (what, exc))

