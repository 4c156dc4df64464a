"""Contract §1: one input -> its members (the file itself, or each regular tar member), with
damage to a member or to the archive reported rather than lost, and reading resumed after it
where the stream allows (§1a; src/input/archive.rs).
"""

from __future__ import annotations

import zlib

from .counting import CountingStream
from .decompress import GZIP_MAGIC, TAR_HEAD_BYTES, decompressed, is_tar
from .gz import CHECKSUM, CORRUPT, READ_SIZE, GzDamage, GzMembers
from .source import Input
from .untar import End, EntryData, Fatal, MemberDataError, Skipped, TarWalker

# What reading a damaged member or archive raises.
MEMBER_ERRORS = (EOFError, OSError, zlib.error)

# Tar members up to this size (as stored) that are gzip are read whole, and inflated whole when
# they inflate to at most INFLATE_WHOLE_LIMIT bytes: a failed check is then known before any of
# their rows (pipeline.rs WHOLE_MEMBER_LIMIT, archive.rs INFLATE_WHOLE_LIMIT).
WHOLE_MEMBER_LIMIT = 16 << 20
INFLATE_WHOLE_LIMIT = 8 << 20

# The warning of rows from gzip data that failed its checks (archive.rs).
WARNINGS = {CHECKSUM: "member failed its checksum", CORRUPT: "member's compressed data is corrupt"}


class SegmentEnd(Exception):
    """Ends a segment of a member at a line boundary, without damage (see _inflated_whole)."""


class Member:
    """One stream of log lines, decompressed, with where it came from. ``verdicts[i]`` is the
    warning for the rows of its segment ``i`` (segments are separated by gzip damage that
    reading resumed after)."""

    def __init__(self, source, server, stream, verdicts=()):
        self.source = source
        self.server = server
        self.stream = stream  # CountingStream of the decompressed bytes: .count = bytes_out
        self.verdicts = list(verdicts)


class Damage:
    """Damage found between members (a damaged or cut tar header, a skipped span)."""

    def __init__(self, source, reason, offset):
        self.source = source
        self.reason = reason
        self.offset = offset  # in the decompressed archive stream


def members(inp: Input, outer: CountingStream):
    """Yield the members of one input: the file itself, or each regular member of its tar,
    and a Damage for each damaged span of a tar."""
    decoded = decompressed(outer)
    if not is_tar(decoded.peek(TAR_HEAD_BYTES)):
        server = inp.dir_server if inp.from_directory else None
        yield Member(inp.name, server, decoded)
        return
    yield from _tar_members(inp, decoded)


def server_of_member(path: str):
    """§1: first component of a member path with at least two components ('./' ignored).

    Choice: empty and '.' components are ignored wherever they are ('./a/b', '/a/b', 'a//b').
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return parts[0] if len(parts) >= 2 else None


def describe_damage(exc) -> str:
    """The reason part of a corrupt-member reject."""
    if isinstance(exc, (GzDamage, MemberDataError)):
        return str(exc)
    if isinstance(exc, EOFError):
        return f"truncated gzip stream ({exc})"
    if isinstance(exc, zlib.error):
        return f"damaged gzip data ({exc})"
    return f"{type(exc).__name__}: {exc}"


def is_resumed(exc) -> bool:
    """Whether reading a member goes on after this damage (a later gzip member was found)."""
    return isinstance(exc, GzDamage) and exc.resumed


def _skip_damage(name, skipped: Skipped, end, before, after) -> Damage:
    before = "at the start of the archive" if before is None else f"after {before}"
    after = "up to the end of the archive" if after is None else f"before {after}"
    reason = f"{skipped.cause}; skipped bytes {skipped.start}..{end} {before}, {after}"
    return Damage(name, reason, skipped.start)


def _tar_members(inp, decoded):
    """Each regular tar member, gunzipped when its bytes start with the gzip magic; damage is
    skipped over, one Damage per span (named by the members on either side)."""
    walker = TarWalker(decoded)
    last = None
    pending = None  # (Skipped, end): its Damage waits for the name after it
    while True:
        step = walker.next()
        if isinstance(step, End):
            if pending is not None:
                yield _skip_damage(inp.name, *pending, last, None)
            return
        if isinstance(step, Fatal):
            if pending is not None:
                yield _skip_damage(inp.name, *pending, last, None)
            yield Damage(inp.name, step.message, step.at)
            return
        if isinstance(step, Skipped):
            end = step.end if step.end is not None else walker.at()
            # Damage right after damage is one span.
            pending = (pending[0], end) if pending is not None else (step, end)
            continue
        if pending is not None:
            yield _skip_damage(inp.name, *pending, last, step.name)
            pending = None
        last = step.name
        if not step.regular:
            continue
        name = step.name
        data = EntryData(walker)
        try:
            head = data.read(len(GZIP_MAGIC))
            head_error = None
        except MEMBER_ERRORS as exc:
            head, head_error = b"", exc
        if step.size <= WHOLE_MEMBER_LIMIT and head_error is None and head == GZIP_MAGIC:
            stored, error = _read_rest(data, head)
            stream, verdicts = _inflated_whole(stored, error)
            yield Member(name, server_of_member(name), stream, verdicts)
            continue
        raw = CountingStream(_Prefixed(head, head_error, data))
        yield Member(name, server_of_member(name), decompressed(raw))


def _read_rest(data, head):
    """A member's stored bytes, read whole, and the error that cut them short, if any."""
    parts = [head]
    try:
        while True:
            chunk = data.read(READ_SIZE)
            if not chunk:
                return b"".join(parts), None
            parts.append(chunk)
    except MEMBER_ERRORS as exc:
        return b"".join(parts), exc


