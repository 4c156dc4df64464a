#!/usr/bin/env python3
"""`edxlog convert` against the plain read and against DuckDB writing Parquet, side by side.

    python benches/convert_bench.py [--size small|large] [--reps N] [--profile 2017]

Every job is a WHOLE PROCESS (interpreter start and imports included, as a user runs it), and
the jobs are interleaved: repetition r runs each once, in an order rotated by r, so a busy phase
of a shared machine hits all of them alike. Each figure is the best of N; only the ratios of one
run mean anything.

Jobs, on one synthetic export of the real-shaped profile (``benches/corpora.py``, cached):

- ``read_table``: ``python -c "edxlog.read_table(EXPORT)"``, the plain read (all columns);
- ``convert dataset``: ``edxlog convert EXPORT -o DIR -q`` (a dated Parquet dataset, zstd);
- ``convert .parquet``: ``edxlog convert EXPORT -o FILE.parquet -q``;
- ``duckdb COPY``: DuckDB's partial job (``baselines.DUCKDB_SQL``: common fields, ``time`` as
  TIMESTAMPTZ, the event string decoded; no warnings, rejects, answers, correct_map or event_id)
  as ``COPY (...) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)`` on the members extracted to
  ``.log.gz`` files (the same compressed bytes edxlog reads), and on plain ``.log`` files.

MB/s are decompressed JSON bytes per second. Targets (issue 8): convert to a dated dataset
>= 0.75x read_table, and >= 1.5x the DuckDB COPY job.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baselines import DUCKDB_SQL  # noqa: E402
from corpora import Corpus  # noqa: E402

SIZES = {
    "small": dict(servers=2, days=2, lines=10_000, reps=3),
    "medium": dict(servers=2, days=4, lines=25_000, reps=3),
    "large": dict(servers=2, days=4, lines=40_000, reps=3),
}
SEED = 2024
THREADS = 2

_DUCKDB_COPY = """
import duckdb, sys, json
files = json.loads(sys.argv[1])
con = duckdb.connect()
con.execute("SET threads = %d")
con.execute("SET preserve_insertion_order = true")
sql = %r.replace("CREATE OR REPLACE TABLE bench AS", "", 1)
con.execute("COPY (" + sql + ") TO '" + sys.argv[2] + "' (FORMAT parquet, COMPRESSION zstd)", {"files": files})
"""


def jobs(export: Path, gz_members: list, plain_members: list, scratch: Path) -> dict:
    py = sys.executable
    env = dict(os.environ)
    out_dir, out_file, duck_file = scratch / "ds", scratch / "one.parquet", scratch / "duck.parquet"

    def clean():
        shutil.rmtree(out_dir, ignore_errors=True)
        for f in (out_file, duck_file):
            f.unlink(missing_ok=True)

    import json

    duck = _DUCKDB_COPY % (THREADS, DUCKDB_SQL)
    return {
        "read_table": [py, "-c", f"import edxlog; edxlog.read_table({str(export)!r}, threads={THREADS})"],
        "convert dataset": [py, "-m", "edxlog", "convert", str(export), "-o", str(out_dir), "-q",
                            "--threads", str(THREADS)],
        "convert .parquet": [py, "-m", "edxlog", "convert", str(export), "-o", str(out_file), "-q",
                             "--threads", str(THREADS)],
        "duckdb COPY (.log.gz)": [py, "-c", duck, json.dumps(gz_members), str(duck_file)],
        "duckdb COPY (.log)": [py, "-c", duck, json.dumps(plain_members), str(duck_file)],
    }, clean, env


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--size", choices=SIZES, default="small")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--profile", default="2017")
    a = ap.parse_args(argv)
    cfg = SIZES[a.size]
    reps = a.reps or cfg["reps"]
    corpus = Corpus(a.profile, cfg["servers"], cfg["days"], cfg["lines"], SEED).ensure()
    export = corpus.path("gzm")
    gz_members, plain_members = corpus.members(gz=True), corpus.members()
    mb = corpus.nbytes / 1e6
    print(f"corpus: {a.profile} profile, {corpus.nlines:,} lines, {mb:,.1f} MB of JSON, {export.stat().st_size / 1e6:,.1f} MB "
          f"as a tar of gzipped members; threads={THREADS}; best of {reps}, whole processes")
    times: dict[str, list] = {}
    cpu: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="edxlog-convert-bench-", dir=HERE / ".corpora") as tmp:
        cmds, clean, env = jobs(export, gz_members, plain_members, Path(tmp))
        names = list(cmds)
        for r in range(reps):
            order = names[r % len(names):] + names[: r % len(names)]
            for name in order:
                clean()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                proc = subprocess.run(cmds[name], capture_output=True, env=env)
                dt = time.perf_counter() - t0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                cpu.setdefault(name, []).append(used)
                if proc.returncode != 0:
                    print(f"{name} failed: {proc.stderr.decode()[-2000:]}", file=sys.stderr)
                    return 1
                times.setdefault(name, []).append(dt)
                print(f"  rep {r + 1} {name:24} {dt:7.2f} s  {mb / dt:8.1f} MB/s  (CPU {used:6.2f} s)", flush=True)
        clean()
    best = {n: min(t) for n, t in times.items()}
    rate = {n: mb / t for n, t in best.items()}
    print()
    print("| job | best s | MB/s of JSON | least CPU s (user+sys, all threads) |")
    print("|---|---:|---:|---:|")
    for n in names:
        print(f"| {n} | {best[n]:.2f} | {rate[n]:.1f} | {min(cpu[n]):.2f} |")
    r_read = rate["convert dataset"] / rate["read_table"]
    r_duck = rate["convert dataset"] / rate["duckdb COPY (.log.gz)"]
    r_duck_plain = rate["convert dataset"] / rate["duckdb COPY (.log)"]
    print()
    print(f"convert dataset / read_table            = {r_read:.2f}  (target >= 0.75: {'met' if r_read >= 0.75 else 'NOT met'})")
    print(f"convert dataset / duckdb COPY (.log.gz) = {r_duck:.2f}  (target >= 1.5: {'met' if r_duck >= 1.5 else 'NOT met'})")
    print(f"convert dataset / duckdb COPY (.log)    = {r_duck_plain:.2f}")
    print(f"convert .parquet / read_table           = {rate['convert .parquet'] / rate['read_table']:.2f}")
    print(f"CPU: convert dataset / read_table       = {min(cpu['convert dataset']) / min(cpu['read_table']):.2f}"
          "  (on a busy machine the CPU seconds say more than the wall clock)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
