"""Contract §2 step 7-8 and §6 "JSON text": RFC 8259 decoding with the contract's rules,
whatever decoder is plugged in, and compact JSON text (src/record/json.rs).

The standard library decoder is made strict (NaN / Infinity refused, numbers beyond f64 kept
with their text, nesting limited to MAX_DEPTH, lone surrogate escapes refused). A caller's
decoder (e.g. orjson) is tried first, except on texts where decoders are known to differ.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys

MAX_DEPTH = 1000


class JsonError(ValueError):
    """A text that is not JSON by the contract's rules; the message is the reject's error."""


class RawNumber(float):
    """A JSON number too large for f64 (1e400, or an integer of thousands of digits).

    Its float value is +-inf (so typed columns see "out of range"); ``raw`` is the number's
    text exactly as in the input, which is its number text (§6) and its JSON text.
    """

    def __new__(cls, raw):
        self = super().__new__(cls, float(raw))
        # The text as the Rust core's exact parser (serde_json) keeps it: a lower-case
        # exponent with its sign ("1E400" -> "1e+400").
        mantissa, e, exponent = raw.replace("E", "e").partition("e")
        if e and exponent[:1] not in ("+", "-"):
            exponent = "+" + exponent
        self.raw = mantissa + e + exponent
        return self


class JsonDecoder:
    """RFC 8259 decoding with the contract's rules, whatever decoder is plugged in."""

    def __init__(self, json_loads=None):
        self._custom = None if json_loads in (None, json.loads) else json_loads

    def decode(self, text: str):
        """The decoded value, or JsonError with the reason."""
        # Choice: the depth limit is checked on the brackets outside strings before decoding,
        # so a text both too deep and otherwise invalid reports the nesting.
        if text.count("{") + text.count("[") > MAX_DEPTH and _nesting_depth(text) > MAX_DEPTH:
            raise JsonError(f"nesting deeper than {MAX_DEPTH} levels")
        if _may_hold_lone_surrogate(text) and _has_lone_surrogate_escape(text):
            raise JsonError("invalid JSON: lone surrogate escape")
        if self._custom is not None and not _decoders_may_differ(text):
            try:
                return self._custom(text)
            except Exception:
                pass  # the standard library gives the reason, the same for every decoder
        return _decode_stdlib(text)


@contextlib.contextmanager
def recursion_headroom():
    """Room for documents nested up to 1000 levels (the C json scanner and encoder recurse)."""
    old = sys.getrecursionlimit()
    if old < 20000:
        sys.setrecursionlimit(20000)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# ---- JSON text ---------------------------------------------------------------------------

_compact_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
).encode


def json_text(value) -> str:
    """Compact JSON text (',' and ':' without spaces, non-ASCII kept as UTF-8)."""
    try:
        return _compact_encoder(value)
    except ValueError:  # holds a RawNumber (an infinite float to the encoder)
        return _json_text_with_raw_numbers(value)


def _json_text_with_raw_numbers(value) -> str:
    if isinstance(value, RawNumber):
        return value.raw
    if isinstance(value, dict):
        return "{" + ",".join(
            _compact_encoder(k) + ":" + _json_text_with_raw_numbers(v) for k, v in value.items()
        ) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text_with_raw_numbers(v) for v in value) + "]"
    return _compact_encoder(value)


# ---- the strict standard-library path ----------------------------------------------------


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text):
    value = float(text)
    return value if math.isfinite(value) else RawNumber(text)


def _parse_int(text):
    # Python refuses int() of more than 4300 digits; such a number is out of every range.
    return int(text) if len(text) <= 4000 else RawNumber(text)


# Only _parse_int differs in the second decoder: it is slower and only needed for integers of
# more than 4300 digits, which Python's int() refuses by default.
_stdlib_decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_parse_float)
_stdlib_decoder_big_ints = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int
)


def _decode_stdlib(text: str):
    try:
        try:
            value = _stdlib_decoder.decode(text)
        except ValueError as exc:
            if isinstance(exc, json.JSONDecodeError) or "digits" not in str(exc):
                raise
            value = _stdlib_decoder_big_ints.decode(text)  # an integer of > 4300 digits
    except RecursionError:
        raise JsonError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise JsonError(f"invalid JSON: {exc}") from None
    return value


# ---- texts a caller's decoder does not get -----------------------------------------------

# Texts where decoders are known to differ from the contract go to the standard library. They
# are found on the bytes with digits mapped to '0', 'E' to 'e' and '-' to '+': 19 digits in a
# row (an integer that may not fit in 64 bits, which orjson turns into a float) or an exponent
# of 3 digits (a float that may not fit in f64). A string value that merely contains such text
# only costs the slower path.
_NUMBER_SHAPES = bytes.maketrans(b"123456789E-", b"000000000e+")
_LONG_DIGITS = b"0" * 19


def _decoders_may_differ(text: str) -> bool:
    return _may_hold_huge_number(text) or "NaN" in text or "Infinity" in text


def _may_hold_huge_number(text: str) -> bool:
    shapes = text.encode("utf-8", "surrogatepass").translate(_NUMBER_SHAPES)
    return _LONG_DIGITS in shapes or b"e000" in shapes or b"e+000" in shapes


# ---- checks made on the text before decoding ---------------------------------------------

_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*(?:"|$)|[\[\]{}]', re.DOTALL)


def _nesting_depth(text: str) -> int:
    """Deepest bracket nesting outside JSON strings."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif bracket in "]}":
            depth -= 1
    return deepest


def _may_hold_lone_surrogate(text: str) -> bool:
    return "\\ud" in text or "\\uD" in text


def _has_lone_surrogate_escape(text: str) -> bool:
    """Whether a \\uD800-\\uDFFF escape in ``text`` is not part of a high-low pair.

    Checked on the text, not on the decoded value: a later duplicate key can hide the value
    that held it, and the text is invalid JSON all the same.
    """
    high_end = None  # where the escape of an unpaired high surrogate ended
    for match in _ESCAPE.finditer(text):
        code = int(match.group(1), 16) if match.group(1) else None
        if high_end is not None:
            if code is None or not 0xDC00 <= code <= 0xDFFF or match.start() != high_end:
                return True
            high_end = None
        elif code is not None and 0xD800 <= code <= 0xDBFF:
            high_end = match.end()
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            return True
    return high_end is not None
