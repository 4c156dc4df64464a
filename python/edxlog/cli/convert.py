"""`edxlog convert`: the command-line options; the work is in :mod:`edxlog.cli.conversion`."""

from __future__ import annotations

import json

import click

from edxlog._core import DEFAULTS
from edxlog.cli import conversion
from edxlog.cli.filters import parse_time
from edxlog.dataset import PARTITION_KEYS

EXAMPLES = """\b
Examples:
  # a Parquet dataset partitioned by UTC date (rerun it: only new members are converted)
  edxlog convert course-data/tracking-logs-*.tar.gz -o events/
  # one file; or .arrow / .feather (Arrow IPC), .jsonl
  edxlog convert export.tar.gz -o events.parquet
  # partitions by course and date; video events of 2014 only, four columns
  edxlog convert export.tar.gz -o video/ --partition-by course_id --partition-by date \\
      --event-type '*_video' --since 2014-01-01 --until 2014-12-31 \\
      --columns time,username,event_type,video_time
  # from S3 to S3 (credentials from the usual AWS chain, or -S key=... -S secret=...)
  edxlog convert s3://course-data/edx/2014/ -o s3://my-bucket/events/ -S profile=research
  # from standard input
  gpg -d export.tar.gz.gpg | edxlog convert - -o events/
  # query it
  duckdb -c "select event_type, count(*) from read_parquet('events/date=*/*.parquet', hive_partitioning=true) group by 1"
"""


def _split_columns(ctx, param, values):
    out = []
    for v in values:
        out.extend(c.strip() for c in v.split(",") if c.strip())
    return out or None


def _partition_keys(ctx, param, values):
    out = []
    for v in values:
        for k in (p.strip() for p in v.split(",")):
            if k and k not in PARTITION_KEYS:
                raise click.BadParameter(f"{k!r} is not one of {', '.join(PARTITION_KEYS)}")
            if k and k not in out:
                out.append(k)
    return out or ["date"]


def _time(end: bool):
    def check(ctx, param, value):
        if value is not None:
            try:
                parse_time(value, end=end)
            except ValueError as e:
                raise click.BadParameter(str(e)) from None
        return value
    return check


def _storage_options(ctx, param, values):
    out = {}
    for v in values:
        key, sep, text = v.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{v!r} is not KEY=VALUE")
        try:
            out[key.strip()] = json.loads(text)  # numbers, true/false, {"nested": ...}
        except ValueError:
            out[key.strip()] = text
    return out or None


def _rate(ctx, param, value):
    if value is None:
        return None
    text = value.strip()
    try:
        rate = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a rate (0.01 or 1%)") from None
    if not 0 <= rate <= 1:
        raise click.BadParameter(f"{value!r} is not between 0 and 1")
    return rate


@click.command(context_settings=dict(help_option_names=["-h", "--help"], max_content_width=100), epilog=EXAMPLES)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", required=True, metavar="OUTPUT",
              help="A directory (Parquet dataset), or a file ending in .parquet, .arrow, .feather or .jsonl.")
@click.option("--format", "fmt", type=click.Choice(["dataset", "parquet", "arrow", "jsonl"]),
              help="Output kind, when OUTPUT's name does not say it.")
@click.option("--partition-by", "partition_by", multiple=True, callback=_partition_keys, metavar="KEY",
              help=f"Dataset partition key(s), repeatable or comma-separated: {', '.join(PARTITION_KEYS)} "
                   "(default: date, the UTC date of `time`).")
@click.option("--columns", multiple=True, callback=_split_columns, metavar="A,B,...",
              help="Only these columns, in this order (the reader skips the work of the others).")
@click.option("--event-type", "event_types", multiple=True, metavar="NAME|GLOB",
              help="Keep these event types (repeatable; globs like '*_video'; exact names are pushed down).")
@click.option("--since", metavar="TIME", callback=_time(end=False), help="Keep rows at or after this UTC date or time.")
@click.option("--until", metavar="TIME", callback=_time(end=True), help="Keep rows before this UTC time; a date includes that whole day.")
@click.option("--course", "courses", multiple=True, metavar="COURSE_ID", help="Keep these course ids (repeatable).")
@click.option("--compression", type=click.Choice(["zstd", "snappy", "gzip", "brotli", "lz4", "none"]),
              default="zstd", show_default=True, help="Parquet codec (Arrow files: zstd, lz4 or none).")
