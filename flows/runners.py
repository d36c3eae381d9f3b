"""Task runners a backfill can use: threads on this machine, or a Dask cluster (local or remote)."""

from __future__ import annotations

from typing import Any

from prefect.task_runners import ThreadPoolTaskRunner

from opengap.errors import OpengapError

RUNNERS = ("thread", "dask")


def make_task_runner(kind: str = "thread", workers: int = 2, dask_address: str | None = None) -> Any:
    """``thread``: a pool of ``workers`` threads. ``dask``: the cluster at ``dask_address``, or a temporary
    local cluster of ``workers`` single-threaded processes (pandas work holds the GIL, processes scale)."""
    if workers < 1:
        raise OpengapError(f"--workers must be at least 1, not {workers}")
    if kind == "thread":
        if dask_address:
            raise OpengapError("--dask-address needs --task-runner dask")
        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
    raise OpengapError(f"--task-runner must be one of {', '.join(RUNNERS)}, not {kind!r}")
