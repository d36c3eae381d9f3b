"""The DuckDB catalog BI tools open: one view per table over every published snapshot, plus ``<table>_latest``.

Views list the Parquet files of committed snapshots (those with a manifest) explicitly, so a half-finished
publish is never visible. The file is rebuilt aside and swapped in with one rename. For a remote data
directory the catalog is built in a local cache folder (DuckDB opens local files) and a copy is uploaded to
``<data>/catalog/opengap.duckdb``; its views read the remote files (DuckDB's httpfs for s3:// and gs://).

Any DuckDB from 1.0 opens it: the file is written in the v1.0.0 storage format (DuckDB's
``storage_compatibility_version``; BI drivers bundle DuckDB 1.x, which refuses newer files). The views name
local files relative to the data directory, so the folder can move: a reader sets ``file_search_path`` to it
(``connect`` does). ``catalog.sql`` beside the file holds the same views as plain SQL for any other tool.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from transforms.tables import table_specs
from warehouse.dictionary import comments
from warehouse.layout import Layout


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


STORAGE_VERSION = "v1.0.0"  # the oldest DuckDB storage format the file is written in (README: DuckDB >= 1.0)


def connect(layout: Layout, database: str | Path = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that can read the layout's storage: relative paths resolve in the data directory,
    fsspec filesystems are registered. A new database file is written in STORAGE_VERSION."""
    config = {} if read_only else {"storage_compatibility_version": STORAGE_VERSION}
    con = duckdb.connect(str(database), read_only=read_only, config=config)
    if layout.storage.is_local:
        con.execute("SET file_search_path = ?", [layout.storage.url])
    else:
        con.register_filesystem(layout.storage.fs)
    return con


# One row per board, category and leaderboard publish date: daily snapshots repeat a board until it changes, so
# averaging open_closed_gap over snapshots weighs a board by how long it stood. The newest snapshot's row stands.
GAP_HISTORY = """CREATE VIEW open_closed_gap_history AS
SELECT * EXCLUDE (restated), first_snapshot_date FROM (
    SELECT *, row_number() OVER board_dates AS restated,
           min(snapshot_date) OVER (PARTITION BY board, category, leaderboard_publish_date) AS first_snapshot_date
    FROM open_closed_gap
    WINDOW board_dates AS (PARTITION BY board, category, leaderboard_publish_date ORDER BY snapshot_date DESC)
) WHERE restated = 1;"""


# How far behind open models are, in months, Epoch AI's way (how long before the best open model a closed model of
# at least its quality existed), measured within one board, because LMArena ratings are relative to a board and
# drift upward between boards: on each headline board, the closed models rated at least the best open model's
# rating, and the earliest date any of them was first seen on the board, against the date the open model was first
# seen. First-seen dates come from the boards the catalog holds: when the closed model was on the oldest one, the
# lag is at least that (lower_bound). Leaderboards only (Artificial Analysis has no first-seen history here).
GAP_LAG = """CREATE VIEW open_closed_lag AS
WITH rows AS (
    SELECT DISTINCT s.board, s.category, s.leaderboard_publish_date, s.model_name, s.rating, s.openness
    FROM leaderboard_scores s
    JOIN open_closed_gap_history g USING (board, category, leaderboard_publish_date)
),
first_seen AS (
    SELECT board, category, model_name, min(leaderboard_publish_date) AS first_seen FROM rows GROUP BY ALL
),
history AS (SELECT board, category, min(leaderboard_publish_date) AS history_from FROM rows GROUP BY ALL),
best_open AS (
    SELECT board, category, leaderboard_publish_date, arg_max(model_name, rating) AS best_open_model,
           max(rating) AS best_open_rating
    FROM rows WHERE openness = 'open' GROUP BY ALL
)
SELECT o.board, o.category, o.leaderboard_publish_date, o.best_open_model, o.best_open_rating,
       fo.first_seen AS open_first_seen,
       first(c.model_name ORDER BY fc.first_seen, c.rating DESC, c.model_name) AS closed_model,
       min(fc.first_seen) AS closed_first_seen,
       greatest(date_diff('day', min(fc.first_seen), fo.first_seen), 0) / 30.4375 AS months_behind,
       min(fc.first_seen) = h.history_from AS lower_bound,
       h.history_from
FROM best_open o
JOIN first_seen fo ON fo.board = o.board AND fo.category = o.category AND fo.model_name = o.best_open_model
JOIN history h ON h.board = o.board AND h.category = o.category
LEFT JOIN rows c ON c.board = o.board AND c.category = o.category
    AND c.leaderboard_publish_date = o.leaderboard_publish_date AND c.openness = 'closed'
    AND c.rating >= o.best_open_rating
LEFT JOIN first_seen fc ON fc.board = c.board AND fc.category = c.category AND fc.model_name = c.model_name
GROUP BY o.board, o.category, o.leaderboard_publish_date, o.best_open_model, o.best_open_rating, fo.first_seen,
         h.history_from;"""


def has_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the catalog holds ``name`` (a table appears once a snapshot has published it)."""
    return con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0] > 0


def _location(layout: Layout, relative: str) -> str:
    """A table file as a view names it: relative to the data directory when local, else its URL."""
    return relative if layout.storage.is_local else layout.storage.uri(layout.path(relative))


def build_catalog(layout: Layout, manifests: list[dict[str, Any]], latest_date: str | None) -> Path:
    """Write the catalog for ``manifests`` and atomically replace the old one."""
    files: dict[str, list[str]] = {}
    for manifest in manifests:
        for table, info in manifest["tables"].items():
            files.setdefault(table, []).append(_location(layout, info["path"]))
    target = layout.catalog_path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    views = []
    for table, paths in sorted(files.items()):
        views.append(
            # union_by_name: a column added by a later schema version reads as null in older snapshots
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_sql_list(sorted(paths))}, "
            "hive_partitioning = true, union_by_name = true);"
        )
        if latest_date:
            views.append(
                f"CREATE VIEW {table}_latest AS SELECT * FROM {table} WHERE snapshot_date = DATE '{latest_date}';"
            )
    if "open_closed_gap" in files:
        views += [GAP_HISTORY, GAP_LAG]
    specs = table_specs()
    views += [c for table in sorted(files) if table in specs for c in comments(table, specs[table])]
    con = connect(layout, tmp)
    try:
        for statement in views:
            con.execute(statement)
        con.execute(
            "CREATE TABLE snapshots (snapshot_date DATE, run_id VARCHAR, mode VARCHAR, created_at TIMESTAMPTZ, "
            "code_version VARCHAR, validation_success BOOLEAN, warnings INTEGER, is_latest BOOLEAN)"
        )
        for m in sorted(manifests, key=lambda m: m["snapshot_date"]):
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
    os.replace(tmp, target)
    script = target.with_name("catalog.sql")
    header = "-- opengap views; run in DuckDB with the data directory as file_search_path (or working directory)\n"
    script.with_suffix(".tmp").write_text(header + "\n".join(views) + "\n", encoding="utf-8")
    os.replace(script.with_suffix(".tmp"), script)
    if not layout.storage.is_local:
        layout.storage.write_bytes(layout.path("catalog/opengap.duckdb"), target.read_bytes())
    return target
