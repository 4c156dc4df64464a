"""Synthetic edX / Open edX course-data export generator (standard library only).

Command line::

    python -m edxlog.synth OUT.tar[.gz] --servers N --days D --lines L --seed S [--plain-members]

writes a tar (gzip-compressed as a whole when OUT ends with ``.tar.gz`` or ``.tgz``) laid out like
the edX course-data export: one directory per server (``prod-edxapp-001/`` ...) holding one
logrotate-style daily member per day (``prod-edxapp-001/tracking.log-20140502.gz``), each of L
physical lines. Some members are multi-member gzip streams (as ``cat a.gz b.gz``, pigz or
logrotate produce), sometimes split in the middle of a line. ``--plain-members`` stores the
members uncompressed (for benchmarks). The same arguments always give byte-identical output
(on the same Python/zlib): every random choice comes from ``random.Random`` seeded from the seed,
gzip headers carry mtime 0, and tar headers carry fixed mtimes, owners and modes.

Python API::

    generate(path, *, servers=2, days=2, lines=1000, seed=0, plain_members=False)
    iter_lines(rng_or_seed, n, day=0, *, server="prod-edxapp-001")   # yields bytes, no newline
    write_log(path_or_fileobj, lines)                                 # .gz paths are gzipped

The module itself uses the standard library only (no pyarrow, no compiled extension), so it also
runs as a plain script: ``python python/edxlog/synth.py OUT.tar.gz ...``.

``iter_lines(seed, L, day, server=s)`` with an integer seed yields exactly the lines of member
``s``/day ``day`` of ``generate(..., seed=seed, lines=L)``.

Days and eras. ``day`` is a ``datetime.date``, a ``"YYYYMMDD"``/``"YYYY-MM-DD"`` string, or an
integer index into :data:`ANCHOR_DATES` (day ``k`` is ``ANCHOR_DATES[k % 8] + k // 8`` days), so
that ``--days 2`` already spans the 2014 shapes (quoted GET strings, ORA1 events, full contexts,
``Org/Num/Run`` ids) and the 2016 shapes (``name``/``referer``/``accept_language`` fields,
course-v1 ids, unquoted GET strings, mobile ``edx.video.*`` events). ``--start YYYY-MM-DD`` gives
consecutive calendar days instead. What each era looks like is decided by the thresholds in
:data:`ERA`.

Coverage. Within one member of at least :data:`COVERAGE_MIN_LINES` lines, every event kind
available in that member's era and every oddity listed in :data:`FORCED` appears at
least once (placed at random positions; see :data:`FORCED`); all other lines are drawn from :data:`KIND_WEIGHTS` and
:data:`RATES`. The seed's event types all exist in the 2014 era (``day=0``); the 2015+ forms in
the 2016 era (``day=1``).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as _dt
import json
import os
import random
import struct
import sys
import tarfile
import tempfile
import uuid
import zlib
from functools import lru_cache
from urllib.parse import quote as _quote

__all__ = [
    "ANCHOR_DATES",
    "COVERAGE_MIN_LINES",
    "ERA",
    "FORCED",
    "KIND_WEIGHTS",
    "RATES",
    "SEED_EVENT_TYPES",
    "day_date",
    "export_dates",
    "generate",
    "iter_lines",
    "main",
    "member_name",
    "server_name",
    "write_log",
]

# ---------------------------------------------------------------------------------------------
# Rates of the real-world oddities (probabilities). "line" rates are per physical line; the
# others are per line of the kind named in the comment. Entries marked F in FORCED are also
# forced at least once per member of >= COVERAGE_MIN_LINES lines, so small corpora still hold
# them all (which raises their share in small members; in large members the rates dominate).
# ---------------------------------------------------------------------------------------------
RATES = {
    # whole physical lines
    "blank_line": 0.001,            # "", spaces, a tab, NUL bytes only -> counted as blank
    "garbage_line": 0.0005,         # not a JSON object (traceback text, "null", "[]", html) -> reject
    "partial_line": 0.0003,         # a record cut mid-write (process killed / disk full) -> reject
    "logging_prefix": 0.002,        # "2023-05-23 13:53:13,461 INFO 20 [tracking] ... - {json}"
    "nul_prefix": 0.0002,           # leading NUL bytes (logrotate copytruncate) before the object
    "bom_prefix": 0.0001,           # a UTF-8 BOM before the object
    "crlf": 0.0005,                 # line ends with "\r\n"
    "invalid_utf8": 0.0002,         # a latin-1 byte (b"Jos\xe9") inside an otherwise valid line
    "duplicate_key": 0.002,         # a top-level key repeated at the end (the last one wins)
    "extra_key": 0.005,             # unknown top-level keys ("label", "nonInteraction", ...)
    # top-level fields
    "time_no_micros": 0.01,         # "2014-05-02T16:02:25+00:00"
    "time_z": 0.005,                # "...Z" instead of "+00:00"
    "time_no_offset": 0.005,        # "2014-05-02T16:02:25.143912" (GMT by the seed)
    "session_missing": 0.01,        # browser event without a "session" key
    "session_empty": 0.02,          # browser event with "session": ""
    "anonymous": 0.03,              # username "" (not logged in); context user_id "" / null
    "raw_utf8": 0.3,                # a line with non-ASCII text written as raw UTF-8, not \\u escapes
    "user_id_string": 0.01,         # context "user_id": "42"
    "course_only_in_page": 0.01,    # browser event whose context has course_id "" (page has it)
    "non_ascii_user": 0.06,         # share of users with non-ASCII usernames
    # event payloads
    "event_as_object": 0.02,        # browser event given as a JSON object instead of a string
    "event_as_string": 0.01,        # server module event given as a JSON string instead of object
    "numbers_as_strings": 0.1,      # book/seq/rubric numbers as strings ("old": "3")
    "current_time_key": 0.1,        # video event with "current_time" instead of "currentTime"
    "non_ascii_answer": 0.15,       # a text-input answer in Chinese / Arabic / emoji / accents
    "long_post": 0.02,              # xblock-handler POST longer than 512 -> event cut at 512 chars
    "queuestate": 0.05,             # correct_map entry with a queuestate object (external grader)
    "correct_map_string": 0.02,     # server correct_map given as a JSON string
    "literal_brackets": 0.2,        # checkbox key written "[]" instead of "%5B%5D" in GET strings
    # archive structure (per member)
    "multi_member_gzip": 0.35,      # member written as 2-3 concatenated gzip members
}

# Oddities forced at least once per member (when the member is long enough), with the kinds of
# event that can carry them, first available in the member's era wins (None: any kind).
FORCED = {
    "blank_line": None, "garbage_line": None, "partial_line": None, "logging_prefix": None,
    "nul_prefix": None, "bom_prefix": None, "crlf": None, "invalid_utf8": None,
    "duplicate_key": None, "extra_key": None, "time_no_micros": None, "time_z": None,
    "time_no_offset": None, "session_missing": "seq_next", "session_empty": "page_close",
    "anonymous": "url_misc", "raw_utf8": "forum_thread", "user_id_string": "seq_goto",
    "course_only_in_page": "play_video", "event_as_object": "pause_video",
    "event_as_string": "problem_check_server", "numbers_as_strings": "book",
    "current_time_key": "play_video", "non_ascii_answer": "problem_check_browser",
    "long_post": "url_xblock", "queuestate": ("save_problem_check", "problem_check_server"),
    "correct_map_string": "problem_check_server",
}
COVERAGE_MIN_LINES = 150

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

_D = _dt.date
_FAR_PAST, _FAR_FUTURE = _D(2000, 1, 1), _D(2100, 1, 1)

# kind -> (weight, first day, first day no longer produced). Weights are relative.
KIND_WEIGHTS = {
    # browser, seed
    "book": (1.5, _FAR_PAST, _FAR_FUTURE),
    "page_close": (5.0, _FAR_PAST, _FAR_FUTURE),
    "play_video": (7.0, _FAR_PAST, _FAR_FUTURE),
    "pause_video": (5.0, _FAR_PAST, _FAR_FUTURE),
    "seek_video": (2.0, _FAR_PAST, _FAR_FUTURE),
    "speed_change_video": (0.8, _FAR_PAST, _FAR_FUTURE),
    "load_video": (4.0, _FAR_PAST, _FAR_FUTURE),
    "stop_video": (1.0, _FAR_PAST, _FAR_FUTURE),
    "transcript": (0.6, _FAR_PAST, _FAR_FUTURE),           # show_transcript / hide_transcript
    "problem_check_browser": (4.0, _FAR_PAST, _FAR_FUTURE),
    "problem_save": (0.6, _FAR_PAST, _FAR_FUTURE),
    "problem_graded": (3.0, _FAR_PAST, _FAR_FUTURE),
    "problem_show": (0.6, _FAR_PAST, _FAR_FUTURE),
    "seq_goto": (3.0, _FAR_PAST, _FAR_FUTURE),
    "seq_next": (3.0, _FAR_PAST, _FAR_FUTURE),
    "seq_prev": (1.0, _FAR_PAST, _FAR_FUTURE),
    "rubric_select": (0.3, _FAR_PAST, _D(2015, 7, 1)),
    "oe_show_problem": (0.08, _FAR_PAST, _D(2015, 7, 1)),
    "oe_hide_problem": (0.08, _FAR_PAST, _D(2015, 7, 1)),
    "peer_grading_show_problem": (0.08, _FAR_PAST, _D(2015, 7, 1)),
    "peer_grading_hide_problem": (0.08, _FAR_PAST, _D(2015, 7, 1)),
    "staff_grading_show_problem": (0.05, _FAR_PAST, _D(2015, 7, 1)),
    "staff_grading_hide_problem": (0.05, _FAR_PAST, _D(2015, 7, 1)),
    "oe_show_full_feedback": (0.08, _FAR_PAST, _D(2015, 7, 1)),
    "oe_show_respond_to_feedback": (0.08, _FAR_PAST, _D(2015, 7, 1)),
    "oe_feedback_response_selected": (0.08, _FAR_PAST, _D(2015, 7, 1)),
    # server, seed
    "show_answer": (0.4, _FAR_PAST, _D(2014, 7, 1)),        # event_type "show_answer"
    "showanswer": (0.4, _D(2014, 1, 1), _FAR_FUTURE),        # later spelling
    "save_problem_check": (0.8, _FAR_PAST, _D(2015, 1, 1)),
    "problem_check_server": (3.0, _FAR_PAST, _FAR_FUTURE),
    "reset_problem": (0.3, _FAR_PAST, _FAR_FUTURE),
    # server, URL-shaped event_type
    "url_courseware": (10.0, _FAR_PAST, _FAR_FUTURE),
    "url_xblock": (14.0, _FAR_PAST, _FAR_FUTURE),
    "url_misc": (8.0, _FAR_PAST, _FAR_FUTURE),
    "url_studio": (0.8, _FAR_PAST, _FAR_FUTURE),
    # newer events
    "enrollment": (0.4, _FAR_PAST, _FAR_FUTURE),
    "mobile_video": (2.0, _D(2015, 1, 1), _FAR_FUTURE),      # edx.video.played / paused / ...
    "textbook_scrolled": (0.3, _D(2015, 1, 1), _FAR_FUTURE),
    "seq_next_selected": (1.0, _D(2016, 6, 1), _FAR_FUTURE),  # edx.ui.lms.sequence.next_selected
    "link_clicked": (0.4, _D(2016, 6, 1), _FAR_FUTURE),
    "demandhint": (0.3, _D(2015, 6, 1), _FAR_FUTURE),
    "grades_submitted": (1.0, _D(2017, 1, 1), _FAR_FUTURE),
    "forum_thread": (0.4, _D(2014, 6, 1), _FAR_FUTURE),
    "ora2_submission": (0.3, _D(2014, 6, 1), _FAR_FUTURE),
}

# The event types of the seed's table (tracking_logs.rst), for tests. problem_check is both a
# server event (answers, correct_map, ...) and a browser event (a GET string).
SEED_EVENT_TYPES = (
    "show_answer", "save_problem_check", "problem_check", "reset_problem", "book", "page_close",
    "play_video", "pause_video", "problem_show", "seq_goto", "seq_next",
    "seq_prev", "rubric_select", "oe_show_problem", "oe_hide_problem",
    "peer_grading_show_problem", "peer_grading_hide_problem", "staff_grading_show_problem",
    "staff_grading_hide_problem", "oe_show_full_feedback", "oe_show_respond_to_feedback",
    "oe_feedback_response_selected",
)

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------
_OLD_COURSES = [
    ("MITx", "6.00x", "2013_Spring", "Introduction to Computer Science and Programming"),
    ("HarvardX", "PH207x", "2012_Fall", "Health in Numbers"),
    ("BerkeleyX", "CS169.1x", "2013_Summer", "Software as a Service"),
    ("edX", "DemoX", "Demo_Course", "edX Demonstration Course"),
    ("TsinghuaX", "00740043X", "2014_T1", "\u7535\u8def\u539f\u7406"),
    ("MITx", "8.02x", "2013_Spring", "Electricity and Magnetism"),
]
_NEW_COURSES = [
    ("MITx", "6.00.1x", "2T2017", "Introduction to Computer Science and Programming Using Python"),
    ("HarvardX", "CS50", "X", "CS50's Introduction to Computer Science"),
    ("edX", "DemoX", "Demo_Course", "Demonstration Course"),
    ("TsinghuaX", "00740043_2x", "2015_T1", "\u7535\u8def\u539f\u7406 2"),
    ("QRF", "ARB101x", "1T2016", "\u0645\u0642\u062f\u0645\u0629 \u0641\u064a \u0627\u0644\u0628\u0631\u0645\u062c\u0629"),
    ("DelftX", "TUD101x", "3T2019", "Solar Energy"),
]
_CCX = ("MITx", "6.00.1x", "2T2017", 12)

_FIRST = ["anna", "ben", "carlos", "dana", "eric", "fatima", "george", "hana", "ivan", "julia",
          "kofi", "lena", "mohammed", "nina", "omar", "priya", "quentin", "rosa", "sam", "tariq",
          "uma", "victor", "wei", "xavier", "yuki", "zara", "honor", "staff", "audit", "verified"]
_NON_ASCII_NAMES = ["\u674e\u660e", "\u738b\u82b3", "\u0645\u062d\u0645\u062f",
                    "\u0641\u0627\u0637\u0645\u0629", "Jos\u00e9", "Zo\u00eb", "\u0141ukasz",
                    "Ng\u1ecdc", "M\u00fcller", "\u0410\u043b\u0435\u043a\u0441\u0435\u0439",
                    "\u3086\u304d", "\u0928\u0940\u0932\u092e", "Fran\u00e7ois"]

_TEXT_ANSWERS = ["photosynthesis", "x^2+1", "42", "Paris", "a & b = c", "O(n log n)",
                 "mitochondria", "  spaced answer  ", "100%", "sqrt(2)/2", "TRUE", "e=mc^2"]
_NON_ASCII_ANSWERS = ["\u5149\u5408\u4f5c\u7528", "\u7b54\u6848\u662f\u4e09",
                      "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
                      "\u0627\u0644\u062c\u0648\u0627\u0628 \u0661\u0662", "na\u00efve caf\u00e9",
                      "\U0001F600 I think so", "\u00bd \u00d7 \u03c0 r\u00b2",
                      "\U0001F44D\U0001F3FD yes", "\u0425\u043e\u0440\u043e\u0448\u043e"]
_LONG_TEXT = ("In my opinion the main reason is that the system must balance cost and "
              "reliability; ",
              "\u6211\u8ba4\u4e3a\u8fd9\u4e2a\u95ee\u9898\u7684\u5173\u952e\u5728\u4e8e\u80fd"
              "\u91cf\u5b88\u6052\u3002",
              "\u0623\u0639\u062a\u0642\u062f \u0623\u0646 \u0627\u0644\u0625\u062c\u0627\u0628"
              "\u0629 \u0647\u064a \u0627\u0644\u0637\u0627\u0642\u0629 \u0627\u0644\u0634\u0645"
              "\u0633\u064a\u0629. ")
_FORUM_TEXT = ["Can someone explain problem 3?", "\u8bf7\u95ee\u7b2c\u4e09\u9898\u600e\u4e48\u505a\uff1f",
               "\u0645\u0627 \u0647\u0648 \u0627\u0644\u062d\u0644\u061f", "Thanks! \U0001F64F",
               "Week 2 deadline extended?", "Lecture 4 video doesn't load \u2014 anyone else?"]
_DISPLAY = ["Numerical Input", "Multiple Choice", "Checkboxes", "Text Input", "Dropdown",
            "Problem Set 1", "Quiz: Week 2", "Exercise 3.1", "Finger Exercise", "Homework 4"]

_AGENTS = {
    2013: ["Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/28.0.1500.95 Safari/537.36",
           "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:22.0) Gecko/20100101 Firefox/22.0",
           "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_8_4) AppleWebKit/536.30.1 (KHTML, like Gecko) Version/6.0.5 Safari/536.30.1"],
    2014: ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/34.0.1847.116 Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36",
           "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:29.0) Gecko/20100101 Firefox/29.0",
           "Mozilla/5.0 (Windows NT 6.3; WOW64; Trident/7.0; rv:11.0) like Gecko"],
    2015: ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/44.0.2403.125 Safari/537.36",
           "Mozilla/5.0 (Windows NT 5.1; rv:40.0) Gecko/20100101 Firefox/40.0",
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/45.0.2454.93 Safari/537.36"],
    2016: ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.89 Safari/537.36",
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:48.0) Gecko/20100101 Firefox/48.0",
           "Mozilla/5.0 (iPhone; CPU iPhone OS 9_3_5 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13G36 Safari/601.1"],
    2018: ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.3325.162 Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_3) AppleWebKit/604.5.6 (KHTML, like Gecko) Version/11.0.3 Safari/604.5.6",
           "Mozilla/5.0 (Linux; Android 8.0.0; SM-G950F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/64.0.3282.137 Mobile Safari/537.36"],
    2020: ["Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:75.0) Gecko/20100101 Firefox/75.0",
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.113 Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1 Safari/605.1.15"],
}
_MOBILE_AGENTS = ["Dalvik/2.1.0 (Linux; U; Android 6.0.1; SM-G920F Build/MMB29K) edX/org.edx.mobile/2.4.1",
                  "edX/org.edx.mobile (2.6.1; OS Version 10.2 (Build 14C92))"]
_LANGS = ["en-US,en;q=0.8", "en-US,en;q=0.5", "zh-CN,zh;q=0.9,en;q=0.8", "ar,en-US;q=0.7,en;q=0.3",
          "es-419,es;q=0.9,en;q=0.8", "fr-FR,fr;q=0.9,en-US;q=0.6,en;q=0.4", "hi-IN,hi;q=0.9,en;q=0.7",
          "en-GB,en;q=0.9", "pt-BR,pt;q=0.9,en-US;q=0.8", ""]
_SPEEDS = ["0.75", "1.0", "1.0", "1.0", "1.25", "1.50", "2.0"]
_GARBAGE = [
    b"Traceback (most recent call last):",
    b'  File "/edx/app/edxapp/edx-platform/common/djangoapps/track/backends/logger.py", line 41, in send',
    b"ValueError: Circular reference detected",
    b"-- MARK --",
    b"null",
    b"[]",
    b'"tracking"',
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b"#",
    b"{}{}",
]
_EXTRA_KEYS = [("label", "Video Played"), ("nonInteraction", 1), ("event_version", "1.0"),
               ("augmented", {"country_code": "US"}), ("org_id", "edX")]
_RESPONSE_TYPES = {
    "choice": ("choicegroup", "multiplechoiceresponse"),
    "checkbox": ("checkboxgroup", "choiceresponse"),
    "numerical": ("formulaequationinput", "numericalresponse"),
    "text": ("textline", "stringresponse"),
    "option": ("optioninput", "optionresponse"),
}
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _hex(rng: random.Random, n: int = 32) -> str:
    return "%0*x" % (n, rng.getrandbits(4 * n))


def _yt(rng: random.Random) -> str:
    return "".join(rng.choice(_B64) for _ in range(11))


def _compact(obj) -> str:
    # JavaScript JSON.stringify style (2013-14 browser payload strings)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _enc(s: str) -> str:
    # jQuery .serialize(): encodeURIComponent then %20 -> "+"
    return _quote(s, safe="-_.!~*'()").replace("%20", "+")


# ---------------------------------------------------------------------------------------------
# The course world (built once per seed)
# ---------------------------------------------------------------------------------------------
class _Problem:
    __slots__ = ("hex", "display", "inputs", "id", "keys", "course", "_html")

    def __init__(self, rng, course, display):
        self.course = course
        self.hex = _hex(rng)
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


class _Course:
    def __init__(self, rng, org, num, run, title, style):
        self.org, self.num, self.run, self.title, self.style = org, num, run, title, style
        if style == "old":
            self.id = "%s/%s/%s" % (org, num, run)
        elif style == "ccx":
            self.id = "ccx-v1:%s+%s+%s+ccx@%d" % (org, num, run, _CCX[3])
        else:
            self.id = "course-v1:%s+%s+%s" % (org, num, run)
        self.new = style != "old"
        self.chapters = [(_hex(rng), [_hex(rng) for _ in range(rng.randint(2, 5))])
                         for _ in range(rng.randint(3, 6))]
        self.problems = [_Problem(rng, self, rng.choice(_DISPLAY)) for _ in range(rng.randint(12, 24))]
        self.videos = [(_hex(rng), _yt(rng)) for _ in range(rng.randint(8, 16))]
        self.book = "/c4x/%s/%s/asset/%s.pdf" % (org, num, rng.choice(["textbook", "notes", "p143-kajiya"]))
        self.ora = [self.block("combinedopenended", _hex(rng)) for _ in range(3)]

    def block(self, typ, h):
        if self.style == "old":
            return "i4x://%s/%s/%s/%s" % (self.org, self.num, typ, h)
        if self.style == "ccx":
            return "ccx-block-v1:%s+%s+%s+ccx@%d+type@%s+block@%s" % (self.org, self.num, self.run, _CCX[3], typ, h)
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


class _User:
    __slots__ = ("username", "user_id", "agent_i", "ip", "lang", "courses")


class _World:
    def __init__(self, seed):
        rng = random.Random("edxlog-synth-world:%s" % seed)
        self.old_courses = [_Course(rng, o, n, r, t, "old") for o, n, r, t in _OLD_COURSES]
        self.new_courses = [_Course(rng, o, n, r, t, "new") for o, n, r, t in _NEW_COURSES]
        self.new_courses.append(_Course(rng, _CCX[0], _CCX[1], _CCX[2], "CCX", "ccx"))
        self.users = []
        seen = set()
        for i in range(600):
            u = _User()
            if rng.random() < RATES["non_ascii_user"]:
                name = rng.choice(_NON_ASCII_NAMES) + str(rng.randint(1, 999))
            else:
                name = rng.choice(_FIRST) + rng.choice(["", "_", "."]) + str(rng.randint(1, 99999))
            while name in seen:
                name += str(rng.randint(0, 9))
            seen.add(name)
            u.username = name
            u.user_id = rng.randint(2, 9_000_000)
            u.agent_i = rng.randrange(1000)
            if rng.random() < 0.04:
                u.ip = "2001:db8:%x:%x::%x" % (rng.randrange(65536), rng.randrange(65536), rng.randrange(65536))
            else:
                u.ip = "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randrange(256), rng.randrange(256), rng.randint(1, 254))
            u.lang = rng.choice(_LANGS)
            u.courses = (rng.randrange(1000), rng.randrange(1000), rng.randrange(1000))
            self.users.append(u)


@lru_cache(maxsize=8)
def _world(seed) -> _World:
    return _World(seed)


# ---------------------------------------------------------------------------------------------
# Days
# ---------------------------------------------------------------------------------------------
def day_date(day) -> _dt.date:
    """A day index, date, datetime or "YYYYMMDD"/"YYYY-MM-DD" string -> datetime.date."""
    if isinstance(day, _dt.datetime):
        return day.date()
    if isinstance(day, _dt.date):
        return day
    if isinstance(day, str):
        s = day.replace("-", "")
        return _dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    if isinstance(day, int) and day >= 0:
        return ANCHOR_DATES[day % len(ANCHOR_DATES)] + _dt.timedelta(days=day // len(ANCHOR_DATES))
    raise ValueError("day must be a non-negative int, a date or a YYYYMMDD string: %r" % (day,))


def export_dates(days: int, start=None) -> list:
    """The dates of a `days`-day export: era anchors by default, else consecutive from `start`."""
    if start is None:
        return [day_date(i) for i in range(days)]
    d0 = day_date(start)
    return [d0 + _dt.timedelta(days=i) for i in range(days)]


def server_name(i: int) -> str:
    return "prod-edxapp-%03d" % (i + 1)


def member_name(server: str, day, plain: bool = False) -> str:
    return "%s/tracking.log-%s%s" % (server, day_date(day).strftime("%Y%m%d"), "" if plain else ".gz")


# ---------------------------------------------------------------------------------------------
# One member's lines
# ---------------------------------------------------------------------------------------------
class _Member:
    def __init__(self, world, rng, day, server):
        self.w, self.rng, self.day, self.server = world, rng, day, server
        e = ERA
        self.has_context = day >= e["context_from"]
        self.full_context = day < e["short_context_from"]
        self.quoted_get = day < e["unquoted_get_from"]
        self.named = day >= e["named_from"]
        self.spaced = day >= e["spaced_json_from"]
        self.py3 = day >= e["py3_order_from"]
        self.year = day.year
        ay = max(y for y in _AGENTS if y <= max(self.year, 2013))
        self.agents = _AGENTS[ay]
        self.date_s = day.strftime("%Y-%m-%d")
        self.lms = "courses.edx.org"
        self.studio = "studio.edx.org"
        if day >= e["course_v1_from"]:
            self.courses = self.w.new_courses * 3 + self.w.old_courses
        else:
            self.courses = list(self.w.old_courses)
        self.sessions = {}
        kinds = [(k, wt) for k, (wt, a, b) in KIND_WEIGHTS.items() if a <= day < b]
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
        return _compact(obj)

    def session(self, u):
        s = self.sessions.get(u.username)
        if s is None:
            s = self.sessions[u.username] = _hex(self.rng)
        return s

    def num(self, v, flags):
        if "numbers_as_strings" in flags or self.rng.random() < RATES["numbers_as_strings"]:
            flags.add("numbers_as_strings")
            return str(v)
        return v

    def page_url(self, c, path):
        return "https://%s%s" % (self.lms, path)

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
            return "".join(rng.choice(_LONG_TEXT) for _ in range(rng.randint(8, 14)))
        if "non_ascii_answer" in flags or rng.random() < RATES["non_ascii_answer"]:
            flags.add("non_ascii_answer")
            return rng.choice(_NON_ASCII_ANSWERS)
        return rng.choice(_TEXT_ANSWERS)

    def answers(self, p, flags, long=False):
        out = {}
        for key, (kind, nch) in zip(p.keys, p.inputs):
            out[key] = self.answer(kind, nch, flags, long and kind == "text")
        if "non_ascii_answer" in flags and not any(k == "text" for k, _ in p.inputs):
            out[p.keys[-1]] = self.rng.choice(_NON_ASCII_ANSWERS)
        if long and not any(k == "text" for k, _ in p.inputs):
            out[p.keys[0] + "_comment"] = self.answer("text", 0, flags, True)
        return out

    def get_string(self, answers, flags):
        lit = self.rng.random() < RATES["literal_brackets"]
        parts = []
        for key, v in answers.items():
            if isinstance(v, list):
                k = "input_" + key + ("[]" if lit else "%5B%5D")
                parts.extend("%s=%s" % (k, _enc(x)) for x in v)
            else:
                parts.append("input_%s=%s" % (_enc(key), _enc(v)))
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
            if "queuestate" in flags or rng.random() < RATES["queuestate"]:
                flags.add("queuestate")
                e["correctness"] = "incorrect"
                e["msg"] = "<p>Your submission has been queued.</p>"
                e["queuestate"] = {"key": _hex(rng), "time": self.day.strftime("%Y%m%d") + "%02d%02d%02d" % (
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
    def video_payload(self, c, etype, flags, mobile=False):
        rng = self.rng
        vid, code = rng.choice(c.videos)
        vid_id = c.block("video", vid) if mobile else (
            c.html_id("video", vid) if c.style == "old" else vid)
        t = round(rng.uniform(0, 1800), 6) if rng.random() < 0.9 else 0
        tkey = "currentTime"
        if "current_time_key" in flags or (not mobile and rng.random() < RATES["current_time_key"]):
            flags.add("current_time_key")
            tkey = "current_time"
        code = "mobile" if mobile else (code if rng.random() < 0.85 else "html5")
        if etype in ("seek_video", "edx.video.position.changed"):
            return {"id": vid_id, "old_time": t, "new_time": round(rng.uniform(0, 1800), 3),
                    "type": rng.choice(["onSlideSeek", "onSkipSeek"]), "code": code}
        if etype == "speed_change_video":
            return {"current_time": t, "old_speed": rng.choice(_SPEEDS), "code": code, "id": vid_id,
                    "new_speed": rng.choice(_SPEEDS)}
        if etype in ("load_video", "edx.video.loaded"):
            return {"id": vid_id, "code": code}
        if self.spaced or mobile:
            ev = {"code": code, "id": vid_id, tkey: t}
        else:
            ev = {"id": vid_id, tkey: t, "code": code}
        if etype in ("play_video", "pause_video") and rng.random() < 0.7:
            ev["speed"] = rng.choice(_SPEEDS)
        return ev

    def build(self, kind, c, flags):
        """-> (source, event_type, event value (str/obj), page, ctx_path, module or None, opts)"""
        rng = self.rng
        path_cw = self.courseware_path(c)
        page = self.page_url(c, path_cw)
        o = {}
        if kind in ("play_video", "pause_video", "seek_video", "speed_change_video", "load_video", "stop_video"):
            ev = self.video_payload(c, kind, flags)
            return "browser", kind, ev, page, "/event", None, o
        if kind == "transcript":
            ev = self.video_payload(c, "play_video", flags)
            ev.pop("speed", None)
            return "browser", rng.choice(["show_transcript", "hide_transcript"]), ev, page, "/event", None, o
        if kind == "mobile_video":
            et = rng.choice(["edx.video.played", "edx.video.played", "edx.video.paused", "edx.video.stopped",
                             "edx.video.loaded", "edx.video.position.changed"])
            o["mobile"] = True
            return "mobile", et, self.video_payload(c, et, flags, mobile=True), None, "/segmentio/event", None, o
        if kind == "book":
            path = "/courses/%s/pdfbook/0/" % c.id
            page = self.page_url(c, path) + "?viewer=true&file=%s#zoom=page-fit" % c.book
            r = rng.random()
            old = rng.randint(1, 300)
            if r < 0.5:
                ev = {"type": "gotopage", "old": self.num(old, flags), "new": self.num(rng.randint(1, 300), flags)}
            elif r < 0.85:
                ev = {"type": "nextpage", "new": self.num(old + 1, flags)}
            else:
                ev = {"type": "prevpage", "new": self.num(max(old - 1, 1), flags)}
            if self.day >= _D(2014, 6, 1):
                ev["chapter"] = c.book
                ev["name"] = {"gotopage": "textbook.pdf.page.loaded", "nextpage": "textbook.pdf.page.navigatednext",
                              "prevpage": "textbook.pdf.page.navigatedprevious"}[ev["type"]]
            return "browser", "book", ev, page, "/event", None, o
        if kind == "textbook_scrolled":
            ev = {"page": rng.randint(1, 300), "direction": rng.choice(["up", "down"]), "chapter": c.book,
                  "name": "textbook.pdf.page.scrolled"}
            return "browser", "textbook.pdf.page.scrolled", ev, self.page_url(c, "/courses/%s/pdfbook/0/" % c.id), "/event", None, o
        if kind == "page_close":
            ev = "{}" if self.day >= ERA["page_close_obj_from"] else ""
            o["raw_event"] = True
            return "browser", "page_close", ev, page, "/event", None, o
        if kind in ("seq_goto", "seq_next", "seq_prev"):
            chap, seqs = rng.choice(c.chapters)
            sq = rng.choice(seqs)
            n = rng.randint(1, 9)
            new = n + 1 if kind == "seq_next" else (max(n - 1, 1) if kind == "seq_prev" else rng.randint(1, 9))
            sid = c.block("sequential", sq)
            ev = {"old": self.num(n, flags), "new": self.num(new, flags), "id": sid}
            if self.spaced:
                ev = {"new": ev["new"], "old": ev["old"], "id": sid}
            page = self.page_url(c, "/courses/%s/courseware/%s/%s/" % (c.id, chap, sq))
            return "browser", kind, ev, page, "/event", None, o
        if kind == "seq_next_selected":
            chap, seqs = rng.choice(c.chapters)
            n = rng.randint(1, 6)
            ev = {"current_tab": n, "tab_count": n + rng.randint(1, 4), "target_tab": n + 1,
                  "widget_placement": rng.choice(["top", "bottom"]), "id": c.block("sequential", rng.choice(seqs))}
            return "browser", "edx.ui.lms.sequence.next_selected", ev, page, "/event", None, o
        if kind == "link_clicked":
            ev = {"target_url": self.page_url(c, "/courses/%s/progress" % c.id), "current_url": page}
            return "browser", "edx.ui.lms.link_clicked", ev, page, "/event", None, o
        if kind in ("problem_check_browser", "problem_save", "problem_graded"):
            p = rng.choice(c.problems)
            get = self.get_string(self.answers(p, flags), flags)
            et = {"problem_check_browser": "problem_check"}.get(kind, kind)
            if kind == "problem_graded":
                if self.quoted_get:
                    ev = _compact([get, p.html()])     # a JSON string holding a list
                    o["raw_event"] = True
                else:
                    ev = [get, p.html()]               # a real JSON array
                    o["keep_object"] = True
            elif self.quoted_get:
                ev = json.dumps(get)                    # "\"input_...=...&...\""
                o["raw_event"] = True
            else:
                ev = get
                o["raw_event"] = True
            return "browser", et, ev, page, "/event", None, o
        if kind == "problem_show":
            p = rng.choice(c.problems)
            return "browser", "problem_show", {"problem": p.id}, page, "/event", None, o
        if kind == "rubric_select":
            ev = {"location": rng.choice(c.ora), "category": self.num(rng.randint(0, 3), flags),
                  "value": self.num(rng.randint(0, 3), flags)}
            return "browser", kind, ev, page, "/event", None, o
        if kind.endswith("_show_problem") or kind.endswith("_hide_problem"):
            return "browser", kind, {"location": rng.choice(c.ora)}, page, "/event", None, o
        if kind in ("oe_show_full_feedback", "oe_show_respond_to_feedback"):
            o["raw_event"] = True
            return "browser", kind, rng.choice(["", "{}"]), page, "/event", None, o
        if kind == "oe_feedback_response_selected":
            return "browser", kind, {"value": self.num(rng.randint(0, 5), flags)}, page, "/event", None, o

        # ---- server module events (event is an object, page "x_module")
        if kind in ("show_answer", "showanswer", "reset_problem", "save_problem_check", "problem_check_server"):
            p = rng.choice(c.problems)
            path = c.handler_url("problem", p.hex, {"reset_problem": "problem_reset",
                                                    "show_answer": "problem_show",
                                                    "showanswer": "problem_show"}.get(kind, "problem_check"), self.day)
            mod = self.module(c, p.id, p.display)
            o["module_event"] = True
            if kind in ("show_answer", "showanswer"):
                return "server", kind, {"problem_id": p.id}, "x_module", path, mod, o
            if kind == "reset_problem":
                st = self.state(p)
                ev = {"old_state": dict(st, done=True, student_answers=self.answers(p, flags)),
                      "problem_id": p.id, "new_state": st}
                return "server", kind, ev, "x_module", path, mod, o
            ans = self.answers(p, flags)
            cm = self.correct_map(p, ans, flags)
            ok = {k: v["correctness"] == "correct" for k, v in cm.items()}
            success = "correct" if all(ok.values()) else "incorrect"
            attempts = rng.randint(1, 5)
            if "correct_map_string" in flags or rng.random() < RATES["correct_map_string"]:
                flags.add("correct_map_string")
                cm = json.dumps(cm)
            if kind == "save_problem_check":
                ev = {"success": success, "correct_map": cm, "answers": ans, "attempts": attempts,
                      "state": self.state(p), "problem_id": p.id}
                return "server", kind, ev, "x_module", path, mod, o
            ev = {}
            if self.day >= _D(2014, 3, 1):
                sub = {}
                for k, (ik, _) in zip(ans, p.inputs + [("text", 0)] * len(ans)):
                    it, rt = _RESPONSE_TYPES[ik]
                    sub[k] = {"input_type": it, "question": "", "response_type": rt,
                              "answer": ans[k], "variant": "", "correct": ok[k]}
                ev["submission"] = sub
            ev.update({"success": success, "grade": sum(ok.values()), "correct_map": cm,
                       "state": self.state(p), "answers": ans, "attempts": attempts,
                       "max_grade": len(ans), "problem_id": p.id})
            return "server", "problem_check", ev, "x_module", path, mod, o

        # ---- server URL events (event is '{"POST": {...}, "GET": {...}}' cut at 512)
        if kind == "url_xblock":
            r = rng.random()
            long = "long_post" in flags or rng.random() < RATES["long_post"]
            if long or r < 0.45:
                p = rng.choice(c.problems)
                path = c.handler_url("problem", p.hex, "problem_check", self.day)
                post = {}
                for key, v in self.answers(p, flags, long).items():
                    if isinstance(v, list):
                        post["input_%s[]" % key] = v
                    else:
                        post["input_" + key] = [v]
                if long:
                    flags.add("long_post")
            elif r < 0.65:
                chap, seqs = rng.choice(c.chapters)
                path = c.handler_url("sequential", rng.choice(seqs), "goto_position", self.day)
                post = {"position": [str(rng.randint(1, 9))]}
            elif r < 0.85:
                vid, _ = rng.choice(c.videos)
                path = c.handler_url("video", vid, "save_user_state", self.day)
                post = rng.choice([{"saved_video_position": ["00:%02d:%02d" % (rng.randrange(60), rng.randrange(60))]},
                                   {"youtube_is_available": ["true"]}, {"speed": [rng.choice(_SPEEDS)]}])
            else:
                p = rng.choice(c.problems)
                path = c.handler_url("problem", p.hex, rng.choice(["problem_get", "problem_show", "problem_reset"]), self.day)
                post = {}
            ev = json.dumps({"POST": post, "GET": {}})[:512]
            o["raw_event"] = True
            return "server", path, ev, None, path, None, o
        if kind == "url_courseware":
            path = self.courseware_path(c)
            if rng.random() < 0.3:
                path += str(rng.randint(1, 6))
            ev = json.dumps({"POST": {}, "GET": {}})
            o["raw_event"] = True
            return "server", path, ev, None, path, None, o
        if kind == "url_misc":
            r = rng.random()
            get = {}
            if r < 0.4:
                path = rng.choice(["/", "/dashboard", "/login", "/register", "/jsi18n/", "/i18n.js", "/logout",
                                   "/courses", "/user_api/v1/account/registration/"])
                o["no_course"] = True
                if path == "/courses" and rng.random() < 0.5:
                    get = {"search_query": [rng.choice(["python", "\u6570\u636e", "energ\u00eda"])]}
            else:
                path = "/courses/%s/%s" % (c.id, rng.choice(["info", "progress", "about", "courseware",
                                                            "discussion/forum", "course_wiki", "instructor"]))
                if path.endswith("forum"):
                    get = {"ajax": ["1"], "page": [str(rng.randint(1, 5))], "sort_key": ["date"]}
            ev = json.dumps({"POST": {}, "GET": get})
            o["raw_event"] = True
            return "server", path, ev, None, path, None, o
        if kind == "url_studio":
            o["studio"] = True
            o["no_course"] = True
            if c.new:
                path = rng.choice(["/course/%s" % c.id, "/assets/%s/" % c.id, "/xblock/%s" % c.block("html", _hex(rng)),
                                   "/settings/details/%s" % c.id])
            else:
                path = "/preview/xblock/i4x:;_;_%s;_%s;_video;_%s/handler/xmodule_handler/save_user_state" % (
                    c.org, c.num, rng.choice(c.videos)[0])
            if "long_post" in flags or rng.random() < 0.3:     # a save with the component's content
                body = "".join(rng.choice(_LONG_TEXT) for _ in range(rng.randint(1, 12)))
                post = {"data": ["<p>%s</p>" % body], "metadata": ["{\"display_name\": \"Text\"}"]}
            else:
                post = {}
            ev = json.dumps({"POST": post, "GET": {}})[:512]
            o["raw_event"] = True
            return "server", path, ev, None, path, None, o

        # ---- newer named events
        if kind == "enrollment":
            o["named_server"] = True
            et = rng.choice(["edx.course.enrollment.activated"] * 3 + ["edx.course.enrollment.deactivated",
                                                                       "edx.course.enrollment.mode_changed"])
            o["enroll"] = True
            return "server", et, {"course_id": c.id, "user_id": None, "mode": rng.choice(["honor", "audit", "verified"])}, \
                None, "/change_enrollment", None, o
        if kind == "demandhint":
            p = rng.choice(c.problems)
            o["named_server"] = True
            ev = {"hint_index": rng.randint(0, 2), "hint_len": 3, "hint_text": "Think about the units.",
                  "module_id": p.id}
            return "server", "edx.problem.hint.demandhint_displayed", ev, "x_module", \
                c.handler_url("problem", p.hex, "hint_button", self.day), self.module(c, p.id, p.display), o
        if kind == "grades_submitted":
            p = rng.choice(c.problems)
            o["named_server"] = True
            o["grades"] = True
            ev = {"user_id": None, "course_id": c.id, "problem_id": p.id,
                  "event_transaction_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                  "event_transaction_type": "edx.grades.problem.submitted",
                  "weighted_earned": rng.randint(0, 3), "weighted_possible": 3}
            return "server", "edx.grades.problem.submitted", ev, "x_module", \
                c.handler_url("problem", p.hex, "problem_check", self.day), self.module(c, p.id, p.display), o
        if kind == "forum_thread":
            o["named_server"] = True
            title, body = rng.choice(_FORUM_TEXT), " ".join(rng.choice(_FORUM_TEXT) for _ in range(3))
            ev = {"category_id": _hex(rng, 12), "category_name": "General", "commentable_id": "course",
                  "anonymous": False, "anonymous_to_peers": False, "body": body, "title": title,
                  "thread_type": "discussion", "truncated": False, "id": _hex(rng, 24),
                  "options": {"followed": True}, "user_forums_roles": ["Student"], "user_course_roles": []}
            path = "/courses/%s/discussion/course/threads/create" % c.id
            return "server", "edx.forum.thread.created", ev, None, path, None, o
        if kind == "ora2_submission":
            o["named_server"] = True
            o["module_event"] = True
            blk = c.block("openassessment", _hex(rng))
            ts = "%sT%02d:%02d:%02d.%06d+00:00" % (self.date_s, rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(10**6))
            ev = {"answer": {"parts": [{"text": self.answer("text", 0, flags, rng.random() < 0.3)}]},
                  "attempt_number": 1, "created_at": ts, "submitted_at": ts,
                  "submission_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
            path = "/courses/%s/xblock/%s/handler/submit" % (c.id, blk)
            return "server", "openassessmentblock.create_submission", ev, "x_module", path, \
                self.module(c, blk, "Open Response Assessment"), o
        raise AssertionError(kind)

    # -- one line -------------------------------------------------------------------------------
    def timestr(self, us, flags):
        rng = self.rng
        s, f = divmod(us, 1_000_000)
        h, s = divmod(s, 3600)
        m, s = divmod(s, 60)
        r = rng.random()
        frac = ".%06d" % f
        tz = "+00:00"
        if "time_no_micros" in flags or r < RATES["time_no_micros"]:
            frac = ""
            flags.add("time_no_micros")
        r = rng.random()
        if "time_z" in flags or (r < RATES["time_z"] and "time_no_offset" not in flags):
            tz = "Z"
            flags.add("time_z")
        elif "time_no_offset" in flags or r < RATES["time_z"] + RATES["time_no_offset"]:
            tz = ""
            flags.add("time_no_offset")
        return "%sT%02d:%02d:%02d%s%s" % (self.date_s, h, m, s, frac, tz)

    def line(self, kind, us, flags):
        rng = self.rng
        R = RATES
        # whole-line oddities that replace the record
        if "blank_line" in flags:
            return rng.choice([b"", b"  ", b"\t", b"\x00\x00\x00", b" \r"])
        if "garbage_line" in flags:
            return rng.choice(_GARBAGE)

        u = self.w.users[rng.randrange(len(self.w.users))]
        c = self.courses[(u.courses[rng.randrange(3)]) % len(self.courses)]
        src, etype, ev, page, path, mod, o = self.build(kind, c, flags)
        mobile = src == "mobile"
        agent = _MOBILE_AGENTS[u.agent_i % 2] if mobile else self.agents[u.agent_i % len(self.agents)]
        anonymous = ("anonymous" in flags or (src == "browser" and rng.random() < R["anonymous"])
                     or (o.get("no_course") and not o.get("studio") and rng.random() < 0.3))
        if anonymous and (o.get("module_event") or o.get("named_server") or mobile):
            anonymous = False
        if anonymous:
            flags.add("anonymous")
        username = "" if anonymous else u.username
        if "invalid_utf8" in flags:
            username = "Jos\u00e9%d" % rng.randint(1, 99)
        elif "raw_utf8" in flags and username.isascii():
            username = rng.choice(_NON_ASCII_NAMES) + str(rng.randint(1, 999))
        user_id = "" if anonymous else u.user_id
        if user_id != "" and ("user_id_string" in flags or rng.random() < R["user_id_string"]):
            user_id = str(user_id)
            flags.add("user_id_string")
        if o.get("enroll"):
            ev["user_id"] = u.user_id
        if o.get("grades"):
            ev["user_id"] = str(u.user_id)
        ip = u.ip
        host = self.studio if o.get("studio") else self.lms
        session = self.session(u) if not anonymous else rng.choice(["", _hex(rng)])
        time_s = self.timestr(us, flags)

        # event: browser payloads are JSON strings, server module events objects
        if o.get("raw_event") or o.get("keep_object"):
            pass
        elif src == "browser":
            if "event_as_object" in flags or rng.random() < R["event_as_object"]:
                flags.add("event_as_object")
            else:
                ev = self.payload_str(ev)
        elif o.get("module_event") and ("event_as_string" in flags or rng.random() < R["event_as_string"]):
            flags.add("event_as_string")
            ev = json.dumps(ev)

        # context
        ctx = None
        if self.has_context:
            course_id, org_id = c.id, c.org
            if o.get("no_course"):
                course_id = org_id = ""
            elif src == "browser" and ("course_only_in_page" in flags or rng.random() < R["course_only_in_page"]):
                course_id = org_id = ""
                flags.add("course_only_in_page")
            uid = user_id if not anonymous else rng.choice(["", None])
            if mobile:
                ctx = {"course_id": course_id, "org_id": org_id, "user_id": uid, "path": path,
                       "application": {"name": "edx.mobileapp.android", "version": "2.4.1"},
                       "client": {"network": {"wifi": True}},
                       "received_at": time_s, "component": "videoplayer"}
            elif self.full_context:
                ctx = {"username": username}
                if src == "server" and not o.get("no_course"):
                    ctx["course_user_tags"] = {}
                ctx.update({"user_id": uid, "ip": ip, "org_id": org_id, "agent": agent, "host": host,
                            "session": session})
                if mod is not None:
                    ctx["module"] = mod
                ctx["course_id"] = course_id
                ctx["path"] = path
            elif o.get("named_server") and self.py3:
                ctx = {"course_id": course_id, "org_id": org_id, "user_id": uid, "path": path}
                if mod is not None:
                    ctx["module"] = mod
                ctx["enterprise_uuid"] = ""
            else:
                ctx = {}
                if src == "server" and not o.get("no_course"):
                    ctx["course_user_tags"] = {}
                ctx["user_id"] = uid
                ctx["org_id"] = org_id
                if mod is not None:
                    if self.day >= ERA["answervariable_from"]:
                        ctx["asides"] = {}
                    ctx["module"] = mod
                ctx["course_id"] = course_id
                ctx["path"] = path
        referer = page if page and page.startswith("http") else \
            "https://%s%s" % (host, self.courseware_path(c) if not o.get("no_course") else "/dashboard")
        lang = u.lang
        if mobile:
            referer, lang, page = "", "", None

        # top-level record, in the key order of its era
        if src == "browser" or mobile:
            sess_missing = "session_missing" in flags or rng.random() < R["session_missing"]
            if "session_empty" in flags or (not sess_missing and rng.random() < R["session_empty"]):
                session = ""
                flags.add("session_empty")
            elif sess_missing:
                flags.add("session_missing")
            if self.named:
                rec = {"username": username, "event_source": src, "name": etype, "accept_language": lang,
                       "time": time_s, "agent": agent, "page": page, "host": host, "session": session,
                       "referer": referer, "context": ctx, "ip": ip, "event": ev, "event_type": etype}
            else:
                rec = {"username": username, "event_type": etype, "ip": ip, "agent": agent, "host": host,
                       "session": session, "event": ev, "event_source": src, "context": ctx, "time": time_s,
                       "page": page}
            if sess_missing:
                del rec["session"]
        elif not self.named:
            rec = {"username": username, "host": host, "event_source": src, "event_type": etype, "context": ctx,
                   "time": time_s, "ip": ip, "event": ev, "agent": agent, "page": page}
        elif o.get("named_server") and self.py3:
            rec = {"name": etype, "context": ctx, "username": username, "session": session, "ip": ip,
                   "agent": agent, "host": host, "referer": referer, "accept_language": lang, "event": ev,
                   "time": time_s, "event_type": etype, "event_source": src, "page": page}
        elif o.get("named_server"):
            rec = {"username": username, "event_source": src, "name": etype, "accept_language": lang,
                   "time": time_s, "agent": agent, "page": page, "host": host, "session": session,
                   "referer": referer, "context": ctx, "ip": ip, "event": ev, "event_type": etype}
        else:
            rec = {"username": username, "event_type": etype, "ip": ip, "agent": agent, "host": host,
                   "referer": referer, "accept_language": lang, "event": ev, "event_source": src,
                   "context": ctx, "time": time_s, "page": page}
        if ctx is None:
            del rec["context"]
        if "extra_key" in flags or rng.random() < R["extra_key"]:
            flags.add("extra_key")
            k, v = rng.choice(_EXTRA_KEYS)
            rec[k] = v

        raw = "raw_utf8" in flags or rng.random() < R["raw_utf8"] or "invalid_utf8" in flags
        text = json.dumps(rec, ensure_ascii=not raw)
        if raw and not text.isascii():
            flags.add("raw_utf8")
        if "duplicate_key" in flags or rng.random() < R["duplicate_key"]:
            flags.add("duplicate_key")
            k = rng.choice(["host", "username", "event_source", "ip"])
            v = rec.get(k) if rng.random() < 0.5 else {"host": "localhost", "username": "dup",
                                                        "event_source": "server", "ip": "127.0.0.1"}[k]
            text = text[:-1] + ", %s: %s}" % (json.dumps(k), json.dumps(v))
        b = text.encode("utf-8")
        if "invalid_utf8" in flags:
            b = b.replace("Jos\u00e9".encode("utf-8"), b"Jos\xe9")
        if "partial_line" in flags:
            return b[: rng.randint(10, max(11, len(b) - 2))]
        if "logging_prefix" in flags or rng.random() < R["logging_prefix"]:
            flags.add("logging_prefix")
            s, f = divmod(us, 1_000_000)
            pre = "%s %02d:%02d:%02d,%03d INFO %d [tracking] [user %s] [ip %s] logger.py:41 - " % (
                self.date_s, s // 3600, s // 60 % 60, s % 60, f // 1000, rng.randint(7, 60),
                user_id if user_id != "" else "None", ip)
            b = pre.encode() + b
        elif "nul_prefix" in flags or rng.random() < R["nul_prefix"]:
            flags.add("nul_prefix")
            b = b"\x00" * rng.randint(1, 64) + b
        elif "bom_prefix" in flags or rng.random() < R["bom_prefix"]:
            flags.add("bom_prefix")
            b = b"\xef\xbb\xbf" + b
        if "crlf" in flags or rng.random() < R["crlf"]:
            flags.add("crlf")
            b += b"\r"
        return b


def _plan(m: _Member, n: int, coverage: bool):
    """-> list of (kind, forced-flags) for n lines."""
    rng = m.rng
    R = RATES
    plan = []
    for _ in range(n):
        r = rng.random()
        if r < R["blank_line"]:
            f = {"blank_line"}
        elif r < R["blank_line"] + R["garbage_line"]:
            f = {"garbage_line"}
        elif r < R["blank_line"] + R["garbage_line"] + R["partial_line"]:
            f = {"partial_line"}
        elif rng.random() < R["invalid_utf8"]:
            f = {"invalid_utf8"}
        else:
            f = set()
        plan.append([m.pick_kind(), f])
    if coverage and n >= COVERAGE_MIN_LINES:
        present = {k for k, _ in plan}
        wanted = [(k, set()) for k in m.kinds if k not in present]
        for f, ks in FORCED.items():
            ks = (ks,) if isinstance(ks, str) else (ks or ())
            wanted.append((next((k for k in ks if k in m.kinds), None), {f}))
        slots = rng.sample(range(n), min(n, len(wanted)))
        for slot, (k, f) in zip(slots, wanted):
            plan[slot] = [k if k is not None else plan[slot][0], f]
    return plan


def _member_rng(seed, server, day):
    return random.Random("edxlog-synth:%s:%s:%s" % (seed, server, day.strftime("%Y%m%d")))


def iter_lines(rng_or_seed, n, day=0, *, server="prod-edxapp-001", world_seed=None, coverage=True,
               stats=None):
    """Yield `n` physical lines (bytes, without the newline) of one server's daily log.

    `rng_or_seed`: an int seed (then the lines equal those of the member `server`/`day` of
    ``generate(seed=...)``) or a ``random.Random``. `day`: see :func:`day_date`. `world_seed`:
    the seed of the course/user world (default: the int seed, or 0 with a Random). `stats`: an
    optional dict that receives counts by generator kind (``"kind:<kind>"``, see
    :data:`KIND_WEIGHTS`) and by oddity (``"odd:<name>"``, see :data:`RATES`).
    """
    d = day_date(day)
    if isinstance(rng_or_seed, random.Random):
        rng = rng_or_seed
        wseed = 0 if world_seed is None else world_seed
    else:
        rng = _member_rng(rng_or_seed, server, d)
        wseed = rng_or_seed if world_seed is None else world_seed
    m = _Member(_world(wseed), rng, d, server)
    plan = _plan(m, n, coverage)
    times = sorted(rng.randrange(86_400_000_000) for _ in range(n))
    for (kind, flags), us in zip(plan, times):
        b = m.line(kind, us, flags)
        if stats is not None:
            for f in flags:
                stats["odd:" + f] = stats.get("odd:" + f, 0) + 1
            if not flags & {"blank_line", "garbage_line", "partial_line"}:
                stats["kind:" + kind] = stats.get("kind:" + kind, 0) + 1
        yield b


# ---------------------------------------------------------------------------------------------
# Writing: gzip members, logs, the tar
# ---------------------------------------------------------------------------------------------
class _GzipWriter:
    """Deterministic gzip writer (mtime 0, no file name, OS=Unix) that can start new members."""

    HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"

    def __init__(self, fileobj, level=6):
        self.f, self.level = fileobj, level
        self._open()

    pos = 0

    def tell(self):
        return self.pos

    def _open(self):
        self.f.write(self.HEADER)
        self.z = zlib.compressobj(self.level, zlib.DEFLATED, -15, 9)
        self.crc = 0
        self.size = 0

    def write(self, data):
        if data:
            self.crc = zlib.crc32(data, self.crc)
            self.size += len(data)
            self.pos += len(data)
            self.f.write(self.z.compress(data))

    def end_member(self):
        self.f.write(self.z.flush())
        self.f.write(struct.pack("<II", self.crc & 0xFFFFFFFF, self.size & 0xFFFFFFFF))

    def new_member(self):
        self.end_member()
        self._open()

    def close(self):
        self.end_member()


def write_log(path_or_fileobj, lines, *, compress=None, level=6):
    """Write lines (bytes or str, newline added to each) to a path or binary file object.

    Gzip (deterministic, mtime 0) when `compress` is true, or when it is None and the path ends
    with ".gz". Returns the number of uncompressed bytes written."""
    if isinstance(path_or_fileobj, (str, os.PathLike)):
        if compress is None:
            compress = os.fspath(path_or_fileobj).endswith(".gz")
        with open(path_or_fileobj, "wb") as f:
            return write_log(f, lines, compress=compress, level=level)
    f = path_or_fileobj
    gz = _GzipWriter(f, level) if compress else None
    out = gz.write if gz else f.write
    total = 0
    buf = []
    blen = 0
    for line in lines:
        if isinstance(line, str):
            line = line.encode("utf-8")
        buf.append(line)
        blen += len(line) + 1
        if blen >= 1 << 20:
            data = b"\n".join(buf) + b"\n"
            out(data)
            total += len(data)
            buf, blen = [], 0
    if buf:
        data = b"\n".join(buf) + b"\n"
        out(data)
        total += len(data)
    if gz:
        gz.close()
    return total


def _write_member(f, lines, n, plain, level, rng):
    """Write a member's n lines (an iterable of bytes) to f, gzip-compressed unless plain;
    some gzip members are split into 2-3 concatenated gzip members, at a line boundary or in the
    middle of a line. -> uncompressed bytes written."""
    if plain:
        return write_log(f, lines, compress=False)
    gz = _GzipWriter(f, level)
    cuts = {}
    if n and rng.random() < RATES["multi_member_gzip"]:
        for _ in range(rng.randint(1, 2)):
            cuts[rng.randrange(n)] = rng.random() < 0.5      # True: split inside the line
    total = 0
    buf, blen = [], 0
    for i, line in enumerate(lines):
        if i in cuts:
            if buf:
                gz.write(b"".join(buf))
                buf, blen = [], 0
            if cuts[i] and len(line) > 1:
                k = rng.randint(1, len(line) - 1)
                gz.write(line[:k])
                gz.new_member()
                gz.write(line[k:] + b"\n")
            else:
                if i:
                    gz.new_member()
                gz.write(line + b"\n")
            total += len(line) + 1
            continue
        buf.append(line + b"\n")
        blen += len(line) + 1
        total += len(line) + 1
        if blen >= 1 << 20:
            gz.write(b"".join(buf))
            buf, blen = [], 0
    if buf:
        gz.write(b"".join(buf))
    gz.close()
    return total


def generate(path, *, servers=2, days=2, lines=1000, seed=0, plain_members=False, start=None,
             level=6, coverage=True, stats=None):
    """Write a synthetic course-data export tar to `path` (gzip-compressed whole when the path
    ends with .tar.gz or .tgz). Returns `stats` (a dict of counts) with ``members``,
    ``lines``, ``bytes_raw`` (uncompressed member bytes) and per-kind/oddity counts."""
    path = os.fspath(path)
    stats = {} if stats is None else stats
    dates = export_dates(days, start)
    gz_outer = path.endswith((".tar.gz", ".tgz"))
    with open(path, "wb") as raw:
        outer = _GzipWriter(raw, level) if gz_outer else raw
        with tarfile.open(fileobj=outer, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for si in range(servers):
                srv = server_name(si)
                last = max(dates) if dates else _D(2014, 5, 2)
                tar.addfile(_tarinfo(srv + "/", last, directory=True))
                for d in sorted(dates):
                    mrng = _member_rng(seed, srv, d)
                    ls = iter_lines(mrng, lines, d, server=srv, world_seed=seed, coverage=coverage,
                                    stats=stats)
                    with tempfile.SpooledTemporaryFile(max_size=256 << 20) as spool:
                        n = _write_member(spool, ls, lines, plain_members, level, random.Random(
                            "edxlog-synth-gz:%s:%s:%s" % (seed, srv, d.strftime("%Y%m%d"))))
                        size = spool.tell()
                        spool.seek(0)
                        ti = _tarinfo(member_name(srv, d, plain_members), d, size=size)
                        tar.addfile(ti, spool)
                    stats["members"] = stats.get("members", 0) + 1
                    stats["lines"] = stats.get("lines", 0) + lines
                    stats["bytes_raw"] = stats.get("bytes_raw", 0) + n
        if gz_outer:
            outer.close()
    return stats


def _tarinfo(name, day, size=0, directory=False):
    ti = tarfile.TarInfo(name)
    # logrotate's daily run, the morning after the day the log covers
    ti.mtime = int(_dt.datetime(day.year, day.month, day.day, 6, 25, tzinfo=_dt.timezone.utc).timestamp()) + 86400
    ti.uid = ti.gid = 33
    ti.uname = ti.gname = "www-data"
    if directory:
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
    else:
        ti.mode = 0o644
        ti.size = size
    return ti


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m edxlog.synth",
                                 description="Write a synthetic edX course-data export (tar of server "
                                             "directories holding daily gzipped tracking logs).")
    ap.add_argument("out", help="output path: .tar, or .tar.gz/.tgz to gzip the whole tar")
    ap.add_argument("--servers", type=int, default=2, help="number of server directories (default 2)")
    ap.add_argument("--days", type=int, default=2, help="daily members per server (default 2)")
    ap.add_argument("--lines", type=int, default=1000, help="physical lines per member (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--plain-members", action="store_true", help="store members uncompressed")
    ap.add_argument("--start", default=None,
                    help="first day YYYY-MM-DD for consecutive days (default: era anchor dates "
                         + ", ".join(d.isoformat() for d in ANCHOR_DATES[:3]) + ", ...)")
    ap.add_argument("--level", type=int, default=6, help="gzip level (default 6)")
    ap.add_argument("--quiet", "-q", action="store_true")
    a = ap.parse_args(argv)
    if a.servers < 1 or a.days < 1 or a.lines < 0:
        ap.error("--servers and --days must be >= 1, --lines >= 0")
    st = generate(a.out, servers=a.servers, days=a.days, lines=a.lines, seed=a.seed,
                  plain_members=a.plain_members, start=a.start, level=a.level)
    if not a.quiet:
        print("%s: %d members, %d lines, %d bytes of logs, %d bytes written"
              % (a.out, st["members"], st["lines"], st["bytes_raw"], os.path.getsize(a.out)),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
