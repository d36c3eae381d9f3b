"""Parsers against real-format inputs: the shipped fixtures and, when present, the real captures.

Every test here is offline. Tests over ``../shared/captures`` skip when that folder is absent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from extractors import epoch, lmarena, lmarena_legacy
from extractors.base import dictionary_decoded, drift_of, notes_of
from extractors.raw_store import RawMeta, RawStore, sha256_hex
from opengap.errors import ParseError

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
ARCHIVE = RawStore(FIXTURES / "archive" / "raw")
CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "captures"
needs_captures = pytest.mark.skipif(not CAPTURES.is_dir(), reason=f"real captures not present at {CAPTURES}")

RETRIEVED = "2026-10-08T00:00:00Z"
RETRIEVED_DT = dt.datetime(2026, 10, 8, tzinfo=dt.UTC)

# Capture file -> expected parsed row count (None: the file must raise ParseError).
LMARENA_CAPTURES = {
    "ukitako1030_text_full_sample_2023-05-08_to_2026-10-02.rows.json": 206,
    "ukitako1030_text_style_control_full_sample_2024-08-28_to_2026-10-02.rows.json": 178,
    "ukitako1030_webdev_full_sample_2025-11-12_to_2026-10-07.rows.json": 120,  # 121 rows, one duplicate key
    "ukitako1030_agent_full_sample_2026-06-04_to_2026-10-02.rows.json": None,  # score, not rating
}
LMARENA_BOARDS = {
    "ukitako1030_text_full_sample_2023-05-08_to_2026-10-02.rows.json": "text",
    "ukitako1030_text_style_control_full_sample_2024-08-28_to_2026-10-02.rows.json": "text_style_control",
    "ukitako1030_webdev_full_sample_2025-11-12_to_2026-10-07.rows.json": "webdev",
}
LEGACY_CAPTURES = {  # in date order
    "hfspace_leaderboard_table_20230619.csv": 31,
    "hfspace_leaderboard_table_20230802.csv": 40,
    "hfspace_leaderboard_table_20231220.csv": 65,
    "hfspace_leaderboard_table_20240109.csv": 68,
    "hfspace_leaderboard_table_20240125.csv": 71,
    "hfspace_leaderboard_table_20240629.csv": 129,  # 130 lines, 1 repeated model dropped
    "hfspace_leaderboard_table_20241230.csv": 224,  # 229 lines, 5 dropped
    "hfspace_leaderboard_table_20250511.csv": 287,  # 293 lines, 6 dropped
}
EPOCH_CAPTURES = {  # named rows, a repeated name counted once
    "all_ai_models_2025-04-23.csv": 2223,
    "large_scale_ai_models_2025-05-20.csv": 311,
    "notable_ai_models_2024-07-16.csv": 825,
    "notable_ai_models_2024-12-24.csv": 884,
    "notable_ai_models_2025-04-18.csv": 924,
    "notable_ai_models_2025-05-20.csv": 954,
}
LMARENA_PARQUET_SCHEMA = pa.schema(
    [
        ("model_name", pa.string()),
        ("organization", pa.string()),
        ("license", pa.string()),
        ("rating", pa.float64()),
        ("rating_lower", pa.float64()),
        ("rating_upper", pa.float64()),
        ("variance", pa.float64()),
        ("vote_count", pa.float64()),
        ("rank", pa.float64()),
        ("category", pa.string()),
        ("leaderboard_publish_date", pa.string()),
    ]
)


def make_meta(source: str, file: str, content: bytes, *, url: str | None = None, params: dict | None = None) -> RawMeta:
    return RawMeta(
        source=source,
        file=file,
        url=url or f"https://example.invalid/{source}/{file}",
        retrieved_at=RETRIEVED,
        sha256=sha256_hex(content),
        size=len(content),
        params=dict(params or {}),
    )


def parse_path(module: ModuleType, path: Path, *, params: dict | None = None) -> tuple[pa.Table, bytes]:
    content = path.read_bytes()
    return module.parse(content, make_meta(module.NAME, path.name, content, params=params)), content


def rows_where(table: pa.Table, **equal: object) -> list[dict]:
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in equal.items())]


def one_row(table: pa.Table, **equal: object) -> dict:
    found = rows_where(table, **equal)
    assert len(found) == 1, f"expected one row for {equal}, found {len(found)}"
    return found[0]


def csv_rows(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The reference reading: Python's csv module over the whole text (embedded newlines included)."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def rewrite_csv(content: bytes, *, drop: str | None = None, rename: tuple[str, str] | None = None) -> bytes:
    fields, rows = csv_rows(content)
    if drop:
        fields = [f for f in fields if f != drop]
    out = io.StringIO()
    header = [rename[1] if rename and f == rename[0] else f for f in fields]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[f] for f in fields])
    return out.getvalue().encode()


# --------------------------------------------------------------------------------------------------------------
# LMArena leaderboard dataset (FORMATS.md §9)
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_fixture() -> tuple[pa.Table, bytes, RawMeta]:
    raw = ARCHIVE.read("lmarena", "2026-10-02", "text.full.rows.json")
    return lmarena.parse(raw.content, raw.meta), raw.content, raw.meta


@pytest.fixture(scope="module")
def style_fixture() -> tuple[pa.Table, bytes, RawMeta]:
    raw = ARCHIVE.read("lmarena", "2026-10-02", "text_style_control.full.rows.json")
    return lmarena.parse(raw.content, raw.meta), raw.content, raw.meta


def test_lmarena_fixture_row_counts_and_schema(text_fixture, style_fixture) -> None:
    text, text_raw, _ = text_fixture
    style, style_raw, _ = style_fixture
    assert text.num_rows == len(json.loads(text_raw)) == 206
    assert style.num_rows == len(json.loads(style_raw)) == 178
    assert text.schema == lmarena.SCHEMA
    assert style.schema == lmarena.SCHEMA
    assert set(text["board"].to_pylist()) == {"text"}
    assert set(style["board"].to_pylist()) == {"text_style_control"}
    assert sorted(set(text["category"].to_pylist())) == ["coding", "overall"]
    assert sorted(set(style["category"].to_pylist())) == ["hard_prompts", "overall"]
    dates = sorted({d.isoformat() for d in text["leaderboard_publish_date"].to_pylist()})
    assert len(dates) == 11
    assert (dates[0], dates[-1]) == ("2023-05-08", "2026-10-02")


def _as_parquet(rows: list[dict]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def test_lmarena_full_split_read_in_batches_and_held_compact(text_fixture, monkeypatch) -> None:
    """The full split (12M rows in the benchmark) is read BATCH_ROWS at a time and held dictionary-encoded
    (``parse_compact``): with batches of 50 rows, a key repeated in a later batch still keeps its best rank, and
    the compact table decodes to exactly ``parse``'s."""
    _, raw, _ = text_fixture
    rows = json.loads(raw)
    worse = {**rows[3], "rank": rows[3]["rank"] + 5}  # the same board, category, date and model, ranked lower
    content = _as_parquet([*rows, worse])
    meta = make_meta("lmarena", "text.full.parquet", content, params={"config": "text"})
    monkeypatch.setattr(lmarena, "BATCH_ROWS", 50)
    plain = lmarena.parse(content, meta)
    compact = lmarena.parse_compact(content, meta)
    assert plain.num_rows == 206
    kept = plain.filter(pc.equal(plain["model_name"], rows[3]["model_name"])).to_pylist()
    same_board = [r for r in kept if r["leaderboard_publish_date"].isoformat() == rows[3]["leaderboard_publish_date"]]
    assert [(r["category"], r["rank"]) for r in same_board if r["category"] == rows[3]["category"]] == [
        (rows[3]["category"], int(rows[3]["rank"]))
    ]
    assert compact.schema.field("raw_sha256").type == pa.dictionary(pa.int32(), pa.string())
    assert dictionary_decoded(compact).equals(plain, check_metadata=True)
    assert compact.nbytes < plain.nbytes / 2


