"""The Open LLM Leaderboard v2 (Hugging Face, retired in 2025): the dataset ``open-llm-leaderboard/contents``.

A static source: the leaderboard no longer changes, so it is fetched once and kept. One row per evaluation
(``eval_name`` = repo id with "/" as "_" plus the precision; one repo can have several). Every row is an
open-weights Hub model; ``hub_license`` and ``base_model`` give its licence and lineage. See FORMATS.md §8.

``parse`` reads three forms of the same table: the dataset's parquet file, a pandas CSV export of it (leading
unnamed index column, emoji column names), and fboulnois/llm-leaderboard-csv's flattening of the Space API
(``model_name``, ``evaluations_ifeval_normalized_score``, ``metadata_hub_license`` …).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import requests

from extractors.base import (
    Columns,
    check_utf8,
    decode_text,
    header_line,
    hub_endpoint,
    only_parse_errors,
    optional_number,
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
from opengap.source import SUBMITTED, AsOf, ModelRows, Source

log = logging.getLogger(__name__)

NAME = "open_llm_leaderboard"
REPO_ID = "open-llm-leaderboard/contents"
HOMEPAGE = f"https://huggingface.co/datasets/{REPO_ID}"
LICENSE = "Hugging Face dataset open-llm-leaderboard/contents (no licence stated in the captures)"
# Not confirmed by FORMATS.md (no capture of the dataset's file listing): the standard single-shard name the
# Hub gives a converted `train` split; third-party code loads this exact path. If the fetch answers 404, list
# the repo (GET {endpoint}/api/datasets/open-llm-leaderboard/contents/tree/main/data) and fix it here.
PARQUET_PATH = "data/train-00000-of-00001.parquet"
RAW_FILE = "contents.parquet"

# Output column -> (dataset column, fboulnois column). Scores are the normalized (non-"Raw") ones.
COLUMNS = {
    "eval_name": ("eval_name", None),  # fboulnois has no eval_name: built from model_name and precision
    "fullname": ("fullname", "model_name"),
    "precision": ("Precision", "model_precision"),
    "model_type": ("Type", "model_type"),
    "architecture": ("Architecture", "model_architecture"),
    "params_b": ("#Params (B)", "metadata_params_billions"),
    "hub_license": ("Hub License", "metadata_hub_license"),
    "hub_likes": ("Hub ❤️", "metadata_hub_hearts"),
    "average": ("Average ⬆️", "model_average_score"),
    "ifeval": ("IFEval", "evaluations_ifeval_normalized_score"),
    "bbh": ("BBH", "evaluations_bbh_normalized_score"),
    "math_lvl_5": ("MATH Lvl 5", "evaluations_math_normalized_score"),
    "gpqa": ("GPQA", "evaluations_gpqa_normalized_score"),
    "musr": ("MUSR", "evaluations_musr_normalized_score"),
    "mmlu_pro": ("MMLU-PRO", "evaluations_mmlu_pro_normalized_score"),
    "base_model": ("Base Model", "metadata_base_model"),
    "merged": ("Merged", "features_is_merged"),
    "moe": ("MoE", "features_is_moe"),
    "flagged": ("Flagged", "features_is_flagged"),
    "official_providers": ("Official Providers", "features_is_official_provider"),
    # fboulnois' (i.e. the Space API's) `is_not_available_on_hub` holds the dataset's "Available on the hub"
    # value despite its name: the two agree in 3,778 of the 3,823 shared rows (FORMATS.md does not say so).
    "available_on_hub": ("Available on the hub", "features_is_not_available_on_hub"),
    "upload_date": ("Upload To Hub Date", "metadata_upload_date"),
    "submission_date": ("Submission Date", "metadata_submission_date"),
}
REQUIRED = ("eval_name", "fullname", "Average ⬆️", "Hub License")
FBOULNOIS_REQUIRED = ("model_name", "model_precision", "model_average_score", "metadata_hub_license")
# Each format's contract: the columns above are read; `known` are served (in the 2025-02 and 2025-03
# captures) and not read, so only a column outside both is drift.
DATASET_COLUMNS = Columns(
    REQUIRED,
    optional=tuple(ds for ds, _ in COLUMNS.values() if ds and ds not in REQUIRED),
    known=(
        "T",
        "Weight type",
        "Model",
        "Model sha",
        "Available on the hub",
        "Chat Template",
        "CO₂ cost (kg)",
        "IFEval Raw",
        "BBH Raw",
        "MATH Lvl 5 Raw",
        "GPQA Raw",
        "MUSR Raw",
        "MMLU-PRO Raw",
        "Generation",
    ),
)
FBOULNOIS_COLUMNS = Columns(
    FBOULNOIS_REQUIRED,
    optional=tuple(fb for _, fb in COLUMNS.values() if fb and fb not in FBOULNOIS_REQUIRED),
    known=(
        "id",
        "model_weight_type",
        "model_sha",
        "model_has_chat_template",
        "metadata_generation",
        "metadata_co2_cost",
        *(
            f"evaluations_{e}_{part}"
            for e in ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro")
            for part in ("name", "value")
        ),
    ),
)
# fboulnois strips spaces and the emoji from `Type` ("chatmodels"); map back to the dataset's wording.
FBOULNOIS_TYPES = {
    "pretrained": "pretrained",
    "continuouslypretrained": "continuously pretrained",
    "fine-tunedondomain-specificdatasets": "fine-tuned on domain-specific datasets",
    "chatmodels": "chat models (RLHF, DPO, IFT, ...)",
    "basemergesandmoerges": "base merges and moerges",
    "multimodal": "multimodal",
    "other": "other",
}
# Base Model holds this word, not a repo id, when the leaderboard lost the lineage (404 of 3,827 rows).
BASE_MODEL_UNKNOWN = "Removed"
# ... and a repo id with this suffix for merges (1,665 rows; 1,636 of them name the model itself). The suffix is
# cut so base_model is always a repo id; it disagrees with `Merged` too often (1,143 rows) to be kept as a flag.
MERGE_SUFFIX = " (Merge)"
# Placeholders the leaderboard writes for an architecture it could not read (57 "?", 2 "Unknown" in 2025-02).
ARCHITECTURE_UNKNOWN = frozenset({"?", "Unknown"})
_EMOJI_PREFIX = re.compile(r"^[^\w(]+")  # "💬 chat models (…)" -> "chat models (…)"; emoji are not \w
_BOOLS = {"true": True, "false": False}

KEY = ("eval_name",)

SCHEMA = pa.schema(
    [
        pa.field("eval_name", pa.string(), nullable=False),  # e.g. "mistralai_Mistral-7B-Instruct-v0.3_bfloat16"
        pa.field("fullname", pa.string(), nullable=False),  # the Hub repo id
        pa.field("precision", pa.string()),  # bfloat16 | float16 | 4bit
        pa.field("model_type", pa.string()),  # Type without its emoji, e.g. "chat models (RLHF, DPO, IFT, ...)"
        pa.field("architecture", pa.string()),  # null for "?" / "Unknown"
        pa.field("params_b", pa.float64()),  # billions; null where the leaderboard wrote -1 or 0
        pa.field("hub_license", pa.string()),  # null when empty
        pa.field("hub_likes", pa.int64()),
        pa.field("average", pa.float64()),  # mean of the six normalized scores below
        pa.field("ifeval", pa.float64()),
        pa.field("bbh", pa.float64()),
        pa.field("math_lvl_5", pa.float64()),
        pa.field("gpqa", pa.float64()),
        pa.field("musr", pa.float64()),
        pa.field("mmlu_pro", pa.float64()),
        pa.field("base_model", pa.string()),  # a repo id, " (Merge)" cut; null when empty or "Removed"
        pa.field("merged", pa.bool_()),
        pa.field("moe", pa.bool_()),
        pa.field("flagged", pa.bool_()),
        pa.field("official_providers", pa.bool_()),
        pa.field("available_on_hub", pa.bool_()),
        pa.field("upload_date", pa.date32()),
        pa.field("submission_date", pa.date32()),
        *PROVENANCE_FIELDS,
    ]
)
_ROW_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in PROVENANCE])


def parquet_url() -> str:
    return f"{hub_endpoint()}/datasets/{REPO_ID}/resolve/main/{PARQUET_PATH}"


def fetch(
    session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
) -> list[RawFile]:
    """Store the dataset's parquet once. The leaderboard is retired: ``history`` changes nothing, and a stored
    copy is reused for its date unless ``refresh``."""
    return [
        fetch_to_store(
            session,
            store,
            source=NAME,
            snapshot_date=snapshot_date,
            file=RAW_FILE,
            url=parquet_url(),
            refresh=refresh,
            expect="parquet",
        )
    ]


def _where(meta: RawMeta) -> str:
    return f"{NAME} file {meta.file} ({meta.url})"


def _read_records(raw: bytes, meta: RawMeta) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows of the parquet file or of a CSV export (every CSV cell as text)."""
    if raw[:4] == b"PAR1":
        try:
            table = pq.read_table(io.BytesIO(raw))
        except (pa.ArrowException, OSError) as exc:
            raise ParseError(f"{_where(meta)} is not a readable parquet file (truncated download?): {exc}") from exc
        table = check_utf8(table, _where(meta))
        return table.column_names, table.to_pylist()
    text = decode_text(raw, _where(meta), "parquet or a readable CSV")  # else a ParseError naming the bad byte
    header_line(text, _where(meta))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header:
            raise ParseError(f"{_where(meta)} is empty")
        records = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ParseError(
                    f"{_where(meta)}: line {reader.line_num} has {len(row)} fields, the header {len(header)} "
                    "(truncated download?)"
                )
            records.append(dict(zip(header, row, strict=True)))
    except csv.Error as exc:
        raise ParseError(f"{_where(meta)}: unreadable CSV near line {reader.line_num} (truncated?): {exc}") from exc
    return header, records


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def _float(value: Any) -> float | None:
    if isinstance(value, float) and math.isnan(value):
        return value  # a NaN in a numeric column is a value, not a blank: the number rule in parse makes it null
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    return float(value)


