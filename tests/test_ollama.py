"""The Ollama library page, scraped by its x-test-* attributes (FORMATS.md section 7)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_parsers import make_meta

from conftest import ARCHIVE, CAPTURES, needs_captures
from extractors import ollama
from extractors.base import drift_of
from extractors.raw_store import RawStore
from opengap.errors import ParseError

LIBRARY = RawStore(ARCHIVE / "raw").read("ollama", "2025-08-03", "library.html")


def test_the_shipped_page_gives_one_row_per_card_in_popularity_order() -> None:
    table = ollama.parse(LIBRARY.content, LIBRARY.meta)
    assert table.schema == ollama.SCHEMA and drift_of(table) == {}
    rows = {r["model"]: r for r in table.to_pylist()}
    assert list(rows)[:4] == ["deepseek-r1", "gemma3n", "gemma3", "qwen3"] and len(rows) == 12
    r1 = rows["deepseek-r1"]
    assert (r1["popularity_rank"], r1["pulls"], r1["pulls_precision"], r1["tag_count"]) == (1, 55_700_000, 100_000, 35)
    assert r1["capabilities"] == "tools,thinking" and r1["sizes"] == "1.5b,7b,8b,14b,32b,70b,671b"
    # "1 month ago" on the retrieval day 2025-08-03: about 2025-07-04, to the month.
    assert (r1["updated_text"], r1["updated_approx"], r1["updated_precision"]) == (
        "1 month ago",
        dt.date(2025, 7, 4),
        "month",
    )
    assert r1["description"].startswith("DeepSeek-R1 is a family of open reasoning models")
    assert rows["gemma3n"]["capabilities"] is None and rows["gemma3n"]["pulls"] == 275_500
    assert table["source_url"][0].as_py() == "https://ollama.com/library"


@pytest.mark.parametrize(
    ("text", "value"),
    [("55.7M", (55_700_000, 100_000)), ("221K", (221_000, 1_000)), ("18.9K", (18_900, 100)), ("950", (950, 1))],
)
def test_pull_counts(text: str, value: tuple[int, int]) -> None:
    assert ollama.pull_count(text) == value


def test_relative_update_times() -> None:
    day = dt.date(2025, 8, 3)
    assert ollama.updated_on("2 weeks ago", day) == (dt.date(2025, 7, 20), "week")
    assert ollama.updated_on("yesterday", day) == (dt.date(2025, 8, 2), "day")
    assert ollama.updated_on("5 hours ago", day) == (day, "day")
    assert ollama.updated_on("a year ago", day) == (dt.date(2024, 8, 3), "year")
    with pytest.raises(ValueError, match="is not 'N <unit>s ago'"):
        ollama.updated_on("soon", day)


def test_a_page_without_cards_or_with_a_changed_card_is_a_parse_error() -> None:
    error_page = b"<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
    with pytest.raises(ParseError, match=r"has no li\[x-test-model\] nor \[x-test-model-name\] element"):
        ollama.parse(error_page, make_meta("ollama", "library.html", error_page))
    no_pulls = LIBRARY.content.replace(b"x-test-pull-count", b"data-pulls", 1)
    with pytest.raises(ParseError, match=r"model 1 \(deepseek-r1\): no \[x-test-pull-count\]"):
        ollama.parse(no_pulls, make_meta("ollama", "library.html", no_pulls))


def test_the_library_links_to_the_other_sources(tables_for) -> None:
    tables = tables_for("2026-10-02")
    assert "ollama_models" not in tables  # tables_for builds LMArena and Epoch only
    from extractors import registry
    from transforms.build import build_snapshot

    rows = ollama.parse(LIBRARY.content, LIBRARY.meta).to_pandas()
    snapshot = build_snapshot({"ollama": rows}, dt.date(2026, 10, 2), {"ollama": "2025-08-03"})
    library = {r["model"]: r for r in snapshot["ollama_models"].to_pylist()}
    # A hint alone never fixes a tier: without a registry or leaderboard the library's models stay unknown.
    assert {r["openness_tier"] for r in library.values()} == {"unknown"}
    assert library["deepseek-r1"]["canonical_key"] == "deepseek-r1"
    assert registry.get("ollama").as_of.kind == "current_state"


@needs_captures
def test_the_captured_library_pages() -> None:
    for name, models in [("sort-most-popular", 176), ("sort-newest", 176)]:
        path = CAPTURES / "ollama" / f"ollama_library_{name}_2025-08-03.html"
        content = path.read_bytes()
        table = ollama.parse(content, make_meta("ollama", path.name, content))
        assert table.num_rows == models and drift_of(table) == {}
        assert table["pulls"].null_count == 0 and min(table["pulls"].to_pylist()) > 0


def test_fetch_stores_both_listings_and_each_tracked_page_and_refuses_anything_but_html(tmp_path, monkeypatch) -> None:
    from conftest import fake_session
    from opengap.errors import FinalFetchError

    monkeypatch.setattr(ollama, "families", lambda: {"deepseek-r1": ("deepseek-ai", "DeepSeek-R1")})
    session, adapter = fake_session(LIBRARY.content, headers={"Content-Type": "text/html; charset=utf-8"})
    stored = ollama.fetch(session, RawStore(tmp_path), "2026-11-30")
    assert [f.meta.file for f in stored] == ["library.html", "library.newest.html", "model.deepseek-r1.html"]
    assert [r.url for r in adapter.requests] == [
        "https://ollama.com/library?sort=most-popular",
        "https://ollama.com/library?sort=newest",
        "https://ollama.com/library/deepseek-r1",
    ]
    session, _ = fake_session(b'{"error": "maintenance"}', headers={"Content-Type": "application/json"})
    with pytest.raises(FinalFetchError, match="no HTML page"):
        ollama.fetch(session, RawStore(tmp_path / "other"), "2026-11-30")
    assert not RawStore(tmp_path / "other").files("ollama", "2026-11-30")


def test_a_model_page_and_the_newest_listing_complete_the_popular_listing() -> None:
    from flows.snapshot import RawInput, load_parsed

    store = RawStore(ARCHIVE / "raw")
    page = store.read("ollama", "2025-08-03", "model.magistral.html")
    (magistral,) = ollama.parse(page.content, page.meta).to_pylist()
    assert (magistral["pulls"], magistral["sizes"], magistral["licence_text"]) == (221_000, "24b", "Apache 2.0 License")
    assert magistral["description"] == "Magistral is a small, efficient reasoning model with 24B parameters."
    newest = ollama.parse(*(lambda r: (r.content, r.meta))(store.read("ollama", "2025-08-03", "library.newest.html")))
    first = newest.to_pylist()[0]
    assert (first["model"], first["newest_rank"], first["popularity_rank"]) == ("qwen3-coder", 1, None)
    # The exact update time sits in the title around the relative text ("Aug 1, 2025 4:40 AM UTC").
    assert (
        first["updated_at"] == dt.datetime(2025, 8, 1, 4, 40, tzinfo=dt.UTC) and first["updated_text"] == "2 days ago"
    )
    rows = {r["model"]: r for r in load_parsed(RawInput("ollama", str(store.root), "2025-08-03")).to_dict("records")}
    assert len(rows) == 13  # the 12 most popular, and magistral from its own page
    assert (rows["gemma3n"]["popularity_rank"], rows["gemma3n"]["newest_rank"]) == (2, 3)
    assert rows["deepseek-r1"]["newest_rank"] is None or pd.isna(rows["deepseek-r1"]["newest_rank"])
    assert pd.isna(rows["magistral"]["popularity_rank"]) and rows["magistral"]["newest_rank"] == 4
    assert rows["magistral"]["source_url"] == "https://ollama.com/library/magistral"


@needs_captures
def test_every_curated_family_quote_is_on_the_captured_library_page() -> None:
    """The fact-check of data/ollama_families.csv: each row's quoted description is the library's own text."""
    import re

    from extractors.raw_store import RawMeta

    path = CAPTURES / "ollama" / "ollama_library_sort-most-popular_2025-08-03.html"
    content = path.read_bytes()
    meta = RawMeta("ollama", path.name, ollama.LIBRARY_URL, "2025-08-03T00:00:00Z", "x", len(content))
    described = {r["model"]: r["description"] for r in ollama.parse(content, meta).to_pylist()}
    rows = ollama.reviewed_rows(ollama.FAMILIES_FILE)
    checked = 0
    for row in rows:
        assert row["model"] in described, row["model"]  # every curated name is on the page
        quoted = re.search(r'"([^"]+)"', row["reason"])
        if quoted:
            assert quoted.group(1) in described[row["model"]].replace("\u2019", "'"), row["model"]
            checked += 1
    assert len(rows) == 40 and checked == 39  # gemma3's card has no description naming Google: its sizes do


def test_library_rows_carry_the_curated_organization_and_family() -> None:
    rows = {r["model"]: r for r in ollama.parse(LIBRARY.content, LIBRARY.meta).to_pylist()}
    assert (rows["llama3.1"]["organization"], rows["llama3.1"]["family"]) == ("meta-llama", "Llama 3.x")
    assert (rows["deepseek-r1"]["organization"], rows["deepseek-r1"]["family"]) == ("deepseek-ai", "DeepSeek-R1")
    assert rows["llava"]["organization"] is None  # not a tracked organization's model: counted for none
