"""Every parser, on any input, returns a table that conforms to its SCHEMA (finite floats only) or raises ParseError.

A seeded, bounded fuzz over every shipped fixture each parser accepts (``fixtures/archive/raw`` and
``fixtures/<source>/``), plus a parquet form of the LMArena and Open LLM Leaderboard archive fixtures (both parsers
read parquet; no parquet is shipped). Mutations are structure-aware: JSON fields and rows set to null, numbers,
strings, ``NaN``/``Infinity``/``1e400``/``2**63`` literals, deleted or wrapped in lists; CSV cells blanked or set
to non-finite numbers, columns swapped, dropped or renamed, ragged rows, ``\\r`` in the header, non-UTF-8 bytes,
truncation; parquet bytes corrupted or truncated, cells set to null/NaN/±inf, strings to invalid UTF-8, a text
column to numbers. ``OPENGAP_FUZZ_N`` sets the mutations per parser (default 250; ``make fuzz`` runs 3000) and
``OPENGAP_FUZZ_SEED`` the seed; with ``OPENGAP_FUZZ_N`` set, each parser's figures are printed.

Each source's ``parse`` carries a last-resort wrapper (``extractors.base.only_parse_errors``) that would turn any
escaped exception into a ParseError; the fuzz calls the unwrapped function, so every input must be handled by a
specific check. The tests after the fuzz pin the named cases from the issue to their exact outcome.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from test_parsers import make_meta

from conftest import ARCHIVE, CAPTURES, FIXTURES, needs_captures
from extractors import registry
from extractors.base import drift_of, notes_of, only_parse_errors, with_drift, with_notes
from extractors.raw_store import RawMeta, RawStore
from opengap.errors import ParseError

N = int(os.environ.get("OPENGAP_FUZZ_N", "250"))
SEED = int(os.environ.get("OPENGAP_FUZZ_SEED", "20261008"))
SOURCES = list(registry.MODULES)

# Raw JSON literals a mutation can put anywhere (written in place of a marker string after json.dumps).
LITERALS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", str(2**63), str(-(2**63) - 1), "9" * 400)
MARK = "\x00literal:"
NUMBER_CELLS = ("inf", "-inf", "nan", "NaN", "Infinity", "1e400", "-1e400", str(2**63), "1e-400", "1e999999", "0x10")
TEXT_VALUES = ("", " ", "-", "N/A", "x", "inf", "NaN", "1e400", "1e999999", "true", "2024-13-45", "ü", "(high)")
NUMBER_VALUES = (0, -1, 1, 1.5, -0.5, 10**6, 2**63, True, False)
BAD_BYTES = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80abc", b"\xfe\xff", b"\x00")


# --------------------------------------------------------------------------------------------------------------
# Seeds: the shipped fixtures each parser accepts
# --------------------------------------------------------------------------------------------------------------


def _fixture_inputs(source: str) -> list[tuple[str, bytes, RawMeta]]:
    declared = registry.get(source)
    found: list[tuple[str, bytes, RawMeta]] = []
    store = RawStore(ARCHIVE / "raw")
    for day in store.dates(source):
        for raw in store.read_all(source, day):
            if declared.data_file(raw.meta):
                found.append((f"archive/{source}/{day}/{raw.meta.file}", raw.content, raw.meta))
    folder = FIXTURES / source
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix in {".csv", ".json", ".parquet", ".txt"}:
            content = path.read_bytes()
            found.append((f"{source}/{path.name}", content, make_meta(source, path.name, content)))
    accepted, seen = [], set()
    for name, content, meta in found:
        if content in seen:  # the archive copy of a parser fixture
            continue
        declared.parse(content, meta)  # a shipped fixture that does not parse is a bug elsewhere
        seen.add(content)
        accepted.append((name, content, meta))
    return accepted


def _parquet_form(name: str, content: bytes, meta: RawMeta) -> tuple[str, bytes, RawMeta]:
    """The same rows as parquet: JSON rows as they are, CSV cells typed the way pyarrow infers them."""
    table = pa.Table.from_pylist(json.loads(content)) if content[:1] == b"[" else pacsv.read_csv(io.BytesIO(content))
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="none", use_dictionary=False, write_statistics=False)
    file = Path(meta.file).with_suffix(".parquet").name
    return f"{name} as parquet", buf.getvalue(), make_meta(meta.source, file, buf.getvalue(), params=meta.params)


def seeds(source: str) -> list[tuple[str, bytes, RawMeta]]:
    inputs = _fixture_inputs(source)
    if source in {"lmarena", "open_llm_leaderboard"}:
        inputs += [_parquet_form(*i) for i in inputs if i[0].startswith("archive/")]
    return inputs


# --------------------------------------------------------------------------------------------------------------
# Mutations: each returns the mutated bytes and a description (reproduce with the seed and the mutation number)
# --------------------------------------------------------------------------------------------------------------


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*path, i))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def mutate_json(rng: random.Random, content: bytes) -> tuple[bytes, str]:
    doc = json.loads(content)
    done = []
    for _ in range(rng.randint(1, 3)):
        paths = _paths(doc)
        # A third of the time a whole row or wrapper field (the "null row" family); otherwise any node.
        shallow = [p for p in paths if 0 < len(p) <= 2]
        path = rng.choice(shallow if shallow and rng.random() < 0.3 else paths)
        op = rng.choice(("null", "number", "text", "literal", "literal", "delete", "wrap", "empty"))
        current = _parent(doc, path)[path[-1]] if path else doc
        new: Any = {
            "null": None,
            "number": rng.choice(NUMBER_VALUES),
            "text": rng.choice(TEXT_VALUES),
            "literal": MARK + rng.choice(LITERALS),
            "wrap": [current],
            "empty": rng.choice(({}, [])),
        }.get(op)
        if not path:
            doc = doc if op == "delete" else new
        elif op == "delete":
            del _parent(doc, path)[path[-1]]
        else:
            _parent(doc, path)[path[-1]] = new
        done.append(f"{op}@{'/'.join(map(str, path))}")
    text = json.dumps(doc, ensure_ascii=False)
    for literal in LITERALS:
        text = text.replace(json.dumps(MARK + literal, ensure_ascii=False), literal)
    out = text.encode()
    if rng.random() < 0.1:
        out, note = _byte_mutation(rng, out)
        done.append(note)
    return out, " ".join(done)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def mutate_csv(rng: random.Random, content: bytes) -> tuple[bytes, str]:
    if rng.random() < 0.3:
        return _byte_mutation(rng, content, header=True)
    newline = "\r\n" if b"\r\n" in content else "\n"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    done = []
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(("blank", "number", "number", "text", "swap", "drop_column", "dup_header", "ragged"))
        r, c = rng.randrange(len(body)), rng.randrange(len(header))
        if op == "blank":
            body[r][c] = rng.choice(("", " ", "-"))
        elif op == "number":
            numeric = [(i, j) for i, row in enumerate(body) for j, cell in enumerate(row) if _is_number(cell)]
            r, c = rng.choice(numeric) if numeric else (r, c)
            body[r][c] = rng.choice(NUMBER_CELLS)
        elif op == "text":
            body[r][c] = rng.choice((*TEXT_VALUES, "123", "1.5"))
        elif op == "swap":  # the data of two columns, under unchanged names
            other = rng.randrange(len(header))
            for row in body:
                if max(c, other) < len(row):
                    row[c], row[other] = row[other], row[c]
        elif op == "drop_column":
            header, body = header[:c] + header[c + 1 :], [row[:c] + row[c + 1 :] for row in body]
        elif op == "dup_header":
            header[c] = header[rng.randrange(len(header))]
        else:
            body[r] = body[r][:-1] if rng.random() < 0.5 else [*body[r], "extra"]
        done.append(f"{op}@{r + 2}:{c}")
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows([header, *body])
    return out.getvalue().encode(), " ".join(done)


def _byte_mutation(rng: random.Random, content: bytes, *, header: bool = False) -> tuple[bytes, str]:
    op = rng.choice(("truncate", "bad_bytes", "cr_in_header") if header else ("truncate", "bad_bytes"))
    if op == "truncate":
        at = rng.randrange(len(content))
        return content[:at], f"truncate@{at}"
    if op == "cr_in_header":
        at = rng.randrange(1, max(2, content.find(b"\n")))
        return content[:at] + b"\r" + content[at:], f"cr_in_header@{at}"
    at = rng.randrange(len(content))
    return content[:at] + rng.choice(BAD_BYTES) + content[at:], f"bad_bytes@{at}"


def _parquet(rows: list[dict[str, Any]], **options: Any) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf, **options)
    return buf.getvalue()


def mutate_parquet(rng: random.Random, content: bytes) -> tuple[bytes, str]:
    op = rng.choice(("corrupt", "truncate", "cells", "cells", "bad_utf8", "retype"))
    if op == "corrupt":
        out = bytearray(content)
        spots = [rng.randrange(len(out)) for _ in range(rng.randint(1, 8))]
        for at in spots:
            out[at] = rng.randrange(256)
        return bytes(out), f"corrupt@{spots}"
    if op == "truncate":
        at = rng.randrange(len(content))
        return content[:at], f"truncate@{at}"
    rows = pq.read_table(io.BytesIO(content)).to_pylist()
    r, column = rng.randrange(len(rows)), rng.choice(list(rows[0]))
    original = rows[r][column]
    if op == "retype" and isinstance(original, str):  # a text column served as numbers ("numeric model name")
        return _parquet([{**row, column: i} for i, row in enumerate(rows)]), f"retype@{column}"
    if op == "bad_utf8" and isinstance(original, str) and original:
        # Written uncompressed and unencoded, so the marker's bytes can be swapped for invalid UTF-8 in place.
        marker = f"\x01{r}\x01".ljust(max(len(original.encode()), 4), "\x01")
        rows[r][column] = marker
        out = _parquet(rows, compression="none", use_dictionary=False)
        return out.replace(marker.encode(), b"\xff" * len(marker.encode())), f"bad_utf8@{r}:{column}"
    rows[r][column] = rng.choice((math.nan, math.inf, -math.inf, None)) if isinstance(original, float) else None
    return _parquet(rows), f"cells@{r}:{column}={rows[r][column]!r}"


HTML_TEXTS = {
    "x-test-pull-count": ("", "55.7Q", "inf", "1e400", "-3", "9" * 30, "1.2.3M", "NaN"),
    "x-test-updated": ("", "soon", "in 2 days", "99999999 years ago", "a fortnight ago", "-1 days ago"),
    "x-test-tag-count": ("", "many", "1e400", "-1", "9" * 30),
}


def mutate_html(rng: random.Random, content: bytes) -> tuple[bytes, str]:
    """A scraped page: drop a test attribute, garble the text it marks, empty a title, or damage the bytes."""
    text = content.decode("utf-8")
    op = rng.choice(("drop_attr", "garble", "empty_title", "bytes"))
    if op == "drop_attr":
        spots = [m.start() for m in re.finditer(r"x-test-[a-z-]+", text)]
        at = rng.choice(spots)
        attr = re.match(r"x-test-[a-z-]+", text[at:]).group(0)
        return (text[:at] + "data-gone" + text[at + len(attr) :]).encode(), f"drop {attr} at {at}"
    if op == "garble":  # among the marked texts this page has (a model page has no tag count)
        attr = rng.choice([a for a in sorted(HTML_TEXTS) if re.search(rf"<span {a}[^>]*>[^<]*</span>", text)])
        spots = list(re.finditer(rf"<span {attr}[^>]*>([^<]*)</span>", text))
        spot, value = rng.choice(spots), rng.choice(HTML_TEXTS[attr])
        return (text[: spot.start(1)] + value + text[spot.end(1) :]).encode(), f"{attr} -> {value!r}"
    if op == "empty_title":
        spots = list(re.finditer(r'x-test-model-(?:title|name)[^>]*? title="([^"]*)"', text))
        spot = rng.choice(spots)
        return (text[: spot.start(1)] + text[spot.end(1) :]).encode(), f"empty title at {spot.start(1)}"
    return _byte_mutation(rng, content)


XML_TEXTS = ("", "Indefinite", "-5", "1e400", "9" * 30, "12.5", "2023-02-30", "soon", "true", "\u00e9")


def mutate_xml(rng: random.Random, content: bytes) -> tuple[bytes, str]:
    """A filing: garble an element's text, drop an element, or damage the bytes."""
    text = content.decode("utf-8")
    spots = list(re.finditer(r"<(\w+)>([^<]*)</\1>", text))
    op = rng.choice(("garble", "drop", "bytes"))
    if op == "garble" and spots:
        spot, value = rng.choice(spots), rng.choice(XML_TEXTS)
        return (text[: spot.start(2)] + value + text[spot.end(2) :]).encode(), f"<{spot.group(1)}> -> {value!r}"
    if op == "drop" and spots:
        spot = rng.choice(spots)
        return (text[: spot.start()] + text[spot.end() :]).encode(), f"drop <{spot.group(1)}>"
    return _byte_mutation(rng, content)