@click.option("--compression-level", type=int, default=None, help="Codec level (zstd default: 1).")
@click.option("--row-group-rows", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Most rows per Parquet row group (a row group also closes at 128 MiB).")
@click.option("--buffer-mb", type=click.IntRange(min=1), default=12, show_default=True,
              help="Arrow data buffered for row groups (MiB); more gives bigger row groups and more memory.")
@click.option("--dedupe", is_flag=True, help="Drop rows whose event_id repeats within this run.")
@click.option("--replace-changed", is_flag=True,
              help="Convert again members that changed since they were converted, retiring their old rows.")
@click.option("--overwrite", is_flag=True, help="Replace an existing single-file OUTPUT.")
@click.option("--rejects", metavar="PATH",
              help="Also write the rejects here (default: OUTPUT/_rejects/ or OUTPUT's name + .rejects.parquet).")
@click.option("--max-reject-rate", callback=_rate, metavar="RATE",
              help="Exit 3 without committing when rejects / lines exceeds RATE (0.01 or 1%).")
@click.option("--max-rejects", type=click.IntRange(min=0), default=DEFAULTS["max_rejects"], show_default=True,
              help="Rejects kept in full (later ones are only counted).")
@click.option("--on-error", type=click.Choice(["skip", "raise"]), default="skip", show_default=True,
              help="A corrupt member: count it as a reject, or stop with exit 1.")
@click.option("--threads", type=click.IntRange(min=1), help="Parse threads (default: the machine's cores).")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULTS["batch_size"], show_default=True)
@click.option("--max-line-bytes", type=click.IntRange(min=1), default=DEFAULTS["max_line_bytes"], show_default=True)
@click.option("--json-summary", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Also write the summary as JSON.")
@click.option("-S", "--storage-option", "storage_options", multiple=True, callback=_storage_options,
              metavar="KEY=VALUE", help="For s3:// (and other fsspec) inputs and outputs: an fsspec/s3fs option, "
              "e.g. endpoint_url=http://127.0.0.1:9000, anon=true, profile=NAME (repeatable; JSON values).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
def convert(inputs, output, fmt, partition_by, columns, event_types, since, until, courses, compression,
            compression_level, row_group_rows, buffer_mb, dedupe, replace_changed, overwrite, rejects,
            max_reject_rate, max_rejects, on_error, threads, batch_size, max_line_bytes, json_summary, storage_options, quiet):
    """Convert tracking logs (tar / tar.gz exports, .gz or plain logs, directories, `-`) to a Parquet
    dataset, or to one .parquet / .arrow / .jsonl file.

    A dataset is incremental: a rerun converts only the members it does not hold yet (a member is
    known by its name, size and SHA-256), so the same command is a no-op and next week's export
    adds only its new days. Files appear only when complete; Ctrl-C or a kill leaves the dataset
    as the manifest says, and the next run completes it.
    """
    if inputs.count("-") > 1:
        raise click.UsageError("standard input (-) can be given once")
    out_format = conversion.output_format(output, fmt)
    if out_format != "dataset" and partition_by != ["date"]:
        raise click.UsageError("--partition-by applies to a dataset (a directory OUTPUT)")
    if out_format != "dataset" and replace_changed:
        raise click.UsageError("--replace-changed applies to a dataset (a directory OUTPUT)")
    opts = conversion.Options(
        inputs=list(inputs), output=output, output_format=out_format,
        partition_by=partition_by if out_format == "dataset" else [], columns=columns,
        event_types=list(event_types), since=since, until=until, courses=list(courses),
        compression=compression, compression_level=compression_level, dedupe=dedupe,
        replace_changed=replace_changed, overwrite=overwrite, rejects=rejects,
        max_reject_rate=max_reject_rate, max_rejects=max_rejects, on_error=on_error,
        threads=threads, batch_size=batch_size, max_line_bytes=max_line_bytes, quiet=quiet,
        row_group_rows=row_group_rows, buffer_mb=buffer_mb, storage_options=storage_options)
    import pyarrow as pa

    # glibc malloc gives freed row groups back; mimalloc's per-thread heaps kept ~45 MB more.
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        summary = conversion.run(opts)
    except conversion.RejectRateExceeded as e:
        _report(e.summary, json_summary, quiet)
        raise
    _report(summary, json_summary, quiet)


def _report(summary, json_summary, quiet):
    if json_summary:
        summary.write_json(json_summary)
    if not quiet:
        click.echo(summary.render())
