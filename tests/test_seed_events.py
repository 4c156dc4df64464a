"""Every event type of the seed table, one hand-written line each, with its typed values."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import edxlog
from conftest import line, write_lines

UTC = dt.timezone.utc
COMMON = dict(
    username="alice",
    session="0123456789abcdef0123456789abcdef",
    ip="10.0.0.1",
    agent="Mozilla/5.0",
    page="https://courses.edx.org/courses/MITx/6.00x/2012_Fall/courseware/Week_1/",
    time="2013-02-05T18:12:06.123456+00:00",
)


def read_one(tmp_path, **fields) -> dict:
    path = write_lines(tmp_path / "one.log", [line(**{**COMMON, **fields})])
    reader = edxlog.read(path)
    rows = reader.read_all().to_pylist()
    assert reader.stats["rows"] == 1 and reader.stats["rejects"] == 0
    return rows[0]


def test_common_fields_are_typed(tmp_path):
    row = read_one(tmp_path, event_source="browser", event_type="page_close", event="")
    assert row["username"] == "alice"
    assert row["session"] == COMMON["session"]
    assert row["ip"] == "10.0.0.1"
    assert row["agent"] == "Mozilla/5.0"
    assert row["time"] == dt.datetime(2013, 2, 5, 18, 12, 6, 123456, tzinfo=UTC)
    assert row["event_source"] == "browser"
    assert row["event_type"] == "page_close"
    # page_close carries nothing but the page: an empty string event stays empty, no warning.
    assert row["event"] == ""
    assert row["warnings"] is None
    # No context: the course comes from the page URL.
    assert row["course_id"] == "MITx/6.00x/2012_Fall"
    assert row["org_id"] == "MITx"
    assert row["line"] == 1 and row["source"].endswith("one.log") and row["server"] is None
    assert len(row["event_id"]) == 16


def test_show_answer(tmp_path):
    row = read_one(tmp_path, event_source="server", event_type="show_answer",
                   event={"problem_id": "i4x://MITx/6.00x/problem/L15:L15_Problem_2"})
    assert row["problem_id"] == "i4x://MITx/6.00x/problem/L15:L15_Problem_2"


def test_save_problem_check_with_correct_map(tmp_path):
    event = {
        "problem_id": "i4x://MITx/6.00x/problem/L15:L15_Problem_2",
        "success": "incorrect",
        "attempts": 2,
        "correct_map": {
            "i4x-MITx-6_00x-problem-L15_L15_Problem_2_2_1": {
                "hint": "", "hintmode": None, "correctness": "incorrect", "npoints": None,
                "msg": "try again", "queuestate": {"key": "abc", "time": "20130205181206"},
            },
            "i4x-MITx-6_00x-problem-L15_L15_Problem_2_3_1": {
                "hint": "a hint", "hintmode": "on_request", "correctness": "correct", "npoints": 1,
                "msg": "", "queuestate": None,
            },
        },
        "state": {"seed": 1, "student_answers": {}},
        "answers": {"i4x-MITx-6_00x-problem-L15_L15_Problem_2_2_1": "42",
                    "i4x-MITx-6_00x-problem-L15_L15_Problem_2_3_1": ["choice_0", "choice_2"]},
    }
    row = read_one(tmp_path, event_source="server", event_type="save_problem_check", event=event)
    assert row["success"] == "incorrect"
    assert row["attempts"] == 2
    assert row["correct_map"] == [
        {"answer_id": "i4x-MITx-6_00x-problem-L15_L15_Problem_2_2_1", "correctness": "incorrect",
         "npoints": None, "msg": "try again", "hint": "", "hintmode": None,
         "queuestate_key": "abc", "queuestate_time": "20130205181206"},
        {"answer_id": "i4x-MITx-6_00x-problem-L15_L15_Problem_2_3_1", "correctness": "correct",
         "npoints": 1.0, "msg": "", "hint": "a hint", "hintmode": "on_request",
         "queuestate_key": None, "queuestate_time": None},
    ]
    assert json.loads(row["state"]) == {"seed": 1, "student_answers": {}}
    assert row["answers"] == [
        ("i4x-MITx-6_00x-problem-L15_L15_Problem_2_2_1", ["42"]),
        ("i4x-MITx-6_00x-problem-L15_L15_Problem_2_3_1", ["choice_0", "choice_2"]),
    ]
    assert json.loads(row["event"]) == event


def test_reset_problem(tmp_path):
    row = read_one(tmp_path, event_source="server", event_type="reset_problem",
                   event={"problem_id": "i4x://MITx/6.00x/problem/p1"})
    assert row["problem_id"] == "i4x://MITx/6.00x/problem/p1"


@pytest.mark.parametrize(
    "event, want",
    [
        ({"type": "gotopage", "old": 2, "new": 25}, ("gotopage", 2, 25)),
        ({"type": "nextpage", "new": 10}, ("nextpage", None, 10)),
        # Numbers given as strings fill integer columns silently.
        ({"type": "gotopage", "old": "3", "new": "4"}, ("gotopage", 3, 4)),
    ],
)
def test_book(tmp_path, event, want):
    row = read_one(tmp_path, event_source="browser", event_type="book", event=json.dumps(event))
    assert (row["book_type"], row["book_old"], row["book_new"]) == want
    assert row["warnings"] is None


@pytest.mark.parametrize("event_type", ["play_video", "pause_video"])
def test_video(tmp_path, event_type):
    event = {"id": "i4x-HarvardX-PH207x-video-Simple_Random_Sample", "code": "FU3fCJNs94Y",
             "currentTime": 1.264, "speed": "1.0"}
    row = read_one(tmp_path, event_source="browser", event_type=event_type, event=json.dumps(event))
    assert row["video_id"] == "i4x-HarvardX-PH207x-video-Simple_Random_Sample"
    assert row["video_code"] == "FU3fCJNs94Y"
    assert row["video_time"] == 1.264
    assert row["video_speed"] == "1.0"
    # Video keys never leak into the sequence columns.
    assert row["seq_id"] is None


def test_video_current_time_spelling(tmp_path):
    row = read_one(tmp_path, event_source="mobile", event_type="edx.video.played",
                   event={"id": "v", "current_time": "12.5"})
    assert row["video_time"] == 12.5


def test_problem_check_browser_2014_quoted_form(tmp_path):
    event = json.dumps("input_i4x-edX-E929-problem-466b_2_1=3.14&input_i4x-edX-E929-problem-466b_3_1=4500")
    row = read_one(tmp_path, event_source="browser", event_type="problem_check", event=event)
    assert row["answers"] == [("i4x-edX-E929-problem-466b_2_1", ["3.14"]),
                              ("i4x-edX-E929-problem-466b_3_1", ["4500"])]
    assert row["event"] == event  # the text stays verbatim
    assert row["warnings"] is None


def test_problem_check_browser_2015_unquoted_form(tmp_path):
    event = "input_problem1_2_1%5B%5D=choice_1&input_problem1_2_1%5B%5D=choice_3&input_problem1_3_1=a+b%C3%A9"
    row = read_one(tmp_path, event_source="browser", event_type="problem_check", event=event)
    assert row["answers"] == [("problem1_2_1", ["choice_1", "choice_3"]), ("problem1_3_1", ["a bé"])]


def test_problem_graded_list_form(tmp_path):
    row = read_one(tmp_path, event_source="browser", event_type="problem_graded",
                   event=["input_p_2_1=choice_2", "<div class='x'>html</div>"])
    assert row["answers"] == [("p_2_1", ["choice_2"])]


def test_problem_show(tmp_path):
    row = read_one(tmp_path, event_source="browser", event_type="problem_show",
                   event=json.dumps({"problem": "i4x://MITx/6.00x/problem/L15"}))
    assert row["problem_id"] == "i4x://MITx/6.00x/problem/L15"


@pytest.mark.parametrize("event_type, old, new", [("seq_goto", 3, 5), ("seq_next", 4, 6), ("seq_prev", 6, 5)])
def test_seq(tmp_path, event_type, old, new):
    event = {"id": "i4x://MITx/6.00x/sequential/Week_1", "old": old, "new": new}
    row = read_one(tmp_path, event_source="browser", event_type=event_type, event=json.dumps(event))
    assert (row["seq_id"], row["seq_old"], row["seq_new"]) == ("i4x://MITx/6.00x/sequential/Week_1", old, new)


def test_rubric_select(tmp_path):
    event = {"location": "i4x://MITx/6.00x/problem/L15:L15_Problem_2", "category": 1, "value": 3}
    row = read_one(tmp_path, event_source="browser", event_type="rubric_select", event=json.dumps(event))
    assert (row["location"], row["rubric_category"], row["selected_value"]) == (event["location"], 1, 3)


@pytest.mark.parametrize("prefix", ["oe", "peer_grading", "staff_grading"])
@pytest.mark.parametrize("action", ["show_problem", "hide_problem"])
def test_open_ended_show_hide(tmp_path, prefix, action):
    row = read_one(tmp_path, event_source="browser", event_type=f"{prefix}_{action}",
                   event=json.dumps({"location": "i4x://MITx/6.00x/combinedopenended/x"}))
    assert row["location"] == "i4x://MITx/6.00x/combinedopenended/x"


@pytest.mark.parametrize("event_type", ["oe_show_full_feedback", "oe_show_respond_to_feedback"])
def test_open_ended_empty_events(tmp_path, event_type):
    row = read_one(tmp_path, event_source="browser", event_type=event_type, event="")
    assert row["event"] == "" and row["location"] is None and row["warnings"] is None


def test_oe_feedback_response_selected(tmp_path):
    row = read_one(tmp_path, event_source="browser", event_type="oe_feedback_response_selected",
                   event=json.dumps({"value": "2"}))
    assert row["selected_value"] == 2


def test_event_cut_at_512_characters_keeps_text_and_warns(tmp_path):
    full = json.dumps({"POST": {"input_x": ["y" * 600]}, "GET": {}})
    row = read_one(tmp_path, event_source="server", event_type="/courses/course-v1:A+B+C/xblock/x/handler/problem_check",
                   event=full[:512], page=None)
    assert row["event"] == full[:512]
    assert row["warnings"] == ["event: looks like JSON but does not decode"]
    # No context and no page: the course comes from the URL-shaped event type.
    assert row["course_id"] == "course-v1:A+B+C"


def test_unconvertible_values_are_null_and_warned(tmp_path):
    raw = b'{"event_type": "seq_goto", "event": {"id": "s", "old": "abc", "new": 1e400}}'
    reader = edxlog.read(write_lines(tmp_path / "x.log", [raw]))
    row = reader.read_all().to_pylist()[0]
    assert reader.stats["rows"] == 1
    assert (row["seq_old"], row["seq_new"]) == (None, None)
    assert row["warnings"] == ["seq_old: cannot convert string to int64", "seq_new: out of range"]


def test_unknown_top_level_keys_land_in_extra(tmp_path):
    row = read_one(tmp_path, event_source="server", event_type="x", event={}, new_field={"a": [1, 2]}, other=3)
    assert json.loads(row["extra"]) == {"new_field": {"a": [1, 2]}, "other": 3}


def test_context_fills_course_org_user(tmp_path):
    context = {"course_id": "course-v1:edX+DemoX+Demo_Course", "org_id": "edX", "user_id": "6", "path": "/event"}
    row = read_one(tmp_path, event_source="server", event_type="x", event={}, context=context)
    assert (row["course_id"], row["org_id"], row["user_id"]) == ("course-v1:edX+DemoX+Demo_Course", "edX", 6)
    assert json.loads(row["context"]) == context
