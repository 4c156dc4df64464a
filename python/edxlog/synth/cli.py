"""``python -m edxlog.synth OUT --servers N --days D --lines L --seed S [--profile 2017]``."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import profiles
from .export import generate


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m edxlog.synth",
                                 description="Write a synthetic edX course-data export (tar of server "
                                             "directories holding daily gzipped tracking logs).")
    ap.add_argument("out", help="output path: .tar, or .tar.gz/.tgz to gzip the whole tar")
    ap.add_argument("--servers", type=int, default=2, help="number of server directories (default 2)")
    ap.add_argument("--days", type=int, default=2, help="daily members per server (default 2)")
    ap.add_argument("--lines", type=int, default=1000, help="physical lines per member (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--profile", choices=profiles.NAMES, default="classic",
                    help="classic: every era and oddity (default); 2017: shaped like a real 2016-18 export "
                         "(~81 %% implicit URL events, ~780 bytes a line, no unreadable lines)")
    ap.add_argument("--plain-members", action="store_true", help="store members uncompressed")
    ap.add_argument("--start", default=None,
                    help="first day YYYY-MM-DD for consecutive days (default: the profile's era anchor dates)")
    ap.add_argument("--level", type=int, default=6, help="gzip level (default 6)")
    ap.add_argument("--manifest", metavar="FILE",
                    help="also write what was generated (counts, one entry per member) as JSON to FILE")
    ap.add_argument("--quiet", "-q", action="store_true")
    a = ap.parse_args(argv)
    if a.servers < 1 or a.days < 1 or a.lines < 0:
        ap.error("--servers and --days must be >= 1, --lines >= 0")
    st = generate(a.out, servers=a.servers, days=a.days, lines=a.lines, seed=a.seed, profile=a.profile,
                  plain_members=a.plain_members, start=a.start, level=a.level)
    if a.manifest:
        with open(a.manifest, "w") as f:
            json.dump(st, f, indent=1, sort_keys=True)
    if not a.quiet:
        print("%s: %d members, %d lines, %d bytes of logs, %d bytes written"
              % (a.out, st["members"], st["lines"], st["bytes_raw"], os.path.getsize(a.out)),
              file=sys.stderr)
    return 0
