"""Backfills: as-of correctness, skip-on-rerun, resume after a failure, quarantine, catch-up, Dask."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ARCHIVE
from flows import snapshot as snapshot_mod
from flows.backfill import backfill, date_range
from flows.runners import make_task_runner
from opengap.cli import app
from opengap.errors import OpengapError
from warehouse.catalog import connect
from warehouse.layout import Layout
from warehouse.publish import read_latest

needs_prefect = pytest.mark.usefixtures("prefect_harness")
WEEKS = ["2025-01-01", "2025-01-08", "2025-01-15"]


# The two sources whose history backfills reconstruct; the others add tables, not backfill behaviour.
HISTORY = ["lmarena", "epoch"]


def _run(data_dir, start, end, every="day", **kwargs):
    return backfill(
        start=start, end=end, every=every, offline=True, raw_archive=str(ARCHIVE), data_dir=str(data_dir), **kwargs
    )


def _manifests(layout: Layout) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(Path(layout.manifests_dir).glob("*.json"))}


def test_date_range_steps():
    assert date_range("2025-01-01", "2025-01-29", "week") == [*WEEKS, "2025-01-22", "2025-01-29"]
    assert date_range("2024-01-31", "2024-04-30", "month") == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]
    assert date_range("2025-01-01", "2025-01-03") == ["2025-01-01", "2025-01-02", "2025-01-03"]
    with pytest.raises(OpengapError, match="after"):
        date_range("2025-02-01", "2025-01-01")
    with pytest.raises(OpengapError, match="--every"):
        date_range("2025-01-01", "2025-01-02", "hour")


@needs_prefect
def test_weekly_backfill_is_as_of_each_date_and_skips_on_rerun(tmp_path):
    report = _run(tmp_path, "2025-01-01", "2025-01-15", "week", sources=HISTORY)
    assert report.published == WEEKS and report.ok
    layout = Layout(tmp_path)
    manifests = _manifests(layout)
    assert list(manifests) == WEEKS
    assert {m["mode"] for m in manifests.values()} == {"backfill"}
    assert manifests["2025-01-01"]["leaderboard_publish_dates"] == {
        "text": "2024-06-02",
        "text_style_control": "2024-08-28",
    }
    assert manifests["2025-01-08"]["leaderboard_publish_dates"] == {
        "text": "2025-01-05",
        "text_style_control": "2025-01-05",
    }
    assert "reconstructed" in manifests["2025-01-08"]["as_of"]["epoch_models"]
    assert read_latest(layout)["snapshot_date"] == "2025-01-15"

    con = connect(layout, layout.catalog_path, read_only=True)
    # No snapshot contains a leaderboard published after its date, nor a registry model published after it.
    assert con.execute(
        "SELECT count(*) FROM leaderboard_scores WHERE leaderboard_publish_date > snapshot_date"
    ).fetchone() == (0,)
    assert con.execute(
        "SELECT count(*) FROM epoch_models WHERE publication_date > snapshot_date OR publication_date IS NULL"
    ).fetchone() == (0,)
    assert con.execute("SELECT DISTINCT as_of_method FROM epoch_models").fetchall() == [("reconstructed",)]
    history = con.execute(
        "SELECT snapshot_date::VARCHAR, best_open_model, round(score_gap, 1) FROM open_closed_gap "
        "WHERE board = 'text' ORDER BY snapshot_date"
    ).fetchall()
    # The same board stood on 2025-01-08 and 2025-01-15: the history view counts it once.
    boards = con.execute(
        "SELECT leaderboard_publish_date::VARCHAR, first_snapshot_date::VARCHAR, snapshot_date::VARCHAR "
        "FROM open_closed_gap_history WHERE board = 'text' ORDER BY 1"
    ).fetchall()
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    monthly = next(q for q in re.findall(r"```sql\n(.*?)```", readme, re.S) if "open_closed_gap_history" in q)
    months = con.execute(monthly.replace("2023-05-01", "2024-01-01")).fetchall()
    con.close()
    assert history[0] == ("2025-01-01", "llama-3-70b-instruct", 79.7)  # the 2024-06-02 board: before Llama 3.1
    assert history[1:] == [(d, "deepseek-v3", 32.9) for d in WEEKS[1:]]
    assert boards == [("2024-06-02", "2025-01-01", "2025-01-01"), ("2025-01-05", "2025-01-08", "2025-01-15")]
    assert [(m.strftime("%Y-%m"), round(gap, 1), n) for m, gap, _, _, n in months] == [
        ("2024-06", 79.7, 1),
        ("2025-01", 32.9, 1),  # not 2: the board that stood two weeks is one board
    ]

    runs = {d: m["run_id"] for d, m in manifests.items()}
    again = _run(tmp_path, "2025-01-01", "2025-01-15", "week", sources=HISTORY)
    assert again.skipped == WEEKS and not again.published
    assert {d: m["run_id"] for d, m in _manifests(layout).items()} == runs


@needs_prefect
def test_failure_at_one_date_is_reported_and_a_rerun_completes_the_range(tmp_path, monkeypatch):
    real_commit = snapshot_mod.commit

    def crash_on_8th(layout, manifest, **kwargs):
        if manifest["snapshot_date"] == "2025-01-08":
            raise RuntimeError("killed while publishing 2025-01-08")
        return real_commit(layout, manifest, **kwargs)

    monkeypatch.setattr(snapshot_mod, "commit", crash_on_8th)
    report = _run(tmp_path, "2025-01-01", "2025-01-15", "week", sources=HISTORY)
    assert report.published == ["2025-01-01", "2025-01-15"]
    assert list(report.failed) == ["2025-01-08"] and "killed while publishing" in report.failed["2025-01-08"]
    monkeypatch.undo()

    rerun = _run(tmp_path, "2025-01-01", "2025-01-15", "week", sources=HISTORY)
    assert rerun.published == ["2025-01-08"] and len(rerun.skipped) == 2
    layout = Layout(tmp_path)
    assert list(_manifests(layout)) == WEEKS
    for table in ("leaderboard_scores", "models", "epoch_models", "open_closed_gap"):
        parts = sorted(p.parent.name for p in (Path(layout.warehouse_dir) / table).glob("*/part-*.parquet"))
        assert parts == [f"snapshot_date={d}" for d in WEEKS]
    con = connect(layout, layout.catalog_path, read_only=True)
    assert con.execute(
        "SELECT count(*), count(DISTINCT snapshot_date) FROM open_closed_gap WHERE board='text'"
    ).fetchone() == (3, 3)
    con.close()
    assert not list((tmp_path / "staging").iterdir())  # the re-run cleared the crashed run's staging


@needs_prefect
def test_dates_that_fail_validation_are_quarantined_while_others_publish(tmp_path):
    # 2023-05-01: no leaderboard yet (fails); 2023-06-01: the 2023-05-08 board has 9 rows, under the floor of 10
    # (and the trimmed fixture registry is under its floor); 2024-10-01 passes.
    report = _run(tmp_path, "2023-05-01", "2023-06-01", "month", sources=HISTORY)
    assert "no LMArena leaderboard was published on or before 2023-05-01" in report.failed["2023-05-01"]
    assert list(report.quarantined) == ["2023-06-01"]
    quarantined = json.loads((tmp_path / report.quarantined["2023-06-01"] / "manifest.json").read_text())
    assert {f["table"] for f in quarantined["validation"]["blocking"]} == {"leaderboard_scores", "epoch_models"}
    assert _run(tmp_path, "2024-10-01", "2024-10-01", sources=HISTORY).published == ["2024-10-01"]
    assert read_latest(Layout(tmp_path))["snapshot_date"] == "2024-10-01"


@needs_prefect
def test_backfill_keeps_a_date_the_nightly_run_published(tmp_path):
    from flows.nightly import nightly

    nightly(offline=True, raw_archive=str(ARCHIVE), data_dir=str(tmp_path), docs=False, sources=HISTORY)
    report = _run(tmp_path, "2026-10-02", "2026-10-02", sources=HISTORY)
    assert not report.published and report.skipped == ["2026-10-02"]
    assert _manifests(Layout(tmp_path))["2026-10-02"]["mode"] == "replay"
    assert _run(tmp_path, "2026-10-02", "2026-10-02", sources=HISTORY, force=True).published == ["2026-10-02"]


@needs_prefect
def test_cli_backfill_and_catch_up(tmp_path):
    runner = CliRunner(env={"COLUMNS": "200"})
    sources = ["--sources", ",".join(HISTORY)]
    result = runner.invoke(
        app,
        [
            "backfill",
            "--offline",
            "--start",
            "2026-09-30",
            "--end",
            "2026-09-30",
            *sources,
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1/1" in result.output and "published" in result.output
    # The archive's newest date is 2026-10-02: catch-up backfills 2026-10-01, then the nightly run publishes 10-02.
    result = runner.invoke(app, ["run", "--offline", "--catch-up", "--no-docs", *sources, "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(_manifests(Layout(tmp_path))) == ["2026-09-30", "2026-10-01", "2026-10-02"]
    result = runner.invoke(app, ["run", "--catch-up", "--offline", "--data-dir", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "nothing is published" in result.output
    result = runner.invoke(
        app, ["backfill", "--offline", "--start", "2023-05-01", "--end", "2023-05-01", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1 and "failed" in result.output


def test_task_runner_choices():
    assert type(make_task_runner("thread", 3)).__name__ == "ThreadPoolTaskRunner"
    assert type(make_task_runner("dask", 2)).__name__ == "DaskTaskRunner"
    with pytest.raises(OpengapError, match="--task-runner"):
        make_task_runner("spark")
    with pytest.raises(OpengapError, match="needs --task-runner dask"):
        make_task_runner("thread", 2, "tcp://127.0.0.1:8786")


@needs_prefect
def test_dask_backfill_gives_the_same_snapshots_as_threads(tmp_path):
    # With Data Docs each date is validated on its own (make_snapshot, here on threads); without, the dates are
    # validated together (expectations/batched.py, here on Dask): the same files and the same verdicts.
    # LMArena alone: the source whose history a local cluster's worker maps from the parse task's Arrow copy.
    threaded = _run(tmp_path / "threads", "2026-10-02", "2026-10-02", docs=True, sources=["lmarena"])
    dask_run = backfill.with_options(task_runner=make_task_runner("dask", 1))(
        start="2026-10-02",
        end="2026-10-02",
        sources=["lmarena"],
        offline=True,
        raw_archive=str(ARCHIVE),
        data_dir=str(tmp_path / "dask"),
    )
    assert threaded.published == dask_run.published == ["2026-10-02"]
    runs = [_manifests(Layout(tmp_path / run))["2026-10-02"] for run in ("threads", "dask")]
    assert {t: i["sha256"] for t, i in runs[0]["tables"].items()} == {
        t: i["sha256"] for t, i in runs[1]["tables"].items()
    }
    assert runs[0]["validation"]["docs_index"] and not runs[1]["validation"]["docs_index"]
    verdicts = [{**m["validation"], "docs_index": None} for m in runs]
    assert verdicts[0] == verdicts[1]
    assert sum(t["evaluated"] for t in verdicts[0]["tables"].values()) == 134 and verdicts[0]["success"]


@needs_prefect
def test_every_publish_takes_each_leaderboard_date(tmp_path):
    report = _run(tmp_path, "2025-05-01", "2025-12-31", every="publish", sources=["lmarena"])
    # The shipped text/text_style_control sample has these leaderboards in that window.
    assert report.published == ["2025-05-11", "2025-05-19", "2025-11-05"]
    manifests = _manifests(Layout(tmp_path))
    assert manifests["2025-05-19"]["leaderboard_publish_dates"] == {
        "text": "2025-05-19",
        "text_style_control": "2025-05-19",
    }
    with pytest.raises(OpengapError, match="include one of lmarena"):
        _run(tmp_path, "2025-05-01", "2025-12-31", every="publish", sources=["epoch"])
