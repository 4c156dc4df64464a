"""Writing logs: a deterministic gzip writer (mtime 0) that can start new gzip members, plain
and gzipped logs, and members split into several gzip streams as logrotate and pigz leave them."""

from __future__ import annotations

import os
import struct
import zlib


class GzipWriter:
    """Deterministic gzip writer (mtime 0, no file name, OS=Unix) that can start new members."""

    HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"

    def __init__(self, fileobj, level=6):
        self.f, self.level = fileobj, level
        self._open()

    pos = 0

    def tell(self):
        return self.pos

    def _open(self):
        self.f.write(self.HEADER)
        self.z = zlib.compressobj(self.level, zlib.DEFLATED, -15, 9)
        self.crc = 0
        self.size = 0

    def write(self, data):
        if data:
            self.crc = zlib.crc32(data, self.crc)
            self.size += len(data)
            self.pos += len(data)
            self.f.write(self.z.compress(data))

    def end_member(self):
        self.f.write(self.z.flush())
        self.f.write(struct.pack("<II", self.crc & 0xFFFFFFFF, self.size & 0xFFFFFFFF))

    def new_member(self):
        self.end_member()
        self._open()

    def close(self):
        self.end_member()


def write_log(path_or_fileobj, lines, *, compress=None, level=6):
    """Write lines (bytes or str, newline added to each) to a path or binary file object.

    Gzip (deterministic, mtime 0) when `compress` is true, or when it is None and the path ends
    with ".gz". Returns the number of uncompressed bytes written."""
    if isinstance(path_or_fileobj, (str, os.PathLike)):
        if compress is None:
            compress = os.fspath(path_or_fileobj).endswith(".gz")
        with open(path_or_fileobj, "wb") as f:
            return write_log(f, lines, compress=compress, level=level)
    f = path_or_fileobj
    gz = GzipWriter(f, level) if compress else None
    out = gz.write if gz else f.write
    total = 0
    buf = []
    blen = 0
    for line in lines:
        if isinstance(line, str):
            line = line.encode("utf-8")
        buf.append(line)
        blen += len(line) + 1
        if blen >= 1 << 20:
            data = b"\n".join(buf) + b"\n"
            out(data)
            total += len(data)
            buf, blen = [], 0
    if buf:
        data = b"\n".join(buf) + b"\n"
        out(data)
        total += len(data)
    if gz:
        gz.close()
    return total


def write_member(f, lines, n, plain, level, rng, split_rate):
    """Write a member's n lines (an iterable of bytes) to f, gzip-compressed unless plain;
    some gzip members are split into 2-3 concatenated gzip members, at a line boundary or in the
    middle of a line. -> uncompressed bytes written."""
    if plain:
        return write_log(f, lines, compress=False)
    gz = GzipWriter(f, level)
    cuts = {}
    if n and rng.random() < split_rate:
        for _ in range(rng.randint(1, 2)):
            cuts[rng.randrange(n)] = rng.random() < 0.5      # True: split inside the line
    total = 0
    buf, blen = [], 0
    for i, line in enumerate(lines):
        if i in cuts:
            if buf:
                gz.write(b"".join(buf))
                buf, blen = [], 0
            if cuts[i] and len(line) > 1:
                k = rng.randint(1, len(line) - 1)
                gz.write(line[:k])
                gz.new_member()
                gz.write(line[k:] + b"\n")
            else:
                if i:
                    gz.new_member()
                gz.write(line + b"\n")
            total += len(line) + 1
            continue
        buf.append(line + b"\n")
        blen += len(line) + 1
        total += len(line) + 1
        if blen >= 1 << 20:
            gz.write(b"".join(buf))
            buf, blen = [], 0
    if buf:
        gz.write(b"".join(buf))
    gz.close()
    return total
