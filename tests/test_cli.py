"""The command line: one-line errors, parse on local files, run/status/validate, README coverage."""

from __future__ import annotations

import json
import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from conftest import ARCHIVE, FIXTURES, REPO
from opengap.cli import app

runner = CliRunner(env={"COLUMNS": "200"})
TEXT_ROWS = ARCHIVE / "raw" / "lmarena" / "2026-10-02" / "text.full.rows.json"


def test_parse_lmarena_writes_tagged_rows(tmp_path):
    out = tmp_path / "rows.jsonl"
    result = runner.invoke(app, ["parse", "lmarena", str(TEXT_ROWS), "--board", "text", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 206
    r1 = next(r for r in rows if r["model_name"] == "deepseek-r1" and r["leaderboard_publish_date"] == "2025-05-19")
    assert (r1["license"], r1["license_id"], r1["openness_tier"], r1["openness"]) == (
        "MIT",
        "mit",
        "open_weights_unrestricted",
        "open",
    )
    assert r1["openness_source"] == "lmarena_license"
    # The same tag the pipeline gives: the curated override beats the licence string "Qwen".
    qwen_max = next(r for r in rows if r["model_name"] == "qwen-max-0919")
    assert (qwen_max["openness"], qwen_max["openness_source"]) == ("closed", "curated_override")


def test_parse_legacy_csv_and_epoch_to_csv_and_parquet(tmp_path):
    legacy = FIXTURES / "lmarena_legacy" / "leaderboard_table_20231220.csv"
    result = runner.invoke(app, ["parse", "lmarena-legacy", str(legacy), "--out", str(tmp_path / "l.csv")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "l.csv").read_text()
    assert text.count("\n") == 16  # header + 15 models
    assert '"Vicuna-13B-16k"' in text and '"open_weights_restricted"' in text
    epoch_file = FIXTURES / "epoch" / "notable_ai_models_2024-07-16.csv"
    result = runner.invoke(app, ["parse", "epoch", str(epoch_file), "--out", str(tmp_path / "e.parquet")])
    assert result.exit_code == 0, result.output
    assert "rows to" in result.output


def test_parse_preview_and_clear_errors(tmp_path):
    result = runner.invoke(app, ["parse", "lmarena", str(TEXT_ROWS)])
    assert result.exit_code == 0 and "206 rows parsed" in result.output
    broken = tmp_path / "notable_ai_models.csv"
    broken.write_bytes(
        (FIXTURES / "epoch" / "notable_ai_models_2024-07-16.csv").read_bytes().replace(b"System,", b"Name,", 1)
    )
    result = runner.invoke(app, ["parse", "epoch", str(broken)])
    assert result.exit_code == 1
    assert "error:" in result.output and "lacks required column(s) Model" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["parse", "nope", str(broken)])
    assert result.exit_code == 1 and "unknown source 'nope'" in result.output
    result = runner.invoke(app, ["parse", "lmarena", str(broken)])
    assert result.exit_code == 1 and "error:" in result.output and "lmarena file notable_ai_models.csv" in result.output


def test_status_without_snapshot_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["status", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no snapshot has been published" in result.output and "opengap run" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_run_offline_then_status_and_validate(tmp_path):
    result = runner.invoke(app, ["run", "--offline", "--no-docs", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Snapshot 2026-10-02" in result.output and "validation passed" in result.output
    assert "deepseek-v4.1-flash-max (#37)" in result.output and "+71.0" in result.output
    assert "Adoption per model family" in result.output and "137,200,000" in result.output  # Llama 3.x on Ollama
    # The claims check: CB Insights' closed figure vs ours, and a claim the archive has no data for.
    assert re.search(r"\$37\.5B +│ funding_rounds \(2024-12-31\) +│ \$31\.3B", result.output)
    assert re.search(r"│ 670 +│ DeepSeek-R1 +│ no data", result.output)
    result = runner.invoke(app, ["status", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "leaderboard_scores" in result.output and "(latest)" in result.output
    result = runner.invoke(app, ["validate", "--date", "2026-10-02", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "validation passed: 0 blocking failure(s)" in result.output
    result = runner.invoke(app, ["run", "--offline", "--sources", "lmarena,bogus", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "unknown source(s) bogus" in result.output


def test_readme_documents_every_command_and_option():
    readme = (REPO / "README.md").read_text()
    command = get_command(app)
    assert set(command.commands) == {
        "run",
        "backfill",
        "serve",
        "parse",
        "sources",
        "status",
        "validate",
        "dictionary",
        "report",
    }
    for name, sub in command.commands.items():
        assert re.search(rf"opengap {name}\b", readme), f"README does not show `opengap {name}`"
        for param in sub.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert opt in readme, f"README does not mention {opt} of `opengap {name}`"


def test_parse_other_sources(tmp_path):
    out = tmp_path / "oll.jsonl"
    oll = FIXTURES / "open_llm_leaderboard" / "contents_sample.csv"
    result = runner.invoke(app, ["parse", "open-llm-leaderboard", str(oll), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 21
    apache = [r for r in rows if r["hub_license"] == "apache-2.0"]
    assert apache and {r["openness_tier"] for r in apache} == {"open_weights_unrestricted"}
    result = runner.invoke(app, ["parse", "openrouter", str(FIXTURES / "openrouter" / "models_2026-02-27.json")])
    assert result.exit_code == 0 and "17 rows parsed" in result.output


def test_parse_prints_drift_and_parse_notes(tmp_path):
    lines = (FIXTURES / "lmarena_legacy" / "leaderboard_table_20250511.csv").read_text().splitlines()
    header = lines[0].replace(",Link", ",Link,Votes")  # a column the contract does not know
    rows = [f"{line},1" for line in lines[1:]]
    table = tmp_path / "leaderboard_table_20250511.csv"
    table.write_text("\n".join([header, *rows, rows[0]]) + "\n")  # the first model listed twice
    result = runner.invoke(app, ["parse", "lmarena-legacy", str(table)])
    assert result.exit_code == 0, result.output
    assert 'column drift in leaderboard_table_20250511.csv: {"new": ["Votes"]}' in result.output
    assert 'parse notes for leaderboard_table_20250511.csv: {"duplicates_dropped": 1}' in result.output
    assert f"{len(lines) - 1} rows parsed" in result.output
