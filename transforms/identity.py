"""Judging one model from every source at once: link it, collect the evidence, weigh it, keep the paper trail.

A ``Judge`` is built once per snapshot from the registry (Epoch AI), the Hub repos known from OpenRouter and
the Open LLM Leaderboard, and the licences LMArena published. ``judge(...)`` returns the verdict for one subject
row and records its evidence rows, any open/closed conflict, and whether the name stayed unmatched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from transforms import evidence as ev
from transforms.models import epoch_index, link_to_epoch, match_key

PROVENANCE = ("source", "source_url", "retrieved_at", "raw_sha256")


@dataclass
class Judged:
    verdict: ev.Verdict
    epoch_row: pd.Series | None
    epoch_match: str
    hub_repo: str | None
    canonical_key: str  # the same model across sources: see canonical_key()


def canonical_key(name: str, epoch_row: pd.Series | None, hub_repo: str | None) -> str:
    """One key for one model across sources: the linked Epoch AI entry's name, else the Hub repo's model name,
    else the source's own name; always in match-key form (lowercase, packaging and effort suffixes cut)."""
    if epoch_row is not None:
        return match_key(epoch_row["model"])
    if hub_repo:
        return match_key(hub_repo.split("/", 1)[-1])
    return match_key(name)


@dataclass
class Judge:
    epoch: pd.DataFrame
    openrouter: pd.DataFrame | None = None
    open_llm_leaderboard: pd.DataFrame | None = None
    lmarena_licences: dict[str, str] = field(default_factory=dict)  # match_key -> newest non-empty licence
    evidence_rows: list[dict[str, Any]] = field(default_factory=list)
    conflict_rows: list[dict[str, Any]] = field(default_factory=list)
    unmatched_rows: list[dict[str, Any]] = field(default_factory=list)
    identity_rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._epoch = epoch_index(self.epoch)
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

    def judge(
        self,
        subject: str,
        key: str,
        name: str,
        row: pd.Series,
        *,
        licence_raw: str | None = None,
        hub_repo: str | None = None,
        hint: bool | None = None,
        rank: int | None = None,
        link: bool = True,
    ) -> Judged:
        """Verdict for one subject row (``subject`` names its table); ``hub_repo`` when the row names its repo."""
        epoch_row, how = link_to_epoch(subject, name, self._epoch) if link else (None, "none")
        repo, hub_licence = (hub_repo, self.hub.licence_of(hub_repo)) if hub_repo else self.hub.lookup(name)
        if licence_raw is None:
            licence_raw = self.lmarena_licences.get(match_key(name))
        found = (
            ev.from_override(key)
            + ev.from_epoch(None if epoch_row is None else epoch_row["model_accessibility"])
            + ev.from_hub(repo, hub_licence, "weights on the Hugging Face Hub")
            + ev.from_licence(licence_raw)
            + ev.from_hint("Artificial Analysis open-weights flag", str(hint), hint)
        )
        verdict = ev.weigh(found)
        provenance = {c: row[c] for c in PROVENANCE}
        deciding = set(verdict.source.split("+"))
        for item in verdict.evidence:
            self.evidence_rows.append(
                {
                    "subject_source": subject,
                    "model_key": key,
                    "evidence_source": item.source,
                    "claim": item.claim,
                    "raw_value": item.raw_value,
                    "tier": item.tier,
                    "openness": item.openness,
                    "decisive": item.source in deciding,
                    **provenance,
                }
            )
        if verdict.conflict:
            sides = {o: "; ".join(e.short for e in verdict.evidence if e.openness == o) for o in ("open", "closed")}
            self.conflict_rows.append(
                {
                    "subject_source": subject,
                    "model_key": key,
                    "open_evidence": sides["open"],
                    "closed_evidence": sides["closed"],
                    "decided_tier": verdict.tier,
                    "decided_by": verdict.source,
                    **provenance,
                }
            )
        if epoch_row is None and repo is None:
            self.unmatched_rows.append(
                {  # "source" is the subject's own provenance column
                    "name": name,
                    "model_key": key,
                    "openness_tier": verdict.tier,
                    "best_rank": rank,
                    **provenance,
                }
            )
        canonical = canonical_key(name, epoch_row, repo)
        self.identity_rows.append(
            {
                "canonical_key": canonical,
                "source_name": name,
                "model_key": key,
                "link": "epoch" if epoch_row is not None else "hub" if repo else "name",
                **provenance,
            }
        )
        return Judged(verdict, epoch_row, how, repo, canonical)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The paper trail, deduplicated by each table's key (one model can stand in several rows)."""
        evidence = pd.DataFrame.from_records(self.evidence_rows, columns=_columns(self.evidence_rows, "evidence"))
        conflicts = pd.DataFrame.from_records(self.conflict_rows, columns=_columns(self.conflict_rows, "conflicts"))
        unmatched = pd.DataFrame.from_records(self.unmatched_rows, columns=_columns(self.unmatched_rows, "unmatched"))
        identities = pd.DataFrame.from_records(self.identity_rows, columns=_columns(self.identity_rows, "identities"))
        return {
            "openness_evidence": evidence.drop_duplicates(
                ["subject_source", "model_key", "evidence_source", "claim", "raw_value"]
            ),
            "openness_conflicts": conflicts.drop_duplicates(["subject_source", "model_key"]),
            "model_identities": identities.drop_duplicates(["source", "source_name"]),
            "unmatched_names": unmatched.sort_values("best_rank", na_position="last", kind="stable").drop_duplicates(
                ["source", "name"]
            ),
        }


_EMPTY_COLUMNS = {
    "evidence": [
        "subject_source",
        "model_key",
        "evidence_source",
        "claim",
        "raw_value",
        "tier",
        "openness",
        "decisive",
        *PROVENANCE,
    ],
    "conflicts": [
        "subject_source",
        "model_key",
        "open_evidence",
        "closed_evidence",
        "decided_tier",
        "decided_by",
        *PROVENANCE,
    ],
    "unmatched": ["name", "model_key", "openness_tier", "best_rank", *PROVENANCE],
    "identities": ["canonical_key", "source_name", "model_key", "link", *PROVENANCE],
}


def _columns(rows: list[dict[str, Any]], kind: str) -> list[str]:
    return list(rows[0]) if rows else _EMPTY_COLUMNS[kind]
