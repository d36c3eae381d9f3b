"""Pieces every parser shares: provenance columns and clear errors for drifted inputs."""

from __future__ import annotations

import csv
import functools
import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from extractors.raw_store import RawMeta
from opengap.errors import OpengapError, ParseError

log = logging.getLogger(__name__)
Parse = Callable[[bytes, RawMeta], pa.Table]


def reviewed_rows(path: Path, required: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The rows of a reviewed scope file shipped beside an extractor (``extractors/data/``): each row must name
    its ``reason`` and a public ``source_url``, and fill the ``required`` columns; the loader refuses it otherwise."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for line, row in enumerate(rows, start=2):
        empty = [c for c in ("reason", "source_url", *required) if not (row.get(c) or "").strip()]
        if empty:
            raise OpengapError(f"{path} line {line}: every row needs {', '.join(empty)}")
    return rows


def hub_endpoint() -> str:
    """The Hugging Face Hub's address; HF_ENDPOINT (huggingface_hub's own variable) points it at a mirror."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


@dataclass(frozen=True)
class Columns:
    """One raw format's column contract (dlt's schema contracts are the model): a missing ``required`` column
    stops the parse; a missing ``optional`` one (read when present) and a column outside every list (new) are
    drift, recorded per raw file in the manifest and logged as a warning. ``known`` lists what the format has
    served in the captured history and parsing does not need (their absence says nothing)."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    known: tuple[str, ...] = ()

    def check(self, present: Iterable[str], meta: RawMeta) -> dict[str, list[str]]:
        """Raise a ParseError naming every required column ``present`` lacks; return the drift (empty: none)."""
        present = [c for c in present if c]  # a CSV's unnamed index column is not a column of the format
        missing = [c for c in self.required if c not in present]
        if missing:
            raise ParseError(
                f"{meta.source} file {meta.file} ({meta.url}) lacks required column(s) {', '.join(missing)}; "
                "the source format may have changed: see FORMATS.md and update the parser"
            )
        listed = {*self.required, *self.optional, *self.known}
        drift = {
            "new": sorted({c for c in present if c not in listed}),
            "missing_optional": [c for c in self.optional if c not in present],
        }
        return {kind: names for kind, names in drift.items() if names}


DRIFT_KEY = b"opengap.column_drift"
NOTES_KEY = b"opengap.parse_notes"


def _with_metadata(table: pa.Table, key: bytes, value: dict[str, Any]) -> pa.Table:
    """Add one JSON entry to the schema metadata, keeping the others (drift and notes travel together)."""
    return table.replace_schema_metadata({**(table.schema.metadata or {}), key: json.dumps(value)})


def _metadata(table: pa.Table, key: bytes) -> dict[str, Any]:
    raw = (table.schema.metadata or {}).get(key)
    return json.loads(raw) if raw else {}


def with_drift(table: pa.Table, drift: dict[str, list[str]]) -> pa.Table:
    """Attach a raw file's column drift to its parsed table (schema metadata, never written to Parquet)."""
    return _with_metadata(table, DRIFT_KEY, drift) if drift else table


def drift_of(table: pa.Table) -> dict[str, list[str]]:
    """The column drift ``with_drift`` attached to a parsed table ({} when none)."""
    return _metadata(table, DRIFT_KEY)


def with_notes(table: pa.Table, notes: dict[str, Any]) -> pa.Table:
    """Attach what parsing did to a raw file's rows beyond typing them (e.g. ``{"duplicates_dropped": 3}``),
    like ``with_drift``: schema metadata, for the manifest; nothing is attached when ``notes`` is empty."""
    return _with_metadata(table, NOTES_KEY, notes) if notes else table


def notes_of(table: pa.Table) -> dict[str, Any]:
    """The parse notes ``with_notes`` attached to a parsed table ({} when none)."""
    return _metadata(table, NOTES_KEY)


def only_parse_errors(parse: Parse) -> Parse:
    """The last safety net around a source's ``parse``: an exception other than ParseError (a case the parser's
    own checks missed, i.e. a parser bug) becomes a ParseError naming the file and the exception type, so a bad
    raw file stops its source with one clear line instead of a traceback. The checks inside each parser come
    first; tests/test_fuzz.py fuzzes the unwrapped function (``parse.__wrapped__``) to show they suffice."""

    @functools.wraps(parse)
    def guarded(raw: bytes, meta: RawMeta) -> pa.Table:
        try:
            return parse(raw, meta)
        except ParseError:
            raise
        except Exception as exc:
            raise ParseError(
                f"{meta.source} file {meta.file} ({meta.url}): unexpected {type(exc).__name__} while parsing "
                f"(a parser bug; the file may be damaged): {exc}"
            ) from exc

    return guarded


