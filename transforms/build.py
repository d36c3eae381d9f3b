"""From parsed source rows to the tables one snapshot publishes (pure: same inputs, same tables)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from extractors import epoch as epoch_source
from opengap.errors import OpengapError
from transforms.leaderboards import as_of, build_models, tag_epoch, tag_scores
from transforms.marts import open_closed_gap
from warehouse.schemas import EPOCH_MODELS, LEADERBOARD_SCORES, MODELS, OPEN_CLOSED_GAP


def build_snapshot(parsed: dict[str, pa.Table], snapshot_date: dt.date) -> dict[str, pa.Table]:
    """Tables for ``snapshot_date`` from each source's parsed rows (keys: source names)."""
    tables: dict[str, pa.Table] = {}
    epoch_rows = parsed.get("epoch")
    epoch = (epoch_rows if epoch_rows is not None else epoch_source.SCHEMA.empty_table()).to_pandas()
    if epoch_rows is not None:
        tables[EPOCH_MODELS.name] = EPOCH_MODELS.to_arrow(tag_epoch(epoch))
    if "lmarena" in parsed:
        rows = parsed["lmarena"].to_pandas()
        history = rows[rows["leaderboard_publish_date"] <= snapshot_date]
        snapshot = as_of(history, snapshot_date)
        if snapshot.empty:
            raise OpengapError(
                f"no LMArena leaderboard was published on or before {snapshot_date} in the stored raw files; "
                "choose a later --date, or backfill from the full split"
            )
        models = build_models(history, snapshot, epoch)
        scores = tag_scores(snapshot, models)
        tables[MODELS.name] = MODELS.to_arrow(models)
        tables[LEADERBOARD_SCORES.name] = LEADERBOARD_SCORES.to_arrow(scores)
        tables[OPEN_CLOSED_GAP.name] = OPEN_CLOSED_GAP.to_arrow(open_closed_gap(scores, snapshot_date))
    return tables


def concat(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
