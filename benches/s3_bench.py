#!/usr/bin/env python3
"""Reading from S3 (a loopback S3 server) against reading the same file locally, side by side.

    python benches/s3_bench.py [--lines N] [--reps N] [--kind gzm|plain|tgz]

Starts moto's standalone server on loopback (as the tests do), uploads one synthetic export
(``edxlog.synth``: 2 servers x 4 days x N lines; ``gzm`` = a tar of gzipped members, ``plain``
= a tar of plain members, ``tgz`` = a .tar.gz), and times, interleaved in one run:

- ``local``: ``edxlog.read_table(path)`` on the local file (the ceiling);
- ``s3 edxlog``: ``edxlog.read_table("s3://…", storage_options=…)`` (8 MiB ranged reads, the
  next one in flight);
- ``s3 file object``: ``edxlog.read_table(s3fs.open(url))``, what a user might write without
  URL support (s3fs's default readahead file);
- ``download+read``: ``s3fs.get`` to a temporary file, then ``read_table`` on it;
- ``s3 fetch only``: ``s3fs.cat_file`` of the whole object (what the server can deliver);
- ``dir local`` / ``prefix s3 edxlog``: the same members as separate files in a local
  directory and as objects under a prefix (``s3://…/members/``), read by one call;
- ``s3 ranged fetch``: the same in 8 MiB ranged requests, one after another, no parsing (moto
  reads the whole object for every ranged GET, so on large objects this is the loopback
  server's own limit, not S3's).

Each figure is the best of ``--reps`` (median beside it). MB/s are bytes of the object (the
file as stored) per second. Loopback moto is a pure-Python server; a real S3 endpoint differs,
so only ratios of this run mean anything.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the loopback server helpers the tests use

from s3_server import BUCKET, moto_server, storage_options  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=36000, help="lines per member (8 members)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--kind", choices=["gzm", "plain", "tgz"], default="gzm")
    args = ap.parse_args()

    import s3fs

    import edxlog
    from edxlog import remote, synth

    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        tmp = Path(tmp)
        name = {"gzm": "export.tar", "plain": "export.tar", "tgz": "export.tar.gz"}[args.kind]
        path = tmp / name
        synth.generate(path, servers=2, days=4, lines=args.lines, seed=2024, plain_members=args.kind == "plain")
        size = path.stat().st_size
        opts = storage_options(endpoint)
        fs = s3fs.S3FileSystem(**opts)
        fs.mkdir(BUCKET)
        url = f"s3://{BUCKET}/bench/{name}"
        fs.put_file(str(path), url)
        expected = edxlog.read_table(str(path), columns=["event_id"]).num_rows
        # The same members as loose objects under a prefix (server/day.gz), and on disk.
        members_dir = tmp / "members"
        with tarfile.open(path) as tar:
            tar.extractall(members_dir, filter="data")
        prefix = f"s3://{BUCKET}/bench/members/"
        fs.put(str(members_dir) + "/", prefix, recursive=True)
        n_objects = len(remote.expand([prefix], opts))

        def check(table):
            assert table.num_rows == expected, (table.num_rows, expected)

        def download_and_read():
            local = tmp / ("dl-" + name)
            fs.get_file(url, str(local))
            check(edxlog.read_table(str(local)))
            local.unlink()

        def file_object():
            with fs.open(url, "rb") as f:
                check(edxlog.read_table(f))

        def ranged_fetch():
            # What edxlog asks the server for, without parsing: 8 MiB ranges one after another.
            for start in range(0, size, remote.CHUNK_BYTES):
                fs.cat_file(url, start=start, end=min(size, start + remote.CHUNK_BYTES))

        jobs = {
            "local": lambda: check(edxlog.read_table(str(path))),
            "s3 edxlog": lambda: check(edxlog.read_table(url, storage_options=opts)),
            "s3 file object": file_object,
            "download+read": download_and_read,
            "s3 fetch only": lambda: fs.cat_file(url),
            "s3 ranged fetch": ranged_fetch,
            "dir local": lambda: check(edxlog.read_table(str(members_dir))),
            "prefix s3 edxlog": lambda: check(edxlog.read_table(prefix, storage_options=opts)),
        }
        times: dict[str, list[float]] = {k: [] for k in jobs}
        for rep in range(args.reps):
            order = list(jobs)
            order = order[rep % len(order):] + order[: rep % len(order)]
            for k in order:
                t = time.perf_counter()
                jobs[k]()
                times[k].append(time.perf_counter() - t)

        mb = size / 1e6
        print(f"object: {name} ({args.kind}), {mb:.1f} MB, {expected} rows; best of {args.reps}")
        print(f"{'job':<16} {'best s':>8} {'MB/s':>8} {'median MB/s':>12} {'vs local':>9}")
        best_local = min(times["local"])
        for k, ts in times.items():
            best = min(ts)
            print(f"{k:<16} {best:8.3f} {mb / best:8.1f} {mb / statistics.median(ts):12.1f} "
                  f"{best_local / best:9.2f}")
        print(f"ratio s3 edxlog / local (MB/s): {best_local / min(times['s3 edxlog']):.2f}")
        print(f"ratio prefix of {n_objects} objects / local directory (MB/s): "
              f"{min(times['dir local']) / min(times['prefix s3 edxlog']):.2f}")


if __name__ == "__main__":
    main()
