"""Model and organization identities.

``model_key`` is the source's model name in a canonical spelling (lowercase, ``+`` as ``plus``, runs of other
characters as ``-``), so it is stable across snapshots. Linking a leaderboard name to an Epoch AI registry entry is
deterministic: a curated alias first (``data/model_aliases.csv``: to a registry entry, a Hub repo or another
source's name), then equal ``match_key`` (the key with dots as dashes and trailing
packaging suffixes such as ``-instruct`` or a ``-YYYYMMDD`` date removed). Four-digit version suffixes like
``-0724`` are kept on purpose: ``deepseek-coder-v2-0724`` is a later version of an open family, API-only until its
own weights were published (a dated override says when).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from transforms.curated import read_rows

_NON_KEY = re.compile(r"[^a-z0-9.]+")
# Packaging suffixes, dates, and reasoning-effort labels ("-high", "-thinking-32k"; not "-max" or "-medium",
# which name products: qwen3-max, mistral-medium). OpenRouter variants (":free") are cut before matching.
# "-reasoning" is mostly a mode (Artificial Analysis' "Grok 4.20 (Reasoning)"), so it is cut too, which also
# merges Phi-4-reasoning into Phi-4 and Sonar Reasoning into Sonar (same licence and tier; tests list them).
_SUFFIXES = re.compile(
    r"-(instruct|chat|it|bf16|fp8|\d{4}-\d{2}-\d{2}|\d{8}|minimal|low|high|xhigh|thinking(-\d+k)?|reasoning)$"
)


# Both keys are pure functions of a name asked for again on every snapshot date (a backfill links the same few
# thousand names hundreds of times): cached.
@lru_cache(maxsize=1 << 16)
def model_key(name: str) -> str:
    # "+" names a different model (Command R+ is not Command R): spelt "plus", as LMArena's keys do, not dropped.
    return _NON_KEY.sub("-", name.lower().replace("+", "-plus-")).strip("-")


# OpenRouter's variant suffix (":free", ":beta", ":thinking"): one lowercase word after the last colon. A colon
# inside a name is part of it (Epoch's "Mi:dm 200B", "OmniParser: icon description model").
_VARIANT = re.compile(r":[a-z]+$")


@lru_cache(maxsize=1 << 16)
def match_key(name: str) -> str:
    key = model_key(_VARIANT.sub("", name)).replace(".", "-")
    while True:
        shorter = _SUFFIXES.sub("", key)
        if shorter == key:
            return key
        key = shorter


@cache
def _org_aliases() -> dict[str, str]:
    return {
        r["organization_raw"]: r["org_key"]
        for r in read_rows("org_aliases.csv", ("organization_raw", "org_key", "reason"))
    }


def org_key(organization: str | None) -> str | None:
    if not organization:
        return None
    return _org_aliases().get(organization) or model_key(organization)


# An alias targets the registry's entry (by its exact name), a Hugging Face repo id, or another source's name.
HUGGING_FACE = "hugging_face"


@cache
def _aliases() -> dict[tuple[str, str], tuple[str, str]]:
    rows = read_rows("model_aliases.csv", ("source", "source_name", "target_source", "target_name", "reason"))
    return {(r["source"], r["source_name"]): (r["target_source"], r["target_name"]) for r in rows}


def alias_of(source: str, name: str) -> tuple[str, str] | None:
    """The curated (target source, target name) that a source's name is the same model as, if any."""
    return _aliases().get((source, name))


def single_org_key(organization: object) -> str | None:
    """The org_key of a field naming one organization; "Google DeepMind,Google" (several) has no single key."""
    return org_key(organization) if isinstance(organization, str) and "," not in organization else None
