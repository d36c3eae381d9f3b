"""The other sources' rows, tagged with a model key and the openness the evidence decides."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from transforms import openness
from transforms.identity import Judge, Judged
from transforms.models import model_key, org_key

AA_BOARD = "artificial_analysis"
AA_CATEGORY = "intelligence_index"


def _tag(rows: pd.DataFrame, judged: list[Judged]) -> pd.DataFrame:
    return rows.assign(
        canonical_key=[j.canonical_key for j in judged],
        openness_tier=[j.verdict.tier for j in judged],
        openness=[j.verdict.openness for j in judged],
        openness_source=[j.verdict.source for j in judged],
        openness_evidence=[j.verdict.summary for j in judged],
        openness_rule_version=openness.rule_version(),
    )


def intelligence_rank(aa: pd.DataFrame) -> pd.Series:
    """Rank by the intelligence index (1 = best; ties share the best rank; no index, no rank)."""
    return aa["intelligence_index"].rank(method="min", ascending=False).astype("Int64")


def tag_aa(aa: pd.DataFrame, judge: Judge) -> pd.DataFrame:
    """Artificial Analysis rows: one model per base name (reasoning-effort variants share its key)."""
    rows = aa.assign(
        model_key=aa["base_name"].map(model_key),
        org_key=aa["creator_name"].map(org_key),
        intelligence_rank=intelligence_rank(aa),
    )
    judged = [
        judge.judge(
            "artificial_analysis",
            row["model_key"],
            row["base_name"],
            row,
            hint=None if pd.isna(row["is_open_weights"]) else bool(row["is_open_weights"]),
            rank=None if pd.isna(row["intelligence_rank"]) else int(row["intelligence_rank"]),
        )
        for _, row in rows.iterrows()
    ]
    return _tag(rows, judged)


def tag_openrouter(catalogue: pd.DataFrame, judge: Judge) -> pd.DataFrame:
    """OpenRouter models: a non-empty hugging_face_id is evidence of open weights; its absence is not evidence.
    Linked by the id's model part (``meta-llama/llama-3.3-70b-instruct:free`` → ``llama-3.3-70b-instruct``)."""
    names = catalogue["base_model_id"].str.split("/", n=1).str[-1]
    rows = catalogue.assign(
        model_key=names.map(model_key), org_key=catalogue["model_id"].str.lstrip("~").str.split("/").str[0].map(org_key)
    )
    judged = [
        judge.judge(
            "openrouter",
            row["model_key"],
            name,
            row,
            hub_repo=row["hugging_face_id"] if isinstance(row["hugging_face_id"], str) else None,
        )
        for name, (_, row) in zip(names, rows.iterrows(), strict=True)
    ]
    return _tag(rows, judged)


def tag_open_llm_leaderboard(board: pd.DataFrame, judge: Judge) -> pd.DataFrame:
    """Every row is a Hub repo (open weights); its Hub licence decides the tier when it is a known licence."""
    rows = board.assign(model_key=board["fullname"].map(model_key))
    judged = [
        judge.judge(
            "open_llm_leaderboard",
            row["model_key"],
            row["fullname"],
            row,
            hub_repo=row["fullname"],
            licence_raw="",
            link=False,
        )
        for _, row in rows.iterrows()
    ]
    return _tag(rows, judged)


def aa_as_board(aa_tagged: pd.DataFrame, retrieved: str) -> pd.DataFrame:
    """Artificial Analysis' intelligence index shaped like a leaderboard, for the open–closed gap mart. It has no
    publication date, so the retrieval date stands in for it."""
    ranked = aa_tagged[aa_tagged["intelligence_rank"].notna()]
    return pd.DataFrame(
        {
            "board": AA_BOARD,
            "category": AA_CATEGORY,
            "leaderboard_publish_date": dt.date.fromisoformat(retrieved[:10]),
            "model_name": ranked["name"],
            "model_key": ranked["model_key"],
            "rating": ranked["intelligence_index"],
            "rating_lower": None,
            "rating_upper": None,
            "rank": ranked["intelligence_rank"].astype(int),
            "openness": ranked["openness"],
            **{c: ranked[c] for c in ("source", "source_url", "retrieved_at", "raw_sha256")},
        }
    )
