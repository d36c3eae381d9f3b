"""Atomic snapshot publishing.

Order of a publish, and why a crash at any step leaves readers on the previous snapshot:
1. ``stage_tables`` writes every table under ``staging/<run_id>/`` (nothing published yet).
2. Validation runs on the staged files. A blocking failure moves the whole staging folder to
   ``quarantine/<date>/<run_id>/`` with its report; nothing else changes.
3. ``commit`` moves each table's file to a name of its own (``part-<run_id>.parquet``: a published file is
   never overwritten) and then writes the date's manifest, the one rename that switches the date to the new
   files; ``publish_latest`` then rebuilds the DuckDB catalog aside and swaps it in, and last moves the
   ``latest`` pointer. The catalog lists only files named by manifests, and the pointer moves last, so until
   the final renames readers see the old state, whole; re-running the date completes the publish.
4. ``collect_garbage`` deletes the files no manifest names any more (a re-published date's previous files,
   a crashed run's moved files) once they have been unnamed for ``GRACE_HOURS``, so a reader that opened
   the previous catalog keeps its files meanwhile.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from extractors.raw_store import sha256_hex
from opengap.config import today_utc
from opengap.contracts import TableSpec
from opengap.errors import PublishError
from warehouse.catalog import build_catalog
from warehouse.dictionary import described
from warehouse.layout import Layout
from warehouse.parquet import parquet_bytes, read_parquet_bytes
from warehouse.validation_index import write_validation_index


def read_latest(layout: Layout) -> dict[str, Any] | None:
    if not layout.storage.is_file(layout.latest_path):
        return None
    return layout.storage.read_json(layout.latest_path)


@contextmanager
def _flock(path: Path, *, wait_s: float, busy: str) -> Iterator[None]:
    """An exclusive lock on ``path`` (the OS drops it if the process dies); PublishError(busy) after wait_s."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    with open(path, "a+") as fh:  # not "w": truncating before the lock is ours would erase the holder's pid
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise PublishError(busy) from exc
                time.sleep(0.05)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def publish_lock(layout: Layout, wait_s: float = 120) -> Any:
    """Serialises the short commit step (file renames, manifest, catalog, pointer) between publishers."""
    return _flock(
        layout.lock_path,
        wait_s=wait_s,
        busy=f"another opengap process has been publishing into {layout.root} for {wait_s:.0f} s; "
        "wait for it to finish and re-run",
    )


_runs_held: dict[Path, int] = {}  # run locks this process holds, and how many times it entered each
_runs_guard = threading.Lock()


@contextmanager
def run_lock(layout: Layout) -> Iterator[None]:
    """Held for a whole run (nightly, backfill, catch-up) so a second run on the same data directory fails at
    once, in one line, instead of after minutes of duplicated work. Re-entrant within one process (the CLI
    takes it before starting Prefect, the flow takes it again)."""
    path = layout.local_dir / ".run.lock"
    with _runs_guard:
        first = not _runs_held.get(path)
        _runs_held[path] = _runs_held.get(path, 0) + 1
    try:
        if first:
            holder = path.read_text().strip() if path.is_file() else ""
            busy = (
                f"another opengap run (pid {holder or '?'}) is working in {layout.root}; wait for it to finish, "
                "or use another --data-dir"
            )
        with _flock(path, wait_s=0, busy=busy) if first else nullcontext():
            yield
    finally:
        with _runs_guard:
            _runs_held[path] -= 1


def date_lock(layout: Layout, snapshot_date: str) -> Any:
    """Held while one date is built and published: two processes never publish the same date at once."""
    return _flock(
        layout.date_lock_path(snapshot_date),
        wait_s=0,
        busy=f"snapshot {snapshot_date} is being published by another opengap process in {layout.root}; "
        "wait for it to finish (or re-run later: finished dates are skipped)",
    )


