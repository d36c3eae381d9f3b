"""Running the nightly flow unattended: a Prefect deployment with a cron schedule, served by `opengap serve`."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect import serve
from prefect.schedules import Cron

from flows.nightly import nightly
from opengap.errors import OpengapError

DEFAULT_CRON = "0 6 * * *"  # LMArena's dataset bot commits around 03:00 UTC the day after a publication
DEFAULT_TIMEZONE = "UTC"
DEPLOYMENT_NAME = "opengap-nightly"


def nightly_schedule(cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE) -> Cron:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OpengapError(f"--timezone {timezone!r} is not an IANA time zone (e.g. UTC, Europe/Paris)") from exc
    try:
        return Cron(cron, timezone=timezone)
    except ValueError as exc:
        raise OpengapError(f"--cron {cron!r} is not a valid cron expression: {exc}") from exc


def nightly_deployment(
    cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE, parameters: dict[str, Any] | None = None
) -> Any:
    """The scheduled deployment; a concurrency limit of 1 keeps two nightly runs from overlapping."""
    return nightly.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[nightly_schedule(cron, timezone)],
        parameters=parameters or {},
        concurrency_limit=1,
        tags=["opengap"],
        description="Fetch, validate and publish today's opengap snapshot.",
    )


def serve_nightly(cron: str, timezone: str, parameters: dict[str, Any]) -> None:
    """Block, running the nightly flow on schedule (Ctrl-C stops). Uses PREFECT_API_URL when it is set."""
    serve(nightly_deployment(cron, timezone, parameters))
