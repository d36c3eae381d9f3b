"""Publishing: deterministic files, atomic commit, crash safety, quarantine, the DuckDB catalog."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from expectations.validate import ValidationReport, validate_tables
from extractors.raw_store import sha256_hex
from opengap.errors import PublishError
from opengap.storage import Storage
from transforms.tables import table_specs
from warehouse import catalog as catalog_mod
from warehouse import publish as publish_mod
from warehouse.catalog import connect
from warehouse.layout import Layout
from warehouse.publish import (
    GRACE_HOURS,
    collect_garbage,
    commit,
    date_lock,
    load_manifest,
    publish_lock,
    quarantine,
    read_latest,
    read_staged,
    stage_tables,
)


def _publish(layout: Layout, date: str, tables, run_id: str | None = None, report: ValidationReport | None = None):
    run_id = run_id or f"{date}-test"
    staged = stage_tables(layout, run_id, date, tables, table_specs())
    report = report or validate_tables(read_staged(layout, run_id, staged))
    manifest = {
        "snapshot_date": date,
        "run_id": run_id,
        "mode": "test",
        "created_at": "2026-11-27T00:00:00Z",
        "code_version": "test",
        "tables": staged,
        "validation": report.to_dict(),
    }
    if not report.success:
        return quarantine(layout, manifest)
    return commit(layout, manifest)


def _catalog_dates(layout: Layout) -> list[str]:
    con = connect(layout, layout.catalog_path, read_only=True)
    try:
        rows = con.execute("SELECT DISTINCT snapshot_date FROM open_closed_gap ORDER BY 1").fetchall()
        latest = con.execute("SELECT DISTINCT snapshot_date FROM open_closed_gap_latest").fetchall()
    finally:
        con.close()
    return [str(r[0]) for r in rows] + [f"latest={latest[0][0]}"]


def test_rerun_of_same_date_gives_byte_identical_parquet(tmp_path, tables_for):
    tables = tables_for("2026-10-02")
    first, second = Layout(tmp_path / "a"), Layout(tmp_path / "b")
    _publish(first, "2026-10-02", tables, run_id="run-1")
    _publish(second, "2026-10-02", tables_for("2026-10-02"), run_id="run-2")
    a, b = load_manifest(first), load_manifest(second)
    assert set(a["tables"]) == {
        "epoch_models",
        "leaderboard_scores",
        "models",
        "open_closed_gap",
        "openness_evidence",
        "openness_conflicts",
        "unmatched_names",
        "model_identities",
    }
    for name in a["tables"]:
        assert a["tables"][name]["sha256"] == b["tables"][name]["sha256"], name
        assert (Path(first.root) / a["tables"][name]["path"]).read_bytes() == (
            Path(second.root) / b["tables"][name]["path"]
        ).read_bytes()
    # Re-publishing the same date in place keeps the same bytes and the same manifest checksum.
    _publish(first, "2026-10-02", tables, run_id="run-3")
    assert load_manifest(first)["tables"]["models"]["sha256"] == a["tables"]["models"]["sha256"]


def test_layout_is_hive_partitioned_with_manifest_latest_and_catalog(tmp_path, tables_for):
    layout = Layout(tmp_path)
    result = _publish(layout, "2025-01-06", tables_for("2025-01-06"))
    assert result.published and result.latest_moved
    part = tmp_path / "warehouse" / "open_closed_gap" / "snapshot_date=2025-01-06" / "part-2025-01-06-test.parquet"
    assert part.is_file()
    assert read_latest(layout)["snapshot_date"] == "2025-01-06"
    assert not (tmp_path / "staging" / "2025-01-06-test").exists()
    con = connect(layout, layout.catalog_path, read_only=True)
    row = con.execute(
        "SELECT best_open_model, best_closed_model, round(score_gap, 2) "
        "FROM open_closed_gap_latest WHERE board = 'text'"
    ).fetchone()
    con.close()
    # The 2025-01-05 leaderboard: o1 leads, DeepSeek-V3 is the best open model at rank 3, 32.9 points behind.
    assert row == ("deepseek-v3", "o1-2024-12-17", 32.91)


def test_older_date_does_not_move_latest_backwards(tmp_path, tables_for):
    layout = Layout(tmp_path)
    _publish(layout, "2026-10-02", tables_for("2026-10-02"))
    result = _publish(layout, "2025-01-06", tables_for("2025-01-06"))
    assert result.published and not result.latest_moved
    assert read_latest(layout)["snapshot_date"] == "2026-10-02"
    assert _catalog_dates(layout) == ["2025-01-06", "2026-10-02", "latest=2026-10-02"]


def _crash(*args, **kwargs):
    raise RuntimeError("injected crash")


def _crash_on(method, suffix):
    def wrapper(self, path, *args, **kwargs):
        if str(path).endswith(suffix):
            raise RuntimeError("injected crash")
        return method(self, path, *args, **kwargs)

    return wrapper


CRASH_POINTS = {
    # before any partition file moves into the warehouse
    "first_move": lambda mp: mp.setattr(Storage, "move", _crash),
    # partitions moved, manifest not written
    "manifest": lambda mp: mp.setattr(Storage, "write_json", _crash_on(Storage.write_json, "2026-10-02.json")),
    # manifest written, catalog not rebuilt
    "catalog": lambda mp: mp.setattr(publish_mod, "build_catalog", _crash),
    # the new catalog half-written, not swapped in
    "catalog_build": lambda mp: mp.setattr(catalog_mod, "_sql_list", _crash),
}


@pytest.mark.parametrize("step", sorted(CRASH_POINTS))
def test_crash_between_staging_and_pointer_swap_keeps_previous_snapshot(tmp_path, tables_for, monkeypatch, step):
    layout = Layout(tmp_path)
    passed = ValidationReport(success=True)  # validation is not under test here; publishing is
    _publish(layout, "2025-01-06", tables_for("2025-01-06"), report=passed)
    before_latest = Path(layout.latest_path).read_bytes()
    before_catalog = _catalog_dates(layout)

    CRASH_POINTS[step](monkeypatch)
    with pytest.raises(RuntimeError, match="injected"):
        _publish(layout, "2026-10-02", tables_for("2026-10-02"), run_id="crashing", report=passed)
    assert Path(layout.latest_path).read_bytes() == before_latest
    assert _catalog_dates(layout) == before_catalog
    monkeypatch.undo()
    # The re-run completes the publish.
    _publish(layout, "2026-10-02", tables_for("2026-10-02"), run_id="rerun", report=passed)
    assert read_latest(layout)["snapshot_date"] == "2026-10-02"
    assert _catalog_dates(layout) == ["2025-01-06", "2026-10-02", "latest=2026-10-02"]


def _files_match_manifest(layout: Layout) -> bool:
    manifest = load_manifest(layout)
    return all(
        sha256_hex((Path(layout.root) / info["path"]).read_bytes()) == info["sha256"]
        for info in manifest["tables"].values()
    )


def test_republishing_a_date_never_touches_the_published_files(tmp_path, tables_for, monkeypatch):
    layout = Layout(tmp_path)
    passed = ValidationReport(success=True)
    _publish(layout, "2026-10-02", tables_for("2026-10-02"), run_id="run-1", report=passed)
    changed = tables_for("2026-10-02")
    changed["leaderboard_scores"] = changed["leaderboard_scores"].slice(0, 50)  # a different snapshot
    moves, real_move = [], Storage.move

    def move_then_crash(self, source, target):
        real_move(self, source, target)
        moves.append(target)
        raise RuntimeError("injected crash after the first file moved")

    monkeypatch.setattr(Storage, "move", move_then_crash)
    with pytest.raises(RuntimeError, match="injected"):
        _publish(layout, "2026-10-02", changed, run_id="run-2", report=passed)
    monkeypatch.undo()
    assert len(moves) == 1 and "part-run-2" in moves[0]
    # The date still reads as run-1, whole: every file the manifest names has the bytes it recorded.
    assert read_latest(layout)["run_id"] == load_manifest(layout)["run_id"] == "run-1"
    assert _files_match_manifest(layout)

    _publish(layout, "2026-10-02", changed, run_id="run-3", report=passed)
    assert load_manifest(layout)["tables"]["leaderboard_scores"]["rows"] == 50 and _files_match_manifest(layout)
    partition = Path(moves[0]).parent  # the crashed run's one moved file is here
    assert sorted(p.name for p in partition.iterdir()) == [
        "part-run-1.parquet",  # superseded, kept for readers of the previous catalog
        "part-run-2.parquet",  # moved by the crashed run, named by no manifest
        "part-run-3.parquet",
    ]
    assert collect_garbage(layout) == []  # within the grace period
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=GRACE_HOURS + 1)
    deleted = collect_garbage(layout, now=later)
    assert len(deleted) == 8 + 1 and not any("run-3" in d for d in deleted)
    assert sorted(p.name for p in partition.iterdir()) == ["part-run-3.parquet"]
    assert _files_match_manifest(layout)


def test_blocking_failure_quarantines_and_latest_stays(tmp_path, tables_for):
    layout = Layout(tmp_path)
    _publish(layout, "2025-01-06", tables_for("2025-01-06"))
    tables = tables_for("2026-10-02")
    # Drop every leaderboard row except two: the row-count floor (critical) must fail.
    tables["leaderboard_scores"] = tables["leaderboard_scores"].slice(0, 2)
    staged_report = validate_tables({"leaderboard_scores": tables["leaderboard_scores"]})
    assert not staged_report.success
    assert any(f.expectation == "expect_table_row_count_to_be_between" for f in staged_report.blocking)
    result = _publish(layout, "2026-10-02", tables, run_id="bad-run", report=staged_report)
    assert not result.published
    quarantined = Path(result.quarantine_path)
    assert (quarantined / "manifest.json").is_file()
    assert (quarantined / "warehouse" / "leaderboard_scores").is_dir()
    saved = json.loads((quarantined / "manifest.json").read_text())
    assert saved["validation"]["success"] is False
    assert read_latest(layout)["snapshot_date"] == "2025-01-06"
    assert not (tmp_path / layout.partition_dir("leaderboard_scores", "2026-10-02")).exists()


def test_second_publisher_is_refused_with_a_clear_message(tmp_path):
    layout = Layout(tmp_path)
    busy = "2026-10-02 is being published by another opengap process"
    with date_lock(layout, "2026-10-02"):
        with pytest.raises(PublishError, match=busy), date_lock(layout, "2026-10-02"):
            pass
        with date_lock(layout, "2026-10-03"):  # other dates are free
            pass
    busy = "another opengap process has been publishing"
    with publish_lock(layout), pytest.raises(PublishError, match=busy), publish_lock(layout, wait_s=0.2):
        pass


def test_load_manifest_without_snapshot_says_what_to_do(tmp_path):
    with pytest.raises(PublishError, match="opengap run"):
        load_manifest(Layout(tmp_path))


OLD_DUCKDB = Path(__file__).resolve().parents[1] / ".venv-duckdb1" / "bin" / "python"  # made by `make test`


def test_the_catalog_opens_in_duckdb_1_after_the_data_folder_moved(tmp_path, tables_for):
    """BI drivers bundle DuckDB 1.x: the catalog is written in the v1.0.0 storage format and names the Parquet
    files relative to the data directory, so a moved folder still reads once file_search_path points at it."""
    import shutil
    import subprocess

    _publish(Layout(tmp_path / "before"), "2025-01-06", tables_for("2025-01-06"))
    moved = tmp_path / "after"
    shutil.move(tmp_path / "before", moved)
    script = (moved / "catalog" / "catalog.sql").read_text()
    assert "read_parquet(['warehouse/open_closed_gap/snapshot_date=2025-01-06/part-2025-01-06-test.parquet']" in script
    query = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "con.execute('SET file_search_path = ?', [sys.argv[2]]); "
        'print(duckdb.__version__, con.execute("SELECT best_open_model FROM open_closed_gap_latest '
        "WHERE board = 'text'\").fetchone()[0])"
    )
    catalog = str(moved / "catalog" / "opengap.duckdb")
    assert connect(Layout(moved), catalog, read_only=True).execute("SELECT count(*) FROM models").fetchone()[0] > 0
    if not OLD_DUCKDB.is_file():
        pytest.skip(f"{OLD_DUCKDB} is missing: `make test` installs DuckDB 1.1 there to check the catalog opens")
    out = subprocess.run([str(OLD_DUCKDB), "-c", query, catalog, str(moved)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1.1.3", "deepseek-v3"]


def test_open_closed_lag_counts_months_from_the_closed_model_first_seen_at_the_open_models_level() -> None:
    """The lag view's logic on a small history: on the 2025-01-05 board the best open model (first seen then)
    is matched by a closed model first seen on 2024-07-05 (six months before) and by one first seen later."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE leaderboard_scores AS SELECT * FROM (VALUES "
        "('text', 'overall', DATE '2024-07-05', 'closed-a', 1250.0, 'closed'), "
        "('text', 'overall', DATE '2024-07-05', 'open-old', 1200.0, 'open'), "
        "('text', 'overall', DATE '2025-01-05', 'closed-a', 1300.0, 'closed'), "
        "('text', 'overall', DATE '2025-01-05', 'closed-b', 1320.0, 'closed'), "
        "('text', 'overall', DATE '2025-01-05', 'open-new', 1290.0, 'open'), "
        "('text', 'overall', DATE '2025-01-05', 'open-old', 1210.0, 'open')"
        ") AS t(board, category, leaderboard_publish_date, model_name, rating, openness)"
    )
    con.execute(
        "CREATE TABLE open_closed_gap_history AS SELECT DISTINCT board, category, leaderboard_publish_date "
        "FROM leaderboard_scores"
    )
    con.execute(catalog_mod.GAP_LAG)
    rows = con.execute(
        "SELECT leaderboard_publish_date::VARCHAR, best_open_model, closed_model, closed_first_seen::VARCHAR, "
        "round(months_behind, 1), lower_bound FROM open_closed_lag ORDER BY 1"
    ).fetchall()
    assert rows == [
        # On the first board the history starts: the closed model was already there (a lower bound).
        ("2024-07-05", "open-old", "closed-a", "2024-07-05", 0.0, True),
        ("2025-01-05", "open-new", "closed-a", "2024-07-05", 6.0, True),  # 184 days / 30.44
    ]


