"""The backfill flow: one snapshot per date in a range, each built exactly like a nightly one.

Raw history is landed once per run (LMArena's ``full`` split, today's Epoch registry) and every date is cut
from it (see transforms/as_of.py for the as-of rules). Dates run as independent tasks on the flow's task
runner (threads by default, a Dask cluster with ``--task-runner dask``); finished dates are skipped on a
re-run, so a killed backfill resumes where it stopped.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from prefect import flow
from prefect.context import FlowRunContext
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from extractors import registry
from flows.dates import date_range, publication_dates
from flows.snapshot import RawInput, SnapshotOutcome, StagedSnapshot, finish_snapshot
from flows.tasks import land_raw, parse_source, snapshot_for_date, stage_dates, validate_together
from opengap.config import DEFAULT_ARCHIVE, load_settings, snapshot_date
from opengap.errors import OpengapError
from opengap.source import PUBLISHED
from opengap.storage import Storage
from warehouse.layout import Layout
from warehouse.publish import collect_garbage, publish_latest, run_lock

_listeners: list[tuple[Callable[[list[str]], None], Callable[[SnapshotOutcome], None]]] = []


@contextmanager
def on_progress(planned: Callable[[list[str]], None], done: Callable[[SnapshotOutcome], None]) -> Iterator[None]:
    """In this process, call ``planned(dates)`` once the dates are known and ``done(outcome)`` as each date
    finishes (the CLI's progress bar listens here)."""
    _listeners.append((planned, done))
    try:
        yield
    finally:
        _listeners.remove((planned, done))


@dataclass
class BackfillReport:
    published: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)  # date -> quarantine folder
    failed: dict[str, str] = field(default_factory=dict)  # date -> error

    @property
    def ok(self) -> bool:
        return not self.quarantined and not self.failed


# Dates validated together (one Great Expectations run per table over all of them, expectations/batched.py):
# enough to spread GX's per-run cost thin, few enough that the catalog and the progress bar move every few seconds
# and a killed run loses little.
DATES_PER_VALIDATION = 50
DATES_PER_TASK = 5  # dates built by one task run (see flows.tasks.stage_dates)


def _one_date_at_a_time(
    inputs: list[RawInput], dates: list[str], data_dir: str, force: bool
) -> Iterator[tuple[str, SnapshotOutcome]]:
    """Each date built, validated (with its Data Docs) and published by its own task."""
    futures = {
        snapshot_for_date.submit(inputs, day, data_dir, "backfill", force=force, docs=True, update_latest=False): day
        for day in dates
    }
    for future in as_completed(futures):
        day = futures[future]
        try:
            yield day, future.result()
        except Exception as exc:
            yield day, SnapshotOutcome.failed(day, exc)


def _dates_together(
    inputs: list[RawInput], dates: list[str], data_dir: str, force: bool, layout: Layout
) -> Iterator[tuple[str, SnapshotOutcome]]:
    """Every date built and staged by the task runner's workers; each group of dates validated in one run per
    table, then published or quarantined one by one here, and the catalog and ``latest`` refreshed once per
    group (never per date: rebuilding the catalog reads every manifest, which grows with the backfill).
    A group's validation is queued before the next group's dates, so one worker validates while the others
    build."""
    groups = [dates[first : first + DATES_PER_VALIDATION] for first in range(0, len(dates), DATES_PER_VALIDATION)]

    def stage(group: list[str]) -> list[tuple[list[str], Any]]:
        chunks = [group[i : i + DATES_PER_TASK] for i in range(0, len(group), DATES_PER_TASK)]
        return [(c, stage_dates.submit(inputs, c, data_dir, "backfill", force, f"{c[0]}..{c[-1]}")) for c in chunks]

    pending = stage(groups[0]) if groups else []
    for number in range(len(groups)):
        staged: list[StagedSnapshot] = []
        for days, future in pending:
            try:
                results = future.result()
            except Exception as exc:
                results = [SnapshotOutcome.failed(day, exc) for day in days]
            for result in results:
                if isinstance(result, SnapshotOutcome):
                    yield result.snapshot_date, result  # skipped or failed
                else:
                    staged.append(result)
        validation = validate_together.submit(staged, data_dir, f"{staged[0].snapshot_date}..") if staged else None
        pending = stage(groups[number + 1]) if number + 1 < len(groups) else []
        if validation is None:
            continue
        try:
            reports = validation.result()
        except Exception as exc:
            for one in staged:
                yield one.snapshot_date, SnapshotOutcome.failed(one.snapshot_date, exc)
            continue
        for one in staged:
            try:
                yield one.snapshot_date, finish_snapshot(one, reports[one.snapshot_date], data_dir, update_latest=False)
            except Exception as exc:
                yield one.snapshot_date, SnapshotOutcome.failed(one.snapshot_date, exc)
        publish_latest(layout)


