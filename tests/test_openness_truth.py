"""The truth suite: expected tags of well-known models on two dates, each with a public source
(tests/data/openness_truth.csv), checked through the full pipeline on the shipped archive."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from conftest import ARCHIVE
from extractors import registry
from extractors.raw_store import RawStore
from flows.snapshot import RawInput, load_parsed
from transforms.build import build_snapshot

TRUTH = Path(__file__).parent / "data" / "openness_truth.csv"
ROWS = list(csv.DictReader(TRUTH.open(encoding="utf-8")))


@pytest.fixture(scope="module")
def models_on() -> dict[str, dict[str, dict]]:
    store, parsed, raw_dates = RawStore(ARCHIVE / "raw"), {}, {}
    for source in [s for s in registry.nightly() if store.dates(s)]:  # SEC Form D: no archived filing
        day = store.dates(source)[-1]
        parsed[source], raw_dates[source] = load_parsed(RawInput(source, str(store.root), day)), day
    found = {}
    for day in sorted({r["snapshot_date"] for r in ROWS}):
        models = build_snapshot(parsed, dt.date.fromisoformat(day), raw_dates)["models"].to_pylist()
        found[day] = {m["canonical_key"]: m for m in models}
    return found


def test_the_truth_file_is_sourced_and_broad() -> None:
    assert len(ROWS) >= 40
    assert all(r["source_url"].startswith("http") and r["evidence"] for r in ROWS)
    organizations = {r["canonical_key"].split("-")[0] for r in ROWS}
    assert {"llama", "gemma", "mistral", "deepseek", "qwen2", "phi", "grok", "aya", "glm", "gpt", "claude"} <= (
        organizations
    )


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['snapshot_date']}:{r['canonical_key']}" for r in ROWS])
def test_expected_tier(models_on, row) -> None:
    model = models_on[row["snapshot_date"]].get(row["canonical_key"])
    assert model is not None, f"{row['canonical_key']} is not in the {row['snapshot_date']} snapshot"
    assert model["openness_tier"] == row["expected_tier"], model["openness_evidence"]
    if row["effective_from"]:
        assert model["open_weights_since"] == dt.date.fromisoformat(row["effective_from"])


def test_openness_changes_on_the_date_the_weights_appear(models_on) -> None:
    before, after = models_on["2025-02-04"]["grok-2"], models_on["2026-10-02"]["grok-2"]
    assert (before["openness"], before["openness_tier"], before["open_weights_since"]) == ("closed", "api_access", None)
    assert (after["openness"], after["open_weights_since"]) == ("open", dt.date(2025, 8, 23))


def test_an_unknown_tier_in_any_board_top10_blocks_the_snapshot(tables_for) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from expectations.validate import validate_tables

    gap = tables_for("2026-10-02")["open_closed_gap"]
    assert pc.max(gap["unknown_in_top10"]).as_py() == 0
    broken = gap.set_column(
        gap.schema.get_field_index("unknown_in_top10"),
        "unknown_in_top10",
        pa.array([1] + [0] * (gap.num_rows - 1), pa.int64()),
    )
    report = validate_tables({"open_closed_gap": broken})
    assert [(f.column, f.unexpected_count) for f in report.blocking] == [("unknown_in_top10", 1)]


def test_every_claim_says_when_it_was_observed(tables_for) -> None:
    evidence = {
        (r["canonical_key"], r["evidence_source"]): r for r in tables_for("2026-10-02")["openness_evidence"].to_pylist()
    }
    grok = evidence[("grok-2", "curated_override")]
    assert (grok["tier"], grok["observed_on"]) == ("open_weights_restricted", dt.date(2025, 8, 23))
    # A leaderboard licence is dated by the newest board that stated it, not by the day the file was fetched.
    licence = evidence[("deepseek-v3-0324", "lmarena_license")]
    assert (licence["raw_value"], licence["observed_on"]) == ("MIT", dt.date(2025, 5, 19))
    assert licence["retrieved_at"].date() == dt.date(2026, 10, 8)
    registry_claim = evidence[("grok-2", "epoch_accessibility")]
    assert registry_claim["observed_on"] == registry_claim["retrieved_at"].date() == dt.date(2025, 5, 20)


@pytest.mark.parametrize(
    ("key", "licence", "tier"),
    [
        ("chatglm2-6b", "Apache-2.0", "open_weights_restricted"),  # the code's licence; the weights need registration
        ("chatglm3-6b", "Apache-2.0", "open_weights_restricted"),
        ("stable-diffusion-v35-large", "Open", "open_weights_restricted"),  # Stability Community License
    ],
)
def test_a_code_licence_on_the_board_does_not_decide_the_weights_tier(key: str, licence: str, tier: str) -> None:
    import pandas as pd

    from conftest import linker_for

    linker = linker_for(pd.DataFrame(columns=["epoch_dataset", "model", "publication_date", "model_accessibility"]))
    row = {"source": "lmarena", "source_url": "u", "retrieved_at": dt.datetime(2025, 8, 4), "raw_sha256": "s"}
    link = linker.link("lmarena", key, key, row, licence_raw=licence)
    verdict = linker.pools.verdict(link.canonical_key)
    assert (verdict.tier, verdict.source, verdict.conflict) == (tier, "curated_override", False)
