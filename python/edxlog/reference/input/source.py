"""Contract §1: what the caller passed -> an ordered list of inputs (src/input/source.rs).

Paths are checked here, when the reader is opened, so a missing file is an error at once.
"""

from __future__ import annotations

import contextlib
import os
import sys


class Input:
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


def resolve_inputs(source) -> list:
    """``source`` (a path, a list of them, "-" or a file object) as a list of ``Input``."""
    items = list(source) if isinstance(source, (list, tuple)) else [source]
    inputs = []
    for item in items:
        if isinstance(item, str) and item == "-":
            inputs.append(Input("<stdin>", fileobj=sys.stdin.buffer))
        elif isinstance(item, (str, bytes, os.PathLike)):
            inputs.extend(_path_inputs(item))
        elif hasattr(item, "read"):
            inputs.append(Input(_file_object_name(item), fileobj=item))
        else:
            raise TypeError(
                "source must be a path, a list of paths, '-' or a binary file object, "
                f"not {type(item).__name__}"
            )
    return inputs


def clean_text(name: str) -> str:
    """A name from the file system or a tar header as valid UTF-8 (undecodable bytes -> U+FFFD)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _file_object_name(obj) -> str:
    name = getattr(obj, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return clean_text(name) if isinstance(name, str) else "<stream>"


def _path_inputs(path) -> list:
    path = os.fsdecode(os.fspath(path))
    if os.path.isdir(path):
        return _directory_inputs(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, f"No such file or directory: {path}", path)
    return [Input(clean_text(path), path=path)]


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
        server = clean_text(parts[0]) if len(parts) >= 2 else None
        inputs.append(
            Input(clean_text(os.path.join(root, rel)), path=full,
                  dir_server=server, from_directory=True)
        )
    return inputs
