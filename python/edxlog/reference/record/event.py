"""Contract §4, the event payload (src/record/event.rs): an object, a string that encodes JSON
(maybe cut at 512 characters), a quoted or plain GET string, or a `[GET string, html]` list;
and the fields each family of event types takes from it (problem_id ... weighted_possible).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from ..whitespace import WHITESPACE
from .convert import to_float, to_int, to_string, to_text, type_name
from .get_payload import answer_key, decode_get
from .json import JsonError, json_text

_EVENT_WARNING = "event: looks like JSON but does not decode"
_GET_ANSWER_EVENTS = frozenset(("problem_check", "problem_save", "problem_graded"))
_RUBRIC_PREFIXES = ("oe_", "peer_grading_", "staff_grading_")
# decode_string of §4 decodes at most this many times.
_MAX_DECODINGS = 3


class Payload(NamedTuple):
    """What the event decodes to: ``kind`` is "object" (``value`` a dict), "list", "get" (a
    GET candidate string) or None (no payload)."""

    kind: Optional[str]
    value: Any


_NO_PAYLOAD = Payload(None, None)


def event_fields(payload: Payload, record, warnings, decoder):
    """The event columns (problem_id ... weighted_possible), in schema order (the order of
    their warnings), from the decoded payload.

    Choice: the text columns here (problem_id, video_id/code/speed, book_type, seq_id,
    location) follow the string rule, as the contract says for success.
    """
    event_type = record["event_type"]
    obj = payload.value if payload.kind == "object" else None
    if obj is not None:
        _problem_fields(obj, event_type, record, warnings, decoder)
    record["answers"] = _answers(payload, event_type, warnings)
    if obj is not None:
        state = obj.get("state")
        # Contract: JSON text of any non-null value (so a string state is a quoted JSON string).
        record["state"] = None if state is None else json_text(state)
        # The families are independent: an event type in two of them fills both.
        for in_family, family_fields in _FAMILY_FIELDS:
            if isinstance(event_type, str) and in_family(event_type):
                family_fields(obj, record, warnings)


# ---- decoding the payload ----------------------------------------------------------------


def decode_event(event, warnings, decoder) -> Payload:
    if isinstance(event, dict):
        return Payload("object", event)
    if isinstance(event, list):
        return Payload("list", event)
    if isinstance(event, str):
        return _decode_event_string(event, 0, warnings, decoder)
    return _NO_PAYLOAD


def _decode_event_string(text, level, warnings, decoder) -> Payload:
    """decode_string(s, level) of §4."""
    # Choice: "whitespace" is the ASCII set of §2 here too.
    first = text.lstrip(WHITESPACE)[:1]
    if first == "{" or first == "[":
        try:
            value = decoder.decode(text)
        except JsonError:
            warnings.append(_EVENT_WARNING)  # e.g. cut at 512 characters; text stays in `event`
            return _NO_PAYLOAD
        return _payload_of_value(value, level, warnings, decoder)
    if first == '"':
        try:
            value = decoder.decode(text)
        except JsonError:
            # A cut quoted GET string: the text after its opening quote, no warning.
            return Payload("get", text[text.index('"') + 1:])
        return _payload_of_value(value, level, warnings, decoder)
    return Payload("get", text)


def _payload_of_value(value, level, warnings, decoder) -> Payload:
    if isinstance(value, dict):
        return Payload("object", value)
    if isinstance(value, list):
        return Payload("list", value)
    if isinstance(value, str):
        if level + 1 < _MAX_DECODINGS:
            return _decode_event_string(value, level + 1, warnings, decoder)
        # At most three decodings: the string the third one yields is the GET candidate.
        return Payload("get", value)
    return _NO_PAYLOAD


# ---- fields of every object payload: the problem family ----------------------------------


def _problem_fields(obj, event_type, record, warnings, decoder):
    """problem_id, success, attempts, correct_map (answers and state follow in the caller)."""
    # Choice: "when absent" means missing or null (a problem_id that does not convert
    # is not absent: it stays null, with its warning).
    if obj.get("problem_id") is None and event_type == "problem_show":
        record["problem_id"] = to_string(obj.get("problem"), "problem_id", warnings)
    else:
        record["problem_id"] = to_string(obj.get("problem_id"), "problem_id", warnings)
    record["success"] = to_string(obj.get("success"), "success", warnings)
    record["attempts"] = to_int(obj.get("attempts"), "attempts", warnings)
    record["correct_map"] = _correct_map(obj.get("correct_map"), warnings, decoder)


def _answers(payload: Payload, event_type, warnings):
    if payload.kind == "object":
        if "answers" in payload.value:
            return _answers_of_value(payload.value["answers"], warnings)
        return None
    if event_type in _GET_ANSWER_EVENTS:
        candidate = _get_candidate(payload)
        if candidate is not None and "=" in candidate:
            return decode_get(candidate)
    return None


def _get_candidate(payload: Payload):
    """The GET string of a non-object payload: the string itself, or a list's first item."""
    if payload.kind == "get":
        return payload.value
    if payload.kind == "list" and payload.value and isinstance(payload.value[0], str):
        return payload.value[0]
    return None


