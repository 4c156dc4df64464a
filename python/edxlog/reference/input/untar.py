"""Contract §1a: a forward-only tar reader that resynchronises after damage (src/input/untar.rs).

Headers are walked here (ustar, GNU and pax: long names from GNU 'L' records and pax ``path``,
sizes from pax ``size``, GNU sparse entries skipped with their extension blocks). When a header
is damaged (its checksum fails, its numbers do not parse, or a zero block is followed by data
that is not zeros) the walker scans forward for the next header whose checksum verifies and
whose fields are sane (``ustar`` magic, a name, a size): at 512-byte boundaries first and, when
only an unaligned one turns up and no aligned one follows within ALIGNED_PREFERENCE bytes, at
any byte.
"""

from __future__ import annotations

from .gz import GzDamage

BLOCK = 512
READ_SIZE = 256 * 1024
ALIGNED_PREFERENCE = 64 * 1024
MAX_META = 1 << 20

# What reading the stream under an archive may raise (damage, not a bug).
STREAM_ERRORS = (EOFError, OSError)


class Entry:
    def __init__(self, name: str, size: int, regular: bool):
        self.name, self.size, self.regular = name, size, regular


class End:
    """The archive ended cleanly (or after damage that was already reported)."""


class Fatal:
    """Damage that ends the archive."""

    def __init__(self, message: str, at: int):
        self.message, self.at = message, at


class Skipped:
    """Damage at ``start``; the bytes up to ``end`` were skipped (None: to the end)."""

    def __init__(self, cause: str, start: int, end):
        self.cause, self.start, self.end = cause, start, end


class MemberDataError(OSError):
    """The archive ended, or the stream under it failed, inside a member's data."""


class _Broken:
    def __init__(self, message: str, resumed: bool):
        self.message, self.resumed, self.reported = message, resumed, False


def _until_nul(b: bytes) -> bytes:
    i = b.find(b"\0")
    return b if i < 0 else b[:i]


def number(field: bytes):
    """A numeric header field: octal text (up to a NUL; spaces trimmed; empty is 0) or GNU
    base-256; None when it is neither."""
    if field[0] == 0x80:
        n = 0
        for x in field[1:]:
            if n >> 56:
                return None
            n = (n << 8) | x
        return n
    text = _until_nul(field).strip(b" \t\n\f\r")  # as Rust's trim_ascii: not \\v
    if not text:
        return 0
    n = 0
    for x in text:
        if not 0x30 <= x <= 0x37 or n >> 60:
            return None
        n = n * 8 + (x - 0x30)
    return n


def _checksum_matches(b: bytes, stored: int) -> bool:
    spaced = b[:148] + b" " * 8 + b[156:]
    unsigned = sum(spaced)
    signed = sum(x - 256 if x > 127 else x for x in spaced)
    return stored in (unsigned, signed)


def parse_header(b: bytes):
    """(kind, name bytes, size) of a header block, or ValueError(why)."""
    stored = number(b[148:156])
    if stored is None:
        raise ValueError("a header's checksum field is not a number")
    if not _checksum_matches(b, stored):
        raise ValueError("a header's checksum does not match")
    size = number(b[124:136])
    if size is None:
        raise ValueError("a header's size field is not a number")
    name = _until_nul(b[:100])
    # POSIX ustar keeps the front of a long path in `prefix` (GNU uses those bytes otherwise).
    if b[257:263] == b"ustar\0":
        prefix = _until_nul(b[345:500])
        if prefix:
            name = prefix + b"/" + name
    return b[156], name, size


def _is_sane_header(b: bytes) -> bool:
    magic = b[257:263] in (b"ustar\0", b"ustar ")
    if not magic or b[0] == 0:
        return False
    try:
        parse_header(b)
    except ValueError:
        return False
    return True


def pax_records(data: bytes):
    """``path`` and ``size`` of pax records ("<len> <key>=<value>\\n"); parsing stops at the
    first malformed record."""
    path = size = None
    while True:
        space = data.find(b" ")
        if space < 0:
            break
        try:
            length = int(data[:space].decode("ascii"), 10) if data[:space].isdigit() else None
        except ValueError:
            length = None
        if length is None or not (space + 1 < length <= len(data)):
            break
        record = data[space + 1:length]
        if not record.endswith(b"\n"):
            break
        record = record[:-1]
        eq = record.find(b"=")
        if eq < 0:
            break
        key, value = record[:eq], record[eq + 1:]
        if key == b"path":
            path = value
        elif key == b"size":
            size = int(value) if value.isdigit() else None
        data = data[length:]
    return path, size


