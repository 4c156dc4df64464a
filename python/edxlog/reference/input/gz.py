"""Contract §1a: multi-member gzip that survives a bad member (src/input/gz.rs).

The members of a gzip stream are inflated one after the other. When one is damaged (corrupt
deflate data, a checksum or length that does not match, a stream cut short, bytes that are not
gzip where a member should start), ``read`` raises one ``GzDamage`` and then carries on with
the next gzip member it can find: the next ``1f 8b 08`` whose flags are sane, whose header
parses and whose first TRIAL_INPUT compressed bytes inflate without error. The search starts at
the damaged member's second byte, or at most LOOKBACK bytes before the point where the damage
was found. Zero bytes after a member are padding, not damage.
"""

from __future__ import annotations

import zlib

READ_SIZE = 256 * 1024
LOOKBACK = 64 * 1024
TRIAL_INPUT = 32 * 1024
MAX_HEADER = 64 * 1024
_MAGIC = b"\x1f\x8b\x08"

# DamageKind of src/input/gz.rs.
CHECKSUM, CORRUPT, TRUNCATED, NOT_GZIP = "checksum", "corrupt", "truncated", "not gzip"


class GzDamage(OSError):
    """A damaged gzip member; reading goes on after it when ``resumed``."""

    def __init__(self, message: str, resumed: bool, kind: str):
        super().__init__(message)
        self.message = message
        self.resumed = resumed
        self.kind = kind

    def __str__(self):
        return self.message


def parse_header(b) -> int:
    """The length of the gzip header at the start of ``b``; ValueError(why) if it is not one.
    The header CRC (FHCRC) is skipped, not checked."""
    if len(b) < 10:
        raise ValueError("too short for a gzip header")
    if bytes(b[:2]) != _MAGIC[:2]:
        raise ValueError("no gzip magic")
    if b[2] != 8:
        raise ValueError("unknown compression method")
    flags = b[3]
    if flags & 0xE0:
        raise ValueError("reserved flags set")
    at = 10
    if flags & 0x04:
        if len(b) < at + 2:
            raise ValueError("header cut short")
        at += 2 + int.from_bytes(b[at:at + 2], "little")
    for flag in (0x08, 0x10):
        if flags & flag:
            nul = b.find(b"\0", at) if at <= len(b) else -1
            if nul < 0:
                raise ValueError("header cut short")
            at = nul + 1
    if flags & 0x02:
        at += 2
    if at > len(b) or at > MAX_HEADER:
        raise ValueError("header cut short")
    return at


def _inflates(b) -> bool:
    """Whether ``b`` starts a gzip member that inflates: its header parses and its first
    TRIAL_INPUT compressed bytes inflate without error (one that ends within them must have a
    matching checksum and length)."""
    try:
        header = parse_header(b)
    except ValueError:
        return False
    body = b[header:]
    data = bytes(body[:TRIAL_INPUT])
    fed = len(data)
    d = zlib.decompressobj(-15)
    crc = total = 0
    try:
        while True:
            out = d.decompress(data, 65536)
            crc = zlib.crc32(out, crc)
            total += len(out)
            if d.eof:
                end = fed - len(d.unused_data)
                trailer = bytes(body[end:end + 8])
                if len(trailer) < 8:
                    return True  # cut in its trailer: what it holds is still readable
                return (int.from_bytes(trailer[:4], "little") == crc
                        and int.from_bytes(trailer[4:], "little") == total & 0xFFFFFFFF)
            data = d.unconsumed_tail
            if not data and len(out) < 65536:
                return True
    except zlib.error:
        return False


