"""OpenRouter's model catalogue: ``GET https://openrouter.ai/api/v1/models`` (no key, no pagination).

One row per model id with its Hugging Face repo id (when OpenRouter gives one), context length, modality and
USD prices per 1M tokens. Router pseudo-models (negative prices, e.g. ``openrouter/auto``) are dropped.
The API has no history: every fetch is the current catalogue. See FORMATS.md section 3.

Handled drift: the 2025 body has no ``canonical_slug``, ``expiration_date`` or ``knowledge_cutoff`` (all come
out null); some captures are the bare ``.data`` array instead of the ``{"data": [...]}`` body.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from extractors.base import (
    Columns,
    load_json,
    null_with_warning,
    only_parse_errors,
    optional_number,
    typed,
)
from extractors.http import one_file
from extractors.raw_store import RawMeta
from opengap.contracts import (
    MAX_ROW_DROP,
    PROVENANCE,
    PROVENANCE_FIELDS,
    TableSpec,
    model_rows_schema,
)
from opengap.errors import ParseError
from opengap.source import CURRENT_STATE, AsOf, ModelRows, Source

log = logging.getLogger(__name__)

NAME = "openrouter"
HOMEPAGE = "https://openrouter.ai/models"
LICENSE = "OpenRouter terms of service (public API, no stated data licence)"
API_URL = "https://openrouter.ai/api/v1/models"
# `output_modalities` defaults to "text" (OpenRouter SDK reference), which silently drops image- and
# audio-output models from the answer; "all" asks for the whole catalogue.
PARAMS = {"output_modalities": "all"}
RAW_FILE = "models.json"
FREE_SUFFIX = ":free"
ALIAS_PREFIX = "~"  # "~openai/gpt-latest": an alias that always points at a family's newest model
# Routers priced at "0" instead of a negative sentinel, so the price rule cannot see them: kept, flagged.
ZERO_PRICE_ROUTERS = frozenset({"openrouter/free"})
PER_MILLION = Decimal(1_000_000)

KEY = ("model_id",)

SCHEMA = pa.schema(
    [
        pa.field("model_id", pa.string(), nullable=False),  # OpenRouter's id, e.g. "openai/gpt-oss-120b:free"
        pa.field("canonical_slug", pa.string()),  # absent before 2026
        pa.field("name", pa.string()),
        pa.field("hugging_face_id", pa.string()),  # a repo id, or null when OpenRouter gives "" or null
        pa.field("hf_id_state", pa.string(), nullable=False),  # repo | empty | null: what the API said
        pa.field("created", pa.timestamp("s", tz="UTC")),
        pa.field("context_length", pa.int64()),
        pa.field("modality", pa.string()),  # architecture.modality, e.g. "text+image->text"
        pa.field("price_prompt_per_1m", pa.float64()),  # USD per 1M input tokens
        pa.field("price_completion_per_1m", pa.float64()),  # USD per 1M output tokens
        pa.field("is_free", pa.bool_(), nullable=False),  # the id ends with ":free"
        pa.field("base_model_id", pa.string(), nullable=False),  # id without ":suffix" and leading "~"
        pa.field("is_router", pa.bool_(), nullable=False),  # a zero-priced router (negative ones are dropped)
        pa.field("knowledge_cutoff", pa.date32()),  # from 2026-05
        pa.field("expiration_date", pa.date32()),  # from 2026
        *PROVENANCE_FIELDS,
    ]
)
_ROW_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in PROVENANCE])


# The whole catalogue; there is no history endpoint.
fetch = one_file(NAME, RAW_FILE, API_URL, params=PARAMS, expect="json")


def base_model_id(model_id: str) -> str:
    """``~anthropic/claude-sonnet-latest`` -> ``anthropic/claude-sonnet-latest``; ``x/y:free`` -> ``x/y``."""
    return model_id.removeprefix(ALIAS_PREFIX).split(":", 1)[0]


def _where(meta: RawMeta) -> str:
    return f"{NAME} file {meta.file} ({meta.url})"


def _models(raw: bytes, meta: RawMeta) -> list[Any]:
    doc: Any = load_json(raw, _where(meta))
    if isinstance(doc, dict):
        if not isinstance(doc.get("data"), list):
            raise ParseError(f"{_where(meta)}: JSON object without a 'data' array (an error answer?)")
        return doc["data"]
    if isinstance(doc, list):  # the bare .data array, as some mirrors save it
        return doc
    raise ParseError(f"{_where(meta)}: JSON is neither {{'data': [...]}} nor an array of models")


# Every number here is optional (prices, context length, creation time): a non-finite value (a NaN/Infinity
# literal, 1e400, "Infinity") or one beyond int64 (2**63) becomes null with a WARNING, the rule in
# extractors/base.py; text that is not a number at all stays a ParseError.


def _price(pricing: dict[str, Any], name: str, model_id: str, meta: RawMeta) -> Decimal | None:
    """USD per token as a Decimal: the API writes decimal strings ("0.00000025"); float would add noise."""
    value = pricing.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool | list | dict):
        raise ParseError(f"{_where(meta)}: model {model_id!r} has non-numeric pricing.{name} {value!r}")
    try:
        price = Decimal(str(value))
    except InvalidOperation as exc:
        raise ParseError(f"{_where(meta)}: model {model_id!r} has non-numeric pricing.{name} {value!r}") from exc
    if not price.is_finite():  # "NaN", "Infinity", or a NaN/Infinity literal
        return null_with_warning(value, meta=meta, column=f"pricing.{name}", at=f"model {model_id!r}")
    return price


def _per_million(price: Decimal | None, name: str, model_id: str, meta: RawMeta) -> float | None:
    """USD per 1M tokens; a price too large for a float ("1e400" is a finite Decimal) follows the rule."""
    if price is None:
        return None
    try:
        value = float(price * PER_MILLION)
    except ArithmeticError:  # decimal.Overflow beyond the context's exponent range
        value = math.inf
    return optional_number(value, meta=meta, column=f"pricing.{name}", at=f"model {model_id!r}")


def _date(value: Any, column: str, model_id: str, meta: RawMeta) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ParseError(f"{_where(meta)}: model {model_id!r} has {column} {value!r}, not YYYY-MM-DD") from exc


def _int(value: Any, column: str, model_id: str, meta: RawMeta) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return optional_number(value, meta=meta, column=column, at=f"model {model_id!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParseError(f"{_where(meta)}: model {model_id!r} has non-integer {column} {value!r}")
    return optional_number(value, meta=meta, column=column, at=f"model {model_id!r}")  # int64 range


def _created(value: Any, model_id: str, meta: RawMeta) -> dt.datetime | None:
    """Unix seconds as a UTC time; a timestamp no date can hold (after year 9999) follows the number rule."""
    seconds = _int(value, "created", model_id, meta)
    try:
        return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return null_with_warning(seconds, meta=meta, column="created", at=f"model {model_id!r}")


def _str(value: Any, column: str, model_id: str, meta: RawMeta) -> str | None:
    """A text field: a string ("" is null) or null. A number, list or object means the format changed."""
    if value is None or isinstance(value, str):
        return value or None
    raise ParseError(f"{_where(meta)}: model {model_id!r} has {column} {value!r}, not a string")


# The keys of a model object (any model of the page). `canonical_slug`, `knowledge_cutoff` and
# `expiration_date` appeared during 2025-2026 (captures of 2025-05, 2026-02, 2026-05); the rest is not read.
MODEL_KEYS = Columns(
    required=("id",),
    optional=("name", "pricing", "hugging_face_id", "created", "context_length", "architecture"),
    known=(
        "canonical_slug",
        "knowledge_cutoff",
        "expiration_date",
        "description",
        "default_parameters",
        "links",
        "per_request_limits",
        "supported_parameters",
        "top_provider",
    ),
)


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per model id, sorted by id. Routers with negative (sentinel) prices are left out."""
    models = _models(raw, meta)
    drift = MODEL_KEYS.check({k for m in models if isinstance(m, dict) for k in m}, meta)
    rows: dict[str, dict[str, Any]] = {}
    routers: list[str] = []
    for i, model in enumerate(models):
        if not isinstance(model, dict):
            raise ParseError(f"{_where(meta)}: entry {i} is not a JSON object")
        model_id = model.get("id")
        if not isinstance(model_id, str) or not model_id.strip():
            raise ParseError(f"{_where(meta)}: entry {i} has no 'id'; the source format may have changed")
        pricing = model.get("pricing") or {}
        if not isinstance(pricing, dict):
            raise ParseError(f"{_where(meta)}: model {model_id!r} has a non-object 'pricing'")
        prompt = _price(pricing, "prompt", model_id, meta)
        completion = _price(pricing, "completion", model_id, meta)
        if any(p is not None and p < 0 for p in (prompt, completion)):
            routers.append(model_id)
            continue
        if model_id in rows:
            raise ParseError(f"{_where(meta)}: model id {model_id!r} appears twice")
        hf_id = model.get("hugging_face_id")
        if hf_id is not None and not isinstance(hf_id, str):
            raise ParseError(f"{_where(meta)}: model {model_id!r} has a non-string hugging_face_id {hf_id!r}")
        hf_id = None if hf_id is None else hf_id.strip()
        architecture = model.get("architecture")
        modality = architecture.get("modality") if isinstance(architecture, dict) else None
        rows[model_id] = {
            "model_id": model_id,
            "canonical_slug": _str(model.get("canonical_slug"), "canonical_slug", model_id, meta),
            "name": _str(model.get("name"), "name", model_id, meta),
            "hugging_face_id": hf_id or None,
            "hf_id_state": "null" if hf_id is None else ("empty" if hf_id == "" else "repo"),
            "created": _created(model.get("created"), model_id, meta),
            "context_length": _int(model.get("context_length"), "context_length", model_id, meta),
            "modality": _str(modality, "architecture.modality", model_id, meta),
            "price_prompt_per_1m": _per_million(prompt, "prompt", model_id, meta),
            "price_completion_per_1m": _per_million(completion, "completion", model_id, meta),
            "is_free": model_id.endswith(FREE_SUFFIX),
            "base_model_id": base_model_id(model_id),
            "is_router": model_id in ZERO_PRICE_ROUTERS,
            "knowledge_cutoff": _date(model.get("knowledge_cutoff"), "knowledge_cutoff", model_id, meta),
            "expiration_date": _date(model.get("expiration_date"), "expiration_date", model_id, meta),
        }
    if routers:
        log.info("%s: excluded %d router pseudo-model(s) with negative prices: %s", meta.file, len(routers), routers)
    if not rows:
        raise ParseError(f"{_where(meta)} holds no models")
    table = pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=_ROW_SCHEMA)
    return typed(table, meta, SCHEMA, drift)


