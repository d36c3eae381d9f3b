"""LMArena rows for one snapshot date, with identities and openness attached."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from extractors import lmarena
from extractors.base import PROVENANCE
from transforms import openness
from transforms.identity import Judge
from transforms.models import model_key, org_key


class LeaderboardHistory:
    """Every published leaderboard of a source, indexed once so that cutting it to any date is cheap.

    A backfill cuts the same ~1.2M-row ``full`` split to hundreds of dates; the groups of rows per published
    leaderboard and the per-model metadata timeline are computed here once, not once per date.
    """

    GROUP = ("board", "category", "leaderboard_publish_date")

    def __init__(self, rows: pd.DataFrame) -> None:
        # The latest and full splits repeat the same published rows; a date folder may hold both.
        self.rows = rows.drop_duplicates(list(lmarena.KEY)).reset_index(drop=True)
        self._groups = self.rows.groupby(list(self.GROUP), sort=False).indices
        self._published = pd.DataFrame(list(self._groups), columns=list(self.GROUP))
        # Licence and organization per model and date (identical across categories): a small timeline.
        self._metadata = (
            self.rows[["model_name", "leaderboard_publish_date", "license", "organization"]]
            .drop_duplicates()
            .sort_values("leaderboard_publish_date", kind="stable")
        )

    def __len__(self) -> int:
        return len(self.rows)

    def publish_dates(self) -> list[dt.date]:
        return sorted(set(self._published["leaderboard_publish_date"]))

    def as_of(self, snapshot_date: dt.date) -> pd.DataFrame:
        """Per board and category, the newest leaderboard published on or before ``snapshot_date``."""
        known = self._published[self._published["leaderboard_publish_date"] <= snapshot_date]
        if known.empty:
            return self.rows.iloc[0:0]
        newest = known.loc[known.groupby(["board", "category"])["leaderboard_publish_date"].idxmax()]
        positions = np.sort(np.concatenate([self._groups[tuple(key)] for key in newest.itertuples(index=False)]))
        return self.rows.take(positions).reset_index(drop=True)

    def latest_non_empty(self, column: str, snapshot_date: dt.date) -> pd.Series:
        """Per model, the newest non-empty ``column`` published on or before the date: LMArena blanks licences
        for a while (FORMATS.md §9), so the last known value stands until a new one is published."""
        known = self._metadata[self._metadata["leaderboard_publish_date"] <= snapshot_date].dropna(subset=[column])
        return known.groupby("model_name")[column].last()


def as_of(rows: pd.DataFrame, snapshot_date: dt.date) -> pd.DataFrame:
    """What was knowable on ``snapshot_date``: per board and category, the newest leaderboard published on or
    before that date. Works on both splits: ``latest`` already holds one date per category, ``full`` many."""
    return LeaderboardHistory(rows).as_of(snapshot_date)


def link_models(
    history: LeaderboardHistory, snapshot: pd.DataFrame, licences: pd.Series, judge: Judge, snapshot_date: dt.date
) -> pd.DataFrame:
    """One row per model name on the snapshot's leaderboards, linked to its canonical model (``judge`` pools
    its claims). ``licences`` and the organizations are each model's newest non-empty values known on the
    snapshot date (``LeaderboardHistory.latest_non_empty``)."""
    orgs = history.latest_non_empty("organization", snapshot_date)
    overall = snapshot[(snapshot["board"] == "text") & (snapshot["category"] == "overall")]
    best_rank = overall.groupby("model_name")["rank"].min()
    first_rows = snapshot.sort_values(["model_name", "board", "category"], kind="stable").drop_duplicates("model_name")
    records = []
    for row in first_rows[["model_name", *PROVENANCE]].to_dict("records"):
        name = row["model_name"]
        licence_raw = licences.get(name)
        link = judge.link("lmarena", model_key(name), name, row, licence_raw=licence_raw or "")
        organization = orgs.get(name)
        records.append(
            {
                "model_key": model_key(name),
                "canonical_key": link.canonical_key,
                "model_name": name,
                "organization": organization,
                "org_key": org_key(organization),
                "license_raw": licence_raw,
                "license_id": openness.licence(licence_raw).license_id,
                "text_rank": best_rank.get(name),
                "hf_repo": link.hub_repo,
                "epoch_model": link.epoch_model,
                **{c: row[c] for c in PROVENANCE},
            }
        )
    return pd.DataFrame.from_records(records).sort_values("model_key", kind="stable").reset_index(drop=True)


def tag_scores(snapshot: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """Leaderboard rows with the model's keys, organization key, licence id and openness decision."""
    cols = [
        "model_name",
        "model_key",
        "canonical_key",
        "org_key",
        "license_id",
        "openness_tier",
        "openness",
        "openness_source",
        "openness_rule_version",
    ]
    tagged = snapshot.merge(models[cols], on="model_name", how="left", validate="many_to_one")
    return tagged.sort_values(
        ["board", "category", "leaderboard_publish_date", "rank", "model_name"], kind="stable"
    ).reset_index(drop=True)


def tag_by_licence(rows: pd.DataFrame) -> pd.DataFrame:
    """The row-level tag (licence → tier → open/closed) for when a row alone must decide, as in `opengap parse`."""
    infos = rows["license"].map(openness.licence)
    tiers = infos.map(lambda i: i.tier)
    return rows.assign(
        license_id=infos.map(lambda i: i.license_id),
        openness_tier=tiers,
        openness=tiers.map(openness.openness_of),
        openness_source=tiers.map(lambda t: openness.BY_NOTHING if t == openness.UNKNOWN else openness.BY_LICENCE),
        openness_rule_version=openness.rule_version(),
    )


def link_epoch(epoch: pd.DataFrame, judge: Judge) -> pd.DataFrame:
    """Epoch registry rows with their model key, linked to their canonical model (their accessibility and any
    override join its pool of evidence)."""
    keys = epoch["model"].map(model_key)
    links = [
        judge.link("epoch", key, row["model"], row, licence_raw="")
        for key, row in zip(keys, epoch[["model", *PROVENANCE]].to_dict("records"), strict=True)
    ]
    return (
        epoch.assign(model_key=keys, canonical_key=[link.canonical_key for link in links])
        .sort_values(["epoch_dataset", "model"], kind="stable")
        .reset_index(drop=True)
    )
