"""extractors/http.py against a loopback server that injects faults (127.0.0.1 only, no internet).

Each case checks what was stored, the exception class, its one-line message, how many requests the server saw,
and whether the flow task would retry it (``flows.tasks._is_transient``).
"""

from __future__ import annotations

import email.utils
import gzip
import io
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import fake_session
from extractors.http import RETRY_AFTER_CAP_S, Response, body_problem, fetch_to_store, get, make_session
from extractors.raw_store import REJECTED_DIR, RawStore
from flows.tasks import _is_transient
from opengap.errors import FetchError, FinalFetchError, RawStoreError, TransientFetchError

SECRET = "sk-test-do-not-store"
DATE = "2026-03-01"
JSON_BODY = b'{"data": [{"id": "a/model"}]}'
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Just a\n moment...</title></head><body>Checking your browser</body></html>"
)

Answer = Callable[[BaseHTTPRequestHandler], None]


def send(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        for k, v in {"Content-Length": str(len(body)), **(headers or {})}.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    return answer


def short(body: bytes, declared: int) -> Answer:
    """Promise ``declared`` bytes, send ``body`` and close (HTTP/1.0: the server closes after each answer)."""
    return send(200, body, {"Content-Length": str(declared), "Content-Type": "text/csv"})


def trickle(declared: int, every_s: float) -> Answer:
    """A slow-loris body: one byte every ``every_s`` seconds until the client hangs up (or 10 s pass)."""

    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(declared))
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        stop = time.monotonic() + 10
        try:
            for _ in range(declared):
                if time.monotonic() > stop:
                    return
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(every_s)
        except OSError:  # the client gave up: what the test wants
            return

    return answer


class FaultServer:
    """Path → answers in order (the last repeats); counts the requests seen per path."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.script: dict[str, list[Answer]] = {}
        self.seen: dict[str, int] = defaultdict(int)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def server() -> Iterator[FaultServer]:
    fault: FaultServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            answers = fault.script.get(path, [send(404, b"not found")])
            answer = answers[min(fault.seen[path], len(answers) - 1)]
            fault.seen[path] += 1
            answer(self)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fault = FaultServer(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fault
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def session():
    """Small backoff so retries take milliseconds; two retries after the first attempt."""
    return make_session("opengap-test (test@example.org)", total_retries=2, backoff_factor=0.01)


class Failed:
    """The part of a Prefect state that ``_is_transient`` reads: ``result()`` re-raises the task's exception."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def result(self) -> None:
        raise self.exc


def task_retries(exc: BaseException) -> bool:
    return _is_transient(None, None, Failed(exc))


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


def stored_anything(tmp_path: Path) -> list[str]:
    """Every stored file outside ``_rejected/``."""
    return sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file() and REJECTED_DIR not in p.parts
    )