def test_lmarena_batched_read_names_the_file_row(text_fixture, monkeypatch) -> None:
    _, raw, _ = text_fixture
    rows = json.loads(raw)
    rows[120]["rating"] = None  # in the third batch of 50
    content = _as_parquet(rows)
    monkeypatch.setattr(lmarena, "BATCH_ROWS", 50)
    with pytest.raises(ParseError, match=rf"no rank or rating \(first: data row 121, {rows[120]['model_name']!r}\)"):
        lmarena.parse_compact(content, make_meta("lmarena", "text.full.parquet", content, params={"config": "text"}))


def test_lmarena_parquet_with_a_damaged_column_name_is_a_parse_error(text_fixture) -> None:
    """Found by `make fuzz`: a column name that is not UTF-8 is read with the first batch, not with the table."""
    _, raw, _ = text_fixture
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(json.loads(raw)), buf, store_schema=False)
    damaged = buf.getvalue().replace(b"organization", b"\xf9rganization")
    meta = make_meta("lmarena", "text.full.parquet", damaged, params={"config": "text"})
    for parse in (lmarena.parse.__wrapped__, lmarena.parse_compact.__wrapped__):  # not the safety net
        with pytest.raises(ParseError, match="the parquet schema is not UTF-8"):
            parse(damaged, meta)


def test_lmarena_dtype_drift_float_rank_and_votes(text_fixture) -> None:
    text, raw, _ = text_fixture
    source_row = next(r for r in json.loads(raw) if r["model_name"] == "gemini-4-argon-high")
    assert source_row["rank"] == 1.0 and isinstance(source_row["rank"], float)
    assert source_row["vote_count"] == 4932.0 and isinstance(source_row["vote_count"], float)
    row = one_row(
        text,
        model_name="gemini-4-argon-high",
        category="overall",
        leaderboard_publish_date=dt.date(2026, 10, 2),
    )
    assert row["rank"] == 1 and isinstance(row["rank"], int)
    assert row["vote_count"] == 4932 and isinstance(row["vote_count"], int)
    assert row["rating"] == pytest.approx(1533.4609832971757)
    assert row["rating_lower"] == pytest.approx(1524.6678224950515)
    assert row["rating_upper"] == pytest.approx(1542.2541440993)
    assert row["variance"] == pytest.approx(20.127685991449013)
    assert row["organization"] == "google"
    assert row["license"] == "Proprietary"
    assert text.schema.field("rank").type == pa.int64()
    assert text.schema.field("vote_count").type == pa.int64()


def test_lmarena_int_rank_in_style_control(style_fixture) -> None:
    style, raw, _ = style_fixture
    first = json.loads(raw)[0]
    assert isinstance(first["rank"], int)  # the other drift direction: int rank, float votes
    row = one_row(
        style, model_name="chatgpt-4o-latest", category="overall", leaderboard_publish_date=dt.date(2024, 8, 28)
    )
    assert (row["rank"], row["vote_count"]) == (1, 24023)
    assert row["rating"] == pytest.approx(1288.8438976007724)


