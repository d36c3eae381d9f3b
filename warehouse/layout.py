"""Where everything lives under the data directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def manifests_dir(self) -> Path:
        return self.root / "manifests"

    @property
    def latest_path(self) -> Path:
        return self.root / "latest.json"

    @property
    def catalog_path(self) -> Path:
        return self.root / "catalog" / "opengap.duckdb"

    @property
    def lock_path(self) -> Path:
        return self.root / ".publish.lock"

    def date_lock_path(self, snapshot_date: str) -> Path:
        return self.root / "locks" / f"{snapshot_date}.lock"

    def partition(self, table: str, snapshot_date: str) -> Path:
        """Hive-style partition folder of one table for one snapshot date."""
        return self.warehouse_dir / table / f"snapshot_date={snapshot_date}"

    def manifest(self, snapshot_date: str) -> Path:
        return self.manifests_dir / f"{snapshot_date}.json"

    def docs(self, snapshot_date: str) -> Path:
        return self.root / "docs" / snapshot_date

    def staging(self, run_id: str) -> Path:
        return self.root / "staging" / run_id

    def quarantine(self, snapshot_date: str, run_id: str) -> Path:
        return self.root / "quarantine" / snapshot_date / run_id

    def trash(self, run_id: str) -> Path:
        return self.root / "trash" / run_id
