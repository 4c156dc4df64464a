"""Contract §2, one physical line -> blank, reject or row (`LineReader` in src/record/mod.rs).

The steps are numbered as in the contract: 1 trim, 2 blank, 3 event_id, 4 too long, 5 NUL,
6 UTF-8, 7 find the object, 8 decode it; §2a's filter comes between 2 and 5.
"""

from __future__ import annotations

from ..accounting import RAW_LIMIT
from ..whitespace import WHITESPACE_AND_NUL_BYTES
from .build import build_record
from .json import JsonDecoder, JsonError, recursion_headroom
from .xxh3 import xxh3_128_digest

_NUL_WARNING = "nul bytes stripped"
_UTF8_WARNING = "invalid utf-8 replaced"
# More brackets than this and the line may nest deeper than Python's default recursion allows.
_DEEP_BRACKET_COUNT = 200


class Row:
    """A line that became a row: ``record`` maps column names to values."""

    __slots__ = ("record",)

    def __init__(self, record):
        self.record = record


class Reject:
    """A line that is not a row: ``error`` says why, ``raw`` is its first RAW_LIMIT bytes."""

    __slots__ = ("error", "raw")

    def __init__(self, error, raw):
        self.error = error
        self.raw = raw


class _NotARow:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


BLANK = _NotARow("BLANK")  # empty or only whitespace / NUL (§2 step 2)
FILTERED = _NotARow("FILTERED")  # not one of the wanted event types (§2a)


def event_id(core: bytes) -> bytes:
    """The stable identity of a line: XXH3-128 of its trimmed bytes, big-endian (§2 step 3)."""
    return xxh3_128_digest(core)


class LineParser:
    def __init__(self, decoder: JsonDecoder, want_event_id: bool, event_filter=None):
        self._decoder = decoder
        self._want_event_id = want_event_id
        self._filter = event_filter

    @staticmethod
    def parse_too_long(line):
        """BLANK or Reject for a line over max_line_bytes (an input.lines.LongLine).

        Step 4 comes after step 2: a long line of only whitespace / NUL is blank.
        """
        if line.blank:
            return BLANK
        return Reject(f"line too long: {line.length} bytes", line.head)

    def parse(self, line: bytes):
        """Row, Reject, BLANK or FILTERED for one physical line within max_line_bytes."""
        core = line.strip(WHITESPACE_AND_NUL_BYTES)  # step 1
        if not core:  # step 2
            return BLANK
        if self._filter is not None and not self._filter.may_match(core):  # §2a
            return FILTERED
        warnings = []
        if b"\x00" in line and _nul_stripped(line, core):  # step 5
            warnings.append(_NUL_WARNING)
        try:  # step 6
            text = core.decode("utf-8")
        except UnicodeDecodeError:
            text = core.decode("utf-8", "replace")
            warnings.append(_UTF8_WARNING)
        if text.count("{") + text.count("[") > _DEEP_BRACKET_COUNT:
            with recursion_headroom():  # rare: a deeply nested line needs more room
                return self._parse_text(line, core, text, warnings)
        return self._parse_text(line, core, text, warnings)

    def _parse_text(self, line, core, text, warnings):
        # Step 7. Reject errors start with a category: "invalid JSON", "not a JSON object",
        # "no JSON object found" (after a prefix), "nesting deeper than 1000 levels".
        # Choice: `raw` is cut to RAW_LIMIT bytes for every reject, not only too-long lines.
        if text[0] == "{":
            object_text = text
            try:
                obj = self._decoder.decode(text)
            except JsonError as exc:
                return Reject(str(exc), line[:RAW_LIMIT])
        else:
            start = text.find("{")
            if start < 0:
                return Reject("not a JSON object", line[:RAW_LIMIT])
            object_text = text[start:]
            try:
                obj = self._decoder.decode(object_text)
            except JsonError as exc:
                return Reject(_after_prefix(str(exc)), line[:RAW_LIMIT])
            prefix_bytes = len(text[:start].encode("utf-8"))
            warnings.append(f"prefix stripped: {prefix_bytes} bytes")
        record = build_record(obj, warnings, self._decoder, object_text)
        if self._filter is not None and not self._filter.wants(record.get("event_type")):
            return FILTERED
        if self._want_event_id:  # step 3
            record["event_id"] = event_id(core)
        record["warnings"] = warnings or None
        return Row(record)


def _after_prefix(error: str) -> str:
    """An object after a prefix that does not decode: "no JSON object found: invalid JSON..."."""
    if error.startswith("invalid JSON"):
        return f"no JSON object found: {error}"
    return error


def _nul_stripped(line: bytes, core: bytes) -> bool:
    """Whether a NUL was among the bytes trimmed at the line's ends."""
    lead = len(line) - len(line.lstrip(WHITESPACE_AND_NUL_BYTES))
    return b"\x00" in line[:lead] or b"\x00" in line[lead + len(core):]
