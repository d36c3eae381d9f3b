"""One module per source: a thin fetch into the raw store, and a pure ``parse(raw, meta) -> pyarrow.Table``."""

from extractors import epoch, lmarena, lmarena_legacy

# Sources the nightly flow runs, in the order it runs them.
SOURCES = {"lmarena": lmarena, "epoch": epoch}
# Parsers `opengap parse` exposes (the legacy Space tables are parsed, not fetched nightly).
PARSERS = {"lmarena": lmarena, "lmarena-legacy": lmarena_legacy, "epoch": epoch}
