"""Contract §3, a JSON object -> every column's value (`build_record` in src/record/mod.rs).

Warnings come in the schema's column order: time, username ... event_type, user_id, context,
then the event's decoding and fields (§4). A known key whose value does not convert is kept in
`extra` as well, so no value is lost.
"""

from __future__ import annotations

from .convert import to_string, type_name
from .course import course_fields
from .event import decode_event, event_fields
from .json import JsonDecoder, json_text
from .source_text import top_level_texts
from .time import parse_time

# Top-level keys with a column of their own (schema order, which is the order warnings come in).
STRING_KEYS = (
    "username", "session", "ip", "agent", "page", "host", "referer", "accept_language",
    "name", "event_source", "event_type",
)
_KNOWN_KEYS = frozenset(STRING_KEYS + ("time", "context", "event"))


def build_record(obj: dict, warnings: list, decoder: JsonDecoder, text: str) -> dict:
    """Every column's value for one JSON object (§3-§5), whose text is ``text``; warnings are
    appended in order."""
    record = {}
    event = obj.get("event")
    # `context` and a non-string `event` keep the line's own text of their value.
    own_text = {}
    if isinstance(obj.get("context"), dict) or not (event is None or isinstance(event, str)):
        own_text = top_level_texts(text)
    unconverted = set()  # known keys whose value did not convert: they are kept in `extra`
    _time_column(obj.get("time"), record, warnings, unconverted)
    _string_columns(obj, record, warnings, unconverted)
    context = _context_column(obj.get("context"), own_text, record, warnings, unconverted)
    record["event"] = event if event is None or isinstance(event, str) else own_text["event"]
    _extra_column(obj, record, unconverted)
    # §4 The event payload: decoded first, as §5's course_id may come from it, but its warning
    # comes in schema order, after user_id's.
    event_warnings = []
    payload = decode_event(event, event_warnings, decoder)
    # §5 course_id, org_id, user_id.
    course_fields(context, payload, record, warnings)
    warnings.extend(event_warnings)
    # §4 The event's fields.
    event_fields(payload, record, warnings, decoder)
    return record


def _time_column(time, record, warnings, unconverted):
    # An unparseable time string counts as "could not be converted": it is kept in `extra`.
    if time is None:
        record["time"] = None
    elif isinstance(time, str):
        record["time"] = parse_time(time)
        if record["time"] is None:
            warnings.append("time: unparseable")
            unconverted.add("time")
    else:
        record["time"] = None
        warnings.append(f"time: cannot convert {type_name(time)} to timestamp")
        unconverted.add("time")


def _string_columns(obj, record, warnings, unconverted):
    for key in STRING_KEYS:
        value = obj.get(key)
        if value is None or value.__class__ is str:
            record[key] = value
        else:
            before = len(warnings)
            record[key] = to_string(value, key, warnings)
            if len(warnings) != before:
                unconverted.add(key)


def _context_column(context, own_text, record, warnings, unconverted):
    """The `context` column; returns the context object for §5, or None."""
    if context is None:
        record["context"] = None
        return None
    if isinstance(context, dict):
        record["context"] = own_text["context"]
        return context
    record["context"] = None
    warnings.append(f"context: cannot convert {type_name(context)} to object")
    unconverted.add("context")
    return None


def _extra_column(obj, record, unconverted):
    """Unknown top-level keys, and known ones whose value did not convert, as a JSON object."""
    extra = {k: v for k, v in obj.items() if k not in _KNOWN_KEYS or k in unconverted}
    record["extra"] = json_text(extra) if extra else None
