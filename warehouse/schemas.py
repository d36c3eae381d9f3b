"""Declared schemas and keys of every published table. Bump SCHEMA_VERSION on any incompatible change."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from extractors import epoch, lmarena
from extractors.base import PROVENANCE_FIELDS

SCHEMA_VERSION = 1

OPENNESS_FIELDS = [
    pa.field("openness_tier", pa.string(), nullable=False),
    pa.field("openness", pa.string()),  # open | closed | null (tier unknown)
    pa.field("openness_source", pa.string(), nullable=False),  # which evidence decided the tier
    pa.field("openness_rule_version", pa.string(), nullable=False),
]


def _fields(schema: pa.Schema, *, without: tuple[str, ...] = ()) -> list[pa.Field]:
    return [f for f in schema if f.name not in without and f.name not in {p.name for p in PROVENANCE_FIELDS}]


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    description: str

    def to_arrow(self, frame: pd.DataFrame) -> pa.Table:
        """Cast a DataFrame to the declared schema (column order included); a mismatch fails here."""
        missing = [n for n in self.schema.names if n not in frame.columns]
        if missing:
            raise ValueError(f"table {self.name} is missing column(s) {', '.join(missing)}")
        return pa.Table.from_pandas(frame[self.schema.names], schema=self.schema, preserve_index=False)


LEADERBOARD_SCORES = TableSpec(
    "leaderboard_scores",
    pa.schema(
        [
            *_fields(lmarena.SCHEMA),
            pa.field("model_key", pa.string(), nullable=False),
            pa.field("org_key", pa.string()),
            pa.field("license_id", pa.string(), nullable=False),
            *OPENNESS_FIELDS,
            *PROVENANCE_FIELDS,
        ]
    ),
    lmarena.KEY,
    "LMArena leaderboards known on the snapshot date (newest per board and category), every category.",
)

MODELS = TableSpec(
    "models",
    pa.schema(
        [
            pa.field("model_key", pa.string(), nullable=False),
            pa.field("model_name", pa.string(), nullable=False),
            pa.field("organization", pa.string()),
            pa.field("org_key", pa.string()),
            pa.field("license_raw", pa.string()),
            pa.field("license_id", pa.string(), nullable=False),
            pa.field("epoch_model", pa.string()),
            pa.field("epoch_match", pa.string(), nullable=False),  # alias | name | none
            pa.field("epoch_accessibility", pa.string()),
            *OPENNESS_FIELDS,
            pa.field("openness_evidence", pa.string(), nullable=False),
            *PROVENANCE_FIELDS,
        ]
    ),
    ("model_key",),
    "One row per model on the snapshot's leaderboards: identity, Epoch AI link, openness and its evidence.",
)

EPOCH_MODELS = TableSpec(
    "epoch_models",
    pa.schema(
        [
            *_fields(epoch.SCHEMA),
            pa.field("model_key", pa.string(), nullable=False),
            # as_retrieved: the registry file as fetched on or before the snapshot date; reconstructed: a later
            # file cut to the models published on or before the snapshot date (backfills).
            pa.field("as_of_method", pa.string(), nullable=False),
            *OPENNESS_FIELDS,
            *PROVENANCE_FIELDS,
        ]
    ),
    epoch.KEY,
    "Epoch AI model registry (notable and all models) with the tier its accessibility gives.",
)


def _side(side: str) -> list[pa.Field]:
    return [
        pa.field(f"best_{side}_model", pa.string()),
        pa.field(f"best_{side}_model_key", pa.string()),
        pa.field(f"best_{side}_rank", pa.int64()),
        pa.field(f"best_{side}_rating", pa.float64()),
        pa.field(f"best_{side}_rating_lower", pa.float64()),
        pa.field(f"best_{side}_rating_upper", pa.float64()),
    ]


OPEN_CLOSED_GAP = TableSpec(
    "open_closed_gap",
    pa.schema(
        [
            pa.field("board", pa.string(), nullable=False),
            pa.field("category", pa.string(), nullable=False),
            pa.field("leaderboard_publish_date", pa.date32(), nullable=False),
            pa.field("publish_age_days", pa.int64(), nullable=False),
            pa.field("n_models", pa.int64(), nullable=False),
            *_side("open"),
            *_side("closed"),
            pa.field("score_gap", pa.float64()),  # best closed rating minus best open rating
            pa.field("gap_within_ci", pa.bool_()),
            pa.field("open_share_top10", pa.float64()),
            pa.field("open_share_top20", pa.float64()),
            pa.field("unknown_share_top20", pa.float64()),
            *PROVENANCE_FIELDS,
        ]
    ),
    ("board", "category", "leaderboard_publish_date"),
    "Per leaderboard (overall category): best open vs best closed model, the gap, open share of the top 10/20.",
)

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (LEADERBOARD_SCORES, MODELS, EPOCH_MODELS, OPEN_CLOSED_GAP)}
