"""Settings from the environment. Nothing here is a secret; API keys are read where they are used."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from opengap import __version__
from opengap.errors import OpengapError
from opengap.storage import Storage

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARCHIVE = REPO_ROOT / "fixtures" / "archive"
DEFAULT_CONTACT = "opengap@users.noreply.github.com"


@dataclass(frozen=True)
class Settings:
    data_dir: str  # a local absolute path or an fsspec URL (s3://bucket/opengap)
    contact_email: str

    @property
    def raw_dir(self) -> str:
        return Storage(self.data_dir).url_of("raw")

    @property
    def user_agent(self) -> str:
        # Sources (SEC, Hugging Face) ask bots to identify themselves with a way to reach a human.
        return f"opengap/{__version__} (+https://github.com/opengap/opengap; {self.contact_email})"


def load_settings(data_dir: str | Path | None = None) -> Settings:
    """Settings from OPENGAP_DATA_DIR and OPENGAP_CONTACT_EMAIL, with an explicit data_dir winning."""
    chosen = data_dir or os.environ.get("OPENGAP_DATA_DIR") or "data"
    return Settings(
        data_dir=Storage(chosen).url,
        contact_email=os.environ.get("OPENGAP_CONTACT_EMAIL", "").strip() or DEFAULT_CONTACT,
    )


def today_utc() -> str:
    """The default snapshot date: today in UTC (sources publish on UTC days)."""
    return dt.datetime.now(dt.UTC).date().isoformat()


def snapshot_date(value: str, option: str = "--date") -> str:
    """``value`` checked as a snapshot date: YYYY-MM-DD and not after today (UTC), since a snapshot holds only
    what was knowable on its date. Raises OpengapError naming ``option``."""
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise OpengapError(f"{option} {value!r} is not a date: use YYYY-MM-DD ({exc})") from None
    if len(value) != 10:
        raise OpengapError(f"{option} {value!r} is not a date: use YYYY-MM-DD")
    if day.isoformat() > today_utc():
        raise OpengapError(
            f"{option} {value} is after today ({today_utc()} UTC): a snapshot can only hold what is knowable on "
            "its date"
        )
    return day.isoformat()


@cache
def code_version() -> str:
    """The package version plus the git commit it runs from (marked -dirty when edited)."""
    try:
        sha = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = "unknown"
    return f"{__version__}+{sha}"
