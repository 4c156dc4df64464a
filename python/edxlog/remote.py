"""Remote input: URLs that fsspec opens (``s3://`` through s3fs, and any other fsspec protocol).

``edxlog.read`` hands each remote object to the Rust core as a binary file object
(:class:`ObjectReader`). The object is never downloaded whole first: it is fetched in ranged
requests of :data:`CHUNK_BYTES` (8 MiB), the next one in flight while the core parses the
current one, so the core's small reads are memory copies and the GIL is taken briefly per read.

A connection that drops mid-object never looks like the end of the data: every chunk is
checked against the object's size from the listing, and a short or failed fetch is resumed with
a ranged request from the first missing byte; when that keeps failing, the read raises
:class:`RemoteReadError` (an ``OSError``) naming the object and the byte offset.

The small API the CLI uses as well:

- :func:`is_url` — is this source a URL (rather than a local path)?
- :func:`expand` — URLs (objects, prefixes, globs) → :class:`RemoteObject` s in sorted order.
- :func:`filesystem` — a URL → ``(fsspec filesystem, path)``, for writing outputs.

fsspec and s3fs are optional: ``pip install "edxlog[s3]"``.
"""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

#: Bytes per ranged request. Large, so that per-request latency and the GIL taken by the
#: network code are paid once per 8 MiB, not per read of the core.
CHUNK_BYTES = 8 << 20
#: Fetches of one range in a row that may fail (raise, or return no new byte) before the read
#: gives up. Each is a new ranged request from the first byte not yet received.
RESUME_ATTEMPTS = 4
#: Seconds before the first retry; doubled for each further one.
RESUME_BACKOFF = 0.2

_GLOB_CHARS = "*?["

# One small pool runs the chunk fetches of every open object (one in flight per object).
_pool: Optional[ThreadPoolExecutor] = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="edxlog-remote")
        return _pool


class RemoteReadError(OSError):
    """A remote object could not be read to its end (the connection kept failing)."""


def is_url(source: Any) -> bool:
    """Whether ``source`` is a URL with a protocol (``s3://…``, ``gs://…``, ``https://…``).

    Local paths (including Windows drive paths such as ``C:\\logs``) are not URLs.
    """
    if not isinstance(source, str):
        return False
    head, sep, _ = source.partition("://")
    return bool(sep) and len(head) > 1 and head.replace("+", "").replace("-", "").isalnum()


def _fsspec():
    try:
        import fsspec
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            'reading URLs needs fsspec (and s3fs for s3://): pip install "edxlog[s3]"'
        ) from e
    return fsspec


def filesystem(url: str, storage_options: Optional[Mapping[str, Any]] = None):
    """``(fs, path)`` for ``url``: the fsspec filesystem (with ``storage_options``) and the
    path inside it, without the protocol. For reading and for writing outputs."""
    fsspec = _fsspec()
    try:
        return fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as e:
        raise ImportError(f'{e} (for edxlog: pip install "edxlog[s3]")') from e


@dataclass(frozen=True)
class RemoteObject:
    """One remote object to read: its URL (the rows' ``source``), size and ``server``."""

    url: str
    size: Optional[int]
    #: The first component of the key below the prefix or glob root it was found under, when
    #: the key has at least two components there (as for directory input); else None.
    server: Optional[str]
    fs: Any
    path: str
    #: A stamp that changes when the object does (S3: the ETag), or None; for caches.
    version: Optional[str] = None

    def open(self) -> "ObjectReader":
        return ObjectReader(self)


def expand(
    urls: Iterable[str], storage_options: Optional[Mapping[str, Any]] = None
) -> list[RemoteObject]:
    """Each URL → its objects: an object URL is itself; a prefix (``s3://bucket/2013/``, or a
    key that is a "directory") is every object under it; a glob (``*``, ``?``, ``[...]``) is
    every object it matches. Each URL's objects are sorted by key (byte order); the URLs keep
    their order. A URL that names nothing raises ``FileNotFoundError``."""
    out: list[RemoteObject] = []
    for url in urls:
        out.extend(_expand_one(url, storage_options))
    return out


def _expand_one(url: str, storage_options) -> list[RemoteObject]:
    fs, path = filesystem(url, storage_options)
    if any(c in path for c in _GLOB_CHARS):
        root = path[: min(path.index(c) for c in _GLOB_CHARS if c in path)]
        root = root[: root.rfind("/") + 1]
        found = fs.glob(path, detail=True)
    else:
        root = path.rstrip("/") + "/"
        if path.endswith("/"):
            found = fs.find(path, detail=True)
        else:
            try:
                info = fs.info(path)
            except FileNotFoundError:
                raise FileNotFoundError(2, "No such file or directory", url) from None
            if info.get("type") == "directory":
                found = fs.find(path, detail=True)
            else:
                return [_object(fs, path, info, server=None)]
    files = sorted(
        (name, info) for name, info in found.items() if info.get("type", "file") == "file"
    )
    if not files:
        raise FileNotFoundError(2, "No such file or directory (no object matches)", url)
    return [_object(fs, name, info, server=_server(name, root)) for name, info in files]


def _object(fs, path: str, info: Mapping[str, Any], server: Optional[str]) -> RemoteObject:
    size = info.get("size")
    return RemoteObject(
        url=fs.unstrip_protocol(path),
        size=int(size) if size is not None else None,
        server=server,
        fs=fs,
        path=path,
        version=next((str(info[k]) for k in ("ETag", "etag", "md5", "mtime", "LastModified") if info.get(k)), None),
    )


def _server(path: str, root: str) -> Optional[str]:
    rel = path[len(root) :] if path.startswith(root) else path
    parts = [p for p in rel.split("/") if p]
    return parts[0] if len(parts) >= 2 else None


