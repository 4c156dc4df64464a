"""Pure-Python reference reader: the oracle the Rust core is tested against.

It implements docs/contract.md with the standard library and pyarrow only, as plainly as we can
make it, and doubles as the speed baseline of the benchmarks. Data flows through it in one
direction, and the file is laid out in that order:

    inputs (paths, directories, lists, stdin, file objects)           §1  _resolve_inputs
      -> members (plain files, .gz, tar members, gzip inside tar)     §1  _members
        -> physical lines (split on \\n, bounded length)               §1  _physical_lines
          -> blank | reject | JSON object (+ warnings)                §2  _LineParser
            -> one record: a value per column                         §3-§6 _record
              -> Arrow columns typed by edxlog.SCHEMA                  _records_to_batch

Where the contract left room for more than one reading, the comment says "Choice:" and names the
reading taken, so that the Rust core can match it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import math
import os
import re
import sys
import tarfile
import zlib
from urllib.parse import unquote_to_bytes

import pyarrow as pa

from ._xxh3 import xxh3_128_digest

__all__ = ["read", "read_table", "ReferenceReader"]

_DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
_DEFAULT_BATCH_SIZE = 65536
_READ_CHUNK = 1 << 20
_RAW_KEEP = 4096  # bytes of a rejected line kept in its reject's `raw`
_MAX_DEPTH = 1000
_GZIP_MAGIC = b"\x1f\x8b"

# §2: "whitespace" is exactly these bytes; NUL is stripped with them at the line's ends.
_WS = " \t\n\v\f\r"
_WS_BYTES = _WS.encode()
_WS_NUL_BYTES = _WS_BYTES + b"\x00"

_REJECT_SCHEMA = pa.schema(
    [("source", pa.string()), ("line", pa.int64()), ("error", pa.string()), ("raw", pa.binary())]
)


# ==========================================================================================
# Public API
# ==========================================================================================


def read_table(source, **kwargs) -> pa.Table:
    """Read ``source`` whole into a pyarrow.Table with ``edxlog.SCHEMA`` (see ``read``)."""
    return read(source, **kwargs).read_all()


def read(
    source,
    *,
    columns=None,
    event_types=None,
    on_error="skip",
    max_line_bytes=_DEFAULT_MAX_LINE_BYTES,
    json_loads=None,
    batch_size=_DEFAULT_BATCH_SIZE,
    threads=None,
    max_rejects=10_000,
) -> "ReferenceReader":
    """Open ``source`` for reading; nothing is parsed until batches are asked for.

    ``source``: a path (plain log, .gz, .tar, .tar.gz/.tgz or a directory), a list of paths,
    ``"-"`` for standard input, or a binary file-like object with ``.read(n)``.
    ``json_loads``: the JSON decoder to try first (default ``json.loads``; e.g. ``orjson.loads``).
    Whatever the decoder, the result is the same: lines it refuses, and lines where decoders
    are known to differ, are decoded by the strict standard-library path below.
    ``batch_size`` and ``threads`` are accepted for signature parity with ``edxlog.read``;
    ``threads`` is ignored (the reference is single-threaded).
    """
    return ReferenceReader(
        source,
        columns=columns,
        event_types=event_types,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        json_loads=json_loads,
        batch_size=batch_size,
        max_rejects=max_rejects,
    )


class ReferenceReader:
    """Iterator of pyarrow.RecordBatch over every input, in input order, then line order."""

    def __init__(self, source, *, columns, on_error, max_line_bytes, json_loads, batch_size,
                 event_types=None, max_rejects=10_000):
        if on_error not in ("skip", "raise"):
            raise ValueError(f"on_error must be 'skip' or 'raise', not {on_error!r}")
        if isinstance(max_line_bytes, bool) or not isinstance(max_line_bytes, int):
            raise TypeError("max_line_bytes must be an int")
        if max_line_bytes < 1:
            raise ValueError("max_line_bytes must be at least 1")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError("batch_size must be a positive int")
        self._schema = _selected_schema(columns)
        self._names = self._schema.names
        self._on_error = on_error
        self._max_line_bytes = max_line_bytes
        self._batch_size = batch_size
        if isinstance(event_types, (str, bytes)):
            raise TypeError("event_types must be a list of names")
        event_filter = _EventTypeFilter(event_types) if event_types is not None else None
        self._line_parser = _LineParser(
            _JsonDecoder(json_loads), "event_id" in self._names, event_filter
        )
        # Missing paths fail here, at open time, with the path in the message.
        self._inputs = _resolve_inputs(source)
        self._stats = {
            "lines": 0, "rows": 0, "rejects": 0, "blank": 0, "filtered": 0,
            "members": 0, "bytes_in": 0, "bytes_out": 0, "rejects_dropped": 0,
        }
        # The first max_rejects rejects are kept in full; later ones are only counted.
        self._max_rejects = max_rejects
        self._rejects = []
        self._records = self._generate_records()
        self._closed = False

    # ---- results -------------------------------------------------------------------------

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    @property
    def stats(self) -> dict:
        """Counts so far: lines == rows + rejects + blank + filtered always holds."""
        return dict(self._stats)

    def rejects(self) -> pa.Table:
        """Every rejected line so far: source, line, error, raw."""
        columns = list(zip(*self._rejects)) if self._rejects else [[], [], [], []]
        return pa.Table.from_arrays(
            [pa.array(list(c), type=f.type) for c, f in zip(columns, _REJECT_SCHEMA)],
            schema=_REJECT_SCHEMA,
        )

    def __iter__(self):
        return self

    def __next__(self) -> pa.RecordBatch:
        records = []
        for record in self._records:
            records.append(record)
            if len(records) >= self._batch_size:
                break
        if not records:
            raise StopIteration
        return _records_to_batch(records, self._schema)

    def read_all(self) -> pa.Table:
        return pa.Table.from_batches(list(self), schema=self._schema)

    def close(self):
        if not self._closed:
            self._closed = True
            self._records.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- the pipeline --------------------------------------------------------------------

    def _generate_records(self):
        """Inputs -> members -> lines -> records, keeping the accounting as it goes."""
        stats = self._stats
        for inp in self._inputs:
            with inp.open() as raw:
                outer = _CountingStream(raw)
                try:
                    for member in _members(inp, outer):
                        if isinstance(member, _Damage):
                            self._damage_reject(
                                inp, member.source, 0,
                                f"corrupt archive {member.source}: {member.reason} "
                                f"(at decompressed byte {member.offset} of the archive)",
                            )
                            continue
                        stats["members"] += 1
                        yield from self._member_records(inp, member)
                        stats["bytes_out"] += member.stream.count
                    # bytes_in is the whole outer input: read what the tar reader left (its
                    # end-of-archive padding), so both implementations count the same bytes.
                    with contextlib.suppress(OSError):
                        outer.drain()
                finally:
                    stats["bytes_in"] += outer.count

    def _member_records(self, inp, member):
        stats = self._stats
        parse_line = self._line_parser.parse
        names = self._names
        source, server = member.source, member.server
        if self._on_error == "raise":
            kind = _binary_kind(member.stream.peek(_SNIFF_BYTES))
            if kind is not None:
                from edxlog import ArchiveError

                raise ArchiveError(f"{source} is not a tracking log: it looks like {kind}")
        line_no = 0
        try:
            for line in _physical_lines(member.stream, self._max_line_bytes):
                line_no += 1
                stats["lines"] += 1
                kind, value = parse_line(line, self._max_line_bytes)
                if kind is _ROW:
                    stats["rows"] += 1
                    value["source"] = source
                    value["server"] = server
                    value["line"] = line_no
                    # A column the reference does not know (added to SCHEMA later) is null,
                    # which the differential test then reports.
                    yield tuple([value.get(name) for name in names])
                elif kind is _BLANK:
                    stats["blank"] += 1
                elif kind is _FILTERED:
                    stats["filtered"] += 1
                else:
                    error, raw = value
                    stats["rejects"] += 1
                    self._keep_reject((source, line_no, error, raw))
        except _MEMBER_ERRORS as exc:
            # Rows before the damage are kept; an unterminated fragment at the damage is not
            # a line (Choice: it is dropped, its number goes to the damage reject below).
            outer_failure = member.outer_failure()
            member.damage = exc
            member.damage_is_fatal = outer_failure is not None or isinstance(exc, tarfile.TarError)
            reason = _describe_damage(outer_failure or exc)
            self._damage_reject(
                inp, source, line_no,
                f"corrupt member {source}: {reason} (at decompressed byte {member.stream.count})",
            )

    def _damage_reject(self, inp, source, lines_read, error):
        """One reject for a corrupt member or archive (counted as a line), or ArchiveError."""
        if self._on_error == "raise":
            from edxlog import ArchiveError

            where = "" if inp.name == source else f"{inp.name}: "
            raise ArchiveError(where + error)
        self._stats["lines"] += 1
        self._stats["rejects"] += 1
        self._keep_reject((source, lines_read + 1, error, b""))

    def _keep_reject(self, reject):
        if len(self._rejects) < self._max_rejects:
            self._rejects.append(reject)
        else:
            self._stats["rejects_dropped"] += 1


# ==========================================================================================
# §1 Inputs -> members
# ==========================================================================================


class _Input:
    """One outer input: a file path, standard input or a caller's file object."""

    def __init__(self, name, path=None, fileobj=None, dir_server=None, from_directory=False):
        self.name = name  # `source` of a non-archive member
        self.path = path
        self.fileobj = fileobj
        self.dir_server = dir_server  # server of a non-archive file found in a directory
        self.from_directory = from_directory

    @contextlib.contextmanager
    def open(self):
        if self.path is None:
            yield self.fileobj  # stdin / a caller's object: not ours to close
            return
        try:
            f = open(self.path, "rb")
        except FileNotFoundError as exc:
            raise FileNotFoundError(exc.errno, f"No such file: {self.name}", self.name) from None
        with f:
            yield f