def _inflated_whole(stored: bytes, error):
    """A gzipped member read whole, inflated whole first (up to INFLATE_WHOLE_LIMIT) so that
    the rows of a gzip member whose checksum fails, or whose data is corrupt, can say so."""
    hint = int.from_bytes(stored[-4:], "little") if len(stored) >= 18 else 0
    if hint > INFLATE_WHOLE_LIMIT:
        # Its last trailer says it is too big to hold (a hint: only the last gzip member's
        # size, modulo 4 GiB): it streams.
        return decompressed(CountingStream(_Prefixed(stored, error, None))), []
    gz = GzMembers(_Prefixed(stored, error, None))
    out = bytearray()
    breaks, verdicts = [], []
    whole = True
    while True:
        if len(out) > INFLATE_WHOLE_LIMIT:
            whole = False
            break
        try:
            chunk = gz.read(min(INFLATE_WHOLE_LIMIT + 1 - len(out), READ_SIZE))
        except MEMBER_ERRORS as exc:
            verdict = WARNINGS.get(exc.kind) if isinstance(exc, GzDamage) else None
            if verdict is not None:
                # Only the failed gzip member's rows: a segment starts at the line holding its
                # first byte (the earlier members' rows stay unflagged).
                began = max(len(out) - gz.member_out, 0)
                line_start = out.rfind(b"\n", 0, began) + 1
                segment_start = breaks[-1][0] if breaks else 0
                if line_start > segment_start:
                    breaks.append((line_start, SegmentEnd()))
                    verdicts.append(None)
            verdicts.append(verdict)
            breaks.append((len(out), exc))
            if not is_resumed(exc):
                break
            continue
        if not chunk:
            break
        out += chunk
    if not whole:
        verdicts = []  # too big to hold: what was inflated, then the rest as it streams
    replay = _Recorded(bytes(out), breaks, None if whole else gz)
    return CountingStream(replay), verdicts


class _Prefixed:
    """``head`` bytes, then the error met reading them (if any), then ``rest`` (if any)."""

    def __init__(self, head: bytes, error, rest):
        self._head, self._error, self._rest = head, error, rest

    def read(self, n=-1):
        if self._head:
            n = len(self._head) if n is None or n < 0 else n
            data, self._head = self._head[:n], self._head[n:]
            return data
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._rest.read(n) if self._rest is not None else b""


class _Recorded:
    """Decompressed bytes with the read errors met at their places, then (when the whole did
    not fit) the rest of the stream."""

    def __init__(self, data: bytes, breaks, rest):
        self._data, self._pos, self._breaks, self._rest = data, 0, breaks, rest

    def read(self, n=-1):
        n = 1 << 20 if n is None or n < 0 else n
        if self._breaks:
            at, error = self._breaks[0]
            if at == self._pos:
                self._breaks.pop(0)
                raise error
            until = at
        else:
            until = len(self._data)
        k = min(until - self._pos, n)
        if k > 0:
            data = self._data[self._pos:self._pos + k]
            self._pos += k
            return data
        return self._rest.read(n) if self._rest is not None else b""
