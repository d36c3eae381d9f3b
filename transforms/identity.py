"""One identity per model across sources, and one openness verdict per identity from everything sources claim.

A ``Judge`` is built once per snapshot from the registry (Epoch AI), the Hub repos known from OpenRouter and the
Open LLM Leaderboard, and the licences LMArena published. It works in two phases:

1. ``link(...)`` is called for every row of every source. It resolves the row's name to a ``canonical_key``
   (a curated alias, else an Epoch AI entry, else a Hugging Face repo, else the name itself; see
   ``canonical_key``) and adds the claims the row makes (override, Epoch accessibility, weights on the Hub,
   licence, catalogue hint) to that key's pool of evidence.
2. ``verdict(canonical_key)`` weighs a pool once all rows are linked, so every row of every table that names the
   same model gets the same tier, and any two sources that disagree show up as one conflict.

``frames()`` returns the paper trail: evidence, conflicts, unmatched names and every source's name per key.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from extractors.base import PROVENANCE
from opengap.errors import OpengapError
from transforms import evidence as ev
from transforms import openness
from transforms.models import EPOCH, HUGGING_FACE, alias_of, epoch_index, match_key, model_key

HUB_CLAIM = "weights on the Hugging Face Hub"


@dataclass(eq=False)
class Link:
    """Where one source row's name led."""

    epoch_row: pd.Series | None
    hub_repo: str | None
    how: str  # alias | epoch | hub | name: what decided the canonical key
    canonical_key: str
    repo_claimed: bool = False  # the row itself or a curated alias names the repo (not a lookup by name)

    @property
    def epoch_model(self) -> str | None:
        return None if self.epoch_row is None else self.epoch_row["model"]


def canonical_key(name: str, epoch_row: pd.Series | None, hub_repo: str | None) -> str:
    """One key for one model across sources: the linked Epoch AI entry's name, else the Hub repo's model name,
    else the source's own name; always in match-key form (lowercase, packaging and effort suffixes cut)."""
    if epoch_row is not None:
        return match_key(epoch_row["model"])
    if hub_repo:
        return match_key(hub_repo.split("/", 1)[-1])
    return match_key(name)


@dataclass(frozen=True)
class _Claim:
    evidence: ev.Evidence
    subject: str  # the table whose row made the claim
    model_key: str
    provenance: dict[str, Any]


