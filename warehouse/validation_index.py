"""``<data>/docs/index.html``: every published snapshot's validation on one page that works offline.

Great Expectations' own Data Docs load their scripts and styles from CDNs (a blank page offline) and show
"Failed" for an expectation we run as a warning. This page is plain HTML written from the manifests: per snapshot
its date, status, and each failed expectation with our severity (``critical`` blocks, ``warning`` does not), the
table and column, the reason the suite gives, and GX's examples; each date links to its full Data Docs.
"""

from __future__ import annotations

import html
from typing import Any

from warehouse.layout import Layout

CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _failure_rows(validation: dict[str, Any]) -> str:
    rows = []
    for failure in validation.get("blocking", []) + validation.get("warnings", []):
        examples = failure.get("examples") or []
        listed = ", ".join(map(str, examples[:5])) + ("…" if len(examples) > 5 else "")
        rows.append(
            "<tr>"
            f'<td class="{html.escape(failure["severity"])}">{html.escape(failure["severity"])}</td>'
            f"<td>{html.escape(str(failure['table']))}.{html.escape(str(failure.get('column') or ''))}</td>"
            f"<td>{html.escape(failure['expectation'])}</td><td>{html.escape(failure.get('why') or '')}</td>"
            f"<td>{html.escape(listed)}</td></tr>"
        )
    return "".join(rows)


def render(manifests: list[dict[str, Any]], latest: str | None) -> str:
    sections = []
    for manifest in sorted(manifests, key=lambda m: m["snapshot_date"], reverse=True):
        validation = manifest["validation"]
        date = manifest["snapshot_date"]
        blocking, warnings = len(validation.get("blocking", [])), len(validation.get("warnings", []))
        status = "passed" if validation.get("success") else "FAILED"
        docs = validation.get("docs_index")
        link = f' <a href="{html.escape(docs.removeprefix("docs/"))}">Data Docs</a>' if docs else ""
        evaluated = sum(t.get("evaluated", 0) for t in validation.get("tables", {}).values())
        table = (
            "<table><tr><th>severity</th><th>table.column</th><th>expectation</th><th>why</th><th>examples</th></tr>"
            f"{_failure_rows(validation)}</table>"
            if blocking + warnings
            else ""
        )
        mark = " (latest)" if date == latest else ""
        sections.append(
            f"<section><h2>{html.escape(date)}{mark}</h2><p>{status}: {evaluated} expectations over "
            f"{len(validation.get('tables', {}))} tables, {blocking} blocking failure(s), {warnings} warning(s); "
            f"run {html.escape(manifest['run_id'])} ({html.escape(manifest['mode'])}).{link}</p>{table}</section>"
        )
    style = (
        "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px;font-size:90%;vertical-align:top}"
        ".critical{color:#b00;font-weight:bold}.warning{color:#a60}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>opengap validation</title>'
        f"<style>{style}</style></head><body><h1>Validation of every published snapshot</h1>"
        "<p>Severity is ours: <b>critical</b> blocks a snapshot (it is quarantined), <b>warning</b> is reported "
        "and the snapshot is published.</p>" + "".join(sections) + "</body></html>"
    )


def write_validation_index(layout: Layout, manifests: list[dict[str, Any]], latest: str | None) -> None:
    layout.storage.write_bytes(layout.path("docs/index.html"), render(manifests, latest).encode())
