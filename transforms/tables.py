"""The contracts of every published table: each source's own (declared in its module) and the derived ones
built here. Bump SCHEMA_VERSION on any incompatible change."""

from __future__ import annotations

import pyarrow as pa

from extractors import registry
from opengap.contracts import PROVENANCE_FIELDS, TableSpec
from transforms import dimension

SCHEMA_VERSION = 6  # 2: models one row per canonical model, evidence pooled; 3: top N by rating, with counts;
# 4: models.open_weights_since, openness_evidence.observed_on; open_adoption; 5: hub_children, hub_derivatives,
# hub_models.renamed_from; companies, funding_rounds, funding_by_openness_year, funding_comparison;
# 6: open_closed_gap.open_top10_models, claims_check


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
            # Top N = the N highest-rated rows (ties: more votes, then name), never "rank <= N" (tied ranks).
            pa.field("open_in_top10", pa.int64(), nullable=False),
            pa.field("top10_size", pa.int64(), nullable=False),  # N, or fewer on a board with fewer models
            pa.field("open_share_top10", pa.float64(), nullable=False),
            pa.field("open_top10_models", pa.string()),  # the open ones among them, by name (null: none)
            pa.field("open_in_top20", pa.int64(), nullable=False),
            pa.field("top20_size", pa.int64(), nullable=False),
            pa.field("open_share_top20", pa.float64(), nullable=False),
            pa.field("unknown_in_top10", pa.int64(), nullable=False),  # must be 0: the headline needs every tag
            pa.field("unknown_share_top20", pa.float64(), nullable=False),
            *PROVENANCE_FIELDS,
        ]
    ),
    ("board", "category", "leaderboard_publish_date"),
    "Per leaderboard (headline category): best open vs best closed model, the gap, open models in the top 10/20.",
    as_of="computed from the leaderboards and ranked catalogues of the same snapshot",
)

OPENNESS_EVIDENCE = TableSpec(
    "openness_evidence",
    pa.schema(
        [
            pa.field("canonical_key", pa.string(), nullable=False),  # the model the claim is about
            pa.field("subject_source", pa.string(), nullable=False),  # the source whose row made the claim
            pa.field("model_key", pa.string(), nullable=False),  # that row's own key
            pa.field("evidence_source", pa.string(), nullable=False),  # curated_override, epoch_accessibility, …
            pa.field("claim", pa.string(), nullable=False),
            pa.field("raw_value", pa.string(), nullable=False),
            pa.field("tier", pa.string()),
            pa.field("openness", pa.string()),
            pa.field("decisive", pa.bool_(), nullable=False),
            # The date the claim holds from: an override's effective_from, the publication date of the board that
            # stated a licence, else the day the row making it was retrieved.
            pa.field("observed_on", pa.date32(), nullable=False),
            *PROVENANCE_FIELDS,
        ]
    ),
    ("canonical_key", "evidence_source", "claim", "raw_value"),
    "Every claim any source makes about a model's openness, with the raw value; `decisive` marks what decided.",
    as_of="the evidence behind this snapshot's openness tags",
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
    as_of="disagreements among this snapshot's evidence",
)

UNMATCHED_NAMES = TableSpec(
    "unmatched_names",
    pa.schema(
        [  # `source` (the source the name comes from) is the provenance column
            pa.field("name", pa.string(), nullable=False),
            pa.field("model_key", pa.string(), nullable=False),
            pa.field("canonical_key", pa.string(), nullable=False),
            pa.field("openness_tier", pa.string(), nullable=False),
            pa.field("best_rank", pa.int64()),
            *PROVENANCE_FIELDS,
        ]
    ),
    ("source", "name"),
    "Names linked to no registry entry, no Hugging Face repo and no other source's name: kept and listed.",
    as_of="names in this snapshot's source tables linked to no registry entry, Hub repo or other source's name",
)

