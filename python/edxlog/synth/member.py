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
        self.world, self.rng, self.day, self.server = world, rng, day, server
        self.profile = profile
        self.rates = profile.rates
        self.has_context = day >= ERA["context_from"]
        self.full_context = day < ERA["short_context_from"]
        self.quoted_get = day < ERA["unquoted_get_from"]
        self.named = day >= ERA["named_from"]
        self.spaced = day >= ERA["spaced_json_from"]
        self.py3 = day >= ERA["py3_order_from"]
        self.year = day.year
        agents_year = max(y for y in AGENTS if y <= max(self.year, 2013))
        self.agents = AGENTS[agents_year]
        self.date_s = day.strftime("%Y-%m-%d")
        self.lms = "courses.edx.org"
        self.studio = "studio.edx.org"
        if profile.catalog == "2017":
            self.courses = self.world.courses_2017()
        elif day >= ERA["course_v1_from"]:
            self.courses = self.world.new_courses * 3 + self.world.old_courses
        else:
            self.courses = list(self.world.old_courses)
        self.sessions = {}
        # the kinds of the day's era, and their cumulative weights for pick_kind
        kinds = [(k, w) for k, (w, first, until) in profile.kind_weights.items() if first <= day < until]
        self.kinds = [k for k, _ in kinds]
        self.cumulative = []
        total = 0.0
        for _, w in kinds:
            total += w
            self.cumulative.append(total)
        self.total_weight = total

    # -- helpers ------------------------------------------------------------------------------
    def pick_kind(self):
        """A random kind of event, by the profile's weights."""
        return self.kinds[bisect.bisect_right(self.cumulative, self.rng.random() * self.total_weight)]

    def payload_str(self, obj):
        """A browser payload as the era's JavaScript serialised it (compact before mid-2015)."""
        if self.spaced:
            return json.dumps(obj, ensure_ascii=False)
        return compact_json(obj)

    def session(self, user):
        """The user's session id: one per user per member."""
        s = self.sessions.get(user.username)
        if s is None:
            s = self.sessions[user.username] = hex_id(self.rng)
        return s

    def num(self, v, flags):
        """A number of a browser payload, sometimes written as a string (numbers_as_strings)."""
        if "numbers_as_strings" in flags or self.rng.random() < self.rates["numbers_as_strings"]:
            flags.add("numbers_as_strings")
            return str(v)
        return v

    def page_url(self, course, path):
        return "https://%s%s" % (self.lms, path)

    def courseware_page(self, course):
        """The URL of a random courseware page of `course` (the page a browser event came from)."""
        return self.page_url(course, self.courseware_path(course))

    def courseware_path(self, course):
        rng = self.rng
        chap, seqs = rng.choice(course.chapters)
        return "/courses/%s/courseware/%s/%s/" % (course.id, chap, rng.choice(seqs))

    def answer(self, kind, nch, flags, long=False):
        """A learner's answer to one input of `kind` with `nch` choices (long: a long text)."""
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

    def answers(self, problem, flags, long=False):
        out = {}
        for key, (kind, nch) in zip(problem.keys, problem.inputs):
            out[key] = self.answer(kind, nch, flags, long and kind == "text")
        if "non_ascii_answer" in flags and not any(k == "text" for k, _ in problem.inputs):
            out[problem.keys[-1]] = self.rng.choice(NON_ASCII_ANSWERS)
        if long and not any(k == "text" for k, _ in problem.inputs):
            out[problem.keys[0] + "_comment"] = self.answer("text", 0, flags, True)
        return out

    def get_string(self, answers, flags):
        """The answers as the browser's problem_check sends them: a jQuery-serialised form."""
        lit = self.rng.random() < self.rates["literal_brackets"]
        parts = []
        for key, v in answers.items():
            if isinstance(v, list):
                name = "input_" + key + ("[]" if lit else "%5B%5D")
                parts.extend("%s=%s" % (name, form_encode(x)) for x in v)
            else:
                parts.append("input_%s=%s" % (form_encode(key), form_encode(v)))
        return "&".join(parts)

    def correct_map(self, problem, answers, flags):
        """The server's grading of each answer, in the key order of the era."""
        rng = self.rng
        cm = {}
        with_answervariable = self.day >= ERA["answervariable_from"]
        for key in answers:
            correctness = "correct" if rng.random() < 0.6 else "incorrect"
            if with_answervariable:
                e = {"hint": "", "hintmode": None, "correctness": correctness, "npoints": None,
                     "answervariable": None, "msg": "", "queuestate": None}
            else:
                e = {"hint": "", "hintmode": None, "correctness": correctness, "npoints": None, "msg": "",
                     "queuestate": None}
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

    def state(self, problem):
        """A problem's (empty) state as module events carry it."""
        return {"student_answers": {}, "seed": 1, "done": None, "correct_map": {},
                "input_state": {k: {} for k in problem.keys}}

    def module(self, course, usage_key, display):
        """context.module of a module event (the usage key only from course-v1 days on)."""
        if self.day >= ERA["short_context_from"] and course.new:
            return {"usage_key": usage_key, "display_name": display}
        return {"display_name": display}
