"""Benchmark: backfill every publish date of a real-scale LMArena `full` split, and compare with DuckDB.

Generates the synthetic split (bench/generate.py) into a raw archive, runs the real backfill flow over every
publication date (build, validate with Great Expectations, publish, catalog), then times DuckDB computing the
same per-date answer (best open, best closed, open share of the top 10) in one SQL query over the same file.

    .venv/bin/python bench/run_backfill.py [--rows 1200000] [--dates 250] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
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

import generate
import pyarrow.parquet as pq

from extractors.raw_store import RawStore
from transforms.curated import DATA_DIR

DUCKDB_ANSWER = """
WITH licences AS (SELECT license_raw, tier FROM read_csv(?, all_varchar = true)),
rows AS (
    SELECT r.leaderboard_publish_date AS day, r.model_name, r.rating, CAST(r.rank AS BIGINT) AS rank,
           CASE WHEN l.tier LIKE 'open_weights%' THEN 'open'
                WHEN l.tier IN ('api_access', 'hosted_no_api', 'unreleased') THEN 'closed' END AS openness
    FROM read_parquet(?) AS r LEFT JOIN licences AS l ON coalesce(r.license, '') = l.license_raw
    WHERE r.category = 'overall'
)
SELECT day,
       arg_min(model_name, rank) FILTER (WHERE openness = 'open') AS best_open,
       min(rank) FILTER (WHERE openness = 'open') AS best_open_rank,
       arg_min(model_name, rank) FILTER (WHERE openness = 'closed') AS best_closed,
       max(rating) FILTER (WHERE openness = 'closed') - max(rating) FILTER (WHERE openness = 'open') AS gap,
       avg(CASE WHEN openness = 'open' THEN 1.0 ELSE 0.0 END) FILTER (WHERE rank <= 10) AS open_share_top10
FROM rows GROUP BY day ORDER BY day
"""


class PeakMemory:
    """Samples the resident memory of this process plus all its descendants (Dask workers, Prefect's server)
    every 0.2 s; ``peak_mb`` is the largest sum seen."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak = max(self.peak, total)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_200_000)
    parser.add_argument("--dates", type=int, default=250)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--task-runner", default="dask", choices=["thread", "dask"])
    parser.add_argument("--keep", type=Path, help="keep the archive and data directory here")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="opengap-bench-"))
    archive, data = work / "archive", work / "data"
    shutil.rmtree(data, ignore_errors=True)
    table = generate.generate(args.rows, args.dates)
    parquet = work / "text.full.parquet"
    pq.write_table(table, parquet, compression="snappy")
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
    published_rows = sum(
        json.loads(p.read_text())["tables"]["leaderboard_scores"]["rows"] for p in (data / "manifests").glob("*.json")
    )

    con = duckdb.connect()
    timings = []
    for _ in range(3):  # best of three: the query is short enough for scheduler noise to matter
        started = time.perf_counter()
        answer = con.execute(DUCKDB_ANSWER, [str(DATA_DIR / "licences.csv"), str(parquet)]).fetchall()
        timings.append(time.perf_counter() - started)
    theirs = min(timings)

    result = {
        "input_rows": table.num_rows,
        "publish_dates": len(answer),
        "snapshots_published": len(report.published),
        "quarantined": len(report.quarantined),
        "failed": len(report.failed),
        "leaderboard_rows_published": published_rows,
        "wall_s": round(ours, 1),
        "peak_rss_mb_all_processes": round(memory.peak_mb),
        "input_rows_per_s": round(table.num_rows / ours),
        "published_rows_per_s": round(published_rows / ours),
        "duckdb_same_answer_s": round(theirs, 3),
        "ratio_ours_over_duckdb": round(ours / theirs),
        "task_runner": args.task_runner,
        "workers": args.workers,
    }
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
