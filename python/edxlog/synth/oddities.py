"""Real-world oddities of tracking logs and how often the generator puts them in.

"line" rates are per physical line; the others are per line of the kind named in the comment.
Entries of :data:`FORCED` are also forced at least once per member of >= COVERAGE_MIN_LINES
lines, so small corpora still hold them all (which raises their share in small members; in large
members the rates dominate). A profile may use other rates (the 2017 profile is clean: see
``profiles/y2017.py``)."""

from __future__ import annotations

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
