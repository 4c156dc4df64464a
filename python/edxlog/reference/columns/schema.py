"""The output schema: ``edxlog.SCHEMA`` (defined once, in the Rust core: src/columns/schema.rs),
narrowed and ordered by ``columns=``.
"""

from __future__ import annotations

import pyarrow as pa


def edxlog_schema() -> pa.Schema:
    # Imported when first needed: edxlog's __init__ loads the compiled core.
    from edxlog import SCHEMA

    return SCHEMA


def selected_schema(columns) -> pa.Schema:
    """The schema of the columns asked for (all of them when ``columns`` is None)."""
    schema = edxlog_schema()
    if columns is None:
        return schema
    if isinstance(columns, str):
        raise TypeError("columns must be a list of column names, not a string")
    columns = list(columns)
    unknown = [c for c in columns if c not in schema.names]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; the columns are {schema.names}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"columns lists a name more than once: {columns}")
    # Choice: the columns come back in the order they were asked for.
    return pa.schema([schema.field(c) for c in columns], metadata=schema.metadata)
