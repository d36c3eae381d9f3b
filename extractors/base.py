"""Pieces every parser shares: provenance columns and clear errors for drifted inputs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from extractors.raw_store import RawMeta
from opengap.errors import ParseError


def hub_endpoint() -> str:
    """The Hugging Face Hub's address; HF_ENDPOINT (huggingface_hub's own variable) points it at a mirror."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


@dataclass(frozen=True)
class Columns:
    """One raw format's column contract (dlt's schema contracts are the model): a missing ``required`` column
    stops the parse; a missing ``optional`` one (read when present) and a column outside every list (new) are
    drift, recorded per raw file in the manifest and logged as a warning. ``known`` lists what the format has
    served in the captured history and parsing does not need (their absence says nothing)."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    known: tuple[str, ...] = ()

    def check(self, present: Iterable[str], meta: RawMeta) -> dict[str, list[str]]:
        """Raise a ParseError naming every required column ``present`` lacks; return the drift (empty: none)."""
        present = [c for c in present if c]  # a CSV's unnamed index column is not a column of the format
        missing = [c for c in self.required if c not in present]
        if missing:
            raise ParseError(
                f"{meta.source} file {meta.file} ({meta.url}) lacks required column(s) {', '.join(missing)}; "
                "the source format may have changed: see FORMATS.md and update the parser"
            )
        listed = {*self.required, *self.optional, *self.known}
        drift = {
            "new": sorted({c for c in present if c not in listed}),
            "missing_optional": [c for c in self.optional if c not in present],
        }
        return {kind: names for kind, names in drift.items() if names}


DRIFT_KEY = b"opengap.column_drift"


def with_drift(table: pa.Table, drift: dict[str, list[str]]) -> pa.Table:
    """Attach a raw file's column drift to its parsed table (schema metadata, never written to Parquet)."""
    return table.replace_schema_metadata({DRIFT_KEY: json.dumps(drift)}) if drift else table


def drift_of(table: pa.Table) -> dict[str, list[str]]:
    """The column drift ``with_drift`` attached to a parsed table ({} when none)."""
    raw = (table.schema.metadata or {}).get(DRIFT_KEY)
    return json.loads(raw) if raw else {}


def provenance_arrays(meta: RawMeta, n: int) -> dict[str, pa.Array]:
    """The four provenance columns, constant over the ``n`` rows parsed from one raw file."""
    retrieved = datetime.fromisoformat(meta.retrieved_at.replace("Z", "+00:00"))
    return {
        "source": pa.array([meta.source] * n, pa.string()),
        "source_url": pa.array([meta.url] * n, pa.string()),
        "retrieved_at": pa.array([retrieved] * n, pa.timestamp("s", tz="UTC")),
        "raw_sha256": pa.array([meta.sha256] * n, pa.string()),
    }


def blank_to_none(value: object) -> str | None:
    """Sources write 'missing' as '', '-' or 'N/A'; all of them mean null."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in {"", "-", "N/A", "n/a"} else text


def to_float(value: object, *, meta: RawMeta, column: str) -> float | None:
    text = blank_to_none(value)
    if text is None:
        return None
    try:
        return float(text.rstrip("%"))
    except ValueError as exc:
        raise ParseError(f"{meta.source} file {meta.file}: column {column!r} holds non-numeric {text!r}") from exc
