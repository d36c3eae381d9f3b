"""Shared test fixtures: paths to shipped fixtures and real captures, one Prefect harness per session."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
ARCHIVE = FIXTURES / "archive"
CAPTURES = REPO.parent / "shared" / "captures"
needs_captures = pytest.mark.skipif(not CAPTURES.is_dir(), reason="../shared/captures is not on this machine")

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def pytest_collection_modifyitems(items):
    """Tests that run a Prefect flow are marked ``flow``: `make test-fast` leaves them out."""
    for item in items:
        if "prefect_harness" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.flow)


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch):
    """The CLI's Rich console wide enough for the tables tests read, whatever terminal (or none) runs pytest."""
    from opengap import cli

    monkeypatch.setattr(cli.console, "width", 200)


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API (≈13 s to start), shared by every test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def archive_parsed():
    """The shipped archive's LMArena and Epoch files parsed once: {source: pyarrow.Table}."""
    from extractors import registry
    from extractors.raw_store import RawStore
    from transforms.build import concat_parsed

    store = RawStore(ARCHIVE / "raw")
    parsed = {}
    for source in ("lmarena", "epoch"):
        declared = registry.get(source)
        date = store.dates(source)[-1]
        parsed[source] = concat_parsed([declared.parse(r.content, r.meta) for r in store.read_all(source, date)])
    return parsed


@pytest.fixture(scope="session")
def tables_for(archive_parsed):
    """Build a snapshot's tables from the shipped archive for any date (``as_of`` slices the full split)."""
    from transforms.build import build_snapshot

    def build(snapshot_date: str):
        return build_snapshot(archive_parsed, dt.date.fromisoformat(snapshot_date))

    return build


def linker_for(registry_rows):
    """A Linker over Epoch AI registry rows alone, as a snapshot with no other source would build it."""
    from transforms.identity import Linker, resolver_for

    return Linker(resolver_for({"epoch": registry_rows}))


class FakeAdapter(HTTPAdapter):
    """A requests transport answering every request with ``body`` and recording what was asked (no network)."""

    def __init__(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.body, self.status, self.headers, self.requests = body, status, headers or {}, []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.requests.append(request)
        resp = requests.Response()
        resp.status_code = self.status
        resp.headers = CaseInsensitiveDict({"Content-Length": str(len(self.body)), **self.headers})
        resp.raw = io.BytesIO(self.body)
        resp.url = request.url
        resp.request = request
        resp.reason = "OK" if self.status == 200 else "Error"
        return resp


def fake_session(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> tuple[requests.Session, FakeAdapter]:
    session = requests.Session()
    adapter = FakeAdapter(body, status, headers)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter
