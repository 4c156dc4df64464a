"""`edxlog stats`: what an export holds, in one fast pass that reads only eight columns.

Coverage is rows per server and UTC day (from ``time``), so a missing day or server shows as a
hole; members are counted per server. ``--plot`` draws the same as a heatmap (matplotlib, the
``plot`` extra).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections import Counter, defaultdict
from typing import Optional

import click
import pyarrow as pa
import pyarrow.compute as pc

from edxlog.cli.arrow_build import strings
from edxlog.cli.summary import micros_range, utc, warning_kind

COLUMNS = ["source", "server", "time", "event_source", "event_type", "username", "course_id", "warnings"]
NO_SERVER = "(none)"
NO_DATE = "(no time)"
_FILL = strings([NO_SERVER, NO_DATE])  # (built without importing pandas)


def reject_kind(error: str) -> str:
    """``corrupt member a/b.gz: ...`` → ``corrupt member``; ``invalid JSON: EOF ...`` → ``invalid JSON``."""
    for prefix in ("corrupt member", "corrupt archive"):
        if error.startswith(prefix):
            return prefix
    return warning_kind(error.split(":", 1)[0].strip())


class Stats:
    def __init__(self):
        self.coverage: dict[str, Counter] = defaultdict(Counter)  # server -> date -> rows
        self.members: dict[str, set] = defaultdict(set)  # server -> sources
        self.event_sources = Counter()
        self.event_types = Counter()
        self.warnings = Counter()
        self.rejects = Counter()
        self.users: set = set()
        self.courses: set = set()
        self.time_min: Optional[dt.datetime] = None
        self.time_max: Optional[dt.datetime] = None
        self.reader: dict = {}

    def add(self, batch: pa.RecordBatch) -> None:
        t = pa.Table.from_batches([batch])
        if t.num_rows == 0:
            return
        server = pc.fill_null(t.column("server"), _FILL[0])
        day = pc.fill_null(pc.strftime(t.column("time"), format="%Y-%m-%d"), _FILL[1])
        grouped = pa.table({"s": server, "d": day, "src": t.column("source")}).group_by(["s", "d", "src"]) \
            .aggregate([("s", "count", pc.CountOptions(mode="all"))])
        for s, d, src, n in zip(*(grouped.column(c).to_pylist() for c in ("s", "d", "src", "s_count"))):
            self.coverage[s][d] += n
            self.members[s].add(src)
        for name, counter in (("event_source", self.event_sources), ("event_type", self.event_types)):
            for item in pc.value_counts(t.column(name)).to_pylist():
                counter[item["values"]] += item["counts"]
        flat = pc.list_flatten(t.column("warnings"))
        if len(flat):
            for item in pc.value_counts(flat).to_pylist():
                self.warnings[warning_kind(item["values"])] += item["counts"]
        self.users.update(v for v in pc.unique(t.column("username")).to_pylist() if v)
        self.courses.update(v for v in pc.unique(t.column("course_id")).to_pylist() if v)
        lo, hi = micros_range(t.column("time"))
        if lo is not None:
            self.time_min = utc(lo) if self.time_min is None else min(self.time_min, utc(lo))
            self.time_max = utc(hi) if self.time_max is None else max(self.time_max, utc(hi))

    def add_rejects(self, rejects: pa.Table, stats: dict) -> None:
        for e in rejects.column("error").to_pylist():
            self.rejects[reject_kind(e)] += 1
        if stats.get("rejects_dropped"):
            self.rejects["(not kept: over --max-rejects)"] += stats["rejects_dropped"]
        self.reader = dict(stats)

    def days(self) -> list[str]:
        """Every day from the first to the last, so that missing days are listed too."""
        real = sorted({d for c in self.coverage.values() for d in c if d != NO_DATE})
        out = []
        if real:
            d, last = dt.date.fromisoformat(real[0]), dt.date.fromisoformat(real[-1])
            while d <= last:
                out.append(d.isoformat())
                d += dt.timedelta(days=1)
        if any(NO_DATE in c for c in self.coverage.values()):
            out.append(NO_DATE)
        return out

    def servers(self) -> list[str]:
        return sorted(self.coverage)

    def to_json(self, top: int) -> dict:
        return {
            "reader": self.reader,
            "time_min": self.time_min.isoformat() if self.time_min else None,
            "time_max": self.time_max.isoformat() if self.time_max else None,
            "distinct_users": len(self.users),
            "distinct_courses": len(self.courses),
            "members_per_server": {s: len(self.members[s]) for s in self.servers()},
            "coverage": {s: {d: self.coverage[s].get(d, 0) for d in self.days()} for s in self.servers()},
            "missing": [[s, d] for s in self.servers() for d in self.days() if not self.coverage[s].get(d)],
            "rows_by_event_source": dict(self.event_sources.most_common()),
            "top_event_types": dict(self.event_types.most_common(top)),
            "rejects_by_kind": dict(self.rejects.most_common()),
            "warnings_by_kind": dict(self.warnings.most_common()),
        }


def _short(text, n=60) -> str:
    text = "(null)" if text is None else str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def render(st: Stats, top: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 120, markup=False, highlight=False)
    r = st.reader
    console.print(f"lines {r.get('lines', 0):,} = rows {r.get('rows', 0):,} + rejects {r.get('rejects', 0):,}"
                  f" + blank {r.get('blank', 0):,}; {r.get('members', 0):,} members;"
                  f" {r.get('bytes_out', 0) / 1e6:,.1f} MB of JSON")
    if st.time_min:
        console.print(f"time {st.time_min:%Y-%m-%d %H:%M:%S} → {st.time_max:%Y-%m-%d %H:%M:%S} UTC;"
                      f" {len(st.users):,} distinct users, {len(st.courses):,} distinct courses")
    servers, days = st.servers(), st.days()
    console.print("\nrows per server and UTC day (· = none)")
    cov = Table()
    cov.add_column("day")
    for s in servers:
        cov.add_column(_short(s, 24), justify="right")
    for label, group in _day_rows(st, servers, days):
        d = group[0]
        cov.add_row(label, *[f"{st.coverage[s][d]:,}" if st.coverage[s].get(d) else "·" for s in servers])
    cov.add_row("members", *[f"{len(st.members[s]):,}" for s in servers], end_section=True)
    console.print(cov)
    missing = [(s, d) for s in servers for d in days if d != NO_DATE and not st.coverage[s].get(d)]
    if missing:
        console.print(f"missing: {len(missing)} server-days, e.g. " + ", ".join(f"{s} {d}" for s, d in missing[:5]))
    for title, counter, limit in (("rows by event_source", st.event_sources, None),
                                  (f"top {top} event types", st.event_types, top),
                                  ("rejects by kind", st.rejects, None),
                                  ("warnings by kind", st.warnings, None)):
        console.print(f"\n{title}")
        table = Table()
        table.add_column("value")
        table.add_column("rows", justify="right")
        for k, v in counter.most_common(limit):
            table.add_row(_short(k), f"{v:,}")
        if not counter:
            table.add_row("(none)", "0")
        console.print(table)


def _day_rows(st: Stats, servers: list[str], days: list[str]):
    """One row per day, but a run of 3+ days without any row is one line (the gap is the news)."""
    i = 0
    while i < len(days):
        j = i
        while j < len(days) and days[j] != NO_DATE and not any(st.coverage[s].get(days[j]) for s in servers):
            j += 1
        if j - i >= 3:
            yield f"{days[i]} … {days[j - 1]} ({j - i} days)", days[i:j]
            i = j
        else:
            yield days[i], [days[i]]
            i += 1


_SIZE = re.compile(r"^(\d+)x(\d+)$")


def default_plot_size(servers: int, days: int) -> tuple[int, int]:
    """Pixels: wide enough for the days, tall enough for the servers."""
    width = min(3000, max(800, 200 + 14 * days))
    height = min(2000, max(300, 160 + 36 * servers))
    return width, height


def plot(st: Stats, path: str, size: Optional[tuple[int, int]]) -> tuple[int, int]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.colors import LogNorm, Normalize
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        raise click.UsageError("--plot needs matplotlib: pip install 'edxlog[plot]'") from None
    import numpy as np

    servers = st.servers()
    days = [d for d in st.days() if d != NO_DATE]
    width, height = size or default_plot_size(len(servers), len(days))
    data = np.array([[st.coverage[s].get(d, 0) for d in days] for s in servers], dtype=float)
    masked = np.ma.masked_equal(data, 0)
    dpi = 100
    fig, ax = plt.subplots(figsize=(width / dpi, height / dpi), dpi=dpi)
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad("#e8e8e8")  # a day without rows is light grey: holes stand out
    if masked.count():
        lo, hi = float(masked.min()), float(masked.max())
        # A log scale when the counts span orders of magnitude (busy and quiet days both show).
        log = hi / max(lo, 1) >= 20
        norm = LogNorm(vmin=max(1, lo), vmax=hi) if log else Normalize(vmin=0, vmax=max(hi, 1))
        im = ax.imshow(masked, aspect="auto", cmap=cmap, interpolation="nearest", norm=norm)
        bar = fig.colorbar(im, ax=ax, label="rows" + (" (log scale)" if log else ""), pad=0.01, fraction=0.04)
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        bar.ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    else:
        ax.imshow(np.zeros((max(1, len(servers)), max(1, len(days)))), aspect="auto", cmap="Greys")
    ax.set_yticks(range(len(servers)))
    ax.set_yticklabels([_short(s, 28) for s in servers], fontsize=8)
    step = max(1, len(days) // 20)
    ax.set_xticks(range(0, len(days), step))
    ax.set_xticklabels(days[::step], rotation=45, ha="right", fontsize=8)
    missing = int((data == 0).sum()) if data.size else 0
    ax.set_title(f"rows per server and UTC day — {len(days)} days × {len(servers)} servers,"
                 f" {missing} empty (grey)", fontsize=10)
    fig.subplots_adjust(left=min(0.3, 150 / width), right=1 - min(0.2, 60 / width),
                        bottom=min(0.45, 90 / height), top=1 - min(0.2, 30 / height))
    fig.savefig(path, dpi=dpi, format="png")
    plt.close(fig)
    return width, height


def _size(ctx, param, value):
    if value is None:
        return None
    m = _SIZE.match(value)
    if not m or not (50 <= int(m[1]) <= 10000 and 50 <= int(m[2]) <= 10000):
        raise click.BadParameter("give WIDTHxHEIGHT in pixels, 50 to 10000 each (e.g. 1200x400)")
    return int(m[1]), int(m[2])


@click.command(context_settings=dict(help_option_names=["-h", "--help"], max_content_width=100), epilog="""\b
Examples:
  edxlog stats course-data/tracking-logs-2014.tar.gz
  edxlog stats export.tar.gz --plot coverage.png          # server x day heatmap of rows
  edxlog stats logs/ --json | jq .missing                  # server-days without rows
