"""One snapshot date, end to end: cut the parsed sources to the date, build, stage, validate, publish.

The nightly flow calls this once, a backfill once per date. Parsed sources are cached per process, keyed by
the raw files' checksums, so a backfill parses the LMArena ``full`` split once; the workers of a local Dask cluster
memory-map one Arrow copy of it (``share_parsed``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from expectations.generated import decreases, row_count_change
from expectations.validate import ValidationReport, validate_tables
from extractors import registry
from extractors.base import drift_of, key_codes, notes_of
from extractors.raw_store import RawStore, utc_now_iso
from flows.runtime import docs_folder_prefix
from opengap.config import code_version
from opengap.contracts import TableSpec
from opengap.errors import RawStoreError
from opengap.source import PUBLISHED, Source
from transforms import as_of, changes, openness
from transforms.as_of import Indexed
from transforms.build import build_snapshot, build_snapshots, concat_parsed
from transforms.tables import CHANGES, SCHEMA_VERSION, table_specs
from warehouse.exports import stage_exports
from warehouse.layout import Layout
from warehouse.publish import (
    commit,
    date_lock,
    previous_snapshot_date,
    quarantine,
    read_published_table,
    read_staged,
    stage_tables,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawInput:
    """Where one source's raw files for a run are: a raw store root and a raw date folder."""

    source: str
    root: str
    raw_date: str
    # An Arrow IPC file holding the parsed history, written once by ``share_parsed`` for every worker process to
    # memory-map (the pages are shared) instead of each parsing the raw files itself.
    shared: str | None = None

    def files(self) -> list[dict[str, Any]]:
        """The metadata of each stored file (no body is read)."""
        store = RawStore(self.root)
        folders = raw_folders(registry.get(self.source), store, self.raw_date)
        metas = [asdict(store.read_meta(self.source, d, name)) for d in folders for name in store.files(self.source, d)]
        return [
            {k: m.get(k) for k in ("file", "url", "sha256", "size", "retrieved_at", "note", "params")} for m in metas
        ]


@dataclass
class SnapshotOutcome:
    snapshot_date: str
    status: str  # published | quarantined | skipped
    run_id: str | None = None
    detail: str = ""
    latest_moved: bool = False
    quarantine_path: str | None = None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def published(self) -> bool:
        return self.status == "published"

    @classmethod
    def failed(cls, snapshot_date: str, exc: Exception) -> SnapshotOutcome:
        """A date that raised: reported at the end of a backfill, which goes on with its other dates."""
        return cls(snapshot_date, "failed", detail=f"{exc.__class__.__name__}: {exc}")


def raw_folders(declared: Source, store: RawStore, raw_date: str) -> list[str]:
    """The raw folders a snapshot reads: ``raw_date``'s, or for a source whose folders each hold only what was new
    that day (``Source.accumulates``) every folder up to ``raw_date``, oldest first."""
    return [d for d in store.dates(declared.name) if d <= raw_date] if declared.accumulates else [raw_date]


@lru_cache(maxsize=8)
def _parsed(source: str, root: str, raw_date: str, checksums: tuple[str, ...]) -> tuple[Indexed, dict[str, Any]]:
    declared = registry.get(source)
    store = RawStore(root)
    raws = [r for d in raw_folders(declared, store, raw_date) for r in store.read_all(source, d)]
    raws = [r for r in raws if declared.data_file(r.meta)]
    if not raws:
        raise RawStoreError(f"no {source} data files in {root}/{source}/{raw_date}")
    history = _is_history(declared)
    parse = declared.parse_compact if history else declared.parse
    metas = [r.meta for r in raws]
    tables = [parse(raws.pop(0).content, meta) for meta in metas]  # each file's bytes released once parsed
    reports: dict[str, dict[str, Any]] = {}
    for meta, table in zip(metas, tables, strict=True):
        report = {"drift": drift_of(table), "parse_notes": notes_of(table)}
        if report := {kind: found for kind, found in report.items() if found}:
            reports[meta.file] = report
    if declared.combine is not None:
        rows = declared.combine([(m, t.replace_schema_metadata(None)) for m, t in zip(metas, tables, strict=True)])
    else:
        rows = concat_parsed(tables)
    rows = rows if history else rows.to_pandas()
    if declared.table is not None and (len(tables) > 1 or not history):  # a history file repeats no key itself
        # A row two files give (a renamed repo listed under its new id and asked for by its old one, a Hub child
        # seen again the next day) is kept once: from the first file, in file order.
        key = list(declared.table.key)
        repeated = (key_codes(rows, key) if history else rows[key]).duplicated().to_numpy()
        if repeated.any():
            file_of = np.repeat([m.file for m in metas], [t.num_rows for t in tables])
            for file, count in zip(*np.unique(file_of[repeated], return_counts=True), strict=True):
                notes = reports.setdefault(str(file), {}).setdefault("parse_notes", {})
                notes["rows_given_by_an_earlier_file"] = int(count)
            rows = rows.filter(pa.array(~repeated)) if history else rows[~repeated].reset_index(drop=True)
    return as_of.index(declared, rows), reports


