"""Baseline: the core of the LMArena backfill as plain DuckDB SQL, every publish date in one set-based pass.

For each publish date D of a ``full`` split (bench/generate.py's synthetic one, or the real file):

1. slice: per board and category the newest board published on or before D (an ASOF join of dates x boards
   on the published boards), each model tagged with its newest non-empty licence published on or before D
   (an ASOF join on the licence timeline), mapped through transforms/data/licences.csv to a tier; open =
   ``open_weights*``, closed = api_access / hosted_no_api / unreleased, an empty or unlisted licence unknown;
2. marts: ``open_closed_gap`` for category ``overall`` (best open / closed by rank, then rating, then name; the
   top 10 / 20 by rating, votes, name as transforms.marts.top) and ``models`` (one row per model name);
3. checks: the critical expectations of the suites (keys, not-null, ranges, row floors, coverage), per date;
4. write: Hive-partitioned Parquet (snapshot_date=YYYY-MM-DD) of the three tables for the dates that pass.

    .venv/bin/python bench/baseline_duckdb.py --parquet /tmp/bl/text.full.parquet --out /tmp/bl/out

What it leaves out of the real backfill: openness from other evidence (curated overrides, Epoch, the Hub; none
applies to the synthetic split's ``model-NNNN`` names), canonical model keys and provenance columns, the
row-drop check against the previous published snapshot, the warning-severity expectations and the manifests
and catalog. Two tie-breaks differ from the pipeline on inputs the synthetic split cannot hold: a model given
two different licences on one publish date takes the greatest string (the pipeline: the last in file order),
and the models table is keyed by model name (the pipeline: by canonical key, which may merge aliases).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

LICENCES_CSV = Path(__file__).resolve().parent.parent / "transforms" / "data" / "licences.csv"
BOARD = "text"  # the config the file holds (the parser takes it from the raw file's metadata)
HEADLINE = "overall"
TABLES = ("leaderboard_scores", "open_closed_gap", "models")
CLOSED = "('api_access', 'hosted_no_api', 'unreleased')"
TIERS = "('open_weights_unrestricted', 'open_weights_restricted', 'open_weights_noncommercial', "
TIERS += "'open_weights_licence_unknown', 'api_access', 'hosted_no_api', 'unreleased', 'unknown')"
FOLLOWS_TIER = f"""bool_and(openness_tier IN {TIERS} AND openness IS NOT DISTINCT FROM CASE
    WHEN openness_tier LIKE 'open_weights%' THEN 'open' WHEN openness_tier IN {CLOSED} THEN 'closed' END)"""

SLICE = f"""
CREATE OR REPLACE TEMP TABLE licences AS
SELECT coalesce(license_raw, '') AS license_raw, license_id, tier FROM read_csv($csv, all_varchar = true);
CREATE OR REPLACE TEMP TABLE raw AS  -- typed as extractors/lmarena.py parses it; duplicates keep the best rank
SELECT '{BOARD}' AS board, category, CAST(leaderboard_publish_date AS DATE) AS leaderboard_publish_date,
       model_name, nullif(organization, '') AS organization, nullif(license, '') AS license, rating,
       rating_lower, rating_upper, variance, CAST(vote_count AS BIGINT) AS vote_count, CAST(rank AS BIGINT) AS rank
FROM read_parquet($parquet)
QUALIFY row_number() OVER (PARTITION BY category, leaderboard_publish_date, model_name ORDER BY rank) = 1;
CREATE OR REPLACE TEMP TABLE dates AS SELECT DISTINCT leaderboard_publish_date AS snapshot_date FROM raw;
CREATE OR REPLACE TEMP TABLE on_date AS  -- per date, board and category: the newest board published by then
WITH published AS (SELECT DISTINCT board, category, leaderboard_publish_date FROM raw)
SELECT d.snapshot_date, p.board, p.category, p.leaderboard_publish_date
FROM dates AS d CROSS JOIN (SELECT DISTINCT board, category FROM published) AS g
ASOF JOIN published AS p
  ON p.board = g.board AND p.category = g.category AND d.snapshot_date >= p.leaderboard_publish_date;
CREATE OR REPLACE TEMP TABLE tagged_models AS  -- per date and model: its newest non-empty licence, its tier
WITH named AS (SELECT DISTINCT a.snapshot_date, r.model_name FROM on_date AS a JOIN raw AS r USING
    (board, category, leaderboard_publish_date)),
stated AS (SELECT model_name, leaderboard_publish_date, max(license) AS license FROM raw
           WHERE license IS NOT NULL GROUP BY ALL),
found AS (SELECT n.snapshot_date, n.model_name, s.license AS license_raw
          FROM named AS n ASOF LEFT JOIN stated AS s
            ON s.model_name = n.model_name AND n.snapshot_date >= s.leaderboard_publish_date)
SELECT f.*, coalesce(l.license_id, 'unlisted') AS license_id, coalesce(l.tier, 'unknown') AS openness_tier,
       CASE WHEN l.tier LIKE 'open_weights%' THEN 'open' WHEN l.tier IN {CLOSED} THEN 'closed' END AS openness
