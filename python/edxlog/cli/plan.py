"""Which members each input holds, and their identity: name, stored size and SHA-256.

Incremental conversion needs to know a member *before* reading it, so that a member already in
the dataset is not read again. This module lists members without parsing anything:

- a plain tar: ``tarfile`` walks the headers; each member's stored bytes are hashed in place;
- a ``.tar.gz``: one streaming pass (the outer gzip must be inflated to find the members);
- a directory: its files, walked as the reader walks them (recursively, sorted), named by their
  path inside the directory, so an extracted export names its members as its tar does;
- any other file (``.gz``, plain log): one member named by the file name;
- a URL (``s3://…``, see :func:`list_inputs`): each object it names, as a file or an archive
  (read as a stream, once, to hash it); objects under a prefix are named by their key below it.

A tar that ``tarfile`` cannot walk to the end (damaged header) is one unit named after the
archive, hashed whole: converted entirely or not at all, its rows counted against it.

When only some members of an archive are wanted, :class:`TarSubset` hands the reader a tar
stream of just those members (their header and data blocks, copied by byte range), so the core
reads them as it would the whole archive.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
import zlib
from typing import BinaryIO, Optional

from edxlog import remote

_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Member:
    name: str  # identity name (tar member path, path inside a directory, or file name)
    source: str  # what the reader puts in the `source` column for its rows
    size: int  # stored bytes
    sha256: str
    server: Optional[str] = None  # `server` the reader gives its rows, when it must be forced
    span: Optional[tuple[int, int]] = None  # tar: (header offset, end of padded data)
    path: Optional[str] = None  # directory members: the file
    archive: Optional[str] = None  # the input it came from, as the manifest records it


@dataclass
class Input:
    spec: str  # as the user gave it
    kind: str  # "tar", "targz", "dir", "file", "unit" (unlistable tar), "stdin"
    size: int  # stored bytes
    members: list[Member] = field(default_factory=list)
    note: str = ""  # why an archive is one unit
    version: Optional[str] = None  # a remote object's ETag (listing cache key)


def _hash_range(f: BinaryIO, n: int) -> str:
    h = hashlib.sha256()
    while n > 0:
        chunk = f.read(min(_CHUNK, n))
        if not chunk:
            raise EOFError("unexpected end of file")
        h.update(chunk)
        n -= len(chunk)
    return h.hexdigest()


def _hash_file(path: str) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _server_of(name: str) -> Optional[str]:
    parts = [p for p in name.split("/") if p and p != "."]
    return parts[0] if len(parts) > 1 else None


def _sniff(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(512)
        if head[:2] == _GZIP_MAGIC:
            f.seek(0)
            try:
                with gzip.GzipFile(fileobj=f) as g:
                    inner = g.read(512)
            except (OSError, EOFError):
                return "file"
            return "targz" if _is_tar(inner) else "file"
    return "tar" if _is_tar(head) else "file"


def _is_tar(block: bytes) -> bool:
    return len(block) >= 262 and block[257:262] == b"ustar"


def list_input(spec: str, cache: Optional[dict] = None) -> Input:
    """List `spec`'s members with their identities. `cache` maps an archive's absolute path to
    a previous listing ({size, mtime_ns, members}); reused when size and mtime are unchanged."""
    if spec == "-":
        raise ValueError("standard input cannot be listed (it is read once)")
    p = Path(spec)
    st = p.stat()  # FileNotFoundError for a missing input
    if p.is_dir():
        return _list_dir(spec)
    kind = _sniff(spec)
    if kind == "file":
        size, digest = _hash_file(spec)
        return Input(spec, "file", size, [Member(p.name, spec, size, digest)])
    key = str(p.resolve())
    hit = (cache or {}).get(key)
    if hit and hit.get("size") == st.st_size and hit.get("mtime_ns") == st.st_mtime_ns and hit.get("kind") == kind:
        members = [Member(n, n, s, d, span=tuple(sp) if sp else None) for n, s, d, sp in hit["members"]]
        return Input(spec, kind, st.st_size, members)
    try:
        members = _list_tar(spec, kind)
    except (tarfile.TarError, EOFError, OSError, zlib_error()) as e:
        size, digest = _hash_file(spec)
        return Input(spec, "unit", size, [Member(p.name, spec, size, digest)], note=f"{type(e).__name__}: {e}")
    return Input(spec, kind, st.st_size, members)


def zlib_error():
    import zlib

    return zlib.error


def cache_entry(inp: Input) -> Optional[tuple[str, dict]]:
    if inp.kind not in ("tar", "targz"):
        return None
    if remote.is_url(inp.spec):
        if inp.version is None:
            return None
        return inp.spec, {
            "kind": inp.kind,
            "size": inp.size,
            "version": inp.version,
            "members": [[m.name, m.size, m.sha256, list(m.span) if m.span else None] for m in inp.members],
        }
    st = os.stat(inp.spec)
    return str(Path(inp.spec).resolve()), {
        "kind": inp.kind,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "members": [[m.name, m.size, m.sha256, list(m.span) if m.span else None] for m in inp.members],
    }


def list_inputs(spec: str, cache: Optional[dict] = None, storage_options: Optional[dict] = None) -> list[Input]:
    """:func:`list_input` for a local spec; for a URL, one Input per object it names (an
    object, or every object under a prefix or matching a glob, in key order)."""
    if not remote.is_url(spec):
        return [list_input(spec, cache)]
    objects = remote.expand([spec], storage_options)
    single = len(objects) == 1 and objects[0].url.rstrip("/") == spec.rstrip("/")
    out = []
    for obj in objects:
        name = obj.url.rsplit("/", 1)[-1] if single else _name_below(obj.url, spec)
        out.append(_list_object(obj, name, cache))
    return out


def _name_below(url: str, spec: str) -> str:
    """An object's key below the prefix (or the glob's fixed part) it was found under."""
    root = spec
    for c in "*?[":
        if c in root:
            root = root[: root.index(c)]
    root = root[: root.rfind("/") + 1] if not root.endswith("/") else root
    if not url.startswith(root):
        root = spec.rstrip("/") + "/"
    return url[len(root):] if url.startswith(root) else url.split("://", 1)[-1]


def _sniff_bytes(head: bytes) -> str:
    if head[:2] == _GZIP_MAGIC:
        try:
            inner = zlib.decompressobj(31).decompress(head, 512)
        except zlib.error:
            return "file"
        return "targz" if _is_tar(inner) else "file"
    return "tar" if _is_tar(head[:512]) else "file"


def _list_object(obj: "remote.RemoteObject", name: str, cache: Optional[dict]) -> Input:
    """One remote object: sniffed from its first MiB, then read once as a stream (never
    whole in memory) to hash it or list its members."""
    spec = obj.url
    hit = (cache or {}).get(spec)
    if hit and obj.version and hit.get("size") == obj.size and hit.get("version") == obj.version:
        members = [Member(n, n, s, d, span=tuple(sp) if sp else None) for n, s, d, sp in hit["members"]]
        return Input(spec, hit["kind"], obj.size, members, version=obj.version)
    head = obj.fs.cat_file(obj.path, start=0, end=min(obj.size or 0, 1 << 20)) if obj.size else b""
    kind = _sniff_bytes(head)
    if kind != "file":
        try:
            with obj.open() as f:
                members = _list_tar_stream(f, kind)
            return Input(spec, kind, obj.size, members, version=obj.version)
        except (tarfile.TarError, EOFError, zlib.error) as e:
            note = f"{type(e).__name__}: {e}"
        except OSError as e:
            if isinstance(e, remote.RemoteReadError):
                raise
            note = f"{type(e).__name__}: {e}"
    with obj.open() as f:
        size, digest = _hash_stream(f)
    member = Member(name, spec, size, digest, server=obj.server)
    if kind != "file":
        return Input(spec, "unit", size, [member], note=note)
    return Input(spec, "file", size, [member])


def _hash_stream(f: BinaryIO) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    while chunk := f.read(_CHUNK):
        h.update(chunk)
        size += len(chunk)
    return size, h.hexdigest()


def _list_tar_stream(f: BinaryIO, kind: str) -> list[Member]:
    """Members of a tar read as a stream (no seeking), hashed as they pass."""
    members = []
    with tarfile.open(fileobj=f, mode="r|gz" if kind == "targz" else "r|") as tar:
        for info in tar:
            if not info.isreg():
                continue
            digest = _hash_range(tar.extractfile(info), info.size)
            end = info.offset_data + -(-info.size // 512) * 512
            members.append(Member(info.name, info.name, info.size, digest, span=(info.offset, end)))
    return members


def _list_tar(path: str, kind: str) -> list[Member]:
    members = []
    if kind == "tar":
        with open(path, "rb") as f, tarfile.open(fileobj=f, mode="r:") as tar:
            for info in tar:
                if not info.isreg():
                    continue
                pos = tar.fileobj.tell()
                f.seek(info.offset_data)
                digest = _hash_range(f, info.size)
                f.seek(pos)
                end = info.offset_data + -(-info.size // 512) * 512
                members.append(Member(info.name, info.name, info.size, digest, span=(info.offset, end)))
            f.seek(tar.offset)
            _only_zeros(f)
    else:
        with tarfile.open(path, mode="r|gz") as tar:
            for info in tar:
                if not info.isreg():
                    continue
                data = tar.extractfile(info)
                digest = _hash_range(data, info.size)
                end = info.offset_data + -(-info.size // 512) * 512
                members.append(Member(info.name, info.name, info.size, digest, span=(info.offset, end)))
            _only_zeros(tar.fileobj)
    return members


def _only_zeros(f) -> None:
    """`tarfile` ends a listing quietly at a damaged header; the reader reports the damage and
    may find members after it. So a tar is listed member by member only when nothing but zero
    blocks follows its last member; otherwise it is one unit."""
    while chunk := f.read(_CHUNK):
        if chunk.count(0) != len(chunk):
            raise tarfile.ReadError("data after the last member tarfile could read (a damaged header?)")


def _list_dir(spec: str) -> Input:
    root = Path(spec)
    files = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root)
        for name in filenames:
            full = Path(dirpath) / name
            if full.is_file():
                files.append(rel_dir / name)
        dirnames.sort()
    files.sort()
    members = []
    total = 0
    for rel in files:
        full = root / rel
        size, digest = _hash_file(str(full))
        total += size
        name = rel.as_posix()
        # The reader names a directory's files by the path joined to the directory as given
        # (not normalised: `./logs` stays `./logs/...`).
        source = os.path.join(spec, name)
        members.append(Member(name, source, size, digest, server=_server_of(name), path=source))
    return Input(spec, "dir", total, members)


class TarSubset(io.RawIOBase):
    """A readable tar stream holding only some members of a tar (plain or gzipped as a whole):
    their header blocks and data, copied by byte range, then the two end-of-archive blocks."""

    def __init__(self, path: str, spans: list[tuple[int, int]], gz: bool, storage_options: Optional[dict] = None):
        super().__init__()
        self.name = path
        self._raw = remote.open_object(path, storage_options) if remote.is_url(path) else open(path, "rb")
        self._f = gzip.GzipFile(fileobj=self._raw) if gz else self._raw
        self._gz = gz
        self._pos = 0  # position in the (decompressed) archive
        self._spans = sorted(spans)
        self._i = 0
        self._tail = b"\0" * 1024

    def readable(self) -> bool:
        return True

    def _skip_to(self, offset: int) -> None:
        if not self._gz:
            self._f.seek(offset)
        else:
            while self._pos < offset:
                got = self._f.read(min(_CHUNK, offset - self._pos))
                if not got:
                    raise EOFError("archive ended early")
                self._pos += len(got)
        self._pos = offset

    def readinto(self, buf) -> int:
        while self._i < len(self._spans):
            start, end = self._spans[self._i]
            if self._pos < start:
                self._skip_to(start)
            if self._pos >= end:
                self._i += 1
                continue
            want = min(len(buf), end - self._pos)
            data = self._f.read(want)
            if not data:  # truncated: let the reader see the damage
                self._i = len(self._spans)
                break
            n = len(data)
            buf[:n] = data
            self._pos += n
            return n
        if self._tail:
            n = min(len(buf), len(self._tail))
            buf[:n] = self._tail[:n]
            self._tail = self._tail[n:]
            return n
        return 0

    def close(self) -> None:
        if not self.closed:
            if self._gz:
                self._f.close()
            self._raw.close()
        super().close()

    @property
    def stored_size(self) -> int:
        return sum(e - s for s, e in self._spans) + 1024
