"""Prefect tasks: thin wrappers that add retries (I/O only), logging and run context to the library code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.validate import ValidationReport, validate_tables
from extractors import SOURCES
from extractors.http import make_session
from extractors.raw_store import RawStore
from opengap.config import Settings
from opengap.errors import FetchError, RawStoreError
from transforms.build import build_snapshot, concat
from warehouse.layout import Layout
from warehouse.publish import PublishResult, commit, quarantine, read_staged, stage_tables


def _is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry the task only for network failures; a refused date or a bad answer will not heal by waiting."""
    try:
        state.result()
    except FetchError:
        return True
    except Exception:  # any other failure is final
        return False
    return False


# The HTTP session already retries each request; these retries cover a source that is down for minutes.
@task(retries=2, retry_delay_seconds=[60, 300], retry_condition_fn=_is_transient, cache_policy=NO_CACHE)
def land_raw(
    source: str, snapshot_date: str, settings: Settings, archive: Path | None, refresh: bool
) -> tuple[Path, str]:
    """Make sure raw files exist for ``source``; return (raw store root, raw date) to parse from.

    Live: download into ``<data>/raw/<source>/<date>/`` (reused on re-runs unless refresh). Offline: the
    archive's newest raw date on or before the snapshot date.
    """
    logger = get_run_logger()
    if archive is not None:
        store = RawStore(archive / "raw")
        raw_date = store.newest_date_on_or_before(source, snapshot_date)
        if raw_date is None:
            raise RawStoreError(f"the archive {archive} has no {source} raw files on or before {snapshot_date}")
        logger.info("%s: replaying archived raw from %s", source, raw_date)
        return store.root, raw_date
    store = RawStore(settings.raw_dir)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    if snapshot_date != today and not store.files(source, snapshot_date):
        # Fetching today's data into a past date's folder would break "only what was knowable on that date".
        raise RawStoreError(
            f"no {source} raw files stored for {snapshot_date} and live sources only serve today's state; "
            "run without --date, or replay an archive with --offline"
        )
    session = make_session(settings.user_agent)
    files = SOURCES[source].fetch(session, store, snapshot_date, refresh=refresh)
    logger.info("%s: %d raw file(s) stored for %s", source, len(files), snapshot_date)
    return store.root, snapshot_date


@task(cache_policy=NO_CACHE)
def parse_source(source: str, raw_root: Path, raw_date: str) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Parse every stored data file of one source (pure: reads only the raw store)."""
    module = SOURCES[source]
    raws = RawStore(raw_root).read_all(source, raw_date)
    data = [r for r in raws if getattr(module, "is_leaderboard_file", lambda m: True)(r.meta)]
    if not data:
        raise RawStoreError(f"no {source} data files in {raw_root / source / raw_date}")
    tables = [module.parse(r.content, r.meta) for r in data]
    get_run_logger().info("%s: parsed %d rows from %d file(s)", source, sum(t.num_rows for t in tables), len(data))
    files = [
        {
            "file": r.meta.file,
            "url": r.meta.url,
            "sha256": r.meta.sha256,
            "bytes": r.meta.size,
            "retrieved_at": r.meta.retrieved_at,
            "raw_path": str(r.path),
            "note": r.meta.note,
        }
        for r in raws
    ]
    return concat(tables), files


@task(cache_policy=NO_CACHE)
def build_tables(parsed: dict[str, pa.Table], snapshot_date: str) -> dict[str, pa.Table]:
    tables = build_snapshot(parsed, dt.date.fromisoformat(snapshot_date))
    get_run_logger().info("built %s", ", ".join(f"{k}={v.num_rows}" for k, v in sorted(tables.items())))
    return tables


@task(cache_policy=NO_CACHE)
def stage(layout: Layout, run_id: str, snapshot_date: str, tables: dict[str, pa.Table]) -> dict[str, dict]:
    return stage_tables(layout, run_id, snapshot_date, tables)


@task(cache_policy=NO_CACHE)
def validate(layout: Layout, run_id: str, staged: dict[str, dict]) -> ValidationReport:
    report = validate_tables(read_staged(layout, run_id, staged), docs_dir=layout.staging(run_id) / "docs")
    logger = get_run_logger()
    logger.info("validation %s", report.summary())
    for failure in report.blocking + report.warnings:
        logger.warning(
            "%s %s.%s: %s (%s)",
            failure.severity,
            failure.table,
            failure.column or "*",
            failure.expectation,
            failure.why,
        )
    return report


@task(cache_policy=NO_CACHE)
def publish(layout: Layout, manifest: dict[str, Any], report: ValidationReport) -> PublishResult:
    if not report.success:
        result = quarantine(layout, manifest)
        get_run_logger().error("snapshot quarantined in %s; latest not moved", result.quarantine_path)
        return result
    result = commit(layout, manifest)
    get_run_logger().info("published %s (latest moved: %s)", result.snapshot_date, result.latest_moved)
    return result
