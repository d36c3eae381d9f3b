"""Declared schemas and keys of every published table. Bump SCHEMA_VERSION on any incompatible change."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import pandas as pd
import pyarrow as pa

from extractors import artificial_analysis, epoch, lmarena, open_llm_leaderboard, openrouter
from extractors.base import PROVENANCE, PROVENANCE_FIELDS

SCHEMA_VERSION = 2  # 2: models is one row per canonical model across sources; evidence pooled per model

MODEL_SOURCES = ("lmarena", "artificial_analysis", "openrouter", "epoch", "open_llm_leaderboard")

OPENNESS_FIELDS = [
    pa.field("openness_tier", pa.string(), nullable=False),
    pa.field("openness", pa.string()),  # open | closed | null (tier unknown)
    pa.field("openness_source", pa.string(), nullable=False),  # which evidence decided the tier
    pa.field("openness_rule_version", pa.string(), nullable=False),
]


def _fields(schema: pa.Schema, *, without: tuple[str, ...] = ()) -> list[pa.Field]:
    return [f for f in schema if f.name not in without and f.name not in PROVENANCE]


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
            pa.field("canonical_key", pa.string(), nullable=False),  # join to models
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
            pa.field("canonical_key", pa.string(), nullable=False),  # the same model in every source
            pa.field("model_name", pa.string(), nullable=False),  # display name, from the first source naming it
            pa.field("organization", pa.string()),
            pa.field("org_key", pa.string()),
            pa.field("release_date", pa.date32()),  # Epoch AI publication, else AA release, else OpenRouter listing
            pa.field("parameters", pa.float64()),  # Epoch AI, else the Open LLM Leaderboard, where known
            pa.field("hf_repo", pa.string()),  # Hugging Face repo holding the weights, where one is known
            pa.field("license_raw", pa.string()),  # LMArena's newest licence, else the Hub licence
            pa.field("license_id", pa.string(), nullable=False),
            pa.field("epoch_model", pa.string()),
            pa.field("epoch_accessibility", pa.string()),
            pa.field("lmarena_text_rank", pa.int64()),  # best rank on the LMArena text board (overall)
            pa.field("aa_intelligence_rank", pa.int64()),  # best rank by the Artificial Analysis intelligence index
            *[pa.field(f"in_{s}", pa.bool_(), nullable=False) for s in MODEL_SOURCES],
            pa.field("n_sources", pa.int64(), nullable=False),
            *OPENNESS_FIELDS,
            pa.field("openness_evidence", pa.string(), nullable=False),
            *PROVENANCE_FIELDS,  # of the row that gave the display name
        ]
    ),
    ("canonical_key",),
    "One row per model across every source (LMArena, Artificial Analysis, OpenRouter, Epoch AI, Open LLM "
    "Leaderboard): identity, attributes, which sources name it, and the openness decided from all evidence.",
)

EPOCH_MODELS = TableSpec(
    "epoch_models",
    pa.schema(
        [
            *_fields(epoch.SCHEMA),
            pa.field("model_key", pa.string(), nullable=False),
            pa.field("canonical_key", pa.string(), nullable=False),  # join to models
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


def _tagged_source(name: str, module: ModuleType, description: str, extra: tuple[pa.Field, ...] = ()) -> TableSpec:
    """A source's rows plus the model key and the openness decided from all evidence."""
    fields = [*_fields(module.SCHEMA), *extra, pa.field("model_key", pa.string(), nullable=False)]
    fields.append(pa.field("canonical_key", pa.string(), nullable=False))  # the same model in every source
    fields += [*OPENNESS_FIELDS, pa.field("openness_evidence", pa.string(), nullable=False), *PROVENANCE_FIELDS]
    return TableSpec(name, pa.schema(fields), module.KEY, description)


