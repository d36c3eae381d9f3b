"""From parsed source rows to the tables one snapshot publishes (pure: same inputs, same tables).

Every step reads the sources' declarations (``extractors/registry.py``); no source is named here:
1. cut each source to the snapshot date (its as-of kind, ``transforms/as_of.py``);
2. link every row of every source to its canonical model, pooling the claims about it (the registry last);
3. weigh each model's pool once and tag every row; 4. the sources' tables, the gap mart, the models
dimension and the audit tables.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Mapping
from functools import partial

import pandas as pd
import pyarrow as pa

from extractors import registry
from opengap.errors import OpengapError
from opengap.source import Source
from transforms import as_of
from transforms.as_of import Indexed, LeaderboardHistory
from transforms.claims import claims_check
from transforms.dimension import build_dimension
from transforms.funding import funding_tables
from transforms.identity import Linker, audit_tables, resolver_for
from transforms.linking import claim_board_licences, link_leaderboard, link_rows, tag_board_rows
from transforms.marts import catalogue_board, hub_derivatives, open_adoption, open_closed_gap
from transforms.tables import (
    ADOPTION_GROUPS,
    AUDIT_TABLES,
    CLAIMS_CHECK,
    FUNDING_TABLES,
    HUB_DERIVATIVES,
    OPEN_CLOSED_GAP,
    models_table,
    open_adoption_table,
)


def concat_parsed(tables: list[pa.Table]) -> pa.Table:
    """One table from the tables parsed from a source's raw files of one date (their per-file drift
    metadata dropped: the caller reads it from each table first)."""
    return pa.concat_tables([t.replace_schema_metadata(None) for t in tables])


def _frame(rows: pd.DataFrame | pa.Table | LeaderboardHistory) -> pd.DataFrame | LeaderboardHistory:
    return rows.to_pandas() if isinstance(rows, pa.Table) else rows


def build_snapshot(
    parsed: Mapping[str, pd.DataFrame | pa.Table | LeaderboardHistory],
    snapshot_date: dt.date,
    raw_dates: Mapping[str, str] | None = None,
    *,
    check_claims: bool = True,
) -> dict[str, pa.Table]:
    """Tables for ``snapshot_date`` from each source's parsed rows (keys: source names). ``raw_dates`` says
    when each source's raw files were retrieved, which decides what each source may contribute (as of).
    ``check_claims``: measure the published claims too, rebuilding the tables of each claim's date."""
    raw_dates = raw_dates or {}
    sources = {name: s for name, s in registry.sources().items() if name in parsed}
    indexed: dict[str, Indexed] = {}
    for name, source in sources.items():
        rows = _frame(parsed[name])
        indexed[name] = rows if isinstance(rows, LeaderboardHistory) else as_of.index(source, rows)
    on_date = {name: as_of.cut(s, indexed[name], snapshot_date, raw_dates.get(name)) for name, s in sources.items()}

    linker = Linker(resolver_for(on_date), on=snapshot_date)
    boards = {n: s for n, s in sources.items() if s.models is not None and s.models.leaderboard is not None}
    # The licences a leaderboard lists: evidence for any source's row of the same name.
    licences = {name: claim_board_licences(s, indexed[name], linker, snapshot_date) for name, s in boards.items()}

    # Phase 1: link every source's rows, pooling their claims per model (the registry's own rows last: the rows
    # naming a model bring its registry entry's claims first). Phase 2: weigh each pool and tag the rows.
    linked: dict[str, pd.DataFrame] = {}
    for name, source in sorted(sources.items(), key=lambda item: _is_registry(item[1])):
        rows = on_date[name]
        if rows is None or source.models is None:
            continue
        if name in boards:
            linked[name] = link_leaderboard(source, indexed[name], rows, licences[name], linker, snapshot_date)
        else:
            linked[name] = link_rows(source, rows, linker)
    tagged = {name: linker.pools.tag(rows) for name, rows in linked.items()}

    tables: dict[str, pa.Table] = {}
    gaps = []
    for name, source in sources.items():
        rows = on_date[name]
        if rows is None or source.table is None:
            continue
        if name in boards:
            rows = tag_board_rows(source, rows, tagged[name])
            gaps.append(open_closed_gap(rows, snapshot_date, source.models.leaderboard.headline[-1]))
        elif name in tagged:
            rows = tagged[name]
            if source.models.ranking is not None:
                board = catalogue_board(source, rows, raw_dates.get(name, snapshot_date.isoformat()))
                gaps.append(open_closed_gap(board, snapshot_date, source.models.ranking.category))
        tables[source.table.name] = source.table.to_arrow(rows)
    if gaps:
        tables[OPEN_CLOSED_GAP.name] = OPEN_CLOSED_GAP.to_arrow(pd.concat(gaps, ignore_index=True))
    derivatives = hub_derivatives(sources, on_date)
    if not derivatives.empty:
        tables[HUB_DERIVATIVES.name] = HUB_DERIVATIVES.to_arrow(derivatives)
    funding = funding_tables(sources, on_date)
    for spec in FUNDING_TABLES:
        if spec.name in funding:
            tables[spec.name] = spec.to_arrow(funding[spec.name])
    if check_claims:
        on_claim_date = partial(_tables_on_claim_date, parsed, dict(raw_dates))
        checked = claims_check(tables, snapshot_date, on_claim_date)
        if not checked.empty:
            tables[CLAIMS_CHECK.name] = CLAIMS_CHECK.to_arrow(checked)
    for by in ADOPTION_GROUPS:
        adoption = open_adoption(sources, tagged, by)
        if not adoption.empty:
            spec = open_adoption_table(by)  # measures of sources absent from this snapshot stay null
            tables[spec.name] = spec.to_arrow(adoption.reindex(columns=spec.schema.names))
    if linked:
        tables["models"] = models_table().to_arrow(build_dimension(registry.sources(), tagged, linker.pools))
        trail = audit_tables(linker, _ranks(sources, tagged))
        for spec in AUDIT_TABLES:
            tables[spec.name] = spec.to_arrow(trail[spec.name])
    return tables


