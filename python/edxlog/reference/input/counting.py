"""A binary reader with an exact ``peek`` and a count of the bytes pulled through it.

Every stream of contract §1 goes through one: the outer input (its count is ``bytes_in``) and
each decompressed member (``bytes_out``). Mirrors the `Counters` kept by src/input/archive.rs
and the peeking of src/input/decompress.rs.
"""

from __future__ import annotations

# How much is read from a stream at a time.
READ_CHUNK = 1 << 20


class CountingStream:
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
            # Raised once: reading may go on after it (a later gzip member, gz.py).
            deferred, self._deferred = self._deferred, None
            raise deferred
        if n is None or n < 0:
            parts = []
            while True:
                data = self._pull(READ_CHUNK)
                if not data:
                    return b"".join(parts)
                parts.append(data)
        return self._pull(n)

    def drain(self):
        """Read to the end, so that ``count`` is the size of the whole stream."""
        self._buffer = b""
        if self._deferred is None:
            while self._pull(READ_CHUNK):
                pass

    def close(self):
        pass
