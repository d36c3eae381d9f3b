"""The data directory and the raw archive as fsspec URLs (memory:// here; s3:// and gs:// work the same way)."""

from __future__ import annotations

import uuid

import pytest

from conftest import ARCHIVE
from extractors.raw_store import RawStore
from flows.backfill import backfill
from flows.nightly import nightly
from opengap.storage import Storage
from warehouse.catalog import connect
from warehouse.layout import Layout
from warehouse.publish import load_manifest, read_latest

needs_prefect = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def remote(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the local catalog copy and locks go here
    url = f"memory://opengap-{uuid.uuid4().hex[:8]}"
    yield url
    Storage(url).remove(Storage(url).root)


def _copy_archive_to(url: str) -> str:
    source, target = RawStore(ARCHIVE / "raw"), RawStore(f"{url}/archive/raw")
    for name in ("lmarena", "epoch"):
        for day in source.dates(name):
            for raw in source.read_all(name, day):
                m = raw.meta
                target.write(
                    name, day, m.file, raw.content, url=m.url, params=m.params, retrieved_at=m.retrieved_at, note=m.note
                )
    return f"{url}/archive"


@needs_prefect
def test_nightly_and_backfill_publish_into_an_fsspec_url(remote):
    archive = _copy_archive_to(remote)
    data = f"{remote}/data"
    outcome = nightly(offline=True, raw_archive=archive, data_dir=data)
    assert outcome.published
    layout = Layout(data)
    manifest = load_manifest(layout)
    assert manifest["sources"]["lmarena"]["raw_dir"].startswith("memory://")
    for info in manifest["tables"].values():
        assert layout.storage.is_file(layout.path(info["path"]))
    assert layout.storage.is_file(f"{layout.docs('2026-10-02')}/index.html")
    assert layout.storage.is_file(layout.path("catalog/opengap.duckdb"))  # a copy beside the data

    report = backfill(start="2026-09-30", end="2026-10-01", offline=True, raw_archive=archive, data_dir=data)
    assert report.published == ["2026-09-30", "2026-10-01"]
    assert read_latest(layout)["snapshot_date"] == "2026-10-02"
    con = connect(layout, layout.catalog_path, read_only=True)
    rows = con.execute(
        "SELECT snapshot_date::VARCHAR, best_open_model FROM open_closed_gap WHERE board = 'text' ORDER BY 1"
    ).fetchall()
    con.close()
    assert rows == [
        ("2026-09-30", "deepseek-v4-pro"),
        ("2026-10-01", "deepseek-v4-pro"),
        ("2026-10-02", "deepseek-v4.1-flash-max"),
    ]
    # Skips work the same way on remote storage.
    again = backfill(start="2026-09-30", end="2026-10-01", offline=True, raw_archive=archive, data_dir=data)
    assert again.skipped == ["2026-09-30", "2026-10-01"]


def test_settings_and_raw_store_keep_the_url(remote):
    from opengap.config import load_settings

    settings = load_settings(f"{remote}/data")
    assert settings.raw_dir.startswith("memory://") and settings.raw_dir.endswith("/data/raw")
    store = RawStore(settings.raw_dir)
    stored = store.write("lmarena", "2026-11-27", "revision.json", b'{"sha": "abc"}', url="https://example.org/rev")
    assert stored.path.startswith("memory://")
    assert store.read("lmarena", "2026-11-27", "revision.json").meta.sha256 == stored.meta.sha256
    assert store.dates("lmarena") == ["2026-11-27"] and store.files("lmarena", "2026-11-27") == ["revision.json"]
