"""Openness from evidence: every claim any source makes about a model, a documented precedence, and conflicts.

Precedence, specific before coarse (first evidence that fixes a tier wins): a curated override that holds on the
snapshot date (with its reason and dates) > the model's own weights on the Hugging Face Hub, with the licence
of its model card > Epoch AI's accessibility (one coarse label per registry entry, not updated when weights
appear) > the leaderboard's licence (its newest value published on or before the date) > catalogue hints.
Weights on the Hub prove "open" but not which open tier unless the Hub licence is known; such evidence takes
its tier from the next open-weights evidence, else ``open_weights_licence_unknown``. The claims of every source
about one model are weighed together (transforms/identity.py). Every pair of sources that disagree on open vs
closed is kept as a conflict, together with what decided: nothing is resolved silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from transforms import openness
from transforms.curated import read_rows
from transforms.models import match_key

BY_HUB = "hugging_face_hub"
BY_HINT = "catalogue_hint"
PRECEDENCE = (openness.BY_OVERRIDE, BY_HUB, openness.BY_EPOCH, openness.BY_LICENCE, BY_HINT)
SHORT_LABELS = {
    openness.BY_OVERRIDE: "override",
    openness.BY_EPOCH: "epoch",
    BY_HUB: "hf",
    openness.BY_LICENCE: "lmarena_license",
    BY_HINT: "hint",
}


@dataclass(frozen=True)
class Evidence:
    source: str  # one of PRECEDENCE
    claim: str  # what was observed, e.g. "Epoch accessibility", "hugging_face_id on OpenRouter"
    raw_value: str
    tier: str | None  # None: the evidence says open/closed but not which tier
    openness: str | None
    since: dt.date | None = None  # the date the claim holds from: an override's effective_from, a board's date

    @property
    def short(self) -> str:
        label = SHORT_LABELS[self.source]
        return f"{label}={self.tier if self.source == openness.BY_OVERRIDE else self.raw_value}"


@dataclass
class Verdict:
    tier: str
    openness: str | None
    source: str
    evidence: list[Evidence] = field(default_factory=list)
    conflict: bool = False
    open_weights_since: dt.date | None = None  # when the deciding evidence dates the weights' publication

    @property
    def summary(self) -> str:
        """All evidence on one line, e.g. ``override=api_access; lmarena_license=Qwen``."""
        return "; ".join(e.short for e in self.evidence)


def weigh(evidence: list[Evidence]) -> Verdict:
    """Apply the precedence to one model's evidence."""
    ordered = sorted(evidence, key=lambda e: PRECEDENCE.index(e.source))
    claims = [e for e in ordered if e.openness is not None]  # evidence that says open or closed
    verdict = Verdict(openness.UNKNOWN, None, openness.BY_NOTHING, ordered)
    if claims and claims[0].tier is not None:
        verdict.tier, verdict.source = claims[0].tier, claims[0].source
    elif claims:
        # Open or closed is settled, the tier is not (weights on the Hub, licence unknown): take the tier from
        # the next evidence that agrees. Weights on the Hub are open whatever else is said; a catalogue hint
        # alone never fixes a tier.
        agreeing = next((e for e in claims if e.tier is not None and e.openness == claims[0].openness), None)
        if agreeing is not None:
            verdict.tier, verdict.source = agreeing.tier, f"{claims[0].source}+{agreeing.source}"
        elif claims[0].source == BY_HUB:
            verdict.tier, verdict.source = openness.OPEN_LICENCE_UNKNOWN, BY_HUB
    verdict.openness = openness.openness_of(verdict.tier)
    verdict.conflict = len({e.openness for e in claims}) > 1
    if verdict.openness == "open" and claims and claims[0].source == openness.BY_OVERRIDE:
        verdict.open_weights_since = claims[0].since  # a dated override: the day the weights were published
    return verdict


def from_override(model_key: str, on: dt.date | None = None) -> list[Evidence]:
    """The curated override that holds on ``on`` (None: today), as evidence."""
    found = openness.override_on(model_key, on)
    if found is None:
        return []
    tier = found.tier
    return [
        Evidence(
            openness.BY_OVERRIDE,
            "curated override",
            found.reason,
            tier,
            openness.openness_of(tier),
            found.effective_from,
        )
    ]


def from_epoch(accessibility: str | None) -> list[Evidence]:
    accessibility = openness.text_or_none(accessibility)
    if not accessibility:
        return []
    tier = openness.epoch_tier(accessibility)
    return [Evidence(openness.BY_EPOCH, "Epoch AI accessibility", accessibility, tier, openness.openness_of(tier))]


