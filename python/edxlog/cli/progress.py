"""A progress bar on a terminal (rich), nothing elsewhere.

Shown only when stdout is a terminal and not ``--quiet``, on stderr, so it never mixes with
output a script parses. Updates are throttled by rich's own refresh rate.
"""

from __future__ import annotations

import sys

class Progress:
    def __init__(self, total_bytes: int, enabled: bool, label: str = "converting"):
        self._bar = None
        self._task = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, Progress as RichProgress, TextColumn,
                                   TimeRemainingColumn, TransferSpeedColumn)

        self._bar = RichProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[rows]:>12,} rows"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(label, total=max(total_bytes, 1), rows=0)

    @staticmethod
    def wanted(quiet: bool) -> bool:
        return not quiet and sys.stdout.isatty()

    def update(self, bytes_done: int, rows: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=bytes_done, rows=rows)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def optional(total: int, quiet: bool, label: str = "converting") -> Progress:
    return Progress(total, Progress.wanted(quiet), label)

