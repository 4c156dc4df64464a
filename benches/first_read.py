"""The first read of a fresh process against the steady state (issue 11: first >= 0.85x).

Usage: ``python benches/first_read.py [PATH] [--reads 4] [--trials 3] [--threads N]``

Each trial starts a fresh interpreter, imports edxlog (and pyarrow) and times ``--reads``
``edxlog.read_table(PATH)`` calls one after the other, dropping each table before the next.
Its ratio is the best of the later reads' times over the first read's time (1.0: the first
read is as fast as the steady state). The trials run alternately in separate processes so a
busy machine hurts them alike; the median ratio is reported. Without PATH a tar of gzipped
members (about 130 MB of JSON, made by ``edxlog.synth``) is written once to a temporary
directory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CODE = r"""
import json, sys, time
import pyarrow
import edxlog
path, reads, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kw = {} if threads == "default" else {"threads": int(threads)}
times = []
for _ in range(reads):
    start = time.perf_counter()
    table = edxlog.read_table(path, **kw)
    times.append(time.perf_counter() - start)
    rows = table.num_rows
    del table
print(json.dumps({"times": times, "rows": rows}))
"""


def default_corpus() -> str:
    from edxlog import synth

    d = os.path.join(tempfile.gettempdir(), "edxlog-first-read")
    path = os.path.join(d, "gz-members.tar")
    if not os.path.exists(path):
        os.makedirs(d, exist_ok=True)
        synth.generate(path + ".part", servers=2, days=4, lines=16_000, seed=5)
        os.replace(path + ".part", path)
    return path


def trial(path: str, reads: int, threads: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CODE, path, str(reads), threads],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?")
    ap.add_argument("--reads", type=int, default=4)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--threads", default="default")
    args = ap.parse_args()
    path = args.path or default_corpus()
    ratios = []
    for i in range(args.trials):
        r = trial(path, args.reads, args.threads)
        first, rest = r["times"][0], min(r["times"][1:])
        ratios.append(rest / first)
        print("trial %d: first %.3f s, best of the others %.3f s, ratio %.2f (times: %s)"
              % (i + 1, first, rest, rest / first, ", ".join("%.3f" % t for t in r["times"])))
    ratio = statistics.median(ratios)
    print("first read / steady state: %.2f (median of %d trials; target >= 0.85: %s)"
          % (ratio, len(ratios), "met" if ratio >= 0.85 else "not met"))


if __name__ == "__main__":
    main()
