"""A real S3-compatible server on loopback for the tests and benches: moto's standalone server in
its own process, and a TCP proxy in front of it that can cut connections mid-response.

Nothing here is mocked in-process: edxlog talks HTTP to a real server through s3fs/aiohttp.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

import pytest

BUCKET = "edx-course-data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_server(timeout: float = 30.0) -> Iterator[str]:
    """Starts ``python -m moto.server`` on a free loopback port; yields its endpoint URL and
    stops it on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto.server exited with {proc.returncode} before listening")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto.server did not start listening in time") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def storage_options(endpoint: str) -> dict:
    """What a user passes for a private S3-compatible endpoint (moto accepts any key)."""
    return {"endpoint_url": endpoint, "key": "testing", "secret": "testing"}


# ---- pytest fixtures (imported by tests/conftest.py): one server for the whole session ----


@pytest.fixture(scope="session")
def s3_endpoint():
    """The loopback S3 server's URL (started on first use, stopped at the end)."""
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def s3_opts(s3_endpoint):
    """storage_options for the loopback server."""
    return storage_options(s3_endpoint)


@pytest.fixture(scope="session")
def s3(s3_endpoint):
    """An s3fs filesystem on the loopback server, with the bucket BUCKET created."""
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True, **storage_options(s3_endpoint))
    fs.mkdir(BUCKET)
    return fs


class CuttingProxy:
    """A loopback TCP proxy to ``target`` (``http://host:port``) that damages responses.

    - ``cut_after=N, cuts=K``: the first K connections whose responses reach N bytes are closed
      right after byte N (then connections pass untouched).
    - ``strip_length=True``: each response loses its ``Content-Length`` and gets
      ``Connection: close``, so a cut is indistinguishable from the end of the body to the
      client (an HTTP/1.0-style server or a broken middlebox). One response per connection.
    - ``budget=B``: after B response bytes in total, every new connection is closed at once
      (the server went away for good).
    """

    def __init__(
        self,
        target: str,
        *,
        cut_after: Optional[int] = None,
        cuts: int = 0,
        strip_length: bool = False,
        budget: Optional[int] = None,
    ):
        host, port = target.rsplit("//", 1)[1].split(":")
        self.target = (host, int(port))
        self.cut_after = cut_after
        self.cuts_left = cuts
        self.strip_length = strip_length
        self.budget = budget
        self.sent = 0  # response bytes forwarded, all connections
        self.cuts_done = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "CuttingProxy":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                gone = self.budget is not None and self.sent >= self.budget
                if gone:
                    self.refused += 1
            if gone:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._respond, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _respond(self, upstream: socket.socket, client: socket.socket) -> None:
        """Forwards the server's bytes to the client, damaging them as configured."""
        sent_here = 0
        pending = b""
        body_left: Optional[int] = None  # strip_length: body bytes of this response still due
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    return
                if self.strip_length and body_left is None:
                    pending += data
                    if b"\r\n\r\n" not in pending:
                        continue
                    head, rest = pending.split(b"\r\n\r\n", 1)
                    lines = head.split(b"\r\n")
                    length = 0
                    kept = [lines[0]]
                    for l in lines[1:]:
                        name = l.split(b":", 1)[0].strip().lower()
                        if name == b"content-length":
                            length = int(l.split(b":", 1)[1])
                        elif name != b"connection":
                            kept.append(l)
                    kept.append(b"Connection: close")
                    data = b"\r\n".join(kept) + b"\r\n\r\n" + rest
                    body_left = length - len(rest)
                elif body_left is not None:
                    body_left -= len(data)
                with self._lock:
                    cut = (
                        self.cut_after is not None
                        and self.cuts_left > 0
                        and sent_here + len(data) > self.cut_after
                    )
                    if cut:
                        data = data[: self.cut_after - sent_here]
                        self.cuts_left -= 1
                        self.cuts_done += 1
                    if self.budget is not None:
                        data = data[: max(0, self.budget - self.sent)]
                        cut = cut or self.sent + len(data) >= self.budget
                    self.sent += len(data)
                client.sendall(data)
                sent_here += len(data)
                if cut or (body_left is not None and body_left <= 0):
                    return  # close: with strip_length the close is the end of the body
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
