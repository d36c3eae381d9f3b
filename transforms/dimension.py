"""The ``models`` dimension: one row per canonical model across every source of a snapshot.

Each source declares what it knows (``SOURCE.models.attributes``: a column and a precedence number); where
several know the same attribute, the lowest number wins (a registry's release date over a catalogue's listing
date, say). The row's display name and provenance come from the source that wins ``model_name``. The Hub repo
follows the registry order (the model registry itself names none); ``org_key`` follows ``organization``; rank
columns take the best rank of any of the model's names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from opengap.contracts import EVIDENCE_FIELD, OPENNESS_FIELDS, PROVENANCE, PROVENANCE_FIELDS
from opengap.source import Source, column
from transforms import openness
from transforms.identity import EvidencePools, with_verdicts

BASE_FIELDS = [
    pa.field("canonical_key", pa.string(), nullable=False),  # the same model in every source
    pa.field("model_name", pa.string(), nullable=False),  # display name, from the source that knows it best
    pa.field("organization", pa.string()),
    pa.field("org_key", pa.string()),
    pa.field("release_date", pa.date32()),  # registry publication, else catalogue release or listing date
    pa.field("parameters", pa.float64()),  # where known
    pa.field("hf_repo", pa.string()),  # Hugging Face repo holding the weights, where one is known
    pa.field("license_raw", pa.string()),  # the licence a leaderboard states, else the Hub licence
    pa.field("license_id", pa.string(), nullable=False),
]
ATTRIBUTES = [f.name for f in BASE_FIELDS[1:-1]]


def model_sources(sources: Mapping[str, Source]) -> list[Source]:
    return [s for s in sources.values() if s.models is not None and s.table is not None]


def _declared_columns(members: list[Source]) -> tuple[list[pa.Field], list[pa.Field]]:
    """The columns sources add: each registry's own (its entry's name, accessibility) and each best rank."""
    own = [f for s in members if s.models.registry is not None for f in s.models.dimension_columns]
    ranks = [pa.field(s.models.rank[1], pa.int64()) for s in members if s.models.rank is not None]
    return own, ranks


def schema(sources: Mapping[str, Source]) -> pa.Schema:
    """The dimension's columns: the base attributes, each registry's own columns, each source's best rank,
    an ``in_<source>`` flag per source, openness and provenance (of the row that gave the display name)."""
    members = model_sources(sources)
    own, ranks = _declared_columns(members)
    flags = [pa.field(f"in_{s.name}", pa.bool_(), nullable=False) for s in members]
    return pa.schema(
        [
            *BASE_FIELDS,
            *own,
            *ranks,
            *flags,
            pa.field("n_sources", pa.int64(), nullable=False),
            *OPENNESS_FIELDS,
            # The date its weights were published, where a dated curated override decides the tier (null
            # otherwise: the sources say whether weights are out, not since when).
            pa.field("open_weights_since", pa.date32()),
            EVIDENCE_FIELD,
            *PROVENANCE_FIELDS,
        ]
    )


def _members(sources: Mapping[str, Source], tables: Mapping[str, pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Every source's linked rows in one shape: canonical_key, member (the source), each attribute it knows
    under its declared precedence as ``<attribute>`` and ``_<attribute>`` (the others are null), provenance."""
    parts = []
    hub_order = {s.name: i for i, s in enumerate(model_sources(sources))}
    for name, rows in tables.items():
        declared = sources[name].models
        if rows is None or rows.empty or declared is None:
            continue
        if declared.not_a_model:
            rows = rows[~rows[declared.not_a_model].astype(bool)]
        if declared.registry is not None:  # an entry in several files: its preferred file's row first
            preferred_column, preferred = declared.registry.preferred
            rows = rows.sort_values(preferred_column, key=lambda c: c.ne(preferred), kind="stable")
        values, precedence = {}, {}
        for attribute, (where, rank) in declared.attributes.items():
            values[attribute], precedence[f"_{attribute}"] = column(rows, where), rank
        if "organization" in declared.attributes and "org_key" in rows.columns:
            values["org_key"], precedence["_org_key"] = rows["org_key"], declared.attributes["organization"][1]
        if declared.registry is None:  # a registry entry names no repo (a name lookup found any it has)
            values["hf_repo"], precedence["_hf_repo"] = rows["hf_repo"], hub_order[name]
        if declared.rank is not None:
            values[declared.rank[1]] = rows[declared.rank[0]]
        part = pd.DataFrame(
            {"canonical_key": rows["canonical_key"], "member": name, **values, **{c: rows[c] for c in PROVENANCE}}
        ).assign(**precedence)
        parts.append(part)
    return pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)


