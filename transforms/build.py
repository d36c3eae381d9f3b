"""From parsed source rows to the tables one snapshot publishes (pure: same inputs, same tables)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
import pyarrow as pa

from extractors import epoch as epoch_source
from opengap.errors import OpengapError
from transforms.dimension import build_dimension
from transforms.identity import Judge
from transforms.leaderboards import LeaderboardHistory, link_epoch, link_models, tag_scores
from transforms.marts import open_closed_gap
from transforms.models import match_key
from transforms.sources import AA_CATEGORY, aa_as_board, link_aa, link_open_llm_leaderboard, link_openrouter
from warehouse.schemas import (
    AA_MODELS,
    EPOCH_MODELS,
    LEADERBOARD_SCORES,
    MODEL_IDENTITIES,
    MODELS,
    OPEN_CLOSED_GAP,
    OPEN_LLM_LEADERBOARD,
    OPENNESS_CONFLICTS,
    OPENNESS_EVIDENCE,
    OPENROUTER_MODELS,
    UNMATCHED_NAMES,
)

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


def current_state(rows: pd.DataFrame, snapshot_date: dt.date, raw_date: str | None) -> pd.DataFrame | None:
    """Sources that only serve their current state (Artificial Analysis, OpenRouter) count for a snapshot only
    when retrieved on or before its date; a backfill of an earlier date leaves them out rather than guess."""
    return rows if raw_date is None or raw_date <= snapshot_date.isoformat() else None


def build_snapshot(
    parsed: Mapping[str, pd.DataFrame | pa.Table | LeaderboardHistory],
    snapshot_date: dt.date,
    raw_dates: Mapping[str, str] | None = None,
) -> dict[str, pa.Table]:
    """Tables for ``snapshot_date`` from each source's parsed rows (keys: source names). ``raw_dates`` says
    when each source's raw files were retrieved, which decides what each source may contribute (as of)."""
    raw_dates = raw_dates or {}
    frames = {k: v if isinstance(v, LeaderboardHistory) else prepare(k, _frame(v)) for k, v in parsed.items()}
    tables: dict[str, pa.Table] = {}
    epoch = None
    if "epoch" in frames:
        epoch = epoch_as_of(frames["epoch"], snapshot_date, raw_dates.get("epoch"))
    aa, openrouter = (
        current_state(frames[s], snapshot_date, raw_dates.get(s)) if s in frames else None
        for s in ("artificial_analysis", "openrouter")
    )
    oll = frames.get("open_llm_leaderboard")
    if oll is not None:  # retired: what had been submitted by the snapshot date (nothing before mid-2024)
        oll = oll[oll["submission_date"].isna() | (oll["submission_date"] <= snapshot_date)]
        oll = oll if len(oll) else None

    history = frames.get("lmarena")
    snapshot = None
    known = pd.Series(dtype=object)  # LMArena licence per model name, newest non-empty on the snapshot date
    if history is not None:
        snapshot = history.as_of(snapshot_date)
        if snapshot.empty:
            raise OpengapError(
                f"no LMArena leaderboard was published on or before {snapshot_date} in the stored raw files; "
                "choose a later --date, or backfill from the full split"
            )
        known = history.latest_non_empty("license", snapshot_date)
    judge = Judge(
        epoch if epoch is not None else epoch_source.SCHEMA.empty_table().to_pandas(),
        openrouter=openrouter,
        open_llm_leaderboard=oll,
        lmarena_licences={match_key(name): value for name, value in known.items()},
    )
    # Phase 1: link every source's rows, pooling their claims per model. Phase 2 (judge.tag): weigh each pool.
    linked: dict[str, pd.DataFrame] = {}
    if snapshot is not None:
        linked["lmarena"] = link_models(history, snapshot, known, judge, snapshot_date)
    if aa is not None:
        linked["artificial_analysis"] = link_aa(aa, judge)
    if openrouter is not None:
        linked["openrouter"] = link_openrouter(openrouter, judge)
    if oll is not None:
        linked["open_llm_leaderboard"] = link_open_llm_leaderboard(oll, judge)
    if epoch is not None:
        linked["epoch"] = link_epoch(epoch, judge)
    tagged = {source: judge.tag(rows) for source, rows in linked.items()}

    gaps = []
    if snapshot is not None:
        scores = tag_scores(snapshot, tagged["lmarena"])
        tables[LEADERBOARD_SCORES.name] = LEADERBOARD_SCORES.to_arrow(scores)
        gaps.append(open_closed_gap(scores, snapshot_date))
    for source, spec in (
        ("epoch", EPOCH_MODELS),
        ("artificial_analysis", AA_MODELS),
        ("openrouter", OPENROUTER_MODELS),
        ("open_llm_leaderboard", OPEN_LLM_LEADERBOARD),
    ):
        if source in tagged:
            tables[spec.name] = spec.to_arrow(tagged[source])
    if aa is not None:
        retrieved = raw_dates.get("artificial_analysis", snapshot_date.isoformat())
        gaps.append(open_closed_gap(aa_as_board(tagged["artificial_analysis"], retrieved), snapshot_date, AA_CATEGORY))
    if gaps:
        tables[OPEN_CLOSED_GAP.name] = OPEN_CLOSED_GAP.to_arrow(pd.concat(gaps, ignore_index=True))
    if linked:
        tables[MODELS.name] = MODELS.to_arrow(build_dimension(tagged, judge))
        trail = judge.frames(_ranks(tagged))
        for spec in (OPENNESS_EVIDENCE, OPENNESS_CONFLICTS, UNMATCHED_NAMES, MODEL_IDENTITIES):
            tables[spec.name] = spec.to_arrow(trail[spec.name])
    return tables


def _ranks(tagged: Mapping[str, pd.DataFrame]) -> dict[tuple[str, str], int]:
    """Each leaderboard name's best rank (LMArena text overall, Artificial Analysis intelligence index)."""
    ranks: dict[tuple[str, str], int] = {}
    for source, name_column, rank_column in (
        ("lmarena", "model_name", "text_rank"),
        ("artificial_analysis", "base_name", "intelligence_rank"),
    ):
        rows = tagged.get(source)
        if rows is not None:
            best = rows.dropna(subset=[rank_column]).groupby(name_column)[rank_column].min()
            ranks.update({(source, name): int(rank) for name, rank in best.items()})
    return ranks


def concat(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