@dataclass
class Judge:
    epoch: pd.DataFrame
    openrouter: pd.DataFrame | None = None
    open_llm_leaderboard: pd.DataFrame | None = None
    lmarena_licences: dict[str, str] = field(default_factory=dict)  # match_key -> newest non-empty licence
    # canonical_key -> (evidence source, claim, raw value) -> the first row that made that claim
    _pools: dict[str, dict[tuple[str, str, str], _Claim]] = field(default_factory=lambda: defaultdict(dict))
    _verdicts: dict[str, ev.Verdict] = field(default_factory=dict)
    _identities: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._epoch_by_name, self._epoch_by_key = epoch_index(self.epoch)
        self.hub = ev.HubIndex()
        if self.open_llm_leaderboard is not None:
            for repo, licence in zip(
                self.open_llm_leaderboard["fullname"], self.open_llm_leaderboard["hub_license"], strict=True
            ):
                self.hub.add_hub_licence(repo, licence if isinstance(licence, str) else None)
        if self.openrouter is not None:
            for model_id, name, repo in zip(
                self.openrouter["model_id"], self.openrouter["name"], self.openrouter["hugging_face_id"], strict=True
            ):
                self.hub.add_openrouter(model_id, name, repo if isinstance(repo, str) else None)
        self.hub.add_curated_licences()

    # -- phase 1: link rows and pool their claims ---------------------------------------------------------------

    def identify(
        self, source: str, name: str, hub_repo: str | None = None, use_registry: bool = True, _hops: int = 0
    ) -> Link:
        """Where a source's name leads: a curated alias first, then Epoch AI by match key, then a Hub repo."""
        alias = alias_of(source, name)
        if alias is not None and _hops > 3:
            raise OpengapError(f"model_aliases.csv: the aliases from {source} {name!r} go round in a circle")
        if alias is not None:
            target_source, target = alias
            if target_source == HUGGING_FACE:
                return Link(None, target, "alias", canonical_key(name, None, target), repo_claimed=True)
            if target_source == EPOCH:
                row = self._epoch_by_name.get(target)
                if row is not None:  # absent from a backfill date's registry: fall back to the name rules
                    repo = hub_repo or self.hub.lookup(name)[0]
                    return Link(row, repo, "alias", canonical_key(name, row, repo))
            else:  # another source's name for the same model: whatever that name resolves to
                target_link = self.identify(target_source, target, _hops=_hops + 1)
                repo = hub_repo or target_link.hub_repo
                return Link(target_link.epoch_row, repo, "alias", target_link.canonical_key, bool(hub_repo))
        repo = hub_repo or self.hub.lookup(name)[0]
        row = self._epoch_by_key.get(match_key(name)) if use_registry else None
        how = "epoch" if row is not None else "hub" if repo else "name"
        return Link(row, repo, how, canonical_key(name, row, repo), bool(hub_repo))

    def link(
        self,
        subject: str,
        key: str,
        name: str,
        row: pd.Series | dict[str, Any],
        *,
        licence_raw: str | None = None,
        hub_repo: str | None = None,
        hint: bool | None = None,
        use_registry: bool = True,
    ) -> Link:
        """Link one source row (``subject`` names its table) and add its claims to its model's pool.
        ``hub_repo`` when the row names its repo; ``licence_raw`` None looks the name up in LMArena's licences."""
        link = self.identify(subject, name, hub_repo, use_registry)
        canonical = link.canonical_key
        provenance = {c: row[c] for c in PROVENANCE}
        if licence_raw is None:  # LMArena's licence for this name, or for the LMArena name it is an alias of
            alias = alias_of(subject, name)
            looked_up = name if alias is None or alias[0] != "lmarena" else alias[1]
            licence_raw = self.lmarena_licences.get(match_key(looked_up))
        overrides = ev.from_override(key) or ev.from_override(canonical)
        # A repo found by name (in OpenRouter's catalogue, say) links the row; the row naming it makes the claim.
        repo = link.hub_repo if link.repo_claimed else None
        self._add(
            canonical,
            subject,
            key,
            provenance,
            overrides
            + ev.from_hub(repo, self.hub.licence_of(repo) if repo else None, HUB_CLAIM)
            + ev.from_licence(licence_raw)
            + ev.from_hint("Artificial Analysis open-weights flag", str(hint), hint),
        )
        if link.epoch_row is not None:
            epoch_row = link.epoch_row
            self._add(
                canonical,
                "epoch",
                model_key(epoch_row["model"]),
                {c: epoch_row.get(c) for c in PROVENANCE},
                ev.from_epoch(epoch_row["model_accessibility"]),
            )
        self._identities.append(
            {"canonical_key": canonical, "source_name": name, "model_key": key, "link": link.how, **provenance}
        )
        return link

    def _add(
        self, canonical: str, subject: str, key: str, provenance: dict[str, Any], found: list[ev.Evidence]
    ) -> None:
        pool = self._pools[canonical]  # created even without evidence: the model is known, its tier unknown
        for item in found:
            pool.setdefault((item.source, item.claim, item.raw_value), _Claim(item, subject, key, provenance))
        self._verdicts.pop(canonical, None)

    # -- phase 2: weigh each pool once ---------------------------------------------------------------------------

    def verdict(self, canonical: str) -> ev.Verdict:
        if canonical not in self._verdicts:
            self._verdicts[canonical] = ev.weigh([c.evidence for c in self._pools[canonical].values()])
        return self._verdicts[canonical]

    def tag(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Rows with a ``canonical_key`` column, plus the openness its pool of evidence decides."""
        verdicts = [self.verdict(k) for k in rows["canonical_key"]]
        return rows.assign(
            openness_tier=[v.tier for v in verdicts],
            openness=[v.openness for v in verdicts],
            openness_source=[v.source for v in verdicts],
            openness_evidence=[v.summary for v in verdicts],
            openness_rule_version=openness.rule_version(),
        )

    def frames(self, ranks: dict[tuple[str, str], int] | None = None) -> dict[str, pd.DataFrame]:
        """The paper trail. ``ranks`` gives a (source, name) its best leaderboard rank for ``unmatched_names``."""
        ranks = ranks or {}
        evidence, conflicts = [], []
        for canonical, pool in self._pools.items():
            verdict = self.verdict(canonical)
            deciding = set(verdict.source.split("+"))
            for claim in pool.values():
                item = claim.evidence
                evidence.append(
                    {
                        "canonical_key": canonical,
                        "subject_source": claim.subject,
                        "model_key": claim.model_key,
                        "evidence_source": item.source,
                        "claim": item.claim,
                        "raw_value": item.raw_value,
                        "tier": item.tier,
                        "openness": item.openness,
                        "decisive": item.source in deciding,
                        **claim.provenance,
                    }
                )
            if verdict.conflict:
                sides = {o: "; ".join(e.short for e in verdict.evidence if e.openness == o) for o in ("open", "closed")}
                first = next(iter(pool.values()))  # the row that brought the first claim carries the provenance
                conflicts.append(
                    {
                        "canonical_key": canonical,
                        "open_evidence": sides["open"],
                        "closed_evidence": sides["closed"],
                        "decided_tier": verdict.tier,
                        "decided_by": verdict.source,
                        **first.provenance,
                    }
                )
        identities = pd.DataFrame.from_records(self._identities, columns=_IDENTITY_COLUMNS).drop_duplicates(
            ["source", "source_name"]
        )
        return {
            "openness_evidence": pd.DataFrame.from_records(evidence, columns=_EVIDENCE_COLUMNS),
            "openness_conflicts": pd.DataFrame.from_records(conflicts, columns=_CONFLICT_COLUMNS),
            "model_identities": identities,
            "unmatched_names": self._unmatched(identities, ranks),
        }

    def _unmatched(self, identities: pd.DataFrame, ranks: dict[tuple[str, str], int]) -> pd.DataFrame:
        """Names that reached no registry entry, no Hub repo and no other source's name: kept and listed."""
        sources_per_key = identities.groupby("canonical_key")["source"].nunique()
        alone = identities[
            identities["link"].eq("name") & identities["canonical_key"].map(sources_per_key).eq(1)
        ].rename(columns={"source_name": "name"})
        alone = alone.assign(
            openness_tier=[self.verdict(k).tier for k in alone["canonical_key"]],
            best_rank=[ranks.get((s, n)) for s, n in zip(alone["source"], alone["name"], strict=True)],
        )
        return (
            alone.sort_values(["best_rank", "source", "name"], na_position="last", kind="stable")
            .reset_index(drop=True)
            .astype({"best_rank": "Int64"})
        )


_EVIDENCE_COLUMNS = [
    "canonical_key",
    "subject_source",
    "model_key",
    "evidence_source",
    "claim",
    "raw_value",
    "tier",
    "openness",
    "decisive",
    *PROVENANCE,
]
_CONFLICT_COLUMNS = ["canonical_key", "open_evidence", "closed_evidence", "decided_tier", "decided_by", *PROVENANCE]
_IDENTITY_COLUMNS = ["canonical_key", "source_name", "model_key", "link", *PROVENANCE]
