"""The nightly flow: land raw → parse → one snapshot (build, stage, validate, publish or quarantine)."""

from __future__ import annotations

from prefect import flow

from extractors import registry
from extractors.raw_store import RawStore
from flows.snapshot import SnapshotOutcome
from flows.tasks import land_raw, parse_source, snapshot_for_date
from opengap.config import DEFAULT_ARCHIVE, load_settings, today_utc
from opengap.config import snapshot_date as check_date
from opengap.errors import OpengapError, ValidationFailed
from opengap.storage import Storage
from warehouse.layout import Layout
from warehouse.publish import collect_garbage, run_lock
from warehouse.report import write_report


def newest_archive_date(archive: str, sources: list[str]) -> str:
    """Offline default snapshot date: the newest raw date any selected source has in the archive."""
    store = RawStore(Storage(archive).url_of("raw"))
    dates = [d for s in sources for d in store.dates(s)]
    if not dates:
        raise OpengapError(f"the raw archive {archive} holds no raw files for {', '.join(sources)}")
    return max(dates)


@flow(name="nightly")
def nightly(
    snapshot_date: str | None = None,
    sources: list[str] | None = None,
    offline: bool = False,
    raw_archive: str | None = None,
    refresh: bool = False,
    data_dir: str | None = None,
    docs: bool = True,
    allow_row_drop: list[str] | None = None,
) -> SnapshotOutcome:
    """Build, validate and publish the snapshot for ``snapshot_date`` (default: today UTC, or offline the
    archive's newest date), with its Data Docs unless ``docs`` is False. Raises ValidationFailed when a
    blocking expectation fails (after quarantining). ``allow_row_drop`` names tables whose rows may fall more
    than their contract allows against the previous snapshot (a known upstream change)."""
    settings = load_settings(data_dir)
    chosen = registry.check(sources)
    archive = Storage(raw_archive or DEFAULT_ARCHIVE).url if offline else None
    if snapshot_date is None:
        snapshot_date = newest_archive_date(archive, chosen) if archive else today_utc()
    snapshot_date = check_date(snapshot_date, "snapshot_date")

    with run_lock(Layout(settings.data_dir)):
        # Sources are independent: land and parse them concurrently on the flow's task runner.
        landing = [land_raw.submit(s, snapshot_date, settings, archive, refresh) for s in chosen]
        inputs = [raw for raw in (f.result() for f in landing) if raw is not None]
        if not inputs:
            raise OpengapError(f"none of the sources {', '.join(chosen)} has raw files to build from")
        inputs = [parsing.result()[0] for parsing in [parse_source.submit(raw) for raw in inputs]]
        outcome = snapshot_for_date(
            inputs,
            snapshot_date,
            settings.data_dir,
            "replay" if offline else "nightly",
            force=True,
            docs=docs,
            allow_row_drop=tuple(allow_row_drop or ()),
        )
        if outcome.published:  # the report people look at, which its manifest names
            write_report(Layout(settings.data_dir), snapshot_date)
        collect_garbage(Layout(settings.data_dir))
    if outcome.status == "quarantined":
        raise ValidationFailed(
            f"snapshot {snapshot_date} failed validation ({outcome.detail}); quarantined in "
            f"{outcome.quarantine_path}; `latest` still points to the previous snapshot"
        )
    return outcome