def test_readers_in_other_processes_never_fail_while_a_snapshot_publishes(tmp_path, tables_for):
    """BI tools open the catalog read-only from their own processes; a publish swaps in a new file with one
    rename, so a reader sees the old catalog or the new one, never a half-written one or a lock error."""
    import subprocess
    import sys

    layout = Layout(tmp_path)
    _publish(layout, "2025-01-06", tables_for("2025-01-06"))
    reader = (  # reads in a loop until it has seen the new snapshot; says so at its first read
        "import sys, time, duckdb\n"
        "seen, deadline = [], time.monotonic() + 60\n"
        "while time.monotonic() < deadline and len(set(seen)) < 2:\n"
        "    con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "    con.execute('SET file_search_path = ?', [sys.argv[2]])\n"
        "    seen.append(str(con.execute('SELECT max(snapshot_date) FROM open_closed_gap').fetchone()[0]))\n"
        "    con.close()\n"
        "    if len(seen) == 1:\n"
        "        print('reading', flush=True)\n"
        "print(sorted(set(seen)))\n"
    )
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", reader, str(layout.catalog_path), str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    assert [process.stdout.readline().strip() for process in readers] == ["reading", "reading"]
    _publish(layout, "2026-10-02", tables_for("2026-10-02"))
    for process in readers:
        out, err = process.communicate(timeout=90)
        assert process.returncode == 0, err  # no reader failed, whatever moment it opened the file
        assert out.strip() == "['2025-01-06', '2026-10-02']"  # each saw the old catalog, then the new one


