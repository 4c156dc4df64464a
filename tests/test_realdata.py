"""The real logs in ../shared/realdata: counts, and the real-world shapes they show."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

import edxlog
from edxlog import reference
from conftest import REALDATA, line, realdata_files, write_lines

# (lines, rows, rejects, blank) per file, checked by hand against the files: the rejects are
# '#' comment lines, lines with two objects glued together ("}{"), and broken JSON.
EXPECTED = {
    "eap_answer_dist_acceptance_tracking.log": (693, 693, 0, 0),
    "eap_deidentification_tracking.log": (17, 17, 0, 0),
    "eap_events_to_warehouse_acceptance_tracking.log.gz": (33, 33, 0, 0),
    "eap_location_by_course_tracking.log": (74, 74, 0, 0),
    "eap_module_engagement_acceptance_tracking_20150416.log": (126, 126, 0, 0),
    "eap_problem_response_tracking.log": (846, 846, 0, 0),
    "eap_student_engagement_acceptance_tracking.log": (304, 226, 22, 56),
    "eap_trajectory_tracking.log": (930, 929, 0, 1),
    "eap_user_activity_tracking.log": (207, 207, 0, 0),
    "eap_video_timeline.log": (29, 18, 7, 4),
    "erb_logger_prefixed_tracking.log": (12, 10, 2, 0),
    "peeratham_cs6604_tracking.log": (13, 13, 0, 0),
    "ralph_browser_event.log": (7, 7, 0, 0),
    "ralph_server_events.log": (35, 29, 6, 0),
}


def test_every_real_file_is_expected():
    assert sorted(p.name for p in realdata_files()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts(name):
    reader = edxlog.read(REALDATA / name)
    table = reader.read_all()
    s = reader.stats
    assert (s["lines"], s["rows"], s["rejects"], s["blank"]) == EXPECTED[name]
    assert table.num_rows == s["rows"]
    assert reader.rejects().num_rows == s["rejects"]


def rows(name, event_type=None, source=None):
    t = edxlog.read_table(REALDATA / name)
    if event_type:
        t = t.filter(pc.equal(t["event_type"], event_type))
    if source:
        t = t.filter(pc.equal(t["event_source"], source))
    return t.to_pylist()


def test_2014_quoted_problem_check_decodes_to_answers():
    browser = rows("eap_answer_dist_acceptance_tracking.log", "problem_check", "browser")
    assert browser and all(r["answers"] for r in browser)
    first = dict(browser[0]["answers"])
    assert first["i4x-edX-E929-problem-466bffd122ce457ea3ae34a46f0130fa_2_1"] == ["3.14"]


def test_2015_unquoted_problem_check_and_server_answers_share_keys():
    browser = rows("eap_trajectory_tracking.log", "problem_check", "browser")
    server = rows("eap_trajectory_tracking.log", "problem_check", "server")
    assert dict(browser[0]["answers"]) == {"problem1_2_1": ["choice_1", "choice_3", "choice_4"]}
    browser_keys = {k for r in browser for k, _ in r["answers"]}
    server_keys = {k for r in server if r["answers"] for k, _ in r["answers"]}
    assert browser_keys & server_keys


def test_problem_graded_lists_decode():
    graded = rows("eap_trajectory_tracking.log", "problem_graded")
    assert graded and all(r["answers"] for r in graded)


def test_events_cut_at_512_characters_keep_text_and_warn():
    cut = [r for r in rows("eap_answer_dist_acceptance_tracking.log")
           if r["warnings"] and "event: looks like JSON but does not decode" in r["warnings"]]
    assert cut
    assert all(len(r["event"]) == 512 for r in cut)


def test_logging_prefix_is_stripped_and_warned():
    got = rows("erb_logger_prefixed_tracking.log")
    assert len(got) == 10
    assert all(r["warnings"][0].startswith("prefix stripped: ") for r in got)
    assert got[0]["event_type"] == "edx.grades.subsection.grade_calculated"
    assert got[0]["course_id"] == "course-v1:edX+DemoX+Demo_Course"


def test_empty_sessions_stay_empty_and_missing_sessions_are_null():
    sessions = {r["session"] for r in rows("eap_problem_response_tracking.log")}
    assert "" in sessions
    assert None in {r["session"] for r in rows("eap_answer_dist_acceptance_tracking.log")}


def test_times_with_and_without_microseconds_and_offsets_parse():
    for f in realdata_files():
        t = edxlog.read_table(f)
        warnings = [w for ws in t["warnings"].to_pylist() if ws for w in ws]
        assert not [w for w in warnings if w.startswith("time")], f.name
    # The one record without "time" (it has "timestamp") keeps that key in extra.
    untimed = [r for r in rows("erb_logger_prefixed_tracking.log") if r["time"] is None]
    assert [r["extra"] for r in untimed] == ['{"timestamp":"2023-05-23T14:12:19.620891+00:00"}']


def test_course_ids_in_both_forms():
    ids = {r["course_id"] for r in rows("eap_answer_dist_acceptance_tracking.log")}
    assert "edX/E929/2014_T2" in ids
    ids = {r["course_id"] for r in rows("eap_trajectory_tracking.log")}
    assert "course-v1:Typologex+TNT+20150803" in ids


# ---- the typed fields of modern events (columns added in Core v2) ---------------------------


def test_seek_video_old_and_new_time_and_type():
    seeks = rows("eap_module_engagement_acceptance_tracking_20150416.log", "seek_video")
    assert seeks
    assert {
        (r["video_old_time"], r["video_new_time"], r["video_seek_type"], r["video_code"])
        for r in seeks
    } == {(2.545294, 141.0, "onSlideSeek", "b7xgknqkQk8")}


def test_speed_change_video_old_and_new_speed():
    changes = rows("eap_trajectory_tracking.log", "speed_change_video")
    assert changes
    assert all(r["video_old_speed"] and r["video_new_speed"] for r in changes)
    first = changes[0]
    assert (first["video_old_speed"], first["video_new_speed"], first["video_time"]) == (
        "1.0", "2.0", 34.475659,
    )


def test_enrollment_mode():
    t = edxlog.read_table(REALDATA / "eap_answer_dist_acceptance_tracking.log")
    enrolled = t.filter(pc.starts_with(t["event_type"], "edx.course.enrollment.")).to_pylist()
    assert enrolled and all(r["enrollment_mode"] for r in enrolled)
    assert [r["enrollment_mode"] for r in enrolled[:2]] == ["honor", "audit"]
    changed = rows("eap_problem_response_tracking.log", "edx.course.enrollment.mode_changed")
    assert [r["enrollment_mode"] for r in changed[:2]] == ["honor", "verified"]
    # Other events leave it null.
    assert all(r["enrollment_mode"] is None for r in t.to_pylist() if r not in enrolled)


def test_target_url_of_link_clicked_and_outline_selected():
    clicked = rows("eap_problem_response_tracking.log", "edx.ui.lms.link_clicked")
    assert clicked and all(r["target_url"] for r in clicked)
    assert clicked[0]["target_url"] == (
        "http://helga.local:8000/courses/course-v1:OpenCraft+PRDemo1+2016/progress"
    )
    selected = rows("eap_problem_response_tracking.log", "edx.ui.lms.outline.selected")
    assert selected and all(r["target_url"].startswith("http://helga.local:8000/courses/")
                            for r in selected)


def test_grades_problem_submitted_weighted_earned_and_possible():
    submitted = rows("erb_logger_prefixed_tracking.log", "edx.grades.problem.submitted")
    assert [(r["weighted_earned"], r["weighted_possible"]) for r in submitted] == [(1.0, 1.0)]
    assert submitted[0]["problem_id"].startswith("block-v1:edX+DemoX+Demo_Course+type@problem")


def test_course_id_comes_from_the_payload_when_context_has_none(tmp_path):
    src = write_lines(tmp_path / "f.log", [
        line(event_type="edx.bookmark.added", context={"course_id": "", "user_id": 3},
             event={"course_id": "course-v1:E+F+G", "bookmark_id": "b"}),
        line(event_type="edx.course.enrollment.activated", context={},
             event='{"course_id": "X/Y/Z", "mode": "audit"}'),
        line(event_type="edx.bookmark.added", context={"course_id": "A/B/C"},
             event={"course_id": "course-v1:E+F+G"}),
    ])
    for read in (edxlog.read, reference.read):
        t = read(src).read_all()
        assert t.column("course_id").to_pylist() == ["course-v1:E+F+G", "X/Y/Z", "A/B/C"]
        assert t.column("org_id").to_pylist() == ["E", "X", "A"]
        assert t.column("enrollment_mode").to_pylist() == [None, "audit", None]