def from_licence(
    licence_raw: str | None, claim: str = "LMArena licence", stated_on: dt.date | None = None
) -> list[Evidence]:
    """A leaderboard's licence string; ``stated_on``: the publication date of the board that stated it."""
    licence_raw = openness.text_or_none(licence_raw)
    if not licence_raw:
        return []
    tier = openness.licence(licence_raw).tier
    return [Evidence(openness.BY_LICENCE, claim, licence_raw, tier, openness.openness_of(tier), stated_on)]


def from_hub(
    repo_id: str | None, hub_licence: str | None, claim: str, base: tuple[str, str] | None = None
) -> list[Evidence]:
    """A Hugging Face repo holding the weights. Its licence gives the tier when listed in licences.csv; a
    derivative of a base model (``base``: its repo and licence) is bound by the base's terms too, so it takes
    the stricter of the two tiers (a Gemma fine-tune labelled MIT is still under the Gemma Terms of Use)."""
    if not repo_id:
        return []
    tier = openness.licence(hub_licence).tier if hub_licence else openness.UNKNOWN
    value = f"{repo_id} ({hub_licence})" if hub_licence else repo_id
    if base is not None and tier != openness.UNKNOWN:
        base_tier = openness.licence(base[1]).tier
        if base_tier in OPEN_STRICTNESS and OPEN_STRICTNESS.index(base_tier) > OPEN_STRICTNESS.index(tier):
            tier, value = base_tier, f"{value}; base {base[0]} ({base[1]})"
    return [Evidence(BY_HUB, claim, value, None if tier == openness.UNKNOWN else tier, "open")]


# Open tiers with known terms, least to most restricted (OPEN_TIERS' order): a derivative is no freer than its base.
OPEN_STRICTNESS = tuple(t for t in openness.OPEN_TIERS if t != openness.OPEN_LICENCE_UNKNOWN)


def from_hint(claim: str, raw_value: str, is_open: bool | None) -> list[Evidence]:
    """Catalogue hints (Artificial Analysis' open-weights flag). Absence of a Hub id is not evidence at all."""
    if is_open is None:
        return []
    return [Evidence(BY_HINT, claim, raw_value, None, "open" if is_open else "closed")]


@cache
def _curated_hub_licences() -> tuple[tuple[str, str], ...]:
    rows = read_rows("hub_licences.csv", ("repo_id", "license_raw", "reason", "source_url"))
    return tuple((row["repo_id"], row["license_raw"]) for row in rows)


@dataclass
class HubIndex:
    """Hugging Face repos the sources name (OpenRouter's catalogue, the Open LLM Leaderboard), by model match key,
    and their licences: those the sources give, then the curated ``data/hub_licences.csv`` (checked model cards)."""

    repos: dict[str, str] = field(default_factory=dict)  # match_key -> repo id
    licences: dict[str, str] = field(default_factory=dict)  # repo id (lowercase) -> hub licence
    bases: dict[str, str] = field(default_factory=dict)  # repo id (lowercase) -> the repo it derives from

    def add_curated_licences(self) -> None:
        # A checked model card fills what the sources leave open: no licence, or the Hub's generic "other".
        # Where a source (the Hub itself) names the licence, it stands and the curated row is not needed.
        for repo, licence in _curated_hub_licences():
            if self.licences.get(repo.lower()) in (None, "other"):
                self.licences[repo.lower()] = licence

    def add_repo(self, repo: str, labels: list[str]) -> None:
        """A repo a source names, found later by any of ``labels`` or by the repo's own model name."""
        for label in (*labels, repo.split("/", 1)[-1]):
            if label:
                self.repos.setdefault(match_key(label), repo)

    def add_hub_licence(self, repo: str, licence: str | None) -> None:
        if licence:
            self.licences.setdefault(repo.lower(), licence)

    def licence_of(self, repo: str) -> str | None:
        return self.licences.get(repo.lower())

    def add_base(self, repo: str, base: str | None) -> None:
        if base and base.lower() != repo.lower():
            self.bases.setdefault(repo.lower(), base)

    def inherited(self, repo: str) -> tuple[str, str] | None:
        """The nearest base up ``repo``'s lineage whose licence is known: (base repo, its licence)."""
        seen, current = {repo.lower()}, self.bases.get(repo.lower())
        while current is not None and current.lower() not in seen:
            if (licence := self.licence_of(current)) is not None:
                return current, licence
            seen.add(current.lower())
            current = self.bases.get(current.lower())
        return None

    def lookup(self, name: str) -> tuple[str | None, str | None]:
        """The repo known for a model name, and its Hub licence when known."""
        repo = self.repos.get(match_key(name))
        return repo, (self.licence_of(repo) if repo else None)
