"""What opengap tracks on the Hugging Face Hub: ``data/hub_scope.csv``, a reviewed file.

``organization`` rows name the Hub organizations whose text-generation repos ``hf_hub`` lists every night;
``family`` rows name a family's base repos, whose derivatives ``hf_hub_derivatives`` lists (a family is more
than one repo's Hub children: DeepSeek-R1's distills name Qwen or Llama as their Hub base, so the family lists
them itself). Every row carries its reason and a public source URL; the loader refuses a row without.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from extractors.base import reviewed_rows
from opengap.errors import OpengapError

SCOPE_FILE = Path(__file__).resolve().parent / "data" / "hub_scope.csv"
KINDS = ("organization", "family")


@cache
def _rows() -> tuple[dict[str, str], ...]:
    rows = reviewed_rows(SCOPE_FILE, ("kind", "name"))
    for line, row in enumerate(rows, start=2):
        if row.get("kind") not in KINDS:
            raise OpengapError(f"{SCOPE_FILE} line {line}: kind {row.get('kind')!r} is not one of {', '.join(KINDS)}")
        if row["kind"] == "family" and "/" not in (row.get("repo") or ""):
            raise OpengapError(f"{SCOPE_FILE} line {line}: a family row names a base repo as 'owner/name'")
    return tuple(rows)


def organizations() -> tuple[str, ...]:
    """The tracked organizations, in file order."""
    return tuple(r["name"] for r in _rows() if r["kind"] == "organization")


def family_of() -> dict[str, str]:
    """Each tracked base repo and the family it belongs to, in file order."""
    return {r["repo"]: r["name"] for r in _rows() if r["kind"] == "family"}


def reload() -> None:
    """Forget the loaded file (tests point SCOPE_FILE elsewhere)."""
    _rows.cache_clear()
