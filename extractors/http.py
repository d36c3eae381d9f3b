"""The one HTTP session every extractor uses: declared User-Agent, timeouts, retries within a deadline, a size
cap, and a check that a 200 body is the data file it should be before it is stored.

Every failure is a ``TransientFetchError`` (waiting may heal it: the flow task retries) or a
``FinalFetchError`` (it will not: the task fails at once). Request headers are never logged or stored: they
may carry API keys.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from types import TracebackType
from typing import Any, Literal, Self

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import IncompleteRead, InvalidHeader, MaxRetryError, ProtocolError, ResponseError
from urllib3.util.retry import Retry

from extractors.raw_store import RawFile, RawStore
from opengap.errors import FetchError, FinalFetchError, TransientFetchError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 120  # longest silence on the socket; the deadline below bounds a server that trickles bytes
DEADLINE_S = 600.0  # wall clock for one get(): every attempt, wait and byte (a source may pass its own)
RETRY_AFTER_CAP_S = 120  # the longest Retry-After we wait out; a longer one fails at once, saying when to retry
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # the LMArena `full` parquet is ~60 MB; nothing we fetch is near this
CHUNK_BYTES = 1 << 20
RETRIED_STATUSES = (408, 425, 429, 500, 502, 503, 504)
# Headers worth keeping beside the body: they explain caching, redirects and rate limits after the fact.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "etag",
    "last-modified",
    "date",
    "x-repo-commit",
    "x-linked-etag",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
    "link",  # the Hub's paging cursor (rel="next")
    "x-total-count",
)

Expect = Literal["json", "csv", "parquet", "html", "xml"]

# The deadline of the get() running in this thread: urllib3 retries inside one session.get() call with the
# session's shared Retry object, so the per-call deadline reaches it this way.
_DEADLINE: ContextVar[float | None] = ContextVar("opengap_http_deadline", default=None)


@dataclass(frozen=True)
class Response:
    url: str  # the final URL, after redirects
    status: int
    headers: dict[str, str]
    content: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


_RATELIMIT_RESET = re.compile(r"(?:^|;)\s*t=(\d+)")


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds a ``Retry-After`` header asks for, uncapped (urllib3 parses both forms); without one, the reset time
    of an IETF ``RateLimit`` header (``"api";r=0;t=37``: the Hugging Face Hub's). None: absent or malformed."""
    value = headers.get("Retry-After")
    if value is None:
        reset = _RATELIMIT_RESET.search(headers.get("RateLimit", ""))
        return float(reset.group(1)) if reset else None
    try:
        return _UNCAPPED.parse_retry_after(value)
    except InvalidHeader:
        return None


class BoundedRetry(Retry):
    """urllib3's Retry, bounded: a malformed Retry-After falls back to the normal backoff (urllib3 would raise),
    a Retry-After over ``retry_after_max`` ends the retries and hands the response back (urllib3 would wait the
    capped time and retry), and no wait starts that would end past the current get()'s deadline. No retry comes
    sooner than ``min_backoff_s``, so a source's request-rate ceiling holds through retries."""

    min_backoff_s = 0.0

    def new(self, **kw: Any) -> Self:
        renewed = super().new(**kw)
        renewed.min_backoff_s = self.min_backoff_s
        return renewed

    def get_backoff_time(self) -> float:
        return max(super().get_backoff_time(), self.min_backoff_s)

    def get_retry_after(self, response: urllib3.BaseHTTPResponse) -> float | None:
        try:
            return super().get_retry_after(response) or retry_after_s(response.headers)
        except InvalidHeader:
            return None

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: urllib3.BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        asked = retry_after_s(response.headers) if response is not None and self.respect_retry_after_header else None
        if asked is not None and asked > self.retry_after_max:
            raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {asked:.0f} s is over the cap"))
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        deadline = _DEADLINE.get()
        wait = (asked if asked is not None else 0.0) or new.get_backoff_time()
        if deadline is not None and time.monotonic() + wait > deadline:
            raise MaxRetryError(_pool, url, error or ResponseError("the next wait would pass the deadline"))
        return new


_UNCAPPED = Retry(retry_after_max=sys.maxsize)


def make_session(
    user_agent: str,
    *,
    total_retries: int = 5,
    backoff_factor: float = 2.0,
    backoff_max: float = Retry.DEFAULT_BACKOFF_MAX,
    max_per_second: float | None = None,
) -> CountingSession:
    """A session that retries connection errors, 408/425/429 and 5xx with exponential backoff (capped at
    ``backoff_max``), honouring a Retry-After up to RETRY_AFTER_CAP_S. get() reuses the same policy for a body
    that breaks off. ``max_per_second``: a source's request-rate ceiling, kept through redirects and retries."""
    retry = BoundedRetry(
        total=total_retries,
        connect=total_retries,
        read=total_retries,
        status=total_retries,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        status_forcelist=RETRIED_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_CAP_S,
        raise_on_status=False,
    )
    interval = 1.0 / max_per_second if max_per_second else 0.0
    retry.min_backoff_s = interval
    session = CountingSession(interval)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"})
    return session


