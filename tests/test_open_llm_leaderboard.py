"""Open LLM Leaderboard (FORMATS.md §8): the parser against the shipped samples and the real captures (the
dataset's pandas CSV export and fboulnois' flattened API CSV), a parquet form built from the sample, and
``fetch`` against a fake HTTP adapter. Every test is offline; capture tests skip without ``../shared/captures``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from conftest import FakeAdapter
from conftest import fake_session as conftest_fake_session
from extractors import open_llm_leaderboard as oll
from extractors.raw_store import RawMeta, RawStore, sha256_hex
from opengap.errors import FetchError, ParseError

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "open_llm_leaderboard"
SAMPLE = FIXTURES / "contents_sample.csv"
FB_SAMPLE = FIXTURES / "fboulnois_sample.csv"
CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "captures"
CAPTURE_DIR = CAPTURES / "open_llm_leaderboard"
CONTENTS_CAPTURE = "contents_open-llm-leaderboard_2025-02.csv"
FB_CAPTURE = "fboulnois_huggingface_v2_2025-03-21.csv"
needs_captures = pytest.mark.skipif(not CAPTURES.is_dir(), reason=f"real captures not present at {CAPTURES}")

RETRIEVED = "2025-02-12T00:00:00Z"
MISTRAL = "mistralai_Mistral-7B-Instruct-v0.3_bfloat16"
TYPES = {
    "pretrained",
    "continuously pretrained",
    "fine-tuned on domain-specific datasets",
    "chat models (RLHF, DPO, IFT, ...)",
    "base merges and moerges",
    "multimodal",
    "other",
}


def make_meta(content: bytes, file: str) -> RawMeta:
    return RawMeta(
        source=oll.NAME,
        file=file,
        url=f"https://huggingface.co/datasets/{oll.REPO_ID}",
        retrieved_at=RETRIEVED,
        sha256=sha256_hex(content),
        size=len(content),
    )


def parse_bytes(content: bytes, file: str = "contents.csv") -> pa.Table:
    return oll.parse(content, make_meta(content, file))


def by_key(table: pa.Table) -> dict[str, dict]:
    return {r["eval_name"]: r for r in table.to_pylist()}


def csv_rows(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The reference reading: Python's csv module."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def rewrite_csv(content: bytes, *, rename: tuple[str, str]) -> bytes:
    fields, rows = csv_rows(content)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([rename[1] if f == rename[0] else f for f in fields])
    for row in rows:
        writer.writerow([row[f] for f in fields])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def sample() -> pa.Table:
    return parse_bytes(SAMPLE.read_bytes(), SAMPLE.name)


@pytest.fixture(scope="module")
def fb_sample() -> pa.Table:
    return parse_bytes(FB_SAMPLE.read_bytes(), FB_SAMPLE.name)


# ------------------------------------------------------------------------------------------------------------
# contents_sample.csv: 21 real rows of the dataset's CSV export
# ------------------------------------------------------------------------------------------------------------


def test_sample_rows_schema_and_key(sample) -> None:
    _, rows = csv_rows(SAMPLE.read_bytes())
    assert sample.num_rows == len(rows) == 21
    assert sample.schema == oll.SCHEMA
    assert sample["eval_name"].to_pylist() == sorted(r["eval_name"] for r in rows)
    assert oll.KEY == ("eval_name",)
    assert oll.SCHEMA.names[-4:] == ["source", "source_url", "retrieved_at", "raw_sha256"]


def test_sample_named_model_values(sample) -> None:
    row = by_key(sample)[MISTRAL]
    expected = {
        "fullname": "mistralai/Mistral-7B-Instruct-v0.3",
        "precision": "bfloat16",
        "model_type": "chat models (RLHF, DPO, IFT, ...)",
        "architecture": "MistralForCausalLM",
        "params_b": 7.248,
        "hub_license": "apache-2.0",
        "hub_likes": 1335,
        "average": 19.174746309634973,
        "ifeval": 54.652544138441556,
        "bbh": 25.56911494885904,
        "math_lvl_5": 3.5498489425981874,
        "gpqa": 3.9149888143176734,
        "musr": 4.304947916666669,
        "mmlu_pro": 23.057033096926716,
        "base_model": "mistralai/Mistral-7B-v0.3",
        "merged": False,
        "moe": False,
        "flagged": False,
        "official_providers": True,
        "available_on_hub": True,
        "upload_date": dt.date(2024, 5, 22),
        "submission_date": dt.date(2024, 6, 12),
        "source": "open_llm_leaderboard",
        "raw_sha256": sha256_hex(SAMPLE.read_bytes()),
        "retrieved_at": dt.datetime(2025, 2, 12, tzinfo=dt.UTC),
    }
    assert {k: row[k] for k in expected} == expected


def test_sample_empty_hub_license_is_null(sample) -> None:
    _, rows = csv_rows(SAMPLE.read_bytes())
    empty = sorted(r["eval_name"] for r in rows if r["Hub License"] == "")
    assert len(empty) == 7
    rows_out = by_key(sample)
    assert rows_out["1-800-LLMs_Qwen-2.5-14B-Hindi_float16"]["hub_license"] is None
    assert sorted(k for k, r in rows_out.items() if r["hub_license"] is None) == empty
    assert rows_out["Qwen_Qwen2.5-72B-Instruct_bfloat16"]["hub_license"] == "other"


def test_sample_type_emoji_is_stripped(sample) -> None:
    _, rows = csv_rows(SAMPLE.read_bytes())
    assert {r["Type"].split(" ", 1)[0] for r in rows} == {"💬", "🔶", "🤝", "🟢", "🟩", "🌸", "❓"}
    out = by_key(sample)
    assert set(sample["model_type"].to_pylist()) == TYPES
    assert out["gpt2_float16"]["model_type"] == "pretrained"  # was "🟢 pretrained"
    assert out["Daemontatox_AetherTOT_bfloat16"]["model_type"] == "multimodal"  # "🌸 multimodal"
    assert out["google_gemma-2-2b_float16"]["model_type"] == "other"  # "❓ other"


def test_sample_fullname_not_html_model_column(sample) -> None:
    out = by_key(sample)
    assert out[MISTRAL]["fullname"] == "mistralai/Mistral-7B-Instruct-v0.3"
    assert not any("<a" in name for name in sample["fullname"].to_pylist())
    # One repo evaluated in two precisions: two rows, one fullname (and a repo id with no namespace).
    assert out["gpt2_bfloat16"]["fullname"] == out["gpt2_float16"]["fullname"] == "gpt2"


def test_sample_placeholders_become_null(sample) -> None:
    out = by_key(sample)
    assert out["Corianas_llama-3-reactor_float16"]["params_b"] is None  # "-1.0"
    assert out["google_gemma-2-2b_float16"]["params_b"] is None  # "0.0"
    assert out["google_gemma-2-2b_float16"]["architecture"] is None  # "Unknown"
    assert out["EpistemeAI_FineLlama3.1-8B-Instruct_4bit"]["architecture"] is None  # "?"
    assert out["shivank21_mistral_dpo_self_bfloat16"]["architecture"] is None  # ""
    assert out["google_gemma-2-2b_float16"]["submission_date"] is None  # ""
    removed = out["3rd-Degree-Burn_L-3.1-Science-Writer-8B_float16"]  # Base Model "Removed", no upload date
    assert (removed["base_model"], removed["upload_date"], removed["available_on_hub"]) == (None, None, False)


def test_sample_merge_suffix_cut_from_base_model(sample) -> None:
    out = by_key(sample)
    # "3rd-Degree-Burn/Llama-3.1-8B-Squareroot (Merge)": the model itself, tagged as a merge.
    merge = out["3rd-Degree-Burn_Llama-3.1-8B-Squareroot_float16"]
    assert (merge["base_model"], merge["merged"]) == ("3rd-Degree-Burn/Llama-3.1-8B-Squareroot", True)
    # "cognitivecomputations/Dolphin3.0-Llama3.1-8B (Merge)": a real parent; Merged is False all the same.
    other = out["Daemontatox_AetherUncensored_bfloat16"]
    assert (other["base_model"], other["merged"]) == ("cognitivecomputations/Dolphin3.0-Llama3.1-8B", False)
    assert not any(b.endswith("(Merge)") for b in sample["base_model"].drop_null().to_pylist())


def test_sample_booleans(sample) -> None:
    out = by_key(sample)
    assert out["newsbang_Homer-v0.5-Qwen2.5-7B_bfloat16"]["flagged"] is True
    assert out["AuraIndustries_Aura-MoE-2x4B_bfloat16"]["moe"] is True
    assert out["152334H_miqu-1-70b-sf_float16"]["available_on_hub"] is False
    assert sum(sample["flagged"].to_pylist()) == 1
    for col in ("merged", "moe", "flagged", "official_providers", "available_on_hub"):
        assert sample[col].null_count == 0


@pytest.mark.parametrize("column", ["eval_name", "fullname", "Average ⬆️", "Hub License"])
def test_sample_renamed_required_column(column: str) -> None:
    content = rewrite_csv(SAMPLE.read_bytes(), rename=(column, column + " (old)"))
    with pytest.raises(ParseError, match="lacks required column") as err:
        parse_bytes(content, "contents.csv")
    assert f"lacks required column(s) {column}" in str(err.value)
    assert "open_llm_leaderboard file contents.csv" in str(err.value)


@pytest.mark.parametrize("cut", [0.5, 0.93])
def test_sample_truncated(cut: float) -> None:
    content = SAMPLE.read_bytes()
    content = content[: int(len(content) * cut)]
    with pytest.raises(ParseError, match=r"truncated") as err:
        parse_bytes(content, "contents.csv")
    assert "contents.csv" in str(err.value)


def test_sample_bad_values_are_parse_errors() -> None:
    fields, rows = csv_rows(SAMPLE.read_bytes())

    def with_cell(column: str, value: str) -> bytes:
        changed = [dict(r) for r in rows]
        changed[2][column] = value
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(changed)
        return out.getvalue().encode()

    with pytest.raises(ParseError, match=r"data row 3 column 'Average ⬆️' holds unexpected 'n/a'"):
        parse_bytes(with_cell("Average ⬆️", "n/a"))
    with pytest.raises(ParseError, match=r"column 'MoE' holds unexpected 'yes'"):
        parse_bytes(with_cell("MoE", "yes"))
    with pytest.raises(ParseError, match=r"column 'Hub ❤️' holds unexpected '3.5'"):
        parse_bytes(with_cell("Hub ❤️", "3.5"))
    with pytest.raises(ParseError, match=r"column 'Submission Date' holds unexpected '08/05/2024'"):
        parse_bytes(with_cell("Submission Date", "08/05/2024"))
    with pytest.raises(ParseError, match="appears twice"):
        parse_bytes(with_cell("eval_name", rows[0]["eval_name"]))


def test_lowercase_booleans_are_read() -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace(",True,", ",true,").replace(",False,", ",false,")
    assert ",true," in text
    table = parse_bytes(text.encode())
    assert table.drop_columns(["raw_sha256"]).equals(parse_bytes(SAMPLE.read_bytes()).drop_columns(["raw_sha256"]))


# ------------------------------------------------------------------------------------------------------------
# The dataset's parquet form (built here from the sample: typed columns, no index column)
# ------------------------------------------------------------------------------------------------------------

FLOAT_COLUMNS = {"Average ⬆️", "#Params (B)", "CO₂ cost (kg)", "IFEval Raw", "IFEval", "BBH Raw", "BBH"}
FLOAT_COLUMNS |= {"MATH Lvl 5 Raw", "MATH Lvl 5", "GPQA Raw", "GPQA", "MUSR Raw", "MUSR", "MMLU-PRO Raw"}
FLOAT_COLUMNS |= {"MMLU-PRO"}
INT_COLUMNS = {"Hub ❤️", "Generation"}
BOOL_COLUMNS = {"Available on the hub", "MoE", "Flagged", "Chat Template", "Merged", "Official Providers"}


def sample_as_parquet(*, empty_as_null: bool) -> bytes:
    fields, rows = csv_rows(SAMPLE.read_bytes())
    fields = [f for f in fields if f]  # the pandas index column is only in the CSV export
    columns: dict[str, list] = {}
    for f in fields:
        values = [r[f] for r in rows]
        if f in FLOAT_COLUMNS:
            columns[f] = [float(v) if v else None for v in values]
        elif f in INT_COLUMNS:
            columns[f] = [int(v) if v else None for v in values]
        elif f in BOOL_COLUMNS:
            columns[f] = [v == "True" for v in values]
        else:
            columns[f] = [None if (empty_as_null and v == "") else v for v in values]
    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


@pytest.mark.parametrize("empty_as_null", [False, True])
def test_parquet_form_gives_the_same_table(sample, empty_as_null: bool) -> None:
    content = sample_as_parquet(empty_as_null=empty_as_null)
    assert content[:4] == b"PAR1"
    table = parse_bytes(content, "contents.parquet")
    assert table.drop_columns(["raw_sha256"]).equals(sample.drop_columns(["raw_sha256"]))


def test_truncated_parquet() -> None:
    content = sample_as_parquet(empty_as_null=False)
    cut = content[: len(content) // 2]
    with pytest.raises(ParseError, match=r"contents\.parquet .*not a readable parquet file \(truncated"):
        parse_bytes(cut, "contents.parquet")


# ------------------------------------------------------------------------------------------------------------
# fboulnois_sample.csv: the flattened Space API (2025-03-21)
# ------------------------------------------------------------------------------------------------------------


def test_fboulnois_sample_maps_to_the_same_columns(fb_sample, sample) -> None:
    _, rows = csv_rows(FB_SAMPLE.read_bytes())
    assert fb_sample.num_rows == len(rows) == 23
    assert fb_sample.schema == oll.SCHEMA
    out = by_key(fb_sample)
    row = out[MISTRAL]  # eval_name built from model_name and model_precision
    assert row["fullname"] == "mistralai/Mistral-7B-Instruct-v0.3"
    assert row["model_type"] == "chat models (RLHF, DPO, IFT, ...)"  # from "chatmodels"
    assert (row["hub_license"], row["params_b"], row["base_model"]) == (
        "apache-2.0",
        7.248,
        "mistralai/Mistral-7B-v0.3",
    )
    # Newer than the dataset copy: more likes, MATH re-scored, so a different average.
    assert (row["hub_likes"], row["average"], row["math_lvl_5"]) == (1515, 19.2250987769059, 3.85196374622356)
    assert row["ifeval"] == 54.6525441384416  # the normalized score, not evaluations_ifeval_value (0.546…)
    assert (row["official_providers"], row["available_on_hub"]) == (True, True)
    assert set(fb_sample["model_type"].to_pylist()) <= TYPES
    assert out["DeepMount00_Llama-3.1-8b-Ita_bfloat16"]["model_type"] == "other"  # from "❓other"
    # Rows the two samples share give the same eval_name.
    shared = set(out) & set(sample["eval_name"].to_pylist())
    assert len(shared) == 19
    assert "meta-llama_Llama-3.1-8B-Instruct_float16" in out  # renamed repo, only in the API copy


def test_fboulnois_not_available_flag_means_available(fb_sample, sample) -> None:
    fb, ds = by_key(fb_sample), by_key(sample)
    # features_is_not_available_on_hub is TRUE where the dataset says "Available on the hub" True.
    _, rows = csv_rows(FB_SAMPLE.read_bytes())
    mistral = next(r for r in rows if r["model_name"] == "mistralai/Mistral-7B-Instruct-v0.3")
    assert mistral["features_is_not_available_on_hub"] == "TRUE"
    assert fb[MISTRAL]["available_on_hub"] is ds[MISTRAL]["available_on_hub"] is True
    miqu = "152334H_miqu-1-70b-sf_float16"
    assert fb[miqu]["available_on_hub"] is ds[miqu]["available_on_hub"] is False


def test_fboulnois_renamed_required_column() -> None:
    content = rewrite_csv(FB_SAMPLE.read_bytes(), rename=("metadata_hub_license", "metadata_license"))
    with pytest.raises(ParseError, match=r"lacks required column\(s\) metadata_hub_license"):
        parse_bytes(content, "huggingface_v2.csv")


# ------------------------------------------------------------------------------------------------------------
# fetch, against a fake adapter (no network)
# ------------------------------------------------------------------------------------------------------------


def fake_session(body: bytes, status: int = 200) -> tuple[requests.Session, FakeAdapter]:
    return conftest_fake_session(body, status, {"ETag": '"abc"'})


def test_fetch_stores_the_parquet_and_its_meta(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    body = sample_as_parquet(empty_as_null=False)
    session, adapter = fake_session(body)
    store = RawStore(tmp_path)
    [raw] = oll.fetch(session, store, "2025-03-21")
    url = "https://huggingface.co/datasets/open-llm-leaderboard/contents/resolve/main/data/train-00000-of-00001.parquet"
    assert [r.url for r in adapter.requests] == [url]
    folder = tmp_path / "open_llm_leaderboard" / "2025-03-21"
    assert (folder / "contents.parquet").read_bytes() == body == raw.content
    meta = json.loads((folder / "contents.parquet.meta.json").read_text())
    assert (meta["url"], meta["sha256"], meta["params"]) == (url, sha256_hex(body), {})
    assert meta["headers"]["ETag"] == '"abc"'
    table = oll.parse(raw.content, raw.meta)
    assert table.num_rows == 21
    assert set(table["source_url"].to_pylist()) == {url}
    oll.fetch(session, store, "2025-03-21")  # static source: the stored copy is reused
    assert len(adapter.requests) == 1


def test_fetch_honours_hf_endpoint(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.example/")
    session, adapter = fake_session(sample_as_parquet(empty_as_null=False))
    oll.fetch(session, RawStore(tmp_path), "2025-03-21")
    assert adapter.requests[0].url == (
        "https://hf-mirror.example/datasets/open-llm-leaderboard/contents/resolve/main/"
        "data/train-00000-of-00001.parquet"
    )


def test_fetch_404_names_the_url(tmp_path) -> None:
    session, _ = fake_session(b"Entry not found", status=404)
    with pytest.raises(FetchError, match=r"train-00000-of-00001\.parquet answered HTTP 404"):
        oll.fetch(session, RawStore(tmp_path), "2025-03-21")


# ------------------------------------------------------------------------------------------------------------
# Real captures
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contents() -> pa.Table:
    if not CAPTURES.is_dir():
        pytest.skip(f"real captures not present at {CAPTURES}")
    return parse_bytes((CAPTURE_DIR / CONTENTS_CAPTURE).read_bytes(), CONTENTS_CAPTURE)


@pytest.fixture(scope="module")
def fboulnois() -> pa.Table:
    if not CAPTURES.is_dir():
        pytest.skip(f"real captures not present at {CAPTURES}")
    return parse_bytes((CAPTURE_DIR / FB_CAPTURE).read_bytes(), FB_CAPTURE)


@needs_captures
def test_capture_folder_is_what_the_tests_expect() -> None:
    assert sorted(p.name for p in CAPTURE_DIR.glob("*.csv")) == sorted([CONTENTS_CAPTURE, FB_CAPTURE])


@needs_captures
def test_contents_capture(contents) -> None:
    _, rows = csv_rows((CAPTURE_DIR / CONTENTS_CAPTURE).read_bytes())
    assert contents.num_rows == len(rows) == 3827
    assert contents.schema == oll.SCHEMA
    assert set(contents["eval_name"].to_pylist()) == {r["eval_name"] for r in rows}
    assert contents["hub_license"].null_count == sum(r["Hub License"] == "" for r in rows) == 1356
    assert contents["base_model"].null_count == 404  # "Removed"
    assert contents["params_b"].null_count == 5  # 3 x "-1.0", 2 x "0.0"
    assert contents["architecture"].null_count == 60  # 57 "?", 2 "Unknown", 1 ""
    assert contents["submission_date"].null_count == 7
    assert contents["upload_date"].null_count == 373
    assert max(contents["submission_date"].to_pylist(), key=lambda d: d or dt.date.min) == dt.date(2025, 2, 8)
    assert set(contents["model_type"].to_pylist()) == TYPES
    assert contents["model_type"].to_pylist().count("chat models (RLHF, DPO, IFT, ...)") == 697
    assert len(set(contents["fullname"].to_pylist())) < contents.num_rows  # repos in several precisions


@needs_captures
def test_contents_capture_named_models(contents) -> None:
    out = by_key(contents)
    row = out[MISTRAL]
    assert (row["hub_license"], row["average"], row["params_b"], row["base_model"]) == (
        "apache-2.0",
        19.174746309634973,
        7.248,
        "mistralai/Mistral-7B-v0.3",
    )
    top = out["MaziyarPanahi_calme-3.2-instruct-78b_bfloat16"]  # best average in the file
    assert (top["average"], top["hub_license"], top["params_b"], top["base_model"]) == (
        52.01844339470305,
        "other",
        77.965,
        None,  # "Removed"
    )
    llama = out["meta-llama_Meta-Llama-3.1-8B-Instruct_bfloat16"]
    assert (llama["hub_license"], llama["base_model"]) == ("llama3.1", "meta-llama/Meta-Llama-3.1-8B")


@needs_captures
def test_fboulnois_capture(fboulnois, contents) -> None:
    _, rows = csv_rows((CAPTURE_DIR / FB_CAPTURE).read_bytes())
    assert fboulnois.num_rows == len(rows) == 4576
    assert fboulnois["hub_license"].null_count == sum(r["metadata_hub_license"] == "" for r in rows) == 1753
    assert set(fboulnois["model_type"].to_pylist()) == TYPES
    assert max(fboulnois["submission_date"].to_pylist(), key=lambda d: d or dt.date.min) == dt.date(2025, 3, 13)
    fb, ds = by_key(fboulnois), by_key(contents)
    shared = set(fb) & set(ds)
    assert len(shared) == 3823  # 4 dataset rows (meta-llama/Meta-Llama-3.1-*) are gone from the API copy
    same_availability = sum(fb[k]["available_on_hub"] == ds[k]["available_on_hub"] for k in shared)
    assert same_availability == 3778  # the inverted-looking flag agrees with the dataset almost always


@needs_captures
@pytest.mark.parametrize(("fixture", "capture"), [(SAMPLE, CONTENTS_CAPTURE), (FB_SAMPLE, FB_CAPTURE)])
def test_fixture_lines_are_verbatim_capture_lines(fixture: Path, capture: str) -> None:
    lines = set((CAPTURE_DIR / capture).read_bytes().split(b"\n"))
    fixture_lines = fixture.read_bytes().split(b"\n")
    assert fixture_lines[-1] == b""
    assert all(line in lines for line in fixture_lines[:-1])
