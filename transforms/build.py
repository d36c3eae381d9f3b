"""From parsed source rows to the tables one snapshot publishes (pure: same inputs, same tables)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
import pyarrow as pa

from extractors import epoch as epoch_source
from opengap.errors import OpengapError
from transforms.leaderboards import LeaderboardHistory, build_models, tag_epoch, tag_scores
from transforms.marts import open_closed_gap
from warehouse.schemas import EPOCH_MODELS, LEADERBOARD_SCORES, MODELS, OPEN_CLOSED_GAP

AS_RETRIEVED = "as_retrieved"
RECONSTRUCTED = "reconstructed"


def _frame(rows: pd.DataFrame | pa.Table) -> pd.DataFrame:
    return rows.to_pandas() if isinstance(rows, pa.Table) else rows


def epoch_as_of(epoch: pd.DataFrame, snapshot_date: dt.date, raw_date: str | None) -> pd.DataFrame:
    """The registry as knowable on ``snapshot_date``. A file retrieved on or before that date is taken as it
    is; a later file (a backfill) keeps only models published on or before the date and says so per row."""
    if raw_date is None or raw_date <= snapshot_date.isoformat():
        return epoch.assign(as_of_method=AS_RETRIEVED)
    published = epoch["publication_date"].notna() & (epoch["publication_date"] <= snapshot_date)
    return epoch[published].assign(as_of_method=RECONSTRUCTED)


def prepare(source: str, rows: pd.DataFrame) -> pd.DataFrame | LeaderboardHistory:
    """Index a source's parsed rows once for repeated snapshots (leaderboards: by published board)."""
    return LeaderboardHistory(rows) if source == "lmarena" else rows


def build_snapshot(
    parsed: Mapping[str, pd.DataFrame | pa.Table | LeaderboardHistory],
    snapshot_date: dt.date,
    raw_dates: Mapping[str, str] | None = None,
) -> dict[str, pa.Table]:
    """Tables for ``snapshot_date`` from each source's parsed rows (keys: source names). ``raw_dates`` says
    when each source's raw files were retrieved, which decides how the Epoch registry is cut (see above)."""
    raw_dates = raw_dates or {}
    tables: dict[str, pa.Table] = {}
    if "epoch" in parsed:
        epoch = epoch_as_of(_frame(parsed["epoch"]), snapshot_date, raw_dates.get("epoch"))
        tables[EPOCH_MODELS.name] = EPOCH_MODELS.to_arrow(tag_epoch(epoch))
    else:
        epoch = epoch_source.SCHEMA.empty_table().to_pandas()
    if "lmarena" in parsed:
        history = parsed["lmarena"]
        if not isinstance(history, LeaderboardHistory):
            history = LeaderboardHistory(_frame(history))
        snapshot = history.as_of(snapshot_date)
        if snapshot.empty:
            raise OpengapError(
                f"no LMArena leaderboard was published on or before {snapshot_date} in the stored raw files; "
                "choose a later --date, or backfill from the full split"
            )
        models = build_models(history, snapshot, epoch, snapshot_date)
        scores = tag_scores(snapshot, models)
        tables[MODELS.name] = MODELS.to_arrow(models)
        tables[LEADERBOARD_SCORES.name] = LEADERBOARD_SCORES.to_arrow(scores)
        tables[OPEN_CLOSED_GAP.name] = OPEN_CLOSED_GAP.to_arrow(open_closed_gap(scores, snapshot_date))
    return tables


def concat(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
