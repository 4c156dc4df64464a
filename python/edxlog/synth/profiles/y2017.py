"""A profile shaped like a real 2016-18 edx.org course-data export.

Real exports of that era are dominated by the server's implicit events: one line per request,
``event_type`` the URL path, ``event`` the string ``"{\\"POST\\": {...}, \\"GET\\": {...}}"``
(about 80-86 % of the lines of the exports measured for issue 11). The rest are the modern named
events: the web video player, ``edx.ui.lms.*``, problem checks and ``edx.grades.problem.submitted``,
enrollments, bookmarks, the mobile apps' ``edx.video.*``. Every line carries a ``context``.

The logs are clean the way real exports are: no blank, garbage or half-written lines (edxlog
reads a corpus with zero rejects), no logging prefixes, single-stream gzip members; only the
mild oddities of real data stay (raw UTF-8, string user ids, anonymous requests, a few
events cut at 512 characters, which read with a warning). About 780 bytes a line on average
(the real export issue 11 measured: about 760).
"""

from __future__ import annotations

import datetime as _dt

from ..oddities import RATES
from . import Profile

_D = _dt.date
_ALWAYS = (_D(2000, 1, 1), _D(2100, 1, 1))

#: four days of 2017 (day index k: ANCHORS[k % 4] + k // 4 days)
ANCHORS = (_D(2017, 3, 14), _D(2017, 10, 2), _D(2017, 6, 21), _D(2017, 12, 5))

_WEIGHTS = {
    # implicit server events (URL event_type): ~81 % of the lines
    "url_courseware": 21.0,      # /courses/<id>/courseware/<chapter>/<sequence>/
    "url_xblock_state": 14.0,    # XBlock handlers: goto_position, save_user_state, problem_get ...
    "url_xblock_problem": 3.0,   # problem_check handler calls (the POST holds the answers)
    "url_site": 20.0,            # /, /dashboard, /login, account settings, course discovery
    "url_course_page": 10.0,     # course home, progress, discussions, bookmarks, info
    "url_misc": 3.0,             # older course pages
    "url_api": 10.0,             # the REST APIs of the pages and the mobile apps
    "url_transcript": 3.0,       # the video player's transcript fetches
    # the web video player
    "play_video": 2.5, "pause_video": 2.0, "seek_video": 0.8, "speed_change_video": 0.4,
    "load_video": 1.5, "stop_video": 0.3, "transcript": 0.3,
    # problems
    "problem_check_browser": 1.2, "problem_graded": 0.8, "problem_show": 0.2,
    "problem_check_server": 1.2, "showanswer": 0.2, "reset_problem": 0.1, "demandhint": 0.1,
    "grades_submitted": 1.0,
    # navigation, edx.ui.lms.*
    "page_close": 1.5, "seq_goto": 0.6, "seq_next": 0.6, "seq_prev": 0.2,
    "seq_next_selected": 0.8, "seq_ui_selected": 0.4, "link_clicked": 0.3, "outline_selected": 0.3,
    # the rest
    "mobile_video": 0.6, "enrollment": 0.2, "enrollment_api": 0.2, "bookmark": 0.3,
    "forum_thread": 0.1, "book": 0.15, "textbook_scrolled": 0.05, "ora2_submission": 0.05,
}
KIND_WEIGHTS = {k: (w,) + _ALWAYS for k, w in _WEIGHTS.items()}

#: kinds whose event_type is a URL path
URL_KINDS = frozenset(k for k in _WEIGHTS if k.startswith("url_"))

# No line is unreadable; the mild oddities of real data stay at real-world rates.
_ZERO = ("blank_line", "garbage_line", "partial_line", "logging_prefix", "nul_prefix", "bom_prefix", "crlf",
         "invalid_utf8", "duplicate_key", "time_z", "time_no_offset", "multi_member_gzip", "queuestate",
         "correct_map_string", "event_as_string", "session_missing")
RATES_2017 = dict(RATES, **{k: 0.0 for k in _ZERO})
RATES_2017.update({
    "extra_key": 0.002,          # "nonInteraction": 1, "label": ... on a few browser events
    "time_no_micros": 0.001,     # a microsecond count of exactly 0 is written without fraction
    "event_as_object": 0.005,
    "long_post": 0.005,          # a POST cut at 512 characters by the server
    "literal_brackets": 0.0,
    "numbers_as_strings": 0.02,
    "session_empty": 0.01,
})

PROFILE = Profile("2017", KIND_WEIGHTS, RATES_2017, {}, ANCHORS, catalog="2017")
