"""Prefect tasks: thin wrappers that add retries (I/O only), logging and run context to the library code."""

from __future__ import annotations

import os
from functools import partial
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.batched import StagedTable, validate_dates
from expectations.validate import ValidationReport
from extractors import registry
from extractors.http import make_session
from extractors.raw_store import RawStore, utc_now_iso
from flows.runtime import give_back_memory
from flows.snapshot import (
    RawInput,
    SnapshotOutcome,
    StagedSnapshot,
    load_parsed,
    make_snapshot,
    parse_reports,
    share_parsed,
    stage_snapshots,
)
from opengap.config import Settings, today_utc
from opengap.errors import RawStoreError, TransientFetchError
from opengap.storage import Storage
from transforms.as_of import LeaderboardHistory
from warehouse.layout import Layout
from warehouse.publish import read_staged_table


def _is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry the task only for fetch failures that waiting may heal (timeouts, 5xx, 429, short bodies). A 404,
    the size cap, an HTML page instead of data or a refused date fail at once: a retry would only repeat them."""
    try:
        state.result()
    except TransientFetchError:
        return True
    except Exception:  # any other failure is final
        return False
    return False


# The HTTP session already retries each request; these retries cover a source that is down for minutes.
@task(retries=2, retry_delay_seconds=[60, 300], retry_condition_fn=_is_transient, cache_policy=NO_CACHE)
def land_raw(
    source: str,
    snapshot_date: str | None,
    settings: Settings,
    archive: str | None,
    refresh: bool = False,
    history: bool = False,
) -> RawInput | None:
    """Make sure raw files exist for ``source`` and say where they are (None: the source is skipped).

    Live: download into ``<data>/raw/<source>/<date>/`` (reused on re-runs unless refresh); ``history`` asks
    for the source's full history (LMArena's ``full`` split) and stores it under today's date. Offline: the
    archive's newest raw date on or before ``snapshot_date`` (any date when it is None, as a backfill does).
    """
    logger = get_run_logger()
    if archive is not None:
        store = RawStore(Storage(archive).url_of("raw"))
        raw_date = store.newest_date_on_or_before(source, snapshot_date or "9999-12-31")
        if raw_date is None:
            logger.warning(
                "%s: skipped, the archive %s has no raw files on or before %s", source, archive, snapshot_date
            )
            return None
        logger.info("%s: replaying archived raw from %s", source, raw_date)
        return RawInput(source, str(store.root), raw_date)
    store = RawStore(settings.raw_dir)
    declared = registry.get(source)
    if declared.static and store.dates(source) and not refresh:
        # A retired source never changes: reuse the copy stored on the first run.
        return RawInput(source, store.root, store.dates(source)[-1])
    raw_date = snapshot_date or today_utc()
    if raw_date != today_utc() and not store.files(source, raw_date):
        # Fetching today's data into a past date's folder would break "only what was knowable on that date".
        raise RawStoreError(
            f"no {source} raw files stored for {raw_date} and live sources only serve today's state; "
            "run without --date, backfill past dates, or replay an archive with --offline"
        )
    if declared.needs and not os.environ.get(declared.needs, "").strip():
        logger.warning("%s: skipped: set %s to fetch it (see the README's configuration table)", source, declared.needs)
        return None
    session = make_session(settings.user_agent, max_per_second=declared.max_per_second)
    started = utc_now_iso()
    try:
        files = declared.fetch(session, store, raw_date, refresh=refresh, history=history)
    finally:  # a fetch that fails half-way still spent its requests
        store.log_fetch(
            source,
            raw_date,
            {"started_at": started, "requests": session.requests_sent, "budget": declared.request_budget},
        )
    logger.info(
        "%s: %d raw file(s) stored for %s with %d request(s)", source, len(files), raw_date, session.requests_sent
    )
    return RawInput(source, str(store.root), raw_date)


@task(cache_policy=NO_CACHE)
def parse_source(raw: RawInput, share_in: str | None = None) -> tuple[RawInput, list[str]]:
    """Parse one source's stored raw files (pure; the result is cached in the process that runs the snapshot
    tasks). Returns where the snapshot tasks find the parsed rows and the leaderboard publication dates found,
    so the flow never has to parse them itself. ``share_in``: a folder where a history is written once for
    worker processes to share (``flows.snapshot.share_parsed``), when the tasks run in several processes."""
    if share_in is not None:
        raw = share_parsed(raw, share_in)
    files = raw.files()
    parsed = load_parsed(raw, files)
    logger = get_run_logger()
    logger.info("%s: parsed %d rows from %s", raw.source, len(parsed), raw.raw_date)
    for file, report in parse_reports(raw, files).items():
        if "drift" in report:
            logger.warning("%s file %s: column drift %s (in the manifest)", raw.source, file, report["drift"])
        if "parse_notes" in report:
            logger.info("%s file %s: %s (in the manifest)", raw.source, file, report["parse_notes"])
    return raw, [d.isoformat() for d in parsed.publish_dates()] if isinstance(parsed, LeaderboardHistory) else []


@task(cache_policy=NO_CACHE, task_run_name="snapshot-{snapshot_date}")
def snapshot_for_date(
    inputs: list[RawInput],
    snapshot_date: str,
    data_dir: str,
    mode: str,
    force: bool,
    docs: bool,
    update_latest: bool = True,
    allow_row_drop: tuple[str, ...] = (),
) -> SnapshotOutcome:
    """Build, validate and publish (or quarantine, or skip) one snapshot date."""
    outcome = make_snapshot(
        inputs,
        snapshot_date,
        data_dir,
        mode,
        force=force,
        docs=docs,
        update_latest=update_latest,
        allow_row_drop=allow_row_drop,
    )
    logger = get_run_logger()
    if outcome.status == "quarantined":
        logger.error(
            "%s quarantined in %s (%s); latest not moved", snapshot_date, outcome.quarantine_path, outcome.detail
        )
    else:
        logger.info("%s %s (%s)", snapshot_date, outcome.status, outcome.detail)
    return outcome


@task(cache_policy=NO_CACHE, task_run_name="stage-{label}")
def stage_dates(
    inputs: list[RawInput], dates: list[str], data_dir: str, mode: str, force: bool, label: str
) -> list[StagedSnapshot | SnapshotOutcome]:
    """Build and stage a few snapshot dates together (``stage_snapshots``; validated later with others:
    ``validate_together``); a date that raises is a "failed" outcome, the others still stage. A few dates per
    task, not one: Prefect's own cost per task run (its API calls, state changes) was as large as building a
    date, and the steps of a build whose cost is per call are paid once for all the task's dates."""
    try:
        results = stage_snapshots(inputs, dates, data_dir, mode, force=force)
    except Exception as exc:  # the inputs themselves failed (unreadable raw): every date fails alike
        results = dict.fromkeys(dates, exc)
    finally:
        give_back_memory()
    staged: list[StagedSnapshot | SnapshotOutcome] = []
    for day, result in results.items():
        if isinstance(result, Exception):
            get_run_logger().error("%s failed: %s: %s", day, result.__class__.__name__, result)
            result = SnapshotOutcome.failed(day, result)
        staged.append(result)
    return staged


@task(cache_policy=NO_CACHE, task_run_name="validate-{label}")
def validate_together(staged: list[StagedSnapshot], data_dir: str, label: str) -> dict[str, ValidationReport]:
    """Validate the staged dates' tables with one Great Expectations run per table (expectations/batched.py)."""
    layout = Layout(data_dir)
    try:
        return validate_dates(
            {
                s.snapshot_date: {
                    name: StagedTable(info["rows"], partial(read_staged_table, layout, s.run_id, info))
                    for name, info in s.manifest["tables"].items()
                }
                for s in staged
            }
        )
    finally:
        give_back_memory()
