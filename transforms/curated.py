"""Reviewed data files (transforms/data/*.csv): the hand-made decisions, each row with its reason.

Loading checks every row, so a bad edit fails loudly at start-up rather than mis-tagging models.
"""

from __future__ import annotations

import csv
import hashlib
from functools import cache
from pathlib import Path

from opengap.errors import OpengapError

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = (
    "licences.csv",
    "epoch_accessibility.csv",
    "openness_overrides.csv",
    "model_aliases.csv",
    "org_aliases.csv",
    "hub_licences.csv",
    "companies.csv",
    "claims.csv",
)


def read_rows(name: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a data file; every ``required`` column must exist and (except the first) be non-empty."""
    path = DATA_DIR / name
    if not path.is_file():
        raise OpengapError(f"curated data file {path} is missing; it ships with the code (reinstall or restore it)")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise OpengapError(f"data file {path} lacks column(s) {', '.join(missing)}")
        rows = []
        for line_no, row in enumerate(reader, start=2):
            empty = [c for c in required[1:] if not (row.get(c) or "").strip()]
            if empty:
                raise OpengapError(f"data file {path} line {line_no}: empty {', '.join(empty)}")
            rows.append({k: (v or "").strip() if k != required[0] else (v or "") for k, v in row.items()})
        return rows


@cache
def file_sha256(name: str) -> str:
    """The sha256 of one data file, once per process: the raw_sha256 of rows it decides (a backfill asks on
    every date)."""
    return hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest()


@cache
def data_fingerprint() -> str:
    """A short hash of every curated file: part of the openness rule version, so any edit is visible."""
    digest = hashlib.sha256()
    for name in FILES:
        path = DATA_DIR / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:8]