def _resolve_inputs(source) -> list:
    items = list(source) if isinstance(source, (list, tuple)) else [source]
    inputs = []
    for item in items:
        if isinstance(item, str) and item == "-":
            inputs.append(_Input("<stdin>", fileobj=sys.stdin.buffer))
        elif isinstance(item, (str, bytes, os.PathLike)):
            inputs.extend(_path_inputs(item))
        elif hasattr(item, "read"):
            inputs.append(_Input(_file_object_name(item), fileobj=item))
        else:
            raise TypeError(
                "source must be a path, a list of paths, '-' or a binary file object, "
                f"not {type(item).__name__}"
            )
    return inputs


def _file_object_name(obj) -> str:
    name = getattr(obj, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return _clean_text(name) if isinstance(name, str) else "<stream>"


def _path_inputs(path) -> list:
    path = os.fsdecode(os.fspath(path))
    if os.path.isdir(path):
        return _directory_inputs(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, f"No such file or directory: {path}", path)
    return [_Input(_clean_text(path), path=path)]


def _directory_inputs(root) -> list:
    """Every file under ``root``, recursively, in byte order of the relative path.

    Choice: symbolic links to files are read, symbolic links to directories are not followed,
    hidden files are read like any other.
    """
    found = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for filename in filenames:
            full = os.path.join(dirpath, filename)
            if not os.path.isfile(full):
                continue
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            found.append((os.fsencode(rel), rel, full))
    found.sort()
    inputs = []
    for _key, rel, full in found:
        parts = rel.split("/")
        server = _clean_text(parts[0]) if len(parts) >= 2 else None
        inputs.append(
            _Input(_clean_text(os.path.join(root, rel)), path=full,
                   dir_server=server, from_directory=True)
        )
    return inputs


def _clean_text(name: str) -> str:
    """A name from the file system or a tar header as valid UTF-8 (undecodable bytes -> U+FFFD)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _server_of_member(path: str):
    """§1: first component of a member path with at least two components ('./' ignored).

    Choice: empty and '.' components are ignored wherever they are ('./a/b', '/a/b', 'a//b').
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return parts[0] if len(parts) >= 2 else None


class _CountingStream:
    """A binary reader with an exact ``peek(n)`` and a count of the bytes pulled through it.

    ``failed`` remembers an exception raised by the wrapped reader, which tells damage to the
    outer stream (the archive cannot go on) from damage inside one member (it can).
    """

    def __init__(self, inner):
        self._inner = inner
        # read1 where there is one: a buffered reader's read(n) loops to fill n bytes, and an
        # error on a later loop (a truncated gzip) would lose the bytes read before it.
        self._read = getattr(inner, "read1", None) or getattr(inner, "read", None)
        self._buffer = b""
        self.count = 0
        self.failed = None
        self._deferred = None

    def _pull(self, n):
        try:
            data = self._read(n)
        except Exception as exc:
            self.failed = exc
            raise
        data = bytes(data or b"")
        self.count += len(data)
        return data

    def peek(self, n) -> bytes:
        """Up to ``n`` bytes without consuming them. Never raises: damage found while peeking
        is raised by the ``read`` that reaches it, after the bytes before it."""
        while len(self._buffer) < n and self._deferred is None:
            try:
                data = self._pull(max(n - len(self._buffer), 8192))
            except Exception as exc:
                self._deferred = exc
                break
            if not data:
                break
            self._buffer += data
        return self._buffer[:n]

    def read(self, n=-1) -> bytes:
        if self._buffer:
            if n is None or n < 0:
                data, self._buffer = self._buffer, b""
                return data + self.read()
            data, self._buffer = self._buffer[:n], self._buffer[n:]
            return data
        if self._deferred is not None:
            raise self._deferred
        if n is None or n < 0:
            parts = []
            while True:
                data = self._pull(_READ_CHUNK)
                if not data:
                    return b"".join(parts)
                parts.append(data)
        return self._pull(n)

    def drain(self):
        """Read to the end, so that ``count`` is the size of the whole stream."""
        self._buffer = b""
        if self._deferred is None:
            while self._pull(_READ_CHUNK):
                pass

    def close(self):
        pass


class _Member:
    """One stream of log lines, decompressed, with where it came from."""

    def __init__(self, source, server, stream, outer_streams):
        self.source = source
        self.server = server
        self.stream = stream  # _CountingStream of the decompressed bytes: .count = bytes_out
        self._outer_streams = outer_streams
        self.damage = None
        self.damage_is_fatal = False

    def outer_failure(self):
        """The exception that broke the stream the member is read from, if any."""
        for stream in self._outer_streams:
            if stream.failed is not None:
                return stream.failed
        return None


class _Damage:
    """Damage found between members (e.g. an archive cut inside a tar header)."""

    def __init__(self, source, reason, offset):
        self.source = source
        self.reason = reason
        self.offset = offset  # in the decompressed archive stream


_MEMBER_ERRORS = (EOFError, OSError, zlib.error, tarfile.TarError)


def _decompressed(stream: _CountingStream) -> _CountingStream:
    """The stream itself, or its gzip decompression when it starts with 1f 8b (any name).

    gzip.GzipFile reads concatenated (multi-member, pigz) gzip whole.
    """
    if stream.peek(2) == _GZIP_MAGIC:
        return _CountingStream(gzip.GzipFile(fileobj=stream, mode="rb"))
    return stream


def _members(inp: _Input, outer: _CountingStream):
    """Yield the members of one input: the file itself, or each regular member of its tar.

    The consumer marks a member it could not read to the end (``member.damage``); when that
    damage is in the outer stream, the archive cannot go on and no more members come.
    """
    decoded = _decompressed(outer)
    if decoded.peek(262)[257:262] != b"ustar":
        server = inp.dir_server if inp.from_directory else None
        yield _Member(inp.name, server, decoded, [outer, decoded])
        return
    yield from _tar_members(inp, outer, _EndAtDamage(decoded))


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
        except _MEMBER_ERRORS as exc:
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


# Regular files: '0', NUL (old tars) and '7' (contiguous). Choice: GNU sparse files ('S')
# are skipped with directories, links and devices.
_REGULAR_TAR_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)


