"""Shared test fixtures: paths to shipped fixtures and real captures, one Prefect harness per session."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
ARCHIVE = FIXTURES / "archive"
CAPTURES = REPO.parent / "shared" / "captures"
needs_captures = pytest.mark.skipif(not CAPTURES.is_dir(), reason="../shared/captures is not on this machine")

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API (≈13 s to start), shared by every test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def archive_parsed():
    """The shipped archive's LMArena and Epoch files parsed once: {source: pyarrow.Table}."""
    from extractors import SOURCES
    from extractors.raw_store import RawStore
    from transforms.build import concat

    store = RawStore(ARCHIVE / "raw")
    parsed = {}
    for source in ("lmarena", "epoch"):
        module = SOURCES[source]
        date = store.dates(source)[-1]
        parsed[source] = concat([module.parse(r.content, r.meta) for r in store.read_all(source, date)])
    return parsed


@pytest.fixture(scope="session")
def tables_for(archive_parsed):
    """Build a snapshot's tables from the shipped archive for any date (``as_of`` slices the full split)."""
    from transforms.build import build_snapshot

    def build(snapshot_date: str):
        return build_snapshot(archive_parsed, dt.date.fromisoformat(snapshot_date))

    return build
