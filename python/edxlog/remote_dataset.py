"""A Parquet dataset (:mod:`edxlog.dataset`) whose root is a URL (``s3://bucket/events/``).

S3 has neither renames nor locks, so the local commit protocol is carried over with the closest
operations S3 has:

- **Lock**: ``_edxlog.lock`` is created with a conditional PUT (``If-None-Match: *``), which
  succeeds for exactly one writer; a second run fails at once. A run that dies leaves the lock
  behind (S3 has no process to notice): the error says which run holds it and to delete the
  object when no run is active.
- **Staging**: a run converts into a local directory holding the remote manifest (and, for
  ``--replace-changed``, the data files it rewrites, fetched on demand), with the local code.
- **Publish** (the local protocol, with copies for renames):
  1. the run's new files are uploaded under ``_tmp/<run>/`` (names starting with ``_`` are
     skipped by pyarrow, DuckDB, Spark and Hive; each object appears whole or not at all);
  2. the manifest is written with those copies and the retired files as ``pending`` — one PUT,
     atomic and strongly consistent on S3: **this is the commit**;
  3. each file is copied server-side to its final key and its ``_tmp`` copy deleted; retired
     files are deleted;
  4. the manifest is written again without ``pending``.

  A run killed before step 2 leaves only ``_tmp/`` objects, which the next run deletes; the
  dataset is as before. A run killed after step 2 is rolled forward by the next run (step 3 is
  idempotent). A data file is visible under its final name only once complete; during step 3
  a reader that lists the prefix (rather than reading the manifest) can see part of the run's
  files — as with the local renames, which are atomic one by one, not as a set.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Mapping, Optional

from edxlog import dataset as dsm
from edxlog import remote


class StagedDataset:
    """The remote side of a dataset run: lock, recovery, staging and publishing."""

    def __init__(self, url: str, storage_options: Optional[Mapping[str, Any]], staging: Path):
        self.url = url.rstrip("/")
        self.fs, root = remote.filesystem(self.url, storage_options)
        self.root = root.rstrip("/")
        self.local = staging
        self.remote_manifest: dict = {}
        self._locked = False

    def key(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    # -- run lifetime ----------------------------------------------------------------------

    def open(self) -> None:
        """Takes the lock, rolls an interrupted publish forward, stages the manifest."""
        self._lock()
        try:
            self._load()
            self._recover()
            if self.remote_manifest:
                self.local.mkdir(parents=True, exist_ok=True)
                (self.local / dsm.MANIFEST).write_text(json.dumps(self.remote_manifest))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._locked:
            self._locked = False
            try:
                self.fs.rm_file(self.key(dsm.LOCK))
            except FileNotFoundError:
                pass

    def fetch(self, rel: str) -> None:
        """Downloads one file of the dataset into the staging directory (if it exists)."""
        dest = self.local / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.fs.get_file(self.key(rel), str(dest))
        except FileNotFoundError:
            pass

    def publish(self) -> None:
        """Makes the staged run's result the remote dataset's (steps 1-4 of the module doc)."""
        path = self.local / dsm.MANIFEST
        if not path.exists():
            return
        manifest = json.loads(path.read_text())
        if manifest.get("pending"):  # the local commit did not finish: nothing to publish
            return
        if manifest == self.remote_manifest:
            return
        before, after = _entries(self.remote_manifest), _entries(manifest)
        new = sorted(after - before)
        gone = sorted(before - after)
        runs = manifest.get("runs") or [{}]
        tmp = f"{dsm.TMP}/{runs[-1].get('id') or dsm.new_run_id()}"
        for rel in new:
            self.fs.put_file(str(self.local / rel), self.key(f"{tmp}/{rel}"))
        pending = {"renames": [[f"{tmp}/{rel}", rel] for rel in new], "deletes": gone}
        self._save({**manifest, "pending": pending})
        self._apply(pending)
        self._save({**manifest, "pending": None})
        self.remote_manifest = manifest

    # -- internals -------------------------------------------------------------------------

    def _lock(self) -> None:
        note = json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                           "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
        try:
            self.fs.pipe_file(self.key(dsm.LOCK), note, mode="create")
        except FileExistsError:
            try:
                holder = self.fs.cat_file(self.key(dsm.LOCK)).decode(errors="replace")
            except OSError:
                holder = "?"
            raise dsm.DatasetError(
                f"{self.url}: another edxlog convert is writing to this dataset (lock {holder}); "
                f"if no run is active, delete {self.url}/{dsm.LOCK}"
            ) from None
        self._locked = True

    def _load(self) -> None:
        try:
            data = self.fs.cat_file(self.key(dsm.MANIFEST))
        except FileNotFoundError:
            others = [
                p for p in self.fs.find(self.root)
                if not p[len(self.root) + 1:].startswith((dsm.LOCK, dsm.TMP + "/"))
            ] if self.fs.exists(self.root) else []
            if others:
                raise dsm.DatasetError(
                    f"{self.url}: not empty and not an edxlog dataset (no {dsm.MANIFEST})"
                ) from None
            self.remote_manifest = {}
            return
        try:
            m = json.loads(data)
        except ValueError as e:
            raise dsm.DatasetError(f"{self.url}/{dsm.MANIFEST}: unreadable manifest: {e}") from None
        if m.get("format") != dsm.FORMAT:
            raise dsm.DatasetError(f"{self.url}/{dsm.MANIFEST}: not an edxlog dataset manifest")
        if m.get("version", 0) > dsm.FORMAT_VERSION:
            raise dsm.DatasetError(f"{self.url}/{dsm.MANIFEST}: made by a newer edxlog")
        self.remote_manifest = m

    def _recover(self) -> None:
        m = self.remote_manifest
        if m.get("pending"):
            self._apply(m["pending"])
            m["pending"] = None
            self._save(m)
        if self.fs.exists(self.key(dsm.TMP)):
            self.fs.rm(self.key(dsm.TMP), recursive=True)

    def _apply(self, pending: dict) -> None:
        for tmp, final in pending["renames"]:
            if self.fs.exists(self.key(tmp)):
                self.fs.copy(self.key(tmp), self.key(final))
                self.fs.rm_file(self.key(tmp))
        for rel in pending["deletes"]:
            try:
                self.fs.rm_file(self.key(rel))
            except FileNotFoundError:
                pass

    def _save(self, manifest: dict) -> None:
        # One PUT: the object is replaced whole, atomically (S3 is strongly consistent).
        self.fs.pipe_file(self.key(dsm.MANIFEST), json.dumps(manifest, indent=1, sort_keys=True).encode())


def _entries(manifest: dict) -> set:
    return set(manifest.get("files", {})) | set(manifest.get("rejects", {}))
