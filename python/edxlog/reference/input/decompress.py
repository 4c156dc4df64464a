"""Contract §1: compression and containers recognised by magic bytes, never by file name;
and members that are not text lines at all (src/input/decompress.rs).
"""

from __future__ import annotations

from .counting import CountingStream
from .gz import GzMembers

GZIP_MAGIC = b"\x1f\x8b"
# Bytes looked at to tell a tar archive (its first header) and a binary member.
TAR_HEAD_BYTES = 262
SNIFF_BYTES = 4096


def decompressed(stream: CountingStream) -> CountingStream:
    """The stream itself, or its gzip decompression when it starts with 1f 8b (any name):
    every concatenated (multi-member, pigz) member, resuming after a damaged one (gz.py).
    """
    if stream.peek(2) == GZIP_MAGIC:
        return CountingStream(GzMembers(stream))
    return stream


def is_tar(head: bytes) -> bool:
    """Whether ``head`` (the first TAR_HEAD_BYTES) is a ustar header."""
    return head[257:262] == b"ustar"


# A member that is not text lines (issue: "a PNG ... is not silently read as garbage rows"):
# with on_error="skip" its lines simply become rejects; with "raise" it is an ArchiveError.
# Choice (not in docs/contract.md; the same rule as the Rust core's `binary_kind`): the first
# 4096 decompressed bytes start with a known binary magic, or they hold a NUL byte or invalid
# UTF-8 (a character cut by the end of those bytes does not count) and no '{' at all.
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


def binary_kind(head: bytes):
    """What ``head`` (the first SNIFF_BYTES of a member) looks like if it is not a log, or None."""
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
