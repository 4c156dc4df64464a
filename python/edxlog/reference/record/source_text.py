"""Contract §3: the line's own text of a top-level value (src/record/raw.rs), which the
`context` column and a non-string `event` keep instead of writing the value out again.

Only applied to text already decoded as a JSON object, so the tokens need no validation.
"""

from __future__ import annotations

import json
import re

# A string literal, one structural character, or a run of scalar characters (number, true,
# false, null). JSON whitespace between tokens is skipped by `finditer`.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.DOTALL)


def top_level_texts(text: str) -> dict:
    """Each top-level key of the JSON object ``text`` -> its value's text (the last one when a
    key repeats)."""
    texts = {}
    depth = 0
    key = None
    start = None
    expect_key = True
    for token in _TOKEN.finditer(text):
        t = token.group()
        if depth == 1 and start is None:
            if t == ",":
                expect_key = True
                continue
            if t == "}":
                break
            if expect_key and t.startswith('"'):
                key = json.loads(t)
                expect_key = False
                continue
            if t == ":":
                continue
            start = token.start()
        if t in "{[":
            depth += 1
        elif t in "}]":
            depth -= 1
        if depth == 1 and start is not None:
            texts[key] = text[start:token.end()]
            start = None
    return texts
