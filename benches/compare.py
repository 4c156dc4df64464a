#!/usr/bin/env python3
"""Side-by-side throughput comparison of edxlog with the tools researchers use today.

    python benches/compare.py [--size small|default|large] [--reps N] [--markdown OUT.md]

Everything is measured in ONE process run, interleaved: repetition r runs every job once (in an
order rotated by r) before repetition r+1 starts, so slow phases of a shared machine hit all jobs
alike. Each figure is the BEST (shortest) of the N repetitions; the median is printed beside it.
Only ratios measured in the same run are meaningful; absolute MB/s move with the machine's load.

MB/s are decompressed JSON bytes per second (the bytes of the log members, i.e. what edxlog
reports as ``reader.stats["bytes_out"]``), for every tool and every input kind alike.

Corpora come from ``edxlog.synth`` and are cached in ``benches/.corpora/`` (gitignored), keyed
by the generator's parameters and a hash of synth.py. Three inputs hold the same decompressed
lines: a tar of plain members, a tar of gzipped members (some multi-member, as the generator
makes them), and a .tar.gz. The members are extracted once to plain ``.log`` files (and ``.gz``
files) for DuckDB, pyarrow and polars. The pure-Python reference reads a *slice*: the first K
lines of every member of the same corpus (the size of the slice is printed).

Jobs that need APIs not in the installed core (``read(event_types=...)``,
``edxlog._core.inflate_only``) are reported as pending instead of failing the run.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import gc
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".corpora"
SEED = 2024

# servers x days members of `lines` physical lines (about 1.05 KB each); `one_x` is the 1x of
# the 1x/4x pair (the main corpus is the 4x); `slice_lines` per member for the reference.
SIZES = {
    "small": dict(servers=2, days=4, lines=2500, slice_lines=250, reps=3, rss_corpus=None),
    "default": dict(servers=2, days=4, lines=36000, slice_lines=500, reps=3, rss_corpus=None),
    # --size large adds a >= 1 GB (decompressed) corpus of two huge gzipped members per server
    # for the peak-RSS measurement.
    "large": dict(servers=2, days=4, lines=36000, slice_lines=500, reps=3,
                  rss_corpus=dict(servers=2, days=2, lines=260000)),
}

KINDS = {  # kind -> (file name, description)
    "plain": ("plain-members.tar", "tar of plain members"),
    "gzm": ("gz-members.tar", "tar of gzipped members"),
    "tgz": ("export.tar.gz", ".tar.gz"),
}

PROJ_COLUMNS = ["time", "username", "video_time"]
PROJ_EVENT_TYPES = ["play_video", "pause_video"]

TARGETS_NOTE = "targets from issue 3; met? is computed from this run's measurements"


# ---------------------------------------------------------------------------------------------
# Corpora
# ---------------------------------------------------------------------------------------------
def _synth_hash() -> str:
    from edxlog import synth

    return hashlib.sha1(Path(synth.__file__).read_bytes()).hexdigest()[:10]


def _gen_worker(path: str, servers: int, days: int, lines: int, seed: int, plain: bool) -> dict:
    from edxlog import synth

    tmp = path + ".part"
    stats = synth.generate(tmp, servers=servers, days=days, lines=lines, seed=seed,
                           plain_members=plain)
    os.replace(tmp, path)
    return {"members": stats["members"], "lines": stats["lines"], "bytes_raw": stats["bytes_raw"]}


class Corpus:
    """One synth corpus in up to three container forms, plus its extracted members."""

    def __init__(self, servers: int, days: int, lines: int, seed: int = SEED):
        self.servers, self.days, self.lines, self.seed = servers, days, lines, seed
        self.key = "synth-s%d-d%d-l%d-seed%d-%s" % (servers, days, lines, seed, _synth_hash())
        self.dir = CACHE / self.key
        self.meta_path = self.dir / "meta.json"

    def path(self, kind: str) -> Path:
        return self.dir / KINDS[kind][0]

    @property
    def meta(self) -> dict:
        return json.loads(self.meta_path.read_text()) if self.meta_path.exists() else {}

    @property
    def nbytes(self) -> int:
        return self.meta["bytes_raw"]

    @property
    def nlines(self) -> int:
        return self.meta["lines"]

    def ensure(self, kinds, log=print) -> "Corpus":
        self.dir.mkdir(parents=True, exist_ok=True)
        todo = [k for k in kinds if not self.path(k).exists()]
        if todo:
            log("  generating %s: %s (cached afterwards) ..." % (self.key, ", ".join(todo)))
            t0 = time.perf_counter()
            with cf.ProcessPoolExecutor(max_workers=min(2, len(todo))) as ex:
                futs = {k: ex.submit(_gen_worker, str(self.path(k)), self.servers, self.days,
                                     self.lines, self.seed, k == "plain") for k in todo}
                results = {k: f.result() for k, f in futs.items()}
            meta = self.meta
            for k, st in results.items():
                if meta and st != {x: meta[x] for x in st}:
                    raise RuntimeError("synth gave different sizes for %s: %r vs %r" % (k, st, meta))
                meta.update(st)
            self.meta_path.write_text(json.dumps(meta, indent=1))
            log("  ... done in %.0f s" % (time.perf_counter() - t0))
        return self

    def members(self, gz: bool = False) -> list:
        """The members extracted once to plain .log (or .log.gz) files; sorted paths."""
        kind = "gzm" if gz else "plain"
        out = self.dir / ("members-gz" if gz else "members")
        done = out / ".done"
        if not done.exists():
            self.ensure([kind])
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            with tarfile.open(self.path(kind)) as tar:
                for m in tar:
                    if m.isfile():
                        name = m.name.replace("/", "__")
                        if gz:
                            name = name[:-3] if name.endswith(".gz") else name
                        dest = out / (name + (".log.gz" if gz else ".log"))
                        with tar.extractfile(m) as src, open(dest, "wb") as f:
                            shutil.copyfileobj(src, f, 1 << 20)
            done.write_text("ok")
        return sorted(str(p) for p in out.iterdir() if p.name != ".done")

    def slice(self, k: int) -> "Slice":
        return Slice(self, k)


class Slice:
    """The first k lines of every member of a corpus, in the same three container forms."""

    def __init__(self, corpus: Corpus, k: int):
        self.corpus, self.k = corpus, k
        self.dir = corpus.dir / ("slice-%d" % k)
        self.meta_path = self.dir / "meta.json"

    def path(self, kind: str) -> Path:
        return self.dir / KINDS[kind][0]

    @property
    def meta(self) -> dict:
        return json.loads(self.meta_path.read_text())

    @property
    def nbytes(self) -> int:
        return self.meta["bytes_raw"]

    def ensure(self) -> "Slice":
        if self.meta_path.exists():
            return self
        self.corpus.ensure(["plain"])
        self.dir.mkdir(parents=True, exist_ok=True)
        members = []
        with tarfile.open(self.corpus.path("plain")) as tar:
            for m in tar:
                if m.isfile():
                    with tar.extractfile(m) as f:
                        data = b"".join(f.readline() for _ in range(self.k))
                    members.append((m.name, data))

        def write_tar(fileobj, gz_members):
            with tarfile.open(fileobj=fileobj, mode="w", format=tarfile.GNU_FORMAT) as tar:
                for name, data in members:
                    if gz_members:
                        name, data = name + ".gz", gzip.compress(data, 6, mtime=0)
                    ti = tarfile.TarInfo(name)
                    ti.size, ti.mtime, ti.mode = len(data), 0, 0o644
                    tar.addfile(ti, io.BytesIO(data))

        with open(self.path("plain"), "wb") as f:
            write_tar(f, False)
        with open(self.path("gzm"), "wb") as f:
            write_tar(f, True)
        with open(self.path("tgz"), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            write_tar(f, False)
        self.meta_path.write_text(json.dumps({
            "members": len(members), "lines": sum(d.count(b"\n") for _, d in members),
            "bytes_raw": sum(len(d) for _, d in members)}))
        return self


# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------
class Pending(Exception):
    """The installed core lacks an API this job needs."""


class Job:
    def __init__(self, key, fn, nbytes, *, repeat=True):
        self.key, self.fn, self.nbytes, self.repeat = key, fn, nbytes, repeat
        self.times: list = []
        self.rows = None
        self.error = None     # "Type: first line"
        self.pending = None   # message
        self.note = None      # what the tool's rows are, when they differ in kind from edxlog's

    def run(self):
        if self.error or self.pending or (self.times and not self.repeat):
            return
        gc.collect()
        t0 = time.perf_counter()
        try:
            rows = self.fn()
        except Pending as e:
            self.pending = str(e)
            return
        except Exception as e:  # noqa: BLE001 - competitors' failures are results
            first = (str(e).strip().splitlines() or [""])[0]
            self.error = "%s: %s" % (type(e).__name__, first[:160])
            return
        finally:
            gc.collect()
        self.times.append(time.perf_counter() - t0)
        if isinstance(rows, tuple):      # (rows, a note about them)
            rows, self.note = rows
        self.rows = rows

    @property
    def ok(self):
        return bool(self.times) and not self.error and not self.pending

    @property
    def best(self):
        return min(self.times)

    @property
    def median(self):
        return statistics.median(self.times)

    def mbps(self, which="best"):
        return self.nbytes / 1e6 / (self.best if which == "best" else self.median)

    def rows_per_s(self):
        return self.rows / self.best if self.rows is not None else None

    def status(self):
        if self.pending:
            return "pending API (see below)"
        if self.error:
            return "FAILED " + self.error
        return "ok"


def edxlog_table(src, **kw):
    import edxlog

    try:
        reader = edxlog.read(src, **kw)
    except TypeError as e:
        if "event_types" in kw:
            raise Pending("edxlog.read(event_types=...) is not in this core (TypeError: %s)" % e) from None
        raise
    with reader:
        table = reader.read_all()
        stats = reader.stats
    return table, stats


def job_edxlog(src, **kw):
    def run():
        table, _ = edxlog_table(src, **kw)
        return table.num_rows
    return run


def job_inflate_only(src, threads=None):
    def run():
        from edxlog import _core

        fn = getattr(_core, "inflate_only", None)
        if fn is None:
            raise Pending("edxlog._core.inflate_only is not in this core")
        return fn(str(src), threads=threads)   # decompressed bytes (kept as the job's "rows")
    return run


def job_reference(src, loads_name):
    def run():
        from edxlog import reference

        kw = {}
        if loads_name == "orjson":
            import orjson
            kw["json_loads"] = orjson.loads
        return reference.read_table(str(src), **kw).num_rows
    return run


DUCKDB_SQL = r"""
CREATE OR REPLACE TABLE bench AS
WITH raw AS (
  SELECT * FROM read_json($files, format = 'newline_delimited', ignore_errors = true,
    maximum_object_size = 67108864,
    columns = {'username': 'VARCHAR', 'session': 'VARCHAR', 'time': 'VARCHAR', 'ip': 'VARCHAR',
               'agent': 'VARCHAR', 'page': 'VARCHAR', 'host': 'VARCHAR',
               'event_source': 'VARCHAR', 'event_type': 'VARCHAR', 'name': 'VARCHAR',
               'context': 'JSON', 'event': 'JSON'})
), p AS (
  SELECT *,
    -- the payload: the object itself, or the JSON a string event encodes (NULL if it does not)
    CASE WHEN json_type(event) = 'VARCHAR' THEN TRY_CAST(event ->> '$' AS JSON) ELSE event END AS payload,
    (event_type LIKE '%\_video' ESCAPE '\' OR event_type LIKE 'edx.video.%') AS is_video,
    (event_type LIKE 'seq\_%' ESCAPE '\') AS is_seq
  FROM raw
)
SELECT username, session, TRY_CAST(time AS TIMESTAMPTZ) AS time, ip, agent, page, host,
  event_source, event_type, name,
  context ->> 'course_id' AS course_id,
  context ->> 'org_id' AS org_id,
  TRY_CAST(context ->> 'user_id' AS BIGINT) AS user_id,
  CAST(context AS VARCHAR) AS context,
  CASE WHEN json_type(event) = 'VARCHAR' THEN event ->> '$' ELSE CAST(event AS VARCHAR) END AS event,
  payload ->> 'problem_id' AS problem_id,
  CASE WHEN is_video THEN payload ->> 'id' END AS video_id,
  CASE WHEN is_video THEN payload ->> 'code' END AS video_code,
  CASE WHEN is_video THEN TRY_CAST(COALESCE(payload ->> 'currentTime', payload ->> 'current_time') AS DOUBLE) END AS video_time,
  CASE WHEN is_seq THEN payload ->> 'id' END AS seq_id,
  CASE WHEN is_seq THEN TRY_CAST(payload ->> 'old' AS BIGINT) END AS seq_old,
  CASE WHEN is_seq THEN TRY_CAST(payload ->> 'new' AS BIGINT) END AS seq_new
FROM p
"""


def job_duckdb(files, threads):
    def run():
        import duckdb

        con = duckdb.connect()
        try:
            con.execute("SET threads = %d" % threads)
            con.execute("SET preserve_insertion_order = true")
            con.execute(DUCKDB_SQL, {"files": files})
            n, nulls = con.execute("SELECT count(*), count(*) FILTER (WHERE event_type IS NULL "
                                   "AND username IS NULL AND time IS NULL) FROM bench").fetchone()
            con.execute("DROP TABLE bench")
            return n, "%d of its %d rows are all-null (event_type, username, time): lines it could not " \
                      "parse (ignore_errors) or read as objects without those keys" % (nulls, n)
        finally:
            con.close()
    return run


def job_pyarrow(files):
    def run():
        import pyarrow as pa
        import pyarrow.json as pj

        tables = [pj.read_json(f) for f in files]
        return pa.concat_tables(tables, promote_options="permissive").num_rows
    return run


def job_polars(files):
    def run():
        import polars as pl

        return pl.concat([pl.read_ndjson(f, ignore_errors=True) for f in files],
                         how="diagonal_relaxed").height
    return run


# ---------------------------------------------------------------------------------------------
# Peak RSS (subprocess)
# ---------------------------------------------------------------------------------------------
RSS_SCRIPT = r"""
import json, resource, sys
import edxlog

def hwm_kb():
    for ln in open("/proc/self/status"):
        if ln.startswith("VmHWM:"):
            return int(ln.split()[1])

base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
reader = edxlog.read(sys.argv[1])
rows = batches = 0
for batch in reader:
    rows += batch.num_rows
    batches += 1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"baseline_kb": base, "peak_kb": peak, "vmhwm_kb": hwm_kb(), "rows": rows,
                  "batches": batches, "bytes_out": reader.stats["bytes_out"]}))
