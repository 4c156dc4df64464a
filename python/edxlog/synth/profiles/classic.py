"""The classic mix (the default profile): every era from 2013 to 2020, every event family the
generator knows, and every oddity of real logs at raised rates, so that small corpora exercise
all of edxlog's paths. About 1.05 KB a line; about 40 % implicit URL events."""

from __future__ import annotations

import datetime as _dt

from ..eras import ANCHOR_DATES
from ..oddities import FORCED, RATES
from . import Profile

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

PROFILE = Profile("classic", KIND_WEIGHTS, RATES, FORCED, ANCHOR_DATES)