def parquet_bytes() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"x": [1, 2]}), buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------------------
# (5) an HTML page answered with 200 is never stored as the day's raw
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "expect", "file"),
    [
        ("text/html; charset=utf-8", HTML_PAGE, "json", "models.json"),
        ("application/json", HTML_PAGE, "json", "models.json"),  # the body gives it away
        ("text/html", b"Service temporarily unavailable", "csv", "notable_ai_models.csv"),  # the header does
        ("application/octet-stream", b"\n  <html><body>Sign in</body></html>", "parquet", "text.latest.parquet"),
    ],
)
def test_html_with_200_is_kept_aside_and_a_final_error(
    server, session, tmp_path, caplog, content_type, body, expect, file
):
    server.script["/data"] = [send(200, body, {"Content-Type": content_type}), send(200, JSON_BODY)]
    store = RawStore(tmp_path)
    with caplog.at_level(logging.DEBUG), pytest.raises(FinalFetchError) as caught:
        fetch_to_store(
            session,
            store,
            source="src",
            snapshot_date=DATE,
            file=file,
            url=server.url("/data"),
            params={"page": 1},
            headers={"x-api-key": SECRET},
            expect=expect,
        )
    message = one_line(caught.value)
    assert "answered HTTP 200 with an HTML page" in message and f"instead of {expect}" in message
    assert f"not stored as src/{DATE}/{file}" in message and "then re-run" in message
    assert server.seen["/data"] == 1  # final: not retried by the session…
    assert not task_retries(caught.value)  # …nor by the flow task

    # Kept aside for diagnosis, where the raw store's listings (and so parsing) never look.
    [kept_meta] = (tmp_path / "src" / DATE / REJECTED_DIR).glob("*.meta.json")
    kept = kept_meta.with_name(kept_meta.name.removesuffix(".meta.json"))
    assert kept.name.startswith(f"{file}.") and kept.read_bytes() == body
    assert str(kept) in message
    meta = json.loads(kept_meta.read_text())
    assert meta["note"].startswith(f"expected {expect}, got an HTML page")
    assert (meta["status"], meta["params"], meta["url"]) == (200, {"page": 1}, server.url("/data"))
    assert stored_anything(tmp_path) == []
    assert store.files("src", DATE) == [] and store.dates("src") == [] and not store.exists("src", DATE, file)
    # Request headers (an API key) are neither stored nor logged.
    assert all(SECRET.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert SECRET not in caplog.text

    if expect == "json":  # the next run without --refresh downloads again and stores the real answer
        raw = fetch_to_store(
            session, store, source="src", snapshot_date=DATE, file=file, url=server.url("/data"), expect="json"
        )
        assert raw.content == JSON_BODY and server.seen["/data"] == 2
        assert [r.meta.file for r in store.read_all("src", DATE)] == [file]


def test_html_title_names_the_page(server, session, tmp_path):
    server.script["/m"] = [send(200, HTML_PAGE, {"Content-Type": "text/html"})]
    with pytest.raises(FinalFetchError, match=r"an HTML page titled 'Just a moment\.\.\.' \(text/html, \d+ bytes\)"):
        fetch_to_store(
            session,
            RawStore(tmp_path),
            source="s",
            snapshot_date=DATE,
            file="m.json",
            url=server.url("/m"),
            expect="json",
        )


def test_body_shapes():
    def problem(content: bytes, expect: str, content_type: str = "") -> str | None:
        return body_problem(Response("u", 200, {"Content-Type": content_type}, content), expect)  # type: ignore[arg-type]

    assert problem(b'\xef\xbb\xbf  {"a": 1}', "json", "application/json") is None
    assert problem(b"[1]", "json") is None
    assert problem(b"Model,Date\nx,2024-01-01\n", "csv", "text/csv; charset=utf-8") is None
    assert problem(parquet_bytes(), "parquet", "application/octet-stream") is None
    assert "empty body" in problem(b"", "json")
    assert "PAR1" in problem(b"PAR1 cut short", "parquet")
    assert "not start like JSON" in problem(b"Too many requests", "json", "text/plain")
    assert "not CSV" in problem(b'{"error": "gone"}', "csv", "application/json")


# ------------------------------------------------------------------------------------------------------------
# (2) a body shorter than its Content-Length is transient: retried, never stored
# ------------------------------------------------------------------------------------------------------------


def test_short_body_is_retried_then_stored(server, session, tmp_path):
    full = b"Model,Date\nx,2024-01-01\n"
    server.script["/e.csv"] = [short(full[:10], len(full)), short(full[:5], len(full)), send(200, full)]
    raw = fetch_to_store(
        session,
        RawStore(tmp_path),
        source="epoch",
        snapshot_date=DATE,
        file="e.csv",
        url=server.url("/e.csv"),
        expect="csv",
    )
    assert raw.content == full and server.seen["/e.csv"] == 3


def test_short_body_every_time_is_a_transient_error_and_nothing_is_stored(server, session, tmp_path):
    server.script["/e.csv"] = [short(b"Model,Da", 1000)]
    store = RawStore(tmp_path)
    with pytest.raises(TransientFetchError) as caught:
        fetch_to_store(session, store, source="epoch", snapshot_date=DATE, file="e.csv", url=server.url("/e.csv"))
    message = one_line(caught.value)
    assert message == (
        f"GET {server.url('/e.csv')}: the body broke off after 3 attempt(s) "
        "(IncompleteRead(8 bytes read, 992 more expected)); nothing stored: retry later"
    )
    assert server.seen["/e.csv"] == 3  # the first try and the session's two retries
    assert task_retries(caught.value)
    assert stored_anything(tmp_path) == []


def test_content_length_is_checked_even_when_the_transport_does_not():
    """A transport that does not enforce Content-Length (here a plain file-like body) is still caught."""
    session, adapter = fake_session(b"abc", headers={"Content-Length": "10"})
    with pytest.raises(
        TransientFetchError, match=r"after 1 attempt\(s\) \(IncompleteRead\(3 bytes read, 7 more expected\)\)"
    ):
        get(session, "https://example.invalid/x")
    assert len(adapter.requests) == 1  # a session without retries tries once


def test_compressed_body_is_not_compared_with_its_decoded_length(server, session, tmp_path):
    packed = gzip.compress(JSON_BODY)
    server.script["/gz"] = [send(200, packed, {"Content-Encoding": "gzip", "Content-Type": "application/json"})]
    raw = fetch_to_store(
        session, RawStore(tmp_path), source="s", snapshot_date=DATE, file="g.json", url=server.url("/gz"), expect="json"
    )
    assert raw.content == JSON_BODY and raw.meta.headers["Content-Length"] == str(len(packed))


# ------------------------------------------------------------------------------------------------------------
# (11) a total deadline, a capped Retry-After, and transient vs final
# ------------------------------------------------------------------------------------------------------------


def test_slow_loris_fails_at_the_deadline(server, session, tmp_path):
    server.script["/slow"] = [trickle(declared=10_000, every_s=0.02)]
    store = RawStore(tmp_path)
    started = time.monotonic()
    with pytest.raises(TransientFetchError) as caught:
        fetch_to_store(
            session, store, source="s", snapshot_date=DATE, file="s.json", url=server.url("/slow"), deadline_s=1.0
        )
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 2.0
    message = one_line(caught.value)
    assert f"GET {server.url('/slow')} passed its 1 s deadline after" in message and "too slow" in message
    assert server.seen["/slow"] == 1  # no time is left for another attempt
    assert task_retries(caught.value)
    assert stored_anything(tmp_path) == []


def test_deadline_stops_the_sessions_own_retries(server):
    server.script["/busy"] = [send(503, b"busy")]
    session = make_session("opengap-test", total_retries=5, backoff_factor=0.5)  # waits 0, 1, 2, 4, 8 s
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="answered HTTP 503 after retries"):
        get(session, server.url("/busy"), deadline_s=0.5)
    assert time.monotonic() - started < 1.0
    assert server.seen["/busy"] == 2  # the retry without a wait ran; the 1 s wait would pass the deadline


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_long_retry_after_is_final_and_says_when_to_retry(server, session, tmp_path, form):
    tomorrow = email.utils.format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    retry_after = "99999" if form == "seconds" else tomorrow
    server.script["/limited"] = [send(429, b'{"error": "slow down"}', {"Retry-After": retry_after})]
    started = time.monotonic()
    with pytest.raises(FinalFetchError) as caught:
        fetch_to_store(
            session, RawStore(tmp_path), source="s", snapshot_date=DATE, file="m.json", url=server.url("/limited")
        )
    assert time.monotonic() - started < 1  # nothing was waited out
    message = one_line(caught.value)
    assert "answered HTTP 429 asking to wait" in message and f"over the {RETRY_AFTER_CAP_S} s we wait" in message
    retry_at = datetime.fromisoformat(message.rsplit("run again after ", 1)[1].replace("Z", "+00:00"))
    assert timedelta(hours=23) < retry_at - datetime.now(UTC) < timedelta(hours=28)
    assert server.seen["/limited"] == 1
    assert not task_retries(caught.value)
    assert stored_anything(tmp_path) == []