def _winners(members: pd.DataFrame, codes: np.ndarray, attribute: str) -> np.ndarray:
    """Per model (``codes``: one per date and canonical key), the position of the row whose source knows
    ``attribute`` with the lowest precedence, the earliest row among equals. Integer sorts: a pandas sort on the
    text keys per attribute cost more than the rest of the dimension."""
    precedence = members[f"_{attribute}"].to_numpy(dtype=float, na_value=np.inf)
    usable = np.flatnonzero(members[attribute].notna().to_numpy() & np.isfinite(precedence))
    ranked = usable[np.lexsort((precedence[usable], codes[usable]))]  # stable: equal precedence keeps row order
    return ranked[np.diff(codes[ranked], prepend=-1) != 0]


def build_dimensions(
    sources: Mapping[str, Source],
    days: Mapping[dt.date, tuple[Mapping[str, pd.DataFrame], EvidencePools]],
) -> dict[dt.date, pd.DataFrame]:
    """Per date, one row per canonical key named by any of its tables (keys: source names; values: the linked
    rows), tagged by that date's pools of evidence. All the dates in one pass over their stacked rows: each step
    groups by (date, canonical key), as one date's dimension groups by canonical key."""
    members_of = model_sources(sources)
    own_fields, rank_fields = _declared_columns(members_of)
    own, ranks = [f.name for f in own_fields], [f.name for f in rank_fields]
    attributes = [*ATTRIBUTES, *own]
    columns = ["canonical_key", "member", *attributes, *ranks, *PROVENANCE, *[f"_{a}" for a in attributes]]
    dates = list(days)
    members = pd.concat(
        [_members(sources, tables, columns).assign(_day=i) for i, (tables, _) in enumerate(days.values())],
        ignore_index=True,
    )
    keys = pd.factorize(members["canonical_key"])[0]
    codes = members["_day"].to_numpy() * (int(keys.max(initial=0)) + 1) + keys  # one code per date and key
    first = _winners(members, codes, "model_name")  # a model's row: a source gave it a display name
    models = members.iloc[first][["_day", "canonical_key", "model_name", *PROVENANCE]].reset_index(drop=True)
    row_of = np.full(int(codes.max(initial=0)) + 1, -1)  # a model's row in ``models``, -1: no display name
    row_of[codes[first]] = np.arange(len(first))
    for attribute in attributes[1:]:
        winners = _winners(members, codes, attribute)
        rows = row_of[codes[winners]]
        # object dtype: a column no source filled must stay null, not become a float NaN column (date32 rejects it)
        values = np.full(len(models), None, dtype=object)
        values[rows[rows >= 0]] = members[attribute].to_numpy(dtype=object)[winners][rows >= 0]
        models[attribute] = values
    for rank in ranks:
        models[rank] = members.groupby(codes)[rank].min().reindex(codes[first]).array
    names = [s.name for s in members_of]
    for name in names:
        models[f"in_{name}"] = np.isin(codes[first], codes[members["member"].eq(name).to_numpy()])
    models["n_sources"] = models[[f"in_{name}" for name in names]].sum(axis=1)
    models["license_id"] = models["license_raw"].map(lambda raw: openness.licence(raw).license_id)
    pools = [pools for _, pools in days.values()]
    keyed = zip(models["_day"], models["canonical_key"], strict=True)
    models = with_verdicts(models, [pools[day].verdict(key) for day, key in keyed])
    models = models.sort_values(["_day", "canonical_key"], kind="stable")
    ends = np.searchsorted(models["_day"].to_numpy(), np.arange(len(dates)), side="right")
    return {day: models.iloc[start:end] for day, start, end in zip(dates, [0, *ends[:-1]], ends, strict=True)}
