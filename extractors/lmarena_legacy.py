"""LMArena's legacy metadata tables ``leaderboard_table_YYYYMMDD.csv`` from the Hugging Face Space, and the
rendered leaderboard CSVs with lowercase headers (``rank,model,arena_score,…``; FORMATS.md 1b).

They carry licence and organization for the older leaderboards (2023-06 to 2025-05). The header changed
three times (FORMATS.md section 1a): no ``key`` before 2024-01-09, ``Arena Elo rating`` only in 2023, and
``Knowledge cutoff date`` from 2024-01-25. Missing values are ``-``; some files use CRLF.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date
from typing import Any

import pyarrow as pa

from extractors.base import (
    Columns,
    blank_to_none,
    decode_text,
    header_line,
    only_parse_errors,
    to_float,
    typed,
    with_notes,
)
from extractors.raw_store import RawMeta
from opengap.contracts import PROVENANCE_FIELDS
from opengap.errors import ParseError
from opengap.source import Source

log = logging.getLogger(__name__)

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
# FORMATS.md 1b: fboulnois/llm-leaderboard-csv's renderings of the same leaderboard (2024-06 to 2025-08), with
# lowercase headers; read into the Space table's columns (its score is the Arena Elo/score, an integer there).
RENDERED_COLUMNS = Columns(
    ("model", "license"),
    optional=("organization",),
    known=("rank", "rank_stylectrl", "arena_score", "arena_elo", "95_pct_ci", "votes", "knowledge_cutoff", "url"),
)
RENDERED_NAMES = {
    "model": "Model",
    "license": "License",
    "organization": "Organization",
    "knowledge_cutoff": "Knowledge cutoff date",
    "arena_score": "Arena Elo rating",
    "arena_elo": "Arena Elo rating",  # its name until 2024-07-07
    "url": "Link",
}
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
    match = _DATE_IN_NAME.search(text.replace("-", "")) or _DATE_IN_NAME.search(meta.file.replace("-", ""))
    match = match or _DATE_IN_NAME.search(meta.url)
    if not match:
        raise ParseError(f"{meta.file}: cannot tell the table date; name it leaderboard_table_YYYYMMDD.csv")
    d = match.group(1)
    return date(int(d[:4]), int(d[4:6]), int(d[6:]))


def _dedupe(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """One row per (table_date, model): the one with the most non-null fields, then the first in the file.

    Three of the eight captured tables list a display name twice (20240629: 1 repeat, 20241230: 5, 20250511: 6).
    Every repeat agrees with its first listing on every field except ``key``: ``Yi-34B-Chat`` is listed twice
    verbatim, and four models appear under two ratings keys, an API alias and a dated name (``Gemini-1.5-Pro-001``
    as ``gemini-1.5-pro-api-0514`` and ``gemini-1.5-pro-001``; likewise Gemini-1.5-Flash-001,
    Meta-Llama-3.1-405B-Instruct-fp8, ChatGPT-4o-latest (2024-08-08), Gemini-2.0-Flash-001). Licence and
    organization, what this source is read for, are the same in both, so nothing it is used for is lost; the most
    complete row wins should a future repeat differ, and file order (the first-listed key) breaks the tie.
    """
    kept: dict[str, dict[str, Any]] = {}
    for row in rows:
        previous = kept.get(row["model"])
        if previous is None or _filled(row) > _filled(previous):
            kept[row["model"]] = row
    return list(kept.values()), len(rows) - len(kept)


def _number(rec: dict[str, str], column: str, meta: RawMeta, at: str) -> float | None:
    """An optional metric: a non-finite value ("inf", 1e400) becomes null with a WARNING (extractors/base.py)."""
    return to_float(rec.get(column), meta=meta, column=column, at=at)


def _filled(row: dict[str, Any]) -> int:
    return sum(value is not None for value in row.values())


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per model listed in the table (a repeated name kept once: see ``_dedupe``). ``License`` is kept
    verbatim (typos included). The number of repeats dropped is a parse note (``extractors.base.notes_of``)."""
    text = decode_text(raw, meta.file, "a readable CSV")
    header_line(text, meta.file)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rendered = "model" in (reader.fieldnames or []) and "Model" not in (reader.fieldnames or [])
        drift = (RENDERED_COLUMNS if rendered else COLUMNS).check(reader.fieldnames or [], meta)
        day = table_date(meta)
        rows = []
        for line_no, rec in enumerate(reader, start=2):
            if None in rec or any(v is None for v in rec.values()):
                raise ParseError(f"{meta.file} line {line_no}: wrong number of fields (truncated or malformed CSV)")
            if rendered:
                rec = {RENDERED_NAMES.get(k, k): v for k, v in rec.items()}
                if rec.get("Knowledge cutoff date") == "Unknown":
                    rec["Knowledge cutoff date"] = ""
            model = blank_to_none(rec["Model"])
            if model is None:
                continue
            at = f"line {line_no} ({model})"
            rows.append(
                {
                    "table_date": day,
                    "key": blank_to_none(rec.get("key")),
                    "model": model,
                    "license": blank_to_none(rec["License"]),
                    "organization": blank_to_none(rec.get("Organization")),
                    "knowledge_cutoff": blank_to_none(rec.get("Knowledge cutoff date")),
                    "mt_bench_score": _number(rec, "MT-bench (score)", meta, at),
                    "mt_bench_win_rate_pct": _number(rec, "MT-bench (win rate %)", meta, at),
                    "arena_elo": _number(rec, "Arena Elo rating", meta, at),
                    "mmlu": _number(rec, "MMLU", meta, at),
                    "link": blank_to_none(rec.get("Link")),
                }
            )
    except csv.Error as exc:
        raise ParseError(f"{meta.file} line {reader.line_num}: unreadable CSV: {exc}") from exc
    if not rows:
        raise ParseError(f"{meta.file} holds no model rows")
    rows, dropped = _dedupe(rows)
    if dropped:
        log.info("%s: dropped %d repeated model row(s)", meta.file, dropped)
    table = pa.Table.from_pylist(rows)
    table = typed(table, meta, SCHEMA, drift)
    return with_notes(table, {"duplicates_dropped": dropped} if dropped else {})


SOURCE = Source(
    name=NAME,
    title="LMArena legacy Space",
    what="`leaderboard_table_YYYYMMDD.csv`: licence/organization metadata for 2023–2025 leaderboards",
    homepage=f"https://huggingface.co/spaces/{SPACE}",
    license="not stated",
    parse=parse,
    licence_column="license",
)