"""


def peak_rss(path) -> dict:
    """Run RSS_SCRIPT in a grandchild started by a small /bin/sh: Linux folds the RSS of the
    address space a process had before execve into its ru_maxrss, and a child forked (or
    vforked) straight from this big benchmark process would report this process's RSS."""
    out = subprocess.run(["/bin/sh", "-c", '"$0" -c "$1" "$2"; exit $?', sys.executable, RSS_SCRIPT,
                          str(path)], capture_output=True, text=True, check=True, cwd="/")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Reporting helpers
# ---------------------------------------------------------------------------------------------
def fmt(x, nd=1):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return "{:,.0f}".format(x)
    return ("{:.%df}" % nd).format(x)


class Table:
    def __init__(self, title, header, note=None):
        self.title, self.header, self.rows, self.note = title, header, [], note

    def add(self, *cells):
        self.rows.append([c if isinstance(c, str) else fmt(c) for c in cells])

    def text(self):
        w = [max(len(str(r[i])) for r in [self.header] + self.rows) for i in range(len(self.header))]
        line = lambda r: "  ".join(str(c).ljust(w[i]) for i, c in enumerate(r))  # noqa: E731
        out = ["", "== " + self.title, line(self.header), "  ".join("-" * x for x in w)]
        out += [line(r) for r in self.rows]
        if self.note:
            out.append("   " + self.note)
        return "\n".join(out)

    def markdown(self):
        esc = lambda c: str(c).replace("|", "\\|")  # noqa: E731
        out = ["### " + self.title, "", "| " + " | ".join(self.header) + " |",
               "|" + "|".join("---" for _ in self.header) + "|"]
        out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in self.rows]
        if self.note:
            out += ["", self.note]
        return "\n".join(out) + "\n"


