"""Contract §5: course_id, org_id and user_id (src/record/course.rs and `course_and_org` in
src/record/mod.rs).

`context` gives them when it can; otherwise course_id is the event payload's own (bookmark,
enrollment and grade events), or is found in the page URL or in a URL-shaped event type, in both the `course-v1:Org+Num+Run` and `Org/Num/Run` forms.
"""

from __future__ import annotations

import re

from .convert import to_int

_COURSE_V1 = re.compile(r"(?:course|ccx)-v1:[^/?# \t\n\v\f\r]*")
_COURSES_PATH = re.compile(
    r"/courses/([^/?# \t\n\v\f\r]+)/([^/?# \t\n\v\f\r]+)/([^/?# \t\n\v\f\r]+)"
)


def course_fields(context, payload, record, warnings):
    """course_id, org_id and user_id into ``record`` (``context`` is a dict or None;
    ``payload`` the decoded event, whose own course_id comes after context's)."""
    course_id = _non_empty_string(context.get("course_id")) if context else None
    if course_id is None and payload.kind == "object":
        course_id = _non_empty_string(payload.value.get("course_id"))
    if course_id is None:
        course_id = course_id_from_url(record["page"])
    if course_id is None:
        event_type = record["event_type"]
        if isinstance(event_type, str) and event_type.startswith(("/", "http")):
            course_id = course_id_from_url(event_type)
    record["course_id"] = course_id
    org_id = _non_empty_string(context.get("org_id")) if context else None
    record["org_id"] = org_id if org_id is not None else org_from_course_id(course_id)
    record["user_id"] = to_int(context.get("user_id"), "user_id", warnings) if context else None


def course_id_from_url(url):
    """The course id in a URL or URL path, or None.

    Choice: the leftmost `course-v1:` or `ccx-v1:` id that has at least two '+' (an earlier
    one with fewer is passed over); failing that the leftmost `/courses/<a>/<b>/<c>` with three
    non-empty segments. Segments end at / ? # or ASCII whitespace (the set of §2).
    """
    if not isinstance(url, str):
        return None
    for match in _COURSE_V1.finditer(url):
        if match.group().count("+") >= 2:
            return match.group()
    match = _COURSES_PATH.search(url)
    if match is not None:
        return "/".join(match.groups())
    return None


def org_from_course_id(course_id):
    """'course-v1:Org+Num+Run' -> Org; 'Org/Num/Run' -> Org; otherwise None.

    Choice: a `*-v1:` id without a '+' after the ':', or an empty result, gives None.
    """
    if not course_id:
        return None
    colon = course_id.find(":")
    if colon > 0 and course_id[:colon].endswith("-v1"):
        plus = course_id.find("+", colon + 1)
        return (course_id[colon + 1:plus] or None) if plus >= 0 else None
    slash = course_id.find("/")
    return (course_id[:slash] or None) if slash >= 0 else None


def _non_empty_string(value):
    return value if isinstance(value, str) and value else None