def test_malformed_retry_after_is_retried_with_the_normal_backoff(server, session, tmp_path):
    server.script["/models"] = [send(429, b"later", {"Retry-After": "in a bit"}), send(200, JSON_BODY)]
    raw = fetch_to_store(
        session,
        RawStore(tmp_path),
        source="s",
        snapshot_date=DATE,
        file="m.json",
        url=server.url("/models"),
        expect="json",
    )
    assert raw.content == JSON_BODY and server.seen["/models"] == 2


def test_404_is_final_and_not_retried(server, session, tmp_path):
    with pytest.raises(FinalFetchError) as caught:
        fetch_to_store(
            session, RawStore(tmp_path), source="s", snapshot_date=DATE, file="m.json", url=server.url("/gone")
        )
    assert one_line(caught.value) == (
        f"GET {server.url('/gone')} answered HTTP 404; retrying will not help: check the URL and the source's status"
    )
    assert server.seen["/gone"] == 1
    assert not task_retries(caught.value)
    assert stored_anything(tmp_path) == []


def test_500_twice_then_200_is_stored(server, session, tmp_path):
    server.script["/flaky"] = [send(500, b"oops"), send(500, b"oops"), send(200, JSON_BODY)]
    raw = fetch_to_store(
        session,
        RawStore(tmp_path),
        source="s",
        snapshot_date=DATE,
        file="m.json",
        url=server.url("/flaky"),
        expect="json",
    )
    assert raw.content == JSON_BODY and server.seen["/flaky"] == 3


