"""The Hugging Face Hub source: listings per tracked organization (FORMATS.md section 4)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from test_parsers import make_meta

from conftest import ARCHIVE, CAPTURES, needs_captures
from extractors import hf_hub, hf_hub_derivatives
from extractors.base import drift_of
from extractors.raw_store import RawStore

STORE = RawStore(ARCHIVE / "raw")


def _page(org: str):
    raw = STORE.read("hf_hub", "2024-11-30", f"models.{org}.page-1.json")
    return {r["repo_id"]: r for r in hf_hub.parse(raw.content, raw.meta).to_pylist()}


def test_a_listing_gives_adoption_licence_and_lineage_per_repo() -> None:
    meta = _page("meta-llama")
    llama = meta["meta-llama/Llama-3.1-8B-Instruct"]
    assert (llama["downloads_30d"], llama["likes"], llama["license"], llama["gated"]) == (
        6407299,
        3160,
        "llama3.1",
        "manual",
    )
    assert (llama["base_model"], llama["base_relation"]) == ("meta-llama/Llama-3.1-8B", "finetune")
    assert llama["parameters"] == 8030261248.0 and llama["organization"] == "meta-llama"
    assert llama["created_at"].year == 2024 and llama["downloads_all_time"] is None  # not expanded in this capture
    nvidia = _page("nvidia")
    # A card licence "other" names the licence in license_name.
    assert nvidia["nvidia/Hymba-1.5B-Base"]["license"] == "nvidia-open-model-license"
    assert list(_page("Qwen")) == ["Qwen/QwQ-32B-Preview", "Qwen/Qwen2.5-Coder-32B-Instruct"]  # sorted by repo


def test_hub_repos_are_open_weights_evidence_with_their_card_licence() -> None:
    from transforms.build import build_snapshot, concat_parsed

    assert len(STORE.files("hf_hub", "2024-11-30")) == 3  # one listing per organization in the fixture
    parsed = concat_parsed([hf_hub.parse(r.content, r.meta) for r in STORE.read_all("hf_hub", "2024-11-30")])
    tables = build_snapshot({"hf_hub": parsed.to_pandas()}, dt.date(2026, 10, 2), {"hf_hub": "2024-11-30"})
    hub = {r["repo_id"]: r for r in tables["hub_models"].to_pylist()}
    assert hub["meta-llama/Llama-3.1-8B-Instruct"]["openness_tier"] == "open_weights_restricted"  # llama3.1
    assert hub["Qwen/QwQ-32B-Preview"]["openness_tier"] == "open_weights_unrestricted"  # apache-2.0
    assert hub["nvidia/Hymba-1.5B-Instruct"]["openness_tier"] == "open_weights_restricted"  # NVIDIA Open Model
    assert hub["Qwen/QwQ-32B-Preview"]["openness_source"] == "hugging_face_hub"


class Pages(HTTPAdapter):
    """Two pages of one listing, joined by a Link cursor; records each request."""

    def __init__(self, first: bytes, second: bytes) -> None:
        super().__init__()
        self.pages, self.requests = [first, second], []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.requests.append(request)
        body = self.pages[len(self.requests) - 1]
        resp = requests.Response()
        resp.status_code, resp.url, resp.request, resp.reason = 200, request.url, request, "OK"
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        if len(self.requests) == 1:
            headers["Link"] = '<https://huggingface.co/api/models?author=deepseek-ai&cursor=abc>; rel="next"'
        resp.headers, resp.raw = CaseInsensitiveDict(headers), io.BytesIO(body)
        return resp


def test_fetch_follows_the_link_cursor_and_stores_each_page_raw(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(hf_hub, "organizations", lambda: ("deepseek-ai",))
    monkeypatch.setattr(hf_hub, "linked_repos", lambda store, date: [])
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token")
    first = json.dumps([{"id": "deepseek-ai/DeepSeek-R1", "downloads": 5, "likes": 1, "tags": ["license:mit"]}])
    second = json.dumps([{"id": "deepseek-ai/DeepSeek-V3", "downloads": 3, "likes": 2, "tags": []}])
    adapter = Pages(first.encode(), second.encode())
    session = requests.Session()
    session.mount("https://", adapter)
    store = RawStore(tmp_path)
    files = hf_hub.fetch(session, store, "2026-11-30")
    assert [f.meta.file for f in files] == ["models.deepseek-ai.page-1.json", "models.deepseek-ai.page-2.json"]
    first_url, second_url = (r.url for r in adapter.requests)
    assert "author=deepseek-ai" in first_url and "expand=childrenModelCount" in first_url
    assert second_url == "https://huggingface.co/api/models?author=deepseek-ai&cursor=abc"
    assert adapter.requests[0].headers["authorization"] == "Bearer hf_secret_token"
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*.meta.json"))
    assert b"hf_secret_token" not in stored  # request headers are never stored


@needs_captures
def test_the_captured_hub_answers() -> None:
    path = CAPTURES / "huggingface_hub" / "model_info_full_x50_2024-11.json"
    content = path.read_bytes()
    table = hf_hub.parse(content, make_meta("hf_hub", path.name, content))
    assert table.num_rows == 50 and drift_of(table) == {}
    relations = table["base_relation"].to_pylist()
    assert {r: relations.count(r) for r in ("finetune", "adapter", "quantized")} == {
        "finetune": 14,
        "adapter": 7,
        "quantized": 3,
    }
    path = CAPTURES / "huggingface_hub" / "list_models_limit50_default_sort_2024-11.json"
    content = path.read_bytes()
    assert hf_hub.parse(content, make_meta("hf_hub", path.name, content)).num_rows == 50
    # March 2024: a base_model tag without its relation (relation tags appear from late 2024).
    path = CAPTURES / "huggingface_hub" / "model_HuggingFaceH4_zephyr-7b-beta_2024-03-14.json"
    content = b"[" + path.read_bytes() + b"]"
    (zephyr,) = hf_hub.parse(content, make_meta("hf_hub", path.name, content)).to_pylist()
    assert (zephyr["base_model"], zephyr["base_relation"]) == ("mistralai/Mistral-7B-v0.1", None)


def test_the_scope_file_needs_a_reason_and_source(tmp_path, monkeypatch) -> None:
    from extractors import hub_scope

    assert len(hf_hub.organizations()) == 17 and "deepseek-ai" in hf_hub.organizations()
    family = hub_scope.family_of()
    assert family["deepseek-ai/DeepSeek-R1-Distill-Llama-70B"] == "DeepSeek-R1" and len(family) == 27
    for text, error in [
        ("kind,name,repo,reason,source_url\norganization,acme,,,\n", "every row needs reason, source_url"),
        ("kind,name,repo,reason,source_url\nteam,acme,,why,https://x.invalid\n", "is not one of"),
        ("kind,name,repo,reason,source_url\nfamily,Acme,acme,why,https://x.invalid\n", "names a base repo"),
    ]:
        bad = tmp_path / "scope.csv"
        bad.write_text(text)
        monkeypatch.setattr(hub_scope, "SCOPE_FILE", bad)
        hub_scope.reload()
        try:
            with pytest.raises(Exception, match=error):
                hub_scope.organizations()
        finally:
            monkeypatch.undo()
            hub_scope.reload()


def test_open_adoption_sums_per_organization_and_credits_ollama_pulls_to_the_hub_owner() -> None:
    import pandas as pd

    from transforms.build import build_snapshot

    meta = {"source": "x", "source_url": "https://example.invalid", "raw_sha256": "s"}
    retrieved = pd.Timestamp("2026-10-01", tz="UTC")
    hub = pd.DataFrame(
        {
            "repo_id": ["deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-V3", "Qwen/QwQ-32B"],
            "organization": ["deepseek-ai", "deepseek-ai", "Qwen"],
            "model_name": ["DeepSeek-R1", "DeepSeek-V3", "QwQ-32B"],
            "downloads_30d": [1000, 500, 300],
            "downloads_all_time": [None, None, None],
            "likes": [10, 5, 3],
            "license": ["mit", "mit", "apache-2.0"],
            **{c: None for c in ("gated", "pipeline_tag", "library_name", "parameters", "base_model", "base_relation")},
            "renamed_from": None,
            "family": ["DeepSeek-R1", None, None],
            "created_at": pd.Timestamp("2025-01-20", tz="UTC"),
            "last_modified": pd.Timestamp("2025-01-20", tz="UTC"),
            "children_finetune": [300, 20, None],
            "children_total": [300, 20, 80],
            **{f"children_{r}": None for r in ("adapter", "quantized", "merge")},
            **meta,
            "retrieved_at": retrieved,
        }
    )
    library = pd.DataFrame(
        {
            "model": ["deepseek-r1", "llama3.1"],
            "popularity_rank": [1, 2],
            **{
                c: None
                for c in ("description", "capabilities", "sizes", "updated_text", "updated_approx", "updated_at")
            },
            "newest_rank": None,
            "licence_text": None,
            "pulls": [55_700_000, 90_000_000],
            "pulls_precision": [100_000, 100_000],
            "tag_count": [35, 90],
            "updated_precision": None,
            "weights_downloadable": True,
            "organization": ["deepseek-ai", "meta-llama"],  # extractors/data/ollama_families.csv
            "family": ["DeepSeek-R1", "Llama 3.x"],
            **meta,
            "retrieved_at": retrieved,
        }
    )
    tables = build_snapshot(
        {"hf_hub": hub, "ollama": library}, dt.date(2026, 10, 2), {"hf_hub": "2026-10-01", "ollama": "2026-10-01"}
    )
    adoption = {r["organization"]: r for r in tables["open_adoption"].to_pylist()}
    deepseek = adoption["deepseek-ai"]
    assert (deepseek["models"], deepseek["downloads_30d"], deepseek["likes"]) == (2, 1500, 15)
    assert deepseek["derivatives_finetune"] == 320 and deepseek["derivatives_adapter"] is None
    assert deepseek["ollama_pulls"] == 55_700_000  # deepseek-r1 on Ollama is deepseek-ai's
    assert adoption["Qwen"]["ollama_pulls"] is None and adoption["Qwen"]["derivatives_finetune"] is None
    assert deepseek["share_of_downloads_30d"] == pytest.approx(1500 / 1800)
    assert deepseek["derivatives"] == 320 and deepseek["share_of_derivatives"] == pytest.approx(320 / 400)
    assert adoption["meta-llama"]["ollama_pulls"] == 90_000_000 and adoption["meta-llama"]["downloads_30d"] is None
    # Per family: the family's base repos on the Hub and its Ollama names.
    family = {r["family"]: r for r in tables["family_adoption"].to_pylist()}
    assert set(family) == {"DeepSeek-R1", "Llama 3.x"}
    r1 = family["DeepSeek-R1"]
    assert (r1["downloads_30d"], r1["derivatives_finetune"], r1["ollama_pulls"]) == (1000, 300, 55_700_000)


def test_a_scope_that_could_pass_the_request_budget_is_refused(tmp_path, monkeypatch) -> None:
    assert len(hf_hub.organizations()) * hf_hub.MAX_PAGES == 85 <= hf_hub.REQUEST_BUDGET
    assert hf_hub.REQUEST_BUDGET + hf_hub_derivatives.REQUEST_BUDGET <= 500  # the Hub's anonymous 5-minute window
    monkeypatch.setattr(hf_hub, "organizations", lambda: tuple(f"org{i}" for i in range(101)))
    with pytest.raises(Exception, match="could pass its budget of 200 of the Hub's 500 requests per 5 minutes"):
        hf_hub.fetch(requests.Session(), RawStore(tmp_path), "2026-11-30")
    assert not list(tmp_path.iterdir())  # refused before any request


def _children(date: str):
    from flows.snapshot import RawInput, load_parsed

    return load_parsed(RawInput("hf_hub_derivatives", str(STORE.root), date))


def test_child_listings_accumulate_over_days_and_give_relation_and_date() -> None:
    import pandas as pd

    assert len(_children("2024-03-14")) == 1  # only the March folder
    rows = {(r["base_repo"], r["repo_id"]): r for r in _children("2024-11-30").to_dict("records")}
    assert len(rows) == 5  # the March folder and the November one
    skywork = rows[("meta-llama/Llama-3.1-8B-Instruct", "Skywork/Skywork-o1-Open-Llama-3.1-8B")]
    assert (skywork["relation"], skywork["family"], skywork["organization"]) == ("finetune", "Llama 3.x", "Skywork")
    zephyr = rows[("mistralai/Mistral-7B-v0.1", "HuggingFaceH4/zephyr-7b-beta")]
    assert pd.isna(zephyr["relation"]) and str(zephyr["created_on"]) == "2023-10-26"  # before relation tags
    assert rows[("Qwen/Qwen2.5-32B-Instruct", "Qwen/QwQ-32B-Preview")]["relation"] == "finetune"


def test_hub_derivatives_count_per_base_and_relation_by_each_method() -> None:
    import pandas as pd

    from transforms.build import build_snapshot

    hub = _page("Qwen")["Qwen/QwQ-32B-Preview"]
    live = pd.DataFrame([{**hub, "renamed_from": None, "children_quantized": 120, "children_finetune": 31}])
    parsed = {"hf_hub": live, "hf_hub_derivatives": _children("2024-11-30")}
    dates = {"hf_hub": "2024-11-30", "hf_hub_derivatives": "2024-11-30"}

    def counts(day: str) -> dict:
        table = build_snapshot(parsed, dt.date.fromisoformat(day), dates)["hub_derivatives"].to_pylist()
        return {(r["base_repo"], r["relation"], r["method"]): (r["family"], r["derivatives"]) for r in table}

    now = counts("2024-11-30")
    assert now[("Qwen/QwQ-32B-Preview", "quantized", "children_model_count")] == (None, 120)  # not a family base
    assert now[("Qwen/QwQ-32B-Preview", "finetune", "children_model_count")] == (None, 31)
    assert now[("Qwen/Qwen2.5-32B-Instruct", "finetune", "reconstructed_from_created_at")] == ("Qwen2.5", 1)
    assert now[("mistralai/Mistral-7B-v0.1", "unspecified", "reconstructed_from_created_at")] == ("Mistral 7B", 1)
    assert len(now) == 7
    # A backfill of mid-2024 counts the children created by then; the Hub's live count has no past.
    assert counts("2024-06-01") == {
        ("mistralai/Mistral-7B-v0.1", "unspecified", "reconstructed_from_created_at"): ("Mistral 7B", 1)
    }


def test_a_fall_in_cumulative_counts_and_a_silent_organization_are_warnings_naming_them() -> None:
    import pyarrow as pa

    from expectations.generated import decreases
    from expectations.validate import validate_tables
    from transforms.build import build_snapshot, concat_parsed

    parsed = concat_parsed([hf_hub.parse(r.content, r.meta) for r in STORE.read_all("hf_hub", "2024-11-30")])
    before = build_snapshot({"hf_hub": parsed.to_pandas()}, dt.date(2024, 11, 30), {"hf_hub": "2024-11-30"})
    before = before["hub_models"]
    frame = before.to_pandas()
    frame["downloads_all_time"] = 1000
    earlier = pa.Table.from_pandas(frame.copy(), schema=before.schema, preserve_index=False)  # no shared buffer
    frame.loc[frame["repo_id"] == "nvidia/Hymba-1.5B-Base", "downloads_all_time"] = 990  # fell: a recount?
    frame.loc[frame["repo_id"] == "Qwen/QwQ-32B-Preview", "downloads_all_time"] = 5000
    now = pa.Table.from_pandas(frame, schema=before.schema, preserve_index=False)
    found = decreases(hf_hub.TABLE, earlier, now, "2024-11-29")
    assert found["kwargs"]["value_set"] == ["nvidia/Hymba-1.5B-Base"] and found["severity"] == "warning"
    report = validate_tables({"hub_models": now}, extra={"hub_models": [found]})
    assert report.success  # warnings never block a snapshot
    warned = {f.expectation: f for f in report.warnings}
    fell = warned["expect_column_values_to_not_be_in_set"]
    assert (fell.unexpected_count, fell.examples) == (1, ["nvidia/Hymba-1.5B-Base"])
    # The fixture holds three of the 17 tracked organizations' listings: the other 14 are named as missing.
    silent = warned["expect_column_distinct_values_to_contain_set"]
    assert (silent.column, silent.unexpected_count) == ("organization", 14) and "deepseek-ai" in silent.examples
