"""The other sources' rows, tagged with a model key and the openness the evidence decides."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from extractors.base import PROVENANCE
from transforms.identity import Judge, Link
from transforms.models import model_key, org_key

AA_BOARD = "artificial_analysis"
AA_CATEGORY = "intelligence_index"


def intelligence_rank(aa: pd.DataFrame) -> pd.Series:
    """Rank by the intelligence index (1 = best; ties share the best rank; no index, no rank)."""
    return aa["intelligence_index"].rank(method="min", ascending=False).astype("Int64")


def _records(rows: pd.DataFrame, columns: list[str]) -> list[dict]:
    return rows[list(dict.fromkeys([*columns, *PROVENANCE]))].to_dict("records")


def link_aa(aa: pd.DataFrame, judge: Judge) -> pd.DataFrame:
    """Artificial Analysis rows: one model per base name (reasoning-effort variants share its key)."""
    rows = aa.assign(
        model_key=aa["base_name"].map(model_key),
        org_key=aa["creator_name"].map(org_key),
        intelligence_rank=intelligence_rank(aa),
    )
    links = [
        judge.link(
            "artificial_analysis",
            row["model_key"],
            row["base_name"],
            row,
            hint=None if pd.isna(row["is_open_weights"]) else bool(row["is_open_weights"]),
        )
        for row in _records(rows, ["model_key", "base_name", "is_open_weights"])
    ]
    return _with_links(rows, links)


def link_openrouter(catalogue: pd.DataFrame, judge: Judge) -> pd.DataFrame:
    """OpenRouter models: a non-empty hugging_face_id is evidence of open weights; its absence is not evidence.
    Linked by the id's model part (``meta-llama/llama-3.3-70b-instruct:free`` → ``llama-3.3-70b-instruct``)."""
    names = catalogue["base_model_id"].str.split("/", n=1).str[-1]
    vendors = catalogue["model_id"].str.lstrip("~").str.split("/").str[0]
    rows = catalogue.assign(
        model_key=names.map(model_key), vendor=vendors, org_key=vendors.map(org_key), link_name=names
    )
    links = [
        None  # a router (openrouter/free) is no model: it keeps its own key and links to nothing
        if row["is_router"]
        else judge.link(
            "openrouter",
            row["model_key"],
            row["link_name"],
            row,
            hub_repo=row["hugging_face_id"] if isinstance(row["hugging_face_id"], str) else None,
        )
        for row in _records(rows, ["model_key", "link_name", "hugging_face_id", "is_router"])
    ]
    return _with_links(rows, links)


def link_open_llm_leaderboard(board: pd.DataFrame, judge: Judge) -> pd.DataFrame:
    """Every row is a Hub repo (open weights); its Hub licence decides the tier when it is a known licence."""
    rows = board.assign(model_key=board["fullname"].map(model_key))
    links = [
        judge.link(
            "open_llm_leaderboard",
            row["model_key"],
            row["fullname"],
            row,
            hub_repo=row["fullname"],
            licence_raw="",
            use_registry=False,
        )
        for row in _records(rows, ["model_key", "fullname"])
    ]
    return _with_links(rows, links)


def _with_links(rows: pd.DataFrame, links: list[Link | None]) -> pd.DataFrame:
    keys = zip(rows["model_key"], links, strict=True)
    return rows.assign(
        canonical_key=[key if link is None else link.canonical_key for key, link in keys],
        hf_repo=[None if link is None else link.hub_repo for link in links],
        epoch_model=[None if link is None else link.epoch_model for link in links],
    )


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
            **{c: ranked[c] for c in PROVENANCE},
        }
    )
