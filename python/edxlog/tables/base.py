"""The shape every derived table shares, so one engine runner (DuckDB or Spark) serves them all.

A table is one relational definition: SQL over two views the runner registers first.

``events``
    The rows of an edxlog dataset or read (columns of :data:`edxlog.SCHEMA`, at least those a
    table lists in ``needs``), each ``event_id`` once (the first row of an id wins), plus:

    - ``course_key`` (string): ``edxlog.keys.course_key(course_id)``, the ``course-v1:`` form.

``block_keys``
    One row per distinct ``(block_id, course_id)`` where ``block_id`` is a non-null
    ``problem_id`` or ``video_id`` of ``events``: columns ``block_id``, ``course_id``,
    ``block_key`` (``edxlog.keys.block_key(block_id, course_id)``). Tables join it to give
    ``block_key`` columns; keys are computed once per distinct value, in Python, by the one
    implementation in :mod:`edxlog.keys`, never a second time in SQL.

A table's SQL may read other tables' results as views named after them (``depends``), e.g.
``video_segments`` reads ``video_viewings``. The dialect (``"duckdb"`` or ``"spark"``) is passed
so a definition can spell the few functions the two engines name differently; everything else
is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

Dialect = str  # "duckdb" | "spark"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # SQL type name both engines know: VARCHAR/STRING -> "string", "double", "bigint", "timestamp", "date", "boolean", or "array<string>"
    doc: str


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: Sequence[Column]
    #: columns of ``events`` the SQL reads (the runner reads only these from the input)
    needs: Sequence[str]
    #: ``event_type`` values the table reads; ``None`` for every event (pushdown when reading logs)
    event_types: Optional[Sequence[str]]
    #: SQL text (one SELECT, CTEs allowed) over ``events``, ``block_keys`` and ``depends``,
    #: whose result has exactly ``columns``, in order.
    sql: Callable[[Dialect, Mapping[str, Any]], str]
    #: other tables whose results this SQL reads as views of their name
    depends: Sequence[str] = ()
    #: parameters with defaults (``--session-gap`` and the like)
    params: Mapping[str, Any] = field(default_factory=dict)