def mutate(rng: random.Random, content: bytes) -> tuple[bytes, str]:
    if content.lstrip()[:1] == b"<" and b"x-test-" not in content:
        return mutate_xml(rng, content)
    if content.lstrip()[:1] == b"<":
        return mutate_html(rng, content)
    if content[:4] == b"PAR1":
        return mutate_parquet(rng, content)
    if content.lstrip()[:1] in (b"[", b"{"):
        return mutate_json(rng, content)
    return mutate_csv(rng, content)


# --------------------------------------------------------------------------------------------------------------
# The property
# --------------------------------------------------------------------------------------------------------------


def conformance_problems(table: pa.Table, schema: pa.Schema) -> list[str]:
    """Why ``table`` is not a valid parse result: its schema (names, types, nullability), nulls in non-nullable
    columns, non-finite floats, invalid data such as non-UTF-8 strings (``validate(full=True)``)."""
    if not table.schema.equals(schema):
        return [f"schema differs: {table.schema} vs {schema}"]
    problems = []
    try:
        table.validate(full=True)
    except pa.ArrowInvalid as exc:
        problems.append(f"invalid table: {exc}")
    for field in schema:
        column = table[field.name]
        if not field.nullable and column.null_count:
            problems.append(f"{field.name}: {column.null_count} nulls in a non-nullable column")
        if pa.types.is_floating(field.type):
            bad = [v for v in column.to_pylist() if v is not None and not math.isfinite(v)]
            if bad:
                problems.append(f"{field.name}: non-finite {bad[:3]}")
    return problems


