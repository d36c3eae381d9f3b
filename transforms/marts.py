"""Marts: the answers users come for, computed from the tagged leaderboard rows.

``open_closed_gap`` reads boards in one shape: board, category, leaderboard_publish_date, model_name, model_key,
rating (higher is better), rating_lower/upper (a 95% interval, or null), rank, openness and provenance. A
leaderboard source's rows have it; a catalogue ranked by a score is put in it by ``catalogue_board``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from extractors import hub_scope
from opengap.contracts import PROVENANCE
from opengap.source import Source

GAP_KEY = ["board", "category", "leaderboard_publish_date"]


def _best(board: pd.DataFrame, openness: str) -> pd.Series | None:
    rows = board[board["openness"] == openness]
    return None if rows.empty else rows.sort_values(["rank", "rating"], ascending=[True, False], kind="stable").iloc[0]


def top(rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` highest-rated rows of one board: ties broken by votes (more first), then by model name. Not
    ``rank <= n``: LMArena ranks ties alike (rank = 1 + the number of models significantly better), so 11 or
    more rows can hold a rank of 10 or better."""
    votes = rows["vote_count"] if "vote_count" in rows.columns else pd.Series(0, index=rows.index)
    order = pd.DataFrame({"rating": rows["rating"], "votes": votes.fillna(0), "name": rows["model_name"]})
    ranked = order.sort_values(["rating", "votes", "name"], ascending=[False, False, True], kind="stable")
    return rows.loc[ranked.index[:n]]


def _count(rows: pd.DataFrame, value: str | None) -> int:
    return int((rows["openness"].isna() if value is None else rows["openness"].eq(value)).sum())


def open_closed_gap(scores: pd.DataFrame, snapshot_date: dt.date, category: str) -> pd.DataFrame:
    """Per board and leaderboard (in ``category``, e.g. LMArena's ``overall``): best open vs best closed
    model, their ratings and CIs, the rating gap (closed minus open; negative when open leads), the open
    models among the top 10 and 20 (see ``top``: count, size and share), the share of the top 20 whose
    openness is unknown, and the best open rank."""
    records = []
    headline = scores[scores["category"] == category]
    for (board, category, published), rows in headline.groupby(GAP_KEY, sort=True):
        best_open, best_closed = _best(rows, "open"), _best(rows, "closed")
        record = {
            "board": board,
            "category": category,
            "leaderboard_publish_date": published,
            "publish_age_days": (snapshot_date - published).days,
            "n_models": len(rows),
        }
        for side, best in (("open", best_open), ("closed", best_closed)):
            record[f"best_{side}_model"] = None if best is None else best["model_name"]
            record[f"best_{side}_model_key"] = None if best is None else best["model_key"]
            record[f"best_{side}_rank"] = None if best is None else int(best["rank"])
            for col in ("rating", "rating_lower", "rating_upper"):
                record[f"best_{side}_{col}"] = None if best is None else best[col]
        both = best_open is not None and best_closed is not None
        record["score_gap"] = best_closed["rating"] - best_open["rating"] if both else None
        # Overlapping 95% intervals: the leaderboard cannot tell the two apart. Null when a CI is missing.
        cis = both and pd.notna([best_open["rating_upper"], best_closed["rating_lower"]]).all()
        record["gap_within_ci"] = bool(best_open["rating_upper"] >= best_closed["rating_lower"]) if cis else None
        top20 = top(rows, 20)  # the top 10 is its first ten rows
        for n in (10, 20):
            head = top20.iloc[:n]
            record[f"open_in_top{n}"], record[f"top{n}_size"] = _count(head, "open"), len(head)
            record[f"open_share_top{n}"] = record[f"open_in_top{n}"] / len(head)
        top10 = top20.iloc[:10]
        record["open_top10_models"] = ", ".join(top10.loc[top10["openness"] == "open", "model_name"]) or None
        record["unknown_in_top10"] = _count(top10, None)
        record["unknown_share_top20"] = _count(top20, None) / len(top20)
        for col in PROVENANCE:
            record[col] = rows[col].iloc[0]
        records.append(record)
    return pd.DataFrame.from_records(records)


def catalogue_board(source: Source, tagged: pd.DataFrame, retrieved: str) -> pd.DataFrame:
    """A catalogue's ranking by its score shaped like a leaderboard (the board is the source's name). It has no
    publication date, so the retrieval date stands in for it."""
    assert source.models is not None and source.models.ranking is not None
    ranking = source.models.ranking
    ranked = tagged[tagged[ranking.rank_column].notna()]
    return pd.DataFrame(
        {
            "board": source.name,
            "category": ranking.category,
            "leaderboard_publish_date": dt.date.fromisoformat(retrieved[:10]),
            "model_name": ranked[ranking.display_name],
            "model_key": ranked["model_key"],
            "rating": ranked[ranking.score],
            "rating_lower": None,
            "rating_upper": None,
            "rank": ranked[ranking.rank_column].astype(int),
            "openness": ranked["openness"],
            **{c: ranked[c] for c in PROVENANCE},
        }
    )