MODEL_IDENTITIES = TableSpec(
    "model_identities",
    pa.schema(
        [  # `source` (where the name comes from) is the provenance column
            pa.field("canonical_key", pa.string(), nullable=False),
            pa.field("source_name", pa.string(), nullable=False),
            pa.field("model_key", pa.string(), nullable=False),
            pa.field("link", pa.string(), nullable=False),  # alias | <registry> | hub | name: what made the key
            *PROVENANCE_FIELDS,
        ]
    ),
    ("source", "source_name"),
    "Every source's name for a model and its canonical key: join any two sources on canonical_key.",
    as_of="the names of this snapshot's models in each source and their canonical key",
    values={
        "link": (
            "alias",
            *[s.name for s in registry.sources().values() if s.models and s.models.registry],
            "hub",
            "name",
        )
    },
)

AUDIT_TABLES = (OPENNESS_EVIDENCE, OPENNESS_CONFLICTS, UNMATCHED_NAMES, MODEL_IDENTITIES)


def models_table() -> TableSpec:
    sources = registry.sources()
    titles = ", ".join(s.title for s in dimension.model_sources(sources))
    return TableSpec(
        "models",
        dimension.schema(sources),
        ("canonical_key",),
        f"One row per model across every source ({titles}): identity, attributes, which sources name it, and "
        "the openness decided from all evidence.",
        as_of="every model named by a source table of the same snapshot (each as of its own rule); a "
        "leaderboard's licence/organization: newest non-empty value published on or before the snapshot date",
    )


def open_adoption_table(by: str = "organization") -> TableSpec:
    """Adoption of open models per organization (or per family); its measures are those the sources declare
    (Adoption)."""
    from transforms.marts import adoption_columns

    measures = [pa.field(c, pa.int64()) for c in adoption_columns(registry.sources())]
    shares = [pa.field(f"share_of_{c}", pa.float64()) for c in adoption_columns(registry.sources(), shares=True)]
    group = {
        "organization": pa.field("organization", pa.string(), nullable=False),  # as the Hub spells it (repo owner)
        "family": pa.field("family", pa.string(), nullable=False),  # as extractors/data/hub_scope.csv names it
    }[by]
    return TableSpec(
        "open_adoption" if by == "organization" else "family_adoption",
        pa.schema(
            [
                group,
                pa.field("models", pa.int64(), nullable=False),  # distinct models the adoption sources list
                *measures,  # sums; null where no source answered
                *shares,  # each group's part of the tracked groups' total
                *PROVENANCE_FIELDS,  # the group's first listing
            ]
        ),
        (by,),
        f"Adoption of open models per {by}: downloads, likes, derivatives by relation, Ollama pulls."
        + (
            " A family sums its base repos (extractors/data/hub_scope.csv) and the Ollama names of it "
            "(extractors/data/ollama_families.csv); its derivatives are the bases' direct children."
            if by == "family"
            else ""
        ),
        as_of="computed from the adoption sources of the same snapshot (each as retrieved on or before it)",
    )


ADOPTION_GROUPS = ("organization", "family")

HUB_DERIVATIVES = TableSpec(
    "hub_derivatives",
    pa.schema(
        [
            pa.field("family", pa.string()),  # the base's family in extractors/data/hub_scope.csv, if any
            pa.field("base_repo", pa.string(), nullable=False),
            pa.field("relation", pa.string(), nullable=False),  # finetune | adapter | quantized | merge | unspecified
            pa.field("method", pa.string(), nullable=False),  # children_model_count | reconstructed_from_created_at
            pa.field("derivatives", pa.int64(), nullable=False),
            *PROVENANCE_FIELDS,  # the answer the count comes from (the newest listing page, for listed children)
        ]
    ),
    ("base_repo", "relation", "method"),
    "Derivatives of Hub base repos per relation: the Hub's live childrenModelCount, and the listed children "
    "counted by relation (reconstructed_from_created_at: the children created by the snapshot date).",
    as_of="computed from hub_models and hub_children of the same snapshot; relation tags exist from late 2024 "
    "(older children count as 'unspecified'), repos deleted before we first listed them are missing",
    values={
        "relation": ("finetune", "adapter", "quantized", "merge", "unspecified"),
        "method": ("children_model_count", "reconstructed_from_created_at"),
    },
)