AA_MODELS = _tagged_source(
    "aa_models",
    artificial_analysis,
    "Artificial Analysis models (data API v2): intelligence/coding/agentic indices, prices, speed, openness.",
    (
        pa.field("intelligence_rank", pa.int64()),  # 1 = highest intelligence index in this snapshot
        pa.field("org_key", pa.string()),  # the creator, canonical (transforms/data/org_aliases.csv)
    ),
)
OPENROUTER_MODELS = _tagged_source(
    "openrouter_models",
    openrouter,
    "OpenRouter catalogue: prices in USD per 1M tokens, context length, Hugging Face repo id, openness.",
    (pa.field("org_key", pa.string()),),  # the vendor slug of the id, canonical
)
OPEN_LLM_LEADERBOARD = _tagged_source(
    "open_llm_leaderboard",
    open_llm_leaderboard,
    "Open LLM Leaderboard (retired, static): evaluations of open-weights Hub models, licence, base model.",
)

OPENNESS_EVIDENCE = TableSpec(
    "openness_evidence",
    pa.schema(
        [
            pa.field("canonical_key", pa.string(), nullable=False),  # the model the claim is about
            pa.field("subject_source", pa.string(), nullable=False),  # the table whose row made the claim
            pa.field("model_key", pa.string(), nullable=False),  # that row's own key
            pa.field("evidence_source", pa.string(), nullable=False),  # curated_override, epoch_accessibility, …
            pa.field("claim", pa.string(), nullable=False),
            pa.field("raw_value", pa.string(), nullable=False),
            pa.field("tier", pa.string()),
            pa.field("openness", pa.string()),
            pa.field("decisive", pa.bool_(), nullable=False),
            *PROVENANCE_FIELDS,
        ]
    ),
    ("canonical_key", "evidence_source", "claim", "raw_value"),
    "Every claim any source makes about a model's openness, with the raw value; `decisive` marks what decided.",
)

OPENNESS_CONFLICTS = TableSpec(
    "openness_conflicts",
    pa.schema(
        [
            pa.field("canonical_key", pa.string(), nullable=False),
            pa.field("open_evidence", pa.string(), nullable=False),
            pa.field("closed_evidence", pa.string(), nullable=False),
            pa.field("decided_tier", pa.string(), nullable=False),
            pa.field("decided_by", pa.string(), nullable=False),
            *PROVENANCE_FIELDS,  # of the row that brought the model's first claim
        ]
    ),
    ("canonical_key",),
    "Models whose sources disagree on open vs closed, and what the precedence decided.",
)

UNMATCHED_NAMES = TableSpec(
    "unmatched_names",
    pa.schema(
        [  # `source` (the leaderboard the name comes from) is the provenance column
            pa.field("name", pa.string(), nullable=False),
            pa.field("model_key", pa.string(), nullable=False),
            pa.field("canonical_key", pa.string(), nullable=False),
            pa.field("openness_tier", pa.string(), nullable=False),
            pa.field("best_rank", pa.int64()),
            *PROVENANCE_FIELDS,
        ]
    ),
    ("source", "name"),
    "Names linked to no Epoch AI entry, no Hugging Face repo and no other source's name: kept and listed.",
)

MODEL_IDENTITIES = TableSpec(
    "model_identities",
    pa.schema(
        [  # `source` (where the name comes from) is the provenance column
            pa.field("canonical_key", pa.string(), nullable=False),
            pa.field("source_name", pa.string(), nullable=False),
            pa.field("model_key", pa.string(), nullable=False),
            pa.field("link", pa.string(), nullable=False),  # alias | epoch | hub | name: what made the canonical key
            *PROVENANCE_FIELDS,
        ]
    ),
    ("source", "source_name"),
    "Every source's name for a model and its canonical key: join any two sources on canonical_key.",
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        LEADERBOARD_SCORES,
        MODELS,
        EPOCH_MODELS,
        OPEN_CLOSED_GAP,
        AA_MODELS,
        OPENROUTER_MODELS,
        OPEN_LLM_LEADERBOARD,
        OPENNESS_EVIDENCE,
        OPENNESS_CONFLICTS,
        UNMATCHED_NAMES,
        MODEL_IDENTITIES,
    )
}
