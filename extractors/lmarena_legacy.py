"""LMArena's legacy metadata tables ``leaderboard_table_YYYYMMDD.csv`` from the Hugging Face Space.

They carry licence and organization for the older leaderboards (2023-06 to 2025-05). The header changed
three times (FORMATS.md section 1a): no ``key`` before 2024-01-09, ``Arena Elo rating`` only in 2023, and
``Knowledge cutoff date`` from 2024-01-25. Missing values are ``-``; some files use CRLF.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pyarrow as pa

from extractors.base import Columns, blank_to_none, provenance_arrays, to_float, with_drift
from extractors.raw_store import RawMeta
from opengap.contracts import PROVENANCE_FIELDS
from opengap.errors import ParseError
from opengap.source import Source

NAME = "lmarena_legacy"
SPACE = "lmarena-ai/chatbot-arena-leaderboard"
REQUIRED = ("Model", "License")
# Every column the Space's tables carried from 2023-06 to 2025-05; each came and went at some date, so none is
# expected (its absence is no news), and only a column outside this list is drift.
COLUMNS = Columns(
    REQUIRED,
    known=(
        "key",
        "Organization",
        "Knowledge cutoff date",
        "MT-bench (score)",
        "MT-bench (win rate %)",
        "Arena Elo rating",
        "MMLU",
        "Link",
    ),
)
KEY = ("table_date", "model")

SCHEMA = pa.schema(
    [
        pa.field("table_date", pa.date32(), nullable=False),
        pa.field("key", pa.string()),  # the ratings' model key; absent before 2024-01-09
        pa.field("model", pa.string(), nullable=False),  # display name
        pa.field("license", pa.string()),
        pa.field("organization", pa.string()),
        pa.field("knowledge_cutoff", pa.string()),
        pa.field("mt_bench_score", pa.float64()),
        pa.field("mt_bench_win_rate_pct", pa.float64()),
        pa.field("arena_elo", pa.float64()),
        pa.field("mmlu", pa.float64()),
        pa.field("link", pa.string()),
        *PROVENANCE_FIELDS,
    ]
)

_DATE_IN_NAME = re.compile(r"(\d{8})")


def table_date(meta: RawMeta) -> date:
    """The table's date, from ``params['table_date']`` or the YYYYMMDD in its file name or URL."""
    text = str(meta.params.get("table_date") or "")
    match = _DATE_IN_NAME.search(text.replace("-", "")) or _DATE_IN_NAME.search(meta.file)
    match = match or _DATE_IN_NAME.search(meta.url)
    if not match:
        raise ParseError(f"{meta.file}: cannot tell the table date; name it leaderboard_table_YYYYMMDD.csv")
    d = match.group(1)
    return date(int(d[:4]), int(d[4:6]), int(d[6:]))


def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per model listed in the table. ``License`` is kept verbatim (typos included)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{meta.file} is not UTF-8 text: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    drift = COLUMNS.check(reader.fieldnames or [], meta)
    day = table_date(meta)
    rows = []
    for line_no, rec in enumerate(reader, start=2):
        if None in rec or any(v is None for v in rec.values()):
            raise ParseError(f"{meta.file} line {line_no}: wrong number of fields (truncated or malformed CSV)")
        model = blank_to_none(rec["Model"])
        if model is None:
            continue
        rows.append(
            {
                "table_date": day,
                "key": blank_to_none(rec.get("key")),
                "model": model,
                "license": blank_to_none(rec["License"]),
                "organization": blank_to_none(rec.get("Organization")),
                "knowledge_cutoff": blank_to_none(rec.get("Knowledge cutoff date")),
                "mt_bench_score": to_float(rec.get("MT-bench (score)"), meta=meta, column="MT-bench (score)"),
                "mt_bench_win_rate_pct": to_float(
                    rec.get("MT-bench (win rate %)"), meta=meta, column="MT-bench (win rate %)"
                ),
                "arena_elo": to_float(rec.get("Arena Elo rating"), meta=meta, column="Arena Elo rating"),
                "mmlu": to_float(rec.get("MMLU"), meta=meta, column="MMLU"),
                "link": blank_to_none(rec.get("Link")),
            }
        )
    if not rows:
        raise ParseError(f"{meta.file} holds no model rows")
    table = pa.Table.from_pylist(rows)
    for name, array in provenance_arrays(meta, table.num_rows).items():
        table = table.append_column(name, array)
    return with_drift(table.select(SCHEMA.names).cast(SCHEMA), drift)


SOURCE = Source(
    name=NAME,
    title="LMArena legacy Space",
    what="`leaderboard_table_YYYYMMDD.csv`: licence/organization metadata for 2023–2025 leaderboards",
    homepage=f"https://huggingface.co/spaces/{SPACE}",
    license="not stated",
    parse=parse,
    licence_column="license",
)
