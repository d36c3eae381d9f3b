"""Artificial Analysis data API v2 (FORMATS.md §6): parse over the real capture and the shipped fixtures,
and fetch's paging, key handling and skip, against a fake HTTP adapter. Every test is offline."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from extractors import artificial_analysis as aa
from extractors.raw_store import RawMeta, RawStore, sha256_hex
from opengap.errors import ParseError

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "artificial_analysis"
PAGE1 = FIXTURES / "models_page1.json"
LEGACY = FIXTURES / "models_legacy_shape.json"
CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "captures"
CAPTURE = CAPTURES / "artificial_analysis" / "aa_api_v2_models_page1_2026-06.json"
needs_captures = pytest.mark.skipif(not CAPTURE.is_file(), reason=f"real capture not present at {CAPTURE}")

RETRIEVED = "2026-06-27T00:00:00Z"
GEMINI_FLASH_HIGH = "0097ebf5-124f-42f6-9463-33b00e711f03"
NOVA_OMNI_MEDIUM = "018c60e8-e908-431a-ba57-c840b1df3987"
GPT_OSS_20B_LOW = "16149b9c-a1e9-4669-a5cb-ff3c00d78f89"
API_KEY = "aa-test-key-5f1c9e0b7d"  # a fake key; must never reach the raw store or the log


def make_meta(file: str, content: bytes, *, page: int | None = 1) -> RawMeta:
    return RawMeta(
        source=aa.NAME,
        file=file,
        url=aa.MODELS_URL,
        retrieved_at=RETRIEVED,
        sha256=sha256_hex(content),
        size=len(content),
        params={} if page is None else {"page": page},
    )


def parse_bytes(content: bytes, file: str = "models.page-1.json") -> pa.Table:
    return aa.parse(content, make_meta(file, content))


def by_id(table: pa.Table) -> dict[str, dict]:
    return {r["aa_id"]: r for r in table.to_pylist()}


def edited(path: Path, edit) -> bytes:
    doc = json.loads(path.read_bytes())
    edit(doc)
    return json.dumps(doc).encode()


@pytest.fixture(scope="module")
def page1() -> pa.Table:
    return parse_bytes(PAGE1.read_bytes())


# --------------------------------------------------------------------------------------------------------------
# The real capture
# --------------------------------------------------------------------------------------------------------------


@needs_captures
def test_capture_parses_every_row_to_the_schema():
    content = CAPTURE.read_bytes()
    table = aa.parse(content, make_meta(CAPTURE.name, content))
    assert table.schema.equals(aa.SCHEMA)
    assert table.num_rows == 200
    assert len(set(table["aa_id"].to_pylist())) == 200
    # FORMATS §6: coding index null in 170 of 200 rows, agentic in 186 of 200.
    assert table["coding_index"].null_count == 170
    assert table["agentic_index"].null_count == 186
    assert table["intelligence_index"].null_count == 3
    assert table["price_input_per_1m"].null_count == 55
    assert table["output_tokens_per_s"].null_count == 92
    assert table["price_blended_per_1m"].null_count == 200  # the free tier gives no blended price
    assert table["is_open_weights"].null_count == 200  # nor licensing
    assert set(table["intelligence_index_version"].to_pylist()) == {"4.1"}
    assert table["release_date"].null_count == 0
    efforts = table["reasoning_effort"].to_pylist()
    assert efforts.count("non-reasoning") == 36
    assert efforts.count("reasoning") == 31
    assert efforts.count("high") == 8
    assert efforts.count(None) == 108  # 4 combined settings: "(Non-reasoning, High Effort)" x3, "(Adaptive …)"


@needs_captures
def test_capture_named_model_values():
    content = CAPTURE.read_bytes()
    row = by_id(aa.parse(content, make_meta(CAPTURE.name, content)))[GEMINI_FLASH_HIGH]
    assert row["name"] == "Gemini 3.5 Flash (high)"
    assert row["base_name"] == "Gemini 3.5 Flash"
    assert row["reasoning_effort"] == "high"
    assert row["slug"] == "gemini-3-5-flash"
    assert row["release_date"] == dt.date(2026, 5, 19)
    assert row["creator_id"] == "faddc6d9-2c14-445f-9b28-56726f59c793"
    assert row["creator_name"] == "Google"
    assert (row["intelligence_index"], row["coding_index"], row["agentic_index"]) == (50.2, 70.1, 37.4)
    assert (row["price_input_per_1m"], row["price_output_per_1m"]) == (1.5, 9.0)
    assert (row["output_tokens_per_s"], row["ttft_s"]) == (158.97, 20.86)
    assert row["source"] == "artificial_analysis"
    assert row["source_url"] == aa.MODELS_URL
    assert row["raw_sha256"] == sha256_hex(content)
    assert row["retrieved_at"] == dt.datetime(2026, 6, 27, tzinfo=dt.UTC)


@needs_captures
def test_fixture_rows_are_verbatim_capture_rows():
    capture = json.loads(CAPTURE.read_bytes())
    fixture = json.loads(PAGE1.read_bytes())
    assert {k: v for k, v in fixture.items() if k != "data"} == {k: v for k, v in capture.items() if k != "data"}
    rows = {r["id"]: r for r in capture["data"]}
    assert fixture["data"] == [rows[r["id"]] for r in fixture["data"]]


# --------------------------------------------------------------------------------------------------------------
# The shipped fixtures: newer (paginated) shape
# --------------------------------------------------------------------------------------------------------------


def test_fixture_page_row_count_and_order(page1):
    assert page1.schema.equals(aa.SCHEMA)
    assert page1.num_rows == 13
    ids = page1["aa_id"].to_pylist()
    assert ids == sorted(ids)


def test_null_indices_prices_and_speed(page1):
    rows = by_id(page1)
    glm = rows["0081ab31-d10a-44a0-a10d-eee5533fec65"]
    assert glm["name"] == "GLM-4.5V (Non-reasoning)"
    assert glm["intelligence_index"] == 7.0
    assert glm["coding_index"] is None and glm["agentic_index"] is None
    assert (glm["price_input_per_1m"], glm["price_output_per_1m"], glm["ttft_s"]) == (0.6, 1.8, 27.16)

    nova = rows[NOVA_OMNI_MEDIUM]
    assert (nova["price_input_per_1m"], nova["price_output_per_1m"]) == (0.3, 2.5)
    assert nova["output_tokens_per_s"] is None and nova["ttft_s"] is None

    exaone = rows["3538d399-1b3f-455d-9b13-1d8f9fee26c8"]
    assert exaone["name"] == "EXAONE 4.5 33B (Non-reasoning)"
    nullable = ("intelligence_index", "coding_index", "agentic_index", "price_input_per_1m", "price_output_per_1m")
    assert all(exaone[c] is None for c in (*nullable, "price_blended_per_1m", "output_tokens_per_s", "ttft_s"))

    devstral = rows["09f43999-b67b-4c1b-b050-44df41ed7e62"]  # a free model: 0 is a price, not a missing one
    assert (devstral["price_input_per_1m"], devstral["price_output_per_1m"]) == (0.0, 0.0)


def test_suffix_stripping_in_fixture(page1):
    names = {r["name"]: (r["base_name"], r["reasoning_effort"]) for r in page1.to_pylist()}
    assert names["Gemini 3.5 Flash (high)"] == ("Gemini 3.5 Flash", "high")
    assert names["Gemini 3.5 Flash (minimal)"] == ("Gemini 3.5 Flash", "minimal")
    assert names["GPT-5.2 Codex (xhigh)"] == ("GPT-5.2 Codex", "xhigh")
    assert names["Grok 4.20 0309 (Reasoning)"] == ("Grok 4.20 0309", "reasoning")
    assert names["GLM-4.5V (Non-reasoning)"] == ("GLM-4.5V", "non-reasoning")
    assert names["Solar Pro 2 (Preview) (Non-reasoning)"] == ("Solar Pro 2 (Preview)", "non-reasoning")
    assert names["Claude 3.5 Sonnet (Oct '24)"] == ("Claude 3.5 Sonnet (Oct '24)", None)
    assert names["Claude Sonnet 4.6 (Non-reasoning, High Effort)"] == (
        "Claude Sonnet 4.6",
        "non-reasoning, high effort",
    )
    assert names["MiMo-V2.5-Pro"] == ("MiMo-V2.5-Pro", None)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Gemini 3.5 Flash (high)", ("Gemini 3.5 Flash", "high")),
        ("o3-mini (HIGH)", ("o3-mini", "high")),
        ("Model X (max)", ("Model X", "max")),
        ("Model X (Thinking)", ("Model X", "thinking")),
        ("Model X (low) ", ("Model X", "low")),
        ("Qwen3 4B (Reasoning)", ("Qwen3 4B", "reasoning")),
        ("Model (high) Turbo", ("Model (high) Turbo", None)),  # not trailing
        ("Claude Opus 4.6 (Adaptive Reasoning, Max Effort)", ("Claude Opus 4.6", "adaptive reasoning, max effort")),
        ("Model X (Preview, high)", ("Model X (Preview, high)", None)),  # not every part is a setting
        ("Gemini 2.0 Flash-Lite (Preview)", ("Gemini 2.0 Flash-Lite (Preview)", None)),
        ("(high)", ("(high)", None)),  # nothing would be left
    ],
)
def test_split_effort(name, expected):
    assert aa.split_effort(name) == expected


def test_is_open_weights_from_licensing_when_present():
    def add_licensing(doc):
        for row in doc["data"]:
            if row["id"] == GPT_OSS_20B_LOW:
                row["licensing"] = {"is_open_weights": True}
            if row["id"] == GEMINI_FLASH_HIGH:
                row["licensing"] = {"is_open_weights": False}

    rows = by_id(parse_bytes(edited(PAGE1, add_licensing)))
    assert rows[GPT_OSS_20B_LOW]["is_open_weights"] is True
    assert rows[GEMINI_FLASH_HIGH]["is_open_weights"] is False
    assert rows[NOVA_OMNI_MEDIUM]["is_open_weights"] is None


def test_blended_price_read_when_the_newer_shape_has_it():
    def add_blended(doc):
        doc["data"][1]["pricing"]["price_1m_blended_3_to_1"] = 3.38

    assert by_id(parse_bytes(edited(PAGE1, add_blended)))[GEMINI_FLASH_HIGH]["price_blended_per_1m"] == 3.38


# --------------------------------------------------------------------------------------------------------------
# Older (unpaginated) shape
# --------------------------------------------------------------------------------------------------------------


def test_legacy_shape():
    content = LEGACY.read_bytes()
    table = aa.parse(content, make_meta(LEGACY.name, content, page=None))
    assert table.schema.equals(aa.SCHEMA)
    assert table.num_rows == 2
    rows = by_id(table)
    gemini = rows[GEMINI_FLASH_HIGH]
    assert (gemini["base_name"], gemini["reasoning_effort"]) == ("Gemini 3.5 Flash", "high")
    assert (gemini["intelligence_index"], gemini["coding_index"], gemini["agentic_index"]) == (50.2, 70.1, 37.4)
    assert (gemini["price_input_per_1m"], gemini["price_output_per_1m"], gemini["price_blended_per_1m"]) == (
        1.5,
        9.0,
        3.375,
    )
    assert (gemini["output_tokens_per_s"], gemini["ttft_s"]) == (158.97, 20.86)  # top level in this shape
    assert gemini["creator_name"] == "Google"
    assert gemini["release_date"] == dt.date(2026, 5, 19)
    assert gemini["intelligence_index_version"] is None  # no wrapper field in this shape
    nova = rows[NOVA_OMNI_MEDIUM]
    assert nova["release_date"] is None  # key absent
    assert nova["agentic_index"] is None  # key absent
    assert nova["coding_index"] is None  # null
    assert nova["price_blended_per_1m"] == 0.85
    assert nova["output_tokens_per_s"] is None


def test_has_more():
    page = PAGE1.read_bytes()
    assert aa.has_more(page, make_meta(PAGE1.name, page)) is True
    legacy = LEGACY.read_bytes()
    assert aa.has_more(legacy, make_meta(LEGACY.name, legacy)) is False  # no pagination: one page
    last = edited(PAGE1, lambda d: d["pagination"].update(page=3, has_more=False))
    assert aa.has_more(last, make_meta("models.page-3.json", last)) is False


# --------------------------------------------------------------------------------------------------------------
# Drift and damage: ParseError naming the file and the problem
# --------------------------------------------------------------------------------------------------------------


def test_missing_data_raises():
    content = edited(PAGE1, lambda d: d.pop("data"))
    with pytest.raises(ParseError, match=r"models\.page-1\.json .* lacks the 'data' list"):
        parse_bytes(content)


def test_error_answer_raises():
    with pytest.raises(ParseError, match="API key is required"):
        parse_bytes(b'{"error":"API key is required"}')


@pytest.mark.parametrize("field", ["id", "name"])
def test_row_without_id_or_name_raises(field):
    content = edited(PAGE1, lambda d: d["data"][2].pop(field))
    with pytest.raises(ParseError, match=rf"models\.page-1\.json: data\[2\] has no {field}"):
        parse_bytes(content)


def test_truncated_json_raises():
    content = PAGE1.read_bytes()
    with pytest.raises(ParseError, match=r"models\.page-1\.json .* not valid JSON \(truncated"):
        parse_bytes(content[: len(content) // 2])


def test_bad_release_date_raises():
    content = edited(PAGE1, lambda d: d["data"][0].update(release_date="August 2025"))
    with pytest.raises(ParseError, match="release_date 'August 2025' is not YYYY-MM-DD"):
        parse_bytes(content)


def test_non_numeric_index_raises():
    content = edited(PAGE1, lambda d: d["data"][0]["evaluations"].update(artificial_analysis_coding_index="n/e"))
    with pytest.raises(ParseError, match="artificial_analysis_coding_index' holds non-numeric"):
        parse_bytes(content)


def test_duplicate_id_raises():
    content = edited(PAGE1, lambda d: d["data"].append(d["data"][0]))
    with pytest.raises(ParseError, match="appears twice"):
        parse_bytes(content)


# --------------------------------------------------------------------------------------------------------------
# fetch: paging, the key, the skip
# --------------------------------------------------------------------------------------------------------------


def api_pages(n: int = 3) -> dict[int, bytes]:
    """The fixture's rows split over ``n`` pages; page 1 is the fixture file itself, byte for byte."""
    doc = json.loads(PAGE1.read_bytes())
    rows = doc["data"]
    pages = {1: PAGE1.read_bytes()}
    size = -(-len(rows) // n)
    for page in range(2, n + 1):
        chunk = rows[(page - 1) * size : page * size]
        pagination = {"page": page, "page_size": 200, "total_pages": n, "has_more": page < n}
        pages[page] = json.dumps({**doc, "pagination": pagination, "data": chunk}, indent=2).encode()
    return pages


class FakeAPI(HTTPAdapter):
    """Answers GET <MODELS_URL>?page=<n> from canned pages and remembers every request it saw."""

    def __init__(self, pages: dict[int, bytes] | None = None, *, answer=None) -> None:
        super().__init__()
        self.pages = pages or {}
        self.answer = answer  # optional callable(page) -> bytes, overrides ``pages``
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.requests.append(request)
        url = urlsplit(request.url)
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        body = self.answer(page) if self.answer else self.pages.get(page)
        status = 200 if body is not None else 404
        body = body if body is not None else b'{"error":"not found"}'
        resp = requests.Response()
        resp.status_code = status
        resp.headers = CaseInsensitiveDict({"content-type": "application/json", "content-length": str(len(body))})
        resp.url = request.url
        resp.request = request
        resp.raw = _Body(body)
        resp.encoding = "utf-8"
        return resp


class _Body:
    """Just enough of a urllib3 response for requests' streaming reads."""

    def __init__(self, content: bytes) -> None:
        self._content, self._pos = content, 0

    def read(self, amt: int | None = None, **_: object) -> bytes:
        end = len(self._content) if amt is None else self._pos + amt
        chunk, self._pos = self._content[self._pos : end], min(end, len(self._content))
        return chunk

    def close(self) -> None:
        pass


def fake_session(adapter: FakeAPI) -> requests.Session:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def test_fetch_follows_pages_until_has_more_is_false(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(aa.API_KEY_ENV, API_KEY)
    pages = api_pages(3)
    api = FakeAPI(pages)
    store = RawStore(tmp_path / "raw")
    with caplog.at_level(logging.DEBUG):
        files = aa.fetch(fake_session(api), store, "2026-06-27")

    assert [f.meta.file for f in files] == ["models.page-1.json", "models.page-2.json", "models.page-3.json"]
    assert [f.meta.params for f in files] == [{"page": 1}, {"page": 2}, {"page": 3}]
    assert [f.content for f in files] == [pages[1], pages[2], pages[3]]
    assert store.files(aa.NAME, "2026-06-27") == sorted(f.meta.file for f in files)
    assert all(f.meta.url == aa.MODELS_URL for f in files)

    assert len(api.requests) == 3  # stopped at has_more == false
    for n, request in enumerate(api.requests, start=1):
        assert urlsplit(request.url)._replace(query="").geturl() == aa.MODELS_URL
        assert parse_qs(urlsplit(request.url).query) == {"page": [str(n)]}
        assert request.headers["x-api-key"] == API_KEY
        assert API_KEY not in request.url

    stored = list((tmp_path / "raw").rglob("*"))
    metas = [p for p in stored if p.name.endswith(".meta.json")]
    assert len(metas) == 3
    for path in stored:
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), f"API key leaked into {path}"
    for path in metas:  # each page's own metadata records its page number, and no request header
        meta = json.loads(path.read_text())
        assert meta["file"] == path.name.removesuffix(".meta.json")
        assert meta["params"] == {"page": int(meta["file"].split("-")[1].split(".")[0])}
        assert "x-api-key" not in {k.lower() for k in meta["headers"]}
    assert API_KEY not in caplog.text

    # All pages parse (page 1 is the fixture; pages 2 and 3 reuse its rows 6-10 and 11-13).
    parsed = [aa.parse(f.content, f.meta) for f in files]
    assert [t.num_rows for t in parsed] == [13, 5, 3]


def test_fetch_reuses_stored_pages(tmp_path, monkeypatch):
    monkeypatch.setenv(aa.API_KEY_ENV, API_KEY)
    store = RawStore(tmp_path / "raw")
    aa.fetch(fake_session(FakeAPI(api_pages(2))), store, "2026-06-27")
    again = FakeAPI(api_pages(2))
    files = aa.fetch(fake_session(again), store, "2026-06-27")
    assert len(files) == 2
    assert again.requests == []  # raw files are immutable; nothing was downloaded twice


def test_fetch_older_unpaginated_answer_is_one_page(tmp_path, monkeypatch):
    monkeypatch.setenv(aa.API_KEY_ENV, API_KEY)
    api = FakeAPI({1: LEGACY.read_bytes()})
    files = aa.fetch(fake_session(api), RawStore(tmp_path / "raw"), "2026-06-27")
    assert [f.meta.file for f in files] == ["models.page-1.json"]
    assert len(api.requests) == 1


def test_fetch_stops_at_the_page_cap(tmp_path, monkeypatch):
    monkeypatch.setenv(aa.API_KEY_ENV, API_KEY)

    def endless(page: int) -> bytes:
        pagination = {"page": page, "page_size": 1, "total_pages": 10_000, "has_more": True}
        return json.dumps({"tier": "free", "pagination": pagination, "data": []}).encode()

    api = FakeAPI(answer=endless)
    with pytest.raises(ParseError, match=f"still reports has_more after {aa.MAX_PAGES} pages"):
        aa.fetch(fake_session(api), RawStore(tmp_path / "raw"), "2026-06-27")
    assert len(api.requests) == aa.MAX_PAGES


def test_fetch_refuses_an_api_that_ignores_the_page_parameter(tmp_path, monkeypatch):
    monkeypatch.setenv(aa.API_KEY_ENV, API_KEY)
    api = FakeAPI(answer=lambda page: PAGE1.read_bytes())  # always page 1, has_more true
    with pytest.raises(ParseError, match=r"asked .* for page=2 and got page 1"):
        aa.fetch(fake_session(api), RawStore(tmp_path / "raw"), "2026-06-27")
    assert len(api.requests) == 2


@pytest.mark.parametrize("value", [None, "", "   "])
def test_fetch_without_key_skips_and_logs_once(tmp_path, monkeypatch, caplog, value):
    if value is None:
        monkeypatch.delenv(aa.API_KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(aa.API_KEY_ENV, value)
    api = FakeAPI(api_pages(3))
    store = RawStore(tmp_path / "raw")
    with caplog.at_level(logging.INFO, logger=aa.__name__):
        assert aa.fetch(fake_session(api), store, "2026-06-27") == []
    assert api.requests == []
    records = [r for r in caplog.records if r.name == aa.__name__]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "skipped" in records[0].getMessage()
    assert "ARTIFICIAL_ANALYSIS_API_KEY is not set" in records[0].getMessage()
    assert store.files(aa.NAME, "2026-06-27") == []


def test_module_constants():
    assert aa.BASE_URL == "https://artificialanalysis.ai/api/v2"
    assert aa.MODELS_PATH == "/data/llms/models"
    assert aa.MODELS_URL == "https://artificialanalysis.ai/api/v2/data/llms/models"
    assert "https://artificialanalysis.ai" in aa.ATTRIBUTION
    assert aa.KEY == ("aa_id",)
    assert aa.SCHEMA.names[-4:] == ["source", "source_url", "retrieved_at", "raw_sha256"]