def verdict(value, lo=None, hi=None):
    if value is None:
        return "not measured"
    ok = (lo is None or value >= lo) and (hi is None or value <= hi)
    return "met" if ok else "NOT met"


def machine_info() -> list:
    import importlib

    cpu = "?"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = str(len(os.sched_getaffinity(0)))
    vers = []
    for mod in ("edxlog", "pyarrow", "duckdb", "polars", "orjson"):
        try:
            vers.append("%s %s" % (mod, importlib.import_module(mod).__version__))
        except Exception as e:  # noqa: BLE001
            vers.append("%s (unavailable: %s)" % (mod, type(e).__name__))
    try:
        mem = [ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")][0]
        mem = "%.1f GB" % (int(mem.split()[1]) / 1e6)
    except (OSError, IndexError):
        mem = "?"
    return [("nproc", nproc), ("CPU", cpu), ("memory", mem),
            ("Python", "%s (%s)" % (platform.python_version(), platform.machine())),
            ("versions", ", ".join(vers)), ("load average at start", "%.2f %.2f %.2f" % os.getloadavg())]


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="default")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per job (default per size: 3)")
    ap.add_argument("--markdown", metavar="FILE", help="also write the tables as Markdown to FILE")
    a = ap.parse_args(argv)
    cfg = SIZES[a.size]
    reps = a.reps or cfg["reps"]
    command = "python benches/compare.py " + " ".join(sys.argv[1:] if argv is None else argv)

    import edxlog

    log = lambda *x: print(*x, flush=True)  # noqa: E731
    info = machine_info()
    log("edxlog benchmark comparison -- command: %s" % command.strip())
    for k, v in info:
        log("  %-22s %s" % (k + ":", v))
    nthreads = len(os.sched_getaffinity(0))

    # --- corpora ------------------------------------------------------------------------------
    log("corpora (cache: %s):" % CACHE)
    main_c = Corpus(cfg["servers"], cfg["days"], cfg["lines"]).ensure(["plain", "gzm", "tgz"], log)
    one_c = Corpus(cfg["servers"], cfg["days"], cfg["lines"] // 4).ensure(["plain"], log)
    sl = main_c.slice(cfg["slice_lines"]).ensure()
    files = main_c.members()
    gz_files = main_c.members(gz=True)
    rss_c = None
    if cfg["rss_corpus"]:
        rc = cfg["rss_corpus"]
        rss_c = Corpus(rc["servers"], rc["days"], rc["lines"]).ensure(["gzm"], log)
    MB = main_c.nbytes
    log("  main corpus: %d members x %d lines, %.1f MB of JSON; 1x corpus: %.1f MB; reference "
        "slice: first %d lines of each member, %.2f MB"
        % (main_c.meta["members"], cfg["lines"], MB / 1e6, one_c.nbytes / 1e6, sl.k, sl.nbytes / 1e6))

    # sanity: edxlog's bytes_out is the JSON byte count we divide by
    _, st = edxlog_table(str(main_c.path("tgz")), columns=["line"])
    if st["bytes_out"] != MB:
        log("  NOTE: edxlog bytes_out %d != synth bytes %d" % (st["bytes_out"], MB))
    expected_lines = st["lines"]

    # --- jobs ---------------------------------------------------------------------------------
    J = {}

    def add(key, fn, nbytes, **kw):
        J[key] = Job(key, fn, nbytes, **kw)

    for kind in KINDS:
        src = str(main_c.path(kind))
        add(("edxlog", kind), job_edxlog(src), MB)
        add(("edxlog-t1", kind), job_edxlog(src, threads=1), MB)
        add(("edxlog-t2", kind), job_edxlog(src, threads=2), MB)
        add(("edxlog-slice", kind), job_edxlog(str(sl.path(kind))), sl.nbytes)
        add(("ref-json", kind), job_reference(sl.path(kind), "json"), sl.nbytes)
        add(("ref-orjson", kind), job_reference(sl.path(kind), "orjson"), sl.nbytes)
        add(("proj-cols", kind), job_edxlog(src, columns=PROJ_COLUMNS), MB)
        add(("proj-et", kind), job_edxlog(src, columns=PROJ_COLUMNS, event_types=PROJ_EVENT_TYPES), MB)
        if kind != "plain":
            add(("inflate", kind), job_inflate_only(src), MB)
    add(("duckdb", "plain"), job_duckdb(files, nthreads), MB)
    add(("duckdb", "gzm"), job_duckdb(gz_files, nthreads), MB)
    add(("pyarrow", "plain"), job_pyarrow(files), MB, repeat=True)
    add(("polars", "plain"), job_polars(files), MB, repeat=True)
    add(("edxlog-1x", "plain"), job_edxlog(str(one_c.path("plain"))), one_c.nbytes)

    order = list(J.values())
    log("running %d jobs x %d interleaved repetitions ..." % (len(order), reps))
    t_all = time.perf_counter()
    for r in range(reps):
        shift = (r * len(order)) // reps
        for job in order[shift:] + order[:shift]:
            job.run()
        done = sum(1 for j in order if j.ok)
        log("  repetition %d/%d done (%.0f s elapsed, %d jobs ok)" % (r + 1, reps, time.perf_counter() - t_all, done))

    rss = []
    rss_targets = [("%s, %s" % (main_c.key, KINDS[k][1]), main_c.path(k), MB) for k in KINDS]
    if rss_c:
        rss_targets.insert(0, ("%s, %s" % (rss_c.key, KINDS["gzm"][1]), rss_c.path("gzm"), rss_c.nbytes))
    for label, path, nb in rss_targets:
        try:
            rss.append((label, nb, peak_rss(path), None))
        except Exception as e:  # noqa: BLE001
            last = ((getattr(e, "stderr", None) or str(e)).strip().splitlines() or [""])[-1]
            rss.append((label, nb, None, "FAILED %s: %s" % (type(e).__name__, last[:160])))
    load_end = "%.2f %.2f %.2f" % os.getloadavg()

    # --- tables ---------------------------------------------------------------------------------
    tables = []
    ed = {k: J[("edxlog", k)] for k in KINDS}

    def speed_cells(job, base):
        if not job.ok:
            return [job.status(), "-", "-", "-", "-"]
        ratio = base.mbps() / job.mbps() if base.ok else None
        return [fmt(job.mbps()), fmt(job.mbps("median")), fmt(job.rows_per_s(), 0),
                fmt(job.rows, 0), fmt(ratio, 2) + "x" if ratio else "-"]

    t = Table("Throughput (best of %d; MB/s of decompressed JSON)" % reps,
              ["input", "tool", "MB/s best", "MB/s median", "rows/s", "rows", "edxlog is N× faster",
               "target / met?"],
              note="edxlog: read_table, all %d columns, default threads (%d). Reference: a slice (first %d "
                   "lines of each member, %.2f MB) of the same corpus; its ratio is edxlog's MB/s on the "
                   "whole corpus over the reference's MB/s on the slice (edxlog's MB/s on the slice is the "
                   "'edxlog (slice)' row). DuckDB, pyarrow, polars read the members extracted to files."
                   % (len(edxlog.SCHEMA), nthreads, sl.k, sl.nbytes / 1e6))
    same_input = []
    for kind in KINDS:
        base = ed[kind]
        desc = KINDS[kind][1]
        tgt = ""
        if kind == "plain" and base.ok:
            tgt = "≥ 1000 MB/s: " + verdict(base.mbps(), 1000)
        t.add(desc, "edxlog", *speed_cells(base, base)[:4], "1.00x", tgt)
        t.add(desc, "edxlog (slice)", *speed_cells(J[("edxlog-slice", kind)], base)[:4], "-", "")
        for key, name in (("ref-json", "reference + json (slice)"), ("ref-orjson", "reference + orjson (slice)")):
            j = J[(key, kind)]
            es = J[("edxlog-slice", kind)]
            if j.ok and es.ok:
                same_input.append("%s, %s: %.1fx" % (desc, name.replace(" (slice)", ""), es.mbps() / j.mbps()))
            tgt = ""
            if kind == "plain" and key == "ref-json" and j.ok and base.ok:
                tgt = "≥ 30x: " + verdict(base.mbps() / j.mbps(), 30)
            t.add(desc, name, *speed_cells(j, base), tgt)
        if kind == "plain":
            j = J[("duckdb", "plain")]
            tgt = ("≥ 3x: " + verdict(base.mbps() / j.mbps(), 3)) if j.ok and base.ok else ""
            t.add("extracted .log members", "DuckDB read_json job", *speed_cells(j, base), tgt)
            for key, name in (("pyarrow", "pyarrow.json.read_json"), ("polars", "polars.read_ndjson(ignore_errors=True)")):
                t.add("extracted .log members", name, *speed_cells(J[(key, "plain")], base), "")
        if kind == "gzm":
            t.add("extracted .log.gz members", "DuckDB read_json job", *speed_cells(J[("duckdb", "gzm")], base), "")
    for key in (("duckdb", "plain"), ("duckdb", "gzm")):
        if J[key].note:
            t.note += " DuckDB (%s): %s." % ("extracted .log" if key[1] == "plain" else "extracted .log.gz",
                                            J[key].note)
    t.note += " edxlog's rows exclude %d rejects and %d blank lines of the %d lines (reader.stats)." % (
        st["rejects"], st["blank"], st["lines"])
    if same_input:
        t.note += (" Same-input ratios (edxlog on the slice over the reference on the slice; small inputs "
                   "carry edxlog's fixed start-up cost): " + "; ".join(same_input) + ".")
    tables.append(t)

    t = Table("Gzip: edxlog vs the inflate-only ceiling (same input stage, same threads: default = %d)" % nthreads,
              ["input", "inflate-only MB/s", "bytes inflate_only returned", "edxlog MB/s", "edxlog / inflate-only",
               "target / met?"],
              note="MB/s of both are the corpus's JSON bytes (%s) over the time taken." % fmt(MB, 0))
    for kind in ("gzm", "tgz"):
        inf, e = J[("inflate", kind)], ed[kind]
        if inf.ok and e.ok:
            r = e.mbps() / inf.mbps()
            t.add(KINDS[kind][1], inf.mbps(), fmt(inf.rows, 0), e.mbps(), fmt(r, 2), "≥ 0.85: " + verdict(r, 0.85))
        else:
            t.add(KINDS[kind][1], inf.status() if not inf.ok else inf.mbps(), "-", e.mbps() if e.ok else e.status(),
                  "-", "≥ 0.85: not measured")
    tables.append(t)

    t = Table("Thread scaling (edxlog read_table, all columns)",
              ["input", "threads=1 MB/s", "threads=2 MB/s", "2 / 1", "target / met?"])
    for kind in KINDS:
        a1, a2 = J[("edxlog-t1", kind)], J[("edxlog-t2", kind)]
        if a1.ok and a2.ok:
            r = a2.mbps() / a1.mbps()
            t.add(KINDS[kind][1], a1.mbps(), a2.mbps(), fmt(r, 2), "≥ 1.7: " + verdict(r, 1.7))
        else:
            t.add(KINDS[kind][1], a1.status(), a2.status(), "-", "not measured")
    tables.append(t)

    t = Table("Linear cost: 1x vs 4x input (tar of plain members, edxlog default threads)",
              ["corpus", "MB", "best s", "MB/s", "time 4x / 1x", "target / met?"])
    one, four = J[("edxlog-1x", "plain")], ed["plain"]
    if one.ok and four.ok:
        r = four.best / one.best
        t.add("1x (%d lines/member)" % one_c.lines, one_c.nbytes / 1e6, fmt(one.best, 3), one.mbps(), "", "")
        t.add("4x (%d lines/member)" % main_c.lines, MB / 1e6, fmt(four.best, 3), four.mbps(), fmt(r, 2),
              "3.5–4.5 (linear): " + verdict(r, 3.5, 4.5))
    tables.append(t)

    t = Table("Projection pushdown: %d columns %s of %s vs the full read"
              % (len(PROJ_COLUMNS), PROJ_COLUMNS, PROJ_EVENT_TYPES),
              ["input", "query", "best s", "MB/s", "rows", "speedup vs full", "target / met?"])
    for kind in KINDS:
        full = ed[kind]
        for key, label, target in (("proj-cols", "columns=%d cols (all event types)" % len(PROJ_COLUMNS), False),
                                   ("proj-et", "columns + event_types", True)):
            j = J[(key, kind)]
            if j.ok and full.ok:
                r = full.best / j.best
                t.add(KINDS[kind][1], label, fmt(j.best, 3), j.mbps(), fmt(j.rows, 0), fmt(r, 2) + "x",
                      ("≥ 2x: " + verdict(r, 2)) if target else "")
            else:
                t.add(KINDS[kind][1], label, j.status(), "-", "-", "-", "≥ 2x: not measured" if target else "")
    tables.append(t)

    t = Table("Peak RSS streaming batch by batch (subprocess, edxlog.read default threads, ru_maxrss)",
              ["corpus", "MB of JSON", "rows", "batches", "RSS after import MB", "peak RSS MB (ru_maxrss)",
               "VmHWM MB", "target / met?"],
              note=("" if rss_c else "No >= 1 GB corpus in this run (only --size large builds one): the "
                    "largest corpus available was used, so the 1 GB target is not checked at its size."))
    for label, nb, res, err in rss:
        if res:
            peak = res["peak_kb"] / 1024
            tgt = "≤ 300 MB: " + verdict(peak, None, 300)
            if nb < 1e9:
                tgt += " (corpus < 1 GB)"
            t.add(label, nb / 1e6, fmt(res["rows"], 0), fmt(res["batches"], 0), res["baseline_kb"] / 1024,
                  peak, res["vmhwm_kb"] / 1024, tgt)
        else:
            t.add(label, nb / 1e6, "-", "-", "-", err, "-", "not measured")
    tables.append(t)

    elapsed = time.perf_counter() - t_all
    head = ["Command: `%s` (size %s, %d interleaved repetitions, best of %d shown; %.0f s of measuring)"
            % (command.strip(), a.size, reps, reps, elapsed)]
    head += ["%s: %s" % (k, v) for k, v in info] + ["load average at end: %s" % load_end]
    head += ["main corpus: `%s` — %d members (%d servers x %d days) x %d lines = %.1f MB of JSON, %d lines; "
             "on disk: %s" % (main_c.key, main_c.meta["members"], cfg["servers"], cfg["days"], cfg["lines"],
                              MB / 1e6, expected_lines,
                              ", ".join("%s %.1f MB" % (KINDS[k][1], os.path.getsize(main_c.path(k)) / 1e6)
                                        for k in KINDS))]
    head.append(TARGETS_NOTE)
    print()
    for h in head:
        print(h.replace("`", ""))
    for tb in tables:
        print(tb.text())
    pend = sorted({j.pending for j in order if j.pending})
    for p in pend:
        print("PENDING:", p)
    if a.markdown:
        md = ["<!-- generated by benches/compare.py; do not edit the numbers by hand -->", ""]
        md += ["- " + h for h in head] + [""]
        md += [tb.markdown() for tb in tables]
        if pend:
            md += ["Pending APIs (jobs not measured): " + "; ".join(pend), ""]
        Path(a.markdown).write_text("\n".join(md))
        print("\nMarkdown written to", a.markdown)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        traceback.print_exc()
        sys.exit(130)
