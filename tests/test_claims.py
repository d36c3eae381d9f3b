"""The claims check: each published claim next to what the data says on the claim's own date (rebuilt from the
same parsed rows), or the snapshot's own measurement where a source cannot speak for that date."""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pytest

from conftest import ARCHIVE
from extractors import registry
from flows.snapshot import RawInput, load_parsed
from opengap.errors import OpengapError
from transforms import claims, curated
from transforms.build import build_snapshot

SNAPSHOT = dt.date(2026, 10, 2)


@pytest.fixture(scope="module")
def archive() -> tuple[dict, dict]:
    """Every source of the shipped archive parsed once, with its newest raw date."""
    raw = ARCHIVE / "raw"
    inputs = [
        RawInput(name, str(raw), sorted(p.name for p in (raw / name).iterdir())[-1])
        for name in registry.sources()
        if (raw / name).is_dir()
    ]
    return {i.source: load_parsed(i) for i in inputs}, {i.source: i.raw_date for i in inputs}


def _checked(archive: tuple[dict, dict], on: dt.date = SNAPSHOT) -> pd.DataFrame:
    rows = build_snapshot(*archive[:1], on, archive[1])["claims_check"].to_pandas()
    return rows.set_index(["claim_id", "measured_on"])


def test_every_shipped_claim_quotes_its_figure_from_a_public_source() -> None:
    rows = list(csv.DictReader((curated.DATA_DIR / claims.FILE).open(encoding="utf-8")))
    assert len(rows) == 4
    for row in rows:
        assert row["source_url"].startswith(("https://", "http://")), row["claim_id"]
        value = float(row["claimed_value"])
        figures = {f"{value:.0f}", f"{value:,.0f}", f"${value / 1e9:.1f}B"}
        assert any(f in row["quote"] for f in figures), (row["claim_id"], figures)


def test_the_archive_snapshot_measures_each_claim_or_says_it_has_no_data(archive) -> None:
    checked = _checked(archive)
    closed = checked.loc[("cbinsights_closed_since_2020", "funding_rounds")]
    assert (closed["our_value"], closed["claimed_value"], closed["same_date"]) == (31_275_000_000, 37.5e9, True)
    assert closed["measured_as_of"] == dt.date(2024, 12, 31) and "anthropic" in closed["our_detail"]
    # The archive holds no listing of DeepSeek-R1's children: a row says so rather than a zero.
    wolf = checked.loc[("r1_built_models_2025_01_29", "DeepSeek-R1")]
    assert pd.isna(wolf["our_value"]) and not wolf["same_date"] and pd.isna(wolf["difference"])
    assert wolf["our_detail"] == "no data on DeepSeek-R1 in this snapshot's raw files"
    assert wolf["source"] == "claims.csv" and len(wolf["raw_sha256"]) == 64
    assert len(checked) == 4


def _with(monkeypatch, *extra: dict) -> None:
    shipped = claims.claims()
    rows = [
        {
            "period_from": c["as_of"],
            "period_to": c["as_of"],
            "claim": c["claim_id"],
            "source_url": "https://example.org/claim",
            "source_title": "t",
            "quote": "q",
            "reason": "r",
            **c,
        }
        for c in extra
    ]
    monkeypatch.setattr(claims, "claims", lambda: pd.concat([shipped, pd.DataFrame(rows)], ignore_index=True))


def test_a_board_claim_is_measured_on_every_board_of_its_date_and_its_own_board_nearest(archive, monkeypatch) -> None:
    """Artificial Analysis' stored board is from 2026-06-27, so it cannot say what its top 10 was on 2025-02-02:
    the snapshot's board stands in (same_date false), and the LMArena boards of that date answer for the date."""
    _with(
        monkeypatch,
        {
            "claim_id": "aa_top10",
            "measure": "open_in_top10",
            "subject": "artificial_analysis",
            "as_of": dt.date(2025, 2, 2),
            "claimed_value": 3.0,
            "unit": "models",
        },
        {
            "claim_id": "llama_children",
            "measure": "derivatives",
            "subject": "Llama 3.x",
            "as_of": dt.date(2024, 11, 30),
            "claimed_value": 10.0,
            "unit": "repos",
        },
        {  # made after the snapshot: not checked in it
            "claim_id": "future",
            "measure": "derivatives",
            "subject": "Llama 3.x",
            "as_of": dt.date(2027, 1, 1),
            "claimed_value": 1.0,
            "unit": "repos",
        },
    )
    checked = _checked(archive)
    text = checked.loc[("aa_top10", "text/overall")]
    assert (text["our_value"], text["same_date"], text["measured_as_of"]) == (1, True, dt.date(2025, 1, 5))
    assert text["our_detail"] == "1 of the top 10 open (deepseek-v3); best open: deepseek-v3"
    assert checked.loc[("aa_top10", "text_style_control/overall"), "our_value"] == 2
    aa = checked.loc[("aa_top10", "artificial_analysis/intelligence_index")]
    assert (aa["our_value"], aa["same_date"], aa["measured_as_of"]) == (3, False, dt.date(2026, 6, 27))
    assert "(MiMo-V2.5-Pro, Devstral 2, gpt-oss-20B (low))" in aa["our_detail"]
    llama = checked.loc[("llama_children", "hub_derivatives/reconstructed_from_created_at")]
    assert (llama["our_value"], llama["difference"], llama["same_date"]) == (3, -7, True)
    assert "future" not in checked.index.get_level_values(0)


def test_a_claim_of_an_unknown_measure_is_refused(monkeypatch, tmp_path) -> None:
    text = (curated.DATA_DIR / claims.FILE).read_text(encoding="utf-8").replace(",derivatives,", ",forks,", 1)
    (tmp_path / claims.FILE).write_text(text, encoding="utf-8")
    monkeypatch.setattr(curated, "DATA_DIR", tmp_path)
    monkeypatch.setattr(claims, "DATA_DIR", tmp_path)
    claims.claims.cache_clear()
    try:
        with pytest.raises(OpengapError, match=r"unknown measure\(s\) forks"):
            claims.claims()
    finally:
        claims.claims.cache_clear()
