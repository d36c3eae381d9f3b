"""Great Expectations over many snapshot dates at once, the way a warehouse runs it: each table is validated
once over its rows of every date stacked (with the date in a column), and the results are mapped back to each
date, so a failing date is still quarantined alone.

GX's cost is per expectation run, not per row (a suite costs about the same on 10 rows as on 10,000), so one
run over 250 dates costs a little more than one date, not 250 times as much. The suites stay the one definition
of each check; the stacked run only finds, per expectation, the dates that *may* fail:

- a row-wise expectation (values in a set, between bounds, not null, matching a pattern, a > b; with or
  without a row condition) is run as written; GX names the date of each unexpected row. A date with none
  passes it; a date with some is a suspect. With ``mostly``, a twin run names each date's non-null rows in the
  same domain, and a date is a suspect only when its share of unexpected rows fails ``mostly`` (GX's rule:
  ``_mostly_success``): the text top-50 coverage check finds a few unknown tiers on most dates, and re-checking
  each such date alone cost more than validating all of them together;
- a key's uniqueness is run with the date added to the key: duplicates within a date make it a suspect;
- a row count is run as bounds on a column of per-date row counts;
- anything else (a distinct-value set, a new kind) makes every date a suspect.

Each suspect date is then validated alone against exactly its suspect expectations, by the suite's own
expectation on that date's rows: its failures (observed value, counts, examples) are those the per-date run
gives, which a test checks on the same dates both ways.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from expectations.validate import BLOCKING, Runner, ValidationReport, failures_of, load_suite, runner

DATE = "__snapshot_date__"  # a column no published table has
ROW_WISE = {
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_null",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_match_regex",
    "expect_column_pair_values_a_to_be_greater_than_b",
}
ROW_COUNT = "expect_table_row_count_to_be_between"
POSITION = "opengap_position"
TWIN = "opengap_non_null_twin"
# Stacked rows per GX run: fewer, larger runs cost less (GX spends ~0.4 s per run on metric graphs; 50 dates of
# 24,000 rows took 6.6 s in runs of 250,000 rows, 5.7 s in runs of 600,000, 4.8 s in one run), but a run holds
# its frames, their stacked categorical copy and GX's masks: on 20 dates of 48,000 rows, runs of 500,000 rows
# added 1.2 GB at their peak (9.5 s), runs of 250,000 rows 0.5 GB (12.6 s). Memory is the bound that matters here.
ROWS_PER_RUN = 250_000
# Every unexpected row with its date (not GX's sample of 20), and no pandas index query string.
FIND_DATES = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [DATE],
    "return_unexpected_index_query": False,
}


def _stacked_form(expectation: dict[str, Any]) -> dict[str, Any] | None:
    """The expectation as run over the stacked dates (None: it is run per date)."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    if kind in ROW_WISE:
        return expectation
    if kind == "expect_column_values_to_be_unique":
        return {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": [kwargs["column"], DATE]}}
    if kind == "expect_compound_columns_to_be_unique":
        return {"type": kind, "kwargs": {**kwargs, "column_list": [*kwargs["column_list"], DATE]}}
    if kind == ROW_COUNT:
        bounds = {k: kwargs.get(k) for k in ("min_value", "max_value")}
        return {"type": "expect_column_values_to_be_between", "kwargs": {"column": "rows", **bounds}}
    return None


def _stacked(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The dates' rows one under the other, with their date. Text columns become categorical: GX's pandas engine
    costs per row, and over repeated strings (boards, tiers, licences) its set, null and pattern checks run on the
    codes, three times faster on 50 dates of LMArena rows. Only the suspects are read from this run: each is
    re-checked on its date's own rows."""
    stacked = pd.concat([f.assign(**{DATE: d}) for d, f in frames.items()], ignore_index=True)
    text = [c for c in stacked.columns if pd.api.types.is_string_dtype(stacked[c])]
    return stacked.astype(dict.fromkeys(text, "category"))


def _non_null_twin(expectation: dict[str, Any]) -> dict[str, Any]:
    """An expectation whose unexpected rows are the non-null values of ``expectation``'s column in its domain
    (its row condition): per date, the count GX weighs ``mostly`` against."""
    domain = {k: v for k, v in expectation["kwargs"].items() if k in ("column", "row_condition", "condition_parser")}
    return {"type": "expect_column_values_to_be_null", "kwargs": domain}


def _fails_mostly(non_null: int, unexpected: int, mostly: float) -> bool:
    """GX's verdict for a ``mostly`` expectation (great_expectations.expectations.expectation._mostly_success)."""
    return non_null > 0 and (float(non_null) - float(unexpected)) / float(non_null) < mostly


def _suspects(
    expectations: list[dict[str, Any]], frames: dict[str, pd.DataFrame], runner: Runner
) -> dict[str, list[int]]:
    """Per date, the positions of the expectations it may fail (see the module's docstring)."""
    dates = list(frames)
    found: dict[str, set[int]] = defaultdict(set)
    stacked_rows = [(i, f) for i, e in enumerate(expectations) if (f := _stacked_form(e)) and e["type"] != ROW_COUNT]
    twins = [(i, _non_null_twin(f)) for i, f in stacked_rows if "mostly" in f["kwargs"]]
    counted = [(i, _stacked_form(e)) for i, e in enumerate(expectations) if e["type"] == ROW_COUNT]
    for i, e in enumerate(expectations):
        if _stacked_form(e) is None:
            for day in dates:
                found[day].add(i)
    runs = [
        (stacked_rows, twins, lambda: _stacked(frames)),
        (counted, [], lambda: pd.DataFrame({DATE: dates, "rows": [len(frames[d]) for d in dates]})),
    ]
    unexpected: dict[tuple[int, bool], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for batch, batch_twins, make_frame in runs:
        if not batch:
            continue
        # Tagged with their position in the suite (GX does not return results in suite order), twins as such.
        tagged = [
            {**f, "meta": {**f.get("meta", {}), POSITION: i, TWIN: twin}}
            for twin, pairs in ((False, batch), (True, batch_twins))
            for i, f in pairs
        ]
        for res in runner.run(tagged, make_frame(), FIND_DATES):
            i, twin = res.expectation_config.meta[POSITION], res.expectation_config.meta[TWIN]
            if res.exception_info and res.exception_info.get("raised_exception"):
                found.update({day: found[day] | {i} for day in dates})
                continue
            for row in res.result.get("unexpected_index_list") or []:
                unexpected[i, twin][row[DATE]] += 1
    for i, f in stacked_rows + counted:
        mostly = f["kwargs"].get("mostly")
        for day, count in unexpected[i, False].items():
            if mostly is None or _fails_mostly(unexpected[i, True][day], count, mostly):
                found[day].add(i)
    return {day: sorted(found[day]) for day in dates if found[day]}


def _batches(rows: dict[str, int]) -> list[list[str]]:
    """The dates in runs of at most ``ROWS_PER_RUN`` stacked rows (a date larger than that runs alone)."""
    batches: list[list[str]] = [[]]
    total = 0
    for day, n in rows.items():
        if batches[-1] and total + n > ROWS_PER_RUN:
            batches.append([])
            total = 0
        batches[-1].append(day)
        total += n
    return batches


@dataclass(frozen=True)
class StagedTable:
    """A table not read yet: its row count (to plan the runs) and how to read it, so only one run's dates of one
    table are in memory at a time (50 dates of the 12M-row benchmark's boards are 2.4M rows)."""

    rows: int
    read: Callable[[], pa.Table]


def validate_dates(tables_by_date: Mapping[str, Mapping[str, pa.Table | StagedTable]]) -> dict[str, ValidationReport]:
    """Each date's validation report, as ``validate_tables`` gives it for that date's tables alone (without Data
    Docs or extra expectations: a backfill has neither), from one stacked run per table."""
    checker = runner()
    reports = {day: ValidationReport(success=True) for day in tables_by_date}
    staged = {
        day: {n: t if isinstance(t, StagedTable) else StagedTable(t.num_rows, lambda t=t: t) for n, t in tables.items()}
        for day, tables in tables_by_date.items()
    }
    for name in sorted({name for tables in staged.values() for name in tables}):
        expectations = load_suite(name)["expectations"]
        for days in _batches({day: tables[name].rows for day, tables in staged.items() if name in tables}):
            frames = {day: staged[day][name].read().to_pandas() for day in days}
            suspects = _suspects(expectations, frames, checker)
            for day in frames:
                failures = []
                if positions := suspects.get(day):
                    chosen = [expectations[i] for i in positions]
                    failures = failures_of(name, checker.run(chosen, frames[day], {"result_format": "BASIC"}))
                for failure in failures:
                    (reports[day].blocking if failure.severity == BLOCKING else reports[day].warnings).append(failure)
                reports[day].tables[name] = {"evaluated": len(expectations), "failed": len(failures)}
    for report in reports.values():
        report.success = not report.blocking
    return reports
