"""Contract §6, typed conversion: JSON values -> column values (src/record/convert.rs).

Every refusal becomes a warning naming the column (`<column>: cannot convert <type> to
<arrow type>` or `<column>: out of range`); nothing is guessed silently.
"""

from __future__ import annotations

import math
import re

from ..whitespace import WHITESPACE
from .json import RawNumber, json_text

_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1
_INT_TEXT = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*")
_FLOAT_TEXT = re.compile(
    r"[ \t\n\v\f\r]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\n\v\f\r]*"
)


def type_name(value) -> str:
    """The JSON type of ``value`` as warnings name it."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def to_text(value):
    """Text rule (answers items, correct_map fields): never warns."""
    if value is None or isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return _number_text(value)
    return json_text(value)


def to_string(value, column, warnings):
    """String rule: string as given, number -> its text, null -> null, else null + warning."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_text(value)
    warnings.append(f"{column}: cannot convert {type_name(value)} to string")
    return None


def to_int(value, column, warnings):
    """Int rule (int64)."""
    if value is None or _is_blank_text(value):
        return None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        return _int_in_range(value, column, warnings)
    elif isinstance(value, float):
        if not math.isfinite(value):
            warnings.append(f"{column}: out of range")
            return None
        if value.is_integer():
            if _I64_MIN <= value < 2.0**63:
                return int(value)
            warnings.append(f"{column}: out of range")
            return None
    elif isinstance(value, str):
        match = _INT_TEXT.fullmatch(value)
        if match is not None:
            digits = match.group(1)
            # Python refuses int() of more than 4300 digits; such a number is out of range.
            number = int(digits) if len(digits) <= 4000 else _I64_MAX + 1
            return _int_in_range(number, column, warnings)
    warnings.append(f"{column}: cannot convert {type_name(value)} to int64")
    return None


def to_float(value, column, warnings):
    """Float rule (float64)."""
    if value is None or _is_blank_text(value):
        return None
    number = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond f64
            number = math.inf
    elif isinstance(value, str):
        match = _FLOAT_TEXT.fullmatch(value)
        if match is not None:
            number = float(match.group(1))
    if number is None:
        warnings.append(f"{column}: cannot convert {type_name(value)} to float64")
        return None
    if not math.isfinite(number):
        warnings.append(f"{column}: out of range")
        return None
    return number


def _int_in_range(number: int, column, warnings):
    if _I64_MIN <= number <= _I64_MAX:
        return number
    warnings.append(f"{column}: out of range")
    return None


def _is_blank_text(value) -> bool:
    # Choice: a string of only whitespace is "" once its allowed surrounding whitespace is
    # trimmed, so it is null without a warning, like "".
    return isinstance(value, str) and not value.strip(WHITESPACE)


def _float_text(value: float) -> str:
    """repr() with Rust's exponent style: 1e+16 -> 1e16, 1e-07 -> 1e-7."""
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _number_text(value) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, RawNumber):
        return value.raw
    return _float_text(value)
