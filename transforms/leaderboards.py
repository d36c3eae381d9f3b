"""LMArena rows for one snapshot date, with identities and openness attached."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from transforms import openness
from transforms.models import epoch_index, link_to_epoch, model_key, org_key

PROVENANCE = ["source", "source_url", "retrieved_at", "raw_sha256"]


def as_of(rows: pd.DataFrame, snapshot_date: dt.date) -> pd.DataFrame:
    """What was knowable on ``snapshot_date``: per board and category, the newest leaderboard published on or
    before that date. Works on both splits: ``latest`` already holds one date per category, ``full`` many."""
    known = rows[rows["leaderboard_publish_date"] <= snapshot_date]
    newest = known.groupby(["board", "category"])["leaderboard_publish_date"].transform("max")
    return known[known["leaderboard_publish_date"] == newest].reset_index(drop=True)


def _latest_non_empty(rows: pd.DataFrame, column: str) -> pd.Series:
    """Per model, the newest non-empty value of ``column``: LMArena blanks licences for a while (FORMATS §9)."""
    filled = rows.dropna(subset=[column]).sort_values("leaderboard_publish_date", kind="stable")
    return filled.groupby("model_name")[column].last()


def build_models(history: pd.DataFrame, snapshot: pd.DataFrame, epoch: pd.DataFrame) -> pd.DataFrame:
    """One row per model on the snapshot's leaderboards: identity, Epoch link and the openness decision.

    ``history`` is every row known on the snapshot date (for the newest non-empty licence/organization);
    ``snapshot`` the as-of rows whose models are described.
    """
    licences = _latest_non_empty(history, "license")
    orgs = _latest_non_empty(history, "organization")
    index = epoch_index(epoch)
    first_rows = snapshot.sort_values(["model_name", "board", "category"], kind="stable").drop_duplicates("model_name")
    records = []
    for _, row in first_rows.iterrows():
        name = row["model_name"]
        key = model_key(name)
        epoch_row, how = link_to_epoch("lmarena", name, index)
        accessibility = None if epoch_row is None else epoch_row["model_accessibility"]
        licence_raw = licences.get(name)
        decision = openness.decide(key, epoch_accessibility=accessibility, licence_raw=licence_raw)
        organization = orgs.get(name)
        records.append(
            {
                "model_key": key,
                "model_name": name,
                "organization": organization,
                "org_key": org_key(organization),
                "license_raw": licence_raw,
                "license_id": openness.licence(licence_raw).license_id,
                "epoch_model": None if epoch_row is None else epoch_row["model"],
                "epoch_match": how,
                "epoch_accessibility": accessibility,
                "openness_tier": decision.tier,
                "openness": decision.openness,
                "openness_source": decision.source,
                "openness_evidence": decision.evidence,
                "openness_rule_version": openness.rule_version(),
                **{c: row[c] for c in PROVENANCE},
            }
        )
    models = pd.DataFrame.from_records(records)
    return models.sort_values("model_key", kind="stable").drop_duplicates("model_key").reset_index(drop=True)


def tag_scores(snapshot: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """Leaderboard rows with the model's key, organization key, licence id and openness decision."""
    cols = [
        "model_name",
        "model_key",
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


def tag_epoch(epoch: pd.DataFrame) -> pd.DataFrame:
    """Epoch registry rows with their model key and the tier their accessibility (or an override) gives."""
    keys = epoch["model"].map(model_key)
    decisions = [
        openness.decide(k, epoch_accessibility=a, licence_raw=None)
        for k, a in zip(keys, epoch["model_accessibility"], strict=True)
    ]
    return (
        epoch.assign(
            model_key=keys,
            openness_tier=[d.tier for d in decisions],
            openness=[d.openness for d in decisions],
            openness_source=[d.source for d in decisions],
            openness_rule_version=openness.rule_version(),
        )
        .sort_values(["epoch_dataset", "model"], kind="stable")
        .reset_index(drop=True)
    )