def stage_tables(
    layout: Layout, run_id: str, snapshot_date: str, tables: dict[str, pa.Table], specs: dict[str, TableSpec]
) -> dict[str, dict]:
    """Write each table to staging; return what the manifest needs to know about each file."""
    staged = {}
    for name in sorted(tables):
        spec = specs[name]
        relative = layout.partition(name, snapshot_date, run_id)
        content = parquet_bytes(described(tables[name], name), spec.key)  # descriptions in the field metadata
        layout.storage.write_bytes(f"{layout.staging(run_id)}/{relative}", content)
        staged[name] = {
            "path": relative,
            "rows": tables[name].num_rows,
            "bytes": len(content),
            "sha256": sha256_hex(content),
            "key": list(spec.key),
            "description": spec.description,
        }
    return staged


def read_staged(layout: Layout, run_id: str, staged: dict[str, dict]) -> dict[str, pa.Table]:
    """The staged files read back, so validation checks exactly the bytes that would be published."""
    return {name: read_staged_table(layout, run_id, info) for name, info in staged.items()}


def read_staged_table(layout: Layout, run_id: str, info: dict) -> pa.Table:
    """One staged file (``info``: its entry in the manifest's tables) read back."""
    return read_parquet_bytes(layout.storage.read_bytes(f"{layout.staging(run_id)}/{info['path']}"))


@dataclass(frozen=True)
class PublishResult:
    snapshot_date: str
    run_id: str
    published: bool
    latest_moved: bool
    manifest_path: str | None
    quarantine_path: str | None


def quarantine(layout: Layout, manifest: dict[str, Any]) -> PublishResult:
    """Keep a failed snapshot, with its validation report, where nobody reads it by accident."""
    date, run_id = manifest["snapshot_date"], manifest["run_id"]
    storage, target = layout.storage, layout.quarantine(date, run_id)
    if storage.exists(layout.staging(run_id)):
        storage.move(layout.staging(run_id), target)
    if storage.is_file(f"{target}/docs/index.html"):
        manifest["validation"]["docs_index"] = storage.relative(f"{target}/docs/index.html")
    storage.write_json(f"{target}/manifest.json", manifest)
    return PublishResult(date, run_id, False, False, None, storage.uri(target))


def commit(layout: Layout, manifest: dict[str, Any], *, update_latest: bool = True) -> PublishResult:
    """Move a validated, staged snapshot into the warehouse and write its manifest; then, unless the caller
    updates them later itself (a distributed backfill does it in the flow), rebuild the catalog and move
    ``latest`` (see module doc)."""
    date, run_id = manifest["snapshot_date"], manifest["run_id"]
    storage, staging = layout.storage, layout.staging(run_id)
    for info in manifest["tables"].values():
        storage.move(f"{staging}/{info['path']}", layout.path(info["path"]))
    if storage.is_dir(f"{staging}/docs"):
        storage.remove(layout.docs(date))
        storage.move(f"{staging}/docs", layout.docs(date))
        manifest["validation"]["docs_index"] = storage.relative(f"{layout.docs(date)}/index.html")
    if storage.is_dir(f"{staging}/exports"):  # the marts as CSV (warehouse/exports.py)
        storage.remove(layout.path(f"exports/{date}"))
        storage.move(f"{staging}/exports", layout.path(f"exports/{date}"))
    storage.write_json(layout.manifest(date), manifest)
    storage.remove(staging)
    moved = publish_latest(layout) == date if update_latest else False
    return PublishResult(date, run_id, True, moved, storage.uri(layout.manifest(date)), None)


def published_manifests(layout: Layout) -> list[dict[str, Any]]:
    names = [n for n in layout.storage.names(layout.manifests_dir) if n.endswith(".json")]
    return [layout.storage.read_json(f"{layout.manifests_dir}/{n}") for n in names]


