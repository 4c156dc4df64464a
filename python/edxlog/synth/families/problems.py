"""Capa problem events: the browser's ``problem_check`` (a GET string), ``problem_save``,
``problem_graded`` and ``problem_show``; the server's module events (``problem_check`` with
answers and correct_map, ``save_problem_check``, ``show_answer``/``showanswer``,
``reset_problem``); hints (``edx.problem.hint.demandhint_displayed``) and
``edx.grades.problem.submitted``."""

from __future__ import annotations

import datetime as _dt
import json
import uuid

from ..event import Event
from ..vocabulary import RESPONSE_TYPES, compact_json

# from this day on the server's problem_check carries a "submission" per input
_SUBMISSION_FROM = _dt.date(2014, 3, 1)
_HANDLERS = {"reset_problem": "problem_reset", "show_answer": "problem_show", "showanswer": "problem_show"}


def browser_problem(member, kind, course, user, flags):
    """problem_check (kind problem_check_browser), problem_save, problem_graded."""
    p = member.rng.choice(course.problems)
    get = member.get_string(member.answers(p, flags), flags)
    et = "problem_check" if kind == "problem_check_browser" else kind
    if kind == "problem_graded":
        if member.quoted_get:
            ev = compact_json([get, p.html()])     # a JSON string holding a list
        else:
            ev = [get, p.html()]                   # a real JSON array
    elif member.quoted_get:
        ev = json.dumps(get)                        # "\"input_...=...&...\""
    else:
        ev = get
    return Event("browser", et, ev, member.courseware_page(course), "/event", verbatim=True)


def problem_show(member, kind, course, user, flags):
    p = member.rng.choice(course.problems)
    return Event("browser", "problem_show", {"problem": p.id}, member.courseware_page(course), "/event")


def _module_event(member, course, p, event_type, payload, handler, module_event=True, named=False):
    return Event("server", event_type, payload, "x_module", course.handler_url("problem", p.hex, handler, member.day),
                 module=member.module(course, p.id, p.display), module_event=module_event, named=named)


def show_answer(member, kind, course, user, flags):
    p = member.rng.choice(course.problems)
    return _module_event(member, course, p, kind, {"problem_id": p.id}, _HANDLERS[kind])


def reset_problem(member, kind, course, user, flags):
    p = member.rng.choice(course.problems)
    st = member.state(p)
    ev = {"old_state": dict(st, done=True, student_answers=member.answers(p, flags)), "problem_id": p.id,
          "new_state": st}
    return _module_event(member, course, p, kind, ev, "problem_reset")


def server_check(member, kind, course, user, flags):
    """The server's problem_check (kind problem_check_server) and save_problem_check."""
    rng = member.rng
    p = rng.choice(course.problems)
    ans = member.answers(p, flags)
    cm = member.correct_map(p, ans, flags)
    ok = {k: v["correctness"] == "correct" for k, v in cm.items()}
    success = "correct" if all(ok.values()) else "incorrect"
    attempts = rng.randint(1, 5)
    if "correct_map_string" in flags or rng.random() < member.rates["correct_map_string"]:
        flags.add("correct_map_string")
        cm = json.dumps(cm)
    if kind == "save_problem_check":
        ev = {"success": success, "correct_map": cm, "answers": ans, "attempts": attempts,
              "state": member.state(p), "problem_id": p.id}
        return _module_event(member, course, p, kind, ev, "problem_check")
    ev = {}
    if member.day >= _SUBMISSION_FROM:
        sub = {}
        for k, (input_kind, _) in zip(ans, p.inputs + [("text", 0)] * len(ans)):
            input_type, response_type = RESPONSE_TYPES[input_kind]
            sub[k] = {"input_type": input_type, "question": "", "response_type": response_type,
                      "answer": ans[k], "variant": "", "correct": ok[k]}
        ev["submission"] = sub
    ev.update({"success": success, "grade": sum(ok.values()), "correct_map": cm, "state": member.state(p),
               "answers": ans, "attempts": attempts, "max_grade": len(ans), "problem_id": p.id})
    return _module_event(member, course, p, "problem_check", ev, "problem_check")


def demandhint(member, kind, course, user, flags):
    p = member.rng.choice(course.problems)
    ev = {"hint_index": member.rng.randint(0, 2), "hint_len": 3, "hint_text": "Think about the units.",
          "module_id": p.id}
    return _module_event(member, course, p, "edx.problem.hint.demandhint_displayed", ev, "hint_button",
                         module_event=False, named=True)


def grades_submitted(member, kind, course, user, flags):
    rng = member.rng
    p = rng.choice(course.problems)
    possible = rng.choice([1, 2, 3, 3, 5, 10])
    earned = rng.randint(0, possible)
    if rng.random() < 0.2:                  # weighted scores are floats when a weight applies
        earned, possible = round(earned * 0.5, 2), possible * 0.5
    ev = {"user_id": str(user.user_id), "course_id": course.id, "problem_id": p.id,
          "event_transaction_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
          "event_transaction_type": "edx.grades.problem.submitted",
          "weighted_earned": earned, "weighted_possible": possible}
    return Event("server", "edx.grades.problem.submitted", ev, "x_module",
                 course.handler_url("problem", p.hex, "problem_check", member.day),
                 module=member.module(course, p.id, p.display),
                 named=True)


BUILDERS = {"problem_check_browser": browser_problem, "problem_save": browser_problem,
            "problem_graded": browser_problem, "problem_show": problem_show,
            "show_answer": show_answer, "showanswer": show_answer, "reset_problem": reset_problem,
            "save_problem_check": server_check, "problem_check_server": server_check,
            "demandhint": demandhint, "grades_submitted": grades_submitted}
