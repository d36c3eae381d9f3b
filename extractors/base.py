"""Pieces every parser shares: provenance columns and clear errors for drifted inputs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime

import pyarrow as pa

from extractors.raw_store import RawMeta
from opengap.errors import ParseError


def hub_endpoint() -> str:
    """The Hugging Face Hub's address; HF_ENDPOINT (huggingface_hub's own variable) points it at a mirror."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def require_columns(present: Iterable[str], required: Iterable[str], meta: RawMeta) -> None:
    """Raise a ParseError naming every required column the file lacks."""
    missing = [c for c in required if c not in set(present)]
    if missing:
        raise ParseError(
            f"{meta.source} file {meta.file} ({meta.url}) lacks required column(s) {', '.join(missing)}; "
            "the source format may have changed: see FORMATS.md and update the parser"
        )


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
