"""Funding by openness: every funding source's rows as one list of rounds, each with its company's stance on its
date, and the totals per year and stance (pure: same rows, same tables).

Rules, stated in the README and the tables' descriptions:
- **Stance at the date** (``data/companies.csv``, reviewed, dated): ``open`` from a company's first published
  open weights, ``closed`` while it has published none, ``mixed`` while it sells closed frontier models and also
  publishes open weights. A round counts for the stance its company had on the round's date; ``mixed`` is a
  stance of its own, never split; a company without a stance counts as ``unclassified``.
- **Amendments**: a Form D/A replaces the filing it names; only the latest of a chain counts.
- **One raise, two records**: a filing (Form D) of a company with a round announced (cited) within
  DUPLICATE_WINDOW_DAYS of it is the same raise: the announced round counts (its figure), the filing is kept
  with ``duplicate_of`` naming it.
- Amounts count in US dollars only where the record states them (a Form D always does; a cited round only when its
  source gives a dollar figure): no currency conversion of our own. Commitments paid over years count in full on
  the day they were announced, as the announcements (and CB Insights) count them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd

from opengap.contracts import PROVENANCE
from opengap.source import Source, column
from transforms.claims import FUNDING_USD, claims
from transforms.curated import file_sha256, read_rows

DUPLICATE_WINDOW_DAYS = 90
STANCES = ("open", "closed", "mixed")
UNCLASSIFIED = "unclassified"


@cache
@cache
def companies() -> pd.DataFrame:
    """The reviewed companies with their dated stances (one row per company and period), read once per process
    (a backfill builds many dates); callers derive new frames, never change this one."""
    rows = read_rows(
        "companies.csv", ("org_key", "name", "country", "stance", "effective_from", "reason", "source_url")
    )
    frame = pd.DataFrame(rows)
    bad = frame[~frame["stance"].isin(STANCES)]
    if not bad.empty:
        raise ValueError(f"companies.csv: stance {bad['stance'].iloc[0]!r} is not one of {', '.join(STANCES)}")
    frame["effective_from"] = pd.to_datetime(frame["effective_from"]).dt.date
    frame["effective_to"] = pd.to_datetime(frame["effective_to"].replace("", None)).dt.date
    return frame.sort_values(["org_key", "effective_from"], kind="stable").reset_index(drop=True)


def stance_on(registry: pd.DataFrame, org_key: str | None, day: dt.date) -> str:
    """The company's stance on ``day`` (``unclassified`` when the file gives none)."""
    periods = registry[registry["org_key"] == org_key]
    for period in periods.itertuples():
        if period.effective_from <= day and (pd.isna(period.effective_to) or day < period.effective_to):
            return str(period.stance)
    return UNCLASSIFIED


def funding_rounds(sources: Mapping[str, Source], on_date: Mapping[str, pd.DataFrame | None]) -> pd.DataFrame:
    """One row per round or filing of a tracked company, with its stance and whether it counts in the totals."""
    registry = companies()
    parts = []
    for name, source in sources.items():
        declared, rows = source.funding, on_date.get(name)
        if declared is None or rows is None or rows.empty:
            continue
        rows = rows[rows[declared.org_key].notna()]  # a filing of an entity no company claims
        part = pd.DataFrame(
            {
                "round_id": column(rows, declared.round_id).astype(str),
                "kind": declared.kind,
                "org_key": rows[declared.org_key],
                "dated_on": pd.to_datetime(rows[declared.dated]).dt.date,
                "amount_usd": rows[declared.amount_usd].astype("Int64"),
                "round_type": column(rows, declared.round_type).astype(str),
                "supersedes": rows[declared.supersedes] if declared.supersedes else None,
                "announced": declared.announced,
                **{c: rows[c] for c in PROVENANCE},
            }
        )
        parts.append(part.dropna(subset=["dated_on"]))
    if not parts:
        return pd.DataFrame()
    rounds = pd.concat(parts, ignore_index=True)
    amended = set(rounds["supersedes"].dropna())
    rounds["superseded"] = rounds["round_id"].isin(amended)
    rounds["duplicate_of"] = [_announced_twin(rounds, r) for r in rounds.itertuples()]
    rounds["counted"] = ~rounds["superseded"] & rounds["duplicate_of"].isna()
    rounds["year"] = [d.year for d in rounds["dated_on"]]
    rounds["stance"] = [stance_on(registry, o, d) for o, d in zip(rounds["org_key"], rounds["dated_on"], strict=True)]
    names = registry.drop_duplicates("org_key", keep="last").set_index("org_key")["name"]
    rounds["company"] = rounds["org_key"].map(names)
    rounds = rounds.drop(columns=["supersedes", "announced"])
    return rounds.sort_values(["dated_on", "org_key", "round_id"]).reset_index(drop=True)