def vendor(rows: Any) -> Any:
    """The vendor slug of each id (``~openai/gpt-latest`` -> ``openai``)."""
    return rows["model_id"].str.lstrip(ALIAS_PREFIX).str.split("/").str[0]


TABLE = TableSpec(
    "openrouter_models",
    model_rows_schema(SCHEMA, pa.field("org_key", pa.string())),  # org_key: the vendor slug of the id, canonical
    KEY,
    "OpenRouter catalogue: prices in USD per 1M tokens, context length, Hugging Face repo id, openness.",
    as_of="the OpenRouter catalogue as retrieved on or before the snapshot date (current state only; "
    "left out of backfills of earlier dates)",
    values={"hf_id_state": ("repo", "empty", "null")},
    max_row_drop=MAX_ROW_DROP,
)

SOURCE = Source(
    name=NAME,
    title="OpenRouter",
    what="`/api/v1/models`: the catalogue, prices, Hugging Face ids",
    homepage=HOMEPAGE,
    license=LICENSE,
    parse=parse,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(CURRENT_STATE),
    models=ModelRows(
        # Linked by the id's model part (``meta-llama/llama-3.3-70b-instruct:free`` → ``llama-3.3-70b-instruct``).
        name=lambda rows: rows["base_model_id"].str.split("/", n=1).str[-1],
        organization=vendor,
        # A non-empty hugging_face_id is evidence of open weights; its absence is not evidence.
        hub_repo="hugging_face_id",
        hub_names=(
            lambda rows: rows["model_id"].str.split("/", n=1).str[-1],
            lambda rows: rows["name"].fillna("").str.split(": ", n=1).str[-1],  # "OpenAI: GPT-4o" -> "GPT-4o"
        ),
        licence_by_name=True,
        not_a_model="is_router",  # openrouter/free: a router keeps its own key and links to nothing
        attributes={
            "model_name": (lambda rows: rows["name"].str.split(": ", n=1).str[-1], 2),
            "organization": (vendor, 2),
            "release_date": (lambda rows: rows["created"].dt.date, 2),
        },
    ),
)