_CLAIM_DATE_TABLES: OrderedDict[tuple, tuple[Mapping, dict[str, pa.Table]]] = OrderedDict()


def _tables_on_claim_date(
    parsed: Mapping[str, pd.DataFrame | pa.Table | LeaderboardHistory], raw_dates: dict[str, str], day: dt.date
) -> dict[str, pa.Table]:
    """The tables a snapshot of a claim's date would publish, from the same parsed rows; kept for the next dates
    of a backfill, which ask for the same claim dates from the same rows (the entry holds ``parsed``, so the ids
    in its key stay taken)."""
    key = (day, tuple(sorted(raw_dates.items())), tuple((n, id(rows)) for n, rows in sorted(parsed.items())))
    if key not in _CLAIM_DATE_TABLES:
        try:
            built = build_snapshot(parsed, day, raw_dates, check_claims=False)
        except OpengapError:  # e.g. no leaderboard published yet on that date: nothing to measure there
            built = {}
        _CLAIM_DATE_TABLES[key] = (parsed, built)
        while len(_CLAIM_DATE_TABLES) > 8:
            _CLAIM_DATE_TABLES.popitem(last=False)
    return _CLAIM_DATE_TABLES[key][1]


def _is_registry(source: Source) -> bool:
    return source.models is not None and source.models.registry is not None


def _ranks(sources: Mapping[str, Source], tagged: Mapping[str, pd.DataFrame]) -> dict[tuple[str, str], int]:
    """Each ranked name's best rank (a leaderboard's headline board, a catalogue's ranking)."""
    ranks: dict[tuple[str, str], int] = {}
    for name, rows in tagged.items():
        declared = sources[name].models
        if declared is None or declared.rank is None:
            continue
        name_column, rank_column = str(declared.name), declared.rank[0]
        best = rows.dropna(subset=[rank_column]).groupby(name_column)[rank_column].min()
        ranks.update({(name, model): int(rank) for model, rank in best.items()})
    return ranks
