"""``claims_check``: each published claim (``data/claims.csv``) next to what our data says for the same date and
definition.

A claim names a measure, a subject and the date it describes. The measure is read from the tables a snapshot of
that date would publish, built from the same parsed rows (``tables_on``: the build is pure). A source whose
stored raw cannot speak for that date (a board retrieved later) gives no value there; the snapshot's own
measurement is then shown beside it, marked as another date. A board claim is also measured on every other
board of the same date: the same question asked of another leaderboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cache

import pandas as pd
import pyarrow as pa

from opengap.contracts import PROVENANCE
from opengap.errors import OpengapError
from transforms.curated import DATA_DIR, file_sha256, read_rows

FILE = "claims.csv"
COLUMNS = (
    "claim_id",
    "measure",
    "subject",
    "as_of",
    "period_from",
    "period_to",
    "claimed_value",
    "unit",
    "claim",
    "source_url",
    "source_title",
    "quote",
    "reason",
)
OPEN_IN_TOP10, DERIVATIVES, FUNDING_USD = "open_in_top10", "derivatives", "funding_usd"
MEASURED_IN = {OPEN_IN_TOP10: "open_closed_gap", DERIVATIVES: "hub_derivatives", FUNDING_USD: "funding_comparison"}
MEASURES = tuple(MEASURED_IN)
# The Hub's own count of a base's children beats our listing of them where both exist (it keeps no deleted ones
# either way); a past date only has the listing, reconstructed from each child's creation time.
DERIVATIVE_METHODS = ("children_model_count", "reconstructed_from_created_at")


@cache
def claims() -> pd.DataFrame:
    """The reviewed claims, checked: a known measure, dates, a number. Read once per process."""
    rows = pd.DataFrame(read_rows(FILE, COLUMNS))
    unknown = sorted(set(rows["measure"]) - set(MEASURES))
    if unknown:
        raise OpengapError(
            f"data file {DATA_DIR / FILE}: unknown measure(s) {', '.join(unknown)}; known: {', '.join(MEASURES)}"
        )
    for column in ("as_of", "period_from", "period_to"):
        rows[column] = rows[column].map(dt.date.fromisoformat)
    rows["claimed_value"] = rows["claimed_value"].astype(float)
    return rows


Measurement = dict  # measured_on, measured_as_of, our_value, our_detail and the provenance of what was read


def _provenance(row: Mapping) -> dict:
    return {c: row[c] for c in PROVENANCE}


def _board(tables: Mapping[str, pa.Table], board: str | None) -> list[Measurement]:
    """Open models in the top 10 of each board (or of the one named), from the gap mart of one date."""
    if "open_closed_gap" not in tables:
        return []
    out = []
    for row in tables["open_closed_gap"].to_pylist():
        if board is None or row["board"] == board:
            out.append(
                {
                    "measured_on": f"{row['board']}/{row['category']}",
                    "measured_as_of": row["leaderboard_publish_date"],
                    "our_value": float(row["open_in_top10"]),
                    "our_detail": f"{row['open_in_top10']} of the top {row['top10_size']} open "
                    f"({row['open_top10_models'] or 'none'}); best open: {row['best_open_model']}",
                    **_provenance(row),
                }
            )
    return out


def _derivatives(tables: Mapping[str, pa.Table], family: str, on: dt.date) -> list[Measurement]:
    """All derivatives of a family's base repos (every relation), by the best method the date has."""
    if "hub_derivatives" not in tables:
        return []
    rows = tables["hub_derivatives"].to_pandas()
    rows = rows[rows["family"] == family]
    for method in DERIVATIVE_METHODS:
        counted = rows[rows["method"] == method]
        if not counted.empty:
            newest = counted.sort_values("retrieved_at").iloc[-1]
            return [
                {
                    "measured_on": f"hub_derivatives/{method}",
                    "measured_as_of": on,
                    "our_value": float(counted["derivatives"].sum()),
                    "our_detail": f"{counted['derivatives'].sum()} children of {counted['base_repo'].nunique()} "
                    f"base repos of {family}",
                    **_provenance(newest),
                }
            ]
    return []


def _funding(tables: Mapping[str, pa.Table], claim_id: str) -> list[Measurement]:
    if "funding_comparison" not in tables:
        return []
    for row in tables["funding_comparison"].to_pylist():
        if row["claim_id"] == claim_id:
            return [
                {
                    "measured_on": "funding_rounds",
                    "measured_as_of": row["period_to"],
                    "our_value": float(row["ours_usd"]),
                    "our_detail": f"{row['our_rounds']} rounds of {row['our_companies']} companies: "
                    f"{row['our_companies_listed']}",
                    **_provenance(row),
                }
            ]
    return []


def _of_subject(claim: pd.Series, measurement: Measurement) -> bool:
    return claim.measure != OPEN_IN_TOP10 or measurement["measured_on"].startswith(f"{claim.subject}/")


def _measure(claim: pd.Series, tables: Mapping[str, pa.Table], on: dt.date, *, every_board: bool = False) -> list:
    if claim.measure == OPEN_IN_TOP10:
        return _board(tables, None if every_board else claim.subject)
    if claim.measure == DERIVATIVES:
        return _derivatives(tables, claim.subject, on)
    return _funding(tables, claim.claim_id)


def claims_check(
    tables: Mapping[str, pa.Table], snapshot_date: dt.date, tables_on: Callable[[dt.date], Mapping[str, pa.Table]]
) -> pd.DataFrame:
    """One row per claim and measurement: on the claim's own date (its subject, and for a board claim every
    other board), and where the subject has no data on that date, in this snapshot (``same_date`` false).
    A claim dated after the snapshot, or whose measure's table the snapshot lacks (its sources left out), is left
    out; a claim nothing measures on its date or the snapshot's keeps a row with a null value."""
    rows = []
    for claim in claims().itertuples():
        if claim.as_of > snapshot_date or MEASURED_IN[claim.measure] not in tables:
            continue
        if claim.measure == FUNDING_USD:  # dated rounds: this snapshot sums the claim's period itself
            on_date = tables
        else:
            on_date = tables if claim.as_of == snapshot_date else tables_on(claim.as_of)
        measured = [{**m, "same_date": True} for m in _measure(claim, on_date, claim.as_of, every_board=True)]
        if on_date is not tables and not any(_of_subject(claim, m) for m in measured):
            measured += [{**m, "same_date": False} for m in _measure(claim, tables, snapshot_date)]
        if not any(_of_subject(claim, m) for m in measured):
            measured.append(
                {
                    "measured_on": claim.subject,
                    "measured_as_of": None,
                    "our_value": None,
                    "our_detail": f"no data on {claim.subject} in this snapshot's raw files",
                    "same_date": False,
                    "source": FILE,
                    "source_url": claim.source_url,
                    "retrieved_at": pd.Timestamp(snapshot_date, tz="UTC"),
                    "raw_sha256": file_sha256(FILE),
                }
            )
        for m in measured:
            rows.append(
                {
                    "claim_id": claim.claim_id,
                    "claim": claim.claim,
                    "measure": claim.measure,
                    "subject": claim.subject,
                    "claim_as_of": claim.as_of,
                    "claimed_value": claim.claimed_value,
                    "unit": claim.unit,
                    **m,
                    "difference": None if m["our_value"] is None else m["our_value"] - claim.claimed_value,
                    "how_it_differs": claim.reason,
                    "claim_source_url": claim.source_url,
                    "claim_source_title": claim.source_title,
                    "claim_quote": claim.quote,
                }
            )
    return pd.DataFrame(rows)