def _announced_twin(rounds: pd.DataFrame, row: Any) -> str | None:
    """The announced round a filing describes again: same company, announced within the window of the filing."""
    if row.announced:
        return None
    announced = rounds[rounds["announced"] & (rounds["org_key"] == row.org_key)]
    gaps = [abs((d - row.dated_on).days) for d in announced["dated_on"]]
    close = [(gap, rid) for gap, rid in zip(gaps, announced["round_id"], strict=True) if gap <= DUPLICATE_WINDOW_DAYS]
    return min(close)[1] if close else None


def _newest(rows: pd.DataFrame) -> pd.Series:
    return rows.sort_values("retrieved_at", kind="stable")[list(PROVENANCE)].iloc[-1]


def by_openness_year(rounds: pd.DataFrame) -> pd.DataFrame:
    """Year x stance: US dollars raised, rounds, rounds with a dollar figure, companies (counted rounds only),
    with the provenance of the group's newest round."""
    grouped = rounds[rounds["counted"]].groupby(["year", "stance"], sort=True)
    out = pd.DataFrame(
        {
            "total_usd": grouped["amount_usd"].sum(min_count=1).astype("Int64"),
            "rounds": grouped.size(),
            "rounds_with_usd": grouped["amount_usd"].count(),
            "companies": grouped["org_key"].nunique(),
        }
    )
    return out.join(grouped.apply(_newest, include_groups=False)).reset_index()


def comparison(rounds: pd.DataFrame) -> pd.DataFrame:
    """The claims of ``data/claims.csv`` about funding by openness, next to the same sum over our rounds."""
    published = claims()
    published = published[published["measure"] == FUNDING_USD]
    counted = rounds[rounds["counted"]]
    out = []
    for claim in published.itertuples():
        start, end = claim.period_from, claim.period_to
        ours = counted[(counted["stance"] == claim.subject) & counted["dated_on"].between(start, end)]
        claimed = int(claim.claimed_value)
        total = int(ours["amount_usd"].sum()) if ours["amount_usd"].notna().any() else 0
        out.append(
            {
                "claim_id": claim.claim_id,
                "stance": claim.subject,
                "period_from": start,
                "period_to": end,
                "claimed_usd": claimed,
                "ours_usd": total,
                "difference_usd": total - claimed,
                "our_rounds": len(ours),
                "our_companies": ours["org_key"].nunique(),
                "our_companies_listed": ", ".join(sorted(ours["org_key"].unique())),
                "why_they_differ": claim.reason,
                "claim_source_url": claim.source_url,
                "claim_source_title": claim.source_title,
                "claim_quote": claim.quote,
            }
        )
    return pd.DataFrame(out)


def funding_tables(sources: Mapping[str, Source], on_date: Mapping[str, pd.DataFrame | None]) -> dict:
    """``companies``, ``funding_rounds``, ``funding_by_openness_year`` and ``funding_comparison`` (empty when no
    funding source is in the snapshot). The aggregates carry the provenance of their group's newest round."""
    rounds = funding_rounds(sources, on_date)
    if rounds.empty:
        return {}
    counted = rounds[rounds["counted"]]
    newest = _newest(counted if not counted.empty else rounds)
    registry = companies().assign(
        source="companies.csv",
        retrieved_at=newest["retrieved_at"],
        raw_sha256=file_sha256("companies.csv"),
    )
    return {
        "companies": registry,
        "funding_rounds": rounds,
        "funding_by_openness_year": by_openness_year(rounds),
        "funding_comparison": comparison(rounds).assign(**newest.to_dict()),
    }
