#!/usr/bin/env python3
"""edxlog.iter_events against what per-event scripts do today: json.loads per line, then
json.loads of the event when it is a string (edx2bigquery, event-routing-backends do this).

    python benches/events.py [--lines N] [--reps R] [--threads T]

One synthetic daily log (``edxlog.synth``), uncompressed, read by every job in the same run,
interleaved (repetition r runs every job once before repetition r+1); each figure is the best of
R repetitions. Rates are events per second and MB/s of log text; the ratios are what matter on a
shared machine. Also times ``edxlog.loads`` on single lines (it starts a reader per call).

The baselines are what users write: a ``for line in f`` loop with ``json.loads`` (and the same
with orjson, the fast JSON library such scripts switch to). They do less than iter_events (no
repairs, no GET decoding, no normalised time), which is the point of comparing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import edxlog
from edxlog import synth


def baseline_json(path: str) -> int:
    n = 0
    with open(path, "rb") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if not isinstance(ev, dict):
                continue
            payload = ev.get("event")
            if isinstance(payload, str):
                try:
                    ev["event"] = json.loads(payload)
                except ValueError:
                    pass
            n += 1
    return n


def baseline_orjson(path: str) -> int:
    import orjson

    n = 0
    with open(path, "rb") as f:
        for line in f:
            try:
                ev = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(ev, dict):
                continue
            payload = ev.get("event")
            if isinstance(payload, str):
                try:
                    ev["event"] = orjson.loads(payload)
                except orjson.JSONDecodeError:
                    pass
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=50_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="edxlog threads (default: cores)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tracking.log")
        with open(path, "wb") as f:
            for line in synth.iter_lines(7, args.lines, 0):
                f.write(line + b"\n")
        mb = os.path.getsize(path) / 1e6

        jobs = {
            "json.loads + event": lambda: baseline_json(path),
            "iter_events": lambda: sum(1 for _ in edxlog.iter_events(path, threads=args.threads)),
        }
        try:
            import orjson  # noqa: F401

            jobs["orjson.loads + event"] = lambda: baseline_orjson(path)
        except ImportError:
            pass
        best: dict = {}
        counts: dict = {}
        for r in range(args.reps):
            names = list(jobs)
            for name in names[r % len(names):] + names[: r % len(names)]:
                start = time.perf_counter()
                counts[name] = jobs[name]()
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)

        with open(path, "rb") as f:
            sample = [next(f) for _ in range(200)]
        start = time.perf_counter()
        for line in sample:
            try:
                edxlog.loads(line)
            except ValueError:
                pass
        loads_s = (time.perf_counter() - start) / len(sample)

    print(f"input: {args.lines} lines, {mb:.1f} MB uncompressed; best of {args.reps}; python {sys.version.split()[0]}")
    for name, seconds in best.items():
        print(f"  {name:22s} {counts[name] / seconds:10,.0f} events/s  {mb / seconds:7.1f} MB/s  ({counts[name]} events)")
    base = best["json.loads + event"]
    for name, seconds in best.items():
        if name != "json.loads + event":
            print(f"  ratio {name} / json.loads + event: {base / seconds:.2f}x")
    print(f"  edxlog.loads (one line per call): {loads_s * 1e6:,.0f} us per line ({1 / loads_s:,.0f} lines/s)")


if __name__ == "__main__":
    main()
