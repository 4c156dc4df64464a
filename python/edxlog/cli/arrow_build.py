"""Small Arrow arrays built straight from buffers.

Converting Python objects (``pa.array([...])``, ``pa.scalar(...)``) makes pyarrow import pandas
(~0.3 s of CPU per process, a tenth of converting a 100 MB export). The CLI's few constants are
built from buffers instead, so a run never pays that.
"""

from __future__ import annotations

import datetime as dt
import struct
from array import array
from typing import Sequence

import pyarrow as pa


def strings(values: Sequence[str]) -> pa.Array:
    """A string array of `values`."""
    data = [v.encode("utf-8", "surrogatepass") for v in values]
    offsets = array("i", [0])
    for d in data:
        offsets.append(offsets[-1] + len(d))
    return pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(offsets.tobytes()),
                                                          pa.py_buffer(b"".join(data))])


def repeated_string(value: str, n: int) -> pa.Array:
    """`value` n times (one copy of the bytes: every row points at it)."""
    raw = value.encode("utf-8", "surrogatepass")
    # row i spans [offsets[i], offsets[i+1]): the bytes are repeated (values are short: a server)
    offsets = array("i", range(0, len(raw) * (n + 1), len(raw))) if raw else array("i", [0]) * (n + 1)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(raw * n)])


def booleans(values: Sequence[bool]) -> pa.Array:
    as_bytes = pa.Array.from_buffers(pa.uint8(), len(values), [None, pa.py_buffer(bytes(values))])
    return as_bytes.cast(pa.bool_())


def utc_timestamp(t: dt.datetime) -> pa.Scalar:
    """A ``timestamp[us, tz=UTC]`` scalar."""
    micros = (t - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)
    arr = pa.Array.from_buffers(pa.timestamp("us", "UTC"), 1, [None, pa.py_buffer(struct.pack("<q", micros))])
    return arr[0]
