"""Rows -> one Arrow RecordBatch, column by column in schema order (src/columns/builder.rs)."""

from __future__ import annotations

import pyarrow as pa


def rows_to_batch(rows, schema: pa.Schema) -> pa.RecordBatch:
    """``rows`` are tuples of values in the order of ``schema``'s fields."""
    columns = list(zip(*rows))
    return pa.RecordBatch.from_arrays(
        [_to_array(list(values), field.type) for values, field in zip(columns, schema)],
        schema=schema,
    )


def _to_array(values, arrow_type) -> pa.Array:
    if pa.types.is_dictionary(arrow_type):
        # A dictionary-encoded column (event_source / event_type may be): build the values,
        # then encode them with the schema's index type.
        array = pa.array(values, type=arrow_type.value_type).dictionary_encode()
        return array.cast(arrow_type) if array.type != arrow_type else array
    return pa.array(values, type=arrow_type)
