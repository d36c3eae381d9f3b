"""The nightly Prefect flow end to end, in offline replay of the shipped archive (one Prefect harness)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import ARCHIVE
from flows.nightly import nightly
from opengap.errors import ValidationFailed
from transforms import openness
from warehouse.catalog import connect
from warehouse.layout import Layout
from warehouse.publish import load_manifest, read_latest

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_offline_replay_publishes_a_snapshot_that_answers_the_question(tmp_path):
    result = nightly(offline=True, raw_archive=str(ARCHIVE), data_dir=str(tmp_path))
    layout = Layout(tmp_path)
    assert result.published and result.snapshot_date == "2026-10-02"
    manifest = load_manifest(layout)
    assert manifest["mode"] == "replay" and manifest["validation"]["success"] is True
    assert {n: t["rows"] for n, t in manifest["tables"].items()} == {
        "epoch_models": 307,  # the registry files were retrieved before the snapshot date: as_retrieved
        "leaderboard_scores": 54,
        "aa_models": 13,
        "models": 345,  # one row per canonical model named by any of the sources
        "open_closed_gap": 3,  # LMArena text and text_style_control, Artificial Analysis intelligence index
        "openrouter_models": 17,
        "open_llm_leaderboard": 21,
        "ollama_models": 13,  # the shipped library page's 12 most popular cards, and magistral from its own page
        "open_adoption": 6,  # the Hub's Qwen, meta-llama, nvidia; Ollama's deepseek-ai, google, mistralai too
        "family_adoption": 9,  # the Ollama names of 9 families (DeepSeek-R1, Llama 3.x, …) and the Hub's bases
        "hub_models": 8,  # three tracked organizations' text-generation repos (the fixture's Nov-2024 capture)
        "hub_children": 5,  # the family bases' children in the archive's two listing days (2024-03-14, 2024-11-30)
        "hub_derivatives": 5,  # those children per base and relation (no live childrenModelCount in the capture)
        "cited_rounds": 36,  # extractors/data/funding_rounds.csv, each round checked against its source
        "funding_rounds": 36,  # the cited rounds (the archive holds no Form D of a tracked entity)
        "companies": 20,  # 14 companies, 6 of them in two stance periods (closed, then mixed)
        "funding_by_openness_year": 11,  # 2022-2025 x open, closed, mixed, unclassified (where any)
        "funding_comparison": 2,  # CB Insights' open and closed figures
        "claims_check": 4,  # those two, and two DeepSeek-R1 counts with no data in the archive
        "openness_evidence": 328,
        "openness_conflicts": 3,  # dated curated overrides correcting Epoch (Grok-2, Phi-4-mini, Phi-4-multimodal)
        "unmatched_names": 51,  # 11 Ollama family names (llama3.1, qwen2.5, …) name no single model
        "model_identities": 368,  # every source's names (OpenRouter's routers are not models), less repeats
    }
    # The marts as CSV beside the dictionary, moved in with the snapshot.
    exports = set(manifest["exports"])
    assert {"exports/2026-10-02/open_closed_gap.csv", "exports/2026-10-02/data-dictionary.md"} <= exports
    assert len(exports) == 11  # ten marts and the dictionary
    # The report people look at, named by its manifest and written once the snapshot is published.
    assert manifest["report"] == "reports/2026-10-02.html" and (tmp_path / manifest["report"]).is_file()
    gap_csv = (tmp_path / "exports" / "2026-10-02" / "open_closed_gap.csv").read_text().splitlines()
    assert len(gap_csv) == 1 + 3 and gap_csv[0].startswith('"board","category"')
    lm = manifest["sources"]["lmarena"]
    assert lm["raw_date"] == "2026-10-02" and lm["license"] == "CC-BY-4.0"
    assert {f["file"] for f in lm["files"]} == {"text.full.rows.json", "text_style_control.full.rows.json"}
    assert manifest["leaderboard_publish_dates"] == {
        "text": "2026-10-02",
        "text_style_control": "2026-10-02",
        "artificial_analysis": "2026-06-27",  # no publication date: the retrieval date stands in
    }
    assert set(manifest["as_of"]) == set(manifest["tables"])  # the as-of rule is stated per table
    assert manifest["identity"] == {
        "models": 345,
        "models_in_two_or_more_sources": 18,  # Ollama joins deepseek-r1 and llava; the Hub, Llama 3.2 1B and 3B
        "unmatched_names": {"artificial_analysis": 5, "lmarena": 32, "ollama": 11, "openrouter": 3},
    }
    assert manifest["inputs_fingerprint"]
    assert manifest["openness_rule_version"].startswith(f"{openness.RULE_GENERATION}.")
    assert (tmp_path / manifest["validation"]["docs_index"]).is_file()

    # The question of the issue, asked in DuckDB: best open model on LMArena and its distance to the best closed.
    con = connect(layout, layout.catalog_path, read_only=True)
    best_open = con.execute(
        """
        SELECT model_name, rank, rating FROM leaderboard_scores_latest
        WHERE board = 'text' AND category = 'overall' AND openness = 'open' ORDER BY rank LIMIT 1
        """
    ).fetchone()
    best_closed = con.execute(
        """
        SELECT model_name, rank, rating FROM leaderboard_scores_latest
        WHERE board = 'text' AND category = 'overall' AND openness = 'closed' ORDER BY rank LIMIT 1
        """
    ).fetchone()
    gap = con.execute("SELECT score_gap FROM open_closed_gap_latest WHERE board = 'text'").fetchone()[0]
    provenance = con.execute(
        "SELECT DISTINCT source, raw_sha256 FROM leaderboard_scores_latest WHERE board = 'text'"
    ).fetchall()
    # "How many of the top models are open?", on both boards at once, from the one models dimension.
    top10 = con.execute(
        """
        SELECT count(*) FILTER (WHERE lmarena_text_rank <= 10),
               count(*) FILTER (WHERE lmarena_text_rank <= 10 AND openness = 'open'),
               count(*) FILTER (WHERE aa_intelligence_rank <= 10),
               count(*) FILTER (WHERE aa_intelligence_rank <= 10 AND openness = 'open'),
               count(*) FILTER (WHERE lmarena_text_rank IS NOT NULL AND aa_intelligence_rank IS NOT NULL)
        FROM models_latest
        """
    ).fetchone()
    # The README's adoption questions, run as written (DeepSeek-R1's children are not in the archive: Llama 3.x's
    # three children from the Nov-2024 listing answer instead).
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", readme, re.S)
    counts, growth = [q for q in blocks if "hub_" in q]
    (money,) = [q for q in blocks if "funding_by_openness_year" in q]
    yearly, compared = (con.execute(q).fetchall() for q in money.strip().split(";\n\n"))
    assert (2024, "mixed", 12.0, 2, 2, 1) in yearly  # xAI's Series B and C
    assert [(s, cb, ours) for s, cb, ours, *_ in compared] == [("closed", 37.5, 31.3), ("open", 14.9, 3.1)]
    assert con.execute(counts).fetchall() == []
    llama = [con.execute(q.replace("'DeepSeek-R1'", "'Llama 3.x'")).fetchall() for q in (counts, growth)]
    assert llama[0] == [("finetune", "reconstructed_from_created_at", 3)]
    assert [(m.strftime("%Y-%m"), r, n) for m, r, n in llama[1]] == [
        ("2024-07", "finetune", 1),  # meta-llama/Llama-3.1-8B-Instruct, a child of Llama-3.1-8B
        ("2024-10", "finetune", 2),
        ("2024-11", "finetune", 3),
    ]
    con.close()
    # Effort settings are one model: LMArena's top 10 names are 7 models (claude-opus-4-6 and -high, ...), AA's
    # #1 and #6 are Gemini 3.5 Flash. One model (Grok 4.20 0309, by a curated alias) is on both boards.
    assert top10 == (7, 0, 9, 3, 1)
    assert best_open[:2] == ("deepseek-v4.1-flash-max", 37)
    assert best_closed[:2] == ("gemini-4-argon-high", 1)
    assert gap == pytest.approx(best_closed[2] - best_open[2]) == pytest.approx(71.0088, abs=1e-3)
    assert provenance == [("lmarena", manifest["sources"]["lmarena"]["files"][0]["sha256"])]


def test_rerun_same_date_same_raw_gives_identical_files(tmp_path):
    first = nightly(offline=True, raw_archive=str(ARCHIVE), data_dir=str(tmp_path), sources=["lmarena"], docs=False)
    digest = {n: t["sha256"] for n, t in load_manifest(Layout(tmp_path))["tables"].items()}
    second = nightly(offline=True, raw_archive=str(ARCHIVE), data_dir=str(tmp_path), sources=["lmarena"], docs=False)
    assert first.run_id != second.run_id
    assert {n: t["sha256"] for n, t in load_manifest(Layout(tmp_path))["tables"].items()} == digest


def test_blocking_expectation_quarantines_in_the_flow(tmp_path, monkeypatch):
    from expectations import validate

    suites = tmp_path / "suites"
    shutil.copytree(validate.SUITES_DIR, suites)
    suite = json.loads((suites / "models.json").read_text())
    suite["expectations"][0]["kwargs"]["min_value"] = 1_000_000  # an impossible row-count floor
    (suites / "models.json").write_text(json.dumps(suite))
    monkeypatch.setattr(validate, "SUITES_DIR", suites)
    data = tmp_path / "data"
    with pytest.raises(ValidationFailed, match="quarantined"):
        nightly(offline=True, raw_archive=str(ARCHIVE), data_dir=str(data), sources=["lmarena"], docs=False)
    layout = Layout(data)
    assert read_latest(layout) is None
    quarantined = list((data / "quarantine" / "2026-10-02").iterdir())
    assert len(quarantined) == 1
    report = json.loads((quarantined[0] / "manifest.json").read_text())["validation"]
    assert [f["table"] for f in report["blocking"]] == ["models"]