FROM found AS f LEFT JOIN licences AS l ON l.license_raw = coalesce(f.license_raw, '');
CREATE OR REPLACE TEMP TABLE leaderboard_scores AS
SELECT a.snapshot_date, r.*, t.license_id, t.openness_tier, t.openness
FROM on_date AS a JOIN raw AS r USING (board, category, leaderboard_publish_date)
JOIN tagged_models AS t ON t.snapshot_date = a.snapshot_date AND t.model_name = r.model_name;
"""


def _best(side: str) -> str:
    pick = f"FILTER (WHERE openness = '{side}' AND side_pos = 1)"
    columns = ("model_name", "model"), ("rank", "rank"), ("rating", "rating"), ("rating_lower", "rating_lower")
    columns += (("rating_upper", "rating_upper"),)
    return ", ".join(f"any_value({c}) {pick} AS best_{side}_{name}" for c, name in columns)


def _top(n: int) -> str:
    size = f"count(*) FILTER (WHERE top_pos <= {n})"
    opened = f"count(*) FILTER (WHERE top_pos <= {n} AND openness = 'open')"
    return f"{opened} AS open_in_top{n}, {size} AS top{n}_size, {opened} / {size} AS open_share_top{n}"


MARTS = f"""
CREATE OR REPLACE TEMP TABLE open_closed_gap AS
WITH ranked AS (
    SELECT *,
        row_number() OVER (PARTITION BY snapshot_date, board, leaderboard_publish_date
                           ORDER BY rating DESC, coalesce(vote_count, 0) DESC, model_name) AS top_pos,
        row_number() OVER (PARTITION BY snapshot_date, board, leaderboard_publish_date, openness
                           ORDER BY rank, rating DESC, model_name) AS side_pos
    FROM leaderboard_scores WHERE category = '{HEADLINE}'),
gap AS (
    SELECT snapshot_date, board, category, leaderboard_publish_date,
           snapshot_date - leaderboard_publish_date AS publish_age_days, count(*) AS n_models,
           {_best("open")}, {_best("closed")}, {_top(10)}, {_top(20)},
           string_agg(model_name, ', ' ORDER BY top_pos) FILTER (WHERE top_pos <= 10 AND openness = 'open')
               AS open_top10_models,
           count(*) FILTER (WHERE top_pos <= 10 AND openness IS NULL) AS unknown_in_top10,
           count(*) FILTER (WHERE top_pos <= 20 AND openness IS NULL) / top20_size AS unknown_share_top20
    FROM ranked GROUP BY ALL)
SELECT *, best_closed_rating - best_open_rating AS score_gap,
       best_open_rating_upper >= best_closed_rating_lower AS gap_within_ci
FROM gap;
CREATE OR REPLACE TEMP TABLE models AS
SELECT t.*, r.lmarena_text_rank, r.n_rows
FROM tagged_models AS t JOIN (
    SELECT snapshot_date, model_name, count(*) AS n_rows,
           min(rank) FILTER (WHERE board = 'text' AND category = 'overall') AS lmarena_text_rank
    FROM leaderboard_scores GROUP BY ALL) AS r USING (snapshot_date, model_name);
"""

LEADERBOARD_KEY = "board, category, leaderboard_publish_date, model_name"
GAP_KEY = "board, category, leaderboard_publish_date"
TOP50 = "board = 'text' AND category = 'overall' AND rank <= 50"
# Per table: check name -> an aggregate over one date's rows, true when the check passes (expectations/suites
# and the contract's generated key / not-null / openness-taxonomy checks, critical severity only).
CHECKS = {
    "leaderboard_scores": {
        "row_count_min_10": "count(*) >= 10",
        "key_unique": f"count(*) = count(DISTINCT ({LEADERBOARD_KEY}))",
        "key_not_null": "bool_and(board IS NOT NULL AND category IS NOT NULL AND leaderboard_publish_date "
        "IS NOT NULL AND model_name IS NOT NULL)",
        "required_not_null": "bool_and(rating IS NOT NULL AND rank IS NOT NULL AND license_id IS NOT NULL)",
        "rating_500_2500": "bool_and(rating BETWEEN 500 AND 2500)",
        "rank_min_1": "bool_and(rank >= 1)",
        "ci_upper_ge_rating": "bool_and(coalesce(rating_upper >= rating, true))",
        "rating_ge_ci_lower": "bool_and(coalesce(rating >= rating_lower, true))",
        "openness_follows_tier": FOLLOWS_TIER,
        "top50_known_95pct": f"count(*) FILTER (WHERE {TOP50} AND openness_tier <> 'unknown') "
        f">= 0.95 * count(*) FILTER (WHERE {TOP50})",
        "top10_all_known": f"count(*) FILTER (WHERE {TOP50} AND rank <= 10 AND openness_tier = 'unknown') = 0",
    },
    "open_closed_gap": {
        "row_count_min_1": "count(*) >= 1",
        "key_unique": f"count(*) = count(DISTINCT ({GAP_KEY}))",
        "key_not_null": "bool_and(board IS NOT NULL AND category IS NOT NULL AND leaderboard_publish_date IS NOT NULL)",
        "unknown_in_top10_is_0": "bool_and(unknown_in_top10 = 0)",
        "unknown_share_top20_max_0.1": "bool_and(unknown_share_top20 BETWEEN 0 AND 0.1)",
        "open_share_top10_in_0_1": "bool_and(open_share_top10 BETWEEN 0 AND 1)",
        "open_share_top20_in_0_1": "bool_and(open_share_top20 BETWEEN 0 AND 1)",
    },
    "models": {
        "row_count_min_5": "count(*) >= 5",
        "key_unique": "count(*) = count(DISTINCT model_name)",
        "key_not_null": "bool_and(model_name IS NOT NULL)",
        "openness_follows_tier": FOLLOWS_TIER,
    },
}
N_CHECKS = sum(map(len, CHECKS.values()))


def _checks_sql() -> str:
    parts = []
    for table, checks in CHECKS.items():
        columns = ", ".join(f'coalesce({sql}, false) AS "{name}"' for name, sql in checks.items())
        parts.append(
            f"SELECT snapshot_date, '{table}' AS tbl, name, ok FROM (UNPIVOT (SELECT snapshot_date, {columns} "
            f"FROM {table} GROUP BY snapshot_date) ON COLUMNS(* EXCLUDE snapshot_date) INTO NAME name VALUE ok)"
        )
    # A date with no rows in a table has none of its checks: counted as failing.
    return f"""