def _int(value: Any) -> int | float | None:
    """An integer, or a non-finite float as it is (the number rule in ``parse`` turns it into null)."""
    number = _float(value)
    if number is None or not math.isfinite(number):
        return number
    if not number.is_integer():
        raise ValueError(value)
    return int(number)


def _bool(value: Any) -> bool | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    return _BOOLS[str(value).strip().lower()]  # KeyError: reported as a bad value


def _date(value: Any) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _model_type(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    stripped = _EMOJI_PREFIX.sub("", text).strip()
    return FBOULNOIS_TYPES.get(stripped, stripped) or None


def _params(value: Any) -> float | None:
    number = _float(value)
    return None if number is None or number <= 0 else number  # -1.0 (3 rows) and 0.0 (2 rows) mean unknown


def _architecture(value: Any) -> str | None:
    text = _text(value)
    return None if text in ARCHITECTURE_UNKNOWN else text


def _base_model(value: Any) -> str | None:
    text = _text(value)
    return None if text is None or text == BASE_MODEL_UNKNOWN else text.removesuffix(MERGE_SUFFIX).strip() or None


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "fullname": _text,
    "precision": _text,
    "model_type": _model_type,
    "architecture": _architecture,
    "params_b": _params,
    "hub_license": _text,
    "hub_likes": _int,
    "average": _float,
    "ifeval": _float,
    "bbh": _float,
    "math_lvl_5": _float,
    "gpqa": _float,
    "musr": _float,
    "mmlu_pro": _float,
    "base_model": _base_model,
    "merged": _bool,
    "moe": _bool,
    "flagged": _bool,
    "official_providers": _bool,
    "available_on_hub": _bool,
    "upload_date": _date,
    "submission_date": _date,
}


