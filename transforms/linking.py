"""Every source's rows linked to the model identity, the way its declaration (``SOURCE.models``) says.

Two shapes: a list of models (one row per model entry: catalogues, the registry, the Open LLM Leaderboard) is
linked row by row; a leaderboard history (many rows per model) is linked once per model name, with each
model's newest licence and organization, and its rows then take their model's keys and tier.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from opengap.contracts import PROVENANCE
from opengap.source import Source, column
from transforms import openness
from transforms.as_of import LeaderboardHistory
from transforms.identity import Link, Linker, resolver_for
from transforms.models import match_key, model_key, single_org_key

_TAGS = ["model_key", "canonical_key", "org_key", "license_id", *openness.TAG_COLUMNS]


def _records(rows: pd.DataFrame, columns: list[str]) -> list[dict]:
    return rows[list(dict.fromkeys([*columns, *PROVENANCE]))].to_dict("records")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None  # pandas hands missing text over as None, NaN or NA


def link_rows(source: Source, rows: pd.DataFrame, linker: Linker) -> pd.DataFrame:
    """A list of models: each row linked by its name (and its Hub repo, where it names one), claims pooled."""
    declared = source.models
    assert declared is not None
    names = column(rows, declared.name)
    rows = rows.assign(model_key=names.map(model_key), _name=names)
    if declared.organization is not None:
        rows = rows.assign(org_key=column(rows, declared.organization).map(single_org_key))
    if declared.ranking is not None:  # 1 = best score; ties share the best rank; no score, no rank
        ranking = declared.ranking
        rows[ranking.rank_column] = rows[ranking.score].rank(method="min", ascending=False).astype("Int64")
    rows = rows.assign(
        _repo=column(rows, declared.hub_repo) if declared.hub_repo else None,
        _hint=rows[declared.open_hint] if declared.open_hint else None,
        _skip=rows[declared.not_a_model] if declared.not_a_model else False,
    )
    links = [
        None
        if row["_skip"]
        else linker.link(
            source.name,
            row["model_key"],
            row["_name"],
            {c: row[c] for c in PROVENANCE},
            licence_raw=None if declared.licence_by_name else "",
            hub_repo=_text(row["_repo"]),
            hint=None if pd.isna(row["_hint"]) else bool(row["_hint"]),
            use_registry=declared.match_registry,
        )
        for row in _records(rows, ["model_key", "_name", "_repo", "_hint", "_skip"])
    ]
    linked = _with_links(rows.drop(columns=["_name", "_repo", "_hint", "_skip"]), links)
    if declared.registry is not None and source.table is not None:  # the registry in key order, as it reads
        linked = linked.sort_values(list(source.table.key), kind="stable").reset_index(drop=True)
    return linked


def _with_links(rows: pd.DataFrame, links: list[Link | None]) -> pd.DataFrame:
    keys = zip(rows["model_key"], links, strict=True)
    return rows.assign(
        canonical_key=[key if link is None else link.canonical_key for key, link in keys],
        hf_repo=[None if link is None else link.hub_repo for link in links],
    )


def claim_board_licences(source: Source, history: LeaderboardHistory, linker: Linker, day: dt.date) -> pd.Series:
    """The licence a leaderboard lists per model name on ``day`` (its newest non-empty value), handed to the
    linker as evidence for any source's row of that name, dated by the board that stated it."""
    assert source.models is not None and source.models.leaderboard is not None
    column = source.models.leaderboard.licence
    stated = history.latest_non_empty(column, day)
    linker.licences.update({match_key(model): value for model, value in stated[column].items()})
    linker.licence_dates.update({match_key(model): when for model, when in stated[history.date].items()})
    linker.licence_source = source.name
    return stated[column]


def link_leaderboard(
    source: Source,
    history: LeaderboardHistory,
    on_date: pd.DataFrame,
    licences: pd.Series,
    linker: Linker,
    snapshot_date: dt.date,
) -> pd.DataFrame:
    """One row per model name on the boards of the snapshot, linked to its canonical model. ``licences`` and
    the organizations are each model's newest non-empty values known on the snapshot date."""
    declared = source.models
    assert declared is not None and declared.leaderboard is not None and declared.rank is not None
    board, name = declared.leaderboard, str(declared.name)
    rank_column = declared.rank[0]
    # Plain dicts: a Series lookup per model name cost more than the linking itself.
    orgs = history.latest_non_empty(board.organization, snapshot_date)[board.organization].to_dict()
    licences = licences.to_dict()
    headline = on_date[(on_date[history.group] == list(board.headline)).all(axis=1)]
    best_rank = headline.groupby(name)[board.rank].min().to_dict()
    first_rows = on_date[[name, *history.group, *PROVENANCE]].sort_values([name, *history.group], kind="stable")
    records = []
    for row in first_rows.drop_duplicates(name)[[name, *PROVENANCE]].to_dict("records"):
        model = row[name]
        licence_raw = licences.get(model)
        provenance = {c: row[c] for c in PROVENANCE}
        link = linker.link(source.name, model_key(model), model, provenance, licence_raw=licence_raw or "")
        organization = orgs.get(model)
        records.append(
            {
                "model_key": model_key(model),
                "canonical_key": link.canonical_key,
                name: model,
                "organization": organization,
                "org_key": single_org_key(organization),
                "license_raw": licence_raw,
                "license_id": openness.licence(licence_raw).license_id,
                rank_column: best_rank.get(model),
                "hf_repo": link.hub_repo,
                **provenance,
            }
        )
    return pd.DataFrame.from_records(records).sort_values("model_key", kind="stable").reset_index(drop=True)


def tag_board_rows(source: Source, on_date: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """A leaderboard's rows with their model's keys, organization key, licence id and openness."""
    assert source.models is not None
    name, date = str(source.models.name), str(source.as_of.date_column)
    tagged = on_date.merge(models[[name, *_TAGS]], on=name, how="left", validate="many_to_one")
    return tagged.sort_values([*source.as_of.group, date, "rank", name], kind="stable").reset_index(drop=True)


def tag_alone(source: Source, rows: pd.DataFrame) -> pd.DataFrame:
    """The tag the pipeline gives one source's rows when that source is the only one (``opengap parse``): linked
    and weighed as in a snapshot of the file's newest date, curated overrides and aliases included."""
    declared = source.models
    if declared is None:  # a parse-only source: its licence column alone, where it has one
        return rows if source.licence_column is None else _tag_by_licence(rows, source.licence_column)
    linker = Linker(resolver_for({source.name: rows}))
    if declared.leaderboard is None:
        return linker.pools.tag(link_rows(source, rows, linker))
    history = LeaderboardHistory(rows, source)
    day = max(history.publish_dates())
    linker.on = day
    licences = claim_board_licences(source, history, linker, day)
    linked = link_leaderboard(source, history, history.rows, licences, linker, day)
    return tag_board_rows(source, rows, linker.pools.tag(linked))


def _tag_by_licence(rows: pd.DataFrame, licence_column: str) -> pd.DataFrame:
    infos = rows[licence_column].map(openness.licence)
    tiers = infos.map(lambda i: i.tier)
    return rows.assign(
        license_id=infos.map(lambda i: i.license_id),
        openness_tier=tiers,
        openness=tiers.map(openness.openness_of),
        openness_source=tiers.map(lambda t: openness.BY_NOTHING if t == openness.UNKNOWN else openness.BY_LICENCE),
        openness_rule_version=openness.rule_version(),
    )
