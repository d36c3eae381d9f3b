"""LMArena leaderboards from the Hugging Face dataset ``lmarena-ai/leaderboard-dataset`` (CC-BY-4.0).

Each config (board) holds two parquet files: ``latest`` (every category's newest leaderboard) and ``full``
(every leaderboard ever published). The nightly run stores ``latest``; backfills store ``full`` once and slice
it by ``leaderboard_publish_date``. ``opengap parse lmarena`` also reads pages of the datasets-server
``https://datasets-server.huggingface.co/rows`` endpoint (100 rows a page). See FORMATS.md section 9 for
the dtype drift handled here.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import requests
from huggingface_hub import hf_hub_url

from extractors.base import Columns, hub_endpoint, provenance_arrays, with_drift
from extractors.http import fetch_to_store
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap.contracts import IDENTITY_FIELDS, OPENNESS_FIELDS, PROVENANCE_FIELDS, TableSpec, row_fields
from opengap.errors import ParseError
from opengap.source import PUBLISHED, AsOf, Leaderboard, ModelRows, Source

NAME = "lmarena"
REPO_ID = "lmarena-ai/leaderboard-dataset"
HOMEPAGE = f"https://huggingface.co/datasets/{REPO_ID}"
LICENSE = "CC-BY-4.0"
BOARDS = ("text", "text_style_control")  # what the nightly run stores
# Every config folder in the dataset (FORMATS.md §9), longest first so file names match the right one.
CONFIGS = tuple(
    sorted(
        (
            "agent",
            "document",
            "document_style_control",
            "image_edit",
            "image_to_video",
            "search",
            "search_factuality",
            "search_style_control",
            "text",
            "text_factuality",
            "text_style_control",
            "text_to_image",
            "text_to_video",
            "video_edit",
            "vision",
            "vision_style_control",
            "webdev",
        ),
        key=len,
        reverse=True,
    )
)
REQUIRED = ("model_name", "organization", "license", "rating", "rank", "category", "leaderboard_publish_date")
OPTIONAL_FLOATS = ("rating_lower", "rating_upper", "variance", "vote_count")
COLUMNS = Columns(REQUIRED, OPTIONAL_FLOATS)
KEY = ("board", "category", "leaderboard_publish_date", "model_name")

SCHEMA = pa.schema(
    [
        pa.field("board", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("leaderboard_publish_date", pa.date32(), nullable=False),
        pa.field("model_name", pa.string(), nullable=False),
        pa.field("organization", pa.string()),
        pa.field("license", pa.string()),
        pa.field("rating", pa.float64(), nullable=False),
        pa.field("rating_lower", pa.float64()),
        pa.field("rating_upper", pa.float64()),
        pa.field("variance", pa.float64()),
        pa.field("vote_count", pa.int64()),
        pa.field("rank", pa.int64(), nullable=False),
        *PROVENANCE_FIELDS,
    ]
)


def raw_file_name(board: str, split: str) -> str:
    return f"{board}.{split}.parquet"


def fetch(
    session: requests.Session,
    store: RawStore,
    snapshot_date: str,
    *,
    history: bool = False,
    boards: tuple[str, ...] = BOARDS,
    refresh: bool = False,
) -> list[RawFile]:
    """Store the dataset's current revision, then each board's parquet pinned to that revision, so the files
    of one snapshot always come from one commit of the dataset."""
    split = "full" if history else "latest"
    endpoint = hub_endpoint()
    revision_url = f"{endpoint}/api/datasets/{REPO_ID}/revision/main"
    revision = fetch_to_store(
        session,
        store,
        source=NAME,
        snapshot_date=snapshot_date,
        file="revision.json",
        url=revision_url,
        refresh=refresh,
    )
    try:
        sha = json.loads(revision.content)["sha"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"{revision_url} returned no 'sha'; the Hub API changed or the answer is an error") from exc
    files = [revision]
    for board in boards:
        url = hf_hub_url(
            REPO_ID, f"{board}/{split}-00000-of-00001.parquet", repo_type="dataset", revision=sha, endpoint=endpoint
        )
        files.append(
            fetch_to_store(
                session,
                store,
                source=NAME,
                snapshot_date=snapshot_date,
                file=raw_file_name(board, split),
                url=url,
                params={"config": board, "split": split, "revision": sha},
                refresh=refresh,
            )
        )
    return files


def is_leaderboard_file(meta: RawMeta) -> bool:
    """Revision and other bookkeeping responses sit beside the data; only these hold leaderboard rows."""
    return meta.file != "revision.json"


def _read_rows(raw: bytes, meta: RawMeta) -> pd.DataFrame:
    """Accept the three forms rows come in: parquet, a datasets-server /rows page, a JSON array of rows."""
    where = f"{NAME} file {meta.file} ({meta.url})"
    if raw[:4] == b"PAR1":
        try:
            return pq.read_table(io.BytesIO(raw)).to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise ParseError(f"{where} is not a readable parquet file (truncated download?): {exc}") from exc
    try:
        doc: Any = json.loads(raw)
    except ValueError as exc:
        raise ParseError(f"{where} is neither parquet nor JSON (truncated?): {exc}") from exc
    if isinstance(doc, dict) and "rows" in doc:  # datasets-server page
        if any(r.get("truncated_cells") for r in doc["rows"]):
            raise ParseError(f"{where}: the datasets-server truncated some cells; fetch the parquet instead")
        records = [r["row"] for r in doc["rows"]]
    elif isinstance(doc, list):
        records = doc
    else:
        raise ParseError(f"{where}: JSON is neither a /rows page nor an array of rows")
    return pd.DataFrame.from_records(records)


def board_of(meta: RawMeta) -> str:
    """The config (board) a file holds: from its metadata, else the first config name in its file name."""
    if meta.params.get("config"):
        return str(meta.params["config"])
    # Whole names only ("research_text" is the text board, not search); '_' and '.' separate words here.
    found = next((c for c in CONFIGS if re.search(rf"(?<![a-z0-9]){c}(?![a-z0-9])", meta.file)), None)
    if found is None:
        raise ParseError(f"{meta.file}: cannot tell which LMArena board it holds; pass --board (e.g. text)")
    return found


def _as_float(series: pd.Series, column: str, meta: RawMeta) -> pd.Series:
    try:
        return pd.to_numeric(series, errors="raise").astype(float)
    except (ValueError, TypeError) as exc:
        raise ParseError(f"{NAME} file {meta.file}: column {column!r} holds non-numeric values ({exc})") from exc


def _as_int(series: pd.Series, column: str, meta: RawMeta) -> pd.Series:
    """``rank`` and ``vote_count`` are float64 in some configs and int64 in others: read as float, cast."""
    values = _as_float(series, column, meta).astype("Float64")
    if (values.notna() & (values != values.round())).any():
        raise ParseError(f"{NAME} file {meta.file}: column {column!r} holds non-integral values")
    return values.astype("Int64")


def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """Rows of one board file, typed to SCHEMA. New columns are drift (recorded, not read); duplicates keep the
    best rank."""
    df = _read_rows(raw, meta)
    drift = COLUMNS.check(df.columns, meta)
    for col in OPTIONAL_FLOATS:
        if col not in df.columns:
            df[col] = None
    try:
        publish = pd.to_datetime(df["leaderboard_publish_date"], format="%Y-%m-%d").dt.date
    except (ValueError, TypeError) as exc:
        raise ParseError(f"{NAME} file {meta.file}: leaderboard_publish_date is not YYYY-MM-DD: {exc}") from exc
    out = pd.DataFrame(
        {
            "board": board_of(meta),
            "category": df["category"].astype(str),
            "leaderboard_publish_date": publish,
            "model_name": df["model_name"].astype(str),
            # Empty organization/licence strings mean "not filled in", never a real value.
            "organization": df["organization"].replace("", None),
            "license": df["license"].replace("", None),
            "rating": _as_float(df["rating"], "rating", meta),
            "rating_lower": _as_float(df["rating_lower"], "rating_lower", meta),
            "rating_upper": _as_float(df["rating_upper"], "rating_upper", meta),
            "variance": _as_float(df["variance"], "variance", meta),
            "vote_count": _as_int(df["vote_count"], "vote_count", meta),
            "rank": _as_int(df["rank"], "rank", meta),
        }
    )
    if out["rank"].isna().any() or out["rating"].isna().any():
        raise ParseError(f"{NAME} file {meta.file}: some rows have no rank or rating")
    # FORMATS.md: webdev lists one model twice on one leaderboard; keep its best-ranked row.
    out = out.sort_values([*KEY, "rank"], kind="stable").drop_duplicates(list(KEY), keep="first")
    out = out.sort_values(["board", "category", "leaderboard_publish_date", "rank", "model_name"], kind="stable")
    table = pa.Table.from_pandas(out, preserve_index=False)
    for name, array in provenance_arrays(meta, table.num_rows).items():
        table = table.append_column(name, array)
    return with_drift(table.select(SCHEMA.names).cast(SCHEMA), drift)


TABLE = TableSpec(
    "leaderboard_scores",
    pa.schema(
        [
            *row_fields(SCHEMA),
            *IDENTITY_FIELDS,
            pa.field("org_key", pa.string()),
            pa.field("license_id", pa.string(), nullable=False),
            *OPENNESS_FIELDS,
            *PROVENANCE_FIELDS,
        ]
    ),
    KEY,
    "LMArena leaderboards known on the snapshot date (newest per board and category), every category.",
    as_of="per board and category, the newest LMArena leaderboard published on or before the snapshot date "
    "(leaderboard_publish_date <= snapshot_date)",
)

SOURCE = Source(
    name=NAME,
    title="LMArena",
    what="`text` and `text_style_control` boards (`latest` split nightly, `full` split for backfills), pinned to "
    "the dataset revision fetched first",
    homepage=HOMEPAGE,
    license=LICENSE,
    parse=parse,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(PUBLISHED, "leaderboard_publish_date", ("board", "category")),
    data_file=is_leaderboard_file,
    licence_column="license",
    models=ModelRows(
        name="model_name",
        leaderboard=Leaderboard(licence="license", organization="organization", headline=("text", "overall")),
        attributes={
            "model_name": ("model_name", 3),
            "organization": ("organization", 1),
            "license_raw": ("license_raw", 0),  # the licence text a leaderboard states
        },
        rank=("text_rank", "lmarena_text_rank"),  # best rank on the text board (overall)
    ),
)