def publish_latest(layout: Layout) -> str | None:
    """Rebuild the catalog from every manifest, then point ``latest`` at the newest snapshot. Returns the
    date ``latest`` moved to, or None when it did not move."""
    with publish_lock(layout):
        manifests = published_manifests(layout)
        # A manifest dated after today (published by an older version that let a future --date through) is
        # never `latest`: latest is the newest snapshot on or before today.
        current_or_past = [m for m in manifests if m["snapshot_date"] <= today_utc()]
        if not current_or_past:
            return None
        newest = max(current_or_past, key=lambda m: m["snapshot_date"])
        build_catalog(layout, manifests, newest["snapshot_date"])
        write_validation_index(layout, manifests, newest["snapshot_date"])
        current = read_latest(layout)
        if (
            current is not None
            and current["snapshot_date"] == newest["snapshot_date"]
            and (current["run_id"] == newest["run_id"])
        ):
            return None
        layout.storage.write_json(
            layout.latest_path,
            {
                "snapshot_date": newest["snapshot_date"],
                "run_id": newest["run_id"],
                "manifest": layout.storage.relative(layout.manifest(newest["snapshot_date"])),
            },
        )
        return newest["snapshot_date"]


GRACE_HOURS = 24.0


def collect_garbage(layout: Layout, grace_hours: float = GRACE_HOURS, now: dt.datetime | None = None) -> list[str]:
    """Delete warehouse files that no manifest names, once they have been unnamed for ``grace_hours``.

    A file's "unnamed since" is the later of its own modification time (a run still between moving its files
    and writing its manifest has fresh files) and the creation of its date's current manifest (which
    superseded it). Returns the relative paths deleted."""
    now = now or dt.datetime.now(dt.UTC)
    storage = layout.storage
    manifests = published_manifests(layout)
    named = {info["path"] for m in manifests for info in m["tables"].values()}
    superseded_at = {m["snapshot_date"]: dt.datetime.fromisoformat(m["created_at"]) for m in manifests}
    deleted = []
    for table in storage.names(layout.warehouse_dir):
        for partition in storage.names(f"{layout.warehouse_dir}/{table}"):
            for name in storage.names(f"{layout.warehouse_dir}/{table}/{partition}"):
                relative = f"warehouse/{table}/{partition}/{name}"
                if relative in named:
                    continue
                since = storage.modified(layout.path(relative))
                if (manifest_time := superseded_at.get(partition.removeprefix("snapshot_date="))) is not None:
                    since = max(since, manifest_time)
                if now - since >= dt.timedelta(hours=grace_hours):
                    storage.remove(layout.path(relative))
                    deleted.append(relative)
    return deleted


def load_manifest(layout: Layout, snapshot_date: str | None = None) -> dict[str, Any]:
    """The manifest of ``snapshot_date``, or of the latest snapshot; a clear error when there is none."""
    if snapshot_date is None:
        latest = read_latest(layout)
        if latest is None:
            raise PublishError(f"no snapshot has been published in {layout.root}; run `opengap run` first")
        snapshot_date = latest["snapshot_date"]
    path = layout.manifest(snapshot_date)
    if not layout.storage.is_file(path):
        raise PublishError(f"no published snapshot for {snapshot_date} in {layout.root} (looked for {path})")
    return layout.storage.read_json(path)


def previous_snapshot_date(layout: Layout, snapshot_date: str, *, inclusive: bool) -> str | None:
    """The newest published snapshot before ``snapshot_date`` (or on it, ``inclusive``: a re-publish of the date
    compares with its earlier run); None when there is none."""
    dates = [n.removesuffix(".json") for n in layout.storage.names(layout.manifests_dir) if n.endswith(".json")]
    return max((d for d in dates if d < snapshot_date or (inclusive and d == snapshot_date)), default=None)


def read_published_table(layout: Layout, info: dict[str, Any]) -> pa.Table:
    """A published table's file, from its manifest entry (``tables.<name>``)."""
    return read_parquet_bytes(layout.storage.read_bytes(layout.path(info["path"])))
