"""Table contracts: the declared schema, key, description and as-of rule of every published table.

They sit in the core package because every layer reads them: a source declares its table here-shaped, the
transforms fill it, the expectation suites are generated from it and the warehouse writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

PROVENANCE_FIELDS = [
    pa.field("source", pa.string(), nullable=False),
    pa.field("source_url", pa.string(), nullable=False),
    pa.field("retrieved_at", pa.timestamp("s", tz="UTC"), nullable=False),
    pa.field("raw_sha256", pa.string(), nullable=False),
]
PROVENANCE = tuple(f.name for f in PROVENANCE_FIELDS)  # every published row carries these columns

# The keys a model-bearing row gains when it is linked to the model identity (transforms/identity.py).
IDENTITY_FIELDS = [
    pa.field("model_key", pa.string(), nullable=False),  # the source's own name, canonically spelt
    pa.field("canonical_key", pa.string(), nullable=False),  # the same model in every source: join to models
]
OPENNESS_FIELDS = [
    pa.field("openness_tier", pa.string(), nullable=False),
    pa.field("openness", pa.string()),  # open | closed | null (tier unknown)
    pa.field("openness_source", pa.string(), nullable=False),  # which evidence decided the tier
    pa.field("openness_rule_version", pa.string(), nullable=False),
]
EVIDENCE_FIELD = pa.field("openness_evidence", pa.string(), nullable=False)  # every claim, on one line


# The row fall a source table's contract accepts by default between two nightly snapshots (see
# TableSpec.max_row_drop). The captured histories grow between retrievals (Epoch notable 825 -> 954 rows from
# 2024-07 to 2025-05, OpenRouter 318 -> 368 from 2025-05 to 2026-05); the truncated downloads reproduced in
# issue 9 lost about 40 %.
MAX_ROW_DROP = 0.2


def row_fields(schema: pa.Schema) -> list[pa.Field]:
    """A parser's columns without the provenance ones (which a published table puts last)."""
    return [f for f in schema if f.name not in PROVENANCE]


def model_rows_schema(rows: pa.Schema, *extra: pa.Field) -> pa.Schema:
    """The published schema of a source table whose rows each name a model: the parser's columns, any columns
    the build adds, then the identity, the openness tag, its evidence and the provenance."""
    return pa.schema(
        [*row_fields(rows), *extra, *IDENTITY_FIELDS, *OPENNESS_FIELDS, EVIDENCE_FIELD, *PROVENANCE_FIELDS]
    )


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    description: str
    as_of: str  # what "as of the snapshot date" means for this table (stated in every manifest)
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # columns that take only these values
    # The largest fall in rows a nightly run accepts against the previous published snapshot (0.2: 20 %), or
    # None for no check. A source table that shrinks more was most likely cut short (a truncated CSV still
    # parses); `--allow-row-drop TABLE` accepts a known upstream change.
    max_row_drop: float | None = None
    # Cumulative counts that never fall between consecutive snapshots of the same key (all-time downloads,
    # derivative counts); a fall is a warning listing the keys (a deleted repo, an upstream recount).
    never_decrease: tuple[str, ...] = ()
    # Values a column must hold in every snapshot (each tracked organization answered); a warning names the missing.
    contains: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_arrow(self, frame: pd.DataFrame) -> pa.Table:
        """Cast a DataFrame to the declared schema (column order included); a mismatch fails here."""
        missing = [n for n in self.schema.names if n not in frame.columns]
        if missing:
            raise ValueError(f"table {self.name} is missing column(s) {', '.join(missing)}")
        return pa.Table.from_pandas(frame[self.schema.names], schema=self.schema, preserve_index=False)
