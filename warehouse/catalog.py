"""The DuckDB catalog BI tools open: one view per table over every published snapshot, plus ``<table>_latest``.

Views list the Parquet files of committed snapshots (those with a manifest) explicitly, so a half-finished
publish is never visible. The file is rebuilt aside and swapped in with one rename.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from warehouse.layout import Layout


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def build_catalog(layout: Layout, latest_date: str | None) -> Path:
    """Write the catalog for every manifest under ``layout`` and atomically replace the old one."""
    manifests = [json.loads(p.read_text()) for p in sorted(layout.manifests_dir.glob("*.json"))]
    files: dict[str, list[str]] = {}
    for manifest in manifests:
        for table, info in manifest["tables"].items():
            files.setdefault(table, []).append(str(layout.root / info["path"]))
    layout.catalog_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = layout.catalog_path.with_name(f".{layout.catalog_path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for table, paths in sorted(files.items()):
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_sql_list(sorted(paths))}, "
                "hive_partitioning = true)"
            )
            if latest_date:
                con.execute(
                    f"CREATE VIEW {table}_latest AS SELECT * FROM {table} WHERE snapshot_date = DATE '{latest_date}'"
                )
        con.execute(
            "CREATE TABLE snapshots (snapshot_date DATE, run_id VARCHAR, mode VARCHAR, created_at TIMESTAMPTZ, "
            "code_version VARCHAR, validation_success BOOLEAN, warnings INTEGER, is_latest BOOLEAN)"
        )
        for m in manifests:
            con.execute(
                "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    m["snapshot_date"],
                    m["run_id"],
                    m["mode"],
                    m["created_at"],
                    m["code_version"],
                    m["validation"]["success"],
                    len(m["validation"]["warnings"]),
                    m["snapshot_date"] == latest_date,
                ],
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, layout.catalog_path)
    return layout.catalog_path
