"""The export: a tar of server directories holding one daily member each, as edX's course-data
exports are laid out (``prod-edxapp-001/tracking.log-20140502.gz``)."""

from __future__ import annotations

import datetime as _dt
import os
import random
import tarfile
import tempfile

from . import profiles
from .eras import export_dates, member_name, server_name
from .lines import iter_lines, member_rng
from .writer import GzipWriter, write_member


def generate(path, *, servers=2, days=2, lines=1000, seed=0, plain_members=False, start=None,
             level=6, coverage=True, stats=None, profile="classic"):
    """Write a synthetic course-data export tar to `path` (gzip-compressed whole when the path
    ends with .tar.gz or .tgz) and return what it holds.

    The returned dict (`stats`, updated in place when given) has ``members``, ``lines``
    (physical lines), ``bytes_raw`` (uncompressed member bytes), counts by generator kind
    (``kind:<kind>``) and oddity (``odd:<name>``), and ``manifest``: one entry per member, in
    tar order, ``{"name", "lines", "bytes", "blank", "unreadable"}`` (``blank``: blank lines;
    ``unreadable``: garbage and half-written lines, which a reader must reject)."""
    prof = profiles.get(profile)
    path = os.fspath(path)
    stats = {} if stats is None else stats
    manifest = stats.setdefault("manifest", [])
    dates = sorted(export_dates(days, start, prof.anchors))
    split_rate = prof.rates["multi_member_gzip"]
    gz_outer = path.endswith((".tar.gz", ".tgz"))
    with open(path, "wb") as raw:
        outer = GzipWriter(raw, level) if gz_outer else raw
        with tarfile.open(fileobj=outer, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for si in range(servers):
                srv = server_name(si)
                tar.addfile(_tarinfo(srv + "/", dates[-1] if dates else _dt.date(2014, 5, 2), directory=True))
                for d in dates:
                    counts = {}
                    ls = iter_lines(member_rng(seed, srv, d, prof), lines, d, server=srv, world_seed=seed,
                                    coverage=coverage, stats=counts, profile=prof)
                    gz_rng = random.Random("edxlog-synth-gz:%s:%s:%s" % (seed, srv, d.strftime("%Y%m%d")))
                    with tempfile.SpooledTemporaryFile(max_size=256 << 20) as spool:
                        n = write_member(spool, ls, lines, plain_members, level, gz_rng, split_rate)
                        size = spool.tell()
                        spool.seek(0)
                        name = member_name(srv, d, plain_members)
                        tar.addfile(_tarinfo(name, d, size=size), spool)
                    manifest.append({"name": name, "lines": lines, "bytes": n,
                                     "blank": counts.get("odd:blank_line", 0),
                                     "unreadable": counts.get("odd:garbage_line", 0)
                                     + counts.get("odd:partial_line", 0)})
                    for k, v in counts.items():
                        stats[k] = stats.get(k, 0) + v
                    stats["members"] = stats.get("members", 0) + 1
                    stats["lines"] = stats.get("lines", 0) + lines
                    stats["bytes_raw"] = stats.get("bytes_raw", 0) + n
        if gz_outer:
            outer.close()
    return stats


def _tarinfo(name, day, size=0, directory=False):
    ti = tarfile.TarInfo(name)
    # logrotate's daily run, the morning after the day the log covers
    ti.mtime = int(_dt.datetime(day.year, day.month, day.day, 6, 25, tzinfo=_dt.timezone.utc).timestamp()) + 86400
    ti.uid = ti.gid = 33
    ti.uname = ti.gname = "www-data"
    if directory:
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
    else:
        ti.mode = 0o644
        ti.size = size
    return ti