def typed(table: pa.Table, meta: RawMeta, schema: pa.Schema, drift: dict[str, list[str]]) -> pa.Table:
    """A parser's rows as its declared schema: the four provenance columns of ``meta`` appended, columns in
    schema order and types, the raw file's column drift attached."""
    for name, array in provenance_arrays(meta, table.num_rows).items():
        table = table.append_column(name, array)
    return with_drift(table.select(schema.names).cast(schema), drift)


def dictionary_encoded(table: pa.Table) -> pa.Table:
    """``table`` with its text columns dictionary-encoded: each distinct string stored once (a compact form for
    big parsed tables, whose provenance and label columns repeat a few values millions of times)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            encoded = pc.dictionary_encode(table.column(i))
            table = table.set_column(i, field.with_type(encoded.type), encoded)
    return table


def dictionary_decoded(table: pa.Table) -> pa.Table:
    """``table`` with its dictionary-encoded columns in their plain type again (``dictionary_encoded`` undone)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            value = field.type.value_type
            table = table.set_column(i, field.with_type(value), table.column(i).cast(value))
    return table


def comparable(column: pa.ChunkedArray) -> pa.Array:
    """One array that sorts and compares like ``column``'s values: a dictionary column as the rank of each
    row's value among the dictionary's (cheap: the dictionary is small), any other column as it is."""
    array = column.combine_chunks()  # a dictionary column: one dictionary for all chunks
    if not pa.types.is_dictionary(array.type):
        return array
    ranks = pc.rank(array.dictionary, sort_keys="ascending", tiebreaker="dense").cast(array.indices.type)
    return pc.take(ranks, array.indices)


