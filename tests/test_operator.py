"""What an operator meets before and around a run: arguments and the data directory checked before Prefect
starts, one-line errors, one run per data directory, leftovers of killed runs cleaned, no future snapshot."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from flows import runtime
from opengap.cli import app
from opengap.config import snapshot_date, today_utc
from opengap.errors import OpengapError

runner = CliRunner(env={"COLUMNS": "80"})  # narrow on purpose: an error must stay one line anyway


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--offline", "--date", "2030-01-01"], f"--date 2030-01-01 is after today ({today_utc()} UTC)"),
        (["run", "--date", "2026-13-01"], "--date '2026-13-01' is not a date: use YYYY-MM-DD (month must be in 1..12)"),
        (["run", "--date", "yesterday"], "--date 'yesterday' is not a date"),
        (["backfill", "--start", "2031-01-01", "--end", "2031-01-02"], "--start 2031-01-01 is after today"),
        (["backfill", "--start", "2026-01-01", "--end", "2099-01-02"], "--end 2099-01-02 is after today"),
        (["backfill", "--start", "2026-02-01", "--end", "2026-01-01"], "--start 2026-02-01 is after --end"),
        (["backfill", "--start", "2026-01-01", "--end", "2026-01-02", "--every", "hour"], "--every must be one of"),
        (["run", "--sources", ""], "--sources '' names no source; leave the option out to run all"),
        (["run", "--sources", " , "], "--sources ' , ' names no source"),
        (["backfill", "--start", "2026-01-01", "--end", "2026-01-02", "--sources", ""], "names no source"),
    ],
)
def test_bad_arguments_fail_in_one_line_before_any_flow(tmp_path, args, expected):
    line = _one_line_error(runner.invoke(app, [*args, "--data-dir", str(tmp_path / "data")]))
    assert expected in line
    assert not (tmp_path / "data" / "logs").exists()  # refused before the run was prepared


def test_snapshot_date_rule():
    assert snapshot_date(today_utc()) == today_utc()
    assert snapshot_date("2024-02-29", "--start") == "2024-02-29"
    with pytest.raises(OpengapError, match="--start '2024-2-3' is not a date"):
        snapshot_date("2024-2-3", "--start")


def test_a_data_dir_that_cannot_be_used_is_one_line(tmp_path):
    a_file = tmp_path / "data.txt"
    a_file.write_text("not a folder")
    line = _one_line_error(runner.invoke(app, ["run", "--offline", "--data-dir", str(a_file)]))
    assert f"--data-dir {a_file} is a file, not a folder" in line
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        line = _one_line_error(runner.invoke(app, ["run", "--offline", "--data-dir", str(locked / "data")]))
        assert f"cannot write into --data-dir {locked / 'data'}" in line


def test_a_prefect_server_timeout_is_one_line_with_advice(tmp_path, monkeypatch):
    import flows.nightly

    def timed_out(**_):
        raise RuntimeError(runtime.SERVER_TIMEOUT + " stdout: …200 lines of uvicorn…")

    monkeypatch.setattr(flows.nightly, "nightly", timed_out)
    line = _one_line_error(runner.invoke(app, ["run", "--offline", "--data-dir", str(tmp_path)]))
    assert "did not start within 120 s" in line and "PREFECT_API_URL=http://127.0.0.1:4200/api" in line
    log = Path(line.rsplit("(Prefect's log: ", 1)[1].rstrip(")"))
    assert log.is_file() and log.parent == tmp_path / "logs"


def test_an_unexpected_error_is_one_line(tmp_path, monkeypatch):
    import flows.nightly

    def crashes(**_):
        raise KeyError("board")

    monkeypatch.setattr(flows.nightly, "nightly", crashes)
    line = _one_line_error(runner.invoke(app, ["run", "--offline", "--data-dir", str(tmp_path)]))
    assert "unexpected KeyError: 'board'; re-run with --debug for the traceback" in line


def test_a_second_run_on_the_same_data_dir_fails_at_once(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1]); from warehouse.layout import Layout; "
            "from warehouse.publish import run_lock\n"
            "with run_lock(Layout(sys.argv[2])):\n    print('held', flush=True); time.sleep(60)",
            str(REPO),
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        line = _one_line_error(runner.invoke(app, ["run", "--offline", "--data-dir", str(tmp_path)]))
        assert f"another opengap run (pid {holder.pid}) is working in {tmp_path}" in line
    finally:
        holder.kill()
        holder.wait()


def test_leftovers_of_killed_runs_are_found(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"opengap-docs-{dead.pid}-x1").mkdir()
    (tmp_path / f"opengap-docs-{os.getpid()}-x2").mkdir()
    (tmp_path / "opengap-docs-old").mkdir()  # named before folders carried their pid
    assert sorted(p.name for p in runtime.stale_docs_folders(tmp_path)) == [
        f"opengap-docs-{dead.pid}-x1",
        "opengap-docs-old",
    ]

    def fake_process(pid: int, ppid: int, cmdline: bytes, environ: bytes) -> None:
        folder = tmp_path / "proc" / str(pid)
        folder.mkdir(parents=True)
        (folder / "cmdline").write_bytes(cmdline)
        (folder / "environ").write_bytes(environ)
        (folder / "stat").write_text(f"{pid} (python3 -m uvicorn) S {ppid} {pid} 0 0")

    server = b"python3\0-m\0uvicorn\0--factory\0prefect.server.api.server:create_app\0"
    fake_process(4101, 1, server, b"HOME=/root\0PREFECT__SERVER_EPHEMERAL=1\0")  # orphaned: ours to stop
    fake_process(4102, 4000, server, b"PREFECT__SERVER_EPHEMERAL=1\0")  # its run is alive
    fake_process(4103, 1, server, b"HOME=/root\0")  # a persistent `prefect server start`
    fake_process(4104, 1, b"python3\0other.py\0", b"PREFECT__SERVER_EPHEMERAL=1\0")
    assert runtime.orphaned_servers(tmp_path / "proc") == [4101]


def test_latest_is_never_a_future_date(tmp_path, tables_for):
    from test_publish import _publish

    from expectations.validate import ValidationReport
    from warehouse.layout import Layout
    from warehouse.publish import read_latest

    layout = Layout(tmp_path)
    passed = ValidationReport(success=True)
    _publish(layout, "2026-10-02", tables_for("2026-10-02"), report=passed)
    # A manifest dated in the future (written by a version that let a future --date through) is not latest.
    _publish(layout, "2030-01-01", tables_for("2026-10-02"), report=passed)
    assert read_latest(layout)["snapshot_date"] == "2026-10-02"


def _copy_raw(store, sources, cut=None):
    """Copy the shipped archive's newest raw folders of ``sources`` into ``store``; ``cut(file, content)`` may
    shorten a file first (a download cut short, with its own matching checksum)."""
    from extractors.raw_store import RawStore
    from flows.snapshot import RawInput

    archive = RawStore(REPO / "fixtures" / "archive" / "raw")
    inputs = []
    for source in sources:
        day = archive.dates(source)[-1]
        for raw in archive.read_all(source, day):
            content = cut(raw.meta.file, raw.content) if cut else raw.content
            store.write(source, day, raw.meta.file, content, url=raw.meta.url, params=raw.meta.params)
        inputs.append(RawInput(source, str(store.root), day))
    return inputs


def _first_rows(fraction):
    def cut(file, content):
        if file != "notable_ai_models.csv":
            return content
        reader = csv.reader(io.StringIO(content.decode(), newline=""))  # values hold newlines
        header, *rows = list(reader)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *rows[: int(len(rows) * fraction)]])
        return out.getvalue().encode()

    return cut


def test_a_source_table_cut_short_is_quarantined_unless_the_drop_is_allowed(tmp_path):
    from extractors.raw_store import RawStore
    from flows.snapshot import make_snapshot

    data = str(tmp_path / "data")
    good = _copy_raw(RawStore(tmp_path / "good"), ["lmarena", "epoch"])
    assert make_snapshot(good, "2026-10-01", data, "replay", docs=False).published
    short = _copy_raw(RawStore(tmp_path / "short"), ["lmarena", "epoch"], cut=_first_rows(0.6))
    outcome = make_snapshot(short, "2026-10-02", data, "replay", docs=False)
    assert outcome.status == "quarantined" and outcome.rows["epoch_models"] < 0.8 * 307
    manifest = json.loads((Path(outcome.quarantine_path) / "manifest.json").read_text())
    [failure] = [f for f in manifest["validation"]["blocking"] if f["table"] == "epoch_models"]
    assert failure["expectation"] == "expect_table_row_count_to_be_between"
    assert "at most 20% from the 307 of the snapshot of 2026-10-01" in failure["why"]
    assert manifest["row_count_baseline"]["snapshot_date"] == "2026-10-01"
    assert "epoch_models" in manifest["row_count_baseline"]["checked"]

    allowed = make_snapshot(short, "2026-10-02", data, "replay", docs=False, allow_row_drop=("epoch_models",))
    assert allowed.published
    published = json.loads((tmp_path / "data" / "manifests" / "2026-10-02.json").read_text())
    assert published["row_count_baseline"]["allowed_to_drop"] == ["epoch_models"]
    # A backfill compares nothing: its dates share one raw folder, so none can reveal a short download.
    assert make_snapshot(short, "2026-09-30", data, "backfill", docs=False).published


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_server_started_by_a_run_dies_when_the_run_is_killed():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1]); from flows import runtime\n"
            "child = runtime.popen_dying_with_parent(['sleep', '60'])\n"
            "print(child.pid, flush=True); time.sleep(60)",
            str(REPO),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(parent.stdout.readline())
    os.kill(child, 0)  # alive while its parent lives
    parent.kill()  # SIGKILL: no atexit, no cleanup code runs
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        # A dead child stays a zombie until init reaps it; a zombie's state is Z.
        if Path(f"/proc/{child}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            break
        time.sleep(0.05)
    else:
        os.kill(child, 9)
        pytest.fail("the child outlived its killed parent")
