"""The ``models`` dimension: one row per canonical model across every source of a snapshot.

Each source contributes what it knows best; where several know the same attribute, the first source in that
attribute's order below wins (a registry's release date over a catalogue's listing date, say). The row's display
name and provenance come from the first source in ``NAME_ORDER`` that names the model.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from extractors.base import PROVENANCE
from transforms import openness
from transforms.identity import Judge
from transforms.models import org_key
from warehouse.schemas import MODEL_SOURCES as SOURCES

NAME_ORDER = ("epoch", "artificial_analysis", "openrouter", "lmarena", "open_llm_leaderboard")
ORG_ORDER = ("artificial_analysis", "lmarena", "openrouter", "epoch", "open_llm_leaderboard")
RELEASE_ORDER = ("epoch", "artificial_analysis", "openrouter")
PARAMETER_ORDER = ("epoch", "open_llm_leaderboard")
LICENCE_ORDER = ("lmarena", "open_llm_leaderboard")  # the licence text a leaderboard states
ATTRIBUTES = ["model_name", "organization", "org_key", "release_date", "parameters", "hf_repo", "license_raw"]


def _members(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every source's rows in one shape: canonical_key, member (the source), the attributes each knows (the
    others are null), and provenance."""
    parts = []
    for source, rows in tables.items():
        if rows is None or rows.empty:
            continue
        if source == "lmarena":
            part = rows.assign(lmarena_text_rank=rows["text_rank"])
        elif source == "artificial_analysis":
            part = rows.assign(
                model_name=rows["base_name"],
                organization=rows["creator_name"],
                aa_intelligence_rank=rows["intelligence_rank"],
            )
        elif source == "openrouter":
            rows = rows[~rows["is_router"]]  # openrouter/free, openrouter/auto: routers, not models
            part = rows.assign(
                model_name=rows["name"].str.split(": ", n=1).str[-1],  # "OpenAI: GPT-4o" -> "GPT-4o"
                organization=rows["vendor"],
                release_date=rows["created"].dt.date,
            )
        elif source == "epoch":
            # A model in both registry files: its notable row first, as the Judge links it (epoch_index)
            rows = rows.sort_values("epoch_dataset", key=lambda d: d.ne("notable"), kind="stable")
            part = rows.assign(
                model_name=rows["model"],
                # "Google DeepMind,Google": several organizations in one field have no single key
                org_key=[org_key(o) if isinstance(o, str) and "," not in o else None for o in rows["organization"]],
                release_date=rows["publication_date"],
                epoch_accessibility=rows["model_accessibility"],
                epoch_model=rows["model"],
            )
        else:  # open_llm_leaderboard: every row is a Hub repo
            part = rows.assign(
                model_name=rows["fullname"],
                organization=rows["fullname"].str.split("/").str[0],
                parameters=rows["params_b"] * 1e9,
                license_raw=rows["hub_license"],
            )
        parts.append(part.assign(member=source))
    columns = [
        "canonical_key",
        "member",
        *ATTRIBUTES,
        "epoch_model",
        "epoch_accessibility",
        "lmarena_text_rank",
        "aa_intelligence_rank",
        *PROVENANCE,
    ]
    return pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)


def _first_by(members: pd.DataFrame, column: str, order: tuple[str, ...]) -> pd.Series:
    """Per canonical key, the first non-null ``column`` among the sources in ``order``."""
    ranked = members[members["member"].isin(order) & members[column].notna()]
    ranked = ranked.assign(_order=ranked["member"].map(order.index)).sort_values(
        ["canonical_key", "_order"], kind="stable"
    )
    # object dtype: a column no source filled must stay null, not become a float NaN column (date32 rejects it)
    return ranked.drop_duplicates("canonical_key").set_index("canonical_key")[column].astype(object)


def build_dimension(tables: Mapping[str, pd.DataFrame], judge: Judge) -> pd.DataFrame:
    """One row per canonical key named by any of ``tables`` (keys: source names; values: the linked rows)."""
    members = _members(tables)
    first = (
        members.assign(_order=members["member"].map(NAME_ORDER.index))
        .sort_values(["canonical_key", "_order"], kind="stable")
        .drop_duplicates("canonical_key")
        .set_index("canonical_key")
    )
    models = first[["model_name", *PROVENANCE]].copy()
    for column, order in (
        ("organization", ORG_ORDER),
        ("org_key", ORG_ORDER),
        ("release_date", RELEASE_ORDER),
        ("parameters", PARAMETER_ORDER),
        ("hf_repo", SOURCES),
        ("license_raw", LICENCE_ORDER),
        ("epoch_model", ("epoch",)),
        ("epoch_accessibility", ("epoch",)),
    ):
        models[column] = _first_by(members, column, order)
    models["lmarena_text_rank"] = members.groupby("canonical_key")["lmarena_text_rank"].min()
    models["aa_intelligence_rank"] = members.groupby("canonical_key")["aa_intelligence_rank"].min()
    present = pd.crosstab(members["canonical_key"], members["member"]).reindex(columns=list(SOURCES), fill_value=0)
    for source in SOURCES:
        models[f"in_{source}"] = present[source].gt(0)
    models["n_sources"] = present.gt(0).sum(axis=1)
    models["license_id"] = models["license_raw"].map(lambda raw: openness.licence(raw).license_id)
    models = models.rename_axis("canonical_key").reset_index()
    return judge.tag(models).sort_values("canonical_key", kind="stable").reset_index(drop=True)