def test_lmarena_elo_era_nulls(text_fixture) -> None:
    text, _, _ = text_fixture
    row = one_row(text, model_name="vicuna-13b", leaderboard_publish_date=dt.date(2023, 5, 8))
    assert row["rating"] == 1094.0
    assert row["rank"] == 1
    assert row["rating_lower"] is None
    assert row["rating_upper"] is None
    assert row["variance"] is None
    assert row["vote_count"] is None
    assert row["license"] == "Llama 2 Community"
    assert row["organization"] == "LMSYS"
    elo_era = rows_where(text, leaderboard_publish_date=dt.date(2023, 5, 8))
    assert len(elo_era) == 9
    assert all(r["vote_count"] is None and r["variance"] is None for r in elo_era)


def test_lmarena_empty_licence_and_organization_become_null(text_fixture, style_fixture) -> None:
    text, raw, _ = text_fixture
    source = {(r["model_name"], r["leaderboard_publish_date"]): r for r in json.loads(raw)}
    assert source[("gpt-5.4", "2026-04-02")]["license"] == ""
    assert source[("dola-seed-2.0-pro", "2026-04-02")]["organization"] == ""
    gpt = one_row(text, model_name="gpt-5.4", leaderboard_publish_date=dt.date(2026, 4, 2))
    assert gpt["license"] is None
    assert gpt["organization"] == "openai"
    dola = one_row(text, model_name="dola-seed-2.0-pro", leaderboard_publish_date=dt.date(2026, 4, 2))
    assert dola["organization"] is None
    assert dola["license"] == "Proprietary"
    assert text["license"].null_count == 2  # gpt-5.4 and gpt-5.4-high on 2026-04-02
    assert "" not in text["license"].to_pylist()
    assert "" not in text["organization"].to_pylist()
    style, _, _ = style_fixture
    assert one_row(style, model_name="gpt-5.4-high", leaderboard_publish_date=dt.date(2026, 4, 2))["license"] is None
    later = one_row(text, model_name="gpt-5.4-high", leaderboard_publish_date=dt.date(2026, 8, 12))
    assert later["license"] == "Proprietary"


def test_lmarena_provenance_columns(text_fixture) -> None:
    text, raw, meta = text_fixture
    assert meta.sha256 == sha256_hex(raw)
    assert set(text["source"].to_pylist()) == {"lmarena"}
    assert set(text["source_url"].to_pylist()) == {
        "https://huggingface.co/datasets/lmarena-ai/leaderboard-dataset/resolve/main/text/full-00000-of-00001.parquet"
    }
    assert set(text["retrieved_at"].to_pylist()) == {RETRIEVED_DT}
    assert set(text["raw_sha256"].to_pylist()) == {sha256_hex(raw)}
    assert sha256_hex(raw) == "0acf4f20b9ece94b624c0aa68ad3a2c883889da1b768f4144713588dc98101d3"
    for name in ("source", "source_url", "retrieved_at", "raw_sha256"):
        assert text[name].null_count == 0


def rows_page(rows: list[dict], *, truncated: dict[int, list[str]] | None = None) -> bytes:
    """A datasets-server /rows page holding ``rows`` (the shape documented in FORMATS.md §9 and §8)."""
    truncated = truncated or {}
    features = [
        {"feature_idx": i, "name": f.name, "type": {"dtype": str(f.type), "_type": "Value"}}
        for i, f in enumerate(LMARENA_PARQUET_SCHEMA)
    ]
    page = {
        "features": features,
        "rows": [{"row_idx": i, "row": r, "truncated_cells": truncated.get(i, [])} for i, r in enumerate(rows)],
        "num_rows_total": len(rows),
        "num_rows_per_page": 100,
        "partial": False,
    }
    return json.dumps(page).encode()


def parquet_bytes(rows: list[dict]) -> bytes:
    """The same rows as a parquet file, with ``rank`` and ``vote_count`` as float64 (the ``text`` dtypes)."""
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=LMARENA_PARQUET_SCHEMA), buf)
    return buf.getvalue()


@pytest.mark.parametrize("file", ["text.full.rows.json", "text_style_control.full.rows.json"])
def test_lmarena_three_input_forms_give_identical_tables(file: str) -> None:
    raw = ARCHIVE.read("lmarena", "2026-10-02", file)
    rows = json.loads(raw.content)
    forms = {"json": raw.content, "rows_page": rows_page(rows), "parquet": parquet_bytes(rows)}
    assert forms["parquet"][:4] == b"PAR1"
    assert pq.read_table(io.BytesIO(forms["parquet"])).schema.field("rank").type == pa.float64()
    tables = {}
    for form, content in forms.items():
        meta = make_meta("lmarena", file, content, url=raw.meta.url, params=raw.meta.params)
        table = lmarena.parse(content, meta)
        assert set(table["raw_sha256"].to_pylist()) == {sha256_hex(content)}
        tables[form] = table.drop_columns(["raw_sha256"])
    assert tables["json"].num_rows == len(rows)
    assert tables["rows_page"].equals(tables["json"])
    assert tables["parquet"].equals(tables["json"])


def test_lmarena_rows_page_with_truncated_cells_is_refused(text_fixture) -> None:
    _, raw, _ = text_fixture
    content = rows_page(json.loads(raw), truncated={3: ["model_name"]})
    with pytest.raises(ParseError, match="truncated"):
        lmarena.parse(content, make_meta("lmarena", "text.rows.json", content))


