"""Column drift: a column a source adds, or an optional one it drops, is recorded per raw file, not ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_parsers import make_meta, rewrite_csv

from conftest import ARCHIVE, CAPTURES, needs_captures
from extractors import epoch, lmarena, openrouter, registry
from extractors.base import Columns, drift_of
from extractors.raw_store import RawStore
from flows.snapshot import RawInput, make_snapshot
from opengap.errors import ParseError

STORE = RawStore(ARCHIVE / "raw")
# Every captured format a parser reads (the LMArena agent board is a different table: score, not rating).
CAPTURED = {
    "epoch": "epoch/*.csv",
    "lmarena": "lmarena_dataset/ukitako1030_[tw]*.rows.json",
    "lmarena_legacy": "lmarena/hfspace_leaderboard_table_*.csv",
    "open_llm_leaderboard": "open_llm_leaderboard/*.csv",
    "openrouter": "openrouter/*.json",
    "artificial_analysis": "artificial_analysis/aa_api_v2_*.json",
}


def test_contract_check() -> None:
    contract = Columns(required=("a",), optional=("b", "c"), known=("d",))
    meta = make_meta("toy", "toy.csv", b"")
    assert contract.check(["a", "b", "c", "d"], meta) == {}
    assert contract.check(["", "a", "c", "e", "f"], meta) == {"new": ["e", "f"], "missing_optional": ["b"]}
    with pytest.raises(ParseError, match=r"toy file toy.csv .* lacks required column\(s\) a;"):
        contract.check(["b"], meta)


def test_the_shipped_archive_has_no_drift() -> None:
    checked = 0
    for source in registry.nightly():
        declared = registry.get(source)
        for day in STORE.dates(source):
            for raw in STORE.read_all(source, day):
                if declared.data_file(raw.meta):
                    assert drift_of(declared.parse(raw.content, raw.meta)) == {}, (source, raw.meta.file)
                    checked += 1
    # Two LMArena boards, two Epoch datasets, three Hub organizations, five Hub child listings (two dates), three
    # Ollama pages (two listings, a model page), one file each for the other four (the cited funding rounds).
    assert checked == 19


@needs_captures
@pytest.mark.parametrize("source", sorted(CAPTURED))
def test_every_captured_format_is_covered_by_its_contract(source: str) -> None:
    paths = sorted(CAPTURES.glob(CAPTURED[source]))
    assert paths
    for path in paths:
        content = path.read_bytes()
        params = {"config": lmarena.board_of(make_meta(source, path.name, b""))} if source == "lmarena" else None
        table = registry.get(source).parse(content, make_meta(source, path.name, content, params=params))
        assert drift_of(table) == {}, path.name


def _lmarena_with_drift() -> tuple[bytes, list[dict]]:
    raw = STORE.read("lmarena", "2026-10-02", "text.full.rows.json")
    rows = json.loads(raw.content)
    drifted = [{**{k: v for k, v in r.items() if k != "variance"}, "session_count": 12} for r in rows]
    return json.dumps(drifted).encode(), rows


def test_lmarena_new_and_missing_optional_columns_are_drift_and_the_rest_still_parses() -> None:
    content, original = _lmarena_with_drift()
    table = lmarena.parse(content, make_meta("lmarena", "text.full.rows.json", content))
    assert drift_of(table) == {"new": ["session_count"], "missing_optional": ["variance"]}
    assert "session_count" not in table.column_names and set(table.column("variance").to_pylist()) == {None}
    assert sorted(table.column("rating").to_pylist()) == sorted(r["rating"] for r in original)


def test_epoch_and_openrouter_drift() -> None:
    raw = STORE.read("epoch", "2025-05-20", "notable_ai_models.csv")
    content = rewrite_csv(raw.content, drop="Link", rename=("Abstract", "Summary"))
    table = epoch.parse(content, make_meta("epoch", raw.meta.file, content, params=raw.meta.params))
    assert drift_of(table) == {"new": ["Summary"], "missing_optional": ["Link"]}
    assert table.num_rows == epoch.parse(raw.content, raw.meta).num_rows

    raw = STORE.read("openrouter", "2026-02-27", "models.json")
    doc = json.loads(raw.content)
    doc["data"][0]["openness"] = {"weights": "open"}
    content = json.dumps(doc).encode()
    assert drift_of(openrouter.parse(content, make_meta("openrouter", "models.json", content))) == {"new": ["openness"]}


def test_drift_is_recorded_per_file_in_the_manifest(tmp_path: Path) -> None:
    store = RawStore(tmp_path / "raw")
    content, _ = _lmarena_with_drift()
    store.write(
        "lmarena",
        "2026-10-02",
        "text.full.rows.json",
        content,
        url="https://example.invalid/text",
        params={"config": "text"},
    )
    style = STORE.read("lmarena", "2026-10-02", "text_style_control.full.rows.json")
    store.write("lmarena", "2026-10-02", style.meta.file, style.content, url=style.meta.url, params=style.meta.params)
    outcome = make_snapshot(
        [RawInput("lmarena", str(store.root), "2026-10-02")],
        "2026-10-02",
        str(tmp_path / "data"),
        "replay",
        docs=False,
    )
    assert outcome.published
    manifest = json.loads((tmp_path / "data" / "manifests" / "2026-10-02.json").read_text())
    files = {f["file"]: f for f in manifest["sources"]["lmarena"]["files"]}
    assert files["text.full.rows.json"]["drift"] == {"new": ["session_count"], "missing_optional": ["variance"]}
    assert "drift" not in files["text_style_control.full.rows.json"]
