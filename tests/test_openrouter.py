"""OpenRouter models API (FORMATS.md §3): the parser against the shipped fixture and the real captures, and
``fetch`` against a fake HTTP adapter. Every test is offline; capture tests skip when ``../shared/captures``
is absent."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pytest
import requests

from conftest import FakeAdapter
from conftest import fake_session as conftest_fake_session
from extractors import openrouter
from extractors.raw_store import RawMeta, RawStore, sha256_hex
from opengap.errors import ParseError

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "fixtures" / "openrouter" / "models_2026-02-27.json"
CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "captures"
CAPTURE_DIR = CAPTURES / "openrouter"
needs_captures = pytest.mark.skipif(not CAPTURES.is_dir(), reason=f"real captures not present at {CAPTURES}")

RETRIEVED = "2026-02-27T00:00:00Z"
UTC = dt.UTC

# Capture -> (rows after excluding routers, excluded routers, hf_id_state counts), counted with plain json.
CAPTURE_COUNTS = {
    "openrouter_models_raw_2025-05-22.json": (318, ["openrouter/auto"], {"repo": 184, "empty": 66, "null": 68}),
    "openrouter_models_raw_2026-02-27.json": (
        342,
        ["openrouter/auto", "openrouter/bodybuilder"],
        {"repo": 187, "empty": 125, "null": 30},
    ),
    "openrouter_models_data_2026-05-01.json": (
        368,
        ["openrouter/auto", "openrouter/bodybuilder", "openrouter/pareto-code"],
        {"repo": 181, "empty": 139, "null": 48},
    ),
}
OLD, FEB, MAY = CAPTURE_COUNTS  # in date order
FIXTURE_IDS = [  # sorted; the fixture also holds the routers openrouter/auto and openrouter/bodybuilder
    "anthropic/claude-3.7-sonnet",
    "anthropic/claude-3.7-sonnet:thinking",
    "cohere/command-a",
    "google/gemini-3.1-flash-image-preview",
    "meta-llama/llama-3.3-70b-instruct",
    "meta-llama/llama-3.3-70b-instruct:free",
    "mistralai/devstral-2512",
    "mistralai/mistral-large-2411",
    "openai/gpt-4o:extended",
    "openai/gpt-oss-120b",
    "openai/gpt-oss-120b:exacto",
    "openai/gpt-oss-120b:free",
    "openai/gpt-oss-20b",
    "openrouter/free",
    "qwen/qwen-2.5-coder-32b-instruct",
    "z-ai/glm-4.5v",
    "z-ai/glm-4.6:exacto",
]


def make_meta(content: bytes, file: str = "models.json") -> RawMeta:
    return RawMeta(
        source=openrouter.NAME,
        file=file,
        url=openrouter.API_URL,
        retrieved_at=RETRIEVED,
        sha256=sha256_hex(content),
        size=len(content),
        params=dict(openrouter.PARAMS),
    )


def parse_bytes(content: bytes, file: str = "models.json") -> pa.Table:
    return openrouter.parse(content, make_meta(content, file))


def by_id(table: pa.Table) -> dict[str, dict]:
    return {r["model_id"]: r for r in table.to_pylist()}


@pytest.fixture(scope="module")
def fixture_table() -> pa.Table:
    return parse_bytes(FIXTURE.read_bytes(), FIXTURE.name)


# ------------------------------------------------------------------------------------------------------------
# Shipped fixture (19 real rows of the 2026-02-27 body, wrapper kept)
# ------------------------------------------------------------------------------------------------------------


def test_fixture_rows_schema_and_order(fixture_table) -> None:
    assert json.loads(FIXTURE.read_bytes())["data"][0]["id"] == "google/gemini-3.1-flash-image-preview"
    assert len(json.loads(FIXTURE.read_bytes())["data"]) == 19
    assert fixture_table.schema == openrouter.SCHEMA
    assert fixture_table["model_id"].to_pylist() == FIXTURE_IDS  # routers with "-1" prices left out
    assert openrouter.SCHEMA.names[-4:] == ["source", "source_url", "retrieved_at", "raw_sha256"]
    assert openrouter.KEY == ("model_id",)


def test_fixture_negative_price_routers_are_excluded_and_logged(caplog) -> None:
    content = FIXTURE.read_bytes()
    with caplog.at_level(logging.INFO, logger="extractors.openrouter"):
        table = parse_bytes(content)
    assert {"openrouter/auto", "openrouter/bodybuilder"}.isdisjoint(table["model_id"].to_pylist())
    assert "excluded 2 router pseudo-model(s)" in caplog.text
    assert "openrouter/auto" in caplog.text


def test_fixture_hugging_face_id_three_states(fixture_table) -> None:
    rows = by_id(fixture_table)
    assert rows["openai/gpt-oss-120b"]["hugging_face_id"] == "openai/gpt-oss-120b"
    assert rows["openai/gpt-oss-120b"]["hf_id_state"] == "repo"
    assert rows["cohere/command-a"]["hugging_face_id"] == "CohereForAI/c4ai-command-a-03-2025"
    assert rows["mistralai/mistral-large-2411"]["hugging_face_id"] is None  # open weights (MRL), yet ""
    assert rows["mistralai/mistral-large-2411"]["hf_id_state"] == "empty"
    assert rows["openai/gpt-4o:extended"]["hugging_face_id"] is None
    assert rows["openai/gpt-4o:extended"]["hf_id_state"] == "null"


def test_fixture_free_variant(fixture_table) -> None:
    rows = by_id(fixture_table)
    free = rows["openai/gpt-oss-120b:free"]
    assert free["is_free"] is True
    assert free["price_prompt_per_1m"] == 0.0
    assert free["price_completion_per_1m"] == 0.0
    assert free["base_model_id"] == "openai/gpt-oss-120b"
    assert free["hugging_face_id"] == "openai/gpt-oss-120b"
    assert rows["openai/gpt-oss-120b"]["is_free"] is False
    assert rows["meta-llama/llama-3.3-70b-instruct:free"]["is_free"] is True


def test_fixture_prices_are_exact_per_million(fixture_table) -> None:
    rows = by_id(fixture_table)
    image = rows["google/gemini-3.1-flash-image-preview"]  # "0.00000025" / "0.0000015"
    assert (image["price_prompt_per_1m"], image["price_completion_per_1m"]) == (0.25, 1.5)
    oss = rows["openai/gpt-oss-120b"]  # "0.000000039" / "0.00000019"
    assert (oss["price_prompt_per_1m"], oss["price_completion_per_1m"]) == (0.039, 0.19)
    # "0.0000001" * 1e6 in float is 0.09999999999999999; the Decimal product is exactly 0.1.
    assert float("0.0000001") * 1e6 != 0.1
    assert rows["meta-llama/llama-3.3-70b-instruct"]["price_prompt_per_1m"] == 0.1
    assert rows["meta-llama/llama-3.3-70b-instruct"]["price_completion_per_1m"] == 0.32
    # Upstream float noise in the string itself ("0.00000020000000000000002") rounds to the intended 0.2.
    assert rows["qwen/qwen-2.5-coder-32b-instruct"]["price_prompt_per_1m"] == 0.2
    assert rows["cohere/command-a"]["price_completion_per_1m"] == 10.0


def test_fixture_base_model_id_and_router_flag(fixture_table) -> None:
    rows = by_id(fixture_table)
    assert rows["anthropic/claude-3.7-sonnet:thinking"]["base_model_id"] == "anthropic/claude-3.7-sonnet"
    assert rows["z-ai/glm-4.6:exacto"]["base_model_id"] == "z-ai/glm-4.6"
    assert rows["openai/gpt-4o:extended"]["base_model_id"] == "openai/gpt-4o"
    assert rows["cohere/command-a"]["base_model_id"] == "cohere/command-a"
    assert openrouter.base_model_id("~anthropic/claude-sonnet-latest") == "anthropic/claude-sonnet-latest"
    # openrouter/free is a router priced "0", so the negative-price rule keeps it: flagged instead.
    router = rows["openrouter/free"]
    assert (router["is_router"], router["is_free"], router["price_prompt_per_1m"]) == (True, False, 0.0)
    assert [m for m, r in rows.items() if r["is_router"]] == ["openrouter/free"]


def test_fixture_other_columns(fixture_table) -> None:
    rows = by_id(fixture_table)
    sonnet = rows["anthropic/claude-3.7-sonnet"]
    assert sonnet["canonical_slug"] == "anthropic/claude-3-7-sonnet-20250219"
    assert sonnet["name"] == "Anthropic: Claude 3.7 Sonnet"
    assert sonnet["created"] == dt.datetime(2025, 2, 24, 18, 35, 10, tzinfo=UTC)
    assert sonnet["context_length"] == 200000
    assert sonnet["modality"] == "text+image+file->text"
    assert sonnet["expiration_date"] == dt.date(2026, 5, 5)
    assert sonnet["knowledge_cutoff"] is None  # the field only exists from 2026-05
    image = rows["google/gemini-3.1-flash-image-preview"]
    assert image["modality"] == "text+image->text+image"  # image output: why fetch asks output_modalities=all
    assert rows["cohere/command-a"]["created"] == dt.datetime.fromtimestamp(1741894342, UTC)


def test_fixture_provenance(fixture_table) -> None:
    content = FIXTURE.read_bytes()
    assert set(fixture_table["source"].to_pylist()) == {"openrouter"}
    assert set(fixture_table["source_url"].to_pylist()) == {openrouter.API_URL}
    assert set(fixture_table["raw_sha256"].to_pylist()) == {sha256_hex(content)}
    assert set(fixture_table["retrieved_at"].to_pylist()) == {dt.datetime(2026, 2, 27, tzinfo=UTC)}


def test_bare_array_gives_the_same_rows(fixture_table) -> None:
    bare = json.dumps(json.loads(FIXTURE.read_bytes())["data"]).encode()
    table = parse_bytes(bare)
    assert table.drop_columns(["raw_sha256"]).equals(fixture_table.drop_columns(["raw_sha256"]))


def test_older_body_without_2026_fields() -> None:
    models = json.loads(FIXTURE.read_bytes())["data"]
    for m in models:
        for field in ("canonical_slug", "expiration_date", "default_parameters"):
            m.pop(field)
    table = parse_bytes(json.dumps({"data": models}).encode())
    assert table.num_rows == len(FIXTURE_IDS)
    assert table["canonical_slug"].null_count == table["expiration_date"].null_count == table.num_rows


def test_missing_id_is_a_parse_error() -> None:
    doc = json.loads(FIXTURE.read_bytes())
    del doc["data"][3]["id"]
    content = json.dumps(doc).encode()
    with pytest.raises(ParseError, match="entry 3 has no 'id'") as err:
        parse_bytes(content, "models.json")
    assert "openrouter file models.json" in str(err.value)


@pytest.mark.parametrize("cut", [0.5, 0.999])
def test_truncated_json_is_a_parse_error(cut: float) -> None:
    content = FIXTURE.read_bytes()
    content = content[: int(len(content) * cut)]
    with pytest.raises(ParseError, match=r"models\.json .*not valid JSON \(truncated download\?\)"):
        parse_bytes(content)


def test_error_answer_and_bad_values_are_parse_errors() -> None:
    with pytest.raises(ParseError, match="without a 'data' array"):
        parse_bytes(b'{"error": {"code": 500, "message": "Internal Server Error"}}')
    doc = json.loads(FIXTURE.read_bytes())
    doc["data"][0]["pricing"]["prompt"] = "free"
    with pytest.raises(ParseError, match=r"google/gemini-3\.1-flash-image-preview.*pricing\.prompt 'free'"):
        parse_bytes(json.dumps(doc).encode())
    doc = json.loads(FIXTURE.read_bytes())
    doc["data"].append(doc["data"][0])
    with pytest.raises(ParseError, match="appears twice"):
        parse_bytes(json.dumps(doc).encode())
    doc = json.loads(FIXTURE.read_bytes())
    doc["data"][0]["created"] = "yesterday"
    with pytest.raises(ParseError, match="non-integer created"):
        parse_bytes(json.dumps(doc).encode())


# ------------------------------------------------------------------------------------------------------------
# fetch, against a fake adapter (no network)
# ------------------------------------------------------------------------------------------------------------


def fake_session(body: bytes, status: int = 200) -> tuple[requests.Session, FakeAdapter]:
    return conftest_fake_session(body, status, {"Content-Type": "application/json", "Set-Cookie": "x=y"})


def test_fetch_asks_for_all_output_modalities_and_stores_raw_and_meta(tmp_path) -> None:
    body = FIXTURE.read_bytes()
    session, adapter = fake_session(body)
    store = RawStore(tmp_path)
    files = openrouter.fetch(session, store, "2026-02-27")
    assert len(adapter.requests) == 1
    sent = urlparse(adapter.requests[0].url)
    assert (sent.scheme, sent.netloc, sent.path) == ("https", "openrouter.ai", "/api/v1/models")
    assert sent.query == "output_modalities=all"
    assert adapter.requests[0].method == "GET"
    assert "Authorization" not in adapter.requests[0].headers  # no key needed
    [raw] = files
    stored = tmp_path / "openrouter" / "2026-02-27" / "models.json"
    assert stored.read_bytes() == body == raw.content
    meta = json.loads((tmp_path / "openrouter" / "2026-02-27" / "models.json.meta.json").read_text())
    assert meta["url"] == openrouter.API_URL
    assert meta["params"] == {"output_modalities": "all"}
    assert meta["sha256"] == sha256_hex(body)
    assert meta["headers"]["Content-Type"] == "application/json"
    assert "Set-Cookie" not in meta["headers"]
    assert store.files("openrouter", "2026-02-27") == ["models.json"]
    # The stored file parses; provenance points at the API URL.
    table = openrouter.parse(raw.content, raw.meta)
    assert table.num_rows == len(FIXTURE_IDS)
    assert set(table["source_url"].to_pylist()) == {openrouter.API_URL}


def test_fetch_reuses_the_stored_copy_unless_refresh(tmp_path) -> None:
    session, adapter = fake_session(FIXTURE.read_bytes())
    store = RawStore(tmp_path)
    openrouter.fetch(session, store, "2026-02-27")
    openrouter.fetch(session, store, "2026-02-27")
    assert len(adapter.requests) == 1
    openrouter.fetch(session, store, "2026-02-27", refresh=True)
    assert len(adapter.requests) == 2


def test_fetch_http_error_stores_nothing(tmp_path) -> None:
    from opengap.errors import FetchError

    session, _ = fake_session(b'{"error":"rate limited"}', status=429)
    store = RawStore(tmp_path)
    with pytest.raises(FetchError, match="429"):
        openrouter.fetch(session, store, "2026-02-27")
    assert not store.exists("openrouter", "2026-02-27", "models.json")


# ------------------------------------------------------------------------------------------------------------
# Real captures
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def captures() -> dict[str, pa.Table]:
    if not CAPTURES.is_dir():
        pytest.skip(f"real captures not present at {CAPTURES}")
    return {name: parse_bytes((CAPTURE_DIR / name).read_bytes(), name) for name in CAPTURE_COUNTS}


@needs_captures
def test_capture_folder_is_what_the_tests_expect() -> None:
    assert sorted(p.name for p in CAPTURE_DIR.glob("*.json")) == sorted(CAPTURE_COUNTS)


@needs_captures
@pytest.mark.parametrize("name", sorted(CAPTURE_COUNTS))
def test_capture_row_counts_and_hf_states(captures, name: str) -> None:
    rows, routers, states = CAPTURE_COUNTS[name]
    table = captures[name]
    raw = json.loads((CAPTURE_DIR / name).read_bytes())
    models = raw["data"] if isinstance(raw, dict) else raw
    assert table.num_rows == rows == len(models) - len(routers)
    assert table.schema == openrouter.SCHEMA
    ids = set(table["model_id"].to_pylist())
    assert ids.isdisjoint(routers)
    assert "openrouter/auto" not in ids
    counted = {s: table["hf_id_state"].to_pylist().count(s) for s in ("repo", "empty", "null")}
    assert counted == states
    assert table["hugging_face_id"].null_count == states["empty"] + states["null"]


@needs_captures
def test_capture_named_models(captures) -> None:
    old, feb, may = (by_id(captures[n]) for n in (OLD, FEB, MAY))
    for rows in (feb, may):
        assert rows["openai/gpt-oss-120b"]["hugging_face_id"] == "openai/gpt-oss-120b"
        assert rows["openai/gpt-oss-120b:free"]["is_free"] is True
        assert rows["openai/gpt-oss-120b:free"]["price_prompt_per_1m"] == 0.0
    assert "openai/gpt-oss-120b" not in old  # released 2025-08
    for rows in (old, feb, may):
        assert rows["cohere/command-a"]["hugging_face_id"] == "CohereForAI/c4ai-command-a-03-2025"
        assert rows["cohere/command-a"]["price_prompt_per_1m"] == 2.5  # "0.0000025"
        assert rows["mistralai/mistral-large-2411"]["hugging_face_id"] is None
        assert rows["mistralai/mistral-large-2411"]["hf_id_state"] == "empty"
        assert rows["meta-llama/llama-3.3-70b-instruct:free"]["is_free"] is True
    assert feb["openai/gpt-oss-120b"]["price_completion_per_1m"] == 0.19  # "0.00000019"
    assert may["openai/gpt-oss-120b"]["price_completion_per_1m"] == 0.18  # "0.00000018"
    assert old["deepseek/deepseek-chat-v3-0324:free"]["hugging_face_id"] == "deepseek-ai/DeepSeek-V3-0324"
    # Zero-priced model that is not a ":free" variant (an experimental Gemini in 2025).
    assert old["google/gemini-2.5-pro-exp-03-25"]["price_prompt_per_1m"] == 0.0
    assert old["google/gemini-2.5-pro-exp-03-25"]["is_free"] is False


@needs_captures
def test_capture_drift_across_versions(captures) -> None:
    old, feb, may = (captures[n] for n in (OLD, FEB, MAY))
    assert old["canonical_slug"].null_count == old.num_rows  # no canonical_slug before 2026
    assert feb["canonical_slug"].null_count == may["canonical_slug"].null_count == 0
    assert old["knowledge_cutoff"].null_count == old.num_rows
    assert feb["knowledge_cutoff"].null_count == feb.num_rows  # knowledge_cutoff arrives between 02 and 05
    assert may.num_rows - may["knowledge_cutoff"].null_count == 214
    assert feb.num_rows - feb["expiration_date"].null_count == 9
    rows = by_id(may)
    assert rows["cohere/command-a"]["knowledge_cutoff"] == dt.date(2024, 8, 31)
    assert rows["anthropic/claude-3.7-sonnet"]["expiration_date"] == dt.date(2026, 5, 5)
    # "~" aliases appear in 2026-05: kept as rows, base_model_id without the tilde.
    assert rows["~openai/gpt-latest"]["base_model_id"] == "openai/gpt-latest"
    assert rows["~openai/gpt-latest"]["hf_id_state"] == "null"
    assert [m for m, r in rows.items() if r["is_router"]] == ["openrouter/free"]
    # A capture re-sorted by id still comes out in id order, like every other.
    assert may["model_id"].to_pylist() == sorted(may["model_id"].to_pylist())


@needs_captures
def test_fixture_rows_are_verbatim_capture_rows() -> None:
    raw = (CAPTURE_DIR / "openrouter_models_raw_2026-02-27.json").read_bytes()
    for model in json.loads(FIXTURE.read_bytes())["data"]:
        assert json.dumps(model, separators=(",", ":"), ensure_ascii=False).encode() in raw