class ObjectReader(io.RawIOBase):
    """A remote object as a read-only binary stream, fetched in :data:`CHUNK_BYTES` ranges
    with the next range in flight.

    ``name`` is the object's URL and ``edxlog_server`` its ``server``: the core uses both for
    the rows' ``source`` and ``server``.
    """

    def __init__(self, obj: RemoteObject):
        super().__init__()
        self.name = obj.url
        self.edxlog_server = obj.server
        self._obj = obj
        self._chunk = b""
        self._pos = 0  # next byte of _chunk to hand out
        self._offset = 0  # object offset of _chunk's first byte
        self._next: Optional[Future] = None
        self._stream = None  # only for objects of unknown size
        #: The reader read after this one (see :func:`open_all`): its first range is fetched
        #: while this one's last range is parsed, so a prefix of many small objects does not
        #: wait for a request at every object.
        self.successor: Optional["ObjectReader"] = None

    # -- io protocol ---------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if size is None or size < 0:
            parts = []
            while True:
                part = self.read(CHUNK_BYTES)
                if not part:
                    return b"".join(parts)
                parts.append(part)
        if self._pos >= len(self._chunk) and not self._advance():
            return b""
        out = self._chunk[self._pos : self._pos + size]
        self._pos += len(out)
        return out

    def readinto(self, buffer) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def tell(self) -> int:
        return self._offset + self._pos

    def seekable(self) -> bool:
        return self._obj.size is not None

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Moves the read position; the next read fetches from there (a seek within the
        current chunk costs nothing)."""
        if not self.seekable():
            raise io.UnsupportedOperation("seek: the object's size is not known")
        target = {io.SEEK_SET: 0, io.SEEK_CUR: self.tell(), io.SEEK_END: self._obj.size}[whence] + offset
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        if self._offset <= target <= self._offset + len(self._chunk):
            self._pos = target - self._offset
            return target
        if self._next is not None:
            self._next.cancel()
            self._next = None
        self._chunk, self._pos, self._offset = b"", 0, target
        return target

    def close(self) -> None:
        if self._next is not None:
            self._next.cancel()
            self._next = None
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._chunk = b""
        super().close()

    # -- fetching ------------------------------------------------------------------------
    def _advance(self) -> bool:
        """Makes the next chunk current; False at the end of the object."""
        size = self._obj.size
        start = self._offset + len(self._chunk)
        if size is None:
            return self._advance_stream(start)
        if start >= size:
            return False
        if self._next is None:
            self._next = self._submit(start)
        chunk = self._next.result()
        self._next = None
        self._chunk, self._pos, self._offset = chunk, 0, start
        following = start + len(chunk)
        if following < size:
            self._next = self._submit(following)
        elif self.successor is not None:
            self.successor.prefetch()
        return True

    def prefetch(self) -> None:
        """Starts fetching the first range now (if nothing was read or fetched yet)."""
        size = self._obj.size
        if self._next is None and not self._chunk and self._offset == 0 and size and not self.closed:
            self._next = self._submit(0)

    def _submit(self, start: int) -> Future:
        end = min(start + CHUNK_BYTES, self._obj.size)
        return _executor().submit(self._fetch_exact, start, end)

    def _fetch_exact(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the object, exactly: a short or failed fetch is resumed
        from the first missing byte; RESUME_ATTEMPTS failures without progress raise."""
        obj = self._obj
        parts: list[bytes] = []
        got = start
        failures = 0
        while got < end:
            error: Optional[BaseException] = None
            try:
                data = obj.fs.cat_file(obj.path, start=got, end=end)
            except FileNotFoundError:
                raise FileNotFoundError(2, "No such file or directory (removed while reading)", obj.url) from None
            except Exception as e:  # network errors come in many types (aiohttp, botocore, OSError)
                data, error = b"", e
            if len(data) > end - got:
                raise RemoteReadError(
                    f"{obj.url}: the server sent {len(data)} bytes for a request of "
                    f"{end - got} at byte {got} (did the object change while being read?)"
                )
            if data:
                parts.append(data)
                got += len(data)
                failures = 0
                continue
            failures += 1
            if failures >= RESUME_ATTEMPTS:
                why = f"{type(error).__name__}: {error}" if error else "no data returned"
                raise RemoteReadError(
                    f"{obj.url}: reading stopped at byte {got} of {obj.size} "
                    f"after {failures} attempts ({why})"
                ) from error
            time.sleep(RESUME_BACKOFF * 2 ** (failures - 1))
        return b"".join(parts) if len(parts) != 1 else parts[0]

    def _advance_stream(self, start: int) -> bool:
        """Objects of unknown size (some HTTP servers): a plain sequential stream, without
        the size check (there is nothing to check against)."""
        if self._stream is None:
            self._stream = self._obj.fs.open(self._obj.path, "rb", block_size=CHUNK_BYTES)
        chunk = self._stream.read(CHUNK_BYTES)
        if not chunk:
            return False
        self._chunk, self._pos, self._offset = chunk, 0, start
        return True


def open_all(objects: Iterable[RemoteObject]) -> list[ObjectReader]:
    """Readers of ``objects``, each fetching its successor's first range ahead."""
    readers = [obj.open() for obj in objects]
    for reader, successor in zip(readers, readers[1:]):
        reader.successor = successor
    return readers


def open_object(url: str, storage_options: Optional[Mapping[str, Any]] = None) -> ObjectReader:
    """One object (not a prefix or glob) as a seekable :class:`ObjectReader`."""
    fs, path = filesystem(url, storage_options)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise FileNotFoundError(2, "No such file or directory", url) from None
    if info.get("type") == "directory":
        raise IsADirectoryError(21, "Is a prefix, not an object", url)
    return _object(fs, path, info, server=None).open()