def test_500_every_time_is_transient(server, session):
    server.script["/down"] = [send(500, b"oops")]
    with pytest.raises(TransientFetchError) as caught:
        get(session, server.url("/down"))
    assert one_line(caught.value) == f"GET {server.url('/down')} answered HTTP 500 after retries"
    assert server.seen["/down"] == 3
    assert task_retries(caught.value)


def test_size_cap_is_final_and_downloaded_once(server, session):
    server.script["/big"] = [send(200, b"x" * 5000)]
    with pytest.raises(FinalFetchError, match="body of 5000 bytes exceeds the 1000-byte cap") as caught:
        get(session, server.url("/big"), max_bytes=1000)
    assert server.seen["/big"] == 1
    assert not task_retries(caught.value)


def test_connection_refused_is_transient():
    with pytest.raises(TransientFetchError, match="failed: ConnectionError") as caught:
        get(make_session("t", total_retries=0), "http://127.0.0.1:9/")
    assert task_retries(caught.value)


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (TransientFetchError("x"), True),
        (FinalFetchError("x"), False),
        (FetchError("unclassified"), False),
        (RawStoreError("no raw for a past date"), False),
        (ValueError("bug"), False),
    ],
)
def test_task_retries_only_transient_fetch_errors(exc, retried):
    assert task_retries(exc) is retried


def test_task_does_not_retry_a_success():
    class Completed:
        def result(self) -> None:
            return None

    assert _is_transient(None, None, Completed()) is False


def test_a_ratelimit_reset_stands_in_for_a_missing_retry_after() -> None:
    from extractors.http import retry_after_s

    assert retry_after_s({"RateLimit": '"api";r=0;t=37'}) == 37.0
    assert retry_after_s({"RateLimit": '"api";r=0;t=37', "Retry-After": "5"}) == 5.0  # Retry-After wins
    assert retry_after_s({"RateLimit": '"api";r=12'}) is None and retry_after_s({}) is None
