"""Contract §4, answers as GET (form) strings: `key=value&key=value` (src/record/get_payload.rs).

Keys are URL-decoded and lose `input_` and `[]` so they match the server's answer ids;
repeated keys (checkbox groups) collect their values in order.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes


def decode_get(text: str):
    """A GET (form) string as map entries; repeated keys collect their values in order."""
    answers = {}
    for piece in text.split("&"):
        if not piece:
            continue
        key, _sep, value = piece.partition("=")
        answers.setdefault(answer_key(_url_decode(key)), []).append(_url_decode(value))
    return list(answers.items()) or None


def answer_key(key: str) -> str:
    """Browser keys look like input_<id>[]; server keys like <id>: make them match."""
    if key.startswith("input_"):
        key = key[6:]
    if key.endswith("[]"):
        key = key[:-2]
    return key


def _url_decode(text: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    # '+' is a space; invalid % sequences stay as they are; bytes are UTF-8, U+FFFD if not.
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "replace")
