"""Epoch AI's model registry: ``notable_ai_models.csv`` and ``all_ai_models.csv`` (CC-BY-4.0).

Handled drift (FORMATS.md section 2): the name column was ``System`` before 2024-12 and ``Model`` after;
the accessibility vocabulary changed (mapped in transforms/data/epoch_accessibility.csv); column order and
the country column's name vary; many cells hold embedded newlines, so only a real CSV parser is used.
"""

from __future__ import annotations

import csv
import io
import logging

import pyarrow as pa
import pyarrow.csv as pacsv
import requests

from extractors.base import (
    Columns,
    blank_to_none,
    decode_text,
    header_line,
    only_parse_errors,
    to_float,
    typed,
)
from extractors.http import fetch_to_store
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap.contracts import IDENTITY_FIELDS, MAX_ROW_DROP, OPENNESS_FIELDS, PROVENANCE_FIELDS, TableSpec, row_fields
from opengap.errors import ParseError
from opengap.source import RECONSTRUCTED, AsOf, ModelRows, Registry, Source

log = logging.getLogger(__name__)

NAME = "epoch"
HOMEPAGE = "https://epoch.ai/data/ai-models"
LICENSE = "CC-BY-4.0"
FILES = {"notable": "notable_ai_models.csv", "all": "all_ai_models.csv"}
BASE_URL = "https://epoch.ai/data/"
NAME_COLUMNS = ("Model", "System")
REQUIRED = ("Organization", "Publication date", "Model accessibility")
COUNTRY_COLUMNS = ("Country (from Organization)", "Country (of organization)")
COLUMNS = Columns(
    required=REQUIRED,
    optional=("Domain", "Parameters", "Training compute (FLOP)", "Link"),
    # The name and country columns were renamed over time (either spelling will do); `Frontier model` is
    # absent from all_ai_models and large_scale_ai_models; the rest is served and not read. Union of the
    # captured 2024-07 to 2025-05 files.
    known=(
        *NAME_COLUMNS,
        *COUNTRY_COLUMNS,
        "Frontier model",
        "Abstract",
        "Accessibility notes",
        "Approach",
        "Archived links",
        "Authors",
        "Base model",
        "Batch size",
        "Batch size notes",
        "Benchmark data",
        "Citations",
        "Compute cost notes",
        "Confidence",
        "Dataset size notes",
        "Epochs",
        "Finetune compute (FLOP)",
        "Finetune compute notes",
        "Foundation model",
        "Hardware quantity",
        "Hardware utilization",
        "Inference code accessibility",
        "Last modified",
        "Notability criteria",
        "Notability criteria notes",
        "Organization categorization",
        "Organization categorization (from Organization)",
        "Parameters notes",
        "Reference",
        "Task",
        "Training cloud compute vendor",
        "Training code accessibility",
        "Training compute cost (2023 USD)",
        "Training compute estimation method",
        "Training compute lower bound",
        "Training compute notes",
        "Training compute upper bound",
        "Training data center",
        "Training dataset",
        "Training dataset notes",
        "Training dataset size (datapoints)",
        "Training hardware",
        "Training power draw (W)",
        "Training time (hours)",
        "Training time notes",
    ),
)
KEY = ("epoch_dataset", "model")

SCHEMA = pa.schema(
    [
        pa.field("epoch_dataset", pa.string(), nullable=False),  # notable | all | large_scale
        pa.field("model", pa.string(), nullable=False),
        pa.field("organization", pa.string()),
        pa.field("publication_date", pa.date32()),
        pa.field("domain", pa.string()),
        pa.field("parameters", pa.float64()),
        pa.field("training_compute_flop", pa.float64()),
        pa.field("model_accessibility", pa.string()),
        pa.field("country", pa.string()),
        pa.field("frontier_model", pa.bool_()),  # only in notable files from 2024-12; null elsewhere
        pa.field("link", pa.string()),
        *PROVENANCE_FIELDS,
    ]
)


def fetch(
    session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
) -> list[RawFile]:
    """Store both registry files. The registry has no history endpoint, so ``history`` fetches the same files;
    backfills cut them to each date by publication date (``as_of_method = reconstructed``)."""
    return [
        fetch_to_store(
            session,
            store,
            source=NAME,
            snapshot_date=snapshot_date,
            file=name,
            url=BASE_URL + name,
            params={"epoch_dataset": dataset},
            refresh=refresh,
            expect="csv",
        )
        for dataset, name in FILES.items()
    ]


def dataset_of(meta: RawMeta) -> str:
    if meta.params.get("epoch_dataset"):
        return str(meta.params["epoch_dataset"])
    for dataset in ("notable", "large_scale", "all"):
        if dataset in meta.file:
            return dataset
    raise ParseError(f"{meta.file}: cannot tell which Epoch dataset this is (notable/all/large_scale)")


def _first_present(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in columns), None)