def _answers_of_value(value, warnings):
    if value is None:
        return None  # Choice: a null `answers` is null without a warning, like other nulls.
    if isinstance(value, str):
        return decode_get(value)
    if not isinstance(value, dict):
        warnings.append(f"answers: cannot convert {type_name(value)} to map")
        return None
    answers = {}
    for key, item in value.items():
        items = [to_text(v) for v in item] if isinstance(item, list) else [to_text(item)]
        # Choice: two keys that become equal once normalised ("input_a" and "a") collect
        # their values in order under the first one's position, as repeated GET keys do.
        answers.setdefault(answer_key(key), []).extend(items)
    return list(answers.items()) or None


def _correct_map(value, warnings, decoder):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            decoded = decoder.decode(value)
        except JsonError:
            decoded = None
        if not isinstance(decoded, dict):
            # Choice: a string that does not decode to an object (or does not decode, "" too)
            # is reported as a string.
            warnings.append("correct_map: cannot convert string to map")
            return None
        value = decoded
    if not isinstance(value, dict):
        warnings.append(f"correct_map: cannot convert {type_name(value)} to map")
        return None
    entries = []
    for answer_id, entry in value.items():
        if not isinstance(entry, dict):
            warnings.append("correct_map: entry is not an object")
            continue
        entries.append(_correct_map_entry(answer_id, entry, warnings))
    # Choice: an object with no usable entry gives an empty list, not null.
    return entries


def _correct_map_entry(answer_id, entry, warnings):
    queuestate = entry.get("queuestate")
    if not isinstance(queuestate, dict):
        queuestate = {}
    return {
        "answer_id": answer_id,
        "correctness": to_text(entry.get("correctness")),
        # Choice: a bad npoints warns as "correct_map.npoints: ...".
        "npoints": to_float(entry.get("npoints"), "correct_map.npoints", warnings),
        "msg": to_text(entry.get("msg")),
        "hint": to_text(entry.get("hint")),
        "hintmode": to_text(entry.get("hintmode")),
        "queuestate_key": to_text(queuestate.get("key")),
        "queuestate_time": to_text(queuestate.get("time")),
    }


# ---- the families of event types and their fields ----------------------------------------


def _is_video(event_type):
    return event_type.endswith("_video") or event_type.startswith("edx.video.")


def _is_rubric(event_type):
    return event_type == "rubric_select" or event_type.startswith(_RUBRIC_PREFIXES)


def _video_fields(obj, record, warnings):
    record["video_id"] = to_string(obj.get("id"), "video_id", warnings)
    record["video_code"] = to_string(obj.get("code"), "video_code", warnings)
    record["video_speed"] = to_string(obj.get("speed"), "video_speed", warnings)
    # Choice: `current_time` is used only when the key `currentTime` is missing.
    current = obj["currentTime"] if "currentTime" in obj else obj.get("current_time")
    record["video_time"] = to_float(current, "video_time", warnings)
    # Seeks and speed changes.
    record["video_old_time"] = to_float(obj.get("old_time"), "video_old_time", warnings)
    record["video_new_time"] = to_float(obj.get("new_time"), "video_new_time", warnings)
    record["video_seek_type"] = to_string(obj.get("type"), "video_seek_type", warnings)
    record["video_old_speed"] = to_string(obj.get("old_speed"), "video_old_speed", warnings)
    record["video_new_speed"] = to_string(obj.get("new_speed"), "video_new_speed", warnings)


def _book_fields(obj, record, warnings):
    record["book_type"] = to_string(obj.get("type"), "book_type", warnings)
    record["book_old"] = to_int(obj.get("old"), "book_old", warnings)
    record["book_new"] = to_int(obj.get("new"), "book_new", warnings)


def _seq_fields(obj, record, warnings):
    record["seq_id"] = to_string(obj.get("id"), "seq_id", warnings)
    record["seq_old"] = to_int(obj.get("old"), "seq_old", warnings)
    record["seq_new"] = to_int(obj.get("new"), "seq_new", warnings)


def _rubric_fields(obj, record, warnings):
    record["location"] = to_string(obj.get("location"), "location", warnings)
    record["rubric_category"] = to_int(obj.get("category"), "rubric_category", warnings)
    record["selected_value"] = to_int(obj.get("value"), "selected_value", warnings)


def _enrollment_fields(obj, record, warnings):
    record["enrollment_mode"] = to_string(obj.get("mode"), "enrollment_mode", warnings)


def _ui_lms_fields(obj, record, warnings):
    record["target_url"] = to_string(obj.get("target_url"), "target_url", warnings)


def _grades_problem_fields(obj, record, warnings):
    record["weighted_earned"] = to_float(obj.get("weighted_earned"), "weighted_earned", warnings)
    record["weighted_possible"] = to_float(
        obj.get("weighted_possible"), "weighted_possible", warnings
    )


# (event type is in the family, the family's fields), in schema order.
_FAMILY_FIELDS = (
    (_is_video, _video_fields),
    (lambda t: t == "book", _book_fields),
    (lambda t: t.startswith("seq_"), _seq_fields),
    (_is_rubric, _rubric_fields),
    (lambda t: t.startswith("edx.course.enrollment."), _enrollment_fields),
    (lambda t: t.startswith("edx.ui.lms."), _ui_lms_fields),
    (lambda t: t.startswith("edx.grades.problem."), _grades_problem_fields),
)
