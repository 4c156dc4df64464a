"""Synthetic edX / Open edX course-data export generator (standard library only).

Command line::

    python -m edxlog.synth OUT.tar[.gz] --servers N --days D --lines L --seed S \\
        [--profile classic|2017] [--plain-members] [--manifest FILE]

writes a tar (gzip-compressed as a whole when OUT ends with ``.tar.gz`` or ``.tgz``) laid out like
the edX course-data export: one directory per server (``prod-edxapp-001/`` ...) holding one
logrotate-style daily member per day (``prod-edxapp-001/tracking.log-20140502.gz``), each of L
physical lines. ``--plain-members`` stores the members uncompressed (for benchmarks). The same
arguments always give byte-identical output (on the same Python/zlib): every random choice comes
from ``random.Random`` seeded from the seed, gzip headers carry mtime 0, and tar headers carry
fixed mtimes, owners and modes.

Python API::

    generate(path, *, servers=2, days=2, lines=1000, seed=0, profile="classic", plain_members=False)
    iter_lines(rng_or_seed, n, day=0, *, server="prod-edxapp-001", profile="classic")  # bytes, no newline
    write_log(path_or_fileobj, lines)                                 # .gz paths are gzipped

``generate`` returns what it wrote: totals, counts by kind and oddity, and a ``manifest`` with
one entry per member (name, lines, bytes, blank and unreadable lines).
``iter_lines(seed, L, day, server=s, profile=p)`` with an integer seed yields exactly the lines of
member ``s``/day ``day`` of ``generate(..., seed=seed, lines=L, profile=p)``.

Profiles (``profiles/``):

- ``classic`` (default): every era from 2013 to 2020 (day ``k`` is ``ANCHOR_DATES[k % 8] + k // 8``
  days, so ``--days 2`` already spans the 2014 and 2016 shapes), every event family, and every
  oddity of real logs at raised rates (see :data:`RATES`, :data:`FORCED`): blank, garbage and
  half-written lines, logging prefixes, NUL and BOM prefixes, invalid UTF-8, duplicate keys,
  events cut at 512 characters, multi-member gzip streams. Within one member of at least
  :data:`COVERAGE_MIN_LINES` lines every event kind of the member's era and every oddity of
  :data:`FORCED` appears at least once.
- ``2017``: shaped like a real 2016-18 edx.org export: about 81 % implicit URL events (the
  ``event`` a JSON string), modern named events, a ``context`` on every line, no unreadable
  line, about 780 bytes a line.

Layout: ``families/`` builds the events of one family each (video, problems, navigation and
``edx.ui.lms.*``, textbooks, open-ended assessment, implicit URL events, enrollments and
bookmarks, forums) as :class:`~.event.Event` values; ``envelope.py`` puts user, time, context,
key order and line oddities around them; ``member.py`` holds one member's state;
``lines.py`` plans a member's lines; ``export.py`` and ``writer.py`` write the tar and gzip.
"""

from __future__ import annotations

from .cli import main
from .eras import ANCHOR_DATES, ERA, day_date, export_dates, member_name, server_name
from .export import generate
from .lines import iter_lines
from .oddities import COVERAGE_MIN_LINES, FORCED, RATES
from .profiles import NAMES as PROFILES
from .profiles.classic import KIND_WEIGHTS, SEED_EVENT_TYPES
from .writer import write_log

__all__ = [
    "ANCHOR_DATES",
    "COVERAGE_MIN_LINES",
    "ERA",
    "FORCED",
    "KIND_WEIGHTS",
    "PROFILES",
    "RATES",
    "SEED_EVENT_TYPES",
    "day_date",
    "export_dates",
    "generate",
    "iter_lines",
    "main",
    "member_name",
    "server_name",
    "write_log",
]
