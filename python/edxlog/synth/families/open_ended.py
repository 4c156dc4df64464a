"""Open-ended assessment: the 2013-15 ORA1 browser events (``rubric_select``, ``oe_*``,
``peer_grading_*``, ``staff_grading_*``) and ORA2's ``openassessmentblock.create_submission``."""

from __future__ import annotations

import uuid

from ..event import Event
from ..vocabulary import hex_id

SHOW_HIDE_KINDS = ("oe_show_problem", "oe_hide_problem", "peer_grading_show_problem",
                   "peer_grading_hide_problem", "staff_grading_show_problem", "staff_grading_hide_problem")


def rubric_select(member, kind, course, user, flags):
    rng = member.rng
    ev = {"location": rng.choice(course.ora), "category": member.num(rng.randint(0, 3), flags),
          "value": member.num(rng.randint(0, 3), flags)}
    return Event("browser", kind, ev, member.courseware_page(course), "/event")


def show_hide(member, kind, course, user, flags):
    return Event("browser", kind, {"location": member.rng.choice(course.ora)}, member.courseware_page(course), "/event")


def feedback_shown(member, kind, course, user, flags):
    """oe_show_full_feedback, oe_show_respond_to_feedback: an empty payload, "" or "{}"."""
    payload = member.rng.choice(["", "{}"])
    return Event("browser", kind, payload, member.courseware_page(course), "/event", verbatim=True)


def feedback_response(member, kind, course, user, flags):
    payload = {"value": member.num(member.rng.randint(0, 5), flags)}
    return Event("browser", kind, payload, member.courseware_page(course), "/event")


def ora2_submission(member, kind, course, user, flags):
    rng = member.rng
    blk = course.block("openassessment", hex_id(rng))
    ts = "%sT%02d:%02d:%02d.%06d+00:00" % (member.date_s, rng.randrange(24), rng.randrange(60), rng.randrange(60),
                                           rng.randrange(10**6))
    ev = {"answer": {"parts": [{"text": member.answer("text", 0, flags, rng.random() < 0.3)}]},
          "attempt_number": 1, "created_at": ts, "submitted_at": ts,
          "submission_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
    path = "/courses/%s/xblock/%s/handler/submit" % (course.id, blk)
    return Event("server", "openassessmentblock.create_submission", ev, "x_module", path,
                 module=member.module(course, blk, "Open Response Assessment"), named=True, module_event=True)


BUILDERS = dict({k: show_hide for k in SHOW_HIDE_KINDS}, rubric_select=rubric_select,
                oe_show_full_feedback=feedback_shown, oe_show_respond_to_feedback=feedback_shown,
                oe_feedback_response_selected=feedback_response, ora2_submission=ora2_submission)
