"""One module per source: a thin fetch into the raw store, and a pure ``parse(raw, meta) -> pyarrow.Table``."""
