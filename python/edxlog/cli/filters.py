"""Row filters of `edxlog convert`: what goes to the reader's pushdown, what is done on batches.

Exact ``--event-type`` names go to the reader (``event_types=``: most other lines are skipped
before they are parsed, and counted by the reader as ``filtered``). Globs (``*_video``), times
and courses are applied to each batch with pyarrow compute; the rows they drop are counted as
filtered too, so ``lines == rows + rejects + blank + filtered`` still holds in the summary.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from edxlog.cli.arrow_build import booleans, strings, utc_timestamp

_GLOB_CHARS = frozenset("*?[")


def is_glob(pattern: str) -> bool:
    return any(c in _GLOB_CHARS for c in pattern)


def glob_to_regex(pattern: str) -> str:
    """An anchored RE2 regex for a shell glob (``*``, ``?``, ``[abc]``, ``[!abc]``)."""
    out, i, n = ["^"], 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))
            else:
                body = pattern[i:j]
                i = j + 1
                negate = body[:1] in ("!", "^")
                if negate:
                    body = body[1:]
                body = body.replace("\\", "\\\\")
                out.append("[" + ("^" if negate else "") + body + "]")
        else:
            out.append(re.escape(c))
    out.append("$")
    return "".join(out)


def parse_time(text: str, *, end: bool) -> dt.datetime:
    """A UTC bound from ``YYYY-MM-DD`` or an ISO time. A bare date used as an end (``--until``)
    means the end of that day, so ``--until 2014-05-31`` includes May 31."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
            return start + dt.timedelta(days=1) if end else start
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a date or time: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM])") from None
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)


class RowFilter:
    def __init__(self, event_types: Sequence[str] = (), since: Optional[str] = None,
                 until: Optional[str] = None, courses: Sequence[str] = ()):
        self.pushdown: Optional[list[str]] = None
        self.regex: Optional[str] = None
        if event_types:
            if any(is_glob(p) for p in event_types):
                self.regex = "|".join(f"(?:{glob_to_regex(p)})" for p in event_types)
            else:
                self.pushdown = list(dict.fromkeys(event_types))
        self.since = parse_time(since, end=False) if since else None
        self.until = parse_time(until, end=True) if until else None
        if self.since and self.until and self.since >= self.until:
            raise ValueError("--since must be before --until")
        self.courses = strings(list(dict.fromkeys(courses))) if courses else None

    @property
    def columns(self) -> set[str]:
        """Columns the batch filters read."""
        need = set()
        if self.regex:
            need.add("event_type")
        if self.since or self.until:
            need.add("time")
        if self.courses is not None:
            need.add("course_id")
        return need

    @property
    def active(self) -> bool:
        return bool(self.columns)

    def apply(self, table: pa.Table) -> tuple[pa.Table, int]:
        """The rows that pass, and how many were dropped."""
        if not self.active or table.num_rows == 0:
            return table, 0
        masks = []
        if self.regex:
            masks.append(pc.match_substring_regex(table.column("event_type"), self.regex))
        if self.since:
            masks.append(pc.greater_equal(table.column("time"), utc_timestamp(self.since)))
        if self.until:
            masks.append(pc.less(table.column("time"), utc_timestamp(self.until)))
        if self.courses is not None:
            masks.append(pc.is_in(table.column("course_id"), value_set=self.courses))
        mask = masks[0]
        for m in masks[1:]:
            mask = pc.and_kleene(mask, m)
        mask = pc.fill_null(mask, booleans([False])[0])  # a null time or course is in no range or list
        kept = table.filter(mask)
        return kept, table.num_rows - kept.num_rows


class Deduper:
    """Drops rows whose ``event_id`` was already seen in this run (``--dedupe``).

    ``event_id`` is the XXH3-128 of the line, so identical lines (the same event delivered twice)
    share it. The set keeps the first 64 bits of each id: memory grows with the rows (about 70
    bytes a row), which is why it is an option; two different lines collide with odds of about
    n^2 / 2^65 (10^-7 for 10^6 rows).
    """

    def __init__(self):
        self.seen: set[int] = set()

    def apply(self, table: pa.Table) -> tuple[pa.Table, int]:
        if table.num_rows == 0:
            return table, 0
        ids = table.column("event_id").combine_chunks()
        words = memoryview(ids.buffers()[1]).cast("B").cast("Q")
        firsts = words[ids.offset * 2:(ids.offset + len(ids)) * 2:2].tolist()
        seen = self.seen
        keep = []
        for v in firsts:
            if v in seen:
                keep.append(False)
            else:
                seen.add(v)
                keep.append(True)
        if all(keep):
            return table, 0
        kept = table.filter(booleans(keep))
        return kept, table.num_rows - kept.num_rows
