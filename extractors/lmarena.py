"""LMArena leaderboards from the Hugging Face dataset ``lmarena-ai/leaderboard-dataset`` (CC-BY-4.0).

Each config (board) holds two parquet files: ``latest`` (every category's newest leaderboard) and ``full``
(every leaderboard ever published). The nightly run stores ``latest``; backfills store ``full`` once and slice
it by ``leaderboard_publish_date``. ``opengap parse lmarena`` also reads pages of the datasets-server
``https://datasets-server.huggingface.co/rows`` endpoint (100 rows a page). See FORMATS.md section 9 for
the dtype drift handled here.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import requests
from huggingface_hub import hf_hub_url

from extractors.base import (
    Columns,
    check_utf8,
    comparable,
    dictionary_decoded,
    dictionary_encoded,
    hub_endpoint,
    load_json,
    only_parse_errors,
    sort_indices,
    typed,
)
from extractors.http import DEADLINE_S, fetch_to_store
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap.contracts import IDENTITY_FIELDS, MAX_ROW_DROP, OPENNESS_FIELDS, PROVENANCE_FIELDS, TableSpec, row_fields
from opengap.errors import ParseError
from opengap.source import PUBLISHED, AsOf, Leaderboard, ModelRows, Source

log = logging.getLogger(__name__)

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


FULL_SPLIT_DEADLINE_S = 1800.0  # a `full` parquet is ~60 MB: give a slow link longer than the default


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
        expect="json",
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
                expect="parquet",
                deadline_s=FULL_SPLIT_DEADLINE_S if history else DEADLINE_S,
            )
        )
    return files


def is_leaderboard_file(meta: RawMeta) -> bool:
    """Revision and other bookkeeping responses sit beside the data; only these hold leaderboard rows."""
    return meta.file != "revision.json"


def _where(meta: RawMeta) -> str:
    return f"{NAME} file {meta.file} ({meta.url})"


# Rows read and checked at a time from a parquet file: the full split reaches 12M rows, which as one pandas frame
# (and its typed copies) would need several GB; the checks and messages are the same per batch.
BATCH_ROWS = 1_000_000


def _read_batches(raw: bytes, meta: RawMeta) -> Iterator[pd.DataFrame]:
    """Accept the three forms rows come in: parquet (read ``BATCH_ROWS`` at a time), a datasets-server /rows
    page, a JSON array of rows. Each frame's index is its rows' 0-based position in the file (for messages)."""
    where = _where(meta)
    if raw[:4] == b"PAR1":
        try:
            file = pq.ParquetFile(io.BytesIO(raw))
            offset = 0
            for batch in file.iter_batches(batch_size=BATCH_ROWS):
                frame = _frame_of(check_utf8(pa.Table.from_batches([batch]), where), where)
                frame.index = pd.RangeIndex(offset, offset + len(frame))
                offset += len(frame)
                yield frame
            if offset == 0:  # no rows: still a frame with the file's columns, checked like any other
                yield _frame_of(check_utf8(file.schema_arrow.empty_table(), where), where)
        except (pa.ArrowException, OSError) as exc:
            raise ParseError(f"{where} is not a readable parquet file (truncated download?): {exc}") from exc
        except UnicodeDecodeError as exc:  # a damaged schema: its names are read batch by batch now
            raise ParseError(f"{where}: the parquet schema is not UTF-8 (damaged file?): {exc}") from exc
        return
    yield _read_json(raw, meta)


def _frame_of(table: pa.Table, where: str) -> pd.DataFrame:
    try:
        return table.to_pandas()
    except (pa.ArrowException, ValueError) as exc:  # e.g. damaged b"pandas" schema metadata
        raise ParseError(f"{where}: the parquet table cannot be read into rows: {exc}") from exc


def _read_json(raw: bytes, meta: RawMeta) -> pd.DataFrame:
    where = _where(meta)
    doc: Any = load_json(raw, where, "is neither parquet nor JSON (truncated?)")
    if isinstance(doc, dict) and "rows" in doc:  # datasets-server page
        if not isinstance(doc["rows"], list):
            raise ParseError(f"{where}: the /rows page's 'rows' is {type(doc['rows']).__name__}, not a list")
        records = []
        for i, entry in enumerate(doc["rows"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("row"), dict):
                raise ParseError(f"{where}: rows[{i}] is not an object with a 'row' object")
            if entry.get("truncated_cells"):
                raise ParseError(f"{where}: the datasets-server truncated some cells; fetch the parquet instead")
            records.append(entry["row"])
    elif isinstance(doc, list):
        records = doc
    else:
        raise ParseError(f"{where}: JSON is neither a /rows page nor an array of rows")
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise ParseError(f"{where}: data row {i + 1} is {type(record).__name__}, not an object")
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


def _first(mask: pd.Series) -> int:
    """The 1-based data row of the first True in ``mask`` (its index is the rows' 0-based position in the file)."""
    return int(mask.index[np.flatnonzero(mask.to_numpy())[0]]) + 1


def _cell(series: pd.Series, n: int) -> Any:
    """Data row ``n``'s value as a plain Python object (``0``, not ``np.int64(0)``), for messages."""
    value = series.loc[n - 1]
    return value.item() if isinstance(value, np.generic) else value


def _text(series: pd.Series, column: str, meta: RawMeta, *, required: bool) -> pd.Series:
    """A text column: strings, or null where ``required`` is False (an empty string means null: "not filled in",
    never a real value). A number, list or object is a ParseError: the format changed."""
    if not isinstance(series.dtype, pd.StringDtype):  # parquet and uniform JSON give a string dtype
        wrong = series.map(lambda v: not isinstance(v, str)) & series.notna()
        if wrong.any():
            n = _first(wrong)
            raise ParseError(
                f"{NAME} file {meta.file}: data row {n} column {column!r} holds {_cell(series, n)!r}, not text"
            )
    if required:
        missing = series.isna() | series.eq("")
        if missing.any():
            raise ParseError(f"{NAME} file {meta.file}: data row {_first(missing)} has no {column}")
        return series.astype(str)  # pandas' string dtype, kept: sorting and deduplicating it is fast
    return series.replace("", None)


def _numbers(series: pd.Series, column: str, meta: RawMeta, *, required: bool, integer: bool = False) -> pd.Series:
    """A numeric column as float, NaN for missing. pandas holds a missing value as NaN, so a NaN in the file
    reads as missing too (null, or for a required column the 'no rank or rating' error). Values pandas can read
    that are not representable (±inf, 1e400, or beyond int64 for ``integer``) follow the rule in
    extractors/base.py: a ParseError for the required ``rating`` and ``rank``, null with a WARNING otherwise."""
    where = f"{NAME} file {meta.file}"
    if pd.api.types.is_bool_dtype(series):
        raise ParseError(f"{where}: column {column!r} holds booleans, not numbers")
    if series.dtype == object:  # JSON values of mixed types: each as the file wrote it
        wrong = series.map(lambda v: isinstance(v, bool | list | dict))
        if wrong.any():
            n = _first(wrong)
            raise ParseError(f"{where}: data row {n} column {column!r} holds {_cell(series, n)!r}, not a number")
    try:
        values = pd.to_numeric(series, errors="raise").astype(float)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ParseError(f"{where}: column {column!r} holds non-numeric values ({exc})") from exc
    # 2.0**63: the first float beyond int64 (INT64_MAX itself rounds up to it as a float).
    unusable = np.isinf(values) | ((values.abs() >= 2.0**63) if integer else False)
    if unusable.any():
        n = _first(unusable)
        if required:
            raise ParseError(
                f"{where}: data row {n}: required column {column!r} holds {_cell(values, n)!r}, not a finite number"
            )
        log.warning(
            "%s: %d value(s) of column %r are not finite numbers (first: data row %d, %r); stored as null",
            where,
            int(unusable.sum()),
            column,
            n,
            _cell(values, n),
        )
        values = values.mask(unusable)
    return values


def _integers(series: pd.Series, column: str, meta: RawMeta, *, required: bool) -> pd.Series:
    """``rank`` and ``vote_count`` are float64 in some configs and int64 in others: read as float, cast."""
    values = _numbers(series, column, meta, required=required, integer=True).astype("Float64")
    if (values.notna() & (values != values.round())).any():
        raise ParseError(f"{NAME} file {meta.file}: column {column!r} holds non-integral values")
    return values.astype("Int64")


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """Rows of one board file, typed to SCHEMA. New columns are drift (recorded, not read); duplicates keep the
    best rank."""
    return dictionary_decoded(_compact(raw, meta))


@only_parse_errors
def parse_compact(raw: bytes, meta: RawMeta) -> pa.Table:
    """``parse``'s table with every text column dictionary-encoded: a backfill holds the 12M-row full split in
    memory this way (~1.1 GB; its four provenance columns, the same text on every row, would take ~1.5 GB alone
    as plain text). ``dictionary_decoded`` gives back exactly ``parse``'s table."""
    return _compact(raw, meta)


def _compact(raw: bytes, meta: RawMeta) -> pa.Table:
    """The rows read and checked batch by batch, each batch's text dictionary-encoded as it comes."""
    batches = []
    for batch in _typed_batches(raw, meta):
        batches.append(dictionary_encoded(batch))
        pa.default_memory_pool().release_unused()  # the batch's plain text: freed, but kept by Arrow's allocator
    table = pa.concat_tables(batches).unify_dictionaries()
    del batches
    order, schema, columns = _best_ranked_order(table), table.schema, []
    while table.num_columns:  # reordered a column at a time, each released once copied: never two full copies
        columns.append(table.column(0).take(order))
        table = table.remove_column(0)
    return pa.Table.from_arrays(columns, schema=schema)


def _typed_batches(raw: bytes, meta: RawMeta) -> Iterator[pa.Table]:
    drift = None
    for df in _read_batches(raw, meta):
        drift = COLUMNS.check(df.columns, meta) if drift is None else drift
        yield _typed_rows(df, meta, drift)


def _best_ranked_order(table: pa.Table) -> pa.Array:
    """FORMATS.md: webdev lists one model twice on one leaderboard; keep its best-ranked row (the first in file
    order among equal ranks). The rows kept, as positions in the order of board, category, date, rank and name;
    computed on the key columns alone (the table can hold 12M rows)."""
    by_key = sort_indices(table, [*KEY, "rank"])
    if len(by_key) > 1:
        keys = [comparable(table.column(c)).take(by_key) for c in KEY]
        same = functools.reduce(pc.and_, [pc.equal(k[1:], k[:-1]) for k in keys])
        by_key = by_key.filter(pa.concat_arrays([pa.array([True]), pc.invert(same)]))
    order = ["board", "category", "leaderboard_publish_date", "rank", "model_name"]
    return by_key.take(sort_indices(table.select(order).take(by_key), order))


def _typed_rows(df: pd.DataFrame, meta: RawMeta, drift: dict[str, list[str]]) -> pa.Table:
    for col in OPTIONAL_FLOATS:
        if col not in df.columns:
            df[col] = None
    dates = _text(df["leaderboard_publish_date"], "leaderboard_publish_date", meta, required=True)
    try:
        parsed = pd.to_datetime(dates, format="%Y-%m-%d")
    except (ValueError, TypeError) as exc:
        raise ParseError(f"{NAME} file {meta.file}: leaderboard_publish_date is not YYYY-MM-DD: {exc}") from exc
    if parsed.isna().any():  # pandas reads "NaN", "NaT" and the like as a missing date, even with a format
        n = _first(parsed.isna())
        raise ParseError(
            f"{NAME} file {meta.file}: data row {n}: leaderboard_publish_date {dates.loc[n - 1]!r} is not YYYY-MM-DD"
        )
    publish = parsed.dt.date
    out = pd.DataFrame(
        {
            "board": board_of(meta),
            "category": _text(df["category"], "category", meta, required=True),
            "leaderboard_publish_date": publish,
            "model_name": _text(df["model_name"], "model_name", meta, required=True),
            "organization": _text(df["organization"], "organization", meta, required=False),
            "license": _text(df["license"], "license", meta, required=False),
            "rating": _numbers(df["rating"], "rating", meta, required=True),
            "rating_lower": _numbers(df["rating_lower"], "rating_lower", meta, required=False),
            "rating_upper": _numbers(df["rating_upper"], "rating_upper", meta, required=False),
            "variance": _numbers(df["variance"], "variance", meta, required=False),
            "vote_count": _integers(df["vote_count"], "vote_count", meta, required=False),
            "rank": _integers(df["rank"], "rank", meta, required=True),
        }
    )
    missing = out["rank"].isna() | out["rating"].isna()
    if missing.any():
        n = _first(missing)
        raise ParseError(
            f"{NAME} file {meta.file}: some rows have no rank or rating (first: data row {n}, "
            f"{out['model_name'].loc[n - 1]!r})"
        )
    return typed(pa.Table.from_pandas(out, preserve_index=False), meta, SCHEMA, drift)


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
    max_row_drop=MAX_ROW_DROP,
)

SOURCE = Source(
    name=NAME,
    title="LMArena",
    what="`text` and `text_style_control` boards (`latest` split nightly, `full` split for backfills), pinned to "
    "the dataset revision fetched first",
    homepage=HOMEPAGE,
    license=LICENSE,
    parse=parse,
    parse_compact=parse_compact,
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
