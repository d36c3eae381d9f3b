"""Funding rounds that never reach EDGAR (non-US companies, announced rounds), each checked against its cited source.

The source is ``data/funding_rounds.csv``, a reviewed file: one row per round with the company, the announcement
date and its precision, the amount and currency as stated, the US-dollar amount *only where the source states
one*, the round type, whether it is a commitment paid over time, lead investors, and the citation (URL, title and
the verbatim sentence that states the figure). A figure that could not be checked against a public source is not
in the file. The fetch stores the file as the day's raw copy, like any download, so its sha256 is on every row;
each row's ``source_url`` is its citation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import requests

from extractors.base import Columns, decode_text, header_line, is_representable, only_parse_errors, typed
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap.contracts import PROVENANCE, PROVENANCE_FIELDS, TableSpec
from opengap.errors import ParseError
from opengap.source import SUBMITTED, AsOf, Funding, Source

NAME = "funding_cited"
DATA_FILE = Path(__file__).resolve().parent / "data" / "funding_rounds.csv"
RAW_FILE = "funding_rounds.csv"
HOMEPAGE = "https://github.com/opengap/opengap/blob/main/extractors/data/funding_rounds.csv"  # the file, reviewed
PRECISIONS = ("day", "month")
COLUMNS = Columns(
    required=(
        "org_key",
        "company",
        "announced_on",
        "date_precision",
        "amount_as_stated",
        "currency",
        "unit",
        "amount_usd",
        "round_type",
        "commitment",
        "source_url",
        "source_title",
        "quote",
        "reason",
    ),
    optional=("lead_investors",),
    known=(),
)
_UNITS = {"million": 10**6, "billion": 10**9}

KEY = ("org_key", "announced_on", "round_type")
SCHEMA = pa.schema(
    [
        pa.field("org_key", pa.string(), nullable=False),  # the company (transforms/data/companies.csv)
        pa.field("company", pa.string(), nullable=False),
        pa.field("announced_on", pa.date32(), nullable=False),
        pa.field("date_precision", pa.string(), nullable=False),  # day | month (the 1st stands for the month)
        pa.field("amount_as_stated", pa.float64(), nullable=False),  # in ``unit`` of ``currency``
        pa.field("currency", pa.string(), nullable=False),  # ISO 4217, as stated
        pa.field("unit", pa.string(), nullable=False),  # million | billion
        pa.field("amount_usd", pa.int64()),  # only where the source states a US-dollar figure
        pa.field("round_type", pa.string(), nullable=False),
        pa.field("commitment", pa.bool_(), nullable=False),  # pledged over time (tranches), counted when announced
        pa.field("lead_investors", pa.string()),
        pa.field("source_title", pa.string(), nullable=False),
        pa.field("quote", pa.string(), nullable=False),  # the sentence of the source that states the figure
        pa.field("reason", pa.string(), nullable=False),  # what the reviewer noted (precision, tranches, reports)
        *PROVENANCE_FIELDS,  # source_url: the citation of the row
    ]
)
_ROW_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in PROVENANCE])


def fetch(
    session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
) -> list[RawFile]:
    """The reviewed file as the day's raw copy (no request: its figures were checked against their citations)."""
    if store.exists(NAME, snapshot_date, RAW_FILE) and not refresh:
        return [store.read(NAME, snapshot_date, RAW_FILE)]
    return [store.write(NAME, snapshot_date, RAW_FILE, DATA_FILE.read_bytes(), url=HOMEPAGE, refresh=refresh)]


def _row(record: dict[str, str], line: int, meta: RawMeta) -> dict[str, Any]:
    where = f"{NAME} file {meta.file} line {line}"
    if None in record:
        raise ParseError(f"{where}: more cells than the header has columns (an unquoted comma?)")
    empty = [c for c in COLUMNS.required if c != "amount_usd" and not (record.get(c) or "").strip()]
    if empty:
        raise ParseError(f"{where}: empty {', '.join(empty)}; every round needs its figures and its citation")
    try:
        announced = dt.date.fromisoformat(record["announced_on"])
        amount = float(record["amount_as_stated"])
        usd = int(record["amount_usd"]) if record["amount_usd"].strip() else None
    except ValueError as exc:
        raise ParseError(f"{where}: {exc}") from exc
    if record["date_precision"] not in PRECISIONS or record["unit"] not in _UNITS:
        raise ParseError(f"{where}: date_precision must be day|month and unit million|billion")
    if usd is not None and not is_representable(usd):
        raise ParseError(f"{where}: amount_usd {usd} is beyond a 64-bit integer")
    if not (
        math.isfinite(amount)
        and amount > 0
        and len(record["currency"]) == 3
        and record["commitment"] in ("true", "false")
    ):
        raise ParseError(f"{where}: amount must be positive, currency an ISO code, commitment true|false")
    if usd is not None and record["currency"] == "USD" and usd != round(amount * _UNITS[record["unit"]]):
        raise ParseError(f"{where}: amount_usd {usd} is not {amount} {record['unit']} USD as stated")
    return {
        **{c: record[c].strip() for c in ("org_key", "company", "date_precision", "currency", "unit", "round_type")},
        "announced_on": announced,
        "amount_as_stated": amount,
        "amount_usd": usd,
        "commitment": record["commitment"] == "true",
        "lead_investors": record.get("lead_investors", "").strip() or None,
        **{c: record[c].strip() for c in ("source_title", "quote", "reason")},
        "_citation": record["source_url"].strip(),
    }


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per cited round; its ``source_url`` is the citation, the other provenance columns the raw copy's."""
    where = f"{NAME} file {meta.file}"
    text = decode_text(raw, where, "a CSV file")
    drift = COLUMNS.check(next(csv.reader([header_line(text, where)]), []), meta)
    reader = csv.DictReader(io.StringIO(text))
    rows = [_row(record, line, meta) for line, record in enumerate(reader, start=2)]
    citations = [r.pop("_citation") for r in rows]
    table = typed(pa.Table.from_pylist(rows, schema=_ROW_SCHEMA), meta, SCHEMA, drift)
    field = SCHEMA.field("source_url")
    return table.set_column(table.schema.get_field_index("source_url"), field, pa.array(citations, pa.string()))


TABLE = TableSpec(
    "cited_rounds",
    SCHEMA,
    KEY,
    "Funding rounds of AI model developers as announced, each with the public source that states its figure.",
    as_of="the rounds announced on or before the snapshot date",
    values={"date_precision": PRECISIONS, "unit": tuple(_UNITS)},
)

SOURCE = Source(
    name=NAME,
    title="Cited funding rounds",
    what="`data/funding_rounds.csv`: announced rounds, each checked against the public source it cites",
    homepage=HOMEPAGE,
    license="facts from the cited public sources (URL on every row)",
    parse=parse,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(SUBMITTED, "announced_on"),
    funding=Funding(
        "cited",
        lambda rows: rows["org_key"] + " " + rows["announced_on"].astype(str) + " " + rows["round_type"],
        "announced_on",
        "amount_usd",
        "round_type",
        announced=True,
    ),
)
