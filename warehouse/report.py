"""The report people look at: one self-contained HTML file with inline SVG charts, each with a one-line takeaway
computed from the data. It reads the catalog (every published snapshot), so it needs no request to any host when
opened: no script, no font, no image from elsewhere (its Content-Security-Policy forbids them too).

Charts: the best open vs best closed rating per leaderboard over time (with the 95% bands where the board gives
them), the gap in points, open models' share of the top 10, how many months behind open models are
(``open_closed_lag``), adoption per family, and funding by openness per year.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from warehouse.catalog import connect, has_view
from warehouse.layout import Layout

WIDTH, HEIGHT, PAD = 720, 260, 48
COLOURS = {"open": "#1b9e77", "closed": "#d95f02", "mixed": "#7570b3", "unclassified": "#999999"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _scale(values: Sequence[float], lo_px: float, hi_px: float) -> tuple[float, float, Callable[[float], float]]:
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return lo, hi, lambda v: lo_px + (v - lo) / span * (hi_px - lo_px)


def _svg(body: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{html.escape(title)}">{body}</svg>'
    )


def line_chart(series: dict[str, list[tuple[dt.date, float, float | None, float | None]]], title: str) -> str:
    """Lines over dates, one per series (name -> [(date, value, band low, band high)]), with a band where given."""
    points = [p for rows in series.values() for p in rows]
    days = [p[0].toordinal() for p in points]
    values = [v for p in points for v in (p[1], p[2], p[3]) if v is not None]
    d_lo, d_hi, x = _scale(days, PAD, WIDTH - PAD)
    v_lo, v_hi, y = _scale(values, HEIGHT - PAD, PAD)
    parts = [
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#444"/>',
        f'<text x="{PAD}" y="{HEIGHT - PAD + 16}" font-size="11">{dt.date.fromordinal(int(d_lo))}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 16}" font-size="11" text-anchor="end">'
        f"{dt.date.fromordinal(int(d_hi))}</text>",
        f'<text x="{PAD - 4}" y="{PAD}" font-size="11" text-anchor="end">{v_hi:.0f}</text>',
        f'<text x="{PAD - 4}" y="{HEIGHT - PAD}" font-size="11" text-anchor="end">{v_lo:.0f}</text>',
    ]
    for row, (name, rows) in enumerate(sorted(series.items())):
        colour = COLOURS.get(name.split()[0], "#333")
        rows = sorted(rows)
        band = [(r[0], r[2], r[3]) for r in rows if r[2] is not None and r[3] is not None]
        if len(band) > 1:
            upper = " ".join(f"{x(d.toordinal()):.1f},{y(hi):.1f}" for d, _, hi in band)
            lower = " ".join(f"{x(d.toordinal()):.1f},{y(lo):.1f}" for d, lo, _ in reversed(band))
            parts.append(f'<polygon points="{upper} {lower}" fill="{colour}" fill-opacity="0.15"/>')
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(r[0].toordinal()):.1f},{y(r[1]):.1f}" for i, r in enumerate(rows))
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{x(r[0].toordinal()):.1f}" cy="{y(r[1]):.1f}" r="2.5" fill="{colour}"/>' for r in rows]
        parts.append(  # the legend, above the plot area
            f'<text x="{PAD + 150 * row}" y="{PAD - 20}" font-size="11" fill="{colour}">{html.escape(name)}</text>'
        )
    return _svg("".join(parts), title)


def bar_chart(bars: list[tuple[str, str, float]], title: str, unit: str) -> str:
    """Bars grouped by label: [(label, group, value)], coloured by group."""
    labels = list(dict.fromkeys(b[0] for b in bars))
    groups = list(dict.fromkeys(b[1] for b in bars))
    top = max(b[2] for b in bars) or 1.0
    slot = (WIDTH - 2 * PAD) / max(len(labels), 1)
    width = slot * 0.8 / max(len(groups), 1)
    parts = [f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#444"/>']
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{PAD + slot * (i + 0.5):.1f}" y="{HEIGHT - PAD + 14}" font-size="10" text-anchor="middle">'
            f"{html.escape(label)}</text>"
        )
    for label, group, value in bars:
        i, g = labels.index(label), groups.index(group)
        h = (value / top) * (HEIGHT - 2 * PAD)
        left = PAD + slot * i + slot * 0.1 + width * g
        parts.append(
            f'<rect x="{left:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
            f'fill="{COLOURS.get(group, "#555")}"><title>{html.escape(f"{label} {group}: {value:,.0f} {unit}")}'
            "</title></rect>"
        )
    for g, group in enumerate(groups):
        parts.append(
            f'<text x="{PAD + 120 * (g + 1)}" y="{PAD - 20}" font-size="11" '
            f'fill="{COLOURS.get(group, "#555")}">{html.escape(group)}</text>'
        )
    parts.append(f'<text x="{PAD}" y="{PAD - 20}" font-size="11">max {top:,.0f} {html.escape(unit)}</text>')
    return _svg("".join(parts), title)


def _section(title: str, takeaway: str, chart: str, note: str = "") -> str:
    extra = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return (
        f'<section><h2>{html.escape(title)}</h2><p class="takeaway">{html.escape(takeaway)}</p>{chart}{extra}</section>'
    )


def _gap_sections(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT board, leaderboard_publish_date, best_open_model, best_open_rating, best_open_rating_lower, "
        "best_open_rating_upper, best_closed_model, best_closed_rating, best_closed_rating_lower, "
        "best_closed_rating_upper, score_gap, open_in_top10, top10_size FROM open_closed_gap_history "
        "ORDER BY board, leaderboard_publish_date"
    ).fetchall()
    sections = []
    for board in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == board and r[3] is not None and r[7] is not None]
        if not mine:
            continue
        last = mine[-1]
        series = {
            "open (best)": [(r[1], r[3], r[4], r[5]) for r in mine],
            "closed (best)": [(r[1], r[7], r[8], r[9]) for r in mine],
        }
        takeaway = (
            f"On {last[1]}, the best open model ({last[2]}) trails the best closed one ({last[6]}) by "
            f"{last[10]:.1f} points; {len(mine)} board(s) since {mine[0][1]}."
        )
        share = {"open share of the top 10 (%)": [(r[1], 100 * r[11] / r[12], None, None) for r in mine if r[12]]}
        top10 = f"On {last[1]}, {last[11]} of the top {last[12]} models on {board} are open."
        if len(mine) < 2:  # one board date: a line needs two; say it in words
            sections.append(_section(f"{board}: best open vs best closed", f"{takeaway} {top10}", ""))
            continue
        sections.append(_section(f"{board}: best open vs best closed", takeaway, line_chart(series, board)))
        sections.append(_section(f"{board}: open models in the top 10", top10, line_chart(share, board)))
    return sections


def _lag_sections(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Months behind per leaderboard (``open_closed_lag``), where the history holds two boards or more."""
    rows = con.execute(
        "SELECT board, leaderboard_publish_date, months_behind, best_open_model, closed_model, lower_bound "
        "FROM open_closed_lag WHERE months_behind IS NOT NULL ORDER BY board, leaderboard_publish_date"
    ).fetchall()
    sections = []
    for board in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == board]
        if len(mine) < 2:
            continue
        last = mine[-1]
        bound = "at least " if last[5] else ""
        takeaway = (
            f"On {last[1]}, {last[4]}, a closed model at least as good as {last[3]}, was on the board "
            f"{bound}{last[2]:.1f} months before it."
        )
        chart = line_chart({"open months behind": [(r[1], r[2], None, None) for r in mine]}, board)
        note = "Within one board: the earliest closed model rated at least the best open one (open_closed_lag)."
        sections.append(_section(f"{board}: months behind", takeaway, chart, note))
    return sections