def _is_history(declared: Source) -> bool:
    """A history is cut to hundreds of dates from memory: held compact (text dictionary-encoded, in Arrow)."""
    return declared.as_of.kind == PUBLISHED and declared.parse_compact is not None


def _checksums(files: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(sorted(f["sha256"] for f in files))


def _loaded(raw: RawInput, files: list[dict[str, Any]] | None) -> tuple[Indexed, dict[str, Any]]:
    if raw.shared is not None:
        return _mapped(raw.source, raw.shared)
    return _parsed(raw.source, raw.root, raw.raw_date, _checksums(files if files is not None else raw.files()))


def load_parsed(raw: RawInput, files: list[dict[str, Any]] | None = None) -> Indexed:
    """Parsed rows of one source's raw folder, cached per process by the files' checksums (``files``: the
    folder's metadata when the caller has already read it), or mapped from the file ``share_parsed`` wrote."""
    return _loaded(raw, files)[0]


def parse_reports(raw: RawInput, files: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per raw file of the folder, what parsing found beyond rows: ``drift`` (columns added or missing against
    the parser's contract, see ``extractors.base.Columns``) and ``parse_notes`` (e.g. duplicates dropped);
    files with neither are left out."""
    return _loaded(raw, files)[1]


_REPORTS = b"opengap.parse_reports"


def share_parsed(raw: RawInput, folder: str) -> RawInput:
    """Parse ``raw`` without keeping it in this process and, for a leaderboard history, write its rows (Arrow IPC,
    text dictionary-encoded) to ``folder``: returns ``raw`` naming that file, which each worker process then
    memory-maps (``load_parsed``), so N workers hold one copy of a 12M-row history instead of N. Other sources
    are small: returned as they are, parsed where they are used."""
    if not _is_history(registry.get(raw.source)):
        return raw
    files = raw.files()
    indexed, reports = _parsed.__wrapped__(raw.source, raw.root, raw.raw_date, _checksums(files))
    assert isinstance(indexed, as_of.LeaderboardHistory)
    path = Path(folder) / f"{raw.source}.arrow"  # the folder is the run's own
    table = indexed.table.replace_schema_metadata({_REPORTS: json.dumps(reports, sort_keys=True).encode()})
    partial = path.with_suffix(".partial")
    with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    partial.replace(path)  # a reader never sees half a file
    return RawInput(raw.source, raw.root, raw.raw_date, shared=str(path))


@lru_cache(maxsize=4)
def _mapped(source: str, path: str) -> tuple[Indexed, dict[str, Any]]:
    with pa.memory_map(path) as mapped:  # the table's buffers keep the mapping alive after the file closes
        table = pa.ipc.open_file(mapped).read_all()
    reports = json.loads((table.schema.metadata or {}).get(_REPORTS, b"{}"))
    return as_of.LeaderboardHistory(table, registry.get(source)), reports


def inputs_fingerprint(files: dict[str, list[dict[str, Any]]]) -> str:
    """What a snapshot was built from: raw checksums, openness rule and schema version. Same → same tables."""
    payload = {
        "raw": {source: list(_checksums(metas)) for source, metas in files.items()},
        "openness_rule_version": openness.rule_version(),
        "schema_version": SCHEMA_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _skip_reason(layout: Layout, snapshot_date: str, fingerprint: str, mode: str) -> str | None:
    path = layout.manifest(snapshot_date)
    if not layout.storage.is_file(path):
        return None
    existing = layout.storage.read_json(path)
    if existing.get("inputs_fingerprint") == fingerprint:
        return "already published from the same inputs"
    if mode == "backfill" and existing.get("mode") in {"nightly", "replay"}:
        return f"already published by a {existing['mode']} run (kept: it was retrieved on the day)"
    return None


@dataclass
class StagedSnapshot:
    """A built snapshot in its staging folder, with its manifest but for the validation result."""

    snapshot_date: str
    run_id: str
    manifest: dict[str, Any]
    floors: dict[str, list[dict[str, Any]]]  # this run's extra expectations (checks against the previous snapshot)


def stage_snapshot(
    inputs: list[RawInput],
    snapshot_date: str,
    data_dir: str,
    mode: str,
    *,
    force: bool = False,
    allow_row_drop: tuple[str, ...] = (),
) -> StagedSnapshot | SnapshotOutcome:
    """Build the snapshot of ``snapshot_date`` from ``inputs`` and stage its tables and CSV exports; or say why
    it is skipped (a SnapshotOutcome)."""
    result = stage_snapshots(inputs, [snapshot_date], data_dir, mode, force=force, allow_row_drop=allow_row_drop)
    if isinstance(result[snapshot_date], Exception):
        raise result[snapshot_date]
    return result[snapshot_date]


def stage_snapshots(
    inputs: list[RawInput],
    snapshot_dates: list[str],
    data_dir: str,
    mode: str,
    *,
    force: bool = False,
    allow_row_drop: tuple[str, ...] = (),
) -> dict[str, StagedSnapshot | SnapshotOutcome | Exception]:
    """``stage_snapshot`` for each of ``snapshot_dates``, the dates built together (``build_snapshots``); a date
    that fails gives its exception, and the others still stage."""
    layout = Layout(data_dir)
    files = {i.source: i.files() for i in inputs}  # read each metadata file once
    fingerprint = inputs_fingerprint(files)
    results: dict[str, StagedSnapshot | SnapshotOutcome | Exception] = {}
    for snapshot_date in snapshot_dates:
        reason = None if force else _skip_reason(layout, snapshot_date, fingerprint, mode)
        if reason:
            results[snapshot_date] = SnapshotOutcome(snapshot_date, "skipped", detail=reason)
    building = [d for d in snapshot_dates if d not in results]
    parsed = {i.source: load_parsed(i, files[i.source]) for i in inputs} if building else {}
    for snapshot_date, tables in _built(parsed, building, {i.source: i.raw_date for i in inputs}).items():
        try:
            if isinstance(tables, Exception):
                raise tables
            results[snapshot_date] = _stage(
                layout, inputs, files, fingerprint, snapshot_date, tables, mode, allow_row_drop
            )
        except Exception as exc:  # one bad date must not stop the others
            results[snapshot_date] = exc
    return {d: results[d] for d in snapshot_dates}


def _built(
    parsed: dict[str, Any], snapshot_dates: list[str], raw_dates: dict[str, str]
) -> dict[str, dict[str, pa.Table] | Exception]:
    """Each date's tables, built together; if that fails, each date alone, so only the bad date fails."""
    days = [dt.date.fromisoformat(d) for d in snapshot_dates]
    try:
        return {d.isoformat(): tables for d, tables in build_snapshots(parsed, days, raw_dates).items()}
    except Exception as exc:
        if len(days) == 1:
            raise
        log.info("%s..%s: building the dates together failed (%s); building each alone", days[0], days[-1], exc)
    built: dict[str, dict[str, pa.Table] | Exception] = {}
    for day in days:
        try:
            built[day.isoformat()] = build_snapshot(parsed, day, raw_dates)
        except Exception as exc:
            built[day.isoformat()] = exc
    return built


def _stage(
    layout: Layout,
    inputs: list[RawInput],
    files: dict[str, list[dict[str, Any]]],
    fingerprint: str,
    snapshot_date: str,
    tables: dict[str, pa.Table],
    mode: str,
    allow_row_drop: tuple[str, ...],
) -> StagedSnapshot:
    """Stage one built date: its tables, CSV exports and manifest (but for the validation result)."""
    with date_lock(layout, snapshot_date):
        # Staging left by a run of this date that crashed is never read; clear it now that we hold the date.
        for stale in layout.storage.names(layout.path("staging")):
            if stale.startswith(f"{snapshot_date}-"):
                layout.storage.remove(layout.staging(stale))
        changed = _changes(layout, snapshot_date, mode, tables)
        if changed is not None:
            tables[CHANGES.name] = CHANGES.to_arrow(changed)
        run_id = f"{snapshot_date}-{uuid.uuid4().hex[:8]}"
        specs = table_specs()
        staged = stage_tables(layout, run_id, snapshot_date, tables, specs)
        baseline, floors = _against_previous(layout, snapshot_date, mode, staged, tables, specs, allow_row_drop)
        exports = [f"exports/{snapshot_date}/{f}" for f in stage_exports(layout, run_id, tables)]
    manifest = {
        "snapshot_date": snapshot_date,
        "run_id": run_id,
        "mode": mode,
        "created_at": utc_now_iso(),
        "code_version": code_version(),
        "schema_version": SCHEMA_VERSION,
        "openness_rule_version": openness.rule_version(),
        "inputs_fingerprint": fingerprint,
        "tables": staged,
        "as_of": {name: specs[name].as_of for name in staged},
        "leaderboard_publish_dates": _publish_dates(tables),
        "identity": _identity_counts(tables),
        "sources": {
            i.source: {
                "title": (declared := registry.get(i.source)).title,
                "homepage": declared.homepage,
                "license": declared.license,
                **({"attribution": declared.attribution} if declared.attribution else {}),
                "raw_date": i.raw_date,
                "raw_dir": f"{i.root}/{i.source}/{i.raw_date}",
                "files": [{**f, **parse_reports(i, files[i.source]).get(f["file"], {})} for f in files[i.source]],
                **({"fetch_log": log} if (log := RawStore(i.root).fetch_log(i.source, i.raw_date)) else {}),
            }
            for i in inputs
        },
        "validation": None,  # filled by finish_snapshot
        **({"row_count_baseline": baseline} if baseline else {}),
        **({"changes": _change_summary(tables[CHANGES.name])} if CHANGES.name in tables else {}),
        "exports": exports,
    }
    if mode != "backfill":  # the nightly and replay runs write it once the snapshot is published
        manifest["report"] = f"reports/{snapshot_date}.html"
    return StagedSnapshot(snapshot_date, run_id, manifest, floors)


def validate_staged(staged: StagedSnapshot, data_dir: str, *, docs: bool = True) -> ValidationReport:
    """Validate the staged tables as written (with this run's extra expectations); Data Docs into staging."""
    layout = Layout(data_dir)
    tables = read_staged(layout, staged.run_id, staged.manifest["tables"])
    with tempfile.TemporaryDirectory(prefix=docs_folder_prefix()) as local_docs:
        # GX writes Data Docs to a local folder; they travel with the staged snapshot from there.
        report = validate_tables(tables, docs_dir=Path(local_docs) if docs else None, extra=staged.floors)
        if docs:
            layout.storage.upload_tree(Path(local_docs), f"{layout.staging(staged.run_id)}/docs")
    return report


def finish_snapshot(
    staged: StagedSnapshot, report: ValidationReport, data_dir: str, *, update_latest: bool = True
) -> SnapshotOutcome:
    """Publish the staged snapshot if ``report`` has no blocking failure, else quarantine it."""
    layout = Layout(data_dir)
    manifest = {**staged.manifest, "validation": report.to_dict()}
    rows = {name: info["rows"] for name, info in manifest["tables"].items()}
    with date_lock(layout, staged.snapshot_date):
        if not report.success:
            del manifest["exports"]
            manifest.pop("report", None)
            result = quarantine(layout, manifest)
            return SnapshotOutcome(
                staged.snapshot_date,
                "quarantined",
                staged.run_id,
                report.summary(),
                False,
                result.quarantine_path,
                rows,
            )
        result = commit(layout, manifest, update_latest=update_latest)
    outcome = SnapshotOutcome(staged.snapshot_date, "published", staged.run_id, report.summary(), result.latest_moved)
    outcome.rows = rows
    return outcome


def make_snapshot(
    inputs: list[RawInput],
    snapshot_date: str,
    data_dir: str,
    mode: str,
    *,
    force: bool = False,
    docs: bool = True,
    update_latest: bool = True,
    allow_row_drop: tuple[str, ...] = (),
) -> SnapshotOutcome:
    """Build, validate and publish (or quarantine) the snapshot of ``snapshot_date`` from ``inputs``.
    ``update_latest=False`` leaves the catalog and ``latest`` to the caller (see ``publish_latest``);
    ``allow_row_drop`` names tables whose rows may fall more than their contract allows (a known change)."""
    staged = stage_snapshot(inputs, snapshot_date, data_dir, mode, force=force, allow_row_drop=allow_row_drop)
    if isinstance(staged, SnapshotOutcome):
        return staged
    report = validate_staged(staged, data_dir, docs=docs)
    return finish_snapshot(staged, report, data_dir, update_latest=update_latest)


def _changes(layout: Layout, snapshot_date: str, mode: str, tables: dict[str, Any]) -> pd.DataFrame | None:
    """This snapshot against the newest published one before its date (nightly and replay runs; a backfill's
    dates are built in any order, so "previous" would mean nothing there). None: nothing to compare with."""
    if mode == "backfill":
        return None
    previous_date = previous_snapshot_date(layout, snapshot_date, inclusive=False)
    if previous_date is None:
        return None
    raw = layout.storage.read_bytes(layout.manifest(previous_date))
    previous = json.loads(raw)
    rows = changes.count_changes(
        previous,
        {name: table.num_rows for name, table in tables.items()},
        layout.storage.relative(layout.manifest(previous_date)),
        hashlib.sha256(raw).hexdigest(),
    )
    if "models" in previous["tables"] and "models" in tables:
        before = read_published_table(layout, previous["tables"]["models"]).to_pandas()
        rows = changes.model_changes(before, tables["models"].to_pandas()) + rows
    frame = pd.DataFrame(rows, columns=[f.name for f in CHANGES.schema if f.name != "previous_snapshot_date"])
    return frame.assign(previous_snapshot_date=dt.date.fromisoformat(previous_date))


def _change_summary(table: Any) -> dict[str, Any]:
    frame = table.to_pandas()
    return {
        "compared_with": str(frame["previous_snapshot_date"].iloc[0]) if len(frame) else None,
        "counts": {k: int(n) for k, n in frame["kind"].value_counts().sort_index().items()},
        "beyond_threshold": int(frame["beyond_threshold"].sum()),
    }


def _against_previous(
    layout: Layout,
    snapshot_date: str,
    mode: str,
    staged: dict[str, dict[str, Any]],
    tables: dict[str, Any],
    specs: dict[str, TableSpec],
    allowed: tuple[str, ...],
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Checks against the previous published snapshot, and what the manifest records about them: its row counts
    as floors (``TableSpec.max_row_drop``) and its cumulative counts as minimums per key (``never_decrease``).
    Backfills are left out: every date of a backfill is cut from the same raw files, so a short download
    shrinks them all alike and no earlier date can reveal it."""
    if mode == "backfill":
        return {}, {}
    previous_date = previous_snapshot_date(layout, snapshot_date, inclusive=True)
    if previous_date is None:
        return {}, {}
    previous = layout.storage.read_json(layout.manifest(previous_date))["tables"]
    extra: dict[str, list[dict[str, Any]]] = {}
    for name in staged:
        if name not in previous:
            continue
        found = [] if name in allowed else [row_count_change(specs[name], previous[name]["rows"], previous_date)]
        if specs[name].never_decrease:
            before = read_published_table(layout, previous[name])
            found.append(decreases(specs[name], before, tables[name], previous_date))
        if found := [f for f in found if f is not None]:
            extra[name] = found
    floored = [n for n, found in extra.items() if any(f["type"].endswith("row_count_to_be_between") for f in found)]
    baseline = {"snapshot_date": previous_date, "checked": sorted(floored), "allowed_to_drop": sorted(allowed)}
    return baseline, extra


def _identity_counts(tables: dict[str, Any]) -> dict[str, Any]:
    """How well the sources' names were joined: models, those named by two or more sources, unmatched names."""
    models, unmatched = tables.get("models"), tables.get("unmatched_names")
    if models is None:
        return {}
    n_sources = models["n_sources"].to_pylist()
    sources = unmatched["source"].to_pylist() if unmatched is not None else []
    return {
        "models": len(n_sources),
        "models_in_two_or_more_sources": sum(n >= 2 for n in n_sources),
        "unmatched_names": {source: sources.count(source) for source in sorted(set(sources))},
    }


def _publish_dates(tables: dict[str, Any]) -> dict[str, str]:
    gap = tables.get("open_closed_gap")
    if gap is None:
        return {}
    return {
        r["board"]: str(r["leaderboard_publish_date"])
        for r in gap.select(["board", "leaderboard_publish_date"]).to_pylist()
    }
