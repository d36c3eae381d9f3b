"""Dates built together (a backfill's groups, ``transforms.build.build_snapshots``) publish byte for byte what
each date built alone publishes."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import ARCHIVE
from extractors import registry
from flows.snapshot import RawInput, StagedSnapshot, load_parsed, stage_snapshots
from opengap.errors import OpengapError
from transforms.build import build_snapshot, build_snapshots
from transforms.tables import table_specs
from warehouse.layout import Layout
from warehouse.parquet import parquet_bytes

RAW = ARCHIVE / "raw"
# Before most sources were retrieved (only what was knowable then: the catalogues and hub are left out), a
# date between two LMArena boards, and the archive's newest date.
DAYS = [dt.date(2024, 6, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 2)]


@pytest.fixture(scope="module")
def archive() -> tuple[dict, dict]:
    """Every source of the shipped archive parsed once, with its newest raw date."""
    inputs = [
        RawInput(name, str(RAW), sorted(p.name for p in (RAW / name).iterdir())[-1])
        for name in registry.sources()
        if (RAW / name).is_dir()
    ]
    return {i.source: load_parsed(i) for i in inputs}, {i.source: i.raw_date for i in inputs}


def test_dates_built_together_publish_the_bytes_each_date_built_alone_does(archive) -> None:
    parsed, raw_dates = archive
    together = build_snapshots(parsed, DAYS, raw_dates)
    specs = table_specs()
    for day in DAYS:
        alone = build_snapshot(parsed, day, raw_dates)
        assert list(together[day]) == list(alone), day  # the same tables, in the same order
        for name, table in alone.items():
            assert parquet_bytes(together[day][name], specs[name].key) == parquet_bytes(table, specs[name].key), (
                day,
                name,
            )
    # The dates differ, so rows sliced back to the wrong date could not pass unseen.
    models = {day.isoformat(): together[day]["models"].num_rows for day in DAYS}
    assert models == {"2024-06-01": 119, "2026-09-01": 343, "2026-10-02": 345}
    assert "aa_models" not in together[DAYS[0]] and "aa_models" in together[DAYS[-1]]


def test_a_date_that_cannot_be_built_fails_alone_in_its_group(tmp_path) -> None:
    lmarena = RawInput("lmarena", str(RAW), "2026-10-02")
    results = stage_snapshots([lmarena], ["2023-01-01", "2023-05-08", "2026-10-02"], str(tmp_path), "backfill")
    assert isinstance(results["2023-01-01"], OpengapError)
    assert "no LMArena leaderboard was published on or before 2023-01-01" in str(results["2023-01-01"])
    staged = [results[d] for d in ("2023-05-08", "2026-10-02")]
    assert all(isinstance(s, StagedSnapshot) for s in staged)
    assert [s.manifest["tables"]["leaderboard_scores"]["rows"] for s in staged] == [9, 54]
    # A date staged again (a killed run resumed) is built alone and replaces its earlier staging.
    layout = Layout(str(tmp_path))
    again = stage_snapshots([lmarena], ["2026-10-02"], str(tmp_path), "backfill")["2026-10-02"]

    def checksums(one: StagedSnapshot) -> dict[str, str]:
        return {name: info["sha256"] for name, info in one.manifest["tables"].items()}

    assert isinstance(again, StagedSnapshot) and checksums(again) == checksums(staged[1])
    assert layout.storage.names(layout.path("staging")) == sorted([staged[0].run_id, again.run_id])
