"""One openness taxonomy for the whole project.

Tiers, from most to least open: three open-weights tiers (unrestricted, restricted, non-commercial),
``open_weights_licence_unknown`` (weights published, terms not yet known), then ``api_access``,
``hosted_no_api``, ``unreleased`` (closed) and ``unknown``. The binary ``openness`` is ``open`` for the four
open-weights tiers, ``closed`` for the three closed ones, and null for ``unknown``.

Precedence when sources disagree: see transforms/evidence.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cache

from opengap.errors import OpengapError
from transforms.curated import data_fingerprint, read_rows

log = logging.getLogger(__name__)

OPEN_LICENCE_UNKNOWN = "open_weights_licence_unknown"  # weights on the Hub, licence not (yet) in licences.csv
OPEN_TIERS = (
    "open_weights_unrestricted",
    "open_weights_restricted",
    "open_weights_noncommercial",
    OPEN_LICENCE_UNKNOWN,
)
CLOSED_TIERS = ("api_access", "hosted_no_api", "unreleased")
UNKNOWN = "unknown"
TIERS = (*OPEN_TIERS, *CLOSED_TIERS, UNKNOWN)

# Bump the leading number when the precedence or the tier definitions change; the suffix follows the
# curated data files, so an edited licence mapping or override yields a new version too.
RULE_GENERATION = 3  # 2: evidence pooled per canonical model; Hub weights without a known licence are open
# 3: dated overrides; the model's own Hub weights (and card licence) outrank the registry's accessibility

# The columns a tagged row gains (openness_evidence, where a table has it, lists every claim).
TAG_COLUMNS = ["openness_tier", "openness", "openness_source", "openness_rule_version"]

# Names of the evidence that decided a tier (``openness_source``).
BY_OVERRIDE = "curated_override"
BY_EPOCH = "epoch_accessibility"
BY_LICENCE = "lmarena_license"
BY_NOTHING = "none"


def rule_version() -> str:
    return f"{RULE_GENERATION}.{data_fingerprint()}"


def openness_of(tier: str) -> str | None:
    if tier in OPEN_TIERS:
        return "open"
    if tier in CLOSED_TIERS:
        return "closed"
    return None


def _check_tier(tier: str, where: str) -> str:
    if tier not in TIERS:
        raise OpengapError(f"{where}: unknown tier {tier!r}; allowed: {', '.join(TIERS)}")
    return tier


@dataclass(frozen=True)
class Licence:
    raw: str | None
    license_id: str
    tier: str


@cache
def _licences() -> dict[str, Licence]:
    rows = read_rows("licences.csv", ("license_raw", "license_id", "tier", "reason", "source_url"))
    return {
        r["license_raw"]: Licence(r["license_raw"], r["license_id"], _check_tier(r["tier"], "licences.csv"))
        for r in rows
    }


def text_or_none(value: object) -> str | None:
    """Pandas hands missing strings over as None, NaN or NA; all of them mean 'no value'."""
    return value if isinstance(value, str) and value else None


def licence(raw: str | None) -> Licence:
    """Canonical id and tier of a leaderboard licence string; an unlisted string is ``unknown`` (and logged)."""
    raw = text_or_none(raw)
    key = raw or ""
    found = _licences().get(key)
    if found is None:
        _warn_once("licence string %r is not in transforms/data/licences.csv; treating it as unknown", key)
        return Licence(raw, "unlisted", UNKNOWN)
    return found


@cache
def _warn_once(message: str, value: str) -> None:
    """One log line per unlisted value, not one per row that carries it."""
    log.warning(message, value)


@cache
def _epoch_tiers() -> dict[str, str]:
    rows = read_rows("epoch_accessibility.csv", ("model_accessibility", "tier", "reason"))
    return {r["model_accessibility"]: _check_tier(r["tier"], "epoch_accessibility.csv") for r in rows}


def epoch_tier(accessibility: str | None) -> str:
    """Tier for Epoch's ``Model accessibility`` (old and new vocabularies); blank or unseen is ``unknown``."""
    accessibility = text_or_none(accessibility)
    if accessibility is None:
        return UNKNOWN
    tier = _epoch_tiers().get(accessibility)
    if tier is None:
        _warn_once("Epoch accessibility %r is not in epoch_accessibility.csv; treating it as unknown", accessibility)
        return UNKNOWN
    return tier


ALWAYS = "release"  # an override's effective_from when the model's openness has not changed since its release


@dataclass(frozen=True)
class Override:
    tier: str
    reason: str
    effective_from: dt.date | None  # None: since the model's release
    effective_to: dt.date | None = None  # the last day it holds (None: still)

    def holds_on(self, day: dt.date | None) -> bool:
        if day is None:  # undated use (opengap parse of a lone file): the override that holds today
            day = dt.datetime.now(dt.UTC).date()
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


def _date(value: str, where: str) -> dt.date | None:
    if value in ("", ALWAYS):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise OpengapError(f"{where}: {value!r} is not a date (YYYY-MM-DD) or {ALWAYS!r}") from None


@cache
def overrides() -> dict[str, list[Override]]:
    """Curated tiers per model key, each with the dates it holds (a model whose weights were published on a
    date has a closed override until the day before and an open one from that date)."""
    rows = read_rows("openness_overrides.csv", ("model_key", "tier", "reason", "source_url", "effective_from"))
    found: dict[str, list[Override]] = {}
    for line, r in enumerate(rows, start=2):
        where = f"openness_overrides.csv line {line}"
        override = Override(
            _check_tier(r["tier"], where),
            r["reason"],
            _date(r["effective_from"], where),
            _date(r.get("effective_to") or "", where),
        )
        found.setdefault(r["model_key"], []).append(override)
    return found


def override_on(model_key: str, day: dt.date | None) -> Override | None:
    """The curated override of ``model_key`` that holds on ``day``, if any."""
    return next((o for o in overrides().get(model_key, []) if o.holds_on(day)), None)
