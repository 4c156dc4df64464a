"""The engine of `edxlog convert`: tracking logs to a Parquet dataset (incremental) or to one file.

The work is split so each part is small: :mod:`edxlog.cli.plan` lists and identifies members,
:mod:`edxlog.dataset` writes partitions and commits atomically, :mod:`edxlog.cli.filters` holds
the row filters, :mod:`edxlog.cli.sinks` the single-file formats, :mod:`edxlog.cli.summary` the
counts. This module decides what to read and drives the reader.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import edxlog
from edxlog import dataset as dsm
from edxlog import remote
from edxlog._core import DEFAULTS
from edxlog.cli import plan, sinks
from edxlog.cli.arrow_build import repeated_string, strings
from edxlog.cli.filters import Deduper, RowFilter
from edxlog.cli.progress import optional as progress_bar
from edxlog.cli.summary import Summary

FILE_FORMATS = {".parquet": "parquet", ".arrow": "arrow", ".feather": "arrow", ".jsonl": "jsonl"}


class UsageError(Exception):
    """Bad arguments for this output (exit 2)."""


class RejectRateExceeded(Exception):
    """More rejects than --max-reject-rate allows (exit 3)."""


@dataclass
class Options:
    inputs: list[str]
    output: str
    output_format: str  # "dataset" or one of FILE_FORMATS' values
    partition_by: list[str] = field(default_factory=lambda: ["date"])
    columns: Optional[list[str]] = None
    event_types: list[str] = field(default_factory=list)
    since: Optional[str] = None
    until: Optional[str] = None
    courses: list[str] = field(default_factory=list)
    compression: str = "zstd"
    compression_level: Optional[int] = None
    dedupe: bool = False
    replace_changed: bool = False
    overwrite: bool = False
    rejects: Optional[str] = None
    max_reject_rate: Optional[float] = None
    max_rejects: int = DEFAULTS["max_rejects"]
    on_error: str = "skip"
    threads: Optional[int] = None
    batch_size: int = DEFAULTS["batch_size"]
    max_line_bytes: int = DEFAULTS["max_line_bytes"]
    quiet: bool = False
    row_group_rows: int = dsm.ROW_GROUP_ROWS
    #: For URL inputs and outputs (s3://...): handed to fsspec (docs/s3.md).
    storage_options: Optional[dict] = None
    buffer_mb: int = dsm.BUFFER_BUDGET >> 20


def output_format(output: str, given: Optional[str]) -> str:
    if given:
        return given
    return FILE_FORMATS.get(Path(output).suffix.lower(), "dataset")


# ---- what to read ------------------------------------------------------------------------


def _columns(opts: Options, rfilter: RowFilter) -> tuple[list[str], list[str]]:
    """(columns to ask the reader for, columns to write)."""
    all_names = edxlog.SCHEMA.names
    out = list(opts.columns) if opts.columns else list(all_names)
    unknown = [c for c in out if c not in all_names]
    if unknown:
        raise UsageError(f"unknown column(s): {', '.join(unknown)} (see `edxlog schema`)")
    need = set(rfilter.columns) | {"time", "warnings", "source"}
    need |= {k for k in opts.partition_by if k != "date"}
    if opts.dedupe:
        need.add("event_id")
    if opts.output_format == "dataset" and "server" not in out:
        need.add("server")
    read = out + [c for c in all_names if c in need and c not in out]
    return read, out


def _read(source, opts: Options, rfilter: RowFilter, read_cols: list[str], max_rejects: int):
    return edxlog.read(
        source,
        batch_size=opts.batch_size,
        threads=opts.threads,
        columns=read_cols,
        event_types=rfilter.pushdown,
        on_error=opts.on_error,
        max_line_bytes=opts.max_line_bytes,
        max_rejects=max_rejects,
        storage_options=opts.storage_options,
    )


def _member_runs(table: pa.Table):
    """(source, rows) runs: a batch may span member boundaries; rows keep input order."""
    src = table.column("source")
    if len(src) == 0:
        return
    first, last = src[0].as_py(), src[-1].as_py()
    if first == last and pc.all(pc.equal(src, src[0])).as_py():
        yield first, table
        return
    values = src.combine_chunks() if isinstance(src, pa.ChunkedArray) else src
    change = pc.not_equal(values.slice(1), values.slice(0, len(values) - 1))
    cuts = [i + 1 for i, c in enumerate(change.to_pylist()) if c]
    starts = [0] + cuts
    ends = cuts + [len(values)]
    for s, e in zip(starts, ends):
        yield values[s].as_py(), table.slice(s, e - s)


def _finish_rows(table: pa.Table, rfilter: RowFilter, dedupe: Optional[Deduper], summary: Summary,
                 out_cols: list[str]) -> pa.Table:
    table, dropped = rfilter.apply(table)
    summary.filtered_rows += dropped
    if dedupe is not None:
        table, dup = dedupe.apply(table)
        summary.duplicates += dup
    summary.add_rows(table)
    return table.select(out_cols)


def _concat_rejects(tables: list[pa.Table]) -> Optional[pa.Table]:
    tables = [t for t in tables if t.num_rows]
    return pa.concat_tables(tables) if tables else None


def _check_reject_rate(opts: Options, summary: Summary) -> None:
    if opts.max_reject_rate is not None and summary.reject_rate() > opts.max_reject_rate:
        raise RejectRateExceeded(
            f"reject rate {summary.reject_rate():.2%} ({summary.rejects:,} of {summary.lines:,} lines) "
            f"exceeds --max-reject-rate {opts.max_reject_rate:g}; the output was not committed"
            + (f" (rejects: {summary.rejects_file})" if summary.rejects_file else ""))


def rejects_path_for(output: str) -> str:
    p = Path(output)
    return str(p.with_name(p.stem + ".rejects.parquet"))


def _write_rejects(table: pa.Table, path, storage_options: Optional[dict] = None) -> None:
    if remote.is_url(str(path)):
        fs, key = remote.filesystem(str(path), storage_options)
        with fs.open(key, "wb") as f:  # one PUT when closed: never seen half-written
            pq.write_table(table, f, compression="zstd")
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


def _stored_size(path: str) -> int:
    """Bytes the reader will read from `path` (0 for stdin or a path that is not there)."""
    if path == "-" or not os.path.exists(path):
        return 0
    if not os.path.isdir(path):
        return os.stat(path).st_size
    return sum(os.stat(os.path.join(d, f)).st_size for d, _, files in os.walk(path) for f in files
               if os.path.isfile(os.path.join(d, f)))


def _NamedFile(path: str) -> io.FileIO:
    """A spooled standard input that the reader names `<stdin>`, as it names real stdin (the
    reader takes a file object's `.name` for the `source` column)."""
    f = io.FileIO(path, "rb")
    f.name = "<stdin>"
    return f


# ---- one file ----------------------------------------------------------------------------


def convert_file(opts: Options, summary: Summary) -> None:
    out = Path(opts.output)
    if out.exists() and not opts.overwrite:
        raise UsageError(f"{out} exists (use --overwrite to replace it)")
    if out.is_dir():
        raise UsageError(f"{out} is a directory")
    if not out.parent.is_dir():
        raise OSError(f"cannot write {out}: no directory {out.parent}")
    rfilter = RowFilter(opts.event_types, opts.since, opts.until, opts.courses)
    read_cols, out_cols = _columns(opts, rfilter)
    dedupe = Deduper() if opts.dedupe else None
    total = sum(_stored_size(p) for p in opts.inputs)
    source = opts.inputs[0] if len(opts.inputs) == 1 else list(opts.inputs)
    sink = sinks.open_sink(opts.output_format, out, edxlog.SCHEMA if not opts.columns else
                           pa.schema([edxlog.SCHEMA.field(c) for c in out_cols]), opts)
    rejects_tables = []
    try:
        with progress_bar(total, opts.quiet) as bar, _read(source, opts, rfilter, read_cols, opts.max_rejects) as reader:
            for batch in reader:
                table = _finish_rows(pa.Table.from_batches([batch]), rfilter, dedupe, summary, out_cols)
                sink.write(table)
                stats = reader.stats
                bar.update(stats["bytes_in"], summary.rows_written)
            summary.add_reader_stats(reader.stats)
            if reader.stats["rejects"]:  # (rejects() costs a pandas import: only when needed)
                rejects_tables.append(reader.rejects())
        sink.finish()
    except BaseException:
        sink.abort()
        raise
    rejects = _concat_rejects(rejects_tables)
    if rejects is not None:
        rpath = Path(opts.rejects or rejects_path_for(opts.output))
        _write_rejects(rejects, rpath)
        summary.rejects_file = str(rpath)
    try:
        _check_reject_rate(opts, summary)
    except RejectRateExceeded:
        sink.discard()
        raise
    sink.commit()
    summary.files_written.append(str(out))
    summary.committed = True


# ---- a dataset ---------------------------------------------------------------------------


@dataclass
class _Unit:
    """One reader's worth of input: the source handed to the reader and its members."""

    source: object  # path, list of paths, or a TarSubset
    by_source: dict  # reader `source` string -> plan.Member
    size: int
    whole: Optional[plan.Member] = None  # an unlistable archive: every row belongs to it


def _plan_dataset(opts: Options, ds: dsm.Dataset, summary: Summary, spool_dir: Path):
    """Decide, member by member, what this run converts. Returns (units, chosen, replaced)."""
    known = ds.manifest["members"]
    cache = ds.manifest["archives"]
    listed: list[plan.Input] = []
    for spec in opts.inputs:
        if spec == "-":
            inp = plan.list_input(_spool_stdin(spool_dir))
            if inp.kind in ("file", "unit"):  # not a tar: one member, named as the reader names it
                inp.members[0].name = inp.members[0].source = "<stdin>"
                inp.kind = "stdin"
            for m in inp.members:
                m.archive = "-"
            listed.append(inp)
            continue
        for inp in plan.list_inputs(spec, cache, opts.storage_options):
            listed.append(inp)
            archive = inp.spec if remote.is_url(inp.spec) else str(Path(inp.spec).resolve())
            for m in inp.members:
                m.archive = archive
            entry = plan.cache_entry(inp)
            if entry:
                cache[entry[0]] = entry[1]
            if inp.kind == "unit":
                summary.member_notes.append(("unlisted archive", inp.spec, f"read whole: {inp.note}"))

    # A member is known by its content (SHA-256 and size): the same bytes under another name
    # (an extracted export, a renamed file) are the same events. A known name with other
    # content is a changed member.
    by_content = {(v["sha256"], v["size"]): name for name, v in known.items()}
    chosen: dict[str, tuple[int, plan.Member]] = {}
    chosen_content: dict[tuple, str] = {}
    replaced: set[str] = set()
    for i, inp in enumerate(listed):
        for m in inp.members:
            content = (m.sha256, m.size)
            if content in by_content:
                summary.members["present"] += 1
                if by_content[content] != m.name:
                    summary.member_notes.append(("present", m.name, f"same content as {by_content[content]}"))
                continue
            if content in chosen_content:
                summary.members["duplicate"] += 1
                summary.member_notes.append(("duplicate", m.name, f"in {inp.spec}: same content as "
                                             f"{chosen_content[content]}, converted once"))
                continue
            if m.name in chosen:
                if not opts.replace_changed:
                    summary.members["changed"] += 1
                    summary.member_notes.append(("changed", m.name, f"differs in {inp.spec}; kept the first "
                                                 "(--replace-changed takes the last)"))
                    continue
                summary.member_notes.append(("changed", m.name, f"the version in {inp.spec} replaces an earlier input's"))
                del chosen_content[(chosen[m.name][1].sha256, chosen[m.name][1].size)]
            elif m.name in known:
                if not opts.replace_changed:
                    summary.members["changed"] += 1
                    summary.member_notes.append(("changed", m.name, f"differs from the converted one (in {inp.spec}); "
                                                 "--replace-changed converts it again"))
                    continue
                replaced.add(m.name)
            chosen[m.name] = (i, m)
            chosen_content[content] = m.name
    summary.members["converted"] = len(chosen)
    summary.members["replaced"] = len(replaced)

    units = []
    for i, inp in enumerate(listed):
        mine = [m for m in inp.members if chosen.get(m.name, (None, None)) == (i, m)]
        if not mine:
            continue
        by_source = {m.source: m for m in mine}
        if inp.kind == "stdin":
            units.append(_Unit(_NamedFile(inp.spec), by_source, inp.size))
        elif inp.kind in ("unit", "file"):
            units.append(_Unit(inp.spec, by_source, inp.size, whole=mine[0] if inp.kind == "unit" else None))
        elif len(mine) == len(inp.members):
            units.append(_Unit(inp.spec, by_source, inp.size))
        elif inp.kind == "dir":
            units.append(_Unit([m.path for m in mine], by_source, sum(m.size for m in mine)))
        else:
            sub = plan.TarSubset(inp.spec, [m.span for m in mine], gz=inp.kind == "targz",
                                 storage_options=opts.storage_options)
            units.append(_Unit(sub, by_source, sub.stored_size))
    return units, chosen, replaced


def _spool_stdin(spool_dir: Path) -> str:
    """Standard input is read once; a dataset needs its identity first, so it is spooled."""
    import sys

    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_dir / "stdin"
    with open(path, "wb") as f:
        shutil.copyfileobj(sys.stdin.buffer, f, 1 << 20)
    return str(path)


def _copy_rows(src: Path, dst: Path, ranges: list[tuple[int, int]]) -> None:
    """Copy the rows in `ranges` (start, count; in order) of a Parquet file to a new one, row
    group by row group, so memory stays at one row group whatever the file's size."""
    f = pq.ParquetFile(src)
    schema = f.schema_arrow
    with pq.ParquetWriter(dst, schema, **dsm.parquet_options(schema)) as out:
        at = 0
        for i in range(f.metadata.num_row_groups):
            group = f.read_row_group(i)
            lo, hi = at, at + group.num_rows
            pieces = [group.slice(max(s, lo) - lo, min(s + n, hi) - max(s, lo))
                      for s, n in ranges if s < hi and s + n > lo]
            if pieces:
                out.write_table(pa.concat_tables(pieces), row_group_size=sum(p.num_rows for p in pieces))
            at = hi


def _retire(ds: dsm.Dataset, names: set[str], tmp_rel: str, run_id: str, summary: Summary):
    """Rewrite the files holding rows of `names` without them. Returns (renames, deletes, new
    file entries)."""
    renames, deletes, entries = [], [], {}
    files = ds.manifest["files"]
    for rel, info in sorted(files.items()):
        drop = [r for r in info["members"] if r[0] in names]
        if not drop:
            continue
        deletes.append(rel)
        summary.files_retired.append(rel)
        keep_runs = [r for r in info["members"] if r[0] not in names]
        if not keep_runs:
            continue
        runs, at = [], 0
        for name, _, count in keep_runs:
            runs.append([name, at, count])
            at += count
        new_rel = str(Path(rel).parent / f"part-{run_id}-r{len(renames):04d}.parquet")
        tmp = f"{tmp_rel}/retire-{len(renames):04d}.parquet.tmp"
        (ds.root / tmp).parent.mkdir(parents=True, exist_ok=True)
        _copy_rows(ds.local(rel), ds.root / tmp, [(start, count) for _, start, count in keep_runs])
        renames.append((tmp, new_rel))
        entries[new_rel] = {"rows": at, "run": run_id, "members": runs}
    # Old rejects of these members go too (rejects files name their rows by `source`).
    sources = {ds.manifest["members"][n].get("source", n) for n in names if n in ds.manifest["members"]}
    for rel, info in sorted(ds.manifest["rejects"].items()):
        path = ds.local(rel)
        if not path.exists():
            continue
        table = pq.read_table(path)
        mask = pc.invert(pc.is_in(table.column("source"), value_set=strings(sorted(sources))))
        kept = table.filter(mask)
        if kept.num_rows == table.num_rows:
            continue
        deletes.append(rel)
        if kept.num_rows:
            new_rel = f"{dsm.REJECTS}/rejects-{run_id}-r{len(renames):04d}.parquet"
            tmp = f"{tmp_rel}/retire-{len(renames):04d}.rejects.tmp"
            pq.write_table(kept, ds.root / tmp, compression="zstd")
            renames.append((tmp, new_rel))
            entries[new_rel] = {"rows": kept.num_rows, "run": run_id, "rejects": True}
    return renames, deletes, entries


def convert_dataset(opts: Options, summary: Summary, fetch=None) -> None:
    if remote.is_url(opts.output):
        return _convert_remote_dataset(opts, summary)
    root = Path(opts.output)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is a file, not a dataset directory (give a .parquet/.arrow/.jsonl name for one file)")
    bad = [k for k in opts.partition_by if k not in dsm.PARTITION_KEYS]
    if bad:
        raise UsageError(f"--partition-by {bad[0]}: not one of {', '.join(dsm.PARTITION_KEYS)}")
    rfilter = RowFilter(opts.event_types, opts.since, opts.until, opts.courses)
    read_cols, out_cols = _columns(opts, rfilter)
    try:
        ds = dsm.Dataset.open(root)
    except dsm.DatasetError as e:
        raise UsageError(str(e)) from None
    ds.fetch = fetch
    try:
        if not ds.exists:
            ds.create(list(opts.partition_by), out_cols)
        else:
            if ds.manifest["partition_by"] != list(opts.partition_by):
                raise UsageError(f"{root} is partitioned by {','.join(ds.manifest['partition_by']) or 'nothing'};"
                                 f" this run asks for {','.join(opts.partition_by)}")
            if ds.manifest["columns"] != out_cols:
                raise UsageError(f"{root} holds other columns than this run would write (dataset: "
                                 f"{len(ds.manifest['columns'])} columns; give the same --columns)")
        _convert_into(ds, opts, summary, rfilter, read_cols, out_cols)
    finally:
        ds.close()


def _convert_into(ds: dsm.Dataset, opts: Options, summary: Summary, rfilter: RowFilter,
                  read_cols: list[str], out_cols: list[str]) -> None:
    run_id = dsm.new_run_id()
    tmp_rel = f"{dsm.TMP}/{run_id}"
    tmp_dir = ds.root / tmp_rel
    cache_before = dict(ds.manifest["archives"])
    units, chosen, replaced = _plan_dataset(opts, ds, summary, tmp_dir)
    if not units:
        summary.nothing_to_do = True
        if ds.manifest["archives"] != cache_before:  # only the listing cache is new
            ds.save()
        _remove_tmp(tmp_dir)
        return

    schema = pa.schema([edxlog.SCHEMA.field(c) for c in out_cols])
    writer = dsm.PartitionedWriter(ds.root, tmp_rel, run_id, tuple(opts.partition_by), schema,
                                   dsm.parquet_options(schema, opts.compression, opts.compression_level),
                                   threads=2, row_group_rows=opts.row_group_rows,
                                   budget=opts.buffer_mb << 20)
    dedupe = Deduper() if opts.dedupe else None
    member_rows: dict[str, int] = {m.name: 0 for _, m in chosen.values()}
    rejects_tables = []
    total = sum(u.size for u in units)
    done = 0
    try:
        with progress_bar(total, opts.quiet) as bar:
            for unit in units:
                budget = max(0, opts.max_rejects - sum(t.num_rows for t in rejects_tables))
                with _read(unit.source, opts, rfilter, read_cols, budget) as reader:
                    for batch in reader:
                        for src, part in _member_runs(pa.Table.from_batches([batch])):
                            member = unit.whole or unit.by_source.get(src)
                            if member is None:
                                raise RuntimeError(f"rows from {src!r}, which the listing of {unit.source} "
                                                   "did not find (please report this)")
                            if member.server is not None:
                                part = part.set_column(part.schema.get_field_index("server"), "server",
                                                       repeated_string(member.server, part.num_rows))
                            table = _finish_rows(part, rfilter, dedupe, summary, read_cols)
                            member_rows[member.name] += table.num_rows
                            writer.write(table.select(out_cols), member.name)
                        bar.update(done + reader.stats["bytes_in"], summary.rows_written)
                    summary.add_reader_stats(reader.stats)
                    if reader.stats["rejects"]:  # (rejects() costs a pandas import: only when needed)
                        rejects_tables.append(reader.rejects())
                done += unit.size
                if hasattr(unit.source, "close"):
                    unit.source.close()
        written = writer.close()
    except BaseException:
        writer.abort()
        _remove_tmp(tmp_dir)
        raise

    renames = [(f.tmp, f.final) for f in written]
    file_entries = {f.final: {"rows": f.rows, "run": run_id, "members": f.members} for f in written}
    rejects = _concat_rejects(rejects_tables)
    reject_counts: dict[str, int] = {}
    if rejects is not None:
        rel = f"{dsm.REJECTS}/rejects-{run_id}.parquet"
        _write_rejects(rejects, ds.root / tmp_rel / "rejects.tmp")
        renames.append((f"{tmp_rel}/rejects.tmp", rel))
        summary.rejects_file = str(ds.root / rel)
        by_source = {m.source: m.name for _, m in chosen.values()}
        for item in pc.value_counts(rejects.column("source")).to_pylist():
            name = by_source.get(item["values"], item["values"])
            reject_counts[name] = reject_counts.get(name, 0) + item["counts"]
        if opts.rejects:
            _write_rejects(rejects, opts.rejects, opts.storage_options)
    try:
        _check_reject_rate(opts, summary)
    except RejectRateExceeded:
        _remove_tmp(tmp_dir)
        summary.rejects_file = opts.rejects
        raise

    retire_renames, deletes, retire_entries = _retire(ds, replaced, tmp_rel, run_id, summary) if replaced else ([], [], {})
    m = ds.manifest
    for rel in deletes:
        m["files"].pop(rel, None)
        m["rejects"].pop(rel, None)
    for rel, entry in list(file_entries.items()) + list(retire_entries.items()):
        if entry.pop("rejects", False):
            m["rejects"][rel] = entry
        else:
            m["files"][rel] = entry
    if rejects is not None:
        m["rejects"][f"{dsm.REJECTS}/rejects-{run_id}.parquet"] = {"rows": rejects.num_rows, "run": run_id}
    for inp_index, member in chosen.values():
        m["members"][member.name] = {
            "size": member.size,
            "sha256": member.sha256,
            "archive": member.archive,
            "source": member.source,
            "rows": member_rows.get(member.name, 0),
            "rejects": reject_counts.get(member.name, 0),
            "run": run_id,
        }
    summary.files_written = [f.final for f in written] + [r[1] for r in retire_renames]
    m["runs"].append({
        "id": run_id,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "inputs": list(opts.inputs),
        "members": len(chosen),
        "replaced": sorted(replaced),
        "rows": summary.rows_written,
        "lines": summary.lines,
        "rejects": summary.rejects,
        "files": len(written),
    })
    ds.commit(renames + retire_renames, deletes)
    _remove_tmp(tmp_dir)
    summary.committed = True


def _remove_tmp(tmp_dir: Path) -> None:
    shutil.rmtree(tmp_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        tmp_dir.parent.rmdir()  # `_tmp/` itself, when no other run's files are left in it


def _convert_remote_dataset(opts: Options, summary: Summary) -> None:
    """A dataset at a URL: converted into a local staging copy of its manifest, then published
    with the same commit protocol (edxlog.remote_dataset)."""
    from edxlog.remote_dataset import StagedDataset

    with tempfile.TemporaryDirectory(prefix="edxlog-stage-") as stage:
        try:
            staged = StagedDataset(opts.output, opts.storage_options, Path(stage))
            staged.open()
        except dsm.DatasetError as e:
            raise UsageError(str(e)) from None
        try:
            local = dataclasses.replace(opts, output=stage, rejects=opts.rejects)
            convert_dataset(local, summary, fetch=staged.fetch)
            staged.publish()
        finally:
            staged.close()
        if summary.rejects_file and summary.rejects_file.startswith(stage):
            summary.rejects_file = staged.url + summary.rejects_file[len(stage):]


def _convert_remote_file(opts: Options, summary: Summary) -> None:
    """One output file at a URL: written locally, then uploaded in one PUT (an object appears
    whole or not at all); the rejects file likewise."""
    fs, key = remote.filesystem(opts.output, opts.storage_options)
    if fs.exists(key) and not opts.overwrite:
        raise UsageError(f"{opts.output} exists (use --overwrite to replace it)")
    name = opts.output.rstrip("/").rsplit("/", 1)[-1]
    with tempfile.TemporaryDirectory(prefix="edxlog-stage-") as stage:
        local_out = str(Path(stage) / name)
        stem = opts.output[: len(opts.output) - len(Path(name).suffix)] if Path(name).suffix else opts.output
        rejects = opts.rejects or stem + ".rejects.parquet"
        local_rejects = str(Path(stage) / "rejects.parquet")
        convert_file(dataclasses.replace(opts, output=local_out, rejects=local_rejects), summary)
        fs.put_file(local_out, key)
        summary.files_written = [opts.output]
        if summary.rejects_file:
            if remote.is_url(rejects):
                rfs, rkey = remote.filesystem(rejects, opts.storage_options)
                rfs.put_file(local_rejects, rkey)
            else:
                Path(rejects).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(local_rejects, rejects)
            summary.rejects_file = rejects


def run(opts: Options) -> Summary:
    summary = Summary(inputs=list(opts.inputs), output=opts.output, output_format=opts.output_format,
                      partition_by=list(opts.partition_by) if opts.output_format == "dataset" else [])
    start = time.perf_counter()
    try:
        if opts.output_format == "dataset":
            convert_dataset(opts, summary)
        elif remote.is_url(opts.output):
            _convert_remote_file(opts, summary)
        else:
            convert_file(opts, summary)
    except RejectRateExceeded as e:
        e.summary = summary
        raise
    finally:
        summary.elapsed = time.perf_counter() - start
    return summary