def test_changes_since_the_previous_snapshot(tmp_path, tables_for) -> None:
    from expectations.validate import validate_tables
    from flows.snapshot import _changes
    from transforms.tables import CHANGES

    layout = Layout(tmp_path)
    _publish(layout, "2025-01-06", tables_for("2025-01-06"))
    tables = tables_for("2026-10-02")
    frame = _changes(layout, "2026-10-02", "replay", tables)
    assert _changes(layout, "2026-10-02", "backfill", tables) is None  # a backfill's dates come in any order
    kinds = frame.groupby("kind").size().to_dict()
    assert set(kinds) == {"model_added", "model_removed", "openness_changed", "rank_moved", "row_count"}
    counts = frame[frame["kind"] == "row_count"].set_index("subject")
    scores = counts.loc["leaderboard_scores"]
    assert (scores["before"], scores["after"]) == (
        str(tables_for("2025-01-06")["leaderboard_scores"].num_rows),
        str(tables["leaderboard_scores"].num_rows),
    )
    # Grok-2's weights were published in August 2025: the dated override decides from then on.
    grok = frame[frame["kind"] == "openness_changed"].set_index("subject").loc["grok-2"]
    assert (grok["before"], grok["after"]) == ("api_access", "open_weights_restricted")
    assert grok["detail"].startswith("decided by curated_override")
    moved = frame[(frame["kind"] == "rank_moved") & frame["beyond_threshold"]]
    assert len(moved) > 0 and (frame["previous_snapshot_date"] == dt.date(2025, 1, 6)).all()
    # A flagged swing is a warning naming what moved, never a blocking failure.
    report = validate_tables({"changes": CHANGES.to_arrow(frame)})
    (warning,) = report.warnings
    assert report.success and warning.unexpected_count == int(frame["beyond_threshold"].sum())
    assert set(warning.examples) <= set(frame["subject"])