def _padded(n: int) -> int:
    return (n + BLOCK - 1) // BLOCK * BLOCK


class TarWalker:
    """Walks the tar archive read from ``inner`` (a binary reader of the decompressed stream)."""

    def __init__(self, inner):
        self._inner = inner
        self._buf = bytearray()
        self._pos = 0
        self._base = 0
        self._eof = False
        self._origin = 0  # headers are expected at origin + k * 512
        self._broken = None
        self._left = 0  # data of the current entry not read yet, and its padding
        self._padding = 0
        self._size = 0

    def at(self) -> int:
        return self._base + self._pos

    def _end(self):
        return self._base + len(self._buf)

    def _available(self):
        return len(self._buf) - self._pos

    def _fill(self, keep_from, want_end):
        keep_from = max(min(keep_from, self.at()), self._base)
        drop = keep_from - self._base
        if drop >= READ_SIZE or drop == len(self._buf):
            del self._buf[:drop]
            self._pos -= drop
            self._base += drop
        while self._end() < want_end and not self._eof and self._broken is None:
            try:
                data = self._inner.read(READ_SIZE)
            except STREAM_ERRORS as exc:
                resumed = isinstance(exc, GzDamage) and exc.resumed
                self._broken = _Broken(describe_stream_damage(exc), resumed)
                break
            if not data:
                self._eof = True
            else:
                self._buf += data

    def _skip(self, n) -> bool:
        while True:
            here = min(n, self._available())
            self._pos += here
            n -= here
            if n == 0:
                return True
            self._fill(self.at(), self.at() + min(n, READ_SIZE))
            if self._available() == 0:
                return False

    def next(self):
        """The next Entry, or End, Fatal or Skipped (then the walker stands at the header it
        found)."""
        finished = self._finish_entry()
        if finished is not None:
            return finished
        long_name = pax_path = pax_size = None
        while True:
            at = self.at()
            self._fill(at, at + BLOCK)
            if self._available() < BLOCK:
                failed = self._stream_failed(at)
                if failed is not None:
                    return failed
                if not self._buf[self._pos:].strip(b"\0"):
                    self._pos = len(self._buf)
                    return End()
                return Fatal("the archive ends inside a header", at)
            block = bytes(self._buf[self._pos:self._pos + BLOCK])
            if not block.strip(b"\0"):
                self._pos += BLOCK
                return self._after_zero_block(at)
            try:
                kind, name, size = parse_header(block)
            except ValueError as exc:
                return self._resync(str(exc), at, at + 1)
            self._pos += BLOCK
            if kind in (0x4C, 0x78):  # 'L', 'x'
                if size > MAX_META:
                    return self._resync(f"a {size} byte long-name or pax record", at, at + 1)
                data = self._take(size)
                if data is None:
                    return self._cut(at, "a long-name or pax record")
                if kind == 0x4C:
                    long_name = _until_nul(data)
                else:
                    path, psize = pax_records(data)
                    pax_path = path if path is not None else pax_path
                    pax_size = psize if psize is not None else pax_size
                continue
            if kind in (0x4B, 0x67):  # 'K', 'g'
                if not self._skip(_padded(size)):
                    return self._cut(at, "a long-link or global pax record")
                continue
            if kind == 0x53 and block[482] != 0:  # 'S' with extension blocks
                while True:
                    self._fill(self.at(), self.at() + BLOCK)
                    if self._available() < BLOCK:
                        return self._cut(at, "a sparse file's header")
                    more = self._buf[self._pos + 504] != 0
                    self._pos += BLOCK
                    if not more:
                        break
            if pax_path is not None:
                name = pax_path
            elif long_name is not None:
                name = long_name
            name = name.decode("utf-8", "replace")
            if pax_size is not None:
                size = pax_size
            if kind in (0x30, 0x37):
                regular = True
            elif kind == 0:
                regular = not name.endswith("/")  # old tars: a directory has a trailing slash
            else:
                regular = False
            self._size = self._left = size
            self._padding = _padded(size) - size
            return Entry(name, size, regular)

    def _finish_entry(self):
        if self._broken is not None:
            self._left = self._padding = 0
            return self._stream_failed(self.at())
        rest = self._left + self._padding
        self._left = self._padding = 0
        if rest > 0 and not self._skip(rest):
            failed = self._stream_failed(self.at())
            return failed if failed is not None else End()
        return None

    def _stream_failed(self, at):
        b, self._broken = self._broken, None
        if b is None:
            return None
        if b.resumed:
            self._origin = self.at()
            return self._resync(f"the archive's stream was damaged ({b.message})", at, self.at())
        return End() if b.reported else Fatal(b.message, at)

    def _cut(self, at, what):
        failed = self._stream_failed(at)
        return failed if failed is not None else Fatal(f"the archive ends inside {what}", at)

    def _after_zero_block(self, at):
        while True:
            self._fill(self.at(), self.at() + READ_SIZE)
            rest = self._buf[self._pos:]
            stripped = rest.lstrip(b"\0")
            if stripped:
                # Data after zeros: the zero block was damage. The scan starts at the block
                # holding the first non-zero byte.
                i = len(rest) - len(stripped)
                block = self.at() + i // BLOCK * BLOCK
                return self._resync(
                    "a zero block (the end of an archive) is followed by data", at, block)
            if self._eof or self._broken is not None:
                self._pos = len(self._buf)
                failed = self._stream_failed(self.at())
                return failed if failed is not None else End()
            self._pos += self._available() // BLOCK * BLOCK

    def _take(self, n):
        padded = _padded(n)
        self._fill(self.at(), self.at() + padded)
        if self._available() < n:
            return None
        data = bytes(self._buf[self._pos:self._pos + n])
        self._skip(padded)
        return data

    def _resync(self, cause, start, scan_from):
        found = self._scan(scan_from)
        if found is None:
            self._pos = len(self._buf)
        return Skipped(cause, start, found)

    def _scan(self, start):
        """The first sane header at or after ``start`` (still buffered), aligned ones first."""
        p = start
        unaligned = None
        while True:
            keep = p if unaligned is None else min(unaligned, p)
            self._pos = keep - self._base
            magic_from = p + 257
            found = None
            if magic_from < self._end():
                i = self._buf.find(b"ustar", magic_from - self._base)
                if i >= 0:
                    found = self._base + i - 257
            if found is not None:
                c = found
                if unaligned is not None and c > unaligned + ALIGNED_PREFERENCE:
                    return self._stand_at(unaligned)
                self._fill(keep, c + BLOCK)
                if self._end() >= c + BLOCK:
                    at = c - self._base
                    if _is_sane_header(bytes(self._buf[at:at + BLOCK])):
                        if (c - self._origin) % BLOCK == 0:
                            return self._stand_at(c)
                        if unaligned is None:
                            unaligned = c
                p = c + 1
            else:
                if unaligned is not None and self._end() > unaligned + ALIGNED_PREFERENCE + 262:
                    return self._stand_at(unaligned)
                if self._eof or self._broken is not None:
                    if unaligned is not None:
                        return self._stand_at(unaligned)
                    self._pos = len(self._buf)
                    return None
                p = max(p, self._end() - 261)
                keep = p if unaligned is None else min(unaligned, p)
                self._pos = keep - self._base
                end = self._end()
                self._fill(keep, end + 1)

    def _stand_at(self, at):
        self._pos = at - self._base
        self._origin = at
        return at

    def read_data(self, n) -> bytes:
        """Up to ``n`` bytes of the current entry's data; MemberDataError when the archive ends
        or its stream fails first."""
        if self._left == 0 or n == 0:
            return b""
        if self._available() == 0:
            self._fill(self.at(), self.at() + 1)
        k = min(self._available(), self._left, n)
        if k > 0:
            data = bytes(self._buf[self._pos:self._pos + k])
            self._pos += k
            self._left -= k
            return data
        if self._broken is not None:
            # Not gzip damage to this member (its own reader must not resume after it).
            self._broken.reported = True
            raise MemberDataError(self._broken.message)
        read = self._size - self._left
        raise MemberDataError(f"archive ends inside the member ({read} of {self._size} bytes)")


class EntryData:
    """The current entry's data as a binary reader."""

    def __init__(self, walker: TarWalker):
        self._walker = walker

    def read(self, n=-1) -> bytes:
        return self._walker.read_data(1 << 20 if n is None or n < 0 else n)


def describe_stream_damage(exc) -> str:
    """The text of a failure of the stream under an archive, as the core words it."""
    if isinstance(exc, (GzDamage, MemberDataError)):
        return str(exc)
    if isinstance(exc, EOFError):
        return f"truncated gzip stream ({exc})"
    return f"{type(exc).__name__}: {exc}"
