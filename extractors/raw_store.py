"""The raw store: exact bytes of every response, with a metadata file beside each.

Layout: ``<root>/<source>/<snapshot_date>/<file>`` and ``<file>.meta.json``; the root is a local folder or
an fsspec URL. Files are immutable: a second
write of the same path is refused unless the caller asks to refresh. Parsing only ever reads from here.
A body refused at fetch time (an error page instead of data) is kept for diagnosis under
``<snapshot_date>/_rejected/<file>.<timestamp>``, a sub-folder that ``files()`` and ``read_all()`` never list.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from opengap.errors import RawStoreError
from opengap.storage import Storage

META_SUFFIX = ".meta.json"
REJECTED_DIR = "_rejected"
FETCH_LOG = "_fetch_log.json"  # one entry per fetch run into the folder: when, how many requests (no body: not raw)


@dataclass(frozen=True)
class RawMeta:
    """What we know about one stored response."""

    source: str
    file: str
    url: str
    retrieved_at: str  # ISO 8601, UTC
    sha256: str
    size: int
    status: int = 200
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""  # e.g. where an archived capture came from


@dataclass(frozen=True)
class RawFile:
    content: bytes
    meta: RawMeta
    path: str  # where it is stored (a local path or a URL)


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def utc_now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class RawStore:
    """Raw responses under a root folder: the live data dir's ``raw/``, a replayed archive, or any fsspec URL."""

    def __init__(self, root: str | os.PathLike[str] | Storage) -> None:
        self.storage = root if isinstance(root, Storage) else Storage(root)
        self.root = self.storage.url

    def path(self, source: str, snapshot_date: str, file: str) -> str:
        return self.storage.path(source, snapshot_date, file)

    def exists(self, source: str, snapshot_date: str, file: str) -> bool:
        path = self.path(source, snapshot_date, file)
        return self.storage.is_file(path) and self.storage.is_file(f"{path}{META_SUFFIX}")

    def write(
        self,
        source: str,
        snapshot_date: str,
        file: str,
        content: bytes,
        *,
        url: str,
        status: int = 200,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retrieved_at: str | None = None,
        note: str = "",
        refresh: bool = False,
    ) -> RawFile:
        """Store ``content`` and its metadata; the body is written first, so a crash never leaves meta alone."""
        path = self.path(source, snapshot_date, file)
        if self.exists(source, snapshot_date, file) and not refresh:
            raise RawStoreError(
                f"raw file {self.storage.uri(path)} already exists; raw files are immutable (use --refresh)"
            )
        meta = self._put(path, source, file, content, url, status, params, headers, retrieved_at, note)
        return RawFile(content, meta, self.storage.uri(path))

    def _put(
        self,
        path: str,
        source: str,
        file: str,
        content: bytes,
        url: str,
        status: int,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        retrieved_at: str | None,
        note: str,
    ) -> RawMeta:
        """Write the body, then its metadata (URL, time, status, sha256) beside it."""
        meta = RawMeta(
            source=source,
            file=file,
            url=url,
            retrieved_at=retrieved_at or utc_now_iso(),
            sha256=sha256_hex(content),
            size=len(content),
            status=status,
            params=dict(params or {}),
            headers=dict(headers or {}),
            note=note,
        )
        self.storage.write_bytes(path, content)
        self.storage.write_bytes(f"{path}{META_SUFFIX}", json.dumps(asdict(meta), indent=2, sort_keys=True).encode())
        return meta

    def reject(
        self,
        source: str,
        snapshot_date: str,
        file: str,
        content: bytes,
        *,
        url: str,
        status: int,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        reason: str,
    ) -> str:
        """Keep a refused body and its metadata (``reason`` in ``note``) where parsing never looks; return its
        address. Each rejection gets its own timestamped name, so none overwrites another."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{REJECTED_DIR}/{file}.{stamp}"
        path = self.path(source, snapshot_date, name)
        self._put(path, source, name, content, url, status, params, headers, None, reason)
        return self.storage.uri(path)

    def log_fetch(self, source: str, snapshot_date: str, entry: dict[str, Any]) -> None:
        """Append what one fetch run cost (requests sent, budget) to the folder's fetch log."""
        path = self.path(source, snapshot_date, FETCH_LOG)
        self.storage.write_bytes(path, json.dumps([*self.fetch_log(source, snapshot_date), entry], indent=2).encode())

    def fetch_log(self, source: str, snapshot_date: str) -> list[dict[str, Any]]:
        path = self.path(source, snapshot_date, FETCH_LOG)
        return json.loads(self.storage.read_bytes(path)) if self.storage.is_file(path) else []

    def read_meta(self, source: str, snapshot_date: str, file: str) -> RawMeta:
        meta_path = f"{self.path(source, snapshot_date, file)}{META_SUFFIX}"
        if not self.storage.is_file(meta_path):
            raise RawStoreError(f"raw metadata {self.storage.uri(meta_path)} is missing")
        try:
            return RawMeta(**json.loads(self.storage.read_bytes(meta_path)))
        except (ValueError, TypeError) as exc:
            raise RawStoreError(f"metadata {self.storage.uri(meta_path)} is unreadable: {exc}") from exc

    def read(self, source: str, snapshot_date: str, file: str) -> RawFile:
        """Read a stored file and check it still matches the checksum recorded when it was fetched."""
        path = self.path(source, snapshot_date, file)
        if not self.storage.is_file(path):
            raise RawStoreError(f"raw file {self.storage.uri(path)} is missing")
        meta = self.read_meta(source, snapshot_date, file)
        content = self.storage.read_bytes(path)
        if sha256_hex(content) != meta.sha256:
            raise RawStoreError(
                f"raw file {self.storage.uri(path)} does not match its recorded sha256; it was modified after fetch"
            )
        return RawFile(content, meta, self.storage.uri(path))

    def dates(self, source: str) -> list[str]:
        """Snapshot dates that hold raw files for ``source``, oldest first."""
        return [d for d in self.storage.names(self.storage.path(source)) if self.files(source, d)]

    def files(self, source: str, snapshot_date: str) -> list[str]:
        names = self.storage.names(self.storage.path(source, snapshot_date))
        return [n[: -len(META_SUFFIX)] for n in names if n.endswith(META_SUFFIX)]

    def read_all(self, source: str, snapshot_date: str) -> list[RawFile]:
        return [self.read(source, snapshot_date, f) for f in self.files(source, snapshot_date)]

    def newest_date_on_or_before(self, source: str, snapshot_date: str) -> str | None:
        candidates = [d for d in self.dates(source) if d <= snapshot_date]
        return candidates[-1] if candidates else None
