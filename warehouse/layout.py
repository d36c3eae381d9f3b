"""Where everything lives under the data directory (a local folder or an fsspec URL)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from opengap.storage import Storage


class Layout:
    def __init__(self, root: str | os.PathLike[str] | Storage) -> None:
        self.storage = root if isinstance(root, Storage) else Storage(root)
        self.root = self.storage.url

    def path(self, relative: str) -> str:
        return self.storage.path(relative)

    @property
    def raw_dir(self) -> str:
        return self.path("raw")

    @property
    def warehouse_dir(self) -> str:
        return self.path("warehouse")

    @property
    def manifests_dir(self) -> str:
        return self.path("manifests")

    @property
    def latest_path(self) -> str:
        return self.path("latest.json")

    def partition_dir(self, table: str, snapshot_date: str) -> str:
        """Relative path of one table's folder for one snapshot date (Hive-style partition)."""
        return f"warehouse/{table}/snapshot_date={snapshot_date}"

    def partition(self, table: str, snapshot_date: str, run_id: str) -> str:
        """Relative path of the file one run publishes for a table and date. Each run writes its own file, so a
        published file is never overwritten: re-publishing a date switches the manifest, not the bytes."""
        return f"{self.partition_dir(table, snapshot_date)}/part-{run_id}.parquet"

    def manifest(self, snapshot_date: str) -> str:
        return self.path(f"manifests/{snapshot_date}.json")

    def docs(self, snapshot_date: str) -> str:
        return self.path(f"docs/{snapshot_date}")

    def staging(self, run_id: str) -> str:
        return self.path(f"staging/{run_id}")

    def quarantine(self, snapshot_date: str, run_id: str) -> str:
        return self.path(f"quarantine/{snapshot_date}/{run_id}")

    # Local-only things: DuckDB opens a local file, and locks need a local filesystem. For a remote data
    # directory they live in a local cache folder named after it (and the catalog is also uploaded).
    @property
    def local_dir(self) -> Path:
        if self.storage.is_local:
            return Path(self.root)
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "opengap"
        return cache / hashlib.sha256(self.root.encode()).hexdigest()[:16]

    @property
    def catalog_path(self) -> Path:
        return self.local_dir / "catalog" / "opengap.duckdb"

    @property
    def lock_path(self) -> Path:
        return self.local_dir / ".publish.lock"

    def date_lock_path(self, snapshot_date: str) -> Path:
        return self.local_dir / "locks" / f"{snapshot_date}.lock"
