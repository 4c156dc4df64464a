"""One member's state (its day, era, users' sessions, random stream) and the helpers that every
event family shares: answers, GET strings, correct maps, course URLs."""

from __future__ import annotations

import bisect
import json

from .eras import ERA
from .vocabulary import (AGENTS, LONG_TEXT, NON_ASCII_ANSWERS, TEXT_ANSWERS, compact_json, form_encode,
                         hex_id)


class Member:
    """The generator's state while it writes one server's daily log.

    The era flags (``named``, ``spaced``, ...) come from the day and :data:`ERA`; the kinds of
    event and their weights, and the oddity rates, from the profile."""

    def __init__(self, world, rng, day, server, profile):
        self.w, self.rng, self.day, self.server = world, rng, day, server
        self.profile = profile
        self.rates = profile.rates
        e = ERA
        self.has_context = day >= e["context_from"]
        self.full_context = day < e["short_context_from"]
        self.quoted_get = day < e["unquoted_get_from"]
        self.named = day >= e["named_from"]
        self.spaced = day >= e["spaced_json_from"]
        self.py3 = day >= e["py3_order_from"]
        self.year = day.year
        ay = max(y for y in AGENTS if y <= max(self.year, 2013))
        self.agents = AGENTS[ay]
        self.date_s = day.strftime("%Y-%m-%d")
        self.lms = "courses.edx.org"
        self.studio = "studio.edx.org"
        if profile.catalog == "2017":
            self.courses = self.w.courses_2017()
        elif day >= e["course_v1_from"]:
            self.courses = self.w.new_courses * 3 + self.w.old_courses
        else:
            self.courses = list(self.w.old_courses)
        self.sessions = {}
        kinds = [(k, wt) for k, (wt, a, b) in profile.kind_weights.items() if a <= day < b]
        self.kinds = [k for k, _ in kinds]
        self.cum = []
        acc = 0.0
        for _, wt in kinds:
            acc += wt
            self.cum.append(acc)
        self.total = acc

    # -- helpers ------------------------------------------------------------------------------
    def pick_kind(self):
        return self.kinds[bisect.bisect_right(self.cum, self.rng.random() * self.total)]

    def payload_str(self, obj):
        if self.spaced:
            return json.dumps(obj, ensure_ascii=False)
        return compact_json(obj)

    def session(self, u):
        s = self.sessions.get(u.username)
        if s is None:
            s = self.sessions[u.username] = hex_id(self.rng)
        return s

    def num(self, v, flags):
        if "numbers_as_strings" in flags or self.rng.random() < self.rates["numbers_as_strings"]:
            flags.add("numbers_as_strings")
            return str(v)
        return v

    def page_url(self, c, path):
        return "https://%s%s" % (self.lms, path)

    def courseware_page(self, c):
        """The URL of a random courseware page of course `c` (the page a browser event came from)."""
        return self.page_url(c, self.courseware_path(c))

    def courseware_path(self, c):
        rng = self.rng
        chap, seqs = rng.choice(c.chapters)
        return "/courses/%s/courseware/%s/%s/" % (c.id, chap, rng.choice(seqs))

    def answer(self, kind, nch, flags, long=False):
        rng = self.rng
        if kind == "choice":
            return "choice_%d" % rng.randrange(nch)
        if kind == "checkbox":
            return ["choice_%d" % i for i in sorted(rng.sample(range(nch), rng.randint(1, nch)))]
        if kind == "numerical":
            return rng.choice(["3.14", "4500", "5", "-2.5e3", "0.5", "1/3"])
        if kind == "option":
            return rng.choice(["blue", "yellow", "green", "red"])
        if long:
            return "".join(rng.choice(LONG_TEXT) for _ in range(rng.randint(8, 14)))
        if "non_ascii_answer" in flags or rng.random() < self.rates["non_ascii_answer"]:
            flags.add("non_ascii_answer")
            return rng.choice(NON_ASCII_ANSWERS)
        return rng.choice(TEXT_ANSWERS)

    def answers(self, p, flags, long=False):
        out = {}
        for key, (kind, nch) in zip(p.keys, p.inputs):
            out[key] = self.answer(kind, nch, flags, long and kind == "text")
        if "non_ascii_answer" in flags and not any(k == "text" for k, _ in p.inputs):
            out[p.keys[-1]] = self.rng.choice(NON_ASCII_ANSWERS)
        if long and not any(k == "text" for k, _ in p.inputs):
            out[p.keys[0] + "_comment"] = self.answer("text", 0, flags, True)
        return out

    def get_string(self, answers, flags):
        lit = self.rng.random() < self.rates["literal_brackets"]
        parts = []
        for key, v in answers.items():
            if isinstance(v, list):
                k = "input_" + key + ("[]" if lit else "%5B%5D")
                parts.extend("%s=%s" % (k, form_encode(x)) for x in v)
            else:
                parts.append("input_%s=%s" % (form_encode(key), form_encode(v)))
        return "&".join(parts)

    def correct_map(self, p, answers, flags):
        rng = self.rng
        cm = {}
        av = self.day >= ERA["answervariable_from"]
        for key in answers:
            ok = rng.random() < 0.6
            e = {"hint": "", "hintmode": None, "correctness": "correct" if ok else "incorrect",
                 "npoints": None, "msg": "", "queuestate": None}
            if av:
                e = {"hint": "", "hintmode": None, "correctness": e["correctness"], "npoints": None,
                     "answervariable": None, "msg": "", "queuestate": None}
            r = rng.random()
            if r < 0.1:
                e["npoints"] = rng.choice([1, 0.5, 2, 0])
            elif r < 0.15:
                e["hint"] = rng.choice(["Remember the units.", "Try again \u2014 check the sign."])
                e["hintmode"] = rng.choice(["on_request", "always"])
            if "queuestate" in flags or rng.random() < self.rates["queuestate"]:
                flags.add("queuestate")
                e["correctness"] = "incorrect"
                e["msg"] = "<p>Your submission has been queued.</p>"
                e["queuestate"] = {"key": hex_id(rng), "time": self.day.strftime("%Y%m%d") + "%02d%02d%02d" % (
                    rng.randrange(24), rng.randrange(60), rng.randrange(60))}
            cm[key] = e
        return cm

    def state(self, p):
        return {"student_answers": {}, "seed": 1, "done": None, "correct_map": {},
                "input_state": {k: {} for k in p.keys}}

    def module(self, c, p_or_block, display):
        if self.day >= ERA["short_context_from"] and c.new:
            return {"usage_key": p_or_block, "display_name": display}
        return {"display_name": display}

    # -- builders: each returns a dict describing the event -----------------------------------
