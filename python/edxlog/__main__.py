"""Command line: summarise tracking logs, or convert them to Parquet.

    python -m edxlog examples/sample.tar.gz
    python -m edxlog logs/ --parquet events.parquet
"""

from __future__ import annotations

import argparse
import json
import sys

import edxlog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edxlog", description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="+", help='paths (tar, tar.gz, gz, log, directory) or "-" for stdin')
    parser.add_argument("--parquet", metavar="OUT", help="write the rows to this Parquet file")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--on-error", choices=["skip", "raise"], default="skip")
    args = parser.parse_args(argv)

    source = args.source[0] if len(args.source) == 1 else args.source
    reader = edxlog.read(source, threads=args.threads, on_error=args.on_error)
    try:
        if args.parquet:
            import pyarrow.parquet as pq

            with pq.ParquetWriter(args.parquet, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
            rows = reader.stats["rows"]
        else:
            rows = reader.read_all().num_rows
    except edxlog.EdxlogError as e:
        print(f"edxlog: {e}", file=sys.stderr)
        return 1
    print(f"rows: {rows}")
    print(f"stats: {json.dumps(reader.stats)}")
    if not args.parquet:
        print("schema:")
        for field in reader.schema:
            print(f"  {field.name}: {field.type}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
