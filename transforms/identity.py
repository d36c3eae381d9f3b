"""One identity per model across sources, and one openness verdict per identity from everything sources claim.

Three parts, built once per snapshot:

- ``Resolver`` says where a source's name leads: a curated alias, else the registry entry with the same match
  key, else a Hugging Face repo known for the name, else the name itself (see ``canonical_key``).
- ``EvidencePools`` keeps, per canonical key, every claim made about the model (override, registry
  accessibility, weights on the Hub, licence, catalogue hint) and weighs each pool once, so every row of every
  table that names the same model gets the same tier, and two sources that disagree show up as one conflict.
- ``Linker`` is what the snapshot build calls for every row of every source: resolve, then add the row's claims
  to its model's pool, and remember the name for ``model_identities``.

``audit_tables`` returns the paper trail: evidence, conflicts, unmatched names and every source's name per key.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from extractors import registry
from opengap.contracts import PROVENANCE
from opengap.errors import OpengapError
from opengap.source import Registry, column
from transforms import evidence as ev
from transforms import openness
from transforms.models import HUGGING_FACE, alias_of, match_key, model_key

HUB_CLAIM = "weights on the Hugging Face Hub"


@dataclass(eq=False)
class Link:
    """Where one source row's name led."""

    entry: pd.Series | None  # the registry entry
    hub_repo: str | None
    how: str  # alias | <registry source> | hub | name: what decided the canonical key
    canonical_key: str
    repo_claimed: bool = False  # the row itself or a curated alias names the repo (not a lookup by name)


@dataclass
class RegistryIndex:
    """The registry's entries by exact name and by match key; a name in several files resolves to the
    preferred file's row, and among entries with one match key the newest wins."""

    source: str | None = None  # the registry's source name (alias targets name it)
    declared: Registry | None = None
    by_name: dict[str, pd.Series] = field(default_factory=dict)
    by_key: dict[str, pd.Series] = field(default_factory=dict)

    @classmethod
    def build(cls, source: str | None, declared: Registry | None, rows: pd.DataFrame | None) -> RegistryIndex:
        index = cls(source, declared)
        if declared is None or rows is None or rows.empty:
            return index
        preferred_column, preferred = declared.preferred
        ordered = rows.assign(_preferred=rows[preferred_column].eq(preferred)).sort_values(
            ["_preferred", declared.newest, declared.name],
            ascending=[False, False, True],
            kind="stable",
            na_position="last",
        )
        for _, row in ordered.iterrows():
            index.by_name.setdefault(row[declared.name], row)
            index.by_key.setdefault(match_key(row[declared.name]), row)
        return index

    def name_of(self, entry: pd.Series) -> str:
        assert self.declared is not None
        return entry[self.declared.name]


def canonical_key(name: str, entry_name: str | None, hub_repo: str | None) -> str:
    """One key for one model across sources: the linked registry entry's name, else the Hub repo's model name,
    else the source's own name; always in match-key form (lowercase, packaging and effort suffixes cut)."""
    if entry_name is not None:
        return match_key(entry_name)
    if hub_repo:
        return match_key(hub_repo.split("/", 1)[-1])
    return match_key(name)


@dataclass
class Resolver:
    registry: RegistryIndex
    hub: ev.HubIndex

    def _key(self, name: str, entry: pd.Series | None, repo: str | None) -> str:
        return canonical_key(name, None if entry is None else self.registry.name_of(entry), repo)

    def identify(
        self, source: str, name: str, hub_repo: str | None = None, use_registry: bool = True, _hops: int = 0
    ) -> Link:
        """Where a source's name leads: a curated alias first, then the registry by match key, then a Hub repo."""
        alias = alias_of(source, name)
        if alias is not None and _hops > 3:
            raise OpengapError(f"model_aliases.csv: the aliases from {source} {name!r} go round in a circle")
        if alias is not None:
            target_source, target = alias
            if target_source == HUGGING_FACE:
                return Link(None, target, "alias", canonical_key(name, None, target), repo_claimed=True)
            if target_source == self.registry.source:
                entry = self.registry.by_name.get(target)
                if entry is not None:  # absent from a backfill date's registry: fall back to the name rules
                    repo = hub_repo or self.hub.lookup(name)[0]
                    return Link(entry, repo, "alias", self._key(name, entry, repo))
            else:  # another source's name for the same model: whatever that name resolves to
                target_link = self.identify(target_source, target, _hops=_hops + 1)
                repo = hub_repo or target_link.hub_repo
                return Link(target_link.entry, repo, "alias", target_link.canonical_key, bool(hub_repo))
        repo = hub_repo or self.hub.lookup(name)[0]
        entry = self.registry.by_key.get(match_key(name)) if use_registry else None
        how = self.registry.source if entry is not None else "hub" if repo else "name"
        return Link(entry, repo, str(how), self._key(name, entry, repo), bool(hub_repo))


