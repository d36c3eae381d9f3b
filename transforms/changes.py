"""What changed since the previous published snapshot (pure: the previous ``models`` table and row counts in, the
``changes`` rows out): models added and removed, openness changes with the evidence that now decides, rank moves
in the LMArena top 20, and row-count changes per table. A change beyond its threshold is flagged
(``beyond_threshold``); the ``changes`` suite turns a flag into a warning naming the change.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from opengap.contracts import PROVENANCE

RANK_SWING = 5  # places moved in the LMArena text top 20
ROW_SWING = 0.25  # share of a table's rows gained or lost
OPENNESS_SWING = 0.05  # share of models whose tier changed (each change is flagged when more changed than this)
TOP = 20


def _model_row(kind: str, row: Any, before: Any, after: Any, detail: str, beyond: bool) -> dict[str, Any]:
    return {
        "kind": kind,
        "subject": row["canonical_key"],
        "before": None if before is None or pd.isna(before) else str(before),
        "after": None if after is None or pd.isna(after) else str(after),
        "detail": detail,
        "beyond_threshold": beyond,
        **{c: row[c] for c in PROVENANCE},
    }


def model_changes(previous: pd.DataFrame, current: pd.DataFrame) -> list[dict[str, Any]]:
    """Added, removed, openness and top-20 rank changes between two ``models`` tables."""
    before, after = previous.set_index("canonical_key"), current.set_index("canonical_key")
    rows = []
    for key in sorted(set(after.index) - set(before.index)):
        row = after.loc[key]
        rows.append(_model_row("model_added", {**row, "canonical_key": key}, None, row["openness_tier"], "", False))
    for key in sorted(set(before.index) - set(after.index)):
        row = before.loc[key]
        rows.append(_model_row("model_removed", {**row, "canonical_key": key}, row["openness_tier"], None, "", False))
    common = sorted(set(before.index) & set(after.index))
    changed = [k for k in common if before.loc[k, "openness_tier"] != after.loc[k, "openness_tier"]]
    swing = len(changed) > OPENNESS_SWING * max(len(common), 1)
    for key in changed:
        row = {**after.loc[key], "canonical_key": key}
        rows.append(
            _model_row(
                "openness_changed",
                row,
                before.loc[key, "openness_tier"],
                after.loc[key, "openness_tier"],
                f"decided by {after.loc[key, 'openness_source']}: {after.loc[key, 'openness_evidence']}",
                swing,
            )
        )
    rank = "lmarena_text_rank"
    for key in common:
        old, new = before.loc[key, rank], after.loc[key, rank]
        in_top = (pd.notna(old) and old <= TOP) or (pd.notna(new) and new <= TOP)
        if in_top and not (pd.notna(old) and pd.notna(new) and old == new):
            moved = abs(old - new) if pd.notna(old) and pd.notna(new) else TOP
            row = {**after.loc[key], "canonical_key": key}
            rows.append(_model_row("rank_moved", row, old, new, f"LMArena text rank, top {TOP}", moved >= RANK_SWING))
    return rows


def count_changes(previous: dict[str, Any], current: dict[str, int], path: str, sha256: str) -> list[dict[str, Any]]:
    """Row-count changes per table against the previous manifest (``path``, whose bytes hash to ``sha256``)."""
    tables, rows = previous["tables"], []
    for table in sorted(set(tables) | set(current)):
        old, new = tables.get(table, {}).get("rows"), current.get(table)
        if old == new:
            continue
        beyond = old is None or new is None or abs(new - old) > ROW_SWING * max(old, 1)
        rows.append(
            {
                "kind": "row_count",
                "subject": table,
                "before": None if old is None else str(old),
                "after": None if new is None else str(new),
                "detail": f"{(new or 0) - (old or 0):+d} rows",
                "beyond_threshold": beyond,
                "source": "manifest",
                "source_url": path,
                "retrieved_at": pd.Timestamp(previous["created_at"]),
                "raw_sha256": sha256,
            }
        )
    return rows
