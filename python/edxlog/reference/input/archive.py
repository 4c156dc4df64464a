"""Contract §1: one input -> its members (the file itself, or each regular tar member), with
damage to a member or to the archive reported rather than lost (src/input/archive.rs).
"""

from __future__ import annotations

import gzip
import tarfile
import zlib

from .counting import CountingStream
from .decompress import TAR_HEAD_BYTES, decompressed, is_tar
from .source import Input, clean_text

# What reading a damaged member or archive raises.
MEMBER_ERRORS = (EOFError, OSError, zlib.error, tarfile.TarError)

# Regular files: '0', NUL (old tars) and '7' (contiguous). Choice: GNU sparse files ('S')
# are skipped with directories, links and devices.
_REGULAR_TAR_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)


class Member:
    """One stream of log lines, decompressed, with where it came from."""

    def __init__(self, source, server, stream, outer_streams):
        self.source = source
        self.server = server
        self.stream = stream  # CountingStream of the decompressed bytes: .count = bytes_out
        self._outer_streams = outer_streams
        self.damage = None
        self.damage_is_fatal = False

    def outer_failure(self):
        """The exception that broke the stream the member is read from, if any."""
        for stream in self._outer_streams:
            if stream.failed is not None:
                return stream.failed
        return None


class Damage:
    """Damage found between members (e.g. an archive cut inside a tar header)."""

    def __init__(self, source, reason, offset):
        self.source = source
        self.reason = reason
        self.offset = offset  # in the decompressed archive stream


def members(inp: Input, outer: CountingStream):
    """Yield the members of one input: the file itself, or each regular member of its tar.

    The consumer marks a member it could not read to the end (``member.damage``); when that
    damage is in the outer stream, the archive cannot go on and no more members come.
    """
    decoded = decompressed(outer)
    if not is_tar(decoded.peek(TAR_HEAD_BYTES)):
        server = inp.dir_server if inp.from_directory else None
        yield Member(inp.name, server, decoded, [outer, decoded])
        return
    yield from _tar_members(inp, outer, _EndAtDamage(decoded))


def server_of_member(path: str):
    """§1: first component of a member path with at least two components ('./' ignored).

    Choice: empty and '.' components are ignored wherever they are ('./a/b', '/a/b', 'a//b').
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return parts[0] if len(parts) >= 2 else None


def describe_damage(exc) -> str:
    """The reason part of a corrupt-member or corrupt-archive reject."""
    if isinstance(exc, EOFError):
        return f"truncated gzip stream ({exc})"
    if isinstance(exc, tarfile.TarError):
        return f"damaged tar ({exc})"
    if isinstance(exc, zlib.error):
        return f"damaged gzip data ({exc})"
    if isinstance(exc, gzip.BadGzipFile):
        return f"damaged gzip ({exc})"
    return f"{type(exc).__name__}: {exc}"


class _EndAtDamage:
    """The tar stream as tarfile sees it: damage reads as the end of the stream.

    tarfile drops the bytes it had gathered for a read when the stream under it raises, so it
    is shown a clean end instead; the damage is kept in ``failed`` and reported from there.
    """

    def __init__(self, inner):
        self._inner = inner
        self.failed = None

    def read(self, n=-1):
        if self.failed is not None:
            return b""
        try:
            return self._inner.read(n)
        except MEMBER_ERRORS as exc:
            self.failed = exc
            return b""


class _CheckedTarInfo(tarfile.TarInfo):
    """TarInfo that remembers a cut or garbled header.

    tarfile's stream mode ends quietly at a truncated or invalid header after the first
    member; the contract wants that damage reported, so it is noted on the TarFile here.
    A zero block or the end of the stream at a header boundary is a clean end.
    """

    @classmethod
    def fromtarfile(cls, tarfile_):
        try:
            return super().fromtarfile(tarfile_)
        except (tarfile.TruncatedHeaderError, tarfile.InvalidHeaderError) as exc:
            tarfile_._edxlog_damage = exc
            raise


def _tar_members(inp, outer, decoded):
    """Each regular tar member, gunzipped when its bytes start with the gzip magic.

    tarfile's stream mode ("r|") reads forwards only, as the Rust side does; it understands
    GNU long names and PAX headers. Directories, links and other entries are skipped.
    """
    try:
        archive = tarfile.open(fileobj=decoded, mode="r|", tarinfo=_CheckedTarInfo)
    except MEMBER_ERRORS as exc:
        yield Damage(inp.name, describe_damage(decoded.failed or exc), 0)
        return
    with archive:
        while True:
            try:
                info = archive.next()
            except MEMBER_ERRORS as exc:
                yield Damage(inp.name, describe_damage(decoded.failed or exc), archive.offset)
                return
            if info is None:
                damage = _damage_at_clean_end(inp, archive, decoded)
                if damage is not None:
                    yield damage
                return
            if info.type not in _REGULAR_TAR_TYPES:
                continue
            name = clean_text(info.name)
            stream = decompressed(CountingStream(_TarMemberData(archive.fileobj, info.size)))
            member = Member(name, server_of_member(name), stream, [outer, decoded])
            yield member
            if member.damage is not None and member.damage_is_fatal:
                return


def _damage_at_clean_end(inp, archive, decoded):
    """A clean end for tarfile is not one for us if the stream under it broke, or a header
    was cut or garbled: the Damage to report then, else None."""
    if decoded.failed is not None:
        return Damage(inp.name, describe_damage(decoded.failed), archive.offset)
    if getattr(archive, "_edxlog_damage", None) is not None:
        damage = tarfile.ReadError(archive._edxlog_damage)
        return Damage(inp.name, describe_damage(damage), archive.offset)
    return None


class _TarMemberData:
    """The data of the current tar member, read straight from the tar stream.

    tarfile's own member reader drops every byte of a read that runs into a cut archive; this
    one hands out all the bytes there are, then reports the cut.
    """

    def __init__(self, tar_stream, size):
        self._tar_stream = tar_stream
        self._left = size

    def read(self, n=-1):
        if self._left <= 0:
            return b""
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._tar_stream.read(n)
        self._left -= len(data)
        if not data:
            raise tarfile.ReadError("unexpected end of data")
        return data
