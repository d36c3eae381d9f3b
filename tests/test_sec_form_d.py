"""SEC EDGAR Form D (FORMATS.md section 5): every captured filing, the submissions JSON, form.idx, and the SEC's
access rules (a declared contact, at most 10 requests per second) against a local server."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from test_parsers import make_meta

from conftest import FIXTURES
from extractors import sec_form_d
from extractors.http import make_session
from extractors.raw_store import RawStore
from flows.snapshot import RawInput, load_parsed
from opengap.errors import OpengapError, ParseError

SHIPPED = FIXTURES / "sec_form_d"
HASHNOTE = (SHIPPED / "formd_complete_submission_0001968399-23-000002.txt").read_bytes()
UPSHOT = (SHIPPED / "formd_complete_submission_0001745524-18-000001.txt").read_bytes()
DIFFUSION = (SHIPPED / "formd_primary_doc_CIK0001171623_diffusion_pharmaceuticals.xml").read_bytes()
MURPHY = json.loads((SHIPPED / "submissions.CIK0000717423.json").read_bytes())


def _row(content: bytes, file: str) -> dict:
    (row,) = sec_form_d.parse(content, make_meta("sec_form_d", file, content)).to_pylist()
    return row


def test_a_complete_submission_with_an_indefinite_offering() -> None:
    row = _row(HASHNOTE, HASHNOTE_NAME := "formd_complete_submission_0001968399-23-000002.txt")
    assert (row["accession"], row["cik"], row["issuer"]) == (
        "0001968399-23-000002",
        "0001968399",
        "Hashnote Stablecoin Fund LP",
    )
    assert (row["submission_type"], row["schema_version"], row["filed_on"]) == ("D", "X0708", dt.date(2023, 3, 13))
    assert (row["total_offering_amount"], row["offering_indefinite"], row["total_remaining"]) == (None, True, None)
    assert (row["total_amount_sold"], row["investors"], row["date_of_first_sale"]) == (100_000, 1, dt.date(2023, 2, 24))
    assert row["industry_group"] == "Pooled Investment Fund" and HASHNOTE_NAME.endswith(".txt")


def test_the_other_captured_filings_x0708_and_x0707() -> None:
    upshot = _row(UPSHOT, "formd_complete_submission_0001745524-18-000001.txt")
    assert (upshot["total_offering_amount"], upshot["total_amount_sold"], upshot["total_remaining"]) == (
        25_000_000,
        0,
        25_000_000,
    )
    assert (upshot["filed_on"], upshot["signed_on"], upshot["date_of_first_sale"]) == (
        dt.date(2018, 7, 5),
        dt.date(2018, 6, 26),
        None,  # yet to occur
    )
    # The bare primary_doc.xml (X0707, 2006): its accession was not recorded with the capture, so the file name a
    # fetch would give it carries a stand-in; the filing date comes from the submissions JSON in a real run.
    diffusion = _row(DIFFUSION, "formd.0000000000-00-000000.xml")
    assert (diffusion["schema_version"], diffusion["issuer"], diffusion["industry_group"]) == (
        "X0707",
        "DIFFUSION PHARMACEUTICALS LLC",
        "Pharmaceuticals",
    )
    assert (diffusion["total_offering_amount"], diffusion["total_amount_sold"], diffusion["total_remaining"]) == (
        1_512_500,
        1_029_908,
        482_592,
    )
    assert diffusion["filed_on"] is None and diffusion["signed_on"] == dt.date(2006, 6, 21)


def test_an_amendment_names_the_filing_it_amends() -> None:
    # The Upshot filing as its own amendment would read (the captures hold no D/A): submissionType and typeOfFiling.
    amended = (
        UPSHOT.replace(b"<submissionType>D</submissionType>", b"<submissionType>D/A</submissionType>")
        .replace(
            b"<isAmendment>false</isAmendment>",
            b"<isAmendment>true</isAmendment>\n<previousAccessionNumber>0001745524-18-000001</previousAccessionNumber>",
        )
        .replace(b"ACCESSION NUMBER:\t\t0001745524-18-000001", b"ACCESSION NUMBER:\t\t0001745524-18-000002")
    )
    row = _row(amended, "amended.txt")
    assert (row["accession"], row["submission_type"], row["previous_accession"]) == (
        "0001745524-18-000002",
        "D/A",
        "0001745524-18-000001",
    )


def test_damaged_filings_are_one_line_parse_errors() -> None:
    for content, message in [
        (HASHNOTE.replace(b"<totalAmountSold>100000", b"<totalAmountSold>lots"), "totalAmountSold is 'lots'"),
        (b"<html><body>Request Rate Threshold Exceeded</body></html>", "not <edgarSubmission>"),
        (HASHNOTE.replace(b"</XML>", b""), "without an <XML> document"),
        (DIFFUSION[:500], "not well-formed XML"),
    ]:
        with pytest.raises(ParseError, match=message):
            sec_form_d.parse(content, make_meta("sec_form_d", "formd.0001968399-23-000002.xml", content))


def test_the_submissions_json_lists_form_d_filings_from_parallel_arrays() -> None:
    assert sec_form_d.submission_filings(MURPHY, "murphy") == []  # an oil company files no Form D
    recent = MURPHY["filings"]["recent"]
    with_d = {**MURPHY, "filings": {**MURPHY["filings"], "recent": {**recent, "form": ["D", *recent["form"][1:]]}}}
    assert sec_form_d.submission_filings(with_d, "murphy") == [
        {"accession": "0001127602-22-021433", "filed_on": recent["filingDate"][0], "form": "D"}
    ]
    assert MURPHY["filings"]["files"][0]["name"] == "CIK0000717423-submissions-001.json"  # the older page
    broken = {"filings": {"recent": {**recent, "form": recent["form"][:-1]}}}
    with pytest.raises(ParseError, match="differ in length"):
        sec_form_d.submission_filings(broken, "murphy")


# EDGAR's quarterly full-index layout (FORMATS.md §5: fixed width, latin-1, a header over a dashed line; no capture
# of one exists): its rows are real filings, the two captured Form Ds and Murphy Oil's of the captured JSON.
FORM_IDX = (SHIPPED / "form_idx_layout_sample.idx").read_bytes()


def test_form_idx_rows_anchor_on_the_right() -> None:
    rows = sec_form_d.form_index(FORM_IDX, "form.idx")
    assert [(r["form"], r["cik"], r["filed_on"], r["accession"]) for r in rows] == [
        ("8-K", "0000717423", "2022-08-04", "0000950103-22-013995"),
        ("D", "0001745524", "2018-07-05", "0001745524-18-000001"),
        ("D", "0001968399", "2023-03-13", "0001968399-23-000002"),
        ("SC 13G/A", "0000717423", "2022-08-09", "0001104659-22-088376"),  # a form type with a space
    ]
    assert rows[1]["company"] == "Upshot Real Estate Fund II, LP"
    with pytest.raises(ParseError, match="no dashed line"):
        sec_form_d.form_index(b"<html>Not Found</html>", "form.idx")


class Edgar(BaseHTTPRequestHandler):
    """data.sec.gov and www.sec.gov for two tracked CIKs: submissions listing three Form Ds each, and the
    documents (the Hashnote filing's XML, as captured). Records when each request arrived and its User-Agent."""

    arrivals: ClassVar[list[float]] = []
    agents: ClassVar[set[str]] = set()

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.arrivals.append(time.monotonic())
        self.agents.add(self.headers.get("User-Agent", ""))
        if self.path.endswith("-submissions-001.json"):  # an older page: the parallel arrays alone
            older = {"accessionNumber": ["0002002695-23-000001"], "filingDate": ["2023-12-05"], "form": ["D"]}
            body = json.dumps(older).encode()
        elif self.path.startswith("/full-index/"):  # a quarter listing one more Form D of a tracked CIK
            file = "edgar/data/2002695/0002002695-26-000009.txt"
            extra = f"{'D':<12}{'X.AI CORP.':<62}{'2002695':<12}2026-01-06  {file}\n"
            body = FORM_IDX + extra.encode("latin-1")
        elif self.path.startswith("/submissions/CIK"):
            cik = self.path.split("CIK", 1)[1][:10]
            recent = {
                "accessionNumber": [f"{cik}-24-00000{n}" for n in range(1, 7)] + ["0000950103-22-013995"],
                "filingDate": [
                    "2024-12-05",
                    "2024-06-01",
                    "2023-12-05",
                    "2023-06-01",
                    "2023-01-05",
                    "2022-12-01",
                    "2022-08-04",
                ],
                "form": ["D", "D/A", "D", "D", "D/A", "D", "8-K"],
            }
            files = [{"name": f"CIK{cik}-submissions-001.json", "filingCount": 1}] if cik == "0002002695" else []
            body = json.dumps({**MURPHY, "cik": str(int(cik)), "filings": {"recent": recent, "files": files}}).encode()
        elif self.path.endswith("/primary_doc.xml"):  # the captured filing, as filed by the CIK asked for
            cik = self.path.split("/")[4].zfill(10)
            body = sec_form_d._XML.search(HASHNOTE).group(1).replace(b"0001968399", cik.encode())
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def edgar(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Edgar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setattr(sec_form_d, "SUBMISSIONS_URL", base + "/submissions/{name}")
    monkeypatch.setattr(sec_form_d, "DOCUMENT_URL", base + "/Archives/edgar/data/{cik}/{folder}/primary_doc.xml")
    monkeypatch.setattr(sec_form_d, "FORM_INDEX_URL", base + "/full-index/{year}/QTR{quarter}/form.idx")
    Edgar.arrivals, Edgar.agents = [], set()
    yield Edgar
    server.shutdown()
    server.server_close()


def test_a_live_fetch_declares_a_contact_and_stays_under_ten_requests_a_second(edgar, tmp_path) -> None:
    agent = "opengap/test (+https://github.com/opengap/opengap; analyst@example.org)"
    session = make_session(agent, max_per_second=sec_form_d.MAX_PER_SECOND)
    store = RawStore(tmp_path)
    files = sec_form_d.fetch(session, store, "2026-11-30")
    # Two submissions JSONs, six Form D documents each: 14 requests, which unthrottled arrive within a second.
    assert len(files) == len(edgar.arrivals) == session.requests_sent == 14 and edgar.agents == {agent}
    # Sends are at least 0.1 s apart, so no 11 arrive within a second (0.95 s: room for the loopback's jitter).
    busiest = max(sum(1 for t in edgar.arrivals if start <= t < start + 0.95) for start in edgar.arrivals)
    assert busiest <= 10
    rows = load_parsed(RawInput("sec_form_d", str(tmp_path), "2026-11-30")).to_dict("records")
    assert len(rows) == 12 and Counter(r["org_key"] for r in rows) == {"xai": 12}
    dates = {r["accession"]: r["filed_on"] for r in rows}
    assert dates["0002002695-24-000001"] == dt.date(2024, 12, 5)  # dated by the submissions JSON
    # The next day only the submissions are asked for: the filings are immutable and already stored.
    again = sec_form_d.fetch(make_session(agent, max_per_second=10), store, "2026-12-01")
    assert [f.meta.file for f in again] == [
        "submissions.2026-12-01.CIK0002002695.json",  # dated: the accumulating folders never repeat a name
        "submissions.2026-12-01.CIK0002079267.json",
    ]


def test_a_live_fetch_refuses_the_no_reply_contact(tmp_path, monkeypatch) -> None:
    from opengap.config import load_settings

    monkeypatch.setenv("OPENGAP_CONTACT_EMAIL", "")  # unset or empty: the project's no-reply address
    session = make_session(load_settings(tmp_path).user_agent)
    with pytest.raises(OpengapError, match="set OPENGAP_CONTACT_EMAIL"):
        sec_form_d.fetch(session, RawStore(tmp_path), "2026-11-30")
    assert not list(tmp_path.iterdir())  # refused before any request


def test_a_backfill_reads_the_older_submissions_pages_and_the_quarterly_indexes(edgar, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sec_form_d, "FULL_INDEX_FROM", 2026)
    session = make_session("opengap/test (analyst@example.org)", max_per_second=sec_form_d.MAX_PER_SECOND)
    files = [f.meta.file for f in sec_form_d.fetch(session, RawStore(tmp_path), "2026-11-30", history=True)]
    assert "submissions.2026-11-30.CIK0002002695-submissions-001.json" in files  # the page filings.files names
    assert [f for f in files if f.startswith("form.")] == [f"form.2026-Q{q}.idx" for q in range(1, 5)]
    # The older page's 2023 filing and the index's 2026 filing, besides the twelve the recent arrays list.
    assert {"formd.0002002695-23-000001.xml", "formd.0002002695-26-000009.xml"} <= set(files)
    assert len([f for f in files if f.startswith("formd.")]) == 14
