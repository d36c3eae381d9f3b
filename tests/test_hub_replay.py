"""Both Hub sources' fetches against a local server replaying recorded Hub answers (FORMATS.md section 4): a paged
listing joined by Link cursors, a 307 rename, a gated repo, a 429 with RateLimit headers, and the derivatives'
cursor carried from one night to the next. No request leaves the machine."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import ARCHIVE, FIXTURES
from extractors import hf_hub, hf_hub_derivatives
from extractors.http import make_session
from extractors.raw_store import RawStore
from flows.snapshot import RawInput, load_parsed

RECORDED = FIXTURES / "hf_hub"
ARCHIVED = RawStore(ARCHIVE / "raw")


def _archived(source: str, date: str, file: str) -> bytes:
    return ARCHIVED.read(source, date, file).content


class Hub(BaseHTTPRequestHandler):
    """Routes: the meta-llama listing in two pages, ``bert-base-uncased`` renamed (307), the gated Llama answer
    behind one 429, and each family base's children (``children`` maps a base to its pages, newest first)."""

    children: ClassVar[dict[str, list[list[dict]]]] = {}
    log: ClassVar[list[str]] = []
    throttled: ClassVar[set[str]] = set()

    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json; charset=utf-8", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.log.append(self.path)
        base = f"http://127.0.0.1:{self.server.server_port}"
        if url.path == "/api/models" and query.get("author") == "meta-llama":
            listing = json.loads(_archived("hf_hub", "2024-11-30", "models.meta-llama.page-1.json"))
            if query.get("cursor") == "page2":
                return self._send(200, json.dumps(listing[1:]).encode())
            link = f'<{base}/api/models?author=meta-llama&cursor=page2>; rel="next"'
            return self._send(200, json.dumps(listing[:1]).encode(), {"Link": link})
        if url.path == "/api/models" and "author" in query:  # another tracked organization: nothing listed
            return self._send(200, b"[]")
        if url.path == "/api/models" and "filter" in query:
            pages = self.children.get(query["filter"].removeprefix("base_model:"), [[]])
            number = int(query.get("cursor", "0"))
            more = {"Link": f'<{base}/api/models?filter={query["filter"]}&cursor={number + 1}>; rel="next"'}
            return self._send(200, json.dumps(pages[number]).encode(), more if number + 1 < len(pages) else {})
        if url.path == "/api/models/bert-base-uncased":
            body = b"Temporary Redirect. Redirecting to /api/models/google-bert/bert-base-uncased"
            return self._send(307, body, {"Location": "/api/models/google-bert/bert-base-uncased"})
        if url.path == "/api/models/google-bert/bert-base-uncased":
            return self._send(200, (RECORDED / "model_google-bert_bert-base-uncased_2025-01-22.json").read_bytes())
        if url.path == "/api/models/meta-llama/Llama-3.1-8B-Instruct":
            if url.path not in self.throttled:  # the first ask is over the limit
                self.throttled.add(url.path)
                # The Hub's IETF RateLimit headers, without Retry-After: the reset time t (seconds) is the wait.
                limits = {"RateLimit": '"api";r=0;t=1', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
                return self._send(429, b'{"error":"rate limited"}', limits)
            return self._send(200, (RECORDED / "model_meta-llama_Llama-3.1-8B-Instruct_2025-03-21.json").read_bytes())
        return self._send(404, b'{"error":"Repository not found"}')


@pytest.fixture()
def hub(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    Hub.log, Hub.throttled, Hub.children = [], set(), {}
    yield Hub
    server.shutdown()
    server.server_close()


def test_listing_pages_a_rename_a_gated_repo_and_a_429(hub, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(hf_hub, "organizations", lambda: ("meta-llama",))
    linked = ["bert-base-uncased", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.2-1B-Instruct"]
    monkeypatch.setattr(hf_hub, "linked_repos", lambda store, date: linked)
    session, store = make_session("opengap-test", backoff_factor=0.01), RawStore(tmp_path)
    files = hf_hub.fetch(session, store, "2026-11-30")
    # Llama-3.1-8B-Instruct is on the listing's second page: only the other two linked repos are asked for.
    assert [f.meta.file for f in files] == [
        "models.meta-llama.page-1.json",
        "models.meta-llama.page-2.json",
        "repo.bert-base-uncased.json",  # Llama-3.2-1B-Instruct answered 404: skipped, the rest stands
    ]
    assert files[1].meta.url.endswith("cursor=page2")
    assert session.requests_sent == 5  # two pages, the 307 and its target, the 404 (never retried)
    rows = {r["repo_id"]: r for r in load_parsed(RawInput("hf_hub", str(tmp_path), "2026-11-30")).to_dict("records")}
    bert = rows["google-bert/bert-base-uncased"]
    assert (bert["renamed_from"], bert["license"], bert["downloads_30d"]) == (
        "bert-base-uncased",
        "apache-2.0",
        72376843,
    )
    assert rows["meta-llama/Llama-3.1-8B-Instruct"]["gated"] == "manual"


def test_a_429_waits_for_the_ratelimit_reset_and_is_counted(hub, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(hf_hub, "organizations", lambda: ())
    monkeypatch.setattr(hf_hub, "linked_repos", lambda store, date: ["meta-llama/Llama-3.1-8B-Instruct"])
    session = make_session("opengap-test", backoff_factor=0.01)
    started = time.monotonic()
    (raw,) = hf_hub.fetch(session, RawStore(tmp_path), "2026-11-30")
    assert time.monotonic() - started >= 0.9  # RateLimit t=1, not the 0.01 s backoff
    assert session.requests_sent == 2  # the 429 and the answer after the reset
    assert raw.meta.status == 200 and json.loads(raw.content)["gated"] == "manual"
    (row,) = hf_hub.parse(raw.content, raw.meta).to_pylist()
    assert (row["repo_id"], row["license"], row["renamed_from"]) == (
        "meta-llama/Llama-3.1-8B-Instruct",
        "llama3.1",
        None,
    )


def _child(repo: str, created: str, relation: str, base: str) -> dict:
    return {
        "id": repo,
        "createdAt": created,
        "downloads": 1,
        "likes": 0,
        "tags": [f"base_model:{base}", f"base_model:{relation}:{base}"],
    }


def test_derivatives_walk_once_then_fetch_only_what_is_new(hub, tmp_path, monkeypatch) -> None:
    base = "deepseek-ai/DeepSeek-R1"
    monkeypatch.setattr(hf_hub_derivatives.hub_scope, "family_of", lambda: {base: "DeepSeek-R1"})
    first = [_child("a/r1-ft", "2025-03-01T00:00:00.000Z", "finetune", base)]
    second = [_child("b/r1-gguf", "2025-02-01T00:00:00.000Z", "quantized", base)]
    hub.children[base] = [first, second]
    store = RawStore(tmp_path)
    night1 = hf_hub_derivatives.fetch(make_session("t"), store, "2026-11-29")
    assert len(night1) == 2  # the whole listing, two pages joined by the Link cursor
    # The next night: one new child on top of what was seen; the walk stops at the first page reaching it.
    hub.children[base] = [[_child("c/r1-merge", "2025-04-01T00:00:00.000Z", "merge", base), *first], second]
    night2 = hf_hub_derivatives.fetch(make_session("t"), store, "2026-11-30")
    assert [f.meta.file for f in night2] == ["children.deepseek-ai--DeepSeek-R1.2026-11-30.page-1.json"]
    cursor = json.loads((tmp_path / "hf_hub_derivatives" / "2026-11-30" / "_cursor.json").read_text())
    assert cursor == {base: {"newest": "2025-04-01T00:00:00.000Z"}}
    children = load_parsed(RawInput("hf_hub_derivatives", str(tmp_path), "2026-11-30"))
    assert sorted(zip(children["repo_id"], children["relation"], strict=True)) == [
        ("a/r1-ft", "finetune"),  # listed both nights, kept once
        ("b/r1-gguf", "quantized"),
        ("c/r1-merge", "merge"),
    ]


def test_a_walk_cut_by_the_budget_resumes_from_the_stored_cursor(hub, tmp_path, monkeypatch) -> None:
    base = "deepseek-ai/DeepSeek-R1"
    monkeypatch.setattr(hf_hub_derivatives.hub_scope, "family_of", lambda: {base: "DeepSeek-R1"})
    monkeypatch.setattr(hf_hub_derivatives, "REQUEST_BUDGET", 2)
    hub.children[base] = [[_child(f"u/c{n}", f"2025-0{9 - n}-01T00:00:00.000Z", "finetune", base)] for n in range(4)]
    store = RawStore(tmp_path)
    assert len(hf_hub_derivatives.fetch(make_session("t"), store, "2026-11-29")) == 2
    cursor = json.loads((tmp_path / "hf_hub_derivatives" / "2026-11-29" / "_cursor.json").read_text())
    assert cursor[base]["resume"].endswith("cursor=2")  # the Hub's own Link, stored
    night2 = hf_hub_derivatives.fetch(make_session("t"), store, "2026-11-30")
    # One request finds nothing new on top, the other continues the cut walk from page 3.
    assert [f.meta.file.rsplit(".", 2)[-2] for f in night2] == ["page-1", "resume-1"]
    children = load_parsed(RawInput("hf_hub_derivatives", str(tmp_path), "2026-11-30"))
    assert sorted(children["repo_id"]) == ["u/c0", "u/c1", "u/c2"]


def test_a_nightly_of_the_default_scope_stays_under_the_hub_budget(hub, tmp_path) -> None:
    """The real scope file: 17 organizations, 27 family bases. Each source counts what it sent."""
    store = RawStore(tmp_path)
    listing, children = make_session("t"), make_session("t")
    hf_hub.fetch(listing, store, "2026-11-30")
    hf_hub_derivatives.fetch(children, store, "2026-11-30")
    # 17 listings (meta-llama's in two pages) and one detail request for each family base the listings missed
    # (27 less Llama-3.1-8B-Instruct and Llama-3.2-3B-Instruct, listed; 404 here); one listing per family base.
    assert (listing.requests_sent, children.requests_sent) == (18 + 25, 27)
    assert (
        listing.requests_sent <= hf_hub.REQUEST_BUDGET and children.requests_sent <= hf_hub_derivatives.REQUEST_BUDGET
    )
    assert listing.requests_sent + children.requests_sent <= 500  # the Hub's anonymous 5-minute window