def _tar_members(inp, outer, decoded):
    """Each regular tar member, gunzipped when its bytes start with the gzip magic.

    tarfile's stream mode ("r|") reads forwards only, as the Rust side does; it understands
    GNU long names and PAX headers. Directories, links and other entries are skipped.
    """
    try:
        archive = tarfile.open(fileobj=decoded, mode="r|", tarinfo=_CheckedTarInfo)
    except _MEMBER_ERRORS as exc:
        yield _Damage(inp.name, _describe_damage(decoded.failed or exc), 0)
        return
    with archive:
        while True:
            try:
                info = archive.next()
            except _MEMBER_ERRORS as exc:
                yield _Damage(inp.name, _describe_damage(decoded.failed or exc), archive.offset)
                return
            if info is None:
                # A clean end for tarfile; not for us if the stream under it broke, or a
                # header was cut or garbled.
                if decoded.failed is not None:
                    yield _Damage(inp.name, _describe_damage(decoded.failed), archive.offset)
                elif getattr(archive, "_edxlog_damage", None) is not None:
                    damage = tarfile.ReadError(archive._edxlog_damage)
                    yield _Damage(inp.name, _describe_damage(damage), archive.offset)
                return
            if info.type not in _REGULAR_TAR_TYPES:
                continue
            name = _clean_text(info.name)
            stream = _decompressed(_CountingStream(_TarMemberData(archive.fileobj, info.size)))
            member = _Member(name, _server_of_member(name), stream, [outer, decoded])
            yield member
            if member.damage is not None and member.damage_is_fatal:
                return


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


