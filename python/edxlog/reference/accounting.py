"""Every line is counted: ``lines == rows + rejects + blank + filtered`` (src/accounting.rs).

The counters of ``reader.stats`` and the kept rejects of ``reader.rejects()`` (contract §1-§2:
a rejected line, or one reject for a corrupt member or archive).
"""

from __future__ import annotations

import pyarrow as pa

# Bytes of a rejected line kept in its reject's `raw` (`RAW_LIMIT`).
RAW_LIMIT = 4096
DEFAULT_MAX_REJECTS = 10_000

REJECT_SCHEMA = pa.schema(
    [("source", pa.string()), ("line", pa.int64()), ("error", pa.string()), ("raw", pa.binary())]
)


class Accounting:
    """The counts so far, and the first ``max_rejects`` rejects in full (later ones are only
    counted, in ``rejects_dropped``)."""

    def __init__(self, max_rejects=DEFAULT_MAX_REJECTS):
        self.stats = {
            "lines": 0, "rows": 0, "rejects": 0, "blank": 0, "filtered": 0,
            "members": 0, "bytes_in": 0, "bytes_out": 0, "rejects_dropped": 0,
        }
        self._max_rejects = max_rejects
        self._rejects = []

    def reject(self, source, line, error, raw):
        """Count one rejected line and keep it if there is room."""
        self.stats["rejects"] += 1
        self.keep_reject((source, line, error, raw))

    def keep_reject(self, reject):
        if len(self._rejects) < self._max_rejects:
            self._rejects.append(reject)
        else:
            self.stats["rejects_dropped"] += 1

    def rejects_table(self) -> pa.Table:
        """Every kept reject: source, line, error, raw."""
        columns = list(zip(*self._rejects)) if self._rejects else [[], [], [], []]
        return pa.Table.from_arrays(
            [pa.array(list(c), type=f.type) for c, f in zip(columns, REJECT_SCHEMA)],
            schema=REJECT_SCHEMA,
        )