def _adoption_section(con: duckdb.DuckDBPyConnection, snapshot_date: dt.date) -> str | None:
    if not has_view(con, "family_adoption"):
        return None
    rows = con.execute(
        "SELECT family, ollama_pulls FROM family_adoption WHERE snapshot_date = ? AND ollama_pulls IS NOT NULL "
        "ORDER BY ollama_pulls DESC LIMIT 8",
        [snapshot_date],
    ).fetchall()
    if not rows:
        return None
    bars = [(family, "open", float(pulls)) for family, pulls in rows]
    takeaway = f"{rows[0][0]} leads Ollama pulls among the tracked families: {rows[0][1]:,} pulls."
    return _section("Adoption: Ollama pulls per family", takeaway, bar_chart(bars, "adoption", "pulls"))


def _funding_section(con: duckdb.DuckDBPyConnection, snapshot_date: dt.date) -> str | None:
    if not has_view(con, "funding_by_openness_year"):
        return None
    rows = con.execute(
        "SELECT year, stance, total_usd FROM funding_by_openness_year WHERE snapshot_date = ? AND total_usd > 0 "
        "ORDER BY year, stance",
        [snapshot_date],
    ).fetchall()
    if not rows:
        return None
    bars = [(str(year), stance, total / 1e9) for year, stance, total in rows]
    totals: dict[str, float] = {}
    for _, stance, total in rows:
        totals[stance] = totals.get(stance, 0.0) + total / 1e9
    takeaway = "Raised in the rounds on record: " + ", ".join(f"{s} ${v:.1f}B" for s, v in sorted(totals.items())) + "."
    note = "Counted rounds of funding_rounds; a company's stance on the round's date (open, closed, mixed)."
    return _section("Funding by openness per year", takeaway, bar_chart(bars, "funding", "USD billion"), note)


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "no data"
    return f"${value / 1e9:.1f}B" if unit == "USD" else f"{value:,.0f}"


