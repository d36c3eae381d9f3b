"""The data dictionary: every published table and column with its type, unit, grain and description.

Tables come from their contracts (``transforms.tables.table_specs``: key, description, what "as of" means, the
values a column may take); column units and descriptions from ``opengap/data/columns.csv`` (one row per column,
reviewed with the code). The same text reaches every place a reader looks: ``docs/data-dictionary.md``, the
Parquet field metadata (``description``, ``unit``), DuckDB ``COMMENT ON`` in the catalog, and the CSV exports.
``tests/test_dictionary.py`` fails when a column lacks a description or the document drifts from the code.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pyarrow as pa

from opengap.contracts import TableSpec

COLUMNS_FILE = Path(__file__).resolve().parents[1] / "opengap" / "data" / "columns.csv"
DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
SNAPSHOT_DATE = ("snapshot_date", "date (UTC)", "The snapshot the row belongs to (the Hive partition of its file).")


@cache
def columns() -> dict[tuple[str, str], tuple[str, str]]:
    """(table, column) -> (unit, description)."""
    with COLUMNS_FILE.open(newline="", encoding="utf-8") as fh:
        return {(r["table"], r["column"]): (r["unit"], r["description"]) for r in csv.DictReader(fh)}


def undocumented(specs: dict[str, TableSpec]) -> list[str]:
    """``table.column`` of every published column without a description."""
    known = columns()
    return [f"{n}.{f.name}" for n, s in specs.items() for f in s.schema if not known.get((n, f.name), ("", ""))[1]]


def described(table: pa.Table, name: str) -> pa.Table:
    """``table`` with each field's description and unit in its Parquet metadata (what pyarrow, DuckDB and pandas
    readers show)."""
    known = columns()
    fields = []
    for field in table.schema:
        unit, text = known.get((name, field.name), ("", ""))
        metadata = {"description": text, **({"unit": unit} if unit else {})} if text else None
        fields.append(field.with_metadata(metadata) if metadata else field)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def comments(name: str, spec: TableSpec) -> list[str]:
    """DuckDB ``COMMENT ON`` statements for the view of ``name`` (BI tools list these beside the columns)."""

    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    statements = [f"COMMENT ON VIEW {name} IS {quoted(spec.description)};"]
    for field in spec.schema:
        unit, text = columns().get((name, field.name), ("", ""))
        if text:
            labelled = f"{text} [{unit}]" if unit else text
            statements.append(f"COMMENT ON COLUMN {name}.{field.name} IS {quoted(labelled)};")
    return statements


def markdown(specs: dict[str, TableSpec]) -> str:
    """``docs/data-dictionary.md``: one section per table, in name order."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from the table contracts and `opengap/data/columns.csv` by `opengap dictionary`; "
        "`tests/test_dictionary.py` fails when it drifts. Every table also has `snapshot_date` (the Hive partition) "
        "and the provenance columns `source`, `source_url`, `retrieved_at`, `raw_sha256`.",
        "",
    ]
    for name in sorted(specs):
        spec = specs[name]
        lines += [
            f"## `{name}`",
            "",
            spec.description,
            "",
            f"- **Grain (key):** {', '.join(f'`{k}`' for k in spec.key)}",
            f"- **What you should know (as of the snapshot date):** {spec.as_of}",
            "",
            "| column | type | unit | description |",
            "|---|---|---|---|",
        ]
        for field in spec.schema:
            unit, text = columns().get((name, field.name), ("", ""))
            allowed = spec.values.get(field.name)
            text += f" One of: {', '.join(f'`{v}`' for v in allowed)}." if allowed else ""
            required = "" if field.nullable else ", not null"
            lines.append(f"| `{field.name}` | {field.type}{required} | {unit} | {text.replace('|', '/')} |")
        lines += [f"| `{SNAPSHOT_DATE[0]}` | date32[day], not null | {SNAPSHOT_DATE[1]} | {SNAPSHOT_DATE[2]} |", ""]
    return "\n".join(lines)
