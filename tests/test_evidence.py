"""Openness from evidence across sources: precedence, conflicts, Hub evidence, the known traps, coverage."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from conftest import ARCHIVE, CAPTURES, linker_for, needs_captures
from expectations.validate import validate_tables
from extractors import registry
from extractors.raw_store import RawMeta, RawStore, sha256_hex
from flows.snapshot import RawInput, load_parsed
from opengap.errors import OpengapError
from transforms import evidence as ev
from transforms.build import build_snapshot
from transforms.models import match_key


@pytest.fixture(scope="module")
def parsed():
    """Every source of the shipped archive (Artificial Analysis: its fixture page, retrieved 2026-06-27)."""
    store, frames, dates = RawStore(ARCHIVE / "raw"), {}, {}
    for source in [s for s in registry.nightly() if store.dates(s)]:  # SEC Form D: no archived filing
        day = store.dates(source)[-1]
        frames[source], dates[source] = load_parsed(RawInput(source, str(store.root), day)), day
    assert set(frames) == {
        "funding_cited",
        "hf_hub_derivatives",
        "lmarena",
        "epoch",
        "artificial_analysis",
        "openrouter",
        "open_llm_leaderboard",
        "hf_hub",
        "ollama",
    }
    return frames, dates


def _rows(table, **where):
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in where.items())]


def test_precedence_and_hub_evidence_without_a_licence():
    hub = ev.from_hub("openai/gpt-oss-120b", None, "weights on the Hugging Face Hub")
    alone = ev.weigh(hub)  # open, but under which terms nobody says
    assert (alone.tier, alone.openness, alone.source) == ("open_weights_licence_unknown", "open", "hugging_face_hub")
    agreeing = ev.weigh(hub + ev.from_licence("Apache 2.0"))
    assert (agreeing.tier, agreeing.source, agreeing.conflict) == (
        "open_weights_unrestricted",
        "hugging_face_hub+lmarena_license",
        False,
    )
    disagreeing = ev.weigh(hub + ev.from_licence("Proprietary"))  # the Hub outranks a leaderboard licence
    assert disagreeing.conflict and disagreeing.tier == "open_weights_licence_unknown"
    with_hub_licence = ev.weigh(ev.from_hub("meta-llama/Llama-3.3-70B-Instruct", "llama3.3", "x"))
    assert (with_hub_licence.tier, with_hub_licence.source) == ("open_weights_restricted", "hugging_face_hub")
    epoch_first = ev.weigh(ev.from_licence("MIT") + ev.from_epoch("API access"))
    assert (epoch_first.tier, epoch_first.source, epoch_first.conflict) == ("api_access", "epoch_accessibility", True)
    assert ev.weigh(ev.from_hint("AA flag", "True", True)).tier == "unknown"  # hints never fix a tier alone


def test_match_keys_strip_effort_and_variants_but_not_product_names():
    assert match_key("gemini-3.5-flash-high") == match_key("Gemini 3.5 Flash") == "gemini-3-5-flash"
    assert match_key("claude-3-7-sonnet-20250219-thinking-32k") == "claude-3-7-sonnet"
    assert match_key("llama-3.3-70b-instruct:free") == "llama-3-3-70b"
    assert match_key("qwen3-max") == "qwen3-max" and match_key("mistral-medium") == "mistral-medium"
    assert match_key("deepseek-coder-v2-0724") == "deepseek-coder-v2-0724"


def test_trap_qwen_max_is_closed_and_the_disagreement_is_kept(parsed):
    frames, dates = parsed
    tables = build_snapshot(frames, dt.date(2025, 1, 5), dates)
    (qwen,) = _rows(tables["models"], canonical_key="qwen-max-0919")
    assert (qwen["openness_tier"], qwen["openness"], qwen["openness_source"]) == (
        "api_access",
        "closed",
        "curated_override",
    )
    (conflict,) = _rows(tables["openness_conflicts"], canonical_key="qwen-max-0919")
    assert conflict["open_evidence"] == "lmarena_license=Qwen"
    assert conflict["closed_evidence"] == "override=api_access"
    assert conflict["decided_by"] == "curated_override"
    claims = {
        (r["evidence_source"], r["raw_value"], r["decisive"])
        for r in _rows(tables["openness_evidence"], canonical_key="qwen-max-0919", subject_source="lmarena")
    }
    assert ("lmarena_license", "Qwen", False) in claims and ("curated_override", qwen_reason(), True) in claims


def qwen_reason() -> str:
    from transforms.openness import overrides

    return overrides()["qwen-max-0919"][0].reason


def test_traps_api_versions_of_open_families_and_mistral_large_2411(parsed):
    frames, dates = parsed
    tables = build_snapshot(frames, dt.date(2026, 10, 2), dates)
    (mistral,) = _rows(tables["openrouter_models"], model_id="mistralai/mistral-large-2411")
    # No hugging_face_id on OpenRouter, yet open weights under the Mistral Research Licence (LMArena: MRL).
    assert mistral["hugging_face_id"] is None
    assert (mistral["openness_tier"], mistral["openness_source"]) == ("open_weights_noncommercial", "lmarena_license")
    assert not _rows(tables["openness_conflicts"], canonical_key="mistral-large-2411")  # absence is not evidence
    llama = _rows(tables["openrouter_models"], model_key="llama-3.3-70b-instruct")
    assert {r["openness_tier"] for r in llama} == {"open_weights_restricted"} and len(llama) == 2  # paid and :free
    # An API-only version of an open family keeps its own key and licence: it never borrows the family's entry.
    linker = linker_for(frames["epoch"])
    row = {"source": "lmarena", "source_url": "u", "retrieved_at": dt.datetime(2026, 1, 1), "raw_sha256": "s"}
    linker.on = dt.date(2024, 7, 30)  # API-only at release; its weights reached the Hub on 2024-09-05
    link = linker.link("lmarena", "deepseek-coder-v2-0724", "deepseek-coder-v2-0724", row, licence_raw="Proprietary")
    assert link.entry is None and linker.pools.verdict(link.canonical_key).tier == "api_access"
    later = linker_for(frames["epoch"])
    later.on = dt.date(2024, 9, 5)
    link = later.link("lmarena", "deepseek-coder-v2-0724", "deepseek-coder-v2-0724", row, licence_raw="Proprietary")
    verdict = later.pools.verdict(link.canonical_key)
    assert (verdict.tier, verdict.open_weights_since) == ("open_weights_restricted", dt.date(2024, 9, 5))


def test_hub_repos_link_sources_and_give_open_weights(parsed):
    frames, dates = parsed
    tables = build_snapshot(frames, dt.date(2026, 10, 2), dates)
    hub = _rows(tables["openness_evidence"], subject_source="openrouter", evidence_source="hugging_face_hub")
    # The Hub licence shows where known: the Open LLM Leaderboard's, or a curated one (data/hub_licences.csv).
    assert {r["raw_value"] for r in hub} >= {
        "openai/gpt-oss-120b (apache-2.0)",
        "CohereForAI/c4ai-command-a-03-2025 (cc-by-nc-4.0)",  # the curated card licence
    }
    (command_a,) = _rows(tables["openrouter_models"], model_id="cohere/command-a")
    assert (command_a["openness_tier"], command_a["openness"]) == ("open_weights_noncommercial", "open")
    oll = tables["open_llm_leaderboard"].to_pylist()
    licensed = [r for r in oll if r["hub_license"] == "apache-2.0"]
    assert licensed and {r["openness_tier"] for r in licensed} == {"open_weights_unrestricted"}
    assert {r["openness_tier"] for r in oll if r["hub_license"] is None} == {"open_weights_licence_unknown"}


def test_unmatched_names_are_kept_and_listed(parsed):
    frames, dates = parsed
    tables = build_snapshot(frames, dt.date(2026, 10, 2), dates)
    unmatched = tables["unmatched_names"].to_pylist()
    lmarena = {r["name"]: r for r in unmatched if r["source"] == "lmarena"}
    assert "gemini-4-argon-high" in lmarena and lmarena["gemini-4-argon-high"]["best_rank"] == 1
    assert "gpt-4o-2024-05-13" not in lmarena  # linked to Epoch's GPT-4o
    models = {r["canonical_key"] for r in tables["models"].to_pylist()}
    assert {r["canonical_key"] for r in lmarena.values()} <= models  # kept in the dimension, not dropped
    # Routers are not models: OpenRouter's openrouter/free is neither in the dimension nor unmatched.
    assert not _rows(tables["unmatched_names"], name="free") and "free" not in models


def test_coverage_checks_pass_on_both_boards_of_the_fixture_snapshot(parsed):
    frames, dates = parsed
    tables = build_snapshot(frames, dt.date(2026, 10, 2), dates)
    report = validate_tables(tables)
    assert report.blocking == []
    aa = {r["name"]: r for r in tables["aa_models"].to_pylist()}
    top10 = [r for r in aa.values() if r["intelligence_rank"] is not None and r["intelligence_rank"] <= 10]
    assert len(top10) == 10 and "unknown" not in {r["openness_tier"] for r in top10}
    # Each resolved by a different route: a Hub repo on OpenRouter with a checked licence, a curated alias to an
    # LMArena name (whose licence then counts), a curated alias to a Hub repo, a curated override with a reason.
    assert (aa["gpt-oss-20B (low)"]["openness_tier"], aa["gpt-oss-20B (low)"]["openness_source"]) == (
        "open_weights_unrestricted",
        "hugging_face_hub",
    )
    assert (aa["Grok 4.20 0309 (Reasoning)"]["canonical_key"], aa["Grok 4.20 0309 (Reasoning)"]["openness_source"]) == (
        "grok-4-20-beta-0309",
        "lmarena_license",
    )
    assert aa["Devstral 2"]["openness_tier"] == "open_weights_restricted"  # Modified MIT, revenue-gated
    assert aa["MiMo-V2.5-Pro"]["openness_tier"] == "open_weights_licence_unknown"  # weights public, licence unsure
    assert aa["Nova 2.0 Omni (medium)"]["openness_source"] == "curated_override"
    # Aliased to LMArena's claude-3-5-sonnet-20241022: that name's licence is looked up, and Epoch AI decides.
    claude = aa["Claude 3.5 Sonnet (Oct '24)"]
    assert claude["openness_evidence"] == "epoch=API access; lmarena_license=Proprietary"
    (aa_gap,) = _rows(tables["open_closed_gap"], board="artificial_analysis")
    assert (aa_gap["best_closed_model"], aa_gap["best_closed_rank"]) == ("Gemini 3.5 Flash (high)", 1)
    assert (aa_gap["best_open_model"], aa_gap["best_open_rank"]) == ("MiMo-V2.5-Pro", 2)
    assert aa_gap["open_share_top10"] == pytest.approx(0.3)  # MiMo-V2.5-Pro, Devstral 2, gpt-oss-20B
    assert aa_gap["category"] == "intelligence_index" and aa_gap["leaderboard_publish_date"] == dt.date(2026, 6, 27)


def test_coverage_check_blocks_an_unresolved_aa_top10(parsed):
    frames, dates = parsed
    # Without the OpenRouter catalogue nothing says gpt-oss-20B (#9) or GLM-4.5V (#12) has weights on the Hub.
    tables = build_snapshot({k: v for k, v in frames.items() if k != "openrouter"}, dt.date(2026, 10, 2), dates)
    blocking = {(f.table, f.column, f.expectation) for f in validate_tables(tables).blocking}
    assert ("aa_models", "openness_tier", "expect_column_values_to_not_be_in_set") in blocking
    assert not {b for b in blocking if b[0] in {"leaderboard_scores", "models"}}
    (oss,) = _rows(tables["unmatched_names"], name="gpt-oss-20B")
    assert (oss["source"], oss["openness_tier"], oss["best_rank"]) == ("artificial_analysis", "unknown", 9)


def test_a_disagreement_between_sources_is_one_conflict_row(parsed):
    frames, dates = parsed
    aa = frames["artificial_analysis"].copy()
    aa.loc[aa["base_name"] == "gpt-oss-20B", "is_open_weights"] = False  # constructed: AA calls it closed
    tables = build_snapshot({**frames, "artificial_analysis": aa}, dt.date(2026, 10, 2), dates)
    (conflict,) = _rows(tables["openness_conflicts"], canonical_key="gpt-oss-20b")
    assert conflict["open_evidence"] == "hf=openai/gpt-oss-20b (apache-2.0)"
    assert conflict["closed_evidence"] == "hint=False"
    assert (conflict["decided_tier"], conflict["decided_by"]) == ("open_weights_unrestricted", "hugging_face_hub")
    # One verdict for the model, whichever table names it.
    named = [
        r for t in ("aa_models", "openrouter_models", "models") for r in _rows(tables[t], canonical_key="gpt-oss-20b")
    ]
    assert len(named) == 3 and {r["openness_tier"] for r in named} == {"open_weights_unrestricted"}
    evidence = _rows(tables["openness_evidence"], canonical_key="gpt-oss-20b")
    claims = {(r["subject_source"], r["evidence_source"]) for r in evidence}
    assert claims == {("openrouter", "hugging_face_hub"), ("artificial_analysis", "catalogue_hint")}


def test_coverage_check_blocks_an_unknown_lmarena_top10_model(parsed):
    frames, dates = parsed
    tables = build_snapshot(frames, dt.date(2026, 10, 2), dates)
    scores = tables["leaderboard_scores"].to_pandas()
    top = scores.index[(scores["board"] == "text") & (scores["category"] == "overall") & (scores["rank"] == 1)]
    scores.loc[top, ["openness_tier", "openness"]] = ["unknown", None]
    spec = registry.get("lmarena").table
    report = validate_tables({"leaderboard_scores": spec.to_arrow(scores)})
    assert any("no LMArena text top-10 model" in f.why for f in report.blocking)
    assert json.dumps(report.to_dict())  # serialisable for the manifest


def test_one_canonical_key_joins_the_sources(parsed):
    frames, dates = parsed
    tables = build_snapshot(frames, dt.date(2026, 8, 12), dates)
    by_name = {(r["source"], r["source_name"]): r for r in tables["model_identities"].to_pylist()}
    # The same model under two spellings: an LMArena slug with an effort label, an AA name with its label cut.
    assert by_name[("lmarena", "gemini-3.5-flash-high")]["canonical_key"] == "gemini-3-5-flash"
    assert by_name[("artificial_analysis", "Gemini 3.5 Flash")]["canonical_key"] == "gemini-3-5-flash"
    aa = {r["name"]: r["canonical_key"] for r in tables["aa_models"].to_pylist()}
    assert aa["Gemini 3.5 Flash (high)"] == aa["Gemini 3.5 Flash (minimal)"] == "gemini-3-5-flash"
    (gemini,) = _rows(tables["models"], canonical_key="gemini-3-5-flash")  # one row in the dimension
    assert gemini["model_name"] == "Gemini 3.5 Flash" and gemini["in_lmarena"] and gemini["in_artificial_analysis"]
    assert (gemini["lmarena_text_rank"], gemini["aa_intelligence_rank"], gemini["org_key"]) == (10, 1, "google")
    # Linked through Epoch AI: OpenRouter's gpt-4o variant and (2025-01-05) LMArena's dated GPT-4o snapshot.
    assert (by_name[("openrouter", "gpt-4o")]["link"], by_name[("openrouter", "gpt-4o")]["canonical_key"]) == (
        "epoch",
        "gpt-4o",
    )
    jan = build_snapshot(frames, dt.date(2025, 1, 5), dates)
    (gpt4o,) = _rows(jan["model_identities"], source_name="gpt-4o-2024-05-13")
    assert (gpt4o["canonical_key"], gpt4o["link"]) == ("gpt-4o", "epoch")
    (gpt4o,) = _rows(jan["models"], canonical_key="gpt-4o")
    assert (gpt4o["model_name"], gpt4o["epoch_accessibility"], gpt4o["in_lmarena"]) == ("GPT-4o", "API access", True)
    # Linked through the Hub: OpenRouter's paid and free Llama 3.3 rows share one key.
    llama = {
        r["canonical_key"]
        for r in tables["openrouter_models"].to_pylist()
        if r["model_key"] == "llama-3.3-70b-instruct"
    }
    assert len(llama) == 1


def test_organizations_resolve_across_sources(parsed):
    frames, dates = parsed
    tables = build_snapshot(frames, dt.date(2026, 8, 12), dates)
    aa = {r["creator_name"]: r["org_key"] for r in tables["aa_models"].to_pylist()}
    assert (aa["Google"], aa["Z AI"], aa["xAI"], aa["OpenAI"]) == ("google", "zai", "xai", "openai")
    vendors = {r["model_id"].split("/")[0]: r["org_key"] for r in tables["openrouter_models"].to_pylist()}
    assert (vendors["meta-llama"], vendors["z-ai"], vendors["qwen"], vendors["mistralai"]) == (
        "meta",
        "zai",
        "alibaba",
        "mistral",
    )
    lmarena = {r["organization"]: r["org_key"] for r in tables["leaderboard_scores"].to_pylist() if r["organization"]}
    assert lmarena["google"] == aa["Google"] and lmarena["openai"] == aa["OpenAI"]
    # The dimension keys Epoch AI's organizations the same way ("Meta AI", "Google DeepMind"); a field naming
    # several organizations gets no key rather than a made-up one.
    models = {r["canonical_key"]: r for r in tables["models"].to_pylist()}
    assert (models["llama-3-3-70b"]["org_key"], models["gemma-2-2b"]["org_key"]) == ("meta", "google")
    several = [r for r in tables["epoch_models"].to_pylist() if r["organization"] == "Google DeepMind,Google"]
    assert several and {models[r["canonical_key"]]["org_key"] for r in several} <= {None, "google"}


def test_each_kind_of_curated_alias(parsed, monkeypatch):
    from transforms import identity

    judge = linker_for(parsed[0]["epoch"]).resolver
    to_epoch = judge.identify("lmarena", "grok-3-preview-02-24")
    assert (to_epoch.how, to_epoch.entry["model"], to_epoch.canonical_key) == ("alias", "Grok-3", "grok-3")
    to_repo = judge.identify("artificial_analysis", "Devstral 2")
    assert (to_repo.how, to_repo.hub_repo, to_repo.repo_claimed) == (
        "alias",
        "mistralai/Devstral-2-123B-Instruct-2512",
        True,
    )
    assert to_repo.canonical_key == "devstral-2-123b-instruct-2512"
    to_name = judge.identify("artificial_analysis", "Grok 4.20 0309")  # LMArena's name, per xAI's docs
    assert (to_name.how, to_name.canonical_key) == ("alias", "grok-4-20-beta-0309")
    # An alias to another source's name leads wherever that name leads (here: on to Epoch AI by name).
    chained = judge.identify("artificial_analysis", "Claude 3.5 Sonnet (Oct '24)")
    assert (chained.how, chained.entry["model"], chained.canonical_key) == (
        "alias",
        "Claude 3.5 Sonnet",
        "claude-3-5-sonnet",
    )
    # Without an alias the same name stays itself: nothing is guessed.
    assert judge.identify("openrouter", "Grok 4.20 0309").canonical_key == "grok-4-20-0309"
    circle = {("a", "x"): ("b", "y"), ("b", "y"): ("a", "x")}
    monkeypatch.setattr(identity, "alias_of", lambda source, name: circle.get((source, name)))
    with pytest.raises(OpengapError, match="go round in a circle"):
        judge.identify("a", "x")


@needs_captures
def test_real_captures_artificial_analysis_top50_resolves(parsed):
    """The whole captured AA page (200 rows) with the captured OpenRouter catalogue and Epoch AI registry."""
    frames, dates = parsed

    def capture(source, path, file, day, params=None):
        raw = (CAPTURES / path).read_bytes()
        meta = RawMeta(source, file, "https://example.invalid", f"{day}T00:00:00Z", sha256_hex(raw), len(raw), params)
        return registry.get(source).parse(raw, meta).to_pandas()

    aa_page = "artificial_analysis/aa_api_v2_models_page1_2026-06.json"
    catalogue = "openrouter/openrouter_models_data_2026-05-01.json"
    epoch = [
        capture("epoch", "epoch/notable_ai_models_2025-05-20.csv", "notable_ai_models.csv", "2025-05-20"),
        capture("epoch", "epoch/all_ai_models_2025-04-23.csv", "all_ai_models.csv", "2025-04-23"),
    ]
    real = {
        "lmarena": frames["lmarena"],
        "artificial_analysis": capture("artificial_analysis", aa_page, "models.page-1.json", "2026-06-27"),
        "openrouter": capture("openrouter", catalogue, "models.json", "2026-05-01"),
        "epoch": pd.concat(epoch, ignore_index=True),
    }
    days = {**dates, "artificial_analysis": "2026-06-27", "openrouter": "2026-05-01", "epoch": "2025-05-20"}
    tables = build_snapshot(real, dt.date(2026, 10, 2), days)
    assert validate_tables(tables).blocking == []
    aa = tables["aa_models"].to_pandas()
    top50 = aa[aa["intelligence_rank"] <= 50]
    assert len(top50) == 50 and (top50["openness_tier"] != "unknown").mean() == pytest.approx(0.96)
    # Left: a later API checkpoint of an open family whose weights nobody has published, and Command A+, which
    # is not Command A (no "+" is dropped from a name any more) and which no source tags (neither is guessed).
    assert sorted(top50.loc[top50["openness_tier"] == "unknown", "name"]) == ["Command A+", "MiMo-V2-Flash (Feb 2026)"]
    (gap,) = _rows(tables["open_closed_gap"], board="artificial_analysis")
    assert (gap["best_open_model"], gap["best_open_rank"], gap["best_closed_model"]) == (
        "MiniMax-M3",
        4,
        "GPT-5.5 (xhigh)",
    )
    assert gap["score_gap"] == pytest.approx(10.4, abs=0.05) and gap["open_share_top10"] == pytest.approx(0.3)


@needs_captures
def test_openrouter_mistral_large_is_mistral_large_2_not_the_february_2024_model():
    def capture(source, path, file, day):
        raw = (CAPTURES / path).read_bytes()
        meta = RawMeta(source, file, "https://example.invalid", f"{day}T00:00:00Z", sha256_hex(raw), len(raw))
        return registry.get(source).parse(raw, meta).to_pandas()

    frames = {
        "openrouter": capture(
            "openrouter", "openrouter/openrouter_models_raw_2026-02-27.json", "models.json", "2026-02-27"
        ),
        "epoch": capture("epoch", "epoch/notable_ai_models_2025-05-20.csv", "notable_ai_models.csv", "2025-05-20"),
    }
    tables = build_snapshot(frames, dt.date(2026, 3, 1), {"openrouter": "2026-02-27", "epoch": "2025-05-20"})
    (row,) = _rows(tables["openrouter_models"], model_id="mistralai/mistral-large")
    # The slug was created for Mistral Large 1 (2024-02-26) but serves Mistral Large 2 (its description says so).
    assert row["canonical_key"] == "mistral-large-2"  # Epoch's "Mistral Large 2", not its "Mistral Large"
    assert row["openness"] == "open" and row["openness_tier"] == "open_weights_noncommercial"


@needs_captures
def test_a_derivative_is_bound_by_its_base_models_terms():
    raw = (CAPTURES / "open_llm_leaderboard" / "contents_open-llm-leaderboard_2025-02.csv").read_bytes()
    meta = RawMeta(
        "open_llm_leaderboard",
        "contents.csv",
        "https://example.invalid",
        "2025-02-12T00:00:00Z",
        sha256_hex(raw),
        len(raw),
    )
    rows = registry.get("open_llm_leaderboard").parse(raw, meta).to_pandas()
    tables = build_snapshot(
        {"open_llm_leaderboard": rows}, dt.date(2025, 2, 12), {"open_llm_leaderboard": "2025-02-12"}
    )
    oll = {r["fullname"]: r for r in tables["open_llm_leaderboard"].to_pylist()}
    # Labelled apache-2.0, fine-tuned from google/gemma-2-9b (licence gemma): the Gemma Terms of Use still bind it.
    athena = oll["EpistemeAI/Athena-gemma-2-2b-it"]
    assert (athena["hub_license"], athena["base_model"]) == ("apache-2.0", "google/gemma-2-9b")
    assert oll["google/gemma-2-9b"]["hub_license"] == "gemma"
    assert athena["openness_tier"] == "open_weights_restricted"
    assert "base google/gemma-2-9b (gemma)" in athena["openness_evidence"]
    # A merge that names itself as its base inherits nothing: its own licence stands.
    merged = oll["GenVRadmin/AryaBhatta-GemmaOrca-2-Merged"]
    assert (merged["hub_license"], merged["openness_tier"]) == ("mit", "open_weights_unrestricted")


def test_a_curated_card_licence_fills_only_what_the_hub_leaves_open():
    from transforms.evidence import HubIndex

    for answered, kept in [("mit", "mit"), ("other", "apache-2.0"), (None, "apache-2.0")]:
        hub = HubIndex()
        hub.add_hub_licence("openai/gpt-oss-120b", answered)
        hub.add_curated_licences()  # the curated row for this repo says apache-2.0
        assert hub.licence_of("openai/gpt-oss-120b") == kept