def test_lmarena_renamed_required_column(text_fixture) -> None:
    _, raw, _ = text_fixture
    rows = [{("score" if k == "rating" else k): v for k, v in r.items()} for r in json.loads(raw)]
    content = json.dumps(rows).encode()
    with pytest.raises(ParseError, match="rating") as err:
        lmarena.parse(content, make_meta("lmarena", "text.rows.json", content))
    assert "lacks required column(s) rating" in str(err.value)


def test_lmarena_non_numeric_rating_is_a_parse_error(text_fixture) -> None:
    _, raw, _ = text_fixture
    rows = json.loads(raw)
    rows[0]["rating"] = "n/a"
    content = json.dumps(rows).encode()
    with pytest.raises(ParseError, match="rating"):
        lmarena.parse(content, make_meta("lmarena", "text.rows.json", content))


def test_lmarena_non_integral_rank_is_a_parse_error(text_fixture) -> None:
    _, raw, _ = text_fixture
    rows = json.loads(raw)
    rows[5]["rank"] = 6.5
    content = json.dumps(rows).encode()
    with pytest.raises(ParseError, match="'rank' holds non-integral"):
        lmarena.parse(content, make_meta("lmarena", "text.rows.json", content))


@pytest.mark.parametrize("form", ["json", "parquet"])
def test_lmarena_truncated_file(text_fixture, form: str) -> None:
    _, raw, _ = text_fixture
    full = raw if form == "json" else parquet_bytes(json.loads(raw))
    cut = full[: len(full) // 2]
    with pytest.raises(ParseError, match="truncated"):
        lmarena.parse(cut, make_meta("lmarena", "text.full.rows.json", cut, params={"config": "text"}))


def test_lmarena_board_from_params_or_file_name(text_fixture) -> None:
    _, raw, _ = text_fixture

    def board(file: str, params: dict | None = None) -> set[str]:
        return set(lmarena.parse(raw, make_meta("lmarena", file, raw, params=params))["board"].to_pylist())

    assert board("rows.json", {"config": "text_style_control"}) == {"text_style_control"}
    assert board("text.full.rows.json", {"config": "vision"}) == {"vision"}  # params win over the name
    assert board("text.full.rows.json") == {"text"}
    assert board("text_style_control.latest.rows.json") == {"text_style_control"}  # longest name first
    assert board("ukitako1030_webdev_full_sample.rows.json") == {"webdev"}
    with pytest.raises(ParseError, match="cannot tell which LMArena board"):
        lmarena.parse(raw, make_meta("lmarena", "leaderboard.rows.json", raw))


def test_lmarena_board_from_file_name_matches_whole_words() -> None:
    meta = RawMeta(source="lmarena", file="research_text.rows.json", url="", retrieved_at=RETRIEVED, sha256="", size=0)
    assert lmarena.board_of(meta) == "text"


def test_lmarena_capture_folder_is_what_the_tests_expect() -> None:
    if not CAPTURES.is_dir():
        pytest.skip(f"real captures not present at {CAPTURES}")
    assert sorted(p.name for p in (CAPTURES / "lmarena_dataset").glob("*.json")) == sorted(LMARENA_CAPTURES)


@needs_captures
@pytest.mark.parametrize("name", sorted(LMARENA_CAPTURES))
def test_lmarena_capture_row_counts(name: str) -> None:
    path = CAPTURES / "lmarena_dataset" / name
    expected = LMARENA_CAPTURES[name]
    if expected is None:
        with pytest.raises(ParseError, match="lacks required column") as err:
            parse_path(lmarena, path)
        assert "rating" in str(err.value)
        return
    table, content = parse_path(lmarena, path)
    assert table.num_rows == expected
    assert table.schema == lmarena.SCHEMA
    assert set(table["board"].to_pylist()) == {LMARENA_BOARDS[name]}
    assert set(table["raw_sha256"].to_pylist()) == {sha256_hex(content)}
    source_keys = {(r["category"], r["leaderboard_publish_date"], r["model_name"]) for r in json.loads(content)}
    assert len(source_keys) == expected  # one row per distinct key, none lost
    assert table["rank"].null_count == 0 and table["rating"].null_count == 0


@needs_captures
def test_lmarena_webdev_duplicate_keeps_best_rank() -> None:
    name = "ukitako1030_webdev_full_sample_2025-11-12_to_2026-10-07.rows.json"
    table, content = parse_path(lmarena, CAPTURES / "lmarena_dataset" / name)
    dup = [
        r
        for r in json.loads(content)
        if r["model_name"] == "gpt-5.3-codex (codex-harness)"
        and r["leaderboard_publish_date"] == "2026-05-05"
        and r["category"] == "overall"
    ]
    assert sorted(r["rank"] for r in dup) == [29, 45]
    row = one_row(
        table,
        model_name="gpt-5.3-codex (codex-harness)",
        leaderboard_publish_date=dt.date(2026, 5, 5),
        category="overall",
    )
    assert row["rank"] == 29
    assert row["rating"] == pytest.approx(1406.38, abs=0.005)
    assert row["vote_count"] == 2962
    assert len(rows_where(table, leaderboard_publish_date=dt.date(2026, 5, 5), category="overall")) == 23


@needs_captures
def test_lmarena_text_and_style_control_share_vote_counts() -> None:
    text, _ = parse_path(lmarena, CAPTURES / "lmarena_dataset" / sorted(LMARENA_BOARDS)[0])
    style, _ = parse_path(lmarena, CAPTURES / "lmarena_dataset" / sorted(LMARENA_BOARDS)[1])
    assert set(text["board"].to_pylist()) == {"text"} and set(style["board"].to_pylist()) == {"text_style_control"}

    def votes(t: pa.Table) -> dict:
        return {(r["model_name"], r["category"], r["leaderboard_publish_date"]): r["vote_count"] for r in t.to_pylist()}

    a, b = votes(text), votes(style)
    common = a.keys() & b.keys()
    assert len(common) == 118
    assert all(a[k] == b[k] for k in common)


# --------------------------------------------------------------------------------------------------------------
# LMArena legacy Space tables (FORMATS.md §1a)
# --------------------------------------------------------------------------------------------------------------


def parse_legacy_fixture(day: str) -> tuple[pa.Table, bytes]:
    return parse_path(lmarena_legacy, FIXTURES / "lmarena_legacy" / f"leaderboard_table_{day}.csv")


def test_legacy_2023_06_header_win_rate_and_elo() -> None:
    table, _ = parse_legacy_fixture("20230619")
    assert table.num_rows == 12
    assert table.schema == lmarena_legacy.SCHEMA
    assert set(table["table_date"].to_pylist()) == {dt.date(2023, 6, 19)}
    gpt4 = one_row(table, model="GPT-4")
    assert gpt4["mt_bench_win_rate_pct"] == pytest.approx(69.38)
    assert gpt4["mt_bench_score"] == pytest.approx(8.99)
    assert gpt4["arena_elo"] == 1227.0
    assert gpt4["mmlu"] == pytest.approx(0.864)
    assert gpt4["license"] == "Proprietary"
    assert gpt4["link"] == "https://openai.com/research/gpt-4"
    assert gpt4["key"] is None and gpt4["organization"] is None and gpt4["knowledge_cutoff"] is None
    # '-' is null, not zero or the string '-'
    turbo = one_row(table, model="GPT-3.5-turbo")
    assert turbo["mt_bench_win_rate_pct"] is None
    assert turbo["arena_elo"] == 1130.0
    assert one_row(table, model="Vicuna-33B")["arena_elo"] is None
    assert one_row(table, model="PaLM-Chat-Bison-001")["mmlu"] is None
    assert "-" not in table["license"].to_pylist()


def test_legacy_2023_12_crlf_without_key_or_organization() -> None:
    table, raw = parse_legacy_fixture("20231220")
    assert raw.count(b"\r\n") == 16  # header + 15 rows, CRLF
    assert table.num_rows == 15
    assert table["key"].null_count == table.num_rows
    assert table["organization"].null_count == table.num_rows
    assert table["mt_bench_win_rate_pct"].null_count == table.num_rows
    assert not any("\r" in v for v in table["link"].to_pylist())
    wizard = one_row(table, model="WizardLM-30B")
    assert wizard["link"] == "https://huggingface.co/WizardLM/WizardLM-30B-V1.0"
    assert wizard["mt_bench_score"] == pytest.approx(7.01)
    assert wizard["arena_elo"] is None
    assert wizard["license"] == "Non-commercial"


def test_legacy_2025_header_with_key() -> None:
    table, _ = parse_legacy_fixture("20250511")
    assert table.num_rows == 40
    assert table["key"].null_count == 0
    assert table["arena_elo"].null_count == table.num_rows  # no Arena Elo column after 2023
    gpt4 = one_row(table, key="gpt-4-0314")
    assert gpt4["model"] == "GPT-4-0314"
    assert gpt4["organization"] == "OpenAI"
    assert gpt4["knowledge_cutoff"] == "2021/9"
    claude = one_row(table, key="claude-1")
    assert claude["knowledge_cutoff"] is None
    assert one_row(table, key="tulu-2-dpo-70b")["license"] == "AI2 ImpACT Low-risk"
    assert one_row(table, key="tulu-2-dpo-70b")["organization"] == "AllenAI/UW"
    assert one_row(table, key="gpt-4-1106-preview")["mmlu"] is None


def test_legacy_table_date_from_params_or_name() -> None:
    raw = (FIXTURES / "lmarena_legacy" / "leaderboard_table_20230619.csv").read_bytes()
    meta = make_meta("lmarena_legacy", "table.csv", raw, params={"table_date": "2023-06-19"})
    assert set(lmarena_legacy.parse(raw, meta)["table_date"].to_pylist()) == {dt.date(2023, 6, 19)}
    with pytest.raises(ParseError, match="cannot tell the table date"):
        lmarena_legacy.parse(raw, make_meta("lmarena_legacy", "table.csv", raw, url="https://example.invalid/t.csv"))


def test_legacy_missing_licence_column() -> None:
    raw = (FIXTURES / "lmarena_legacy" / "leaderboard_table_20250511.csv").read_bytes()
    content = rewrite_csv(raw, drop="License")
    with pytest.raises(ParseError, match="License"):
        lmarena_legacy.parse(content, make_meta("lmarena_legacy", "leaderboard_table_20250511.csv", content))


@pytest.mark.parametrize(("day", "line"), [("20230619", 8), ("20231220", 9), ("20250511", 22)])
def test_legacy_fixture_cut_in_half_names_the_line(day: str, line: int) -> None:
    raw = (FIXTURES / "lmarena_legacy" / f"leaderboard_table_{day}.csv").read_bytes()
    cut = raw[: len(raw) // 2]
    name = f"leaderboard_table_{day}.csv"
    with pytest.raises(ParseError, match=rf"{name} line {line}: wrong number of fields"):
        lmarena_legacy.parse(cut, make_meta("lmarena_legacy", name, cut))


def cut_mid_line(raw: bytes) -> tuple[bytes, int]:
    """Cut the file just after the first field of its middle line; return the bytes and that line's number."""
    lines = raw.splitlines(keepends=True)
    middle = len(lines) // 2
    start = sum(len(x) for x in lines[:middle])
    return raw[: start + lines[middle].index(b",") + 1], middle + 1


@needs_captures
@pytest.mark.parametrize("name", sorted(LEGACY_CAPTURES))
def test_legacy_capture(name: str) -> None:
    path = CAPTURES / "lmarena" / name
    table, content = parse_path(lmarena_legacy, path)
    _, reference = csv_rows(content)
    assert table.num_rows == LEGACY_CAPTURES[name] == len({r["Model"] for r in reference})
    dropped = len(reference) - table.num_rows
    assert notes_of(table) == ({"duplicates_dropped": dropped} if dropped else {})
    assert table.schema == lmarena_legacy.SCHEMA
    day = name.removesuffix(".csv")[-8:]
    assert set(table["table_date"].to_pylist()) == {dt.date(int(day[:4]), int(day[4:6]), int(day[6:]))}
    has_key = day >= "20240109"
    assert (table["key"].null_count == 0) is has_key
    assert (table["organization"].null_count == table.num_rows) is (not has_key)
    assert (table["arena_elo"].null_count < table.num_rows) is (day < "20240109")
    assert (table["mt_bench_win_rate_pct"].null_count < table.num_rows) is (day == "20230619")
    assert (table["knowledge_cutoff"].null_count < table.num_rows) is (day >= "20240125")
    assert not any("\r" in (v or "") for col in ("link", "model", "license") for v in table[col].to_pylist())
    assert "-" not in table["license"].to_pylist()
    assert set(table["raw_sha256"].to_pylist()) == {sha256_hex(content)}
    cut, line = cut_mid_line(content)
    with pytest.raises(ParseError, match=rf"line {line}: wrong number of fields"):
        lmarena_legacy.parse(cut, make_meta("lmarena_legacy", name, cut))


def test_legacy_capture_folder_is_what_the_tests_expect() -> None:
    if not CAPTURES.is_dir():
        pytest.skip(f"real captures not present at {CAPTURES}")
    assert sorted(p.name for p in (CAPTURES / "lmarena").glob("hfspace_leaderboard_table_*.csv")) == sorted(
        LEGACY_CAPTURES
    )


@needs_captures
def test_legacy_capture_values() -> None:
    def table(day: str) -> pa.Table:
        return parse_path(lmarena_legacy, CAPTURES / "lmarena" / f"hfspace_leaderboard_table_{day}.csv")[0]

    # The 'Propretary' typo exists only in the 2024-12-30 and 2025-05-11 tables, and is kept verbatim.
    for day in ("20230619", "20230802", "20231220", "20240109", "20240125", "20240629"):
        assert "Propretary" not in table(day)["license"].to_pylist()
    for day in ("20241230", "20250511"):
        t = table(day)
        assert t["license"].to_pylist().count("Propretary") == 1
        assert one_row(t, key="claude-3-5-haiku-20241022")["license"] == "Propretary"
    may = table("20250511")
    r1 = one_row(may, key="deepseek-r1")
    assert (r1["model"], r1["license"], r1["organization"]) == ("DeepSeek-R1", "MIT", "DeepSeek")
    assert r1["mt_bench_score"] is None and r1["mmlu"] is None and r1["knowledge_cutoff"] is None
    assert r1["link"] == "https://api-docs.deepseek.com/news/news250120"
    # '-' and 'N/A' licences are null; 'Other' is a value.
    assert one_row(may, key="nvila-internal-15b-v1")["license"] is None
    assert one_row(may, key="llama-4-maverick-03-26-experimental")["license"] is None
    assert one_row(may, key="internlm2_5-20b-chat")["license"] == "Other"
    crlf = table("20240125")
    assert crlf.num_rows == 71
    assert one_row(table("20230619"), model="GPT-4")["mt_bench_win_rate_pct"] == pytest.approx(69.38)


# --------------------------------------------------------------------------------------------------------------
# Epoch AI model databases (FORMATS.md §2)
# --------------------------------------------------------------------------------------------------------------


def named_rows(content: bytes) -> set[str]:
    """Distinct non-blank names, read independently with Python's csv module."""
    fields, rows = csv_rows(content)
    name = "Model" if "Model" in fields else "System"
    return {r[name].strip() for r in rows if r[name].strip() not in {"", "-", "N/A", "n/a"}}


def test_epoch_old_header_and_vocabulary_fixture() -> None:
    table, content = parse_path(epoch, FIXTURES / "epoch" / "notable_ai_models_2024-07-16.csv")
    fields, rows = csv_rows(content)
    assert fields[0] == "System" and "Model" not in fields
    assert content.count(b"\n") > len(rows) + 1  # embedded newlines in cells
    assert table.num_rows == len(named_rows(content)) == 61
    assert table.schema == epoch.SCHEMA
    assert set(table["epoch_dataset"].to_pylist()) == {"notable"}
    assert set(table["model_accessibility"].to_pylist()) == {
        "Open access (restricted use)",
        "Open source",
        "API access",
        None,
        "Open access (non-commercial)",
        "Unreleased",
        "Hosted access (no API)",
    }
    assert table["model_accessibility"].to_pylist().count("Open source") == 13
    assert one_row(table, model="Mixtral 8x7B")["model_accessibility"] == "Open source"
    llama = one_row(table, model="Llama 2-70B")
    assert llama["model_accessibility"] == "Open access (restricted use)"
    assert llama["organization"] == "Meta AI"
    assert llama["publication_date"] == dt.date(2023, 7, 18)
    assert llama["parameters"] == 70_000_000_000.0
    assert llama["country"] == "United States of America"
    assert llama["frontier_model"] is None  # no 'Frontier model' column in 2024-07
    assert one_row(table, model="Falcon-180B")["country"] == "United Arab Emirates"


@pytest.fixture(scope="module")
def epoch_archive() -> dict[str, tuple[pa.Table, bytes]]:
    out = {}
    for file in ("notable_ai_models.csv", "all_ai_models.csv"):
        raw = ARCHIVE.read("epoch", "2025-05-20", file)
        out[file] = (epoch.parse(raw.content, raw.meta), raw.content)
    return out


def test_epoch_archive_fixture(epoch_archive) -> None:
    notable, notable_raw = epoch_archive["notable_ai_models.csv"]
    everything, all_raw = epoch_archive["all_ai_models.csv"]
    assert notable.num_rows == len(named_rows(notable_raw)) == 158
    assert everything.num_rows == len(named_rows(all_raw)) == 149
    assert set(notable["epoch_dataset"].to_pylist()) == {"notable"}
    assert set(everything["epoch_dataset"].to_pylist()) == {"all"}
    # Column-order drift: the 2025-05-20 notable copy has 'Country (of organization)' and Organization second.
    fields, _ = csv_rows(notable_raw)
    assert fields[:3] == ["Model", "Organization", "Publication date"]
    assert "Country (of organization)" in fields and "Country (from Organization)" not in fields
    llama = one_row(notable, model="Llama 3.1-405B")
    assert llama["model_accessibility"] == "Open weights (restricted use)"
    assert llama["country"] == "United States of America"
    assert llama["parameters"] == 405_000_000_000.0
    assert llama["publication_date"] == dt.date(2024, 7, 23)
    assert llama["frontier_model"] is True
    mini = one_row(notable, model="GPT-4o mini")
    assert mini["model_accessibility"] == "API access"
    assert mini["organization"] == "OpenAI"
    assert mini["parameters"] is None
    assert mini["frontier_model"] is False
    assert one_row(notable, model="DeepSeek-V3")["country"] == "China"
    assert one_row(everything, model="Mistral Large 2")["model_accessibility"] == "Open weights (non-commercial)"
    assert everything["frontier_model"].null_count == everything.num_rows  # no such column in all_ai_models
    assert one_row(everything, model="DeepSeek-V3")["country"] == "China"  # from 'Country (from Organization)'
    assert set(notable["retrieved_at"].to_pylist()) == {dt.datetime(2025, 5, 20, tzinfo=dt.UTC)}
    assert set(notable["raw_sha256"].to_pylist()) == {sha256_hex(notable_raw)}
    assert set(notable["source_url"].to_pylist()) == {"https://epoch.ai/data/notable_ai_models.csv"}


def test_epoch_dataset_from_params_or_name(epoch_archive) -> None:
    _, raw = epoch_archive["notable_ai_models.csv"]
    table = epoch.parse(raw, make_meta("epoch", "copy.csv", raw, params={"epoch_dataset": "large_scale"}))
    assert set(table["epoch_dataset"].to_pylist()) == {"large_scale"}
    table = epoch.parse(raw, make_meta("epoch", "large_scale_ai_models.csv", raw))
    assert set(table["epoch_dataset"].to_pylist()) == {"large_scale"}
    with pytest.raises(ParseError, match="cannot tell which Epoch dataset"):
        epoch.parse(raw, make_meta("epoch", "models.csv", raw))


def test_epoch_missing_accessibility_column(epoch_archive) -> None:
    _, raw = epoch_archive["notable_ai_models.csv"]
    content = rewrite_csv(raw, drop="Model accessibility")
    with pytest.raises(ParseError, match="Model accessibility") as err:
        epoch.parse(content, make_meta("epoch", "notable_ai_models.csv", content))
    assert "lacks required column(s) Model accessibility" in str(err.value)


def test_epoch_missing_name_column(epoch_archive) -> None:
    _, raw = epoch_archive["notable_ai_models.csv"]
    content = rewrite_csv(raw, rename=("Model", "Name"))
    with pytest.raises(ParseError, match="lacks required column\\(s\\) Model"):
        epoch.parse(content, make_meta("epoch", "notable_ai_models.csv", content))


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "epoch" / "notable_ai_models_2024-07-16.csv",
        FIXTURES / "archive" / "raw" / "epoch" / "2025-05-20" / "notable_ai_models.csv",
        FIXTURES / "archive" / "raw" / "epoch" / "2025-05-20" / "all_ai_models.csv",
    ],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_epoch_truncated_fixture(path: Path) -> None:
    raw = path.read_bytes()
    cut = raw[: len(raw) // 2]
    with pytest.raises(ParseError, match="not a readable CSV"):
        epoch.parse(cut, make_meta("epoch", path.name, cut, params={"epoch_dataset": "notable"}))


def test_epoch_repeated_name_keeps_newest_row(epoch_archive) -> None:
    _, raw = epoch_archive["all_ai_models.csv"]
    fields, rows = csv_rows(raw)
    original = next(r for r in rows if r["Model"] == "GPT-4o mini")
    newer = {**original, "Publication date": "2025-01-01", "Model accessibility": "Unreleased"}
    older = {**original, "Publication date": "2020-01-01", "Model accessibility": "Open weights (unrestricted)"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows([older, *rows, newer])
    content = out.getvalue().encode()
    table = epoch.parse(content, make_meta("epoch", "all_ai_models.csv", content))
    assert table.num_rows == 149
    row = one_row(table, model="GPT-4o mini")
    assert row["publication_date"] == dt.date(2025, 1, 1)
    assert row["model_accessibility"] == "Unreleased"


def test_epoch_capture_folder_is_what_the_tests_expect() -> None:
    if not CAPTURES.is_dir():
        pytest.skip(f"real captures not present at {CAPTURES}")
    assert sorted(p.name for p in (CAPTURES / "epoch").glob("*.csv")) == sorted(EPOCH_CAPTURES)


@needs_captures
@pytest.mark.parametrize("name", sorted(EPOCH_CAPTURES))
def test_epoch_capture(name: str) -> None:
    table, content = parse_path(epoch, CAPTURES / "epoch" / name)
    fields, rows = csv_rows(content)
    # Embedded newlines: many more physical lines than records, yet one row per distinct named record.
    assert content.count(b"\n") > len(rows) + 1
    assert table.num_rows == len(named_rows(content)) == EPOCH_CAPTURES[name]
    assert table.schema == epoch.SCHEMA
    assert table["model"].null_count == 0
    assert len(set(table["model"].to_pylist())) == table.num_rows
    dataset = name.split("_ai_models")[0]
    assert set(table["epoch_dataset"].to_pylist()) == {dataset}
    name_col = "System" if name == "notable_ai_models_2024-07-16.csv" else "Model"
    assert fields[0] == name_col
    assert set(table["raw_sha256"].to_pylist()) == {sha256_hex(content)}
    # Accessibility values kept verbatim (blank → null).
    expected = {r["Model accessibility"] or None for r in rows if r[name_col].strip()}
    assert set(table["model_accessibility"].to_pylist()) == expected
    cut = content[: len(content) // 2]
    with pytest.raises(ParseError, match="not a readable CSV"):
        epoch.parse(cut, make_meta("epoch", name, cut))


@needs_captures
def test_epoch_capture_values() -> None:
    def table(name: str) -> pa.Table:
        return parse_path(epoch, CAPTURES / "epoch" / name)[0]

    old = table("notable_ai_models_2024-07-16.csv")
    assert old.num_rows == 825
    assert old["model_accessibility"].to_pylist().count("Open source") == 137
    assert "Open weights (unrestricted)" not in old["model_accessibility"].to_pylist()
    assert one_row(old, model="Llama 2-70B")["model_accessibility"] == "Open access (restricted use)"
    for name in ("notable_ai_models_2025-04-18.csv", "notable_ai_models_2025-05-20.csv"):
        t = table(name)
        assert "Open source" not in t["model_accessibility"].to_pylist()
        assert one_row(t, model="Llama 3.1-405B")["model_accessibility"] == "Open weights (restricted use)"
        assert one_row(t, model="GPT-4o mini")["model_accessibility"] == "API access"
        assert one_row(t, model="Llama 3.1-405B")["country"] == "United States of America"
    assert table("notable_ai_models_2024-12-24.csv").num_rows == 884
    assert table("notable_ai_models_2025-04-18.csv").num_rows == 924
    drifted = table("notable_ai_models_2025-05-20.csv")
    assert drifted["country"].null_count < drifted.num_rows
    assert one_row(drifted, model="DeepSeek-V3")["country"] == "China"
    everything = table("all_ai_models_2025-04-23.csv")
    amplify = rows_where(everything, model="AMPLIFY")
    assert len(amplify) == 1
    assert amplify[0]["publication_date"] == dt.date(2024, 9, 23)
    assert len(rows_where(everything, model="SigLIP")) == 1
    assert everything.num_rows == 2223  # 2228 records, 3 unnamed, 2 repeated names


def test_legacy_reads_the_rendered_csv_with_lowercase_headers() -> None:
    # FORMATS.md 1b: fboulnois' rendering of the leaderboard, `rank,model,arena_elo,…` (arena_score later).
    table, _ = parse_path(lmarena_legacy, FIXTURES / "lmarena_legacy" / "fboulnois_lmsys_2024-06-19.csv")
    assert table.num_rows == 10 and drift_of(table) == {}
    assert set(table["table_date"].to_pylist()) == {dt.date(2024, 6, 19)}
    llama = one_row(table, model="Llama-3-70b-Instruct")
    assert (llama["license"], llama["organization"], llama["arena_elo"]) == ("Llama 3 Community", "Meta", 1207.0)
    assert llama["link"] == "https://llama.meta.com/llama3/" and llama["knowledge_cutoff"] == "2023/12"
    assert one_row(table, model="Gemini-Advanced-0514")["knowledge_cutoff"] == "Online"


@needs_captures
@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("fboulnois_lmsys_2024-06-19.csv", 109),
        ("fboulnois_lmsys_2024-10-16.csv", 152),
        ("fboulnois_lmsys_2024-12-31.csv", 182),
        ("fboulnois_lmsys_2025-07-18.csv", 218),
        ("fboulnois_lmarena_text_2025-08-04.csv", 265),
    ],
)
def test_legacy_rendered_captures(name: str, rows: int) -> None:
    table, content = parse_path(lmarena_legacy, CAPTURES / "lmarena" / name)
    assert table.num_rows == rows == len({r["model"] for r in csv_rows(content)[1]})
    assert drift_of(table) == {}
