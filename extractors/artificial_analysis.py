"""Artificial Analysis (AA) data API v2: one row per language model with AA's indices, prices and speed.

The API needs a free key (header ``x-api-key``, from ARTIFICIAL_ANALYSIS_API_KEY); without one the source is
skipped, not failed. The mid-2026 free tier pages its answer (``pagination.has_more``); each page is stored as
its own raw file ``models.page-<n>.json``. Older answers (2025) had no pagination and a different row layout;
``parse`` reads both. See FORMATS.md section 6. The API has no history: every fetch is the current state.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
from typing import Any

import pyarrow as pa
import requests

from extractors.base import (
    Columns,
    load_json,
    only_parse_errors,
    optional_number,
    to_float,
    typed,
)
from extractors.http import fetch_to_store
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap.contracts import (
    MAX_ROW_DROP,
    PROVENANCE,
    PROVENANCE_FIELDS,
    TableSpec,
    model_rows_schema,
)
from opengap.errors import ParseError
from opengap.source import CURRENT_STATE, AsOf, ModelRows, Ranking, Source

log = logging.getLogger(__name__)

NAME = "artificial_analysis"
HOMEPAGE = "https://artificialanalysis.ai"
# Not an open licence. The docs require attribution for the free API (see ATTRIBUTION); AA's terms of use
# themselves were not checked here.
LICENSE = "Artificial Analysis API terms (free tier, attribution required)"
# AA's API docs (https://artificialanalysis.ai/documentation, "Attribution & Sharing of Data") say:
# "Attribution is required for all use of our free API. Please provide attribution to
# https://artificialanalysis.ai/." They prescribe the link, not a wording; the sentence below is ours.
ATTRIBUTION = "Data from Artificial Analysis (https://artificialanalysis.ai/)"

BASE_URL = "https://artificialanalysis.ai/api/v2"
# The path most public code uses, and the one the docs list as the LLMs endpoint. Newer docs' quick-start
# shows /language/models instead; we could not confirm which path produced the captured page (FORMATS.md §6).
MODELS_PATH = "/data/llms/models"
MODELS_URL = BASE_URL + MODELS_PATH
API_KEY_ENV = "ARTIFICIAL_ANALYSIS_API_KEY"
API_KEY_HEADER = "x-api-key"
PAGE_PARAM = "page"  # inferred: the capture shows pagination.page but not the request that produced it
MAX_PAGES = 50  # the free tier had 3 pages of 200 in mid-2026; more than this means the paging is broken

KEY = ("aa_id",)

SCHEMA = pa.schema(
    [
        pa.field("aa_id", pa.string(), nullable=False),  # AA's model UUID, documented as stable
        pa.field("name", pa.string(), nullable=False),  # as given, e.g. "Gemini 3.5 Flash (high)"
        pa.field("base_name", pa.string(), nullable=False),  # name without a reasoning-effort suffix
        pa.field("reasoning_effort", pa.string()),  # the removed suffix, lowercased ("high", "non-reasoning")
        pa.field("slug", pa.string()),
        pa.field("release_date", pa.date32()),
        pa.field("creator_id", pa.string()),
        pa.field("creator_name", pa.string()),
        pa.field("intelligence_index", pa.float64()),
        pa.field("coding_index", pa.float64()),
        pa.field("agentic_index", pa.float64()),
        pa.field("price_input_per_1m", pa.float64()),  # USD per 1M tokens
        pa.field("price_output_per_1m", pa.float64()),
        pa.field("price_blended_per_1m", pa.float64()),  # AA's 3:1 input:output blend, only when AA gives it
        pa.field("output_tokens_per_s", pa.float64()),  # median
        pa.field("ttft_s", pa.float64()),  # median time to first token, seconds
        pa.field("intelligence_index_version", pa.string()),  # from the page wrapper, e.g. "4.1"
        pa.field("is_open_weights", pa.bool_()),  # from licensing{is_open_weights}; absent in the free tier
        *PROVENANCE_FIELDS,
    ]
)
_ROW_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in PROVENANCE])

# A trailing "(high)", "(Reasoning)", "(Non-reasoning, High Effort)", "(Adaptive Reasoning, Max Effort)" is AA's
# way of naming one reasoning setting of a model (its website files them under one model page, e.g.
# claude-sonnet-4-6). Other parentheses ("(Oct '24)", "(Preview)") are part of the name and kept.
EFFORT_LABELS = ("high", "low", "medium", "minimal", "xhigh", "max", "reasoning", "non-reasoning", "thinking")
_LABEL = r"(?:adaptive\s+)?(?:" + "|".join(map(re.escape, EFFORT_LABELS)) + r")(?:\s+effort)?"
_EFFORT_SUFFIX = re.compile(rf"\s*\(({_LABEL}(?:\s*,\s*{_LABEL})*)\)\s*$", re.IGNORECASE)


def page_file_name(page: int) -> str:
    return f"models.page-{page}.json"


def split_effort(name: str) -> tuple[str, str | None]:
    """``"Gemini 3.5 Flash (high)"`` -> ``("Gemini 3.5 Flash", "high")``; other names are returned unchanged."""
    match = _EFFORT_SUFFIX.search(name)
    if match is None or match.start() == 0:
        return name, None
    return name[: match.start()], match.group(1).lower()


def _load(raw: bytes, meta: RawMeta) -> dict[str, Any]:
    where = f"{NAME} file {meta.file} ({meta.url})"
    doc = load_json(raw, where)
    if not isinstance(doc, dict):
        raise ParseError(f"{where}: expected a JSON object with a 'data' list, got {type(doc).__name__}")
    if "error" in doc and "data" not in doc:
        raise ParseError(f"{where}: the API answered an error instead of data: {doc['error']!r}")
    if not isinstance(doc.get("data"), list):
        raise ParseError(f"{where} lacks the 'data' list of models; the API format may have changed: see FORMATS.md §6")
    return doc


def has_more(raw: bytes, meta: RawMeta) -> bool:
    """Whether a page says another follows. The older, unpaginated answer is a single page."""
    pagination = _load(raw, meta).get("pagination")
    if not isinstance(pagination, dict):
        return False
    if "has_more" in pagination:
        return bool(pagination["has_more"])
    page, total = pagination.get("page"), pagination.get("total_pages")
    return isinstance(page, int) and isinstance(total, int) and page < total


def fetch(
    session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
) -> list[RawFile]:
    """Store every page of the model list, page 1 first, until a page says ``has_more: false``.

    Skipped (returns ``[]``) when ARTIFICIAL_ANALYSIS_API_KEY is not set. The key is sent only as a request
    header, which the raw store never records. The API has no history, so ``history`` fetches the same pages.
    """
    key = os.environ.get(API_KEY_ENV, "").strip()
    if not key:
        log.warning("%s: source skipped because %s is not set", NAME, API_KEY_ENV)
        return []
    files: list[RawFile] = []
    for page in range(1, MAX_PAGES + 1):
        raw = fetch_to_store(
            session,
            store,
            source=NAME,
            snapshot_date=snapshot_date,
            file=page_file_name(page),
            url=MODELS_URL,
            params={PAGE_PARAM: page},
            headers={API_KEY_HEADER: key},
            refresh=refresh,
            expect="json",
        )
        files.append(raw)
        doc = _load(raw.content, raw.meta)
        answered = (doc.get("pagination") or {}).get("page")
        if answered is not None and answered != page:
            raise ParseError(
                f"{NAME}: asked {MODELS_URL} for {PAGE_PARAM}={page} and got page {answered!r}; the API does "
                f"not page by {PAGE_PARAM!r} any more: see FORMATS.md §6 and update PAGE_PARAM"
            )
        if not has_more(raw.content, raw.meta):
            return files
    raise ParseError(
        f"{NAME}: {MODELS_URL} still reports has_more after {MAX_PAGES} pages; paging is broken or the list "
        "outgrew MAX_PAGES"
    )


def _obj(row: dict[str, Any], key: str) -> dict[str, Any]:
    value = row.get(key)
    return value if isinstance(value, dict) else {}


def _number(value: object, meta: RawMeta, column: str, at: str) -> float | None:
    """Every AA number is an optional metric: a non-finite value (NaN/Infinity literals, 1e400) is null with a
    WARNING, the rule in extractors/base.py; text that is not a number is a ParseError."""
    if isinstance(value, bool):
        raise ParseError(f"{NAME} file {meta.file}, {at}: {column!r} holds a boolean, not a number")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer literal beyond any float (10**400)
            number = math.inf
        return optional_number(number, meta=meta, column=column, at=at)
    return to_float(value, meta=meta, column=column, at=at)


def _first(*values: object) -> object:
    return next((v for v in values if v is not None), None)


def _date(value: object, meta: RawMeta, aa_id: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ParseError(f"{NAME} file {meta.file}: model {aa_id}: release_date {value!r} is not YYYY-MM-DD") from exc


def _text(value: object, meta: RawMeta, field: str) -> str | None:
    """A text field: a string ("" is null) or null. A number, list or object means the format changed."""
    if value is None or isinstance(value, str):
        return value or None
    raise ParseError(f"{NAME} file {meta.file}: {field} is {value!r}, not a string")


def _version(value: object, meta: RawMeta) -> str | None:
    """The page's ``intelligence_index_version``: the captured page writes it as a number (4.1), kept as text."""
    if isinstance(value, bool):
        return _text(value, meta, "intelligence_index_version")  # a ParseError
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    return _text(value, meta, "intelligence_index_version")


