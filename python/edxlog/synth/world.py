"""The course world, built once per seed: courses (with chapters, problems, videos), users.

Every member of an export draws its users and courses from the same world, so user ids and
course ids repeat across servers and days as they do in a real export."""

from __future__ import annotations

import random
from functools import lru_cache

from .eras import ERA
from .oddities import RATES
from .vocabulary import (CCX, COURSES_2017, DISPLAY, FIRST, LANGS, NEW_COURSES, NON_ASCII_NAMES, OLD_COURSES,
                         hex_id, youtube_id)


class Problem:
    __slots__ = ("hex", "display", "inputs", "id", "keys", "course", "_html")

    def __init__(self, rng, course, display, url_name=None):
        self.course = course
        self.hex = url_name or hex_id(rng)
        self.display = display
        kinds = ["choice", "checkbox", "numerical", "text", "option"]
        self.inputs = [(rng.choice(kinds), rng.randint(2, 5)) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        self.id = course.block("problem", self.hex)
        base = course.html_id("problem", self.hex)
        self.keys = ["%s_%d_1" % (base, i + 2) for i in range(len(self.inputs))]
        self._html = None

    def html(self):
        if self._html is None:
            parts = ['\n\n\n<h2 class="problem-header">\n  %s\n</h2>\n\n<div class="problem-progress"></div>\n\n'
                     '<div class="problem">\n  <div>' % self.display]
            for key, (kind, nch) in zip(self.keys, self.inputs):
                parts.append('<p>Question for %s</p><span><form class="choicegroup capa_inputtype" '
                             'id="inputtype_%s"><fieldset>' % (kind, key))
                for c in range(nch if kind in ("choice", "checkbox") else 1):
                    parts.append('<label for="input_%s_choice_%d"><input type="%s" name="input_%s%s" '
                                 'id="input_%s_choice_%d" value="choice_%d"/> option %d\n\n        </label>'
                                 % (key, c, "checkbox" if kind == "checkbox" else "radio", key,
                                    "[]" if kind == "checkbox" else "", key, c, c, c))
                parts.append('<span id="answer_%s"/></fieldset></form></span>' % key)
            parts.append('</div>\n\n  <div class="action">\n    <input type="hidden" name="problem_id" '
                         'value="%s" />\n\n    <input class="check Check" type="button" '
                         'data-checking="Checking..." value="Check" />\n  </div>\n</div>\n' % self.display)
            self._html = "".join(parts)
        return self._html


class Course:
    """A course, its id in its style ("old" Org/Num/Run, "new" course-v1, "ccx") and its
    structure. `readable`: the block names are human url_names (``week_2``, ``lecture_2_3``),
    as in courses authored in XML, instead of Studio's 32-hex ids."""

    def __init__(self, rng, org, num, run, title, style, readable=False):
        self.org, self.num, self.run, self.title, self.style = org, num, run, title, style
        if style == "old":
            self.id = "%s/%s/%s" % (org, num, run)
        elif style == "ccx":
            self.id = "ccx-v1:%s+%s+%s+ccx@%d" % (org, num, run, CCX[3])
        else:
            self.id = "course-v1:%s+%s+%s" % (org, num, run)
        self.new = style != "old"
        if readable:
            self.chapters = [("week_%d" % (i + 1), ["%s_%d_%d" % (rng.choice(["lecture", "lab", "ps", "exercises"]),
                                                                  i + 1, j + 1) for j in range(rng.randint(2, 5))])
                             for i in range(rng.randint(3, 6))]
            self.problems = [Problem(rng, self, rng.choice(DISPLAY), "ps%d_q%d" % (i // 4 + 1, i % 4 + 1))
                             for i in range(rng.randint(12, 24))]
            self.videos = [("video_%d" % (i + 1), youtube_id(rng)) for i in range(rng.randint(8, 16))]
        else:
            self.chapters = [(hex_id(rng), [hex_id(rng) for _ in range(rng.randint(2, 5))])
                             for _ in range(rng.randint(3, 6))]
            self.problems = [Problem(rng, self, rng.choice(DISPLAY)) for _ in range(rng.randint(12, 24))]
            self.videos = [(hex_id(rng), youtube_id(rng)) for _ in range(rng.randint(8, 16))]
        self.book = "/c4x/%s/%s/asset/%s.pdf" % (org, num, rng.choice(["textbook", "notes", "p143-kajiya"]))
        self.ora = [self.block("combinedopenended", hex_id(rng)) for _ in range(3)]

    def block(self, typ, h):
        if self.style == "old":
            return "i4x://%s/%s/%s/%s" % (self.org, self.num, typ, h)
        if self.style == "ccx":
            return "ccx-block-v1:%s+%s+%s+ccx@%d+type@%s+block@%s" % (self.org, self.num, self.run, CCX[3], typ, h)
        return "block-v1:%s+%s+%s+type@%s+block@%s" % (self.org, self.num, self.run, typ, h)

    def html_id(self, typ, h):
        if self.style == "old":
            return "i4x-%s-%s-%s-%s" % (self.org, self.num.replace(".", "_"), typ, h)
        return h

    def handler_url(self, typ, h, handler, day):
        if self.style == "old":
            if day < ERA["xblock_urls_from"]:
                return "/courses/%s/modx/i4x://%s/%s/%s/%s/%s" % (self.id, self.org, self.num, typ, h, handler)
            return "/courses/%s/xblock/i4x:;_;_%s;_%s;_%s;_%s/handler/xmodule_handler/%s" % (
                self.id, self.org, self.num, typ, h, handler)
        return "/courses/%s/xblock/%s/handler/xmodule_handler/%s" % (self.id, self.block(typ, h), handler)


class User:
    __slots__ = ("username", "user_id", "agent_i", "ip", "lang", "courses")


class World:
    """The users and the two course catalogs of a seed: the classic one (2012-2019 courses, Studio
    ids) and the 2017 one (2016-17 runs, a third of them with readable XML-style names)."""

    def __init__(self, seed):
        self.seed = seed
        self._courses_2017 = None
        rng = random.Random("edxlog-synth-world:%s" % seed)
        self.old_courses = [Course(rng, o, n, r, t, "old") for o, n, r, t in OLD_COURSES]
        self.new_courses = [Course(rng, o, n, r, t, "new") for o, n, r, t in NEW_COURSES]
        self.new_courses.append(Course(rng, CCX[0], CCX[1], CCX[2], "CCX", "ccx"))
        self.users = []
        seen = set()
        for i in range(600):
            user = User()
            if rng.random() < RATES["non_ascii_user"]:
                name = rng.choice(NON_ASCII_NAMES) + str(rng.randint(1, 999))
            else:
                name = rng.choice(FIRST) + rng.choice(["", "_", "."]) + str(rng.randint(1, 99999))
            while name in seen:
                name += str(rng.randint(0, 9))
            seen.add(name)
            user.username = name
            user.user_id = rng.randint(2, 9_000_000)
            user.agent_i = rng.randrange(1000)
            if rng.random() < 0.04:
                user.ip = "2001:db8:%x:%x::%x" % (rng.randrange(65536), rng.randrange(65536), rng.randrange(65536))
            else:
                user.ip = "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randrange(256), rng.randrange(256), rng.randint(1, 254))
            user.lang = rng.choice(LANGS)
            user.courses = (rng.randrange(1000), rng.randrange(1000), rng.randrange(1000))
            self.users.append(user)

    def courses_2017(self) -> list:
        """The 2017 catalog, each course once (weights come from the users' course picks)."""
        if self._courses_2017 is None:
            rng = random.Random("edxlog-synth-world-2017:%s" % self.seed)
            self._courses_2017 = [Course(rng, o, n, r, t, style, readable)
                                  for o, n, r, t, style, readable in COURSES_2017]
        return self._courses_2017


@lru_cache(maxsize=8)
def world(seed) -> World:
    """The world of a seed (cached: building one takes a few ms)."""
    return World(seed)
