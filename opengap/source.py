"""What a source declares about itself, once, in its own module (``SOURCE = Source(...)``).

Everything else reads these declarations through the registry (``extractors/registry.py``): the flows, the
CLI, the snapshot build, the models dimension, the manifest, the generated expectation suites and the README's
source table. The declarations are data; the transforms interpret them (``transforms/``), so a source module
never imports a later layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from opengap.contracts import TableSpec

# A column of the source's rows, named, or computed from the rows by a pure function.
Column = str | Callable[[pd.DataFrame], pd.Series]


def column(rows: pd.DataFrame, spec: Column) -> pd.Series:
    return rows[spec] if isinstance(spec, str) else spec(rows)


# How a source's rows are cut to what was knowable on the snapshot date (transforms/as_of.py).
PUBLISHED = "published"  # a history of dated boards: per board, the newest published on or before the date
RECONSTRUCTED = "reconstructed"  # a registry served as it is now: later files cut to entries dated by then
CURRENT_STATE = "current_state"  # an API serving only its present: left out of snapshots before its retrieval
SUBMITTED = "submitted"  # a static table of dated submissions: rows submitted by the date (or undated)
AS_OF_KINDS = (PUBLISHED, RECONSTRUCTED, CURRENT_STATE, SUBMITTED)


@dataclass(frozen=True)
class AsOf:
    kind: str  # one of AS_OF_KINDS
    date_column: str | None = None  # the rows' date the cut compares with the snapshot date
    group: tuple[str, ...] = ()  # PUBLISHED: the columns naming one board (besides its date)

    def __post_init__(self) -> None:
        if self.kind not in AS_OF_KINDS:
            raise ValueError(f"as-of kind {self.kind!r} is not one of {', '.join(AS_OF_KINDS)}")


@dataclass(frozen=True)
class Registry:
    """The source is the model registry names resolve to: one entry per model, with its accessibility."""

    name: str  # column: the entry's name
    accessibility: str  # column: the registry's access vocabulary (transforms/data/epoch_accessibility.csv)
    preferred: tuple[str, str]  # (column, value): a name in several of its files resolves to this file's row
    newest: str  # date column: among entries with one match key the newest wins


@dataclass(frozen=True)
class Leaderboard:
    """A history of boards with many rows per model: each model's licence and organization are its newest
    non-empty values, and the licence a model is listed under is evidence for every source naming it."""

    licence: str  # column
    organization: str  # column
    headline: tuple[str, str]  # (board, category) whose rank is the model's rank in the models dimension
    rank: str = "rank"  # column


@dataclass(frozen=True)
class Ranking:
    """A catalogue ranked by one of its scores: the rank column it gains, and its board in the gap mart."""

    score: str  # column: higher is better
    rank_column: str  # the column the rank is published in
    category: str  # the gap mart's category for this board (the board is the source's name)
    display_name: str  # column: the name shown in the gap mart


@dataclass(frozen=True)
class Adoption:
    """The source measures adoption of open models; ``open_adoption`` sums it per organization.

    ``measures`` maps an ``open_adoption`` column to this source's column (summed). ``organization`` names the
    column holding the organization; without one, a row counts for the organization of the repo its model
    links to in a source that has one (an Ollama model counts for the Hub organization of the same model)."""

    measures: dict[str, str]
    organization: str | None = None
    family: str | None = None  # column: the model family a row counts for (``family_adoption``), if any
    shares: tuple[str, ...] = ()  # measures whose share per organization is published (``share_of_<measure>``)


@dataclass(frozen=True)
class Derivatives:
    """The source counts derivatives of Hub base repos; ``hub_derivatives`` publishes them per base and relation.

    Either ``counts`` maps each relation to a column holding its count (the Hub's ``childrenModelCount``), or the
    rows are the children themselves and ``relation`` names their relation column (counted per base)."""

    base: str  # column: the base repo
    method: str  # how the count is made: children_model_count | reconstructed_from_created_at
    counts: dict[str, str] = field(default_factory=dict)
    relation: str | None = None


@dataclass(frozen=True)
class Funding:
    """The source's rows are money raised by companies; ``funding_rounds`` stacks every funding source's rows,
    each with its company's openness stance on its date (``transforms/funding.py``)."""

    kind: str  # sec_form_d | cited
    round_id: Column  # names one round (or filing) within the source
    dated: str  # date column: the day the round counts on
    amount_usd: str  # column: US dollars raised (null: no dollar figure stated)
    round_type: Column
    org_key: str = "org_key"  # column: the company (transforms/data/companies.csv)
    supersedes: str | None = None  # column: the round a row amends; the amended one no longer counts
    announced: bool = False  # rows are announcements: a filing near one of the same company is that raise


@dataclass(frozen=True)
class ModelRows:
    """How a source's rows link to the model identity, what evidence they bring, what they tell the dimension.

    ``attributes`` maps a ``models`` column to (where this source has it, precedence): for each model the
    source with the lowest precedence number that knows the attribute wins.
    """

    name: Column  # the source's name for the model (its model_key and its link)
    attributes: dict[str, tuple[Column, int]]
    organization: Column | None = None  # gives the rows an org_key (transforms/data/org_aliases.csv)
    hub_repo: Column | None = None  # a Hugging Face repo holding the weights: evidence of open weights
    hub_licence: str | None = None  # column: that repo's Hub licence
    hub_base: str | None = None  # column: the repo those weights derive from (a fine-tune keeps its base's terms)
    hub_renamed_from: str | None = None  # column: the repo's old id (the Hub answered a rename): same licence
    hub_names: tuple[Column, ...] = ()  # other names the repo is known by, so other sources' names find it
    open_hint: str | None = None  # column: a catalogue's own open-weights flag (never decides a tier alone)
    licence_by_name: bool = False  # claims the licence a leaderboard lists for the same name
    match_registry: bool = True  # False: names are Hub repos, never registry entries
    not_a_model: str | None = None  # boolean column: rows that name no model (routers), kept unlinked
    registry: Registry | None = None
    leaderboard: Leaderboard | None = None
    ranking: Ranking | None = None
    dimension_columns: tuple[Any, ...] = ()  # pyarrow fields this source adds to ``models`` (its attributes)
    rank: tuple[str, str] | None = None  # (rank column of the linked rows, the ``models`` column of its best)
    adoption: Adoption | None = None  # downloads, likes, derivatives, pulls: summed per organization


def every_file(meta: Any) -> bool:
    return True


@dataclass(frozen=True)
class Source:
    name: str  # the raw store folder, the `source` provenance value, the --sources name
    title: str  # for people: README, --help, manifest
    what: str  # one line: what opengap takes from it
    homepage: str
    license: str
    parse: Callable[..., Any]  # parse(raw: bytes, meta: RawMeta) -> pyarrow.Table, pure
    # parse's rows with the text dictionary-encoded, built batch by batch: how a backfill holds a history (PUBLISHED)
    parse_compact: Callable[..., Any] | None = None
    # combine([(meta, parsed table), …]) -> one table, pure: how a day's files make one table (default: stacked)
    combine: Callable[..., Any] | None = None
    fetch: Callable[..., Any] | None = None  # fetch(session, store, date, *, refresh, history); None: parse only
    table: TableSpec | None = None  # what a snapshot publishes from it (None: parse only)
    as_of: AsOf = field(default_factory=lambda: AsOf(CURRENT_STATE))
    attribution: str | None = None  # a credit line its terms ask for, carried in every manifest
    static: bool = False  # retired: fetched once, the stored copy reused by later runs
    accumulates: bool = False  # each raw folder holds what was new that day: a snapshot reads every folder to date
    needs: str | None = None  # an environment variable without which fetch skips the source
    request_budget: int | None = None  # most requests one fetch may send (an API's rate-limit window)
    max_per_second: float | None = None  # the request rate the source's terms allow (SEC: 10 per second)
    data_file: Callable[[Any], bool] = every_file  # which raw files hold rows (others are bookkeeping)
    licence_column: str | None = None  # the column `opengap parse` tags rows by, when no registry decides
    models: ModelRows | None = None  # None: the rows name no model (no identity, no openness)
    derivatives: Derivatives | None = None  # the rows count derivatives of Hub repos (hub_derivatives)
    funding: Funding | None = None  # the rows are money raised by companies (funding_rounds)

    @property
    def cli_name(self) -> str:
        return self.name.replace("_", "-")

    @property
    def nightly(self) -> bool:
        return self.fetch is not None and self.table is not None

    @property
    def backfill(self) -> str:
        """What a backfill of an earlier date gets from this source (README, `opengap sources`)."""
        return {
            PUBLISHED: "full history, downloaded once and cut per date",
            RECONSTRUCTED: "today's file, cut to entries published by each date",
            CURRENT_STATE: "only dates on or after its first retrieval",
            SUBMITTED: "the static table, cut to rows submitted by each date",
        }[self.as_of.kind]