def _row(rec: object, index: int, version: str | None, meta: RawMeta) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise ParseError(f"{NAME} file {meta.file}: data[{index}] is {type(rec).__name__}, not an object")
    aa_id, name = _text(rec.get("id"), meta, f"data[{index}].id"), _text(rec.get("name"), meta, f"data[{index}].name")
    if aa_id is None or name is None:
        missing = " and ".join(k for k, v in (("id", aa_id), ("name", name)) if v is None)
        raise ParseError(f"{NAME} file {meta.file}: data[{index}] has no {missing}")
    evaluations, pricing, creator = _obj(rec, "evaluations"), _obj(rec, "pricing"), _obj(rec, "model_creator")
    # Newer answers nest speed under `performance`; older ones put it at the top level of the row.
    performance = _obj(rec, "performance")
    licensing = rec.get("licensing")
    open_weights = licensing.get("is_open_weights") if isinstance(licensing, dict) else None
    if open_weights is not None and not isinstance(open_weights, bool):
        raise ParseError(f"{NAME} file {meta.file}: model {aa_id}: licensing.is_open_weights is {open_weights!r}")
    base_name, effort = split_effort(name)

    def num(obj: dict[str, Any], key: str, fallback: object = None) -> float | None:
        return _number(_first(obj.get(key), fallback), meta, key, f"model {aa_id}")

    return {
        "aa_id": aa_id,
        "name": name,
        "base_name": base_name,
        "reasoning_effort": effort,
        "slug": _text(rec.get("slug"), meta, f"model {aa_id}: slug"),
        "release_date": _date(rec.get("release_date"), meta, aa_id),
        "creator_id": _text(creator.get("id"), meta, f"model {aa_id}: model_creator.id"),
        "creator_name": _text(creator.get("name"), meta, f"model {aa_id}: model_creator.name"),
        "intelligence_index": num(evaluations, "artificial_analysis_intelligence_index"),
        "coding_index": num(evaluations, "artificial_analysis_coding_index"),
        "agentic_index": num(evaluations, "artificial_analysis_agentic_index"),
        "price_input_per_1m": num(pricing, "price_1m_input_tokens"),
        "price_output_per_1m": num(pricing, "price_1m_output_tokens"),
        "price_blended_per_1m": num(pricing, "price_1m_blended_3_to_1"),
        "output_tokens_per_s": num(
            performance, "median_output_tokens_per_second", rec.get("median_output_tokens_per_second")
        ),
        "ttft_s": num(performance, "median_time_to_first_token_seconds", rec.get("median_time_to_first_token_seconds")),
        "intelligence_index_version": version,
        "is_open_weights": open_weights,
    }