def _is_fboulnois(columns: list[str]) -> bool:
    return "eval_name" not in columns and "model_name" in columns and "model_precision" in columns


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per evaluation, sorted by ``eval_name``. New columns are drift (recorded, not read).

    Every numeric column is an optional metric: a non-finite value (NaN, ±inf, 1e400) or an integer beyond int64
    becomes null with a WARNING (the rule in extractors/base.py)."""
    columns, records = _read_records(raw, meta)
    fboulnois = _is_fboulnois(columns)
    drift = (FBOULNOIS_COLUMNS if fboulnois else DATASET_COLUMNS).check(columns, meta)
    source_col = {out: (fb if fboulnois else ds) for out, (ds, fb) in COLUMNS.items()}
    rows: dict[str, dict[str, Any]] = {}
    for n, rec in enumerate(records, start=1):
        row: dict[str, Any] = {}
        for out, convert in CONVERTERS.items():
            col = source_col[out]
            value = rec.get(col) if col else None
            try:
                row[out] = convert(value)
            except (ValueError, KeyError, TypeError, OverflowError) as exc:
                raise ParseError(f"{_where(meta)}: data row {n} column {col!r} holds unexpected {value!r}") from exc
            if isinstance(row[out], float | int) and not isinstance(row[out], bool):
                row[out] = optional_number(row[out], meta=meta, column=str(col), at=f"data row {n}")
        if fboulnois:
            ok = row["fullname"] is not None and row["precision"] is not None
            eval_name = f"{row['fullname'].replace('/', '_')}_{row['precision']}" if ok else None
        else:
            eval_name = _text(rec.get("eval_name"))
        if eval_name is None or row["fullname"] is None:
            raise ParseError(f"{_where(meta)}: data row {n} has no eval_name or fullname")
        if eval_name in rows:
            raise ParseError(f"{_where(meta)}: eval_name {eval_name!r} appears twice (data row {n})")
        rows[eval_name] = {"eval_name": eval_name, **row}
    if not rows:
        raise ParseError(f"{_where(meta)} holds no rows")
    table = pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=_ROW_SCHEMA)
    return typed(table, meta, SCHEMA, drift)


TABLE = TableSpec(
    "open_llm_leaderboard",
    model_rows_schema(SCHEMA),
    KEY,
    "Open LLM Leaderboard (retired, static): evaluations of open-weights Hub models, licence, base model.",
    as_of="the retired leaderboard's contents submitted on or before the snapshot date",
    max_row_drop=MAX_ROW_DROP,
)

SOURCE = Source(
    name=NAME,
    title="Open LLM Leaderboard",
    what="`open-llm-leaderboard/contents`, retired: evaluations of Hub models",
    homepage=HOMEPAGE,
    license=LICENSE,
    parse=parse,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(SUBMITTED, "submission_date"),
    static=True,  # retired: loaded once; later runs reuse the stored copy instead of fetching it again
    licence_column="hub_license",
    models=ModelRows(
        # Every row is a Hub repo (open weights); its Hub licence decides the tier when it is a known licence.
        name="fullname",
        hub_repo="fullname",
        hub_licence="hub_license",
        hub_base="base_model",
        match_registry=False,
        attributes={
            "model_name": ("fullname", 4),
            "organization": (lambda rows: rows["fullname"].str.split("/").str[0], 4),
            "parameters": (lambda rows: rows["params_b"] * 1e9, 1),
            "license_raw": ("hub_license", 1),
        },
    ),
)
