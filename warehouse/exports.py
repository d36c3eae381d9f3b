"""CSV exports of each published snapshot's marts, with the data dictionary beside them (as OWID ships CSV and
metadata): ``<data>/exports/<date>/<table>.csv`` and ``data-dictionary.md``, for readers without a Parquet
reader. Staged with the snapshot and moved in by its commit, so they always match the published tables.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pacsv

from transforms.tables import MARTS, table_specs
from warehouse.dictionary import markdown
from warehouse.layout import Layout


def stage_exports(layout: Layout, run_id: str, tables: dict[str, pa.Table]) -> list[str]:
    """Write the marts of ``tables`` as CSV (header row, UTF-8) and the dictionary of those tables into the run's
    staging folder; return the file names."""
    folder = f"{layout.staging(run_id)}/exports"
    written = []
    for name in [n for n in MARTS if n in tables]:
        buffer = io.BytesIO()
        pacsv.write_csv(tables[name], buffer)
        layout.storage.write_bytes(f"{folder}/{name}.csv", buffer.getvalue())
        written.append(f"{name}.csv")
    specs = table_specs()
    exported = {n: specs[n] for n in MARTS if n in tables}
    layout.storage.write_bytes(f"{folder}/data-dictionary.md", markdown(exported).encode())
    return [*written, "data-dictionary.md"]
