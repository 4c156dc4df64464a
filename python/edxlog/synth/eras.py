"""Days, eras and names: which date a day index means, what each era's logs look like, and the
names of servers and members in the export."""

from __future__ import annotations

import datetime as _dt

# Era thresholds: the feature applies to days >= (or <) the date.
ERA = {
    "context_from": _dt.date(2013, 8, 1),       # before: no "context" key at all
    "short_context_from": _dt.date(2014, 8, 1),  # before: context repeats username/ip/agent/host/session
    "unquoted_get_from": _dt.date(2015, 1, 1),   # before: problem_check event is "\"input_...\""
    "named_from": _dt.date(2015, 1, 1),          # name / referer / accept_language fields
    "spaced_json_from": _dt.date(2015, 6, 1),    # browser payload strings re-serialised with spaces
    "course_v1_from": _dt.date(2014, 9, 1),      # course-v1 courses appear
    "xblock_urls_from": _dt.date(2014, 1, 1),    # before: /modx/i4x://... handler URLs
    "py3_order_from": _dt.date(2019, 1, 1),      # named server events in Python 3 key order
    "page_close_obj_from": _dt.date(2018, 1, 1),  # page_close event "{}" instead of ""
    "answervariable_from": _dt.date(2016, 1, 1),  # correct_map entries gain "answervariable"
}

ANCHOR_DATES = (
    _dt.date(2014, 5, 2), _dt.date(2016, 9, 7), _dt.date(2013, 6, 11), _dt.date(2015, 8, 4),
    _dt.date(2018, 3, 14), _dt.date(2020, 4, 18), _dt.date(2013, 11, 20), _dt.date(2017, 5, 10),
)


def day_date(day, anchors=ANCHOR_DATES) -> _dt.date:
    """A day index, date, datetime or "YYYYMMDD"/"YYYY-MM-DD" string -> datetime.date.

    Day index ``k`` is ``anchors[k % len(anchors)] + k // len(anchors)`` days: a profile's
    anchors spread even a two-day export over its eras."""
    if isinstance(day, _dt.datetime):
        return day.date()
    if isinstance(day, _dt.date):
        return day
    if isinstance(day, str):
        s = day.replace("-", "")
        return _dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    if isinstance(day, int) and day >= 0:
        return anchors[day % len(anchors)] + _dt.timedelta(days=day // len(anchors))
    raise ValueError("day must be a non-negative int, a date or a YYYYMMDD string: %r" % (day,))


def export_dates(days: int, start=None, anchors=ANCHOR_DATES) -> list:
    """The dates of a `days`-day export: era anchors by default, else consecutive from `start`."""
    if start is None:
        return [day_date(i, anchors) for i in range(days)]
    d0 = day_date(start)
    return [d0 + _dt.timedelta(days=i) for i in range(days)]


def server_name(i: int) -> str:
    return "prod-edxapp-%03d" % (i + 1)


def member_name(server: str, day, plain: bool = False) -> str:
    return "%s/tracking.log-%s%s" % (server, day_date(day).strftime("%Y%m%d"), "" if plain else ".gz")
