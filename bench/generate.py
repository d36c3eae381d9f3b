"""Write a synthetic LMArena `full` split at real scale, in the real file's schema and dtypes.

Real `text/full-00000-of-00001.parquet` (FORMATS.md §9, 2026-10): 1,168,522 rows, 247 publish dates from
2023-05-08, 29 categories (only `overall` until 2024-03-26), rank and vote_count stored as float64, licence
strings from the real vocabulary. Model counts grow over time as they did on the arena.

    python bench/generate.py --rows 1200000 --dates 250 --out bench/out/text.full.parquet
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CATEGORIES = [
    "overall",
    "english",
    "exclude_ties",
    "coding",
    "hard_prompts_english",
    "multi_turn",
    "instruction_following",
    "longer_query",
    "chinese",
    "math",
    "hard_prompts",
    "creative_writing",
    "russian",
    "german",
    "french",
    "spanish",
    "japanese",
    "korean",
    "industry_software_and_it_services",
    "industry_life_and_physical_and_social_science",
    "industry_writing_and_literature_and_language",
    "industry_entertainment_and_sports_and_media",
    "industry_business_and_management_and_financial_operations",
    "industry_mathematical",
    "industry_legal_and_government",
    "industry_medicine_and_healthcare",
    "expert",
    "non_english",
    "polish",
]
# Licence mix of the real text board: mostly proprietary, a spread of open licences, a rare blank.
LICENCES = ["Proprietary"] * 60 + ["Apache 2.0"] * 10 + ["MIT"] * 8 + ["Llama 3.1 Community"] * 6 + ["Gemma"] * 5
LICENCES += ["Qwen"] * 5 + ["DeepSeek"] * 5 + [""]
ORGS = ["openai", "anthropic", "google", "meta", "mistral", "alibaba", "deepseek", "xai", "zai", "LMSYS"]
CATEGORIES_FROM = dt.date(2024, 3, 26)


def generate(rows: int, dates: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    first, last = dt.date(2023, 5, 8), dt.date(2026, 10, 2)
    step = (last - first) / (dates - 1)
    days = [first + step * i for i in range(dates)]
    n_cats = [1 if d < CATEGORIES_FROM else len(CATEGORIES) for d in days]
    # Models on the board grow linearly; scale so the total matches `rows`.
    weights = np.linspace(1.0, 10.0, dates) * np.array(n_cats)
    per_board = np.maximum(5, np.round(weights / weights.sum() * rows / np.array(n_cats))).astype(int)
    pool = max(per_board) + 50
    licences = rng.choice(LICENCES, size=pool)
    orgs = rng.choice(ORGS, size=pool)
    strength = rng.normal(1200, 80, size=pool)
    columns: dict[str, list] = {
        k: []
        for k in (
            "model_name",
            "organization",
            "license",
            "rating",
            "rating_lower",
            "rating_upper",
            "variance",
            "vote_count",
            "rank",
            "category",
            "leaderboard_publish_date",
        )
    }
    for i, day in enumerate(days):
        models = np.arange(per_board[i]) + int(i * (pool - per_board[i]) / dates)  # the board drifts to newer models
        for category in CATEGORIES[: n_cats[i]]:
            rating = strength[models] + rng.normal(0, 15, size=len(models)) + i * 0.8
            order = np.argsort(-rating)
            variance = rng.uniform(4, 60, size=len(models))
            half = 1.96 * np.sqrt(variance)
            columns["model_name"] += [f"model-{m:04d}" for m in models[order]]
            columns["organization"] += list(orgs[models[order]])
            columns["license"] += list(licences[models[order]])
            columns["rating"] += list(rating[order])
            columns["rating_lower"] += list(rating[order] - half[order])
            columns["rating_upper"] += list(rating[order] + half[order])
            columns["variance"] += list(variance[order])
            columns["vote_count"] += list(rng.integers(500, 60000, size=len(models)).astype(float))
            columns["rank"] += list(np.arange(1, len(models) + 1, dtype=float))
            columns["category"] += [category] * len(models)
            columns["leaderboard_publish_date"] += [day.isoformat()] * len(models)
    return pa.table(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_200_000)
    parser.add_argument("--dates", type=int, default=250)
    parser.add_argument("--out", type=Path, default=Path("bench/out/text.full.parquet"))
    args = parser.parse_args()
    table = generate(args.rows, args.dates)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, args.out, compression="snappy")
    print(f"wrote {table.num_rows} rows, {len(set(table['leaderboard_publish_date'].to_pylist()))} dates to {args.out}")


if __name__ == "__main__":
    main()
