"""Contract §6, the time rule: `YYYY-MM-DD[T ]hh:mm:ss[.f{1,9}][Z|+-hh:mm|+-hhmm]` ->
microseconds since the epoch, UTC (src/record/time.rs).

No offset means UTC (the seed says the time is GMT). Extra fraction digits are truncated.
"""

from __future__ import annotations

import re

_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?:(Z)|([+-])([0-9]{2}):?([0-9]{2}))?"
)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_time(text: str):
    """Microseconds since the epoch (UTC), or None when the text is not a valid time.

    Choice: an offset must have hours < 24 and minutes < 60; no surrounding whitespace.
    """
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    if not _is_valid_date(year, month, day) or hour > 23 or minute > 59 or second > 59:
        return None
    fraction = match.group(7)
    micros = int(fraction[:6].ljust(6, "0")) if fraction else 0  # extra digits truncated
    offset = _offset_seconds(match.group(9), match.group(10), match.group(11))
    if offset is None:
        return None
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return (seconds - offset) * 1_000_000 + micros


def _is_valid_date(year, month, day) -> bool:
    if not 1 <= month <= 12:
        return False
    days_in_month = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month]
    return 1 <= day <= days_in_month


def _offset_seconds(sign, hours, minutes):
    """Seconds east of UTC (0 for 'Z' or no offset), or None for an impossible offset."""
    if not sign:
        return 0
    off_hours, off_minutes = int(hours), int(minutes)
    if off_hours > 23 or off_minutes > 59:
        return None
    return (off_hours * 3600 + off_minutes * 60) * (1 if sign == "+" else -1)


def _is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_from_civil(year, month, day):
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year 0000-9999)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468
