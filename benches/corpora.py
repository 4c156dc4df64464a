"""The benchmark corpora, made from ``edxlog.synth`` once and cached in ``benches/.corpora/``
(gitignored), keyed by profile, parameters and a hash of the generator's sources.

One corpus is a synthetic export in several forms holding the same decompressed lines:

- ``gzm``: the tar of gzipped daily members the generator writes;
- ``plain``: the same tar with the members decompressed (derived from ``gzm``, not generated
  again);
- ``members()`` / ``members(gz=True)``: the members extracted to ``.log`` / ``.log.gz`` files,
  for DuckDB;
- ``slice(k)``: the first k lines of every member (a tar of plain members), for the slow
  pure-Python reference;
- ``many_members(n_members, lines_each, gz)``: the corpus's first lines repacked as a tar of
  many small members (or of 10 big ones), for the per-member cost;
- ``big(min_bytes)``: the gzipped members copied under new server names until the export holds
  at least `min_bytes` of JSON, for peak memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".corpora"


def synth_hash() -> str:
    from edxlog import synth

    h = hashlib.sha1()
    root = Path(synth.__file__).parent
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def _tar_add(tar, name, data, mtime=0):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mtime, ti.mode = len(data), mtime, 0o644
    tar.addfile(ti, io.BytesIO(data))


class Corpus:
    def __init__(self, profile: str, servers: int, days: int, lines: int, seed: int):
        self.profile, self.servers, self.days, self.lines, self.seed = profile, servers, days, lines, seed
        self.key = "synth-%s-s%d-d%d-l%d-seed%d-%s" % (profile, servers, days, lines, seed, synth_hash())
        self.dir = CACHE / self.key
        self.meta_path = self.dir / "meta.json"

    @property
    def meta(self) -> dict:
        return json.loads(self.meta_path.read_text())

    @property
    def nbytes(self) -> int:
        return self.meta["bytes_raw"]

    @property
    def nlines(self) -> int:
        return self.meta["lines"]

    def path(self, kind: str) -> Path:
        return self.dir / {"gzm": "gz-members.tar", "plain": "plain-members.tar"}[kind]

    def ensure(self, log=print) -> "Corpus":
        if self.meta_path.exists():
            return self
        from edxlog import synth

        self.dir.mkdir(parents=True, exist_ok=True)
        log("  generating %s (cached afterwards) ..." % self.key)
        t0 = time.perf_counter()
        tmp = str(self.path("gzm")) + ".part"
        st = synth.generate(tmp, servers=self.servers, days=self.days, lines=self.lines, seed=self.seed,
                            profile=self.profile)
        os.replace(tmp, self.path("gzm"))
        with tarfile.open(self.path("gzm")) as src, open(str(self.path("plain")) + ".part", "wb") as f, \
                tarfile.open(fileobj=f, mode="w", format=tarfile.GNU_FORMAT) as dst:
            for m in src:
                if m.isfile():
                    data = gzip.decompress(src.extractfile(m).read())
                    _tar_add(dst, m.name[:-3] if m.name.endswith(".gz") else m.name, data, m.mtime)
        os.replace(str(self.path("plain")) + ".part", self.path("plain"))
        meta = {k: st[k] for k in ("members", "lines", "bytes_raw")}
        meta["manifest"] = st["manifest"]
        self.meta_path.write_text(json.dumps(meta, indent=1))
        log("  ... done in %.0f s" % (time.perf_counter() - t0))
        return self

    def members(self, gz: bool = False) -> list:
        """The members extracted to .log (or .log.gz) files; sorted paths."""
        out = self.dir / ("members-gz" if gz else "members")
        done = out / ".done"
        if not done.exists():
            self.ensure()
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            with tarfile.open(self.path("gzm" if gz else "plain")) as tar:
                for m in tar:
                    if m.isfile():
                        name = m.name.replace("/", "__")
                        name = name[:-3] if name.endswith(".gz") else name
                        dest = out / (name + (".log.gz" if gz else ".log"))
                        with tar.extractfile(m) as src, open(dest, "wb") as f:
                            shutil.copyfileobj(src, f, 1 << 20)
            done.write_text("ok")
        return sorted(str(p) for p in out.iterdir() if p.name != ".done")

    def _first_lines(self, per_member=None, total=None) -> list:
        """[(member name, bytes)] of the first lines of each member (per_member), or the first
        `total` lines of the corpus in member order."""
        out = []
        left = total
        with tarfile.open(self.path("plain")) as tar:
            for m in tar:
                if not m.isfile():
                    continue
                with tar.extractfile(m) as f:
                    k = per_member if per_member is not None else left
                    lines = [f.readline() for _ in range(k)]
                lines = [ln for ln in lines if ln]
                out.append((m.name, b"".join(lines)))
                if total is not None:
                    left -= len(lines)
                    if left <= 0:
                        break
        return out

    def slice(self, k: int) -> dict:
        """A tar of plain members holding the first k lines of each member.
        -> {"path", "bytes_raw", "lines"}."""
        d = self.dir / ("slice-%d" % k)
        meta_path = d / "meta.json"
        if not meta_path.exists():
            d.mkdir(parents=True, exist_ok=True)
            members = self._first_lines(per_member=k)
            with tarfile.open(d / "plain-members.tar", "w", format=tarfile.GNU_FORMAT) as tar:
                for name, data in members:
                    _tar_add(tar, name, data)
            meta_path.write_text(json.dumps({"path": str(d / "plain-members.tar"),
                                             "bytes_raw": sum(len(x) for _, x in members),
                                             "lines": sum(x.count(b"\n") for _, x in members)}))
        return json.loads(meta_path.read_text())

    def many_members(self, n_members: int, lines_each: int, gz: bool) -> dict:
        """The corpus's first n_members * lines_each lines as a tar of n_members members
        (gzipped each when gz). -> {"path", "bytes_raw", "lines", "members"}."""
        d = self.dir / ("many-%dx%d-%s" % (n_members, lines_each, "gz" if gz else "plain"))
        meta_path = d / "meta.json"
        if not meta_path.exists():
            d.mkdir(parents=True, exist_ok=True)
            total = n_members * lines_each
            lines = b"".join(data for _, data in self._first_lines(total=total)).splitlines(keepends=True)
            if len(lines) < total:
                raise ValueError("corpus %s holds %d lines, fewer than %d" % (self.key, len(lines), total))
            path = d / "export.tar"
            with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
                for i in range(n_members):
                    data = b"".join(lines[i * lines_each:(i + 1) * lines_each])
                    name = "prod-edxapp-%03d/tracking.log-%05d" % (i % 7 + 1, i)
                    if gz:
                        name, data = name + ".gz", gzip.compress(data, 6, mtime=0)
                    _tar_add(tar, name, data)
            meta_path.write_text(json.dumps({"path": str(path), "lines": total, "members": n_members,
                                             "bytes_raw": sum(len(x) for x in lines[:total])}))
        return json.loads(meta_path.read_text())

    def big(self, min_bytes: int, huge_members: bool = False) -> dict:
        """The gzipped members copied under new server names until the tar holds at least
        min_bytes of JSON; with huge_members, the copies of each server are concatenated into one
        multi-member gzip stream per server instead (two members of hundreds of MB, as a busy
        server's day or a year's concatenated logs).
        -> {"path", "bytes_raw", "lines", "members"}."""
        if huge_members:
            return self._huge(min_bytes)
        d = self.dir / ("big-%d" % min_bytes)
        meta_path = d / "meta.json"
        if not meta_path.exists():
            d.mkdir(parents=True, exist_ok=True)
            copies = -(-min_bytes // self.nbytes)
            path = d / "export.tar"
            with tarfile.open(self.path("gzm")) as src:
                members = [(m.name, src.extractfile(m).read()) for m in src if m.isfile()]
            with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
                for c in range(copies):
                    for name, data in members:
                        _tar_add(tar, "copy%02d-%s" % (c, name), data)
            meta_path.write_text(json.dumps({"path": str(path), "bytes_raw": copies * self.nbytes,
                                             "lines": copies * self.nlines,
                                             "members": copies * len(members)}))
        return json.loads(meta_path.read_text())

    def _huge(self, min_bytes: int) -> dict:
        d = self.dir / ("huge-%d" % min_bytes)
        meta_path = d / "meta.json"
        if not meta_path.exists():
            d.mkdir(parents=True, exist_ok=True)
            copies = -(-min_bytes // self.nbytes)
            by_server = {}
            with tarfile.open(self.path("gzm")) as src:
                for m in src:
                    if m.isfile():
                        by_server.setdefault(m.name.split("/")[0], []).append(src.extractfile(m).read())
            path = d / "export.tar"
            with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
                for server, members in by_server.items():
                    _tar_add(tar, "%s/tracking.log.gz" % server, b"".join(members) * copies)
            meta_path.write_text(json.dumps({"path": str(path), "bytes_raw": copies * self.nbytes,
                                             "lines": copies * self.nlines, "members": len(by_server)}))
        return json.loads(meta_path.read_text())