def test_an_offline_validation_page_lists_every_snapshot_with_our_severities(tmp_path, tables_for) -> None:
    from expectations.validate import Failure

    layout = Layout(tmp_path)
    _publish(layout, "2025-01-06", tables_for("2025-01-06"))
    silent = Failure(
        "hub_models",
        "expect_column_distinct_values_to_contain_set",
        "organization",
        "warning",
        "every tracked value answered (a missing one: an empty or failed listing)",
        examples=["baidu", "tencent"],
    )
    _publish(layout, "2026-10-02", tables_for("2026-10-02"), report=ValidationReport(success=True, warnings=[silent]))
    page = (tmp_path / "docs" / "index.html").read_text()
    manifest = load_manifest(layout, "2026-10-02")
    warnings = manifest["validation"]["warnings"]
    assert "<h2>2026-10-02 (latest)</h2>" in page and "<h2>2025-01-06</h2>" in page
    assert page.index("2026-10-02 (latest)") < page.index("<h2>2025-01-06</h2>")  # newest first
    assert page.count('<td class="warning">warning</td>') == len(warnings) == 1  # "warning", not GX's "Failed"
    assert "<td>baidu, tencent</td>" in page
    assert all(html_escape(w["why"]) in page for w in warnings)  # each with the reason its suite gives
    assert "<script" not in page and "http" not in page.split("<body>")[1]  # nothing to load from anywhere


def html_escape(text: str) -> str:
    import html

    return html.escape(text)
