"""A learner's relation to a course: ``edx.course.enrollment.*`` and the 2016+ bookmarks
(``edx.bookmark.*``). Both carry the course in the payload; requests made through the REST APIs
leave ``context.course_id`` empty (the course is only in the payload)."""

from __future__ import annotations

from ..event import Event
from ..vocabulary import hex_id

_ENROLLMENT_TYPES = ["edx.course.enrollment.activated"] * 3 + ["edx.course.enrollment.deactivated",
                                                               "edx.course.enrollment.mode_changed"]
_MODES = ["honor", "audit", "verified"]


def enrollment(member, kind, course, user, flags):
    """kind enrollment: the LMS's /change_enrollment; kind enrollment_api: the enrollment REST
    API (2015+), whose context has no course."""
    rng = member.rng
    et = rng.choice(_ENROLLMENT_TYPES)
    ev = {"course_id": course.id, "user_id": user.user_id, "mode": rng.choice(_MODES)}
    if kind == "enrollment_api":
        return Event("server", et, ev, None, "/api/enrollment/v1/enrollment", named=True, course_in_context=False)
    return Event("server", et, ev, None, "/change_enrollment", named=True)


def bookmark(member, kind, course, user, flags):
    rng = member.rng
    chap, seqs = rng.choice(course.chapters)
    usage = course.block("vertical", hex_id(rng))
    r = rng.random()
    if r < 0.45:
        et = "edx.bookmark.added"
        ev = {"course_id": course.id, "bookmark_id": "%s,%s" % (user.username, usage), "component_type": "vertical",
              "component_usage_id": usage}
    elif r < 0.6:
        et = "edx.bookmark.removed"
        ev = {"course_id": course.id, "bookmark_id": "%s,%s" % (user.username, usage), "component_type": "vertical",
              "component_usage_id": usage}
    else:
        et = "edx.bookmark.listed"
        ev = {"course_id": course.id, "list_type": "per_course", "bookmarks_count": rng.randint(0, 12),
              "page_size": 10, "page_number": 1}
    return Event("server", et, ev, None, "/api/bookmarks/v1/bookmarks/", named=True, course_in_context=False)


BUILDERS = {"enrollment": enrollment, "enrollment_api": enrollment, "bookmark": bookmark}