@contextmanager
def _shared_folder() -> Iterator[str | None]:
    """Where a history parsed once is written for the worker processes of a local Dask cluster to memory-map
    (``flows.snapshot.share_parsed``); None with threads (one process already shares it) or a remote cluster
    (its workers cannot see this machine's files: each parses its own copy)."""
    runner = FlowRunContext.get().task_runner  # type: ignore[union-attr]
    if isinstance(runner, ThreadPoolTaskRunner) or getattr(runner, "address", None):
        yield None
        return
    folder = tempfile.mkdtemp(prefix="opengap-shared-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _report(outcomes: Iterator[tuple[str, SnapshotOutcome]]) -> BackfillReport:
    """Each date's outcome, as it comes, in the report and told to the listeners."""
    report = BackfillReport()
    for day, outcome in outcomes:
        if outcome.status == "published":
            report.published.append(day)
        elif outcome.status == "skipped":
            report.skipped.append(day)
        elif outcome.status == "quarantined":
            report.quarantined[day] = outcome.quarantine_path or ""
        else:
            report.failed[day] = outcome.detail
        for _, done in list(_listeners):
            done(outcome)
    return report


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """What is alive when the dates start (the imported libraries, the parsed history) lives for the whole run:
    left out of every garbage collection until it ends, which otherwise walks it again and again (10-15% of a
    date's build, measured with and without)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@flow(name="backfill", task_runner=ThreadPoolTaskRunner(max_workers=2))
def backfill(
    start: str,
    end: str,
    sources: list[str] | None = None,
    every: str = "day",
    force: bool = False,
    offline: bool = False,
    raw_archive: str | None = None,
    data_dir: str | None = None,
    docs: bool = False,
) -> BackfillReport:
    """Publish one validated snapshot per date from ``start`` to ``end``. Dates that fail validation are
    quarantined and reported; the others still publish. ``docs`` builds Data Docs for each date."""
    settings = load_settings(data_dir)
    start, end = snapshot_date(start, "start"), snapshot_date(end, "end")
    chosen = registry.check(sources)
    histories = [s for s in chosen if registry.get(s).as_of.kind == PUBLISHED]
    if every == "publish" and not histories:
        raise OpengapError(
            "--every publish follows a leaderboard's publication dates: include one of "
            + ", ".join(s for s in registry.nightly() if registry.get(s).as_of.kind == PUBLISHED)
        )
    dates = publication_dates(start, end) if every == "publish" else date_range(start, end, every)
    layout = Layout(settings.data_dir)
    with run_lock(layout), _shared_folder() as share_in:
        archive = Storage(raw_archive or DEFAULT_ARCHIVE).url if offline else None
        landing = [land_raw.submit(s, None, settings, archive, history=True) for s in chosen]
        inputs = [raw for raw in (f.result() for f in landing) if raw is not None]
        if not inputs:
            raise OpengapError(f"none of the sources {', '.join(chosen)} has raw files to build from")
        parsings = [parse_source.submit(raw, share_in) for raw in inputs]
        inputs, published = [p.result()[0] for p in parsings], [d for p in parsings for d in p.result()[1]]
        if every == "publish":
            dates = publication_dates(start, end, published)
        for planned, _ in list(_listeners):
            planned(dates)
        if docs:  # Data Docs are written per date: each date is validated on its own
            outcomes = _one_date_at_a_time(inputs, dates, settings.data_dir, force)
        else:
            outcomes = _dates_together(inputs, dates, settings.data_dir, force, layout)
        with _frozen_heap():
            report = _report(outcomes)
        publish_latest(layout)  # also after a re-run that only skipped: finishes a publish killed mid-way
        collect_garbage(layout)
        for bucket in (report.published, report.skipped):
            bucket.sort()
    return report
