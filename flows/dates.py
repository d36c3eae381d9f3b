"""Which dates a backfill builds (no Prefect here: the CLI checks --every before any flow starts)."""

from __future__ import annotations

import datetime as dt

from opengap.errors import OpengapError

EVERY = ("day", "week", "month", "publish")  # publish: every date a leaderboard (LMArena) published a board


def date_range(start: str, end: str, every: str = "day") -> list[str]:
    """Dates from start to end inclusive, stepping by day, week (7 days) or calendar month (same day number,
    clamped to the month's last day)."""
    if every not in EVERY or every == "publish":
        raise OpengapError(f"--every must be one of {', '.join(EVERY)}, not {every!r}")
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    if first > last:
        raise OpengapError(f"--start {start} is after --end {end}")
    dates, k = [], 0
    while True:
        if every == "month":
            year, month = divmod(first.month - 1 + k, 12)
            y, m = first.year + year, month + 1
            next_month = dt.date(y + (m == 12), m % 12 + 1, 1)
            day = min(first.day, (next_month - dt.timedelta(days=1)).day)
            current = dt.date(y, m, day)
        else:
            current = first + dt.timedelta(days=k * (7 if every == "week" else 1))
        if current > last:
            return dates
        dates.append(current.isoformat())
        k += 1


def publication_dates(start: str, end: str, published: list[str] | None = None) -> list[str]:
    """The publication dates between start and end (checked as dates first; empty before parsing)."""
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    if first > last:
        raise OpengapError(f"--start {start} is after --end {end}")
    return sorted({d for d in published or [] if first.isoformat() <= d <= last.isoformat()})
