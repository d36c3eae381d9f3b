"""The one HTTP session every extractor uses: declared User-Agent, timeouts, retries, a size cap."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from extractors.raw_store import RawFile, RawStore
from opengap.errors import FetchError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 120
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # the LMArena `full` parquet is ~60 MB; nothing we fetch is near this
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
)


@dataclass(frozen=True)
class Response:
    url: str  # the final URL, after redirects
    status: int
    headers: dict[str, str]
    content: bytes


def make_session(user_agent: str, *, total_retries: int = 5, backoff_factor: float = 2.0) -> requests.Session:
    """A session that retries connection errors, 429 and 5xx with exponential backoff, honouring Retry-After."""
    retry = Retry(
        total=total_retries,
        connect=total_retries,
        read=total_retries,
        status=total_retries,
        backoff_factor=backoff_factor,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"})
    return session


def get(
    session: requests.Session,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Response:
    """GET ``url`` and return the whole body, or raise FetchError naming the URL and what to do.

    Request headers are never logged or stored: they may carry API keys.
    """
    try:
        with session.get(
            url, params=params, headers=headers, stream=True, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
        ) as resp:
            if resp.status_code != 200:
                hint = " (rate limited: try again later)" if resp.status_code == 429 else ""
                raise FetchError(f"GET {resp.url} answered HTTP {resp.status_code} after retries{hint}")
            declared = int(resp.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise FetchError(f"GET {resp.url}: body of {declared} bytes exceeds the {max_bytes}-byte cap")
            chunks, size = [], 0
            for chunk in resp.iter_content(chunk_size=1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"GET {resp.url}: body exceeds the {max_bytes}-byte cap")
                chunks.append(chunk)
            kept = {k: v for k, v in resp.headers.items() if k.lower() in KEPT_HEADERS}
            log.info("GET %s -> %s (%d bytes)", resp.url, resp.status_code, size)
            return Response(url=resp.url, status=resp.status_code, headers=kept, content=b"".join(chunks))
    except requests.RequestException as exc:
        raise FetchError(f"GET {url} failed: {exc.__class__.__name__}: {exc}; check the network and retry") from exc


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
) -> RawFile:
    """Raw first: reuse the stored copy for this date, or download and store the exact bytes before anything
    parses them. ``params`` are query parameters and are recorded in the metadata; ``headers`` are not."""
    if store.exists(source, snapshot_date, file) and not refresh:
        return store.read(source, snapshot_date, file)
    resp = get(session, url, params=params, headers=headers, max_bytes=max_bytes)
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