# A member that is not text lines (issue: "a PNG ... is not silently read as garbage rows"):
# with on_error="skip" its lines simply become rejects; with "raise" it is an ArchiveError.
# Choice (not in docs/contract.md; the same rule as the Rust core's `binary_kind`): the first
# 4096 decompressed bytes start with a known binary magic, or they hold a NUL byte or invalid
# UTF-8 (a character cut by the end of those bytes does not count) and no '{' at all.
_SNIFF_BYTES = 4096
_BINARY_MAGICS = (
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "zip archive"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x7fELF", "ELF binary"),
    (b"GIF8", "GIF image"),
)


def _binary_kind(head: bytes):
    for magic, kind in _BINARY_MAGICS:
        if head.startswith(magic):
            return kind
    try:
        head.decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError as exc:
        valid_utf8 = exc.reason == "unexpected end of data"
    if (b"\x00" in head or not valid_utf8) and b"{" not in head:
        return "binary data"
    return None


def _describe_damage(exc) -> str:
    if isinstance(exc, EOFError):
        return f"truncated gzip stream ({exc})"
    if isinstance(exc, tarfile.TarError):
        return f"damaged tar ({exc})"
    if isinstance(exc, zlib.error):
        return f"damaged gzip data ({exc})"
    if isinstance(exc, gzip.BadGzipFile):
        return f"damaged gzip ({exc})"
    return f"{type(exc).__name__}: {exc}"


# ==========================================================================================
# §1 Member -> physical lines
# ==========================================================================================


class _LongLine:
    """A physical line over max_line_bytes: its first 4096 bytes, its length, and whether it
    is all whitespace/NUL (then it is blank, §2 step 2 comes before step 4). Memory stays
    bounded however long the line is."""

    __slots__ = ("head", "length", "blank")

    def __init__(self, data: bytes):
        self.head = b""
        self.length = 0
        self.blank = True
        self.add(data)

    def add(self, data: bytes):
        if len(self.head) < _RAW_KEEP:
            self.head += data[: _RAW_KEEP - len(self.head)]
        self.length += len(data)
        if self.blank and data.translate(None, _WS_NUL_BYTES):
            self.blank = False


def _physical_lines(stream, max_line_bytes):
    """Yield each line (bytes without its \\n), or a _LongLine for one longer than the limit.

    Lines are split on \\n only; a last line without \\n is a line; an empty stream has none.
    """
    pending = []  # pieces of the line being assembled across reads
    pending_len = 0
    long_line = None
    while True:
        chunk = stream.read(_READ_CHUNK)
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
                yield _LongLine(first) if len(first) > max_line_bytes else first
                chunk = chunk[newline + 1:]
            lines = chunk.split(b"\n")
            rest = lines.pop()
            for line in lines:
                yield _LongLine(line) if len(line) > max_line_bytes else line
            if rest:
                pending.append(rest)
                pending_len = len(rest)
        if pending_len > max_line_bytes:
            long_line = _LongLine(b"".join(pending))
            pending, pending_len = [], 0
    if long_line is not None:
        yield long_line
    elif pending_len:
        last = b"".join(pending)
        yield _LongLine(last) if len(last) > max_line_bytes else last


# ==========================================================================================
# JSON decoding (§2 step 8)
# ==========================================================================================


class _JsonError(ValueError):
    """A text that is not JSON by the contract's rules; the message is the reject's error."""


class _RawNumber(float):
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


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text):
    value = float(text)
    return value if math.isfinite(value) else _RawNumber(text)


def _parse_int(text):
    # Python refuses int() of more than 4300 digits; such a number is out of every range.
    return int(text) if len(text) <= 4000 else _RawNumber(text)


# The standard library decoder, made strict: NaN / Infinity refused, numbers beyond f64 kept
# with their text. Only _parse_int differs in the second one: it is slower and only needed for
# integers of more than 4300 digits, which Python's int() refuses by default.
_stdlib_decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_parse_float)
_stdlib_decoder_big_ints = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int
)

# For a caller's decoder (e.g. orjson): texts where decoders are known to differ from the
# contract go to the standard library instead. They are found on the bytes with digits
# mapped to '0', 'E' to 'e' and '-' to '+': 19 digits in a row (an integer that may not fit in
# 64 bits, which orjson turns into a float) or an exponent of 3 digits (a float that may not
# fit in f64). A string value that merely contains such text only costs the slower path.
_NUMBER_SHAPES = bytes.maketrans(b"123456789E-", b"000000000e+")
_LONG_DIGITS = b"0" * 19


def _may_hold_huge_number(text: str) -> bool:
    shapes = text.encode("utf-8", "surrogatepass").translate(_NUMBER_SHAPES)
    return _LONG_DIGITS in shapes or b"e000" in shapes or b"e+000" in shapes


