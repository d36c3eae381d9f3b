"""Run the file-based Great Expectations suites on a snapshot's tables.

Severity decides what a failure does: ``critical`` blocks publishing (the snapshot is quarantined),
``warning`` ships and is recorded in the manifest. Data Docs (HTML) are built into the folder given.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
import pyarrow as pa
from great_expectations.core import ExpectationSuite
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from expectations import generated
from opengap.errors import OpengapError
from transforms.tables import table_specs

log = logging.getLogger(__name__)

SUITES_DIR = Path(__file__).resolve().parent / "suites"
BLOCKING = "critical"


@dataclass
class Failure:
    table: str
    expectation: str
    column: str | None
    severity: str
    why: str
    observed: Any = None
    unexpected_count: int | None = None
    examples: list[Any] | None = None  # GX's partial list of the offending (or missing) values


@dataclass
class ValidationReport:
    success: bool  # no blocking failure
    tables: dict[str, dict[str, int]] = field(default_factory=dict)  # evaluated / failed per table
    blocking: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    docs_index: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        status = "passed" if self.success else "FAILED"
        return f"{status}: {len(self.blocking)} blocking failure(s), {len(self.warnings)} warning(s)"


def load_suite(table: str) -> dict[str, Any]:
    """The table's suite: what its contract implies (``expectations/generated.py``), then the hand-written
    checks of ``suites/<table>.json`` where the table has that file."""
    specs = table_specs()
    if table not in specs:
        raise OpengapError(f"no contract for table {table!r}: declare it in its source module or transforms/tables.py")
    path = SUITES_DIR / f"{table}.json"
    written = json.loads(path.read_text()) if path.is_file() else {"name": table, "expectations": []}
    return {**written, "expectations": [*generated.expectations(specs[table]), *written["expectations"]]}


def _context(docs_dir: Path | None) -> Any:
    sites = {}
    if docs_dir is not None:
        sites["snapshot"] = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites=sites,
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


class _DocsCheckpoints:
    """A GX context with one checkpoint per table whose runs update the Data Docs site in ``docs_dir``."""

    def __init__(self, suites: dict[str, dict[str, Any]], docs_dir: Path) -> None:
        self.ctx = _context(docs_dir)
        source = self.ctx.data_sources.add_pandas("snapshot")
        self.checkpoints: dict[str, Any] = {}
        for name, content in suites.items():
            suite = self.ctx.suites.add(ExpectationSuite(**content))
            batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
            definition = self.ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite)
            )
            self.checkpoints[name] = self.ctx.checkpoints.add(
                gx.Checkpoint(
                    name=f"{name}_checkpoint",
                    validation_definitions=[definition],
                    result_format={"result_format": "BASIC"},
                )
            )

    def run(self, name: str, frame: pd.DataFrame) -> list:
        result = self.checkpoints[name].run(batch_parameters={"dataframe": frame})
        return [r for run in result.run_results.values() for r in run.results]

    def build_docs(self) -> None:
        """The site, once every table is validated: an UpdateDataDocsAction per checkpoint rebuilt the whole site
        after each table, two thirds of a snapshot's validation time."""
        self.ctx.build_data_docs(site_names=["snapshot"])


class Runner:
    """One GX context per thread (GX objects are not shared between threads), with a suite and a batch
    definition per suite content, built once: building them costs more than running them. Runs without Data
    Docs use it (backfills, the dates validated together of expectations/batched.py): GX's ``Batch.validate``,
    not a checkpoint, since a checkpoint's run also checks that its definitions are saved and stores every
    result, about 13% of a stacked run's cost for nothing these runs read."""

    MAX_SUITES = 500  # a long-lived process (`opengap serve`) starts afresh past this many suite versions

    def __init__(self) -> None:
        self.ctx = _context(None)
        self.source = self.ctx.data_sources.add_pandas("dates")
        self.suites: dict[str, tuple[ExpectationSuite, Any]] = {}

    def run(self, expectations: list[dict[str, Any]], frame: pd.DataFrame, result_format: dict[str, Any]) -> list:
        # Keyed on the content, so an edited suite (or a test's copy) is never served stale.
        key = json.dumps(expectations, sort_keys=True, default=str)
        if key not in self.suites:
            name = f"s{len(self.suites)}"
            suite = self.ctx.suites.add(ExpectationSuite(name=name, expectations=expectations))
            self.suites[key] = (
                suite,
                self.source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole"),
            )
        suite, definition = self.suites[key]
        batch = definition.get_batch(batch_parameters={"dataframe": frame})
        return list(batch.validate(suite, result_format=result_format).results)


_local = threading.local()


def runner() -> Runner:
    """This thread's Runner."""
    current = getattr(_local, "runner", None)
    if current is None or len(current.suites) > Runner.MAX_SUITES:
        current = _local.runner = Runner()
    return current


def _sorted(values: list[Any] | None) -> list[Any] | None:
    """GX lists missing values in set order, which differs between processes; the manifest's order must not."""
    return None if values is None else sorted(values, key=str)


def failures_of(table: str, results: list[Any]) -> list[Failure]:
    """The failed expectations among GX's ``results`` for ``table``, by expectation and column (GX's own order
    depends on which expectations run together); an expectation that raised is logged too."""
    found = []
    for res in results:
        if res.success:
            continue
        cfg = res.expectation_config
        found.append(
            Failure(
                table=table,
                expectation=cfg.type,
                column=cfg.kwargs.get("column") or ",".join(cfg.kwargs.get("column_list", [])) or None,
                severity=str(getattr(cfg.severity, "value", cfg.severity)),
                why=(cfg.meta or {}).get("why", ""),
                observed=_json_safe(res.result.get("observed_value")),
                unexpected_count=res.result.get("unexpected_count", res.result.get("missing_count")),
                examples=_json_safe(
                    res.result.get("partial_unexpected_list") or _sorted(res.result.get("partial_missing_list"))
                ),
            )
        )
        if res.exception_info and res.exception_info.get("raised_exception"):
            log.error("expectation %s on %s raised: %s", cfg.type, table, res.exception_info.get("exception_message"))
    return sorted(found, key=lambda f: (f.expectation, f.column or "", f.why))


def validate_tables(
    tables: dict[str, pa.Table],
    docs_dir: Path | None = None,
    extra: dict[str, list[dict[str, Any]]] | None = None,
) -> ValidationReport:
    """Validate each table against its suite (generated from its contract, plus ``suites/<table>.json``, plus
    ``extra`` expectations of this run, such as the row-count floor from the previous snapshot)."""
    suites = {}
    for name in sorted(tables):
        suite = load_suite(name)  # a clear error for a table without a contract
        suites[name] = {**suite, "expectations": [*suite["expectations"], *(extra or {}).get(name, [])]}
    with_docs = _DocsCheckpoints(suites, docs_dir) if docs_dir is not None else None
    report = ValidationReport(success=True)
    for name in sorted(tables):
        frame: pd.DataFrame = tables[name].to_pandas()
        if with_docs is not None:
            results = with_docs.run(name, frame)
        else:
            results = runner().run(suites[name]["expectations"], frame, {"result_format": "BASIC"})
        failures = failures_of(name, results)
        for failure in failures:
            (report.blocking if failure.severity == BLOCKING else report.warnings).append(failure)
        report.tables[name] = {"evaluated": len(suites[name]["expectations"]), "failed": len(failures)}
    report.success = not report.blocking
    if with_docs is not None:
        with_docs.build_docs()
    if docs_dir is not None and (docs_dir / "index.html").is_file():
        report.docs_index = str(docs_dir / "index.html")
    return report