class GzMembers:
    """The decompressed bytes of every gzip member of ``inner`` (a binary reader), in order."""

    def __init__(self, inner):
        self._inner = inner
        self._buf = bytearray()  # compressed bytes; _buf[_pos:] not consumed; _buf[0] at _base
        self._pos = 0
        self._base = 0
        self._eof = False
        self._state = "header"
        self._after_member = False
        self._members = 0
        self._member_start = 0
        self._member_out = 0
        self._crc = 0
        self._d = None

    @property
    def member_out(self) -> int:
        """Decompressed bytes of the current (or the damaged) member so far."""
        return self._member_out

    def _at(self):
        return self._base + self._pos

    def _end(self):
        return self._base + len(self._buf)

    def _fill(self, keep_from, want_end):
        keep_from = max(min(keep_from, self._at()), self._base)
        drop = keep_from - self._base
        if drop >= READ_SIZE:
            del self._buf[:drop]
            self._pos -= drop
            self._base += drop
        while self._end() < want_end and not self._eof:
            try:
                data = self._inner.read(READ_SIZE)
            except Exception:
                self._state = "done"  # the source failed: not gzip damage, nothing after it
                raise
            if not data:
                self._eof = True
            else:
                self._buf += data

    def _keep_from(self):
        return max(self._member_start + 1, self._at() - LOOKBACK)

    def read(self, n=-1) -> bytes:
        if n is None or n < 0:
            n = 1 << 20
        if n == 0:
            return b""
        while True:
            if self._state == "done":
                return b""
            if self._state == "header":
                self._read_header()
            elif self._state == "body":
                out = self._read_body(n)
                if out:
                    return out
            else:
                self._read_trailer()

    read1 = read

    def _read_header(self):
        if self._after_member:
            while True:
                self._fill(self._at(), self._at() + 1)
                rest = self._buf[self._pos:]
                stripped = len(rest) - len(rest.lstrip(b"\0"))
                self._pos += stripped
                if stripped < len(rest) or self._eof:
                    break
        self._fill(self._at(), self._at() + MAX_HEADER)
        if self._pos == len(self._buf):
            self._state = "done"
            return
        start = self._at()
        try:
            length = parse_header(bytes(self._buf[self._pos:self._pos + MAX_HEADER]))
        except ValueError as exc:
            if self._after_member:
                what = (f"the bytes at compressed byte {start} after gzip member {self._members} "
                        f"are not a gzip member ({exc})")
            else:
                what = f"gzip member {self._members + 1} at compressed byte {start}: {exc}"
            raise self._damage(NOT_GZIP, what, start, start + 1) from None
        self._pos += length
        self._members += 1
        self._member_start = start
        self._member_out = 0
        self._crc = 0
        self._d = zlib.decompressobj(-15)
        self._state = "body"

    def _read_body(self, n):
        while True:
            if self._pos == len(self._buf) and not self._eof:
                self._fill(self._keep_from(), self._end() + 1)
            chunk = bytes(self._buf[self._pos:self._pos + READ_SIZE])
            try:
                out = self._d.decompress(chunk, n)
            except zlib.error as exc:
                why = str(exc).split(": ", 1)[-1]
                self._pos += len(chunk)
                what = (f"gzip member {self._members} at compressed byte {self._member_start} is "
                        f"corrupt ({why}, found at compressed byte {self._at()})")
                raise self._damage(CORRUPT, what, self._member_start, self._keep_from()) from None
            # At the end of the stream both attributes hold what is left: unused_data counts.
            left = self._d.unused_data if self._d.eof else self._d.unconsumed_tail
            consumed = len(chunk) - len(left)
            self._pos += consumed
            self._crc = zlib.crc32(out, self._crc)
            self._member_out += len(out)
            if self._d.eof:
                self._state = "trailer"
                if out:
                    return out
                self._read_trailer()
                return b""
            if out:
                return out
            if self._pos == len(self._buf) and self._eof:
                what = (f"gzip member {self._members} at compressed byte {self._member_start} is "
                        f"cut short (the stream ends at compressed byte {self._at()})")
                raise self._damage(TRUNCATED, what, self._member_start, self._at())

    def _read_trailer(self):
        self._fill(self._at(), self._at() + 8)
        t = bytes(self._buf[self._pos:self._pos + 8])
        if len(t) < 8:
            what = (f"gzip member {self._members} at compressed byte {self._member_start} is "
                    "cut short in its trailer")
            self._pos = len(self._buf)
            raise self._damage(TRUNCATED, what, self._member_start, self._at())
        self._pos += 8
        bad = None
        if int.from_bytes(t[:4], "little") != self._crc:
            bad = "checksum"
        elif int.from_bytes(t[4:], "little") != self._member_out & 0xFFFFFFFF:
            bad = "length"
        if bad is not None:
            what = (f"gzip member {self._members} at compressed byte {self._member_start} does not "
                    f"have a matching {bad}")
            raise self._damage(CHECKSUM, what, self._at(), self._at())
        self._state = "header"
        self._after_member = True

    def _damage(self, kind, what, span_from, scan_from) -> GzDamage:
        read = self._member_out
        self._fill(min(scan_from, self._at()), scan_from + 1)
        more = self._end() > scan_from
        found = self._scan(scan_from)
        if found is not None:
            self._pos = found - self._base
            self._state = "header"
            self._after_member = False
            if found > span_from:
                tail = f"; skipped compressed bytes {span_from}..{found} to the next gzip member"
            else:
                tail = "; the next gzip member follows"
            # The damaged member's own trailer sits just before the next member: its length
            # field says how much of the member is lost.
            if kind == CORRUPT and found >= span_from + 18 and found - 4 >= self._base:
                i = found - 4 - self._base
                size = int.from_bytes(self._buf[i:i + 4], "little")
                # Only when deflate could have held that much (1032:1 at most): the bytes
                # before the next member need not be a trailer.
                if read < size <= 1032 * (found - span_from):
                    tail += f" (its trailer gives {size} decompressed bytes, {read} were read)"
            return GzDamage(what + tail, True, kind)
        self._pos = len(self._buf)
        self._state = "done"
        return GzDamage(what + ("; no gzip member follows" if more else ""), False, kind)

    def _scan(self, start):
        """The offset of the next member at or after ``start`` that parses and inflates."""
        p = max(start, self._base)
        while True:
            i = self._buf.find(_MAGIC, p - self._base)
            if i < 0:
                if self._eof:
                    return None
                p = max(p, self._end() - (len(_MAGIC) - 1))
                self._pos = p - self._base
                self._fill(p, self._end() + 1)
                continue
            c = self._base + i
            self._pos = c - self._base
            self._fill(max(c - 4, 0), c + MAX_HEADER + TRIAL_INPUT + 8)
            at = c - self._base
            if _inflates(bytes(self._buf[at:at + MAX_HEADER + TRIAL_INPUT + 8])):
                return c
            p = c + 1