COMPANIES = TableSpec(
    "companies",
    pa.schema(
        [
            pa.field("org_key", pa.string(), nullable=False),  # the model identity layer's organization key
            pa.field("name", pa.string(), nullable=False),
            pa.field("country", pa.string(), nullable=False),
            pa.field("stance", pa.string(), nullable=False),  # open | closed | mixed, from effective_from
            pa.field("effective_from", pa.date32(), nullable=False),
            pa.field("effective_to", pa.date32()),  # null: still holds
            pa.field("reason", pa.string(), nullable=False),
            *PROVENANCE_FIELDS,  # source_url: the stance's citation; raw_sha256: of transforms/data/companies.csv
        ]
    ),
    ("org_key", "effective_from"),
    "AI model developers and their openness stance over time (a reviewed file: each period with its reason and "
    "source). A round counts for the stance its company had on the round's date.",
    as_of="the reviewed file as shipped with the code version in the manifest",
    values={"stance": ("open", "closed", "mixed")},
)

FUNDING_ROUNDS = TableSpec(
    "funding_rounds",
    pa.schema(
        [
            pa.field("round_id", pa.string(), nullable=False),  # the accession, or "<org_key> <date> <round type>"
            pa.field("kind", pa.string(), nullable=False),  # the source's Funding.kind: sec_form_d | cited
            pa.field("org_key", pa.string(), nullable=False),
            pa.field("company", pa.string()),
            pa.field("dated_on", pa.date32(), nullable=False),  # filing date, or announcement date
            pa.field("year", pa.int64(), nullable=False),
            pa.field("amount_usd", pa.int64()),  # null: the record states no dollar figure (no conversion of ours)
            pa.field("round_type", pa.string(), nullable=False),
            pa.field("stance", pa.string(), nullable=False),  # open | closed | mixed | unclassified, on dated_on
            pa.field("superseded", pa.bool_(), nullable=False),  # a later Form D/A replaces this filing
            pa.field("duplicate_of", pa.string()),  # the cited round this Form D describes again
            pa.field("counted", pa.bool_(), nullable=False),  # in funding_by_openness_year
            *PROVENANCE_FIELDS,  # a cited round's source_url is its citation
        ]
    ),
    ("round_id",),
    "Money raised by AI model developers: SEC Form D filings and cited rounds, each with its company's stance on "
    "its date; amendments and the Form D of a cited raise are kept but not counted twice (transforms/funding.py).",
    as_of="the filings filed and rounds announced on or before the snapshot date",
    values={"stance": ("open", "closed", "mixed", "unclassified")},
)

FUNDING_BY_OPENNESS_YEAR = TableSpec(
    "funding_by_openness_year",
    pa.schema(
        [
            pa.field("year", pa.int64(), nullable=False),
            pa.field("stance", pa.string(), nullable=False),
            pa.field("total_usd", pa.int64()),  # the counted rounds' US dollars
            pa.field("rounds", pa.int64(), nullable=False),
            pa.field("rounds_with_usd", pa.int64(), nullable=False),  # the others state no dollar figure
            pa.field("companies", pa.int64(), nullable=False),
            *PROVENANCE_FIELDS,  # of the group's newest round
        ]
    ),
    ("year", "stance"),
    "Funding of AI model developers per year and openness stance (counted rounds of funding_rounds).",
    as_of="computed from funding_rounds of the same snapshot",
    values={"stance": ("open", "closed", "mixed", "unclassified")},
)

FUNDING_COMPARISON = TableSpec(
    "funding_comparison",
    pa.schema(
        [
            pa.field("claim_id", pa.string(), nullable=False),
            pa.field("stance", pa.string(), nullable=False),
            pa.field("period_from", pa.date32(), nullable=False),
            pa.field("period_to", pa.date32(), nullable=False),
            pa.field("claimed_usd", pa.int64(), nullable=False),
            pa.field("ours_usd", pa.int64(), nullable=False),
            pa.field("difference_usd", pa.int64(), nullable=False),  # ours minus claimed
            pa.field("our_rounds", pa.int64(), nullable=False),
            pa.field("our_companies", pa.int64(), nullable=False),
            pa.field("our_companies_listed", pa.string(), nullable=False),
            pa.field("why_they_differ", pa.string(), nullable=False),
            pa.field("claim_source_url", pa.string(), nullable=False),
            pa.field("claim_source_title", pa.string(), nullable=False),
            pa.field("claim_quote", pa.string(), nullable=False),
            *PROVENANCE_FIELDS,  # of the newest round counted
        ]
    ),
    ("claim_id",),
    "Published funding-by-openness figures (transforms/data/claims.csv) next to the same sum over funding_rounds, "
    "with how the definitions differ.",
    as_of="computed from funding_rounds of the same snapshot",
)