CREATE OR REPLACE TEMP TABLE checks AS {" UNION ALL ".join(parts)};
CREATE OR REPLACE TEMP TABLE verdicts AS
SELECT d.snapshot_date, count(c.ok) FILTER (WHERE c.ok) = {N_CHECKS} AS passed
FROM dates AS d LEFT JOIN checks AS c USING (snapshot_date) GROUP BY ALL;
"""


def run_baseline(
    parquet: Path, out_dir: Path, licences_csv: Path = LICENCES_CSV, *, threads: int | None = None
) -> dict:
    """Slice, build, check and write every publish date of ``parquet`` into ``out_dir``; timings in seconds."""
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    phases: dict[str, float] = {}
    started = time.perf_counter()
    for phase, sql, params in (
        ("slice", SLICE, {"csv": str(licences_csv), "parquet": str(parquet)}),
        ("marts", MARTS, {}),
        ("checks", _checks_sql(), {}),
    ):
        begun = time.perf_counter()
        for statement in filter(str.strip, sql.split(";\n")):
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used or None)
        phases[phase] = round(time.perf_counter() - begun, 3)
    begun = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = {}
    for table in TABLES:
        passing = f"SELECT * FROM {table} WHERE snapshot_date IN (SELECT snapshot_date FROM verdicts WHERE passed)"
        target = (out_dir / table).as_posix().replace("'", "''")
        copy = f"COPY ({passing}) TO '{target}' (FORMAT PARQUET, PARTITION_BY (snapshot_date), OVERWRITE)"
        rows[table] = con.execute(copy).fetchone()[0]  # COPY answers the number of rows written
    phases["write"] = round(time.perf_counter() - begun, 3)
    failed = con.execute("SELECT snapshot_date FROM verdicts WHERE NOT passed ORDER BY 1").fetchall()
    failing = con.execute(
        "SELECT tbl || '.' || name, count(*) FROM checks WHERE NOT ok GROUP BY 1 ORDER BY 1"
    ).fetchall()
    dates = con.execute("SELECT count(*) FROM dates").fetchone()[0]
    return {
        "wall_s": round(time.perf_counter() - started, 3),
        "phases_s": phases,
        "dates": dates,
        "checks_per_date": N_CHECKS,
        "passed": dates - len(failed),
        "failed_dates": [d.isoformat() for (d,) in failed],
        "failed_checks": dict(failing),
        "rows": rows,
    }


def gap_rows(out_dir: Path) -> list[tuple]:
    """The published gap rows: (snapshot_date, board, best open, best closed, open_in_top10, score_gap to 6
    decimals), sorted, to compare with the pipeline's open_closed_gap table."""
    pattern = (out_dir / "open_closed_gap" / "**" / "*.parquet").as_posix()
    return duckdb.execute(
        "SELECT CAST(snapshot_date AS VARCHAR), board, best_open_model, best_closed_model, open_in_top10, "
        "round(score_gap, 6) FROM read_parquet(?, hive_partitioning = true) ORDER BY ALL",
        [pattern],
    ).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parquet", type=Path, required=True, help="an LMArena full split (bench/generate.py)")
    parser.add_argument("--out", type=Path, required=True, help="directory for the partitioned tables")
    parser.add_argument("--licences", type=Path, default=LICENCES_CSV)
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    args = parser.parse_args()
    report = run_baseline(args.parquet, args.out, args.licences, threads=args.threads)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
