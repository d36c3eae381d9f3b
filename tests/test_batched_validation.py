"""Validating many dates in one Great Expectations run per table gives each date the report it gets alone."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from conftest import ARCHIVE
from expectations import batched
from expectations.batched import validate_dates
from expectations.validate import load_suite, runner, validate_tables
from flows.snapshot import RawInput, load_parsed
from transforms.build import build_snapshot

# The archive's first board (too few rows: blocking), an early one whose gap lacks a closed model (warnings), a
# later one that passes, and the newest.
DATES = ["2023-05-08", "2023-12-06", "2024-08-28", "2026-10-02"]


@pytest.fixture(scope="module")
def tables() -> dict[str, dict[str, pa.Table]]:
    parsed = {"lmarena": load_parsed(RawInput("lmarena", str(ARCHIVE / "raw"), "2026-10-02"))}
    return {
        d: build_snapshot(parsed, dt.date.fromisoformat(d), {"lmarena": "2026-10-02"}, check_claims=False)
        for d in DATES
    }


def _as_json(report) -> str:
    return json.dumps(report.to_dict(), sort_keys=True, default=str)  # NaN examples compare equal as text


def _replace(table: pa.Table, column: str, values: list) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, pa.array(values, table[column].type))


def test_each_date_gets_the_report_it_gets_alone(tables, monkeypatch) -> None:
    tables = {d: dict(t) for d, t in tables.items()}
    # Break two dates differently: a duplicated key on one (uniqueness is checked per date, not across dates,
    # where every board repeats its models), too many unknown tiers in the text top 50 on another (a `mostly`
    # check), an out-of-range rating on the newest.
    scores = tables["2023-12-06"]["leaderboard_scores"]
    tables["2023-12-06"]["leaderboard_scores"] = pa.concat_tables([scores, scores.slice(0, 1)])
    scores = tables["2024-08-28"]["leaderboard_scores"]
    top = pc.and_(pc.equal(scores["board"], "text"), pc.less_equal(scores["rank"], 50)).to_pylist()
    tiers = scores["openness_tier"].to_pylist()
    unknown = [i for i, t in enumerate(top) if t][::4]  # a quarter of the top 50
    tables["2024-08-28"]["leaderboard_scores"] = _replace(
        scores, "openness_tier", ["unknown" if i in unknown else t for i, t in enumerate(tiers)]
    )
    scores = tables["2026-10-02"]["leaderboard_scores"]
    tables["2026-10-02"]["leaderboard_scores"] = _replace(scores, "rating", [-5.0, *scores["rating"].to_pylist()[1:]])

    alone = {d: validate_tables(t) for d, t in tables.items()}
    together = validate_dates(tables)
    assert {d: _as_json(r) for d, r in together.items()} == {d: _as_json(r) for d, r in alone.items()}
    monkeypatch.setattr(batched, "ROWS_PER_RUN", 60)  # runs of a date or two: the same reports
    assert {d: _as_json(r) for d, r in validate_dates(tables).items()} == {d: _as_json(r) for d, r in alone.items()}
    failed = {d: sorted({(f.table, f.expectation) for f in r.blocking}) for d, r in together.items()}
    assert failed == {
        "2023-05-08": [("leaderboard_scores", "expect_table_row_count_to_be_between")],
        "2023-12-06": [("leaderboard_scores", "expect_compound_columns_to_be_unique")],
        "2024-08-28": [  # the coverage check, and an 'unknown' tier where the tag says open or closed
            ("leaderboard_scores", "expect_column_values_to_be_in_set"),
            ("leaderboard_scores", "expect_column_values_to_be_null"),
            ("leaderboard_scores", "expect_column_values_to_not_be_in_set"),
        ],
        "2026-10-02": [  # out of range, and below its own interval's lower bound
            ("leaderboard_scores", "expect_column_pair_values_a_to_be_greater_than_b"),
            ("leaderboard_scores", "expect_column_values_to_be_between"),
        ],
    }
    assert [f.column for f in together["2023-05-08"].warnings] == ["best_closed_model", "score_gap"]
    assert together["2026-10-02"].blocking[1].examples == [-5.0]


def test_a_mostly_check_suspects_only_the_dates_that_fail_it() -> None:
    """Boards often hold a few unknown tiers in the text top 50, within the coverage check's ``mostly`` (95%):
    such a date passes in the stacked run and is not validated again alone; one over the limit is."""
    suite = load_suite("leaderboard_scores")["expectations"]
    coverage = next(e for e in suite if e["kwargs"].get("mostly") and e["kwargs"]["column"] == "openness_tier")

    def board(unknown: int) -> pd.DataFrame:  # 40 models in the text top 50, and the same below rank 50
        tiers = ["unknown"] * unknown + ["open_weights"] * (40 - unknown)
        return pd.DataFrame(
            {
                "board": "text",
                "category": "overall",
                "rank": list(range(1, 41)) + list(range(51, 91)),
                "openness_tier": tiers + ["unknown"] * 40,  # unknown below rank 50 is outside the check
            }
        )

    frames = {"one unknown": board(1), "two unknown": board(2), "three unknown": board(3), "none": board(0)}
    checker = runner()
    alone = {d: checker.run([coverage], f, {"result_format": "BASIC"})[0].success for d, f in frames.items()}
    assert alone == {"one unknown": True, "two unknown": True, "three unknown": False, "none": True}  # 3/40 > 5%
    assert batched._suspects([coverage], frames, checker) == {"three unknown": [0]}


def test_dates_are_validated_in_runs_of_a_bounded_number_of_rows(monkeypatch) -> None:
    monkeypatch.setattr(batched, "ROWS_PER_RUN", 100)
    rows = {"a": 40, "b": 50, "c": 30, "d": 250, "e": 10}
    assert batched._batches(rows) == [["a", "b"], ["c"], ["d"], ["e"]]  # a date over the bound runs alone
