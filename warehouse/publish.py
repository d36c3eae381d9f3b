"""Atomic snapshot publishing.

Order of a publish, and why a crash at any step leaves readers on the previous snapshot:
1. ``stage_tables`` writes every table under ``staging/<run_id>/`` (nothing published yet).
2. Validation runs on the staged files. A blocking failure moves the whole staging folder to
   ``quarantine/<date>/<run_id>/`` with its report; nothing else changes.
3. ``commit`` replaces each partition's single Parquet file with ``os.replace`` (atomic per file), writes the
   manifest, rebuilds the DuckDB catalog aside and swaps it in, and last moves the ``latest`` pointer.
   The catalog lists only files named by manifests, and the pointer moves last, so until the final renames
   readers see the old state; re-running the date completes the publish.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from extractors.raw_store import sha256_hex
from opengap.errors import PublishError
from warehouse.catalog import build_catalog
from warehouse.layout import Layout
from warehouse.parquet import write_table
from warehouse.schemas import TABLES

PART = "part-0.parquet"


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(payload, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_latest(layout: Layout) -> dict[str, Any] | None:
    if not layout.latest_path.is_file():
        return None
    return json.loads(layout.latest_path.read_text())


@contextmanager
def _flock(path: Path, *, wait_s: float, busy: str) -> Iterator[None]:
    """An exclusive lock on ``path`` (the OS drops it if the process dies); PublishError(busy) after wait_s."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    with open(path, "w") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    raise PublishError(busy) from exc
                time.sleep(0.05)
        try:
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


def date_lock(layout: Layout, snapshot_date: str) -> Any:
    """Held while one date is built and published: two processes never publish the same date at once."""
    return _flock(
        layout.date_lock_path(snapshot_date),
        wait_s=0,
        busy=f"snapshot {snapshot_date} is being published by another opengap process in {layout.root}; "
        "wait for it to finish (or re-run later: finished dates are skipped)",
    )


def stage_tables(layout: Layout, run_id: str, snapshot_date: str, tables: dict[str, pa.Table]) -> dict[str, dict]:
    """Write each table to staging; return what the manifest needs to know about each file."""
    staged = {}
    for name in sorted(tables):
        spec = TABLES[name]
        final = layout.partition(name, snapshot_date) / PART
        path = layout.staging(run_id) / final.relative_to(layout.root)
        write_table(tables[name], path, spec.key)
        content = path.read_bytes()
        staged[name] = {
            "path": str(final.relative_to(layout.root)),
            "rows": tables[name].num_rows,
            "bytes": len(content),
            "sha256": sha256_hex(content),
            "key": list(spec.key),
            "description": spec.description,
        }
    return staged


def read_staged(layout: Layout, run_id: str, staged: dict[str, dict]) -> dict[str, pa.Table]:
    """The staged files read back, so validation checks exactly the bytes that would be published."""
    return {name: pq.read_table(layout.staging(run_id) / info["path"]) for name, info in staged.items()}


@dataclass(frozen=True)
class PublishResult:
    snapshot_date: str
    run_id: str
    published: bool
    latest_moved: bool
    manifest_path: Path | None
    quarantine_path: Path | None


def quarantine(layout: Layout, manifest: dict[str, Any]) -> PublishResult:
    """Keep a failed snapshot, with its validation report, where nobody reads it by accident."""
    date, run_id = manifest["snapshot_date"], manifest["run_id"]
    target = layout.quarantine(date, run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = layout.staging(run_id)
    if staging.exists():
        os.replace(staging, target)
    if (target / "docs" / "index.html").is_file():
        manifest["validation"]["docs_index"] = str((target / "docs" / "index.html").relative_to(layout.root))
    write_json(target / "manifest.json", manifest)
    return PublishResult(date, run_id, False, False, None, target)


def commit(layout: Layout, manifest: dict[str, Any]) -> PublishResult:
    """Move a validated, staged snapshot into the warehouse and then move ``latest`` (see module doc)."""
    date, run_id = manifest["snapshot_date"], manifest["run_id"]
    staging = layout.staging(run_id)
    with publish_lock(layout):
        for info in manifest["tables"].values():
            target = layout.root / info["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / info["path"], target)
        if (staging / "docs").is_dir():
            docs = layout.docs(date)
            if docs.exists():
                shutil.rmtree(docs)
            docs.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / "docs", docs)
            manifest["validation"]["docs_index"] = str((docs / "index.html").relative_to(layout.root))
        write_json(layout.manifest(date), manifest)
        current = read_latest(layout)
        moves = current is None or date >= current["snapshot_date"]
        latest_date = date if moves else current["snapshot_date"]
        build_catalog(layout, latest_date)
        if moves:
            write_json(
                layout.latest_path,
                {
                    "snapshot_date": date,
                    "run_id": run_id,
                    "manifest": str(layout.manifest(date).relative_to(layout.root)),
                },
            )
        shutil.rmtree(staging, ignore_errors=True)
    return PublishResult(date, run_id, True, moves, layout.manifest(date), None)


def load_manifest(layout: Layout, snapshot_date: str | None = None) -> dict[str, Any]:
    """The manifest of ``snapshot_date``, or of the latest snapshot; a clear error when there is none."""
    if snapshot_date is None:
        latest = read_latest(layout)
        if latest is None:
            raise PublishError(f"no snapshot has been published in {layout.root}; run `opengap run` first")
        snapshot_date = latest["snapshot_date"]
    path = layout.manifest(snapshot_date)
    if not path.is_file():
        raise PublishError(f"no published snapshot for {snapshot_date} in {layout.root} (looked for {path})")
    return json.loads(path.read_text())
