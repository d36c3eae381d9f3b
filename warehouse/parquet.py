"""Parquet writing with fixed options, so the same rows always give the same bytes."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

WRITE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1 << 20,
}


def parquet_bytes(table: pa.Table, key: tuple[str, ...]) -> bytes:
    """``table`` sorted by its key (stable) as Parquet, with schema metadata stripped of anything run-dependent."""
    ordered = table.sort_by([(k, "ascending") for k in key]) if table.num_rows else table
    ordered = ordered.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    pq.write_table(ordered, sink, **WRITE_OPTIONS)
    return sink.getvalue().to_pybytes()


def read_parquet_bytes(content: bytes) -> pa.Table:
    return pq.read_table(io.BytesIO(content))