def _may_hold_lone_surrogate(text: str) -> bool:
    return "\\ud" in text or "\\uD" in text


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*(?:"|$)|[\[\]{}]', re.DOTALL)


def _nesting_depth(text: str) -> int:
    """Deepest bracket nesting outside JSON strings."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text):
        c = match.group()
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif c in "]}":
            depth -= 1
    return deepest


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


@contextlib.contextmanager
def _recursion_headroom():
    """Room for documents nested up to 1000 levels (the C json scanner and encoder recurse)."""
    old = sys.getrecursionlimit()
    if old < 20000:
        sys.setrecursionlimit(20000)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


class _JsonDecoder:
    """RFC 8259 decoding with the contract's rules, whatever decoder is plugged in."""

    def __init__(self, json_loads=None):
        self._custom = None if json_loads in (None, json.loads) else json_loads

    def decode(self, text: str):
        """The decoded value, or _JsonError with the reason."""
        # Choice: the depth limit is checked on the brackets outside strings before decoding,
        # so a text both too deep and otherwise invalid reports the nesting.
        if text.count("{") + text.count("[") > _MAX_DEPTH and _nesting_depth(text) > _MAX_DEPTH:
            raise _JsonError(f"nesting deeper than {_MAX_DEPTH} levels")
        if _may_hold_lone_surrogate(text) and _has_lone_surrogate_escape(text):
            raise _JsonError("invalid JSON: lone surrogate escape")
        if self._custom is not None and not (
            _may_hold_huge_number(text) or "NaN" in text or "Infinity" in text
        ):
            try:
                return self._custom(text)
            except Exception:
                pass  # the standard library gives the reason, the same for every decoder
        return self._decode_stdlib(text)

    @staticmethod
    def _decode_stdlib(text: str):
        try:
            try:
                value = _stdlib_decoder.decode(text)
            except ValueError as exc:
                if isinstance(exc, json.JSONDecodeError) or "digits" not in str(exc):
                    raise
                value = _stdlib_decoder_big_ints.decode(text)  # an integer of > 4300 digits
        except RecursionError:
            raise _JsonError(f"nesting deeper than {_MAX_DEPTH} levels") from None
        except ValueError as exc:
            raise _JsonError(f"invalid JSON: {exc}") from None
        return value


# ==========================================================================================
# §2 One physical line -> blank, reject or row
# ==========================================================================================

_ROW = object()
_BLANK = object()
_REJECT = object()
_FILTERED = object()


class _EventTypeFilter:
    """Contract §2a: rows of the wanted event types only; a line in whose bytes no wanted name
    occurs (and no escape could hide one) is skipped without being parsed."""

    def __init__(self, names):
        self.names = frozenset(names)
        self._raw = [n.encode("utf-8") for n in self.names]
        self._any_slash = any("/" in n for n in self.names)
        self._no_prefilter = any(
            not n or any(c < " " or c in '"\\\ufffd' for c in n) for n in self.names
        )

    def may_match(self, core: bytes) -> bool:
        return (
            self._no_prefilter
            or any(n in core for n in self._raw)
            or b"\\u" in core
            or (self._any_slash and b"\\/" in core)
        )

_NUL_WARNING = "nul bytes stripped"
_UTF8_WARNING = "invalid utf-8 replaced"


class _LineParser:
    def __init__(self, decoder: _JsonDecoder, want_event_id: bool, event_filter=None):
        self._decoder = decoder
        self._want_event_id = want_event_id
        self._filter = event_filter

    def parse(self, line, max_line_bytes):
        """(_ROW, record) | (_BLANK, None) | (_REJECT, (error, raw)) for one physical line."""
        if isinstance(line, _LongLine):  # step 4, after step 2 (a long blank line is blank)
            if line.blank:
                return _BLANK, None
            return _REJECT, (f"line too long: {line.length} bytes", line.head)
        core = line.strip(_WS_NUL_BYTES)  # step 1
        if not core:  # step 2
            return _BLANK, None
        if self._filter is not None and not self._filter.may_match(core):  # §2a
            return _FILTERED, None
        warnings = []
        if b"\x00" in line and _nul_stripped(line, core):  # step 5
            warnings.append(_NUL_WARNING)
        try:  # step 6
            text = core.decode("utf-8")
        except UnicodeDecodeError:
            text = core.decode("utf-8", "replace")
            warnings.append(_UTF8_WARNING)
        bracket_count = text.count("{") + text.count("[")
        if bracket_count > 200:  # rare: a deeply nested line needs more recursion room
            with _recursion_headroom():
                return self._parse_text(line, core, text, warnings)
        return self._parse_text(line, core, text, warnings)

    def _parse_text(self, line, core, text, warnings):
        decode = self._decoder.decode
        # Step 7. Reject errors start with a category: "invalid JSON", "not a JSON object",
        # "no JSON object found" (after a prefix), "nesting deeper than 1000 levels".
        # Choice: `raw` is cut to 4096 bytes for every reject, not only too-long lines.
        if text[0] == "{":
            try:
                obj = decode(text)
            except _JsonError as exc:
                return _REJECT, (str(exc), line[:_RAW_KEEP])
        else:
            start = text.find("{")
            if start < 0:
                return _REJECT, ("not a JSON object", line[:_RAW_KEEP])
            try:
                obj = decode(text[start:])
            except _JsonError as exc:
                error = str(exc)
                if error.startswith("invalid JSON"):
                    error = f"no JSON object found: {error}"
                return _REJECT, (error, line[:_RAW_KEEP])
            prefix_bytes = len(text[:start].encode("utf-8"))
            warnings.append(f"prefix stripped: {prefix_bytes} bytes")
        record = _record(obj, warnings, self._decoder)
        if self._filter is not None and record.get("event_type") not in self._filter.names:
            return _FILTERED, None
        if self._want_event_id:  # step 3
            record["event_id"] = xxh3_128_digest(core)
        record["warnings"] = warnings or None
        return _ROW, record


def _nul_stripped(line: bytes, core: bytes) -> bool:
    lead = len(line) - len(line.lstrip(_WS_NUL_BYTES))
    return b"\x00" in line[:lead] or b"\x00" in line[lead + len(core):]


# ==========================================================================================
# §6 Typed conversion
# ==========================================================================================

_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1
_INT_TEXT = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*")
_FLOAT_TEXT = re.compile(
    r"[ \t\n\v\f\r]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\n\v\f\r]*"
)

_compact_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
).encode


