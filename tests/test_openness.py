"""Openness taxonomy, identities, as-of selection and the snapshot build, on real-format inputs (offline)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from conftest import linker_for
from extractors import epoch, lmarena, registry
from extractors.raw_store import RawStore
from transforms import curated, openness
from transforms import evidence as ev
from transforms.as_of import LeaderboardHistory
from transforms.build import build_snapshot, concat_parsed
from transforms.linking import tag_alone
from transforms.models import match_key, model_key, org_key

REPO = Path(__file__).resolve().parents[1]


def decide(model_key: str, *, epoch_accessibility: str | None, licence_raw: str | None) -> ev.Verdict:
    """The precedence applied to the override, Epoch and licence evidence of one model."""
    return ev.weigh(ev.from_override(model_key) + ev.from_epoch(epoch_accessibility) + ev.from_licence(licence_raw))


ARCHIVE = RawStore(REPO / "fixtures" / "archive" / "raw")
CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "captures"
needs_captures = pytest.mark.skipif(not CAPTURES.is_dir(), reason=f"real captures not present at {CAPTURES}")

OPEN_U, OPEN_R, OPEN_NC = openness.OPEN_TIERS[:3]
API, HOSTED, UNRELEASED = openness.CLOSED_TIERS
UNKNOWN = openness.UNKNOWN

# Every licence string FORMATS.md §1a and §9 name (seen and 3rd-party), with the (id, tier) we expect.
DOCUMENTED_LICENCES = {
    "Proprietary": ("proprietary", API),
    "Propretary": ("proprietary", API),
    "Apache 2.0": ("apache-2.0", OPEN_U),
    "Apache-2.0": ("apache-2.0", OPEN_U),
    "MIT": ("mit", OPEN_U),
    "Modified MIT": ("modified-mit", OPEN_R),
    "OpenMDW-1.1": ("openmdw-1.1", OPEN_U),
    "Non-commercial": ("non-commercial", OPEN_NC),
    "CC-BY-NC-4.0": ("cc-by-nc-4.0", OPEN_NC),
    "CC-BY-NC-SA-4.0": ("cc-by-nc-sa-4.0", OPEN_NC),
    "Llama 2 Community": ("llama2", OPEN_R),
    "Llama 3 Community": ("llama3", OPEN_R),
    "Llama 3.1 Community": ("llama3.1", OPEN_R),
    "Llama 3.1": ("llama3.1", OPEN_R),
    "Llama 3.2": ("llama3.2", OPEN_R),
    "Llama-3.3": ("llama3.3", OPEN_R),
    "Llama 4": ("llama4", OPEN_R),
    "Llama": ("llama4", OPEN_R),
    "Qianwen LICENSE": ("qwen", OPEN_R),
    "Qwen": ("qwen", OPEN_R),
    "qwen-community-1.0": ("qwen", openness.OPEN_LICENCE_UNKNOWN),  # no licence text found: not guessed
    "Gemma license": ("gemma", OPEN_R),
    "Gemma": ("gemma", OPEN_R),
    "DeepSeek": ("deepseek", OPEN_R),
    "DeepSeek License": ("deepseek", OPEN_R),
    "MRL": ("mrl", OPEN_NC),
    "Mistral Research": ("mrl", OPEN_NC),
    "Yi License": ("yi", OPEN_R),
    "AI2 ImpACT Low-risk": ("ai2-impact-lr", OPEN_R),
    "Jamba Open": ("jamba-open", OPEN_R),
    "DBRX LICENSE": ("dbrx", OPEN_R),
    "Falcon-180B TII License": ("falcon-180b-tii", OPEN_R),
    "NexusFlow": ("nexusflow-research", OPEN_NC),
    "NVIDIA Open Model": ("nvidia-open-model", OPEN_R),
    "Nvidia Open Model": ("nvidia-open-model", OPEN_R),
    "Nvidia Open": ("nvidia-open-model", OPEN_R),
    "Nvidia": ("nvidia-open-model", OPEN_R),
    "Kimi K3 license": ("kimi", openness.OPEN_LICENCE_UNKNOWN),  # no licence text found: not guessed
    "MiniMax Community License": ("minimax-community", OPEN_R),
    "tencent-hunyuan-community": ("tencent-hunyuan-community", OPEN_R),
    "Open": ("open-unspecified", OPEN_NC),
    "Other": ("unknown", UNKNOWN),
    "-": ("unknown", UNKNOWN),
    "N/A": ("unknown", UNKNOWN),
    "": ("unknown", UNKNOWN),
}

EPOCH_VOCABULARY = {
    # until 2024-07
    "Open source": OPEN_U,
    "Open access (restricted use)": OPEN_R,
    "Open access (non-commercial)": OPEN_NC,
    # from 2024-12
    "Open weights (unrestricted)": OPEN_U,
    "Open weights (restricted use)": OPEN_R,
    "Open weights (non-commercial)": OPEN_NC,
    # both
    "API access": API,
    "Hosted access (no API)": HOSTED,
    "Unreleased": UNRELEASED,
}


# --------------------------------------------------------------------------------------------------------------
# Licence strings
# --------------------------------------------------------------------------------------------------------------


def capture_licences() -> dict[str, set[str]]:
    """Every licence string in the LMArena captures, with the files it appears in."""
    seen: dict[str, set[str]] = {}
    for path in sorted((CAPTURES / "lmarena").glob("*.csv")):
        if path.name.startswith("nakasyou"):
            continue  # a wide rating matrix, no licence column
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            column = next(c for c in ("License", "license") if c in (reader.fieldnames or []))
            for row in reader:
                seen.setdefault(row[column], set()).add(path.name)
    for path in sorted((CAPTURES / "lmarena_dataset").glob("*.json")):
        for row in json.loads(path.read_bytes()):
            seen.setdefault(row["license"], set()).add(path.name)
    return seen


@needs_captures
def test_every_capture_licence_is_listed() -> None:
    seen = capture_licences()
    # The collection really read the files: known rarities are there.
    assert {"Propretary", "", "-", "N/A", "Other", "Kimi K3 license", "CogVLM2", "CC-BY-SA 3.0"} <= seen.keys()
    assert len(seen) == 45
    unlisted = {s: sorted(files) for s, files in seen.items() if openness.licence(s).license_id == "unlisted"}
    assert unlisted == {}


@needs_captures
def test_capture_licences_that_are_not_documented_still_have_a_tier() -> None:
    extra = capture_licences().keys() - DOCUMENTED_LICENCES.keys()
    assert extra == {"CC-BY-SA 3.0", "CogVLM2"}
    assert openness.licence("CC-BY-SA 3.0").tier == OPEN_U
    assert openness.licence("CogVLM2").tier == OPEN_R


@pytest.mark.parametrize("raw", sorted(DOCUMENTED_LICENCES))
def test_documented_licence_is_listed(raw: str) -> None:
    found = openness.licence(raw)
    assert found.license_id != "unlisted"
    assert (found.license_id, found.tier) == DOCUMENTED_LICENCES[raw]
    assert openness.openness_of(found.tier) == (
        "open" if found.tier in openness.OPEN_TIERS else "closed" if found.tier in openness.CLOSED_TIERS else None
    )


@pytest.mark.parametrize(
    ("raw", "license_id", "tier", "binary"),
    [
        ("Proprietary", "proprietary", API, "closed"),
        ("Propretary", "proprietary", API, "closed"),
        ("Apache 2.0", "apache-2.0", OPEN_U, "open"),
        ("Apache-2.0", "apache-2.0", OPEN_U, "open"),
        ("Llama 3.1 Community", "llama3.1", OPEN_R, "open"),
        ("CC-BY-NC-4.0", "cc-by-nc-4.0", OPEN_NC, "open"),
        ("MRL", "mrl", OPEN_NC, "open"),
        ("", "unknown", UNKNOWN, None),
        (None, "unknown", UNKNOWN, None),
        ("-", "unknown", UNKNOWN, None),
        ("N/A", "unknown", UNKNOWN, None),
        ("Other", "unknown", UNKNOWN, None),
    ],
)
def test_licence_mapping(raw: str | None, license_id: str, tier: str, binary: str | None) -> None:
    found = openness.licence(raw)
    assert (found.license_id, found.tier) == (license_id, tier)
    assert openness.openness_of(found.tier) == binary


def test_missing_values_from_pandas_are_no_licence() -> None:
    for missing in (float("nan"), pd.NA):
        assert openness.licence(missing).license_id == "unknown"


def test_unlisted_licence_is_unknown_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="transforms.openness"):
        found = openness.licence("Frobnicator Community License 9")
    assert found.license_id == "unlisted"
    assert found.tier == UNKNOWN
    assert found.raw == "Frobnicator Community License 9"
    assert openness.openness_of(found.tier) is None
    assert "Frobnicator Community License 9" in caplog.text
    with caplog.at_level("WARNING", logger="transforms.openness"):
        openness.licence("Frobnicator Community License 9")  # 4,000 rows with it make one log line, not 4,000
    assert caplog.text.count("Frobnicator Community License 9") == 1
    # Case and spacing are significant: a near-miss spelling is not silently matched.
    assert openness.licence("proprietary").license_id == "unlisted"
    assert openness.licence("Proprietary ").license_id == "unlisted"


# --------------------------------------------------------------------------------------------------------------
# Epoch accessibility
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", sorted(EPOCH_VOCABULARY))
def test_epoch_accessibility_tier(value: str) -> None:
    assert openness.epoch_tier(value) == EPOCH_VOCABULARY[value]


def test_epoch_old_and_new_names_agree() -> None:
    assert openness.epoch_tier("Open source") == openness.epoch_tier("Open weights (unrestricted)") == OPEN_U
    assert openness.epoch_tier("Open access (restricted use)") == openness.epoch_tier("Open weights (restricted use)")
    assert openness.epoch_tier("Open access (non-commercial)") == openness.epoch_tier("Open weights (non-commercial)")


@pytest.mark.parametrize("value", ["", None, float("nan"), "Open model weights", "open source"])
def test_epoch_blank_or_unseen_is_unknown(value: object) -> None:
    assert openness.epoch_tier(value) == UNKNOWN


@needs_captures
def test_every_capture_accessibility_value_is_mapped() -> None:
    values: set[str] = set()
    for path in sorted((CAPTURES / "epoch").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            values |= {r["Model accessibility"] for r in csv.DictReader(fh)}
    assert values - {""} == EPOCH_VOCABULARY.keys()
    assert all(openness.epoch_tier(v) != UNKNOWN for v in values - {""})


# --------------------------------------------------------------------------------------------------------------
# Precedence
# --------------------------------------------------------------------------------------------------------------


def test_override_beats_epoch_and_licence() -> None:
    d = decide("qwen-max-0919", epoch_accessibility="Open weights (restricted use)", licence_raw="Qwen")
    assert (d.tier, d.openness, d.source) == (API, "closed", openness.BY_OVERRIDE)
    assert d.summary == "override=api_access; epoch=Open weights (restricted use); lmarena_license=Qwen"
    # Without the override the licence alone would call it open.
    assert openness.licence("Qwen").tier == OPEN_R
    alone = decide("qwen-max-0919", epoch_accessibility=None, licence_raw="Qwen")
    assert (alone.tier, alone.source) == (API, "curated_override")
    assert alone.summary == "override=api_access; lmarena_license=Qwen"


def test_override_decides_when_nothing_else_knows() -> None:
    d = decide("llama-4-maverick-03-26-experimental", epoch_accessibility=None, licence_raw="N/A")
    assert (d.tier, d.openness, d.source) == (UNRELEASED, "closed", openness.BY_OVERRIDE)
    assert d.summary == "override=unreleased; lmarena_license=N/A"
    d = decide("gpt-5.4", epoch_accessibility=None, licence_raw="")
    assert (d.tier, d.source, d.summary) == (API, openness.BY_OVERRIDE, "override=api_access")


def test_epoch_beats_licence() -> None:
    d = decide("grok-2-2024-08-13", epoch_accessibility="Hosted access (no API)", licence_raw="Proprietary")
    assert (d.tier, d.openness, d.source) == (HOSTED, "closed", openness.BY_EPOCH)
    assert d.summary == "epoch=Hosted access (no API); lmarena_license=Proprietary"
    d = decide("some-model", epoch_accessibility="API access", licence_raw="Apache 2.0")
    assert (d.tier, d.openness, d.source) == (API, "closed", openness.BY_EPOCH)
    d = decide("mistral-large-2407", epoch_accessibility="Open weights (non-commercial)", licence_raw="MIT")
    assert (d.tier, d.source) == (OPEN_NC, openness.BY_EPOCH)


def test_licence_used_when_epoch_does_not_know() -> None:
    for accessibility in (None, "", "Something Epoch never said"):
        d = decide("deepseek-v2.5-1210", epoch_accessibility=accessibility, licence_raw="DeepSeek")
        assert (d.tier, d.openness, d.source) == (OPEN_R, "open", openness.BY_LICENCE)
    d = decide("deepseek-v2.5-1210", epoch_accessibility=None, licence_raw="DeepSeek")
    assert d.summary == "lmarena_license=DeepSeek"
    d = decide("x", epoch_accessibility="Something Epoch never said", licence_raw="MIT")
    assert d.summary == "epoch=Something Epoch never said; lmarena_license=MIT"


def test_nothing_known_is_unknown() -> None:
    d = decide("no-such-model", epoch_accessibility=None, licence_raw=None)
    assert (d.tier, d.openness, d.source, d.summary) == (UNKNOWN, None, openness.BY_NOTHING, "")
    d = decide("no-such-model", epoch_accessibility="", licence_raw="Other")
    assert (d.tier, d.openness, d.source, d.summary) == (UNKNOWN, None, "none", "lmarena_license=Other")


def test_rule_version_follows_data_files() -> None:
    version = openness.rule_version()
    generation, fingerprint = version.split(".")
    assert generation == str(openness.RULE_GENERATION)
    assert len(fingerprint) == 8 and int(fingerprint, 16) >= 0


# --------------------------------------------------------------------------------------------------------------
# Identities
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("muse-spark-1.2 (xHigh)", "muse-spark-1.2-xhigh"),
        ("gpt-5.3-codex (codex-harness)", "gpt-5.3-codex-codex-harness"),
        ("Claude Opus 4.7 (Thinking)", "claude-opus-4.7-thinking"),
        ("internlm2_5-20b-chat", "internlm2-5-20b-chat"),
        ("Llama 3.1-405B", "llama-3.1-405b"),
    ],
)
def test_model_key(name: str, key: str) -> None:
    assert model_key(name) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("llama-3.1-70b-instruct", "llama-3-1-70b"),
        ("gemma-2-27b-it", "gemma-2-27b"),
        ("claude-3-opus-20240229", "claude-3-opus"),
        ("gpt-4o-2024-05-13", "gpt-4o"),
        ("llama-3.1-405b-instruct-bf16", "llama-3-1-405b"),
        ("llama-3.1-405b-instruct-fp8", "llama-3-1-405b"),
        ("some-model-instruct-fp8-bf16", "some-model"),
        ("qwen2-72b-chat-20240101-fp8", "qwen2-72b"),
        ("Llama 3.1-405B", "llama-3-1-405b"),
        ("deepseek-coder-v2-0724", "deepseek-coder-v2-0724"),
        ("mistral-large-2407", "mistral-large-2407"),
    ],
)
def test_match_key(name: str, key: str) -> None:
    assert match_key(name) == key


def test_four_digit_version_is_not_a_date() -> None:
    assert match_key("deepseek-coder-v2-0724") != match_key("DeepSeek-Coder-V2")
    epoch_rows = pd.DataFrame(
        {
            "epoch_dataset": ["notable", "notable"],
            "model": ["DeepSeek-Coder-V2", "DeepSeek-Coder-V2 236B"],
            "publication_date": [dt.date(2024, 6, 17), dt.date(2024, 6, 17)],
            "model_accessibility": ["Open weights (restricted use)", "Open weights (restricted use)"],
        }
    )
    judge = linker_for(epoch_rows).resolver
    api_version = judge.identify("lmarena", "deepseek-coder-v2-0724")
    assert (api_version.entry, api_version.how, api_version.canonical_key) == (
        None,
        "name",
        "deepseek-coder-v2-0724",
    )
    family = judge.identify("lmarena", "deepseek-coder-v2")
    assert family.how == "alias" and family.entry["model"] == "DeepSeek-Coder-V2 236B"  # the alias wins over the name
    assert family.canonical_key == "deepseek-coder-v2-236b"


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (["DeepSeek AI", "DeepSeek", "deepseek"], "deepseek"),
        (["Aliaba", "Alibaba", "alibaba"], "alibaba"),
        (["Allen AI", "AI2", "Ai2", "allenai", "AllenAI/UW"], "ai2"),
        (["Zhipu AI", "Zhipu", "zai", "Z.ai"], "zai"),
        (["NVIDIA", "Nvidia"], "nvidia"),
        (["Nexusflow", "NexusFlow"], "nexusflow"),
    ],
)
def test_org_key_aliases(names: list[str], key: str) -> None:
    assert {org_key(n) for n in names} == {key}


def test_org_key_unlisted_and_empty() -> None:
    assert org_key("Some New Lab") == "some-new-lab"
    assert org_key("") is None
    assert org_key(None) is None


# --------------------------------------------------------------------------------------------------------------
# As-of selection and the snapshot build on the shipped fixture
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parsed() -> dict[str, pa.Table]:
    lm = [lmarena.parse(r.content, r.meta) for r in ARCHIVE.read_all("lmarena", "2026-10-02")]
    ep = [epoch.parse(r.content, r.meta) for r in ARCHIVE.read_all("epoch", "2025-05-20")]
    return {"lmarena": concat_parsed(lm), "epoch": concat_parsed(ep)}


@pytest.fixture(scope="module")
def text_rows() -> pd.DataFrame:
    raw = ARCHIVE.read("lmarena", "2026-10-02", "text.full.rows.json")
    return lmarena.parse(raw.content, raw.meta).to_pandas()


def as_of(rows: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    return LeaderboardHistory(rows, registry.get("lmarena")).as_of(day)


def leaderboards(rows: pd.DataFrame) -> set[tuple[str, str, str]]:
    columns = (rows["board"], rows["category"], rows["leaderboard_publish_date"])
    return {(b, c, d.isoformat()) for b, c, d in zip(*columns, strict=True)}


def test_as_of_takes_newest_leaderboard_on_or_before(text_rows: pd.DataFrame) -> None:
    snap = as_of(text_rows, dt.date(2025, 1, 6))
    assert leaderboards(snap) == {("text", "overall", "2025-01-05")}
    assert len(snap) == 21
    assert snap.loc[snap["rank"] == 1, "model_name"].tolist() == ["o1-2024-12-17"]
    same_day = as_of(text_rows, dt.date(2025, 1, 5))
    assert leaderboards(same_day) == {("text", "overall", "2025-01-05")}
    day_before = as_of(text_rows, dt.date(2025, 1, 4))
    assert leaderboards(day_before) == {("text", "overall", "2024-06-02")}


def test_as_of_before_first_leaderboard_is_empty(text_rows: pd.DataFrame) -> None:
    assert as_of(text_rows, dt.date(2023, 5, 7)).empty
    first = as_of(text_rows, dt.date(2023, 5, 8))
    assert leaderboards(first) == {("text", "overall", "2023-05-08")}
    assert len(first) == 9


def test_as_of_keeps_every_category(text_rows: pd.DataFrame) -> None:
    snap = as_of(text_rows, dt.date(2025, 5, 20))
    assert leaderboards(snap) == {("text", "overall", "2025-05-19"), ("text", "coding", "2025-05-19")}
    assert (snap["category"] == "coding").sum() == 5
    assert (snap["category"] == "overall").sum() == 21
    # A category with no newer leaderboard stays at its own newest date.
    late = as_of(text_rows, dt.date(2026, 10, 2))
    assert leaderboards(late) == {("text", "overall", "2026-10-02"), ("text", "coding", "2025-05-19")}


def test_as_of_per_board(parsed: dict[str, pa.Table]) -> None:
    snap = as_of(parsed["lmarena"].to_pandas(), dt.date(2024, 9, 1))
    assert leaderboards(snap) == {("text", "overall", "2024-06-02"), ("text_style_control", "overall", "2024-08-28")}


def test_tag_by_licence_row_level(text_rows: pd.DataFrame) -> None:
    rows = text_rows[text_rows["leaderboard_publish_date"] == dt.date(2026, 4, 2)]
    tagged = tag_alone(registry.get("lmarena"), rows).set_index("model_name")
    # An empty licence says nothing; the curated override decides, as in a snapshot.
    assert tagged.loc["gpt-5.4", "license_id"] == "unknown"
    assert tagged.loc["gpt-5.4", "openness_tier"] == "api_access"
    assert tagged.loc["gpt-5.4", "openness_source"] == openness.BY_OVERRIDE
    assert tagged.loc["dola-seed-2.0-pro", "openness"] == "closed"
    assert tagged.loc["dola-seed-2.0-pro", "openness_source"] == openness.BY_LICENCE


@pytest.fixture(scope="module")
def latest(parsed: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return build_snapshot(parsed, dt.date(2026, 10, 2))


@pytest.fixture(scope="module")
def jan_2025(parsed: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return build_snapshot(parsed, dt.date(2025, 1, 5))


def test_build_tables_and_sizes(latest: dict[str, pa.Table], parsed: dict[str, pa.Table]) -> None:
    assert parsed["lmarena"].num_rows == 206 + 178
    assert parsed["epoch"].num_rows == 158 + 149
    assert {k: v.num_rows for k, v in latest.items()} == {
        "epoch_models": 307,
        "models": 297,  # one per canonical model: the registry's 307 rows and LMArena's 36 names overlap
        "leaderboard_scores": 54,
        "open_closed_gap": 2,
        # the paper trail of the openness decisions (LMArena and Epoch only here: no Hub evidence)
        "openness_evidence": 269,
        # curated overrides that correct Epoch: Grok-2's published weights, Phi-4-mini and -multimodal (MIT)
        "openness_conflicts": 3,
        "unmatched_names": 33,
        "model_identities": 303,
    }
    assert latest["models"]["in_lmarena"].to_pylist().count(True) == 34  # 36 names, 34 models


def test_build_top20_has_known_openness(latest: dict[str, pa.Table], parsed: dict[str, pa.Table]) -> None:
    scores = latest["leaderboard_scores"].to_pandas()
    top = scores[(scores["category"] == "overall") & (scores["rank"] <= 20)]
    assert set(top["board"]) == {"text", "text_style_control"}
    assert set(top["leaderboard_publish_date"]) == {dt.date(2026, 10, 2)}
    assert (top["board"] == "text").sum() == 11
    assert (top["board"] == "text_style_control").sum() == 11
    assert top["openness"].notna().all()
    assert (top["openness_tier"] != UNKNOWN).all()
    muse = top[top["model_name"] == "muse-spark-1.2 (xHigh)"]
    assert set(muse["model_key"]) == {"muse-spark-1.2-xhigh"}
    assert set(muse["rank"]) == {15, 11}
    # qwen-max-0919 is not on the 2026-10-02 boards; its leaderboard licence is 'Qwen' (an open licence) but
    # the curated override makes it closed.
    assert "qwen-max-0919" not in set(scores["model_name"])
    history = parsed["lmarena"].to_pandas()
    qwen_rows = history[history["model_name"] == "qwen-max-0919"]
    assert len(qwen_rows) > 0
    assert set(qwen_rows["license"]) == {"Qwen"}
    d = decide(model_key("qwen-max-0919"), epoch_accessibility=None, licence_raw="Qwen")
    assert (d.tier, d.openness, d.source) == (API, "closed", openness.BY_OVERRIDE)


def test_build_models_use_newest_non_empty_licence(latest: dict[str, pa.Table]) -> None:
    models = latest["models"].to_pandas().set_index("canonical_key")
    gpt = models.loc["gpt-5-4"]  # LMArena's gpt-5.4-high, the effort label cut
    assert gpt["license_raw"] == "Proprietary"  # empty on 2026-04-02, filled by 2026-08-12
    assert gpt["openness_source"] == openness.BY_OVERRIDE
    assert gpt["openness_evidence"] == "override=api_access; lmarena_license=Proprietary"
    grok = models.loc["grok-3"]  # LMArena's grok-3-preview-02-24, by a curated alias
    assert (grok["epoch_model"], grok["model_name"], grok["in_lmarena"], grok["in_epoch"]) == (
        "Grok-3",
        "Grok-3",
        True,
        True,
    )
    assert (grok["openness_tier"], grok["openness_source"]) == (HOSTED, openness.BY_EPOCH)
    assert grok["openness_evidence"] == "epoch=Hosted access (no API); lmarena_license=Proprietary"
    identities = latest["model_identities"].to_pandas().set_index("source_name")
    assert tuple(identities.loc["grok-3-preview-02-24", ["canonical_key", "link"]]) == ("grok-3", "alias")
    assert models.loc["mistral-medium-3-5", "openness_tier"] == OPEN_R  # 'Modified MIT'
    assert set(models["openness_rule_version"]) == {openness.rule_version()}


def test_build_open_closed_gap_latest(latest: dict[str, pa.Table]) -> None:
    gap = {r["board"]: r for r in latest["open_closed_gap"].to_pylist()}
    assert set(gap) == {"text", "text_style_control"}
    for board, open_rank, open_rating, closed_rating in (
        ("text", 37, 1462.4521722590196, 1533.4609832971757),
        ("text_style_control", 38, 1474.4402781653991, 1525.2150000155266),
    ):
        g = gap[board]
        assert g["leaderboard_publish_date"] == dt.date(2026, 10, 2)
        assert g["best_open_model"] == "deepseek-v4.1-flash-max"
        assert g["best_open_rank"] == open_rank
        assert g["best_open_rating"] == pytest.approx(open_rating)
        assert g["best_closed_model"] == "gemini-4-argon-high"
        assert g["best_closed_rank"] == 1
        assert g["best_closed_rating"] == pytest.approx(closed_rating)
        assert g["score_gap"] == pytest.approx(closed_rating - open_rating)
        assert g["open_share_top10"] == 0.0
        assert g["unknown_share_top20"] == 0.0
        assert g["n_models"] == 22


def test_build_jan_2025_deepseek_v3_is_best_open(jan_2025: dict[str, pa.Table]) -> None:
    gap = {r["board"]: r for r in jan_2025["open_closed_gap"].to_pylist()}
    text = gap["text"]
    assert text["leaderboard_publish_date"] == dt.date(2025, 1, 5)
    assert text["publish_age_days"] == 0
    assert text["n_models"] == 21
    assert (text["best_open_model"], text["best_open_rank"]) == ("deepseek-v3", 3)
    assert text["best_open_rating"] == pytest.approx(1318.7278377280381)
    assert (text["best_closed_model"], text["best_closed_rank"]) == ("o1-2024-12-17", 1)
    assert text["best_closed_rating"] == pytest.approx(1351.6329738660747)
    assert text["score_gap"] == pytest.approx(32.905136138036596)
    assert text["gap_within_ci"] is False  # 1324.72 (open upper) < 1344.13 (closed lower)
    # Top N: the N highest-rated rows (the sample board has 21, so the top 20 is all but one).
    assert (text["open_in_top10"], text["top10_size"], text["open_share_top10"]) == (1, 10, 0.1)
    assert (text["open_in_top20"], text["top20_size"], text["open_share_top20"]) == (7, 20, 0.35)
    assert text["unknown_share_top20"] == 0.0
    style = gap["text_style_control"]
    assert (style["best_open_model"], style["best_open_rank"]) == ("deepseek-v3", 4)
    assert style["best_open_rating"] == pytest.approx(1277.533813037197)
    assert (style["best_closed_model"], style["best_closed_rank"]) == ("o1-2024-12-17", 1)
    assert style["best_closed_rating"] == pytest.approx(1322.8312793392734)
    assert (style["open_in_top10"], style["top10_size"]) == (2, 10)
    assert (style["open_in_top20"], style["top20_size"]) == (8, 20)  # the sample board has 20 rows


def test_build_jan_2025_decisions(jan_2025: dict[str, pa.Table]) -> None:
    models = jan_2025["models"].to_pandas().set_index("canonical_key")
    # 22 LMArena names, 20 models: two Llama 3.1 405B packagings; Claude 3.5 Sonnet 20240620 and 20241022 (Epoch
    # AI keeps one entry for both versions, and the canonical key follows the registry)
    assert models["in_lmarena"].sum() == 20
    v3 = models.loc["deepseek-v3"]
    assert (v3["epoch_model"], v3["license_raw"], v3["n_sources"]) == ("DeepSeek-V3", "DeepSeek", 2)
    assert (v3["openness_tier"], v3["openness"], v3["openness_source"]) == (OPEN_R, "open", openness.BY_EPOCH)
    assert v3["openness_evidence"] == "epoch=Open weights (restricted use); lmarena_license=DeepSeek"
    qwen = models.loc["qwen-max-0919"]
    assert qwen["license_raw"] == "Qwen"
    assert (qwen["openness_tier"], qwen["openness"], qwen["openness_source"]) == (API, "closed", "curated_override")
    assert qwen["openness_evidence"] == "override=api_access; lmarena_license=Qwen"
    identities = jan_2025["model_identities"].to_pandas().set_index("source_name")
    for packaging in ("llama-3.1-405b-instruct-fp8", "llama-3.1-405b-instruct-bf16"):
        assert tuple(identities.loc[packaging, ["canonical_key", "link"]]) == ("llama-3-1-405b", "alias")
    assert models.loc["llama-3-1-405b", "epoch_model"] == "Llama 3.1-405B"
    assert tuple(identities.loc["gemma-2-27b-it", ["canonical_key", "link"]]) == ("gemma-2-27b", "epoch")  # '-it' cut
    assert models.loc["mistral-large-2411", "openness_source"] == openness.BY_LICENCE  # 'MRL', no Epoch entry
    assert models.loc["mistral-large-2411", "openness_tier"] == OPEN_NC
    scores = jan_2025["leaderboard_scores"].to_pandas()
    assert set(scores["leaderboard_publish_date"]) == {dt.date(2025, 1, 5)}
    top = scores[scores["rank"] <= 20]
    assert top["openness"].notna().all()


@pytest.mark.parametrize("name", curated.FILES)
def test_curated_files_are_plain_csv_that_duckdb_reads_too(name: str) -> None:
    # Analysts load these files next to the snapshot; mixed CRLF/LF line endings once broke DuckDB's sniffer.
    path = curated.DATA_DIR / name
    assert b"\r" not in path.read_bytes()
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    con = duckdb.connect()
    assert con.execute("SELECT count(*) FROM read_csv(?, all_varchar = true)", [str(path)]).fetchone()[0] == len(rows)
    assert all(row.get("reason") for row in rows)  # every hand-made decision says why


def test_top_n_is_the_n_highest_rated_rows_even_when_ranks_tie() -> None:
    from transforms.marts import open_closed_gap, top

    # LMArena gives tied models one rank: here 11 rows hold a rank of 10 or better (two share rank 10).
    ratings = [1400 - 5 * i for i in range(12)]
    ranks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 12]
    board = pd.DataFrame(
        {
            "board": "text",
            "category": "overall",
            "leaderboard_publish_date": dt.date(2025, 2, 4),
            "model_name": [f"m{i:02d}" for i in range(12)],
            "model_key": [f"m{i:02d}" for i in range(12)],
            "rating": [*ratings[:9], 1355.0, 1355.0, 1355.0],  # m09-m11 tie on rating
            "rating_lower": None,
            "rating_upper": None,
            "vote_count": [1000] * 10 + [500, 900],
            "rank": ranks,
            "openness": ["closed"] * 10 + ["open", "closed"],
            **{c: "x" for c in ("source", "source_url", "raw_sha256")},
            "retrieved_at": pd.Timestamp("2025-02-04", tz="UTC"),
        }
    )
    assert (board["rank"] <= 10).sum() == 11
    # Ties on rating go to the row with more votes: m09 (1000), then m11 (900), then m10 (500).
    assert top(board, 10)["model_name"].tolist() == [f"m{i:02d}" for i in range(10)]
    assert top(board, 11)["model_name"].tolist()[-1] == "m11"
    gap = open_closed_gap(board, dt.date(2025, 2, 4), "overall").iloc[0]
    assert (gap["open_in_top10"], gap["top10_size"], gap["open_share_top10"]) == (0, 10, 0.0)
    assert (gap["open_in_top20"], gap["top20_size"]) == (1, 12)


def test_parse_tags_rows_as_the_pipeline_does(parsed: dict[str, pa.Table]) -> None:
    lmarena_rows = parsed["lmarena"].to_pandas()
    alone = tag_alone(registry.get("lmarena"), lmarena_rows)
    by_parse = dict(zip(alone["model_name"], alone["openness_tier"], strict=True))
    snapshot = build_snapshot({"lmarena": parsed["lmarena"]}, dt.date(2026, 10, 2))["leaderboard_scores"]
    by_pipeline = dict(zip(snapshot["model_name"].to_pylist(), snapshot["openness_tier"].to_pylist(), strict=True))
    assert len(by_pipeline) == 36
    assert {name: by_parse[name] for name in by_pipeline} == by_pipeline
    assert by_parse["qwen-max-0919"] == "api_access"  # the curated override, not the licence string "Qwen"
