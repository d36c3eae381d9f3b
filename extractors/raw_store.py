"""The raw store: exact bytes of every response, with a metadata file beside each.

Layout: ``<root>/<source>/<snapshot_date>/<file>`` and ``<file>.meta.json``. Files are immutable: a second
write of the same path is refused unless the caller asks to refresh. Parsing only ever reads from here.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opengap.errors import RawStoreError

META_SUFFIX = ".meta.json"


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
    path: Path


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def utc_now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _atomic_write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RawStore:
    """Raw responses on a local disk (the live data dir, or a shipped archive replayed offline)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, source: str, snapshot_date: str, file: str) -> Path:
        return self.root / source / snapshot_date / file

    def exists(self, source: str, snapshot_date: str, file: str) -> bool:
        path = self.path(source, snapshot_date, file)
        return path.is_file() and Path(f"{path}{META_SUFFIX}").is_file()

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
            raise RawStoreError(f"raw file {path} already exists; raw files are immutable (use --refresh)")
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
        _atomic_write(path, content)
        _atomic_write(Path(f"{path}{META_SUFFIX}"), json.dumps(asdict(meta), indent=2, sort_keys=True).encode())
        return RawFile(content, meta, path)

    def read(self, source: str, snapshot_date: str, file: str) -> RawFile:
        """Read a stored file and check it still matches the checksum recorded when it was fetched."""
        path = self.path(source, snapshot_date, file)
        meta_path = Path(f"{path}{META_SUFFIX}")
        if not path.is_file() or not meta_path.is_file():
            raise RawStoreError(f"raw file {path} (or its {META_SUFFIX}) is missing")
        try:
            meta = RawMeta(**json.loads(meta_path.read_text()))
        except (ValueError, TypeError) as exc:
            raise RawStoreError(f"metadata {meta_path} is unreadable: {exc}") from exc
        content = path.read_bytes()
        if sha256_hex(content) != meta.sha256:
            raise RawStoreError(f"raw file {path} does not match its recorded sha256; it was modified after fetch")
        return RawFile(content, meta, path)

    def dates(self, source: str) -> list[str]:
        """Snapshot dates that hold raw files for ``source``, oldest first."""
        folder = self.root / source
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob(f"*{META_SUFFIX}")))

    def files(self, source: str, snapshot_date: str) -> list[str]:
        folder = self.root / source / snapshot_date
        return sorted(p.name[: -len(META_SUFFIX)] for p in folder.glob(f"*{META_SUFFIX}"))

    def read_all(self, source: str, snapshot_date: str) -> list[RawFile]:
        return [self.read(source, snapshot_date, f) for f in self.files(source, snapshot_date)]

    def newest_date_on_or_before(self, source: str, snapshot_date: str) -> str | None:
        candidates = [d for d in self.dates(source) if d <= snapshot_date]
        return candidates[-1] if candidates else None