def _type_name(value) -> str:
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
    if isinstance(value, _RawNumber):
        return value.raw
    return _float_text(value)


def _json_text(value) -> str:
    """Compact JSON text (',' and ':' without spaces, non-ASCII kept as UTF-8)."""
    try:
        return _compact_encoder(value)
    except ValueError:  # holds a _RawNumber (an infinite float to the encoder)
        return _json_text_raw(value)


def _json_text_raw(value) -> str:
    if isinstance(value, _RawNumber):
        return value.raw
    if isinstance(value, dict):
        return "{" + ",".join(
            _compact_encoder(k) + ":" + _json_text_raw(v) for k, v in value.items()
        ) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text_raw(v) for v in value) + "]"
    return _compact_encoder(value)


def _text(value):
    """Text rule (answers items, correct_map fields): never warns."""
    if value is None or isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return _number_text(value)
    return _json_text(value)


def _to_string(value, column, warnings):
    """String rule: string as given, number -> its text, null -> null, else null + warning."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_text(value)
    warnings.append(f"{column}: cannot convert {_type_name(value)} to string")
    return None


def _is_blank_text(value) -> bool:
    # Choice: a string of only whitespace is "" once its allowed surrounding whitespace is
    # trimmed, so it is null without a warning, like "".
    return isinstance(value, str) and not value.strip(_WS)


def _to_int(value, column, warnings):
    """Int rule (int64)."""
    if value is None or _is_blank_text(value):
        return None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if _I64_MIN <= value <= _I64_MAX:
            return value
        warnings.append(f"{column}: out of range")
        return None
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
            number = int(match.group(1)) if len(match.group(1)) <= 4000 else None
            if number is not None and _I64_MIN <= number <= _I64_MAX:
                return number
            warnings.append(f"{column}: out of range")
            return None
    warnings.append(f"{column}: cannot convert {_type_name(value)} to int64")
    return None


def _to_float(value, column, warnings):
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
        warnings.append(f"{column}: cannot convert {_type_name(value)} to float64")
        return None
    if not math.isfinite(number):
        warnings.append(f"{column}: out of range")
        return None
    return number


# ---- time rule ---------------------------------------------------------------------------

_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?:(Z)|([+-])([0-9]{2}):?([0-9]{2}))?"
)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_from_civil(year, month, day):
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year 0000-9999)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _parse_time(text: str):
    """Microseconds since the epoch (UTC), or None when the text is not a valid time.

    Choice: an offset must have hours < 24 and minutes < 60; no surrounding whitespace.
    """
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    if not 1 <= month <= 12:
        return None
    days_in_month = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month]
    if not 1 <= day <= days_in_month or hour > 23 or minute > 59 or second > 59:
        return None
    fraction = match.group(7)
    micros = int(fraction[:6].ljust(6, "0")) if fraction else 0  # extra digits truncated
    offset = 0
    if match.group(9):
        off_hours, off_minutes = int(match.group(10)), int(match.group(11))
        if off_hours > 23 or off_minutes > 59:
            return None
        offset = (off_hours * 3600 + off_minutes * 60) * (1 if match.group(9) == "+" else -1)
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return (seconds - offset) * 1_000_000 + micros


# ==========================================================================================
# §3 A JSON object -> columns
# ==========================================================================================

# Top-level keys with a column of their own (schema order, which is the order warnings come in).
_STRING_KEYS = (
    "username", "session", "ip", "agent", "page", "host", "referer", "accept_language",
    "name", "event_source", "event_type",
)
_KNOWN_KEYS = frozenset(_STRING_KEYS + ("time", "context", "event"))


def _record(obj: dict, warnings: list, decoder: _JsonDecoder) -> dict:
    """Every column's value for one JSON object (§3-§5); warnings are appended in order."""
    record = {}
    unconverted = set()  # known keys whose value did not convert: they are kept in `extra`

    # Warnings come in the schema's column order: time, username ... event_type, user_id,
    # context, then the event's decoding and fields. An unparseable time string counts as
    # "could not be converted": it is kept in `extra` too.
    time = obj.get("time")
    if time is None:
        record["time"] = None
    elif isinstance(time, str):
        record["time"] = _parse_time(time)
        if record["time"] is None:
            warnings.append("time: unparseable")
            unconverted.add("time")
    else:
        record["time"] = None
        warnings.append(f"time: cannot convert {_type_name(time)} to timestamp")
        unconverted.add("time")

    for key in _STRING_KEYS:
        value = obj.get(key)
        if value is None or value.__class__ is str:
            record[key] = value
        else:
            before = len(warnings)
            record[key] = _to_string(value, key, warnings)
            if len(warnings) != before:
                unconverted.add(key)

    context = obj.get("context")
    if context is None:
        record["context"] = None
    elif isinstance(context, dict):
        record["context"] = _json_text(context)
    else:
        record["context"] = None
        warnings.append(f"context: cannot convert {_type_name(context)} to object")
        unconverted.add("context")
        context = None

    event = obj.get("event")
    record["event"] = event if event is None or isinstance(event, str) else _json_text(event)

    extra = {k: v for k, v in obj.items() if k not in _KNOWN_KEYS or k in unconverted}
    record["extra"] = _json_text(extra) if extra else None

    # §5 course_id, org_id, user_id (user_id's warning comes in schema order, before event's).
    _course_fields(context, record, warnings)

    # §4 The event payload and its fields.
    _event_fields(event, record, warnings, decoder)
    return record


# ==========================================================================================
# §4 The event payload
# ==========================================================================================