def key_codes(table: pa.Table, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``table`` as integers that are equal where the table's values are (a dictionary column's
    value ranks, a date's days, missing as -1), for grouping and deduplicating millions of rows cheaply."""
    codes = {c: comparable(table.column(c)) for c in columns}
    codes = {c: a.view(pa.int32()) if pa.types.is_date32(a.type) else a for c, a in codes.items()}
    return pd.DataFrame({c: pc.fill_null(a, -1).to_numpy() for c, a in codes.items()})


def combined_key(codes: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One int64 per row, equal exactly where the rows' ``columns`` of ``codes`` (``key_codes``) all are: each
    column shifted to 0..n-1 and packed into its own digits. Raises when they would not fit in 63 bits."""
    key, size = np.zeros(len(codes), np.int64), 1
    for column in columns:
        values = codes[column].to_numpy().astype(np.int64)
        low, span = (int(values.min()), int(values.max()) - int(values.min()) + 1) if len(values) else (0, 1)
        size *= span
        if size >= 2**63:
            raise OverflowError(f"the key {columns} has too many combinations to pack in 64 bits")
        key = key * span + (values - low)
    return key


def sort_indices(table: pa.Table, columns: list[str]) -> pa.Array:
    """Row order of a stable ascending sort of ``table`` by ``columns`` (missing values last), as pandas'
    ``sort_values(kind="stable")`` orders them; dictionary-encoded columns sort by their values."""
    keys = pa.table({c: comparable(table.column(c)) for c in columns})
    return pc.sort_indices(keys, sort_keys=[(c, "ascending", "at_end") for c in columns])


def provenance_arrays(meta: RawMeta, n: int) -> dict[str, pa.Array]:
    """The four provenance columns, constant over the ``n`` rows parsed from one raw file."""
    retrieved = datetime.fromisoformat(meta.retrieved_at.replace("Z", "+00:00"))
    return {
        "source": pa.array([meta.source] * n, pa.string()),
        "source_url": pa.array([meta.url] * n, pa.string()),
        "retrieved_at": pa.array([retrieved] * n, pa.timestamp("s", tz="UTC")),
        "raw_sha256": pa.array([meta.sha256] * n, pa.string()),
    }


def blank_to_none(value: object) -> str | None:
    """Sources write 'missing' as '', '-' or 'N/A'; all of them mean null."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in {"", "-", "N/A", "n/a"} else text


def _at(meta: RawMeta, at: str) -> str:
    return f"{meta.source} file {meta.file}" + (f", {at}" if at else "")


# Non-finite numbers never reach a parsed table. NaN, +inf and -inf, whether written as such ("inf", a JSON
# NaN/Infinity literal) or produced by an overflow (1e400 reads as inf), and integers outside int64 (2**63),
# are not values any consumer can compare, sum or rank. Per column:
# - a required number, one the row is meaningless without (LMArena's `rating` and `rank`): a ParseError, since
#   the file is damaged and a board without that row would be silently wrong;
# - an optional metric (every other numeric column: scores, prices, sizes, counts, speeds, timestamps): null,
#   logged as a WARNING naming file, row and column, since one unusable cell must not lose the file's other
#   rows, and null is what the column already holds when the source has no value.
# Text that is not a number at all is a ParseError in both cases: it means the format changed.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def is_representable(value: float | int) -> bool:
    """A finite float, or an integer that fits int64."""
    if isinstance(value, float):
        return math.isfinite(value)
    return INT64_MIN <= value <= INT64_MAX


def null_with_warning(value: object, *, meta: RawMeta, column: str, at: str = "") -> None:
    """Log that an optional metric's unusable ``value`` is stored as null (the rule above); return None."""
    log.warning("%s: column %r holds %r, not a finite number in range; stored as null", _at(meta, at), column, value)


def optional_number(value: float | int | None, *, meta: RawMeta, column: str, at: str = "") -> float | int | None:
    """The rule above for an optional metric: ``value``, or None (with a WARNING) when not representable."""
    if value is None or is_representable(value):
        return value
    return null_with_warning(value, meta=meta, column=column, at=at)


def required_number(value: float | int | None, *, meta: RawMeta, column: str, at: str = "") -> float | int:
    """The rule above for a required number: ``value``, or a ParseError when missing or not representable."""
    if value is None or not is_representable(value):
        raise ParseError(f"{_at(meta, at)}: required column {column!r} holds {value!r}, not a finite number")
    return value


def to_float(value: object, *, meta: RawMeta, column: str, at: str = "") -> float | None:
    """An optional metric written as text (or a JSON number): blank is null, non-numeric text a ParseError, and
    a non-finite value null with a WARNING (the rule above). ``at`` names the row in messages."""
    text = blank_to_none(value)
    if text is None:
        return None
    try:
        number = float(text.rstrip("%"))
    except ValueError as exc:
        raise ParseError(f"{_at(meta, at)}: column {column!r} holds non-numeric {text!r}") from exc
    return optional_number(number, meta=meta, column=column, at=at)


def decode_text(raw: bytes, where: str, what: str = "readable text") -> str:
    """``raw`` as UTF-8 text (a leading BOM dropped); other bytes are a ParseError naming offset and line. A file
    that ends inside a multi-byte character was cut off: that error says "is not <what> (truncated download?)"."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.end == len(raw) and exc.reason == "unexpected end of data":
            raise ParseError(f"{where} is not {what} (truncated download?): it ends inside a UTF-8 character") from exc
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.end]
        raise ParseError(f"{where} is not UTF-8 text: byte(s) {bad!r} at offset {exc.start} (line {line})") from exc


def header_line(text: str, where: str) -> str:
    """The first line of a CSV text, without its line end. A carriage return inside it is a ParseError: csv.reader
    refuses one in an unquoted field, and pyarrow and csv.reader (newline="") end the header there, so the rows
    would be read under a header cut short; the file is damaged, and saying so beats "lacks column X"."""
    line = text.split("\n", 1)[0].removesuffix("\r")
    if "\r" in line:
        before = line[: line.index("\r")].split(",")
        raise ParseError(
            f"{where}: the header line holds a stray carriage return (\\r) in column {len(before)} "
            f"({before[-1]!r}...); the file is damaged"
        )
    return line


# A \uD800-\uDFFF escape: JSON allows it, but alone (without its pair) it is no character, and pyarrow refuses it.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(node: Any, path: str) -> str | None:
    """The path of the first string (key or value) under ``node`` that is not encodable Unicode."""
    if isinstance(node, str):
        try:
            node.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found = _lone_surrogate(key, f"{path}/{key!r}") or _lone_surrogate(value, f"{path}/{key}")
        if found:
            return found
    return None


def load_json(raw: bytes, where: str, refusal: str = "is not valid JSON (truncated download?)") -> Any:
    """The JSON document in ``raw``: strict UTF-8 (json.loads on bytes would let encoded surrogates through),
    valid JSON, and no lone surrogate escape in any string. Anything else is a ParseError (``where`` + ``refusal``
    for malformed JSON)."""
    text = decode_text(raw, where, "valid JSON")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than Python's stack
        raise ParseError(f"{where} {refusal}: {exc}") from exc
    if _SURROGATE_ESCAPE.search(text):  # rare: only then walk the document
        path = _lone_surrogate(doc, "")
        if path is not None:
            raise ParseError(f"{where}: the string at {path or '/'} holds a lone surrogate escape, not Unicode text")
    return doc


def check_utf8(table: pa.Table, where: str) -> pa.Table:
    """A table read from parquet, checked in full: parquet readers do not validate UTF-8, so a damaged string
    column would otherwise come out as a table no later step can read."""
    try:
        names = table.column_names
    except UnicodeDecodeError as exc:
        raise ParseError(f"{where}: a parquet column name is not UTF-8: {exc}") from exc
    for i, name in enumerate(names):
        try:
            table.column(i).validate(full=True)
        except pa.ArrowInvalid as exc:
            raise ParseError(f"{where}: parquet column {name!r} holds invalid data (not UTF-8?): {exc}") from exc
    return table