def open_adoption(
    sources: Mapping[str, Source], tagged: Mapping[str, pd.DataFrame], by: str = "organization"
) -> pd.DataFrame:
    """Per organization (or per family, ``by="family"``): how many of its models the adoption sources list, and
    the sum of each measure (downloads, likes, derivatives by relation, pulls; see ``opengap.source.Adoption``).
    Provenance: the first row of the group in a source that names it (its listing)."""
    measuring = {n: s.models.adoption for n, s in sources.items() if s.models and s.models.adoption and n in tagged}
    named = {n: getattr(adoption, by) for n, adoption in measuring.items()}  # the column naming the group, if any
    group_of: dict[str, str] = {}
    if by == "organization":  # a source without organizations counts for the organization of the same model
        for name, column in named.items():
            if column:
                group_of.update(dict(zip(tagged[name]["canonical_key"], tagged[name][column], strict=True)))
    parts = []
    for name, adoption in measuring.items():
        rows = tagged[name]
        groups = rows[named[name]] if named[name] else rows["canonical_key"].map(group_of)
        part = rows[list(adoption.measures.values())].rename(columns={v: k for k, v in adoption.measures.items()})
        part = part.assign(**{by: groups}, canonical_key=rows["canonical_key"], _named=bool(named[name]))
        parts.append(pd.concat([part, rows[list(PROVENANCE)]], axis=1))
    if not parts:
        return pd.DataFrame()
    rows = pd.concat(parts, ignore_index=True).dropna(subset=[by])
    if rows.empty:
        return pd.DataFrame()
    measures = adoption_columns(sources)
    rows = rows.reindex(columns=[*rows.columns, *[c for c in measures if c not in rows.columns]])
    grouped = rows.groupby(by, sort=True)  # a source absent on this date leaves its measures null
    out = grouped[measures].sum(min_count=1).astype("Int64")
    out.insert(0, "models", grouped["canonical_key"].nunique())
    for share in adoption_columns(sources, shares=True):
        total = out[share].sum()
        out[f"share_of_{share}"] = (out[share] / total).astype(float) if total else None
    first = rows[rows["_named"]].sort_values(by, kind="stable").drop_duplicates(by)
    out = out.join(first.set_index(by)[list(PROVENANCE)])
    return out.reset_index()


def adoption_columns(sources: Mapping[str, Source], *, shares: bool = False) -> list[str]:
    """The measure columns the adoption sources declare (``shares``: those published as shares), in registry
    order."""
    columns: list[str] = []
    for source in sources.values():
        if source.models is not None and source.models.adoption is not None:
            adoption = source.models.adoption
            columns += [c for c in (adoption.shares if shares else adoption.measures) if c not in columns]
    return columns


UNSPECIFIED = "unspecified"  # a child whose tags name its base without a relation (before late 2024)


def hub_derivatives(sources: Mapping[str, Source], on_date: Mapping[str, pd.DataFrame | None]) -> pd.DataFrame:
    """Per base repo, relation and method: how many derivatives the Hub has. Each source declaring
    ``Derivatives`` gives its own count (the live ``childrenModelCount``, or its listed children counted by
    relation), side by side: where both exist their difference shows deleted repos and listings not yet walked."""
    parts = []
    for name, source in sources.items():
        declared, rows = source.derivatives, on_date.get(name)
        if declared is None or rows is None or rows.empty:
            continue
        if declared.counts:
            by_column = {column: relation for relation, column in declared.counts.items()}
            counted = rows.melt(
                id_vars=[declared.base, *PROVENANCE], value_vars=list(by_column), var_name="column", value_name="n"
            ).dropna(subset=["n"])
            counted = counted.assign(relation=counted["column"].map(by_column))
        else:
            children = rows.assign(relation=rows[declared.relation].fillna(UNSPECIFIED)).sort_values("retrieved_at")
            groups = children.groupby([declared.base, "relation"], sort=True)
            counted = groups[list(PROVENANCE)].last().assign(n=groups.size()).reset_index()
        parts.append(counted.rename(columns={declared.base: "base_repo"}).assign(method=declared.method))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True).rename(columns={"n": "derivatives"})
    out["family"] = out["base_repo"].map(hub_scope.family_of())
    out["derivatives"] = out["derivatives"].astype("int64")
    return out.sort_values(["base_repo", "relation", "method"], kind="stable").reset_index(drop=True)