_EVENT_WARNING = "event: looks like JSON but does not decode"
_GET_ANSWER_EVENTS = frozenset(("problem_check", "problem_save", "problem_graded"))
_RUBRIC_PREFIXES = ("oe_", "peer_grading_", "staff_grading_")

# A payload is (kind, value): kind "object" (a dict), "list", "get" (a GET candidate string),
# or None (no payload).
_NO_PAYLOAD = (None, None)


def _decode_event(event, warnings, decoder):
    if isinstance(event, dict):
        return "object", event
    if isinstance(event, list):
        return "list", event
    if isinstance(event, str):
        return _decode_event_string(event, 0, warnings, decoder)
    return _NO_PAYLOAD


def _decode_event_string(s, level, warnings, decoder):
    """decode_string(s, level) of §4."""
    # Choice: "whitespace" is the ASCII set of §2 here too.
    stripped = s.lstrip(_WS)
    first = stripped[:1]
    if first == "{" or first == "[":
        try:
            value = decoder.decode(s)
        except _JsonError:
            warnings.append(_EVENT_WARNING)  # e.g. cut at 512 characters; text stays in `event`
            return _NO_PAYLOAD
        return _payload_of_value(value, level, warnings, decoder)
    if first == '"':
        try:
            value = decoder.decode(s)
        except _JsonError:
            # A cut quoted GET string: the text after its opening quote, no warning.
            return "get", s[s.index('"') + 1:]
        return _payload_of_value(value, level, warnings, decoder)
    return "get", s


def _payload_of_value(value, level, warnings, decoder):
    if isinstance(value, dict):
        return "object", value
    if isinstance(value, list):
        return "list", value
    if isinstance(value, str):
        if level + 1 < 3:
            return _decode_event_string(value, level + 1, warnings, decoder)
        # At most three decodings: the string the third one yields is the GET candidate.
        return "get", value
    return _NO_PAYLOAD


def _event_family(event_type):
    if not isinstance(event_type, str):
        return None
    if event_type.endswith("_video") or event_type.startswith("edx.video."):
        return "video"
    if event_type == "book":
        return "book"
    if event_type.startswith("seq_"):
        return "seq"
    if event_type == "rubric_select" or event_type.startswith(_RUBRIC_PREFIXES):
        return "rubric"
    return None


def _event_fields(event, record, warnings, decoder):
    """problem_id ... selected_value, in schema order (the order of their warnings).

    Choice: the text columns here (problem_id, video_id/code/speed, book_type, seq_id,
    location) follow the string rule, as the contract says for success.
    """
    kind, payload = _decode_event(event, warnings, decoder)
    event_type = record["event_type"]
    obj = payload if kind == "object" else None
    family = _event_family(event_type) if obj is not None else None

    if obj is not None:
        # Choice: "when absent" means missing or null (a problem_id that does not convert
        # is not absent: it stays null, with its warning).
        if obj.get("problem_id") is None and event_type == "problem_show":
            record["problem_id"] = _to_string(obj.get("problem"), "problem_id", warnings)
        else:
            record["problem_id"] = _to_string(obj.get("problem_id"), "problem_id", warnings)
        record["success"] = _to_string(obj.get("success"), "success", warnings)
        record["attempts"] = _to_int(obj.get("attempts"), "attempts", warnings)
        record["correct_map"] = _correct_map(obj.get("correct_map"), warnings, decoder)
    record["answers"] = _answers(kind, payload, event_type, warnings)
    if obj is not None:
        state = obj.get("state")
        # Contract: JSON text of any non-null value (so a string state is a quoted JSON string).
        record["state"] = None if state is None else _json_text(state)

    if family == "video":
        record["video_id"] = _to_string(obj.get("id"), "video_id", warnings)
        record["video_code"] = _to_string(obj.get("code"), "video_code", warnings)
        record["video_speed"] = _to_string(obj.get("speed"), "video_speed", warnings)
        # Choice: `current_time` is used only when the key `currentTime` is missing.
        current = obj["currentTime"] if "currentTime" in obj else obj.get("current_time")
        record["video_time"] = _to_float(current, "video_time", warnings)
    elif family == "book":
        record["book_type"] = _to_string(obj.get("type"), "book_type", warnings)
        record["book_old"] = _to_int(obj.get("old"), "book_old", warnings)
        record["book_new"] = _to_int(obj.get("new"), "book_new", warnings)
    elif family == "seq":
        record["seq_id"] = _to_string(obj.get("id"), "seq_id", warnings)
        record["seq_old"] = _to_int(obj.get("old"), "seq_old", warnings)
        record["seq_new"] = _to_int(obj.get("new"), "seq_new", warnings)
    elif family == "rubric":
        record["location"] = _to_string(obj.get("location"), "location", warnings)
        record["rubric_category"] = _to_int(obj.get("category"), "rubric_category", warnings)
        record["selected_value"] = _to_int(obj.get("value"), "selected_value", warnings)


# ---- answers -----------------------------------------------------------------------------


def _answers(kind, payload, event_type, warnings):
    if kind == "object":
        if "answers" in payload:
            return _answers_of_value(payload["answers"], warnings)
        return None
    if event_type in _GET_ANSWER_EVENTS:
        candidate = None
        if kind == "get":
            candidate = payload
        elif kind == "list" and payload and isinstance(payload[0], str):
            candidate = payload[0]
        if candidate is not None and "=" in candidate:
            return _decode_get(candidate)
    return None


def _answers_of_value(value, warnings):
    if value is None:
        return None  # Choice: a null `answers` is null without a warning, like other nulls.
    if isinstance(value, str):
        return _decode_get(value)
    if not isinstance(value, dict):
        warnings.append(f"answers: cannot convert {_type_name(value)} to map")
        return None
    answers = {}
    for key, item in value.items():
        items = [_text(v) for v in item] if isinstance(item, list) else [_text(item)]
        # Choice: two keys that become equal once normalised ("input_a" and "a") collect
        # their values in order under the first one's position, as repeated GET keys do.
        answers.setdefault(_answer_key(key), []).extend(items)
    return list(answers.items()) or None


