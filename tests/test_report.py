"""The report, as a person sees it: rendered by headless Chromium (Debian's package), the charts are drawn, the
console has no error, and the page asks no other host for anything."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from test_publish import _publish

from conftest import ARCHIVE
from flows.snapshot import RawInput, load_parsed
from transforms.build import build_snapshot
from warehouse.layout import Layout
from warehouse.report import CSP, render, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: install Debian's `chromium` package (.ci/run does) to render it"
)


@pytest.fixture(scope="module")
def published(tmp_path_factory, tables_for, archive_parsed):
    """Three snapshots of the two leaderboards; the last one with the archive's adoption and funding sources."""
    layout = Layout(tmp_path_factory.mktemp("report"))
    for day in ("2024-06-03", "2025-01-06"):
        _publish(layout, day, tables_for(day))
    raw = {"funding_cited": "2026-10-02", "ollama": "2025-08-03", "hf_hub": "2024-11-30"}
    parsed = {s: load_parsed(RawInput(s, str(ARCHIVE / "raw"), d)) for s, d in raw.items()}
    _publish(layout, "2026-10-02", build_snapshot({**archive_parsed, **parsed}, dt.date(2026, 10, 2), raw))
    return layout


def test_each_chart_has_a_takeaway_computed_from_the_data(published) -> None:
    page = render(published)
    # Two boards x (ratings, top-10 share, months behind), adoption, funding.
    assert page.count("<svg") == page.count('class="takeaway"') - 1 == 6 + 2  # the claims check has no chart
    # Only three boards are held: the closed models as good as the best open one all arrived on the newest board
    # (the highest rated of them is named).
    lag = re.findall(r"text: months behind</h2><p class=\"takeaway\">([^<]*)", page)
    assert lag == [
        "On 2026-10-02, gemini-4-argon-high, a closed model at least as good as deepseek-v4.1-flash-max, "
        "was on the board 0.0 months before it."
    ]
    assert "On 2026-10-02, the best open model (deepseek-v4.1-flash-max) trails the best closed one" in page
    assert "Raised in the rounds on record: closed $" in page  # funding, from the cited rounds
    # The claims check is a table (no chart): each claim, its figure and ours on the same definition.
    claims = re.search(r"<h2>Claims check</h2><p class=\"takeaway\">([^<]*)</p>(.*?)</section>", page)
    assert claims is not None
    assert "closed-source model developers raised $37.5B since 2020 (2024-12-31)</td><td>$37.5B" in claims[2]
    assert "funding_rounds<br>2024-12-31</td><td>$31.3B" in claims[2]  # the sum of the shipped cited rounds
    # Nothing is loaded from elsewhere: no script, no external link, and a policy that forbids any.
    assert "<script" not in page and not re.search(r'(src|href)="https?://', page) and CSP in page


def _chromium(*args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)


@needs_chromium
def test_the_report_renders_in_chromium_with_its_charts_and_no_console_error(published, tmp_path) -> None:
    out = write_report(published, "2026-10-02", tmp_path / "report.html")
    dom = _chromium("--dump-dom", f"file://{out}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    paths = re.findall(r'<path d="M[^"]+"', dom.stdout)
    assert len(paths) >= 6  # open and closed lines of two boards, and their top-10 shares
    assert len(re.findall(r"<rect ", dom.stdout)) >= 4  # adoption and funding bars
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Refused to" in line]
    assert console == [], console
    shot = _chromium("--screenshot=" + str(tmp_path / "report.png"), "--window-size=800,1600", f"file://{out}")
    assert shot.returncode == 0 and (tmp_path / "report.png").stat().st_size > 10_000
