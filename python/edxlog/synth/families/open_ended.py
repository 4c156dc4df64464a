"""Open-ended assessment: the 2013-15 ORA1 browser events (``rubric_select``, ``oe_*``,
``peer_grading_*``, ``staff_grading_*``) and ORA2's ``openassessmentblock.create_submission``."""

from __future__ import annotations

import uuid

from ..event import Event
from ..vocabulary import hex_id

SHOW_HIDE_KINDS = ("oe_show_problem", "oe_hide_problem", "peer_grading_show_problem",
                   "peer_grading_hide_problem", "staff_grading_show_problem", "staff_grading_hide_problem")


def rubric_select(m, kind, c, u, flags):
    rng = m.rng
    ev = {"location": rng.choice(c.ora), "category": m.num(rng.randint(0, 3), flags),
          "value": m.num(rng.randint(0, 3), flags)}
    return Event("browser", kind, ev, m.courseware_page(c), "/event")


def show_hide(m, kind, c, u, flags):
    return Event("browser", kind, {"location": m.rng.choice(c.ora)}, m.courseware_page(c), "/event")


def feedback_shown(m, kind, c, u, flags):
    """oe_show_full_feedback, oe_show_respond_to_feedback: an empty payload, "" or "{}"."""
    return Event("browser", kind, m.rng.choice(["", "{}"]), m.courseware_page(c), "/event", verbatim=True)


def feedback_response(m, kind, c, u, flags):
    return Event("browser", kind, {"value": m.num(m.rng.randint(0, 5), flags)}, m.courseware_page(c), "/event")


def ora2_submission(m, kind, c, u, flags):
    rng = m.rng
    blk = c.block("openassessment", hex_id(rng))
    ts = "%sT%02d:%02d:%02d.%06d+00:00" % (m.date_s, rng.randrange(24), rng.randrange(60), rng.randrange(60),
                                          rng.randrange(10**6))
    ev = {"answer": {"parts": [{"text": m.answer("text", 0, flags, rng.random() < 0.3)}]},
          "attempt_number": 1, "created_at": ts, "submitted_at": ts,
          "submission_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
    path = "/courses/%s/xblock/%s/handler/submit" % (c.id, blk)
    return Event("server", "openassessmentblock.create_submission", ev, "x_module", path,
                 module=m.module(c, blk, "Open Response Assessment"), named=True, module_event=True)


BUILDERS = dict({k: show_hide for k in SHOW_HIDE_KINDS}, rubric_select=rubric_select,
                oe_show_full_feedback=feedback_shown, oe_show_respond_to_feedback=feedback_shown,
                oe_feedback_response_selected=feedback_response, ora2_submission=ora2_submission)