def schema_of(source: str) -> pa.Schema:
    return __import__(f"extractors.{source}", fromlist=["SCHEMA"]).SCHEMA


def unwrapped(source: str) -> Callable[[bytes, RawMeta], pa.Table]:
    parse = registry.get(source).parse
    return getattr(parse, "__wrapped__", parse)


@pytest.mark.parametrize("source", SOURCES)
def test_fuzz_parser_raises_only_parse_error(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    parse, schema, inputs = unwrapped(source), schema_of(source), seeds(source)
    assert inputs, f"no shipped fixture parses for {source}"
    rng = random.Random(f"{SEED}:{source}")
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    started = time.perf_counter()
    logging.disable(logging.WARNING)  # thousands of "stored as null" warnings; the explicit tests check them
    try:
        for i in range(N):
            name, content, meta = inputs[i % len(inputs)]
            mutated, how = mutate(rng, content)
            try:
                table = parse(mutated, meta)
            except ParseError:
                outcomes["ParseError"] += 1
                continue
            except Exception as exc:  # the property under test: nothing but ParseError may escape
                failures.append(f"#{i} {name} [{how}]: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            problems = conformance_problems(table, schema)
            outcomes["parsed" if not problems else "bad table"] += 1
            failures += [f"#{i} {name} [{how}]: {p}" for p in problems]
    finally:
        logging.disable(logging.NOTSET)
    if "OPENGAP_FUZZ_N" in os.environ:
        with capsys.disabled():
            print(
                f"\nfuzz {source}: {N} mutations of {len(inputs)} seed files (seed {SEED}): "
                f"{outcomes['parsed']} parsed, {outcomes['ParseError']} ParseError, {len(failures)} failures, "
                f"{time.perf_counter() - started:.1f}s"
            )
    assert not failures, f"{len(failures)} of {N} mutations (seed {SEED}) escaped:\n" + "\n".join(failures[:40])


# --------------------------------------------------------------------------------------------------------------
# The named cases, pinned to their outcome
# --------------------------------------------------------------------------------------------------------------

LMARENA_ROWS = ARCHIVE / "raw" / "lmarena" / "2026-10-02" / "text.full.rows.json"
OPENROUTER = FIXTURES / "openrouter" / "models_2026-02-27.json"
AA_PAGE = FIXTURES / "artificial_analysis" / "models_page1.json"
EPOCH = FIXTURES / "epoch" / "notable_ai_models_2024-07-16.csv"
LEGACY = FIXTURES / "lmarena_legacy" / "leaderboard_table_20250511.csv"
OLL = FIXTURES / "open_llm_leaderboard" / "contents_sample.csv"
AA_ID = "0081ab31-d10a-44a0-a10d-eee5533fec65"  # data[0] of the AA page
OR_ID = "google/gemini-3.1-flash-image-preview"  # data[0] of the OpenRouter body


def parse(source: str, content: bytes, file: str) -> pa.Table:
    """The public parser, as the flows call it (wrapped)."""
    return registry.get(source).parse(content, make_meta(source, file, content))


def json_with(path: Path, edit: Callable[[Any], None], *literals: str) -> bytes:
    """The fixture's JSON after ``edit``; each string "<<x>>" it left is written as the raw literal x."""
    doc = json.loads(path.read_bytes())
    edit(doc)
    text = json.dumps(doc)
    for literal in literals:
        text = text.replace(f'"<<{literal}>>"', literal)
    return text.encode()


def csv_with(path: Path, row: int, column: str, value: str) -> bytes:
    """The fixture's CSV with one cell (data row ``row``, 0-based) replaced."""
    content = path.read_bytes()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    rows[row + 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if b"\r\n" in content else "\n").writerows(rows)
    return out.getvalue().encode()


def row_of(table: pa.Table, column: str, value: object) -> dict[str, Any]:
    rows = table.filter(pc.equal(table[column], value)).to_pylist()
    assert len(rows) == 1, (column, value, len(rows))
    return rows[0]


def set_in(*path: Any, value: Any) -> Callable[[Any], None]:
    def edit(doc: Any) -> None:
        for step in path[:-1]:
            doc = doc[step]
        doc[path[-1]] = value

    return edit


def test_every_source_parse_is_wrapped_and_the_wrapper_names_file_and_type() -> None:
    assert all(hasattr(registry.get(s).parse, "__wrapped__") for s in SOURCES)

    @only_parse_errors
    def broken(raw: bytes, meta: RawMeta) -> pa.Table:
        return {}["missing"]

    with pytest.raises(
        ParseError, match=r"^toy file t\.json \(https://example\.invalid/toy/t\.json\): unexpected KeyError"
    ):
        broken(b"", make_meta("toy", "t.json", b""))


def test_null_rows_are_parse_errors_naming_the_row() -> None:
    with pytest.raises(
        ParseError, match=r"^lmarena file text\.rows\.json \(.*\): data row 4 is NoneType, not an object$"
    ):
        parse("lmarena", json_with(LMARENA_ROWS, set_in(3, value=None)), "text.rows.json")
    with pytest.raises(ParseError, match=r"openrouter file models\.json .*: entry 2 is not a JSON object$"):
        parse("openrouter", json_with(OPENROUTER, set_in("data", 2, value=None)), "models.json")
    with pytest.raises(ParseError, match=r"^artificial_analysis file p\.json: data\[1\] is NoneType, not an object$"):
        parse("artificial_analysis", json_with(AA_PAGE, set_in("data", 1, value=None)), "p.json")


def test_null_fields_required_are_parse_errors_optional_are_null() -> None:
    with pytest.raises(ParseError, match=r"^lmarena file text\.rows\.json: data row 1 has no model_name$"):
        parse("lmarena", json_with(LMARENA_ROWS, set_in(0, "model_name", value=None)), "text.rows.json")
    with pytest.raises(ParseError, match=r"^lmarena file text\.rows\.json: data row 2 has no category$"):
        parse("lmarena", json_with(LMARENA_ROWS, set_in(1, "category", value=None)), "text.rows.json")
    table = parse("openrouter", json_with(OPENROUTER, set_in("data", 0, "name", value=None)), "models.json")
    assert row_of(table, "model_id", OR_ID)["name"] is None


def test_numeric_names_are_parse_errors() -> None:
    with pytest.raises(ParseError, match=r"data row 1 column 'model_name' holds 123, not text$"):
        parse("lmarena", json_with(LMARENA_ROWS, set_in(0, "model_name", value=123)), "text.rows.json")
    with pytest.raises(ParseError, match=r"data row 1 column 'organization' holds 7\.5, not text$"):
        parse("lmarena", json_with(LMARENA_ROWS, set_in(0, "organization", value=7.5)), "text.rows.json")
    with pytest.raises(ParseError, match=rf"model '{OR_ID}' has name 123, not a string$"):
        parse("openrouter", json_with(OPENROUTER, set_in("data", 0, "name", value=123)), "models.json")
    with pytest.raises(ParseError, match=r"^artificial_analysis file p\.json: data\[0\]\.name is 123, not a string$"):
        parse("artificial_analysis", json_with(AA_PAGE, set_in("data", 0, "name", value=123)), "p.json")


def test_numeric_model_name_column_in_parquet_is_a_parse_error() -> None:
    rows = json.loads(LMARENA_ROWS.read_bytes())
    content = _parquet([{**r, "model_name": i} for i, r in enumerate(rows)])
    with pytest.raises(ParseError, match=r"data row 1 column 'model_name' holds 0, not text$"):
        parse("lmarena", content, "text.parquet")


def test_1e400_is_a_parse_error_where_required_and_null_where_optional(caplog: pytest.LogCaptureFixture) -> None:
    content = json_with(LMARENA_ROWS, set_in(0, "rating", value="<<1e400>>"), "1e400")
    with pytest.raises(ParseError, match=r"data row 1: required column 'rating' holds inf, not a finite number$"):
        parse("lmarena", content, "text.rows.json")
    # data row 22: gpt-4-0314 on 2024-01-09 (overall), rating_lower 1176.58 in the fixture
    content = json_with(LMARENA_ROWS, set_in(21, "rating_lower", value="<<1e400>>"), "1e400")
    with caplog.at_level(logging.WARNING):
        table = parse("lmarena", content, "text.rows.json")
        gpt4 = table.filter(pc.equal(table["model_name"], "gpt-4-0314")).to_pylist()
        assert [r["rating_lower"] for r in gpt4 if r["leaderboard_publish_date"].isoformat() == "2024-01-09"] == [None]
        assert "1 value(s) of column 'rating_lower' are not finite numbers (first: data row 22, inf)" in caplog.text
        content = json_with(OPENROUTER, set_in("data", 0, "context_length", value="<<1e400>>"), "1e400")
        assert row_of(parse("openrouter", content, "models.json"), "model_id", OR_ID)["context_length"] is None
        content = json_with(AA_PAGE, set_in("data", 0, "pricing", "price_1m_input_tokens", value="<<1e400>>"), "1e400")
        table = parse("artificial_analysis", content, "p.json")
    assert row_of(table, "aa_id", AA_ID)["price_input_per_1m"] is None
    assert f"model {AA_ID}: column 'price_1m_input_tokens' holds inf, not a finite number" in caplog.text


def test_2_to_the_63_overflows_int64(caplog: pytest.LogCaptureFixture) -> None:
    big = str(2**63)
    with caplog.at_level(logging.WARNING):
        table = parse("openrouter", json_with(OPENROUTER, set_in("data", 0, "context_length", value=2**63)), "m.json")
    assert row_of(table, "model_id", OR_ID)["context_length"] is None
    assert f"model '{OR_ID}': column 'context_length' holds {big}, not a finite number in range" in caplog.text
    with pytest.raises(ParseError, match=r"data row 1: required column 'rank' holds 9\.223372036854776e\+18"):
        parse("lmarena", json_with(LMARENA_ROWS, set_in(0, "rank", value=2**63)), "text.rows.json")
    # The last row (deepseek-v3-0324, 1905 votes) loses its vote count; 21 rows had none already.
    table = parse("lmarena", json_with(LMARENA_ROWS, set_in(-1, "vote_count", value=2**63)), "text.rows.json")
    assert table["vote_count"].null_count == 22
    with caplog.at_level(logging.WARNING):
        table = parse("open_llm_leaderboard", csv_with(OLL, 0, "Hub ❤️", big), "contents.csv")
    assert row_of(table, "eval_name", "0-hero_Matter-0.2-7B-DPO_bfloat16")["hub_likes"] is None
    assert f"data row 1: column 'Hub ❤️' holds {big}, not a finite number in range" in caplog.text


def test_nan_and_infinity_literals(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ParseError, match=r"some rows have no rank or rating \(first: data row 1, 'vicuna-13b'\)$"):
        parse("lmarena", json_with(LMARENA_ROWS, set_in(0, "rating", value="<<NaN>>"), "NaN"), "text.rows.json")
    with pytest.raises(ParseError, match=r"required column 'rating' holds -inf, not a finite number$"):
        rows = json_with(LMARENA_ROWS, set_in(0, "rating", value="<<-Infinity>>"), "-Infinity")
        parse("lmarena", rows, "text.rows.json")
    index = ("data", 0, "evaluations", "artificial_analysis_intelligence_index")
    with caplog.at_level(logging.WARNING):
        content = json_with(OPENROUTER, set_in("data", 0, "pricing", "prompt", value="<<NaN>>"), "NaN")
        openrouter = parse("openrouter", content, "models.json")
        aa = parse(
            "artificial_analysis", json_with(AA_PAGE, set_in(*index, value="<<Infinity>>"), "Infinity"), "p.json"
        )
    assert row_of(openrouter, "model_id", OR_ID)["price_prompt_per_1m"] is None
    assert f"model '{OR_ID}': column 'pricing.prompt' holds nan, not a finite number in range" in caplog.text
    assert row_of(aa, "aa_id", AA_ID)["intelligence_index"] is None
    assert f"model {AA_ID}: column 'artificial_analysis_intelligence_index' holds inf" in caplog.text


def test_inf_in_an_epoch_parameters_cell_is_null_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        table = parse("epoch", csv_with(EPOCH, 0, "Parameters", "inf"), EPOCH.name)
    assert row_of(table, "model", "DeepSeek-Coder-V2-236B")["parameters"] is None
    assert (
        "epoch file notable_ai_models_2024-07-16.csv, data row 1 (DeepSeek-Coder-V2-236B): column 'Parameters' "
        "holds inf, not a finite number in range; stored as null"
    ) in caplog.text
    before = parse("epoch", EPOCH.read_bytes(), EPOCH.name)
    assert row_of(before, "model", "DeepSeek-Coder-V2-236B")["parameters"] == 236000000000.0


def test_carriage_return_in_a_csv_header() -> None:
    damaged = r"the header line holds a stray carriage return \(\\r\) in column {} \('{}'\.\.\.\); the file is damaged$"
    with pytest.raises(
        ParseError, match=r"^epoch file notable_ai_models_2024-07-16\.csv \(.*\): " + damaged.format(2, "Dom")
    ):
        parse("epoch", EPOCH.read_bytes().replace(b"Domain", b"Dom\rain", 1), EPOCH.name)
    with pytest.raises(ParseError, match=r"^leaderboard_table_20250511\.csv: " + damaged.format(3, "MT-")):
        parse("lmarena_legacy", LEGACY.read_bytes().replace(b"MT-bench", b"MT-\rbench", 1), LEGACY.name)
    with pytest.raises(
        ParseError, match=r"^open_llm_leaderboard file contents\.csv \(.*\): " + damaged.format(3, "Preci")
    ):
        parse("open_llm_leaderboard", OLL.read_bytes().replace(b"Precision", b"Preci\rsion", 1), "contents.csv")


@pytest.mark.parametrize(
    ("source", "path", "file"),
    [
        ("epoch", EPOCH, EPOCH.name),
        ("lmarena_legacy", LEGACY, LEGACY.name),
        ("open_llm_leaderboard", OLL, "contents.csv"),
        ("lmarena", LMARENA_ROWS, "text.rows.json"),
        ("openrouter", OPENROUTER, "models.json"),
        ("artificial_analysis", AA_PAGE, "p.json"),
    ],
)
def test_non_utf8_bytes_name_offset_and_line(source: str, path: Path, file: str) -> None:
    content = path.read_bytes()
    at = content.index(b",", len(content) // 2) + 1  # after an ASCII comma in the middle of the file
    line = content[:at].count(b"\n") + 1
    with pytest.raises(ParseError, match=rf"is not UTF-8 text: byte\(s\) b'\\xff' at offset {at} \(line {line}\)$"):
        parse(source, content[:at] + b"\xff" + content[at:], file)


def test_a_file_cut_inside_a_utf8_character_reads_as_truncated() -> None:
    cut = OPENROUTER.read_bytes() + "é".encode()[:1]
    with pytest.raises(
        ParseError, match=r"is not valid JSON \(truncated download\?\): it ends inside a UTF-8 character$"
    ):
        parse("openrouter", cut, "models.json")
    cut = LEGACY.read_bytes() + "é".encode()[:1]
    with pytest.raises(
        ParseError, match=r"^leaderboard_table_20250511\.csv is not a readable CSV \(truncated download\?\)"
    ):
        parse("lmarena_legacy", cut, LEGACY.name)


def test_encoded_surrogates_and_lone_surrogate_escapes_are_refused() -> None:
    # Python's json.loads(bytes) decodes b"\xed\xa0\x80" (an encoded surrogate) instead of refusing it.
    raw = OPENROUTER.read_bytes().replace(b"Google", b"Goo\xed\xa0\x80gle", 1)
    with pytest.raises(ParseError, match=r"is not UTF-8 text: byte\(s\) b'\\xed' at offset"):
        parse("openrouter", raw, "models.json")
    raw = json.dumps(json.loads(AA_PAGE.read_bytes())).replace('"GLM-4.5V', '"\\ud800GLM-4.5V', 1).encode()
    with pytest.raises(ParseError, match=r"string at /data/0/name holds a lone surrogate escape, not Unicode text$"):
        parse("artificial_analysis", raw, "p.json")


def test_parquet_with_invalid_utf8_is_a_parse_error() -> None:
    rows = json.loads(LMARENA_ROWS.read_bytes())
    rows[5]["license"] = "\x01" * 8
    content = _parquet(rows, compression="none", use_dictionary=False).replace(b"\x01" * 8, b"\xff" * 8)
    with pytest.raises(
        ParseError, match=r"parquet column 'license' holds invalid data \(not UTF-8\?\): .*Invalid UTF8"
    ):
        parse("lmarena", content, "text.parquet")
    table = pacsv.read_csv(io.BytesIO(OLL.read_bytes()))
    table = table.set_column(
        table.schema.get_field_index("Hub License"), "Hub License", pa.array(["\x02" * 6] * len(table))
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="none", use_dictionary=False)
    with pytest.raises(ParseError, match=r"parquet column 'Hub License' holds invalid data"):
        parse("open_llm_leaderboard", buf.getvalue().replace(b"\x02" * 6, b"\xfe" * 6), "contents.parquet")


# --------------------------------------------------------------------------------------------------------------
# Legacy LMArena duplicates (issue item 12b) and the parse notes that report them
# --------------------------------------------------------------------------------------------------------------


def test_notes_and_drift_travel_together() -> None:
    table = pa.table({"a": [1]})
    assert notes_of(table) == {} and with_notes(table, {}) is table
    both = with_drift(with_notes(table, {"duplicates_dropped": 2}), {"new": ["x"]})
    assert notes_of(both) == {"duplicates_dropped": 2} and drift_of(both) == {"new": ["x"]}


def test_legacy_duplicate_keeps_the_most_complete_row_then_the_first() -> None:
    lines = LEGACY.read_bytes().decode().splitlines(keepends=True)
    wizard = lines[1]  # wizardlm-30b,WizardLM-30B,7.01,0.587,2023/6,Non-commercial,Microsoft,https://...
    sparse = wizard.replace("wizardlm-30b,", "wizardlm-30b-alias,").replace(",7.01,", ",-,")
    richer = "wizardlm-30b-v2," + wizard.split(",", 1)[1]
    # A sparser repeat after the first listing is dropped; an equally complete one too (file order).
    table = parse("lmarena_legacy", "".join([*lines, sparse, richer]).encode(), LEGACY.name)
    assert table.num_rows == 40 and notes_of(table) == {"duplicates_dropped": 2}
    assert [r["key"] for r in table.to_pylist() if r["model"] == "WizardLM-30B"] == ["wizardlm-30b"]
    # A sparser first listing loses to a more complete repeat, which takes its place in file order.
    table = parse("lmarena_legacy", "".join([lines[0], sparse, *lines[1:]]).encode(), LEGACY.name)
    assert notes_of(table) == {"duplicates_dropped": 1}
    assert table.to_pylist()[0]["key"] == "wizardlm-30b" and table.to_pylist()[0]["mt_bench_score"] == 7.01
    assert notes_of(parse("lmarena_legacy", LEGACY.read_bytes(), LEGACY.name)) == {}  # none: no note at all


# Capture -> (rows listed, repeats dropped, keys dropped with their model)
LEGACY_DUPLICATES = {
    "20230619": (31, 0, []),
    "20230802": (40, 0, []),
    "20231220": (65, 0, []),
    "20240109": (68, 0, []),
    "20240125": (71, 0, []),
    "20240629": (130, 1, []),  # Yi-34B-Chat listed twice verbatim (lines 27 and 118)
    "20241230": (
        229,
        5,
        ["chatgpt-4o-latest-20240808", "gemini-1.5-flash-001", "gemini-1.5-pro-001", "llama-3.1-405b-instruct"],
    ),
    "20250511": (
        293,
        6,
        [
            "chatgpt-4o-latest-20240808",
            "gemini-1.5-flash-001",
            "gemini-1.5-pro-001",
            "gemini-2.0-flash",
            "llama-3.1-405b-instruct",
        ],
    ),
}


@needs_captures
@pytest.mark.parametrize("day", sorted(LEGACY_DUPLICATES))
def test_legacy_captures_duplicates_dropped(day: str) -> None:
    listed, dropped, keys = LEGACY_DUPLICATES[day]
    path = CAPTURES / "lmarena" / f"hfspace_leaderboard_table_{day}.csv"
    content = path.read_bytes()
    reference = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    table = parse("lmarena_legacy", content, path.name)
    assert len(reference) == listed
    assert table.num_rows == listed - dropped == len({r["Model"] for r in reference})
    assert notes_of(table) == ({"duplicates_dropped": dropped} if dropped else {})
    all_keys = {r.get("key") for r in reference}
    assert sorted(all_keys - set(table["key"].to_pylist())) == keys
    assert len(set(table["model"].to_pylist())) == table.num_rows