class CountingSession(requests.Session):
    """A session that counts the requests it sent: each redirect hop (requests sends every hop) and each attempt
    urllib3 retried (a rate limit counts them all). Sources with a request budget report this number. With
    ``min_interval_s`` it also spaces its requests (SEC: at most 10 per second); urllib3's retries wait at least
    as long (the session's Retry is given the same floor)."""

    def __init__(self, min_interval_s: float = 0.0) -> None:
        super().__init__()
        self.requests_sent = 0
        self.min_interval_s = min_interval_s
        self._last_send = -float("inf")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.min_interval_s:
            time.sleep(max(0.0, self._last_send + self.min_interval_s - time.monotonic()))
            self._last_send = time.monotonic()
        try:
            resp = super().send(request, **kwargs)
        except requests.RequestException:
            self.requests_sent += 1
            raise
        retries = getattr(resp.raw, "retries", None)
        self.requests_sent += 1 + len(getattr(retries, "history", ()) or ())
        return resp


def _status_error(resp: requests.Response) -> FetchError:
    status = resp.status_code
    transient = status in RETRIED_STATUSES or status >= 500
    asked = retry_after_s(resp.headers)
    if transient and asked is not None and asked > RETRY_AFTER_CAP_S:
        when = (datetime.now(UTC) + timedelta(seconds=asked)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return FinalFetchError(
            f"GET {resp.url} answered HTTP {status} asking to wait {asked:.0f} s, over the {RETRY_AFTER_CAP_S} s "
            f"we wait; not retried: run again after {when}"
        )
    if transient:
        hint = " (rate limited: try again later)" if status == 429 else ""
        return TransientFetchError(f"GET {resp.url} answered HTTP {status} after retries{hint}")
    return FinalFetchError(
        f"GET {resp.url} answered HTTP {status}; retrying will not help: check the URL and the source's status"
    )


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _chunks(raw: Any) -> Iterator[bytes]:
    """The body as it arrives. urllib3's read1 returns what one socket read brought, so a trickling server
    cannot hold a read past the deadline (read(n) would wait for all n bytes); other file-likes (custom
    transport adapters) are read plainly."""
    read: Callable[[int], bytes | None] = (
        partial(raw.read1, decode_content=True) if isinstance(raw, urllib3.BaseHTTPResponse) else raw.read
    )
    while chunk := read(CHUNK_BYTES):
        yield chunk


def _download(
    session: requests.Session,
    url: str,
    params: dict[str, Any] | None,
    headers: dict[str, str] | None,
    max_bytes: int,
    deadline: float,
    deadline_s: float,
) -> Response:
    """One attempt. Raises a FetchError, or a urllib3 HTTPError when the body breaks off (get() retries it)."""
    remaining = max(deadline - time.monotonic(), 0.001)
    timeout = (min(CONNECT_TIMEOUT_S, remaining), min(READ_TIMEOUT_S, remaining))
    with session.get(url, params=params, headers=headers, stream=True, timeout=timeout) as resp:
        if resp.status_code != 200:
            raise _status_error(resp)
        declared = _int_or_none(resp.headers.get("content-length"))
        if declared is not None and declared > max_bytes:
            raise FinalFetchError(f"GET {resp.url}: body of {declared} bytes exceeds the {max_bytes}-byte cap")
        chunks, size = [], 0
        for chunk in _chunks(resp.raw):
            size += len(chunk)
            if size > max_bytes:
                raise FinalFetchError(f"GET {resp.url}: body exceeds the {max_bytes}-byte cap")
            if time.monotonic() > deadline:
                raise TransientFetchError(
                    f"GET {resp.url} passed its {deadline_s:g} s deadline after {size} bytes; the server is "
                    "too slow: retry later, or give this source a longer deadline"
                )
            chunks.append(chunk)
        # Content-Length counts the encoded bytes, so it is comparable only when no content-encoding applies.
        identity = resp.headers.get("content-encoding", "identity").lower() in ("", "identity")
        if declared is not None and identity and size != declared:
            short = IncompleteRead(size, declared - size)
            raise ProtocolError(f"Connection broken: {short!r}", short)  # as urllib3 says it: a read error
        kept = {k: v for k, v in resp.headers.items() if k.lower() in KEPT_HEADERS}
        log.info("GET %s -> %s (%d bytes)", resp.url, resp.status_code, size)
        return Response(url=resp.url, status=resp.status_code, headers=kept, content=b"".join(chunks))


def get(
    session: requests.Session,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    deadline_s: float = DEADLINE_S,
) -> Response:
    """GET ``url`` and return the whole body, or raise a Transient/FinalFetchError naming the URL and what to do.

    Attempts, waits and the body share ``deadline_s``: no wait starts that would end past it and the body is
    read as it arrives, so only a read that stalls just before it overruns (by at most READ_TIMEOUT_S). A body
    that breaks off or falls short of its Content-Length is retried with the session's Retry policy.
    """
    deadline = time.monotonic() + deadline_s
    retry = Retry.from_int(getattr(session.get_adapter(url), "max_retries", 0))
    token = _DEADLINE.set(deadline)
    try:
        while True:
            try:
                return _download(session, url, params, headers, max_bytes, deadline, deadline_s)
            except urllib3.exceptions.HTTPError as exc:  # the body broke off: cut short, reset or stalled
                try:
                    retry = retry.increment("GET", url, error=exc)
                except urllib3.exceptions.HTTPError:
                    cause = exc.args[-1] if isinstance(exc, ProtocolError) and exc.args else exc
                    raise TransientFetchError(
                        f"GET {url}: the body broke off after {len(retry.history) + 1} attempt(s) ({cause!r}); "
                        "nothing stored: retry later"
                    ) from exc
                retry.sleep()
    except requests.RequestException as exc:
        transient = (requests.ConnectionError, requests.Timeout, requests.exceptions.RetryError)
        kind, hint = (
            (TransientFetchError, "check the network and retry")
            if isinstance(exc, transient)
            else (FinalFetchError, "the request itself is wrong: check the URL")
        )
        raise kind(f"GET {url} failed: {exc.__class__.__name__}: {exc}; {hint}") from exc
    finally:
        _DEADLINE.reset(token)


_HTML_START = (b"<!doctype html", b"<html")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def body_problem(resp: Response, expect: Expect) -> str | None:
    """What came back instead of ``expect`` (None: it looks right). Cheap checks of the Content-Type and the
    first bytes: they catch error and login pages served with HTTP 200; the parser judges the rest."""
    mime = resp.header("content-type").split(";")[0].strip().lower()
    head = resp.content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    what = f"({mime or 'no Content-Type'}, {len(resp.content)} bytes)"
    is_html = mime in ("text/html", "application/xhtml+xml") or head.startswith(_HTML_START)
    if expect == "html":  # a scraped page: the parser checks that it holds what it reads (an error page would not)
        return None if is_html and resp.content else f"no HTML page {what}"
    if is_html:
        title = _TITLE.search(resp.content[:65536])
        named = " titled " + repr(" ".join(title.group(1).decode(errors="replace").split())[:80]) if title else ""
        return f"an HTML page{named} {what}"
    if not resp.content:
        return f"an empty body {what}"
    if expect == "parquet" and not (resp.content.startswith(b"PAR1") and resp.content.endswith(b"PAR1")):
        return f"a body without Parquet's PAR1 magic {what}"
    if expect == "json" and not head.startswith((b"{", b"[")):
        return f"a body that does not start like JSON {what}"
    if expect == "xml" and not head.startswith(b"<"):
        return f"a body that does not start like XML {what}"
    if expect == "csv" and head.startswith((b"<", b"{", b"[")):
        return f"markup or JSON, not CSV {what}"
    return None


def fetch_to_store(
    session: requests.Session,
    store: RawStore,
    *,
    source: str,
    snapshot_date: str,
    file: str,
    url: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    refresh: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    expect: Expect | None = None,
    deadline_s: float = DEADLINE_S,
) -> RawFile:
    """Raw first: reuse the stored copy for this date, or download and store the exact bytes before anything
    parses them. ``params`` are query parameters and are recorded in the metadata; ``headers`` are not.

    With ``expect``, a body that is not that kind of file (an HTML error page answered with 200) is never
    stored as the day's raw: it is kept under ``_rejected/`` for diagnosis and a FinalFetchError says so.
    """
    if store.exists(source, snapshot_date, file) and not refresh:
        return store.read(source, snapshot_date, file)
    resp = get(session, url, params=params, headers=headers, max_bytes=max_bytes, deadline_s=deadline_s)
    problem = body_problem(resp, expect) if expect else None
    if problem:
        kept = store.reject(
            source,
            snapshot_date,
            file,
            resp.content,
            url=url,
            status=resp.status,
            params=params,
            headers=resp.headers,
            reason=f"expected {expect}, got {problem}",
        )
        raise FinalFetchError(
            f"GET {resp.url} answered HTTP 200 with {problem} instead of {expect}; kept at {kept}, not stored as "
            f"{source}/{snapshot_date}/{file}: open it to see why (blocked, maintenance, login), then re-run"
        )
    return store.write(
        source,
        snapshot_date,
        file,
        resp.content,
        url=url,
        status=resp.status,
        params=params or {},
        headers=resp.headers,
        refresh=refresh,
    )


def one_file(
    source: str, file: str, url: str, *, params: dict[str, Any] | None = None, expect: Expect | None = None
) -> Callable[..., list[RawFile]]:
    """The fetch of a source that is one file with no history upstream (``history`` fetches the same file)."""

    def fetch(
        session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
    ) -> list[RawFile]:
        return [
            fetch_to_store(
                session,
                store,
                source=source,
                snapshot_date=snapshot_date,
                file=file,
                url=url,
                params=dict(params or {}),
                refresh=refresh,
                expect=expect,
            )
        ]

    return fetch
