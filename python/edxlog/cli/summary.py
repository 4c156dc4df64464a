"""The end-of-run summary of `edxlog convert`: counted as batches pass, printed or saved as JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc

_STAT_KEYS = ("lines", "rows", "rejects", "blank", "filtered", "members", "bytes_in", "bytes_out", "rejects_dropped")
_NUMBER = re.compile(r"(?<![\w-])\d+(?![\w-])")


def warning_kind(text: str) -> str:
    """Warnings carry details (``prefix stripped: 93 bytes``); their kind drops the numbers."""
    return _NUMBER.sub("N", text)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def micros_range(times) -> tuple:
    """(min, max) of a timestamp[us] column as integers. (A tz-aware scalar's ``as_py()`` would
    import pandas, ~0.3 s per process.)"""
    mm = pc.min_max(times.cast(pa.int64()))
    return mm["min"].as_py(), mm["max"].as_py()


def utc(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)


@dataclass
class Summary:
    command: str = "convert"
    inputs: list = field(default_factory=list)
    output: str = ""
    output_format: str = ""
    partition_by: list = field(default_factory=list)
    reader: dict = field(default_factory=lambda: {k: 0 for k in _STAT_KEYS})
    members: dict = field(default_factory=lambda: Counter())
    member_notes: list = field(default_factory=list)  # ("changed", name, detail) ...
    filtered_rows: int = 0  # rows dropped by --event-type globs, --since/--until, --course
    duplicates: int = 0  # rows dropped by --dedupe
    rows_written: int = 0
    files_written: list = field(default_factory=list)
    files_retired: list = field(default_factory=list)
    rejects_file: Optional[str] = None
    warnings: Counter = field(default_factory=Counter)
    time_min: Optional[dt.datetime] = None
    time_max: Optional[dt.datetime] = None
    elapsed: float = 0.0
    committed: bool = False
    nothing_to_do: bool = False

    def add_reader_stats(self, stats: dict) -> None:
        for k, v in stats.items():  # every counter the reader has, summed over the inputs
            self.reader[k] = self.reader.get(k, 0) + v

    def add_rows(self, table: pa.Table) -> None:
        """Count the rows about to be written (warnings by kind, time range)."""
        self.rows_written += table.num_rows
        if table.num_rows == 0:
            return
        if "warnings" in table.column_names:
            flat = pc.list_flatten(table.column("warnings"))
            if len(flat):
                for item in pc.value_counts(flat).to_pylist():
                    self.warnings[warning_kind(item["values"])] += item["counts"]
        if "time" in table.column_names:
            lo, hi = micros_range(table.column("time"))
            if lo is not None:
                self.time_min = utc(lo) if self.time_min is None else min(self.time_min, utc(lo))
                self.time_max = utc(hi) if self.time_max is None else max(self.time_max, utc(hi))

    # -- derived figures --

    @property
    def lines(self) -> int:
        return self.reader["lines"]

    @property
    def rejects(self) -> int:
        return self.reader["rejects"]

    @property
    def filtered(self) -> int:
        return self.reader["filtered"] + self.filtered_rows

    @property
    def mb_per_s(self) -> float:
        return self.reader["bytes_out"] / 1e6 / self.elapsed if self.elapsed > 0 else 0.0

    def reject_rate(self) -> float:
        return self.rejects / self.lines if self.lines else 0.0

    def to_json(self) -> dict:
        return {
            "command": self.command,
            "inputs": self.inputs,
            "output": self.output,
            "format": self.output_format,
            "partition_by": self.partition_by,
            "members": dict(self.members),
            "member_notes": [list(n) for n in self.member_notes],
            "lines": self.lines,
            "rows": self.rows_written,
            "rejects": self.rejects,
            "blank": self.reader["blank"],
            "filtered": self.filtered,
            "duplicates": self.duplicates,
            "reader": dict(self.reader),
            "rows_written": self.rows_written,
            "files_written": self.files_written,
            "files_retired": self.files_retired,
            "rejects_file": self.rejects_file,
            "warnings": dict(self.warnings.most_common()),
            "time_min": self.time_min.isoformat() if self.time_min else None,
            "time_max": self.time_max.isoformat() if self.time_max else None,
            "elapsed_s": round(self.elapsed, 3),
            "mb_per_s": round(self.mb_per_s, 1),
            "committed": self.committed,
            "nothing_to_do": self.nothing_to_do,
        }

    def write_json(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.to_json(), f, indent=1)
            f.write("\n")

    def render(self) -> str:
        """Plain text, a few aligned lines (same on a terminal and in a log file)."""
        n = "{:,}".format
        out = [f"edxlog convert → {self.output} ({self.output_format}"
               + (f", partitioned by {', '.join(self.partition_by)}" if self.partition_by else "") + ")"]
        m = self.members
        if self.output_format == "dataset":
            parts = [f"{n(m.get('converted', 0))} converted", f"{n(m.get('present', 0))} already present"]
            for k in ("duplicate", "changed", "replaced"):
                if m.get(k):
                    parts.append(f"{n(m[k])} {k}")
            out.append("  members    " + ", ".join(parts))
            for kind, name, detail in self.member_notes[:10]:
                out.append(f"    {kind}: {name}" + (f" ({detail})" if detail else ""))
            if len(self.member_notes) > 10:
                out.append(f"    ... and {len(self.member_notes) - 10} more (see --json-summary)")
        else:
            out.append(f"  members    {n(self.reader['members'])}")
        if self.nothing_to_do:
            out.append("  nothing to do: every input member is already in the dataset; no file written")
            return "\n".join(out)
        out.append(f"  lines      {n(self.lines)} = rows {n(self.rows_written)} + rejects {n(self.rejects)}"
                   f" + blank {n(self.reader['blank'])} + filtered {n(self.filtered)}"
                   + (f" + duplicates {n(self.duplicates)}" if self.duplicates else ""))
        if self.reader["rejects_dropped"]:
            out.append(f"  rejects    {n(self.reader['rejects_dropped'])} counted but not kept (over --max-rejects)")
        if self.warnings:
            top = self.warnings.most_common(6)
            out.append("  warnings   " + "; ".join(f"{k} ×{n(v)}" for k, v in top)
                       + (f"; {len(self.warnings) - 6} more kinds" if len(self.warnings) > 6 else ""))
        if self.time_min:
            out.append(f"  time       {self.time_min:%Y-%m-%d %H:%M:%S} → {self.time_max:%Y-%m-%d %H:%M:%S} UTC")
        wrote = f"  written    {n(len(self.files_written))} file(s)" if self.committed else "  written    nothing (not committed)"
        if self.files_retired:
            wrote += f", {n(len(self.files_retired))} retired"
        out.append(wrote)
        if self.rejects_file:
            out.append(f"  rejects    {self.rejects_file}")
        out.append(f"  elapsed    {self.elapsed:.2f} s, {self.mb_per_s:.1f} MB/s"
                   f" ({self.reader['bytes_out'] / 1e6:.1f} MB of JSON, {self.reader['bytes_in'] / 1e6:.1f} MB read)")
        return "\n".join(out)
