"""The data dictionary: every published column described, the document in step with the code, and the same text
in the Parquet field metadata and the catalog's comments."""

from __future__ import annotations

from transforms.tables import table_specs
from warehouse import dictionary
from warehouse.catalog import connect
from warehouse.layout import Layout


def test_every_published_column_has_a_description() -> None:
    assert dictionary.undocumented(table_specs()) == []
    listed = set(dictionary.columns())
    published = {(n, f.name) for n, s in table_specs().items() for f in s.schema}
    assert listed == published, f"columns.csv lists columns no table has: {sorted(listed - published)[:5]}"


def test_the_document_is_generated_from_the_contracts() -> None:
    text = dictionary.DOCUMENT.read_text(encoding="utf-8")
    assert text == dictionary.markdown(table_specs()), "run `opengap dictionary` and commit docs/data-dictionary.md"
    assert "## `funding_by_openness_year`" in text and "| `total_usd` | int64 | USD |" in text


def test_descriptions_reach_parquet_and_the_catalog(tmp_path, tables_for) -> None:
    from test_publish import _publish

    layout = Layout(tmp_path)
    _publish(layout, "2025-01-06", tables_for("2025-01-06"))
    import pyarrow.parquet as pq

    gap = next((tmp_path / "warehouse" / "open_closed_gap").rglob("*.parquet"))
    field = pq.read_schema(gap).field("score_gap")
    unit, text = dictionary.columns()[("open_closed_gap", "score_gap")]
    assert field.metadata[b"description"].decode() == text and field.metadata[b"unit"].decode() == unit
    con = connect(layout, layout.catalog_path, read_only=True)
    comment = con.execute(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'open_closed_gap' AND column_name = 'score_gap'"
    ).fetchone()[0]
    view = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'open_closed_gap'").fetchone()[0]
    con.close()
    assert comment == f"{text} [{unit}]" and view == table_specs()["open_closed_gap"].description
