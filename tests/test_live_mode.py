"""Live mode against a local HTTP server that replays recorded real-format responses (no internet).

The server binds to 127.0.0.1 only and answers a fixed script per path, so retries, rate limits, size caps
and the raw-first guarantee are exercised through the real requests/urllib3 stack.
"""

from __future__ import annotations

import datetime
import io
import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ARCHIVE
from extractors import epoch, lmarena
from extractors.http import fetch_to_store, get, make_session
from extractors.raw_store import RawStore
from opengap.errors import FetchError, ParseError, RawStoreError

SHA = "d25aabda0010d1986a11988e5cb0a748053ce02b"
LIVE_SOURCES = ["lmarena", "epoch"]  # the sources this loopback server answers for
TODAY = datetime.datetime.now(datetime.UTC).date().isoformat()


class Recorded:
    """Path → list of (status, headers, body); the last answer repeats. Records every request seen."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.seen: dict[str, int] = defaultdict(int)
        self.user_agents: set[str] = set()


@pytest.fixture
def server():
    recorded = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?", 1)[0]
            recorded.user_agents.add(self.headers.get("User-Agent", ""))
            answers = recorded.script.get(path, [(404, {}, b"not found")])
            status, headers, body = answers[min(recorded.seen[path], len(answers) - 1)]
            recorded.seen[path] += 1
            self.send_response(status)
            for k, v in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    recorded.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield recorded
    httpd.shutdown()
    httpd.server_close()


def _latest_parquet(config: str) -> bytes:
    """The shipped full-split rows cut to each category's newest date and written as the Hub's parquet."""
    rows = json.loads((ARCHIVE / "raw" / "lmarena" / "2026-10-02" / f"{config}.full.rows.json").read_bytes())
    newest: dict[str, str] = {}
    for r in rows:
        newest[r["category"]] = max(newest.get(r["category"], ""), r["leaderboard_publish_date"])
    latest = [r for r in rows if r["leaderboard_publish_date"] == newest[r["category"]]]
    table = pa.Table.from_pylist(latest)
    table = table.set_column(table.schema.get_field_index("rank"), "rank", table["rank"].cast(pa.float64()))
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


def _serve_sources(server: Recorded, monkeypatch, epoch_notable: bytes | None = None) -> None:
    monkeypatch.setenv("HF_ENDPOINT", server.base)
    monkeypatch.setattr(epoch, "BASE_URL", f"{server.base}/data/")
    ok = {"Content-Type": "application/json"}
    server.script[f"/api/datasets/{lmarena.REPO_ID}/revision/main"] = [
        (429, {"Retry-After": "0"}, b'{"error":"rate limited"}'),
        (200, ok, json.dumps({"id": lmarena.REPO_ID, "sha": SHA}).encode()),
    ]
    for config in lmarena.BOARDS:
        path = f"/datasets/{lmarena.REPO_ID}/resolve/{SHA}/{config}/latest-00000-of-00001.parquet"
        server.script[path] = [(200, {"ETag": f'"{config}"'}, _latest_parquet(config))]
    epoch_dir = ARCHIVE / "raw" / "epoch" / "2025-05-20"
    server.script["/data/notable_ai_models.csv"] = [
        (503, {"Retry-After": "0"}, b"busy"),
        (200, {"Content-Type": "text/csv"}, epoch_notable or (epoch_dir / "notable_ai_models.csv").read_bytes()),
    ]
    server.script["/data/all_ai_models.csv"] = [(200, {}, (epoch_dir / "all_ai_models.csv").read_bytes())]


def test_fetch_retries_429_and_503_then_stores_raw_with_metadata(server, monkeypatch, tmp_path):
    _serve_sources(server, monkeypatch)
    store = RawStore(tmp_path)
    session = make_session("opengap-test (test@example.org)")
    files = lmarena.fetch(session, store, "2026-10-05") + epoch.fetch(session, store, "2026-10-05")
    assert [f.meta.file for f in files] == [
        "revision.json",
        "text.latest.parquet",
        "text_style_control.latest.parquet",
        "notable_ai_models.csv",
        "all_ai_models.csv",
    ]
    assert server.seen[f"/api/datasets/{lmarena.REPO_ID}/revision/main"] == 2  # one 429, one retry
    assert server.seen["/data/notable_ai_models.csv"] == 2  # one 503, one retry
    assert server.user_agents == {"opengap-test (test@example.org)"}
    text = store.read("lmarena", "2026-10-05", "text.latest.parquet")
    assert text.meta.params == {"config": "text", "split": "latest", "revision": SHA}
    assert text.meta.headers["ETag"] == '"text"' and text.meta.status == 200
    assert text.meta.url.endswith(f"/resolve/{SHA}/text/latest-00000-of-00001.parquet")
    rows = lmarena.parse(text.content, text.meta)
    # `latest` mixes dates (FORMATS.md §9): overall is from 2026-10-02, the coding category from 2025-05-19.
    dates = {(r["category"], str(r["leaderboard_publish_date"])) for r in rows.to_pylist()}
    assert dates == {("overall", "2026-10-02"), ("coding", "2025-05-19")}
    assert rows.num_rows == 27
    # Raw files are immutable and reused: a second fetch for the date makes no request.
    before = dict(server.seen)
    lmarena.fetch(session, store, "2026-10-05")
    assert dict(server.seen) == before
    with pytest.raises(RawStoreError, match="immutable"):
        store.write("lmarena", "2026-10-05", "revision.json", b"{}", url="x")


def test_http_errors_are_one_clear_line(server, tmp_path):
    session = make_session("opengap-test", total_retries=2, backoff_factor=0)
    server.script["/limited"] = [(429, {"Retry-After": "0"}, b"slow down")]
    with pytest.raises(FetchError, match=r"HTTP 429 after retries \(rate limited"):
        get(session, f"{server.base}/limited")
    assert server.seen["/limited"] == 3
    with pytest.raises(FetchError, match="HTTP 404"):
        get(session, f"{server.base}/missing")
    server.script["/big"] = [(200, {}, b"x" * 5000)]
    with pytest.raises(FetchError, match="exceeds the 1000-byte cap"):
        get(session, f"{server.base}/big", max_bytes=1000)
    # Nothing is stored for a failed fetch, and the error names the URL.
    store = RawStore(tmp_path)
    with pytest.raises(FetchError, match="/missing"):
        fetch_to_store(session, store, source="x", snapshot_date="2026-01-01", file="f", url=f"{server.base}/missing")
    assert not (tmp_path / "x").exists()
    with pytest.raises(FetchError, match="failed: ConnectionError"):
        get(make_session("t", total_retries=0), "http://127.0.0.1:9/")


@pytest.mark.usefixtures("prefect_harness")
def test_live_nightly_flow_publishes_from_fetched_raw(server, monkeypatch, tmp_path):
    from flows.nightly import nightly
    from warehouse.layout import Layout
    from warehouse.publish import load_manifest

    _serve_sources(server, monkeypatch)
    result = nightly(data_dir=str(tmp_path), sources=LIVE_SOURCES, docs=False)
    manifest = load_manifest(Layout(tmp_path))
    assert result.published and manifest["mode"] == "nightly"
    assert manifest["tables"]["leaderboard_scores"]["rows"] == 54  # 22 overall + 5 other-category rows per board
    assert manifest["tables"]["open_closed_gap"]["rows"] == 2
    # Every request is counted, retried ones included: the revision (429, then 200) and two parquet files; the
    # Epoch notable file (503, then 200) and the all-models file.
    assert [run["requests"] for run in manifest["sources"]["lmarena"]["fetch_log"]] == [4]
    assert [run["requests"] for run in manifest["sources"]["epoch"]["fetch_log"]] == [3]
    files = {f["file"]: f for f in manifest["sources"]["lmarena"]["files"]}
    assert set(files) == {"revision.json", "text.latest.parquet", "text_style_control.latest.parquet"}
    raw = tmp_path / "raw" / "lmarena" / TODAY / "text.latest.parquet"
    assert manifest["sources"]["lmarena"]["raw_dir"] == str(raw.parent)
    assert (
        json.loads((raw.parent / "text.latest.parquet.meta.json").read_text())["sha256"]
        == files["text.latest.parquet"]["sha256"]
    )
    # Re-running the date reuses the stored raw: no request, identical tables.
    requests_before = dict(server.seen)
    nightly(data_dir=str(tmp_path), sources=LIVE_SOURCES, docs=False)
    assert dict(server.seen) == requests_before
    again = load_manifest(Layout(tmp_path))
    assert [run["requests"] for run in again["sources"]["lmarena"]["fetch_log"]] == [4, 0]
    assert {n: t["sha256"] for n, t in again["tables"].items()} == {
        n: t["sha256"] for n, t in manifest["tables"].items()
    }


@pytest.mark.usefixtures("prefect_harness")
def test_broken_download_fails_clearly_and_keeps_raw_and_previous_snapshot(server, monkeypatch, tmp_path):
    from flows.nightly import nightly
    from warehouse.layout import Layout
    from warehouse.publish import read_latest

    nightly(offline=True, raw_archive=str(ARCHIVE), data_dir=str(tmp_path), docs=False)
    good = (ARCHIVE / "raw" / "epoch" / "2025-05-20" / "notable_ai_models.csv").read_bytes()
    renamed = good.replace(b"Model accessibility", b"Accessibility", 1)
    _serve_sources(server, monkeypatch, epoch_notable=renamed)
    with pytest.raises(ParseError, match="lacks required column\\(s\\) Model accessibility"):
        nightly(data_dir=str(tmp_path), sources=LIVE_SOURCES, docs=False)
    raw = tmp_path / "raw" / "epoch" / "2025-05-20"
    kept = tmp_path / "raw" / "epoch" / TODAY / "notable_ai_models.csv"
    assert kept.read_bytes() == renamed and not raw.exists()
    assert read_latest(Layout(tmp_path))["snapshot_date"] == "2026-10-02"
    # A past date cannot be fetched live (the sources only serve today's state)…
    with pytest.raises(RawStoreError, match="live sources only serve today's state"):
        nightly(snapshot_date="2026-10-05", data_dir=str(tmp_path), sources=LIVE_SOURCES, docs=False)
