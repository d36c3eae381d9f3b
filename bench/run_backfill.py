"""Benchmark: backfill every publish date of a real-scale LMArena `full` split, against the same work in DuckDB.

Generates the synthetic split (bench/generate.py) into a raw archive, runs the real backfill flow over every
publication date (build, validate with Great Expectations, publish, catalog), then runs bench/baseline_duckdb.py
on the same file: the same as-of slices, gap mart and models rows, the critical checks per date and the same
Hive-partitioned Parquet for the dates that pass, as plain SQL. Reports both times, their ratio, the published
gap rows that differ between the two, and the machine's load.

    .venv/bin/python bench/run_backfill.py [--rows 1200000] [--dates 250] [--workers 2] [--task-runner thread]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline_duckdb
import generate
import pyarrow as pa
import pyarrow.parquet as pq

from extractors.raw_store import RawStore
from transforms.curated import DATA_DIR


class PeakMemory:
    """Samples the memory of this process plus all its descendants (Dask workers, Prefect's server).
    ``peak_mb``: the largest sum of resident sizes seen (RSS; pages that processes share, such as a memory-mapped
    file, count once per process); ``peak_pss_mb``: the largest sum of proportional sizes (PSS: a shared page
    counts 1/N in each of the N processes mapping it), the memory the run actually occupies."""

    def __init__(self) -> None:
        self.peak = self.peak_pss = 0
        self.peak_pss_at = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me, tick = psutil.Process(), 0
        while not self._stop.is_set():
            # PSS costs ~6 ms per process (the kernel walks its page tables): once a second; RSS every 0.2 s.
            with_pss, rss, pss = tick % 5 == 0, 0, 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    info = proc.memory_full_info() if with_pss else proc.memory_info()
                    rss, pss = rss + info.rss, pss + (info.pss if with_pss else 0)
            if pss > self.peak_pss:
                self.peak_pss, self.peak_pss_at = pss, time.strftime("%H:%M:%S")  # to find the phase in the log
            self.peak, tick = max(self.peak, rss), tick + 1
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20

    @property
    def peak_pss_mb(self) -> float:
        return self.peak_pss / 2**20


def _our_gap_rows(data: Path) -> dict[tuple, tuple]:
    """Our published open_closed_gap rows in baseline_duckdb.gap_rows' shape, keyed by (date, board)."""
    rows = duckdb.sql(
        "SELECT CAST(snapshot_date AS VARCHAR), board, best_open_model, best_closed_model, open_in_top10, "
        "round(score_gap, 6) "
        f"FROM read_parquet('{data}/warehouse/open_closed_gap/*/*.parquet', hive_partitioning = true) "
        "ORDER BY ALL"
    ).fetchall()
    return {r[:2]: r for r in rows}


def _cpu_seconds() -> float:
    """User and system CPU time of this process and of its children that have exited (the temporary Prefect
    server, Dask's workers): steadier than wall time on a machine whose speed moves by the hour."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_200_000)
    parser.add_argument("--dates", type=int, default=250)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--task-runner", default="thread", choices=["thread", "dask"])
    parser.add_argument("--keep", type=Path, help="keep the archive and data directory here")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="opengap-bench-"))
    archive, data = work / "archive", work / "data"
    shutil.rmtree(data, ignore_errors=True)
    table = generate.generate(args.rows, args.dates)
    parquet = work / "text.full.parquet"
    pq.write_table(table, parquet, compression="snappy")
    input_rows = table.num_rows
    del table  # the generator's table is not the backfill's memory (3 GB at 12M rows)
    pa.default_memory_pool().release_unused()
    RawStore(archive / "raw").write(
        "lmarena",
        "2026-10-08",
        "text.full.parquet",
        parquet.read_bytes(),
        url="bench://synthetic/text/full-00000-of-00001.parquet",
        params={"config": "text", "split": "full"},
        retrieved_at="2026-10-08T00:00:00Z",
        note="synthetic (bench/generate.py)",
        refresh=True,
    )

    from prefect.testing.utilities import prefect_test_harness

    from flows.backfill import backfill
    from flows.runners import make_task_runner

    cpu_before = _cpu_seconds()
    with prefect_test_harness(server_startup_timeout=120), PeakMemory() as memory:
        started = time.perf_counter()
        report = backfill.with_options(task_runner=make_task_runner(args.task_runner, args.workers))(
            start="2023-01-01",
            end="2026-10-08",  # the raw file's retrieval date: no snapshot after today
            every="publish",
            sources=["lmarena"],
            offline=True,
            raw_archive=str(archive),
            data_dir=str(data),
        )
        ours = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before  # after the harness: its server process has exited and been waited for
    published_rows = sum(
        json.loads(p.read_text())["tables"]["leaderboard_scores"]["rows"] for p in (data / "manifests").glob("*.json")
    )

    load_before = os.getloadavg()
    baseline = baseline_duckdb.run_baseline(parquet, work / "baseline", DATA_DIR / "licences.csv")
    ours_gap = _our_gap_rows(data)
    theirs_gap = {r[:2]: r for r in baseline_duckdb.gap_rows(work / "baseline")}
    differing = sorted(k for k in ours_gap.keys() | theirs_gap.keys() if ours_gap.get(k) != theirs_gap.get(k))

    result = {
        "input_rows": input_rows,
        "publish_dates": baseline["dates"],
        "snapshots_published": len(report.published),
        "quarantined": len(report.quarantined),
        "failed": len(report.failed),
        "leaderboard_rows_published": published_rows,
        "wall_s": round(ours, 1),
        "cpu_s_all_processes": round(cpu, 1),
        "peak_rss_mb_all_processes": round(memory.peak_mb),
        "peak_pss_mb_all_processes": round(memory.peak_pss_mb),
        "peak_pss_at": memory.peak_pss_at,
        "input_rows_per_s": round(input_rows / ours),
        "published_rows_per_s": round(published_rows / ours),
        "baseline_s": baseline["wall_s"],
        "baseline_phases_s": baseline["phases_s"],
        "baseline_passed": baseline["passed"],
        "ratio_ours_over_baseline": round(ours / baseline["wall_s"], 1),
        "gap_rows_compared": len(ours_gap),
        "gap_rows_differing": len(differing),
        "load_average_1_5_15_before_baseline": [round(x, 2) for x in load_before],
        "cpu_count": os.cpu_count(),
        "task_runner": args.task_runner,
        "workers": args.workers,
    }
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
