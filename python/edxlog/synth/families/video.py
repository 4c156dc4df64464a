"""Video events: the web player's ``play_video`` ... ``speed_change_video`` (browser) and the
mobile apps' ``edx.video.*`` (event_source "mobile")."""

from __future__ import annotations

from ..event import Event
from ..vocabulary import SPEEDS

PLAYER_KINDS = ("play_video", "pause_video", "seek_video", "speed_change_video", "load_video", "stop_video")
MOBILE_EVENT_TYPES = ("edx.video.played", "edx.video.played", "edx.video.paused", "edx.video.stopped",
                      "edx.video.loaded", "edx.video.position.changed")


def video_payload(member, course, etype, flags, mobile=False):
    """The payload of one video event, in the key order of the member's era."""
    rng = member.rng
    vid, code = rng.choice(course.videos)
    vid_id = course.block("video", vid) if mobile else (
        course.html_id("video", vid) if course.style == "old" else vid)
    t = round(rng.uniform(0, 1800), 6) if rng.random() < 0.9 else 0
    time_key = "currentTime"
    if "current_time_key" in flags or (not mobile and rng.random() < member.rates["current_time_key"]):
        flags.add("current_time_key")
        time_key = "current_time"
    code = "mobile" if mobile else (code if rng.random() < 0.85 else "html5")
    if etype in ("seek_video", "edx.video.position.changed"):
        return {"id": vid_id, "old_time": t, "new_time": round(rng.uniform(0, 1800), 3),
                "type": rng.choice(["onSlideSeek", "onSkipSeek"]), "code": code}
    if etype == "speed_change_video":
        return {"current_time": t, "old_speed": rng.choice(SPEEDS), "code": code, "id": vid_id,
                "new_speed": rng.choice(SPEEDS)}
    if etype in ("load_video", "edx.video.loaded"):
        return {"id": vid_id, "code": code}
    if member.spaced or mobile:
        ev = {"code": code, "id": vid_id, time_key: t}
    else:
        ev = {"id": vid_id, time_key: t, "code": code}
    if etype in ("play_video", "pause_video") and member.rng.random() < 0.7:
        ev["speed"] = member.rng.choice(SPEEDS)
    return ev


def player_event(member, kind, course, user, flags):
    return Event("browser", kind, video_payload(member, course, kind, flags), member.courseware_page(course), "/event")


def transcript(member, kind, course, user, flags):
    page = member.courseware_page(course)
    ev = video_payload(member, course, "play_video", flags)
    ev.pop("speed", None)
    return Event("browser", member.rng.choice(["show_transcript", "hide_transcript"]), ev, page, "/event")


def mobile_video(member, kind, course, user, flags):
    et = member.rng.choice(MOBILE_EVENT_TYPES)
    return Event("mobile", et, video_payload(member, course, et, flags, mobile=True), None, "/segmentio/event")


BUILDERS = dict({k: player_event for k in PLAYER_KINDS}, transcript=transcript, mobile_video=mobile_video)