""")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, writable=True), metavar="FILE.png",
              help="Draw the server x day coverage as a PNG heatmap (needs the `plot` extra).")
@click.option("--plot-size", callback=_size, metavar="WxH",
              help="Picture size in pixels (default: from the number of days and servers).")
@click.option("--top", type=click.IntRange(min=1), default=15, show_default=True, help="Event types listed.")
@click.option("--threads", type=click.IntRange(min=1), help="Parse threads (default: the machine's cores).")
@click.option("--on-error", type=click.Choice(["skip", "raise"]), default="skip", show_default=True)
def stats(inputs, as_json, plot_path, plot_size, top, threads, on_error):
    """Summarise tracking logs: coverage per server and day, event sources and types, rejects and
    warnings by kind, time range, distinct users and courses."""
    import edxlog

    if plot_path:  # fail before the pass, not after it
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise click.UsageError("--plot needs matplotlib: pip install 'edxlog[plot]'") from None
    from edxlog.cli.progress import optional as progress_bar

    st = Stats()
    total = sum(os.stat(p).st_size for p in inputs if p != "-" and os.path.isfile(p))
    source = inputs[0] if len(inputs) == 1 else list(inputs)
    with progress_bar(total, as_json, "reading") as bar, \
            edxlog.read(source, columns=COLUMNS, threads=threads, on_error=on_error) as reader:
        for batch in reader:
            st.add(batch)
            bar.update(reader.stats["bytes_in"], reader.stats["rows"])
        st.add_rejects(reader.rejects(), reader.stats)
    if as_json:
        click.echo(json.dumps(st.to_json(top), indent=1, ensure_ascii=False))
    else:
        render(st, top)
    if plot_path:
        w, h = plot(st, plot_path, plot_size)
        click.echo(f"coverage heatmap: {plot_path} ({w}x{h})", err=as_json)