def _header(raw: bytes, meta: RawMeta) -> list[str]:
    """The column names, read with Python's csv module so every column can be typed as text for pyarrow."""
    where = f"epoch file {meta.file} ({meta.url})"
    # The whole file, not only the header: pyarrow's own check lets encoded surrogates (b"\xed\xa0\x80") through.
    line = header_line(decode_text(raw, where, "a readable CSV"), where)
    try:
        return next(csv.reader([line]), [])
    except csv.Error as exc:
        raise ParseError(f"{where}: the header line is not valid CSV: {exc}") from exc


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per named model. Rows without a name are dropped; a repeated name keeps its newest row."""
    header = _header(raw, meta)
    try:
        csv_table = pacsv.read_csv(
            io.BytesIO(raw),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            # Everything as text: Epoch mixes '405000000000.0', '3.8e+25' and '' in one column.
            convert_options=pacsv.ConvertOptions(
                strings_can_be_null=False, column_types=dict.fromkeys(header, pa.string())
            ),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
        )
    except pa.ArrowInvalid as exc:
        raise ParseError(f"epoch file {meta.file} ({meta.url}) is not a readable CSV (truncated?): {exc}") from exc
    columns = csv_table.column_names
    name_col = _first_present(columns, NAME_COLUMNS)
    if name_col is None:
        Columns(("Model",)).check(columns, meta)
    drift = COLUMNS.check(columns, meta)
    country_col = _first_present(columns, COUNTRY_COLUMNS)
    records = csv_table.to_pylist()
    dataset = dataset_of(meta)
    rows: dict[str, dict] = {}
    dropped_blank = 0
    for n, rec in enumerate(records, start=1):
        model = blank_to_none(rec[name_col])
        if model is None:
            dropped_blank += 1
            continue
        published = blank_to_none(rec["Publication date"])
        frontier = rec.get("Frontier model")
        row = {
            "epoch_dataset": dataset,
            "model": model,
            "organization": blank_to_none(rec["Organization"]),
            "publication_date": published,
            "domain": blank_to_none(rec.get("Domain")),
            # Optional metrics: non-finite values ("inf", 1e400) become null with a WARNING (extractors/base.py).
            "parameters": to_float(rec.get("Parameters"), meta=meta, column="Parameters", at=f"data row {n} ({model})"),
            "training_compute_flop": to_float(
                rec.get("Training compute (FLOP)"),
                meta=meta,
                column="Training compute (FLOP)",
                at=f"data row {n} ({model})",
            ),
            "model_accessibility": blank_to_none(rec["Model accessibility"]),
            "country": blank_to_none(rec.get(country_col)) if country_col else None,
            "frontier_model": None if frontier is None else frontier.strip().lower() == "true",
            "link": blank_to_none(rec.get("Link")),
        }
        previous = rows.get(model)
        if previous is None or (published or "") > (previous["publication_date"] or ""):
            rows[model] = row
    if dropped_blank or len(rows) + dropped_blank != len(records):
        log.info(
            "%s: dropped %d unnamed rows, merged %d repeated names",
            meta.file,
            dropped_blank,
            len(records) - dropped_blank - len(rows),
        )
    if not rows:
        raise ParseError(f"epoch file {meta.file} holds no model rows")
    table = pa.Table.from_pylist(sorted(rows.values(), key=lambda r: r["model"]))
    try:
        table = table.set_column(
            table.schema.get_field_index("publication_date"),
            "publication_date",
            table["publication_date"].cast(pa.string()).cast(pa.date32()),
        )
    except pa.ArrowInvalid as exc:
        raise ParseError(f"epoch file {meta.file}: 'Publication date' is not YYYY-MM-DD: {exc}") from exc
    return typed(table, meta, SCHEMA, drift)


TABLE = TableSpec(
    "epoch_models",
    pa.schema(
        [
            *row_fields(SCHEMA),
            *IDENTITY_FIELDS,
            # as_retrieved: the registry file as fetched on or before the snapshot date; reconstructed: a later
            # file cut to the models published on or before the snapshot date (backfills).
            pa.field("as_of_method", pa.string(), nullable=False),
            *OPENNESS_FIELDS,
            *PROVENANCE_FIELDS,
        ]
    ),
    KEY,
    "Epoch AI model registry (notable and all models) with the tier its accessibility gives.",
    as_of="the Epoch registry file as retrieved if retrieved on or before the snapshot date "
    "(as_of_method=as_retrieved); otherwise models with publication_date on or before the snapshot date "
    "(as_of_method=reconstructed)",
    values={"epoch_dataset": ("notable", "all", "large_scale"), "as_of_method": ("as_retrieved", "reconstructed")},
    max_row_drop=MAX_ROW_DROP,
)

SOURCE = Source(
    name=NAME,
    title="Epoch AI",
    what="`notable_ai_models.csv`, `all_ai_models.csv`: the model registry, with accessibility",
    homepage=HOMEPAGE,
    license=LICENSE,
    parse=parse,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(RECONSTRUCTED, "publication_date"),
    models=ModelRows(
        name="model",
        organization="organization",
        registry=Registry(
            name="model",
            accessibility="model_accessibility",
            preferred=("epoch_dataset", "notable"),
            newest="publication_date",
        ),
        attributes={
            "model_name": ("model", 0),
            "organization": ("organization", 3),
            "release_date": ("publication_date", 0),
            "parameters": ("parameters", 0),
            "epoch_model": ("model", 0),
            "epoch_accessibility": ("model_accessibility", 0),
        },
        dimension_columns=(pa.field("epoch_model", pa.string()), pa.field("epoch_accessibility", pa.string())),
    ),
)
