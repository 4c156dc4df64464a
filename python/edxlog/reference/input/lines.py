"""Contract §1: a member's decompressed bytes -> physical lines (src/input/lines.rs).

Lines are split on \\n only. Memory stays bounded: a line longer than ``max_line_bytes`` is not
buffered; its first RAW_LIMIT bytes are kept for the reject and the rest is only measured.
"""

from __future__ import annotations

from ..accounting import RAW_LIMIT
from ..whitespace import WHITESPACE_AND_NUL_BYTES
from .counting import READ_CHUNK


class LongLine:
    """A physical line over max_line_bytes: its first RAW_LIMIT bytes, its length, and whether
    it is all whitespace/NUL (then it is blank, §2 step 2 comes before step 4)."""

    __slots__ = ("head", "length", "blank")

    def __init__(self, data: bytes):
        self.head = b""
        self.length = 0
        self.blank = True
        self.add(data)

    def add(self, data: bytes):
        if len(self.head) < RAW_LIMIT:
            self.head += data[: RAW_LIMIT - len(self.head)]
        self.length += len(data)
        if self.blank and data.translate(None, WHITESPACE_AND_NUL_BYTES):
            self.blank = False


def physical_lines(stream, max_line_bytes):
    """Yield each line (bytes without its \\n), or a LongLine for one longer than the limit.

    Lines are split on \\n only; a last line without \\n is a line; an empty stream has none.
    """
    pending = []  # pieces of the line being assembled across reads
    pending_len = 0
    long_line = None
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            break
        if long_line is not None:
            newline = chunk.find(b"\n")
            if newline < 0:
                long_line.add(chunk)
                continue
            long_line.add(chunk[:newline])
            yield long_line
            long_line = None
            chunk = chunk[newline + 1:]
        newline = chunk.find(b"\n")
        if newline < 0:
            if chunk:
                pending.append(chunk)
                pending_len += len(chunk)
        else:
            if pending:
                pending.append(chunk[:newline])
                first = b"".join(pending)
                pending, pending_len = [], 0
                yield _bounded(first, max_line_bytes)
                chunk = chunk[newline + 1:]
            lines = chunk.split(b"\n")
            rest = lines.pop()
            for line in lines:
                yield _bounded(line, max_line_bytes)
            if rest:
                pending.append(rest)
                pending_len = len(rest)
        if pending_len > max_line_bytes:
            long_line = LongLine(b"".join(pending))
            pending, pending_len = [], 0
    if long_line is not None:
        yield long_line
    elif pending_len:
        yield _bounded(b"".join(pending), max_line_bytes)


def _bounded(line: bytes, max_line_bytes):
    """The line itself, or a LongLine when it is over the limit."""
    return LongLine(line) if len(line) > max_line_bytes else line