@dataclass(frozen=True)
class Claim:
    evidence: ev.Evidence
    subject: str  # the table whose row made the claim
    model_key: str
    provenance: dict[str, Any]


@dataclass
class EvidencePools:
    # canonical_key -> (evidence source, claim, raw value) -> the first row that made that claim
    pools: dict[str, dict[tuple[str, str, str], Claim]] = field(default_factory=lambda: defaultdict(dict))
    _verdicts: dict[str, ev.Verdict] = field(default_factory=dict)

    def add(self, canonical: str, subject: str, key: str, provenance: dict[str, Any], found: list[ev.Evidence]) -> None:
        pool = self.pools[canonical]  # created even without evidence: the model is known, its tier unknown
        for item in found:
            pool.setdefault((item.source, item.claim, item.raw_value), Claim(item, subject, key, provenance))
        self._verdicts.pop(canonical, None)

    def verdict(self, canonical: str) -> ev.Verdict:
        if canonical not in self._verdicts:
            self._verdicts[canonical] = ev.weigh([c.evidence for c in self.pools[canonical].values()])
        return self._verdicts[canonical]

    def tag(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Rows with a ``canonical_key`` column, plus the openness its pool of evidence decides."""
        return with_verdicts(rows, [self.verdict(k) for k in rows["canonical_key"]])


def with_verdicts(rows: pd.DataFrame, verdicts: list[ev.Verdict]) -> pd.DataFrame:
    """``rows`` tagged with one verdict each (``EvidencePools.tag``; the models of many dates, each its own)."""
    return rows.assign(
        openness_tier=[v.tier for v in verdicts],
        openness=[v.openness for v in verdicts],
        openness_source=[v.source for v in verdicts],
        openness_evidence=[v.summary for v in verdicts],
        openness_rule_version=openness.rule_version(),
        open_weights_since=[v.open_weights_since for v in verdicts],
    )


@dataclass
class Linker:
    """Links every row of every source of one snapshot and pools their claims (phase 1); ``pools.tag`` then
    weighs each pool (phase 2). ``licences`` are the licences a leaderboard lists per name (by match key),
    claimed for any source's row that asks for them; ``licence_source`` is that leaderboard."""

    resolver: Resolver
    on: dt.date | None = None  # the snapshot date: curated overrides are taken as they hold on it
    licences: dict[str, str] = field(default_factory=dict)
    licence_dates: dict[str, dt.date] = field(default_factory=dict)  # when the leaderboard stated each licence
    licence_source: str | None = None
    pools: EvidencePools = field(default_factory=EvidencePools)
    identities: list[dict[str, Any]] = field(default_factory=list)

    def link(
        self,
        subject: str,
        key: str,
        name: str,
        provenance: dict[str, Any],
        *,
        licence_raw: str | None = None,
        hub_repo: str | None = None,
        hint: bool | None = None,
        use_registry: bool = True,
    ) -> Link:
        """Link one source row (``subject`` names its source) and add its claims to its model's pool.
        ``hub_repo`` when the row names its repo; ``licence_raw`` None looks the name up in the leaderboard's
        licences."""
        link = self.resolver.identify(subject, name, hub_repo, use_registry)
        canonical = link.canonical_key
        looked_up = name
        if licence_raw is None:  # the leaderboard's licence for this name, or for its name there (an alias)
            alias = alias_of(subject, name)
            looked_up = name if alias is None or alias[0] != self.licence_source else alias[1]
            licence_raw = self.licences.get(match_key(looked_up))
        overrides = ev.from_override(key, self.on) or ev.from_override(canonical, self.on)
        # A repo found by name (in OpenRouter's catalogue, say) links the row; the row naming it makes the claim.
        repo = link.hub_repo if link.repo_claimed else None
        hub = self.resolver.hub
        self.pools.add(
            canonical,
            subject,
            key,
            provenance,
            overrides
            + ev.from_hub(
                repo, hub.licence_of(repo) if repo else None, HUB_CLAIM, hub.inherited(repo) if repo else None
            )
            + ev.from_licence(licence_raw, stated_on=self.licence_dates.get(match_key(looked_up)))
            + ev.from_hint("Artificial Analysis open-weights flag", str(hint), hint),
        )
        if link.entry is not None:
            registry = self.resolver.registry
            assert registry.declared is not None and registry.source is not None
            self.pools.add(
                canonical,
                registry.source,
                model_key(registry.name_of(link.entry)),
                {c: link.entry.get(c) for c in PROVENANCE},
                ev.from_epoch(link.entry[registry.declared.accessibility]),
            )
        self.identities.append(
            {"canonical_key": canonical, "source_name": name, "model_key": key, "link": link.how, **provenance}
        )
        return link


def resolver_for(rows_by_source: Mapping[str, pd.DataFrame | None]) -> Resolver:
    """Where names lead in this snapshot: the registry's entries, and the Hub repos (with their licences) the
    sources name, then the curated Hub licences."""
    sources = registry.sources()
    entries = RegistryIndex()
    hub = ev.HubIndex()
    for name, rows in rows_by_source.items():
        declared = sources[name].models
        if declared is None or rows is None:
            continue
        if declared.registry is not None:
            entries = RegistryIndex.build(name, declared.registry, rows)
        if declared.hub_repo is None:
            continue
        repos = column(rows, declared.hub_repo)
        if declared.hub_licence is not None:
            for repo, licence in zip(repos, rows[declared.hub_licence], strict=True):
                hub.add_hub_licence(repo, licence if isinstance(licence, str) else None)
            if declared.hub_renamed_from is not None:  # a source naming the old id reads the same card
                for old, licence in zip(rows[declared.hub_renamed_from], rows[declared.hub_licence], strict=True):
                    if isinstance(old, str) and isinstance(licence, str):
                        hub.add_hub_licence(old, licence)
        if declared.hub_base is not None:
            for repo, base in zip(repos, rows[declared.hub_base], strict=True):
                hub.add_base(repo, base if isinstance(base, str) else None)
        labels = [column(rows, c) for c in declared.hub_names]
        for i, repo in enumerate(repos):
            if isinstance(repo, str) and repo:
                hub.add_repo(repo, [str(label.iloc[i]) for label in labels])
    hub.add_curated_licences()
    return Resolver(entries, hub)


def audit_tables(linker: Linker, ranks: dict[tuple[str, str], int] | None = None) -> dict[str, pd.DataFrame]:
    """The paper trail. ``ranks`` gives a (source, name) its best leaderboard rank for ``unmatched_names``."""
    ranks = ranks or {}
    pools = linker.pools
    evidence, conflicts = [], []
    for canonical, pool in pools.pools.items():
        verdict = pools.verdict(canonical)
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
                    # when the claim holds from: its dated source, else the retrieval of the row that made it
                    "observed_on": item.since or pd.Timestamp(claim.provenance["retrieved_at"]).date(),
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
    identities = pd.DataFrame.from_records(linker.identities, columns=_IDENTITY_COLUMNS).drop_duplicates(
        ["source", "source_name"]
    )
    return {
        "openness_evidence": pd.DataFrame.from_records(evidence, columns=_EVIDENCE_COLUMNS),
        "openness_conflicts": pd.DataFrame.from_records(conflicts, columns=_CONFLICT_COLUMNS),
        "model_identities": identities,
        "unmatched_names": _unmatched(pools, identities, ranks),
    }


def _unmatched(pools: EvidencePools, identities: pd.DataFrame, ranks: dict[tuple[str, str], int]) -> pd.DataFrame:
    """Names that reached no registry entry, no Hub repo and no other source's name: kept and listed."""
    sources_per_key = identities.groupby("canonical_key")["source"].nunique()
    alone = identities[identities["link"].eq("name") & identities["canonical_key"].map(sources_per_key).eq(1)].rename(
        columns={"source_name": "name"}
    )
    alone = alone.assign(
        openness_tier=[pools.verdict(k).tier for k in alone["canonical_key"]],
        best_rank=pd.array(
            [ranks.get((s, n)) for s, n in zip(alone["source"], alone["name"], strict=True)], dtype="Int64"
        ),
    )
    return alone.sort_values(["best_rank", "source", "name"], na_position="last", kind="stable").reset_index(drop=True)


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
    "observed_on",
    *PROVENANCE,
]
_CONFLICT_COLUMNS = ["canonical_key", "open_evidence", "closed_evidence", "decided_tier", "decided_by", *PROVENANCE]
_IDENTITY_COLUMNS = ["canonical_key", "source_name", "model_key", "link", *PROVENANCE]