def _claims_section(con: duckdb.DuckDBPyConnection, snapshot_date: dt.date) -> str | None:
    """The claims check as a table: each claim, what our data says on its date (or the nearest), and why."""
    if not has_view(con, "claims_check"):
        return None
    rows = con.execute(
        "SELECT claim, claim_as_of, claimed_value, unit, measured_on, measured_as_of, same_date, our_value, "
        "our_detail, how_it_differs, claim_source_url FROM claims_check WHERE snapshot_date = ? "
        "ORDER BY claim_id, NOT same_date, measured_on",
        [snapshot_date],
    ).fetchall()
    if not rows:
        return None
    cells = []
    for claim, as_of, claimed, unit, on, measured_as_of, same, ours, detail, why, url in rows:
        when = f"{measured_as_of}" + ("" if same else " (nearest date we have)") if measured_as_of else ""
        cells.append(
            f"<tr><td>{html.escape(claim)} ({as_of})</td><td>{number(claimed, unit)}</td>"
            f"<td>{html.escape(on)}<br>{html.escape(when)}</td><td>{number(ours, unit)}</td>"
            f"<td>{html.escape(detail)}<details><summary>how it differs</summary>{html.escape(why)}<br>"
            f"source: {html.escape(url)}</details></td></tr>"
        )
    checked = {r[0] for r in rows if r[6] and r[7] is not None}
    takeaway = f"{len(checked)} of {len({r[0] for r in rows})} claims can be measured on their own date in our data."
    table = (
        "<table><tr><th>claim (its date)</th><th>claimed</th><th>measured on</th><th>ours</th><th>detail</th></tr>"
        + "".join(cells)
        + "</table>"
    )
    return _section("Claims check", takeaway, table, "claims_check: each claim next to our data (claims.csv).")


def render(layout: Layout, snapshot_date: str | None = None) -> str:
    """The report's HTML for ``snapshot_date`` (default: the latest published snapshot)."""
    con = connect(layout, layout.catalog_path, read_only=True)
    try:
        latest = con.execute("SELECT max(snapshot_date) FROM snapshots").fetchone()[0]
        day = dt.date.fromisoformat(snapshot_date) if snapshot_date else latest
        sections = _gap_sections(con) if has_view(con, "open_closed_gap_history") else []
        sections += _lag_sections(con) if has_view(con, "open_closed_lag") else []
        extra = (_adoption_section(con, day), _funding_section(con, day), _claims_section(con, day))
        sections += [s for s in extra if s]
    finally:
        con.close()
    style = (
        "body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}"
        ".takeaway{font-weight:bold}.note{color:#555;font-size:90%}section{margin-bottom:2em}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>opengap report {day}</title><style>{style}</style></head><body>"
        f"<h1>Open vs closed AI models: snapshot {day}</h1>"
        "<p>From the published opengap snapshots: every figure is a query over the catalog.</p>"
        + "".join(sections)
        + "</body></html>"
    )


def report_path(layout: Layout, snapshot_date: str) -> str:
    return layout.path(f"reports/{snapshot_date}.html")


def write_report(layout: Layout, snapshot_date: str, out: Path | None = None) -> str:
    """Write the report of ``snapshot_date`` to ``out`` (default: ``<data>/reports/<date>.html``); return where."""
    text = render(layout, snapshot_date)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        return str(out)
    layout.storage.write_bytes(report_path(layout, snapshot_date), text.encode())
    return layout.storage.uri(report_path(layout, snapshot_date))
