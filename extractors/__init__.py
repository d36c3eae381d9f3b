"""One module per source: a thin fetch into the raw store, a pure ``parse(raw, meta) -> pyarrow.Table``, and the
source's declaration (``SOURCE``). ``extractors.registry`` lists them; importing this package loads none."""
