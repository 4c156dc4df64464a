"""The command line before `edxlog convert` existed, kept working with a deprecation notice.

    python -m edxlog SRC...                  -> prints rows, counters and schema  (now: edxlog stats)
    python -m edxlog SRC... --parquet OUT    -> one Parquet file               (now: edxlog convert SRC -o OUT)

It is recognised when the first argument is not a command or a global option, and is an
existing path or ``-`` (anything else is left to click, which reports an unknown command). It will be removed
in a later release; the notice on stderr says what to run instead.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

_GLOBAL = {"-h", "--help", "-V", "--version", "--debug"}


def is_legacy(args: list[str], commands) -> bool:
    if not args:
        return False
    first = args[0]
    if first in commands or first in _GLOBAL:
        return False
    import os

    return first == "-" or os.path.exists(first)


def run(args: list[str]) -> int:
    import edxlog

    parser = argparse.ArgumentParser(prog="edxlog", description="(deprecated form; see `edxlog --help`)")
    parser.add_argument("source", nargs="+")
    parser.add_argument("--parquet", metavar="OUT")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--on-error", choices=["skip", "raise"], default="skip")
    ns = parser.parse_args(args)
    srcs = " ".join(shlex.quote(s) for s in ns.source)
    instead = f"edxlog convert {srcs} -o {shlex.quote(ns.parquet)} --format parquet" if ns.parquet \
        else f"edxlog stats {srcs}"
    print(f"edxlog: deprecated form; use: {instead}", file=sys.stderr)

    source = ns.source[0] if len(ns.source) == 1 else ns.source
    try:
        reader = edxlog.read(source, threads=ns.threads, on_error=ns.on_error)
        if ns.parquet:
            import pyarrow.parquet as pq

            with pq.ParquetWriter(ns.parquet, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
            rows = reader.stats["rows"]
        else:
            rows = reader.read_all().num_rows
    except (edxlog.EdxlogError, OSError) as e:
        print(f"edxlog: error: {e}", file=sys.stderr)
        return 1
    print(f"rows: {rows}")
    print(f"stats: {json.dumps(reader.stats)}")
    if not ns.parquet:
        print("schema:")
        for field in reader.schema:
            print(f"  {field.name}: {field.type}")
    return 0