# The keys of a model object (any model of the page). Speed moved from the row's top level into
# `performance` (both shapes are read); `licensing` is absent from the captured free-tier body (FORMATS.md).
MODEL_KEYS = Columns(
    required=("id", "name"),
    optional=("slug", "release_date", "model_creator", "evaluations", "pricing"),
    known=(
        "performance",
        "median_output_tokens_per_second",
        "median_time_to_first_token_seconds",
        "licensing",
        "artificial_analysis_intelligence_index_cost",
    ),
)


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per model on this page, sorted by ``aa_id``. Missing or null metrics become nulls."""
    doc = _load(raw, meta)
    drift = MODEL_KEYS.check({k for rec in doc["data"] if isinstance(rec, dict) for k in rec}, meta)
    version = _version(doc.get("intelligence_index_version"), meta)
    rows = [_row(rec, i, version, meta) for i, rec in enumerate(doc["data"])]
    seen: set[str] = set()
    for row in rows:
        if row["aa_id"] in seen:
            raise ParseError(f"{NAME} file {meta.file}: model id {row['aa_id']} appears twice on one page")
        seen.add(row["aa_id"])
    rows.sort(key=lambda r: r["aa_id"])
    table = pa.Table.from_pylist(rows, schema=_ROW_SCHEMA)
    return typed(table, meta, SCHEMA, drift)


TABLE = TableSpec(
    "aa_models",
    model_rows_schema(
        SCHEMA,
        pa.field("intelligence_rank", pa.int64()),  # 1 = highest intelligence index in this snapshot
        pa.field("org_key", pa.string()),  # the creator, canonical (transforms/data/org_aliases.csv)
    ),
    KEY,
    "Artificial Analysis models (data API v2): intelligence/coding/agentic indices, prices, speed, openness.",
    as_of="the Artificial Analysis API as retrieved on or before the snapshot date (it serves only its current "
    "state, so backfills of earlier dates leave it out)",
    max_row_drop=MAX_ROW_DROP,
)

SOURCE = Source(
    name=NAME,
    title="Artificial Analysis",
    what="data API v2 (`/data/llms/models`, paginated): quality/speed/price indices",
    homepage=HOMEPAGE,
    license=LICENSE,
    attribution=ATTRIBUTION,
    needs=API_KEY_ENV,
    parse=parse,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(CURRENT_STATE),
    models=ModelRows(
        name="base_name",  # one model per base name: reasoning-effort variants share its key
        organization="creator_name",
        open_hint="is_open_weights",
        licence_by_name=True,
        ranking=Ranking(
            score="intelligence_index",
            rank_column="intelligence_rank",
            category="intelligence_index",
            display_name="name",
        ),
        attributes={
            "model_name": ("base_name", 1),
            "organization": ("creator_name", 0),
            "release_date": ("release_date", 1),
        },
        rank=("intelligence_rank", "aa_intelligence_rank"),  # best rank by the intelligence index
    ),
)