def _answer_key(key: str) -> str:
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


def _decode_get(text: str):
    """A GET (form) string as map entries; repeated keys collect their values in order."""
    answers = {}
    for piece in text.split("&"):
        if not piece:
            continue
        key, _sep, value = piece.partition("=")
        answers.setdefault(_answer_key(_url_decode(key)), []).append(_url_decode(value))
    return list(answers.items()) or None


# ---- correct_map -------------------------------------------------------------------------


def _correct_map(value, warnings, decoder):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            decoded = decoder.decode(value)
        except _JsonError:
            decoded = None
        if not isinstance(decoded, dict):
            # Choice: a string that does not decode to an object (or does not decode, "" too)
            # is reported as a string.
            warnings.append("correct_map: cannot convert string to map")
            return None
        value = decoded
    if not isinstance(value, dict):
        warnings.append(f"correct_map: cannot convert {_type_name(value)} to map")
        return None
    entries = []
    for answer_id, entry in value.items():
        if not isinstance(entry, dict):
            warnings.append("correct_map: entry is not an object")
            continue
        queuestate = entry.get("queuestate")
        if not isinstance(queuestate, dict):
            queuestate = {}
        entries.append({
            "answer_id": answer_id,
            "correctness": _text(entry.get("correctness")),
            # Choice: a bad npoints warns as "correct_map.npoints: ...".
            "npoints": _to_float(entry.get("npoints"), "correct_map.npoints", warnings),
            "msg": _text(entry.get("msg")),
            "hint": _text(entry.get("hint")),
            "hintmode": _text(entry.get("hintmode")),
            "queuestate_key": _text(queuestate.get("key")),
            "queuestate_time": _text(queuestate.get("time")),
        })
    # Choice: an object with no usable entry gives an empty list, not null.
    return entries


# ==========================================================================================
# §5 course_id, org_id, user_id
# ==========================================================================================

_COURSE_V1 = re.compile(r"(?:course|ccx)-v1:[^/?# \t\n\v\f\r]*")
_COURSES_PATH = re.compile(
    r"/courses/([^/?# \t\n\v\f\r]+)/([^/?# \t\n\v\f\r]+)/([^/?# \t\n\v\f\r]+)"
)


def _course_id_from_url(url):
    """The course id in a URL or URL path, or None.

    Choice: the leftmost `course-v1:` or `ccx-v1:` id that has at least two '+' (an earlier
    one with fewer is passed over); failing that the leftmost `/courses/<a>/<b>/<c>` with three
    non-empty segments. Segments end at / ? # or ASCII whitespace (the set of §2).
    """
    if not isinstance(url, str):
        return None
    for match in _COURSE_V1.finditer(url):
        if match.group().count("+") >= 2:
            return match.group()
    match = _COURSES_PATH.search(url)
    if match is not None:
        return "/".join(match.groups())
    return None


def _org_from_course_id(course_id):
    """'course-v1:Org+Num+Run' -> Org; 'Org/Num/Run' -> Org; otherwise None.

    Choice: a `*-v1:` id without a '+' after the ':', or an empty result, gives None.
    """
    if not course_id:
        return None
    colon = course_id.find(":")
    if colon > 0 and course_id[:colon].endswith("-v1"):
        plus = course_id.find("+", colon + 1)
        return (course_id[colon + 1:plus] or None) if plus >= 0 else None
    slash = course_id.find("/")
    return (course_id[:slash] or None) if slash >= 0 else None


def _non_empty_string(value):
    return value if isinstance(value, str) and value else None


def _course_fields(context, record, warnings):
    context_course = _non_empty_string(context.get("course_id")) if context else None
    course_id = context_course
    if course_id is None:
        course_id = _course_id_from_url(record["page"])
    if course_id is None:
        event_type = record["event_type"]
        if isinstance(event_type, str) and event_type.startswith(("/", "http")):
            course_id = _course_id_from_url(event_type)
    record["course_id"] = course_id
    org_id = _non_empty_string(context.get("org_id")) if context else None
    record["org_id"] = org_id if org_id is not None else _org_from_course_id(course_id)
    record["user_id"] = _to_int(context.get("user_id"), "user_id", warnings) if context else None


# ==========================================================================================
# Records -> Arrow columns typed by edxlog.SCHEMA
# ==========================================================================================


def _schema():
    from edxlog import SCHEMA

    return SCHEMA


def _selected_schema(columns) -> pa.Schema:
    schema = _schema()
    if columns is None:
        return schema
    if isinstance(columns, str):
        raise TypeError("columns must be a list of column names, not a string")
    columns = list(columns)
    unknown = [c for c in columns if c not in schema.names]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; the columns are {schema.names}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"columns lists a name more than once: {columns}")
    # Choice: the columns come back in the order they were asked for.
    return pa.schema([schema.field(c) for c in columns], metadata=schema.metadata)


def _records_to_batch(records, schema) -> pa.RecordBatch:
    columns = list(zip(*records))
    return pa.RecordBatch.from_arrays(
        [_to_array(list(values), field.type) for values, field in zip(columns, schema)],
        schema=schema,
    )


def _to_array(values, arrow_type) -> pa.Array:
    if pa.types.is_dictionary(arrow_type):
        # A dictionary-encoded column (event_source / event_type may be): build the values,
        # then encode them with the schema's index type.
        array = pa.array(values, type=arrow_type.value_type).dictionary_encode()
        return array.cast(arrow_type) if array.type != arrow_type else array
    return pa.array(values, type=arrow_type)
