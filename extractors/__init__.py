"""One module per source: a thin fetch into the raw store, and a pure ``parse(raw, meta) -> pyarrow.Table``."""

from extractors import artificial_analysis, epoch, lmarena, lmarena_legacy, open_llm_leaderboard, openrouter

# Sources the nightly flow runs, in the order it runs them.
SOURCES = {
    "lmarena": lmarena,
    "epoch": epoch,
    "artificial_analysis": artificial_analysis,
    "openrouter": openrouter,
    "open_llm_leaderboard": open_llm_leaderboard,
}
# Parsers `opengap parse` exposes (the legacy Space tables are parsed, not fetched nightly).
PARSERS = {
    "lmarena": lmarena,
    "lmarena-legacy": lmarena_legacy,
    "epoch": epoch,
    "artificial-analysis": artificial_analysis,
    "openrouter": openrouter,
    "open-llm-leaderboard": open_llm_leaderboard,
}
