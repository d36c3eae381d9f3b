"""One source, one place: the registry drives the flow, the CLI, the manifest and the README, and the packages
import one way only."""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from extractors import registry
from opengap.cli import app, registry_markdown

PACKAGES = ("opengap", "extractors", "transforms", "expectations", "warehouse", "flows", "bench")
# The data flows top to bottom: a module may import its own layer or one above it in this list, never below.
LAYERS = ("opengap", "extractors", "transforms", "expectations", "warehouse", "flows", "opengap.cli", "bench")


def _layer(module: str) -> int:
    if module == "opengap.cli":
        return LAYERS.index("opengap.cli")
    return LAYERS.index(module.split(".")[0])


def _python_files():
    for package in PACKAGES:
        yield from sorted((REPO / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def test_packages_import_one_way_only():
    upward = []
    for path in _python_files():
        module = _module_name(path)
        for imported in _imports(path):
            if _layer(imported) > _layer(module):
                upward.append(f"{module} imports {imported}")
    assert upward == []


def test_importing_the_raw_store_loads_no_source():
    import subprocess
    import sys

    code = "import sys, extractors.raw_store; print(sorted(m for m in sys.modules if m.startswith('extractors.')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['extractors.raw_store']"


def test_no_code_names_a_source_outside_its_own_module():
    names = {n for s in registry.sources().values() for n in (s.name, s.cli_name)}
    # The short label of registry evidence in published summaries ("epoch=Open weights (unrestricted)") is a
    # value of the openness vocabulary, not a reference to the source; the benchmark is about one source.
    allowed = {("transforms/evidence.py", "epoch")}
    found = []
    for path in _python_files():
        if path.parent.name == "bench":
            continue
        if path.parent.name == "extractors" and path.stem in {*names, "registry"}:
            continue  # a source's own module, and its registry line
        for node in ast.walk(ast.parse(path.read_text())):
            where = (str(path.relative_to(REPO)), getattr(node, "value", None))
            if isinstance(node, ast.Constant) and node.value in names and where not in allowed:
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.value!r}")
    assert found == []


def test_every_source_module_is_registered():
    declared = [
        p.stem
        for p in (REPO / "extractors").glob("*.py")
        if p.stem != "registry" and "SOURCE = Source(" in p.read_text(encoding="utf-8")
    ]
    assert sorted(declared) == sorted(registry.MODULES)
    assert [s.name for s in registry.sources().values()] == list(registry.MODULES)


def test_readme_source_table_is_the_registry():
    assert registry_markdown() in (REPO / "README.md").read_text(encoding="utf-8")


def test_sources_command_lists_every_source():
    result = CliRunner().invoke(app, ["sources", "--markdown"])
    assert result.exit_code == 0
    for source in registry.sources().values():
        assert source.cli_name in result.output


TOY_MODULE = '''
"""A toy leaderboard: one CSV of (model, score)."""
import csv, io
import pyarrow as pa
from extractors.base import provenance_arrays
from opengap.contracts import PROVENANCE_FIELDS, TableSpec, row_fields
from opengap.source import CURRENT_STATE, AsOf, Source

SCHEMA = pa.schema([pa.field("model", pa.string(), nullable=False), pa.field("score", pa.float64()),
                    *PROVENANCE_FIELDS])


def parse(raw, meta):
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    table = pa.Table.from_pylist([{"model": r["model"], "score": float(r["score"])} for r in rows],
                                 schema=pa.schema(row_fields(SCHEMA)))
    for name, array in provenance_arrays(meta, table.num_rows).items():
        table = table.append_column(name, array)
    return table


def fetch(session, store, snapshot_date, *, refresh=False, history=False):
    raise NotImplementedError("the toy source is only replayed")


SOURCE = Source(
    name="toy_board", title="Toy Board", what="a toy", homepage="https://example.invalid", license="CC0",
    parse=parse, fetch=fetch, as_of=AsOf(CURRENT_STATE),
    table=TableSpec("toy_scores", SCHEMA, ("model",), "Toy scores.", as_of="the toy file as retrieved"),
)
'''


@pytest.mark.usefixtures("prefect_harness")
def test_a_new_source_is_one_module_one_suite_one_fixture(tmp_path, monkeypatch):
    from expectations import validate
    from extractors.raw_store import RawStore
    from flows.nightly import nightly
    from warehouse.layout import Layout
    from warehouse.publish import load_manifest

    module_path = tmp_path / "toy_board.py"
    module_path.write_text(TOY_MODULE)
    spec = importlib.util.spec_from_file_location("toy_board", module_path)
    toy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(toy)
    suites = tmp_path / "suites"  # the hand-written part of its suite: a row-count floor
    shutil.copytree(validate.SUITES_DIR, suites)
    floor = {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 2}, "severity": "critical"}
    (suites / "toy_scores.json").write_text(json.dumps({"name": "toy_scores", "expectations": [floor]}))
    monkeypatch.setattr(validate, "SUITES_DIR", suites)
    archive = tmp_path / "archive"
    content = b"model,score\nalpha,1.5\nbeta,2.5\n"
    RawStore(archive / "raw").write("toy_board", "2026-10-02", "toy.csv", content, url="https://example.invalid/toy")

    registry.register(toy.SOURCE)
    try:
        assert "(`toy-board`)" in CliRunner().invoke(app, ["sources", "--markdown"]).output
        outcome = nightly(
            offline=True, raw_archive=str(archive), data_dir=str(tmp_path / "data"), sources=["toy_board"]
        )
    finally:
        registry.unregister("toy_board")
    manifest = load_manifest(Layout(tmp_path / "data"))
    assert outcome.published and manifest["tables"]["toy_scores"]["rows"] == 2
    assert manifest["as_of"] == {"toy_scores": "the toy file as retrieved"}
    assert manifest["sources"]["toy_board"]["title"] == "Toy Board"
    checks = manifest["validation"]["tables"]["toy_scores"]
    # generated: key unique, not-null model and the four provenance columns; written: the row-count floor
    assert checks == {"evaluated": 7, "failed": 0}
