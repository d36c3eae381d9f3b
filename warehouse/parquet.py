"""Parquet writing with fixed options, so the same rows always give the same bytes."""

from __future__ import annotations

from pathlib import Path

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


def write_table(table: pa.Table, path: Path, key: tuple[str, ...]) -> None:
    """Write ``table`` sorted by its key (stable), with schema metadata stripped of anything run-dependent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = table.sort_by([(k, "ascending") for k in key]) if table.num_rows else table
    ordered = ordered.replace_schema_metadata(None)
    pq.write_table(ordered, path, **WRITE_OPTIONS)
