"""The nightly flow: land raw → parse → build tables → stage → validate → publish (or quarantine)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from prefect import flow

from extractors import SOURCES
from extractors.raw_store import RawStore, utc_now_iso
from flows.tasks import build_tables, land_raw, parse_source, publish, stage, validate
from opengap.config import code_version, load_settings
from opengap.errors import OpengapError, ValidationFailed
from transforms import openness
from warehouse.layout import Layout
from warehouse.publish import PublishResult
from warehouse.schemas import SCHEMA_VERSION

AS_OF = {
    "lmarena": "newest leaderboard per board and category published on or before the snapshot date",
    "epoch": "registry file as retrieved on the raw date (current state of the registry)",
}


def newest_archive_date(archive: Path, sources: list[str]) -> str:
    """Offline default snapshot date: the newest raw date any selected source has in the archive."""
    store = RawStore(archive / "raw")
    dates = [d for s in sources for d in store.dates(s)]
    if not dates:
        raise OpengapError(f"the raw archive {archive} holds no raw files for {', '.join(sources)}")
    return max(dates)


def _as_of(tables: dict[str, Any]) -> dict[str, Any]:
    gap = tables.get("open_closed_gap")
    dates = {}
    if gap is not None:
        for row in gap.select(["board", "leaderboard_publish_date"]).to_pylist():
            dates[row["board"]] = str(row["leaderboard_publish_date"])
    return {"leaderboard_publish_dates": dates}


@flow(name="nightly")
def nightly(
    snapshot_date: str | None = None,
    sources: list[str] | None = None,
    offline: bool = False,
    raw_archive: str | None = None,
    refresh: bool = False,
    data_dir: str | None = None,
) -> PublishResult:
    """Build, validate and publish the snapshot for ``snapshot_date`` (default: today UTC, or offline the
    archive's newest date). Raises ValidationFailed when a blocking expectation fails (after quarantining)."""
    from opengap.config import DEFAULT_ARCHIVE

    settings = load_settings(data_dir)
    layout = Layout(settings.data_dir)
    chosen = list(sources or SOURCES)
    unknown = sorted(set(chosen) - set(SOURCES))
    if unknown:
        raise OpengapError(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    archive = Path(raw_archive or DEFAULT_ARCHIVE).resolve() if offline else None
    if snapshot_date is None:
        snapshot_date = newest_archive_date(archive, chosen) if archive else dt.datetime.now(dt.UTC).date().isoformat()
    dt.date.fromisoformat(snapshot_date)  # fail early on a malformed date
    run_id = f"{snapshot_date}-{uuid.uuid4().hex[:8]}"

    # Sources are independent: land and parse them concurrently on the flow's task runner.
    landing = {s: land_raw.submit(s, snapshot_date, settings, archive, refresh) for s in chosen}
    parsing = {s: parse_source.submit(s, *landing[s].result()) for s in chosen}
    landed = {s: landing[s].result() for s in chosen}
    parsed, files = {}, {}
    for source in chosen:
        parsed[source], files[source] = parsing[source].result()
    tables = build_tables(parsed, snapshot_date)
    staged = stage(layout, run_id, snapshot_date, tables)
    report = validate(layout, run_id, staged)
    manifest = {
        "snapshot_date": snapshot_date,
        "run_id": run_id,
        "mode": "replay" if offline else "nightly",
        "created_at": utc_now_iso(),
        "code_version": code_version(),
        "schema_version": SCHEMA_VERSION,
        "openness_rule_version": openness.rule_version(),
        "tables": staged,
        "sources": {
            s: {
                "homepage": SOURCES[s].HOMEPAGE,
                "license": SOURCES[s].LICENSE,
                "raw_date": landed[s][1],
                "as_of": AS_OF[s],
                "files": files[s],
            }
            for s in chosen
        },
        "as_of": _as_of(tables),
        "validation": report.to_dict(),
    }
    result = publish(layout, manifest, report)
    if not result.published:
        raise ValidationFailed(
            f"snapshot {snapshot_date} failed validation ({report.summary()}); quarantined in "
            f"{result.quarantine_path}; `latest` still points to the previous snapshot"
        )
    return result
