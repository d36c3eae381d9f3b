"""Published tables: schemas, deterministic Parquet, atomic snapshot publishing, the DuckDB catalog."""