FUNDING_TABLES = (COMPANIES, FUNDING_ROUNDS, FUNDING_BY_OPENNESS_YEAR, FUNDING_COMPARISON)

CLAIMS_CHECK = TableSpec(
    "claims_check",
    pa.schema(
        [
            pa.field("claim_id", pa.string(), nullable=False),  # transforms/data/claims.csv
            pa.field("claim", pa.string(), nullable=False),
            pa.field("measure", pa.string(), nullable=False),
            pa.field("subject", pa.string(), nullable=False),  # a board, a Hub family, an openness stance
            pa.field("claim_as_of", pa.date32(), nullable=False),  # the date the claim describes
            pa.field("claimed_value", pa.float64(), nullable=False),
            pa.field("unit", pa.string(), nullable=False),
            pa.field("same_date", pa.bool_(), nullable=False),  # false: the nearest date our data has
            pa.field("measured_on", pa.string(), nullable=False),  # board/category, hub_derivatives/<method>, ...
            pa.field("measured_as_of", pa.date32()),  # the board's publish date, the period's end; null: no data
            pa.field("our_value", pa.float64()),
            pa.field("our_detail", pa.string(), nullable=False),
            pa.field("difference", pa.float64()),  # ours minus claimed
            pa.field("how_it_differs", pa.string(), nullable=False),
            pa.field("claim_source_url", pa.string(), nullable=False),
            pa.field("claim_source_title", pa.string(), nullable=False),
            pa.field("claim_quote", pa.string(), nullable=False),
            *PROVENANCE_FIELDS,  # of the table row measured (claims.csv itself where nothing was)
        ]
    ),
    ("claim_id", "measured_on", "same_date"),
    "Each published claim (transforms/data/claims.csv) next to what our data says for the same date and "
    "definition; where a source cannot speak for that date, the snapshot's own measurement, marked as another date.",
    as_of="the claim's date, rebuilt from this snapshot's parsed rows (transforms/claims.py); same_date false: "
    "this snapshot",
    values={"measure": ("open_in_top10", "derivatives", "funding_usd")},
)
CHANGES = TableSpec(
    "changes",
    pa.schema(
        [
            pa.field("previous_snapshot_date", pa.date32(), nullable=False),  # what this snapshot is compared with
            pa.field("kind", pa.string(), nullable=False),
            pa.field("subject", pa.string(), nullable=False),  # a canonical_key, or a table name
            pa.field("before", pa.string()),
            pa.field("after", pa.string()),
            pa.field("detail", pa.string()),  # the evidence that now decides an openness change, the row delta
            pa.field("beyond_threshold", pa.bool_(), nullable=False),  # a swing the changes suite warns about
            *PROVENANCE_FIELDS,  # the model's row, or the previous manifest for a row count
        ]
    ),
    ("kind", "subject"),
    "What changed since the previous published snapshot: models added or removed, openness changes with the "
    "evidence that now decides, LMArena top-20 rank moves, row counts per table (transforms/changes.py).",
    as_of="this snapshot against the newest published snapshot before its date",
    values={"kind": ("model_added", "model_removed", "openness_changed", "rank_moved", "row_count")},
)

# The answers users come for (exported as CSV with every snapshot, besides the Parquet files).
MARTS = (
    "models",
    "open_closed_gap",
    "open_adoption",
    "family_adoption",
    "hub_derivatives",
    "companies",
    "funding_rounds",
    "funding_by_openness_year",
    "funding_comparison",
    "claims_check",
)


def table_specs() -> dict[str, TableSpec]:
    """Every table a snapshot can publish, by name: each source's, then the derived ones."""
    own = [s.table for s in registry.sources().values() if s.table is not None]
    adoption = [open_adoption_table(by) for by in ADOPTION_GROUPS]
    specs = [
        *own,
        models_table(),
        OPEN_CLOSED_GAP,
        *adoption,
        HUB_DERIVATIVES,
        *FUNDING_TABLES,
        CLAIMS_CHECK,
        CHANGES,
        *AUDIT_TABLES,
    ]
    return {spec.name: spec for spec in specs}
