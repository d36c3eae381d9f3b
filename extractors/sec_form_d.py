"""SEC EDGAR Form D: the private offerings the tracked AI companies' US entities report (FORMATS.md section 5).

For each entity of ``data/sec_entities.csv`` (a reviewed file: the CIK, the filing that proves it, a source):
``GET https://data.sec.gov/submissions/CIK##########.json`` (parallel arrays; older filings in the pages its
``filings.files`` names, fetched with ``history``), then for each Form D or D/A not yet stored
``GET https://www.sec.gov/Archives/edgar/data/<cik>/<accession>/primary_doc.xml`` (the raw XML; the
``xslFormDX01/`` path the JSON names serves HTML). With ``history`` the quarterly ``full-index/<year>/QTR<n>/form.idx``
files from FULL_INDEX_FROM are read too, so a filing the submissions pages miss is still found. Filings are
immutable: each day's folder keeps only what was new (``accumulates``), and a snapshot reads them all.

SEC's rules are code here: a declared User-Agent with a contact (``OPENGAP_CONTACT_EMAIL``; the source is
skipped without it) and at most MAX_PER_SECOND requests, retries included (``Source.max_per_second``).

One row per filing: issuer, CIK, accession, submission type, filing date (from the submissions JSON), date of
first sale, industry group, total offering amount, amount sold, remaining (``Indefinite`` kept as a flag), the
amendment's previous accession, investors. Amounts are whole US dollars, as filed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import cache, partial
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pyarrow as pa
import requests

from extractors.base import Columns, decode_text, is_representable, load_json, only_parse_errors, reviewed_rows, typed
from extractors.http import fetch_to_store
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap.config import DEFAULT_CONTACT
from opengap.contracts import PROVENANCE, PROVENANCE_FIELDS, TableSpec
from opengap.errors import OpengapError, ParseError
from opengap.source import SUBMITTED, AsOf, Funding, Source

log = logging.getLogger(__name__)

NAME = "sec_form_d"
HOMEPAGE = "https://www.sec.gov/edgar/search/"
LICENSE = "US government work (SEC EDGAR filings are public records)"
SUBMISSIONS_URL = "https://data.sec.gov/submissions/{name}"
DOCUMENT_URL = "https://www.sec.gov/Archives/edgar/data/{cik}/{folder}/primary_doc.xml"
FORM_INDEX_URL = "https://www.sec.gov/Archives/edgar/full-index/{year}/QTR{quarter}/form.idx"
FULL_INDEX_FROM = 2020  # the first year a backfill reads the quarterly indexes of (the comparison starts in 2020)
MAX_PER_SECOND = 10  # SEC's fair-access ceiling (FORMATS.md §5)
FORMS = ("D", "D/A")
ENTITIES_FILE = Path(__file__).resolve().parent / "data" / "sec_entities.csv"
_ACCESSION = re.compile(r"^\d{10}-\d{2}-\d{6}$")
_INDEX_ROW = re.compile(
    r"^(?P<form>\S+(?: \S+)*?)\s{2,}(?P<company>.*?)\s+(?P<cik>\d+)\s+"
    r"(?P<date>\d{4}-?\d{2}-?\d{2})\s+(?P<file>edgar/\S+)\s*$"
)
_XML = re.compile(rb"<XML>\s*(.*?)\s*</XML>", re.DOTALL)
_FILED = re.compile(rb"FILED AS OF DATE:\s*(\d{4})(\d{2})(\d{2})")

KEY = ("accession",)
SCHEMA = pa.schema(
    [
        pa.field("accession", pa.string(), nullable=False),  # 0001968399-23-000002
        pa.field("cik", pa.string(), nullable=False),  # 10 digits
        pa.field("issuer", pa.string()),  # entityName (or the submissions JSON's name)
        pa.field("org_key", pa.string()),  # the company in transforms/data/companies.csv (data/sec_entities.csv)
        pa.field("submission_type", pa.string(), nullable=False),  # D | D/A
        pa.field("previous_accession", pa.string()),  # the filing a D/A amends
        pa.field("filed_on", pa.date32()),  # the submissions JSON's filingDate (or the .txt header's)
        pa.field("signed_on", pa.date32()),  # signatureDate
        pa.field("date_of_first_sale", pa.date32()),  # null when yetToOccur
        pa.field("industry_group", pa.string()),  # industryGroupType, e.g. "Other Technology"
        pa.field("total_offering_amount", pa.int64()),  # US dollars; null when Indefinite
        pa.field("offering_indefinite", pa.bool_()),
        pa.field("total_amount_sold", pa.int64()),  # US dollars
        pa.field("total_remaining", pa.int64()),  # null when Indefinite
        pa.field("investors", pa.int64()),  # totalNumberAlreadyInvested
        pa.field("schema_version", pa.string()),  # X0707 | X0708
        *PROVENANCE_FIELDS,
    ]
)
_ROW_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in PROVENANCE])
FORM_D = Columns(
    required=("primaryIssuer", "offeringData"),
    optional=("schemaVersion", "submissionType", "testOrLive", "relatedPersonsList"),
    known=(),
)
SUBMISSION_ARRAYS = ("accessionNumber", "filingDate", "form")


@cache
def entities() -> dict[str, dict[str, str]]:
    """The tracked entities by 10-digit CIK (``data/sec_entities.csv``: each with the filing proving its CIK)."""
    rows = reviewed_rows(ENTITIES_FILE, ("org_key", "entity_name", "cik", "proof_accession"))
    return {r["cik"].zfill(10): r for r in rows}


def submissions_file(cik: str, page: int | None = None) -> str:
    return f"CIK{cik.zfill(10)}.json" if page is None else f"CIK{cik.zfill(10)}-submissions-{page:03d}.json"


def document_url(cik: str, accession: str) -> str:
    return DOCUMENT_URL.format(cik=int(cik), folder=accession.replace("-", ""))


def submission_filings(doc: Any, where: str) -> list[dict[str, str]]:
    """The Form D filings of a submissions JSON (its ``filings.recent`` or an older page): parallel arrays, zipped."""
    filings = doc.get("filings") if isinstance(doc, dict) else None
    arrays = filings.get("recent") if isinstance(filings, dict) else doc  # an older page is the arrays alone
    if not isinstance(arrays, dict) or not all(isinstance(arrays.get(k), list) for k in SUBMISSION_ARRAYS):
        raise ParseError(f"{where}: no {', '.join(SUBMISSION_ARRAYS)} arrays; not a submissions JSON")
    if len({len(arrays[k]) for k in SUBMISSION_ARRAYS}) != 1:
        raise ParseError(f"{where}: the parallel arrays {', '.join(SUBMISSION_ARRAYS)} differ in length")
    return [
        {"accession": a, "filed_on": d, "form": f}
        for a, d, f in zip(*(arrays[k] for k in SUBMISSION_ARRAYS), strict=True)
        if f in FORMS and isinstance(a, str) and isinstance(d, str)
    ]


def form_index(raw: bytes, where: str) -> list[dict[str, str]]:
    """The rows of a quarterly ``form.idx`` (fixed-width, latin-1, a header above a dashed line): form, company,
    CIK (10 digits), date filed (ISO), accession. Company names hold runs of spaces, so the columns are anchored
    on the right (CIK, date, file name)."""
    lines = raw.decode("latin-1").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("-----")), None)
    if start is None:
        raise ParseError(f"{where}: no dashed line under the header; not an EDGAR form.idx")
    rows = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if not line.strip():
            continue
        found = _INDEX_ROW.match(line)
        if found is None:
            raise ParseError(f"{where} line {number}: not 'form  company  CIK  date  file' ({line[:60]!r})")
        date = found["date"].replace("-", "")
        accession = found["file"].rsplit("/", 1)[-1].removesuffix(".txt").removesuffix("-index.htm")
        rows.append(
            {
                "form": found["form"],
                "company": found["company"].strip(),
                "cik": found["cik"].zfill(10),
                "filed_on": f"{date[:4]}-{date[4:6]}-{date[6:]}",
                "accession": accession,
            }
        )
    return rows


def _stored_accessions(store: RawStore, before: str) -> set[str]:
    return {
        f.split(".")[1] for d in store.dates(NAME) if d < before for f in store.files(NAME, d) if f.startswith("formd.")
    }


def fetch(
    session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
) -> list[RawFile]:
    """Each entity's submissions (older pages and the quarterly indexes too with ``history``), then every Form D
    or D/A not stored on an earlier day."""
    if DEFAULT_CONTACT in str(session.headers.get("User-Agent", "")):
        raise OpengapError(
            "SEC EDGAR asks every client to declare a contact: set OPENGAP_CONTACT_EMAIL to your address before a "
            "live sec_form_d fetch"
        )
    get = partial(fetch_to_store, session, store, source=NAME, snapshot_date=snapshot_date, refresh=refresh)
    files: list[RawFile] = []
    wanted: dict[str, str] = {}  # accession -> cik
    for cik in entities():
        submissions = get(
            file=f"submissions.{snapshot_date}.{submissions_file(cik)}",  # dated: each day's folder has its own
            url=SUBMISSIONS_URL.format(name=submissions_file(cik)),
            expect="json",
        )
        files.append(submissions)
        doc = load_json(submissions.content, submissions.meta.file)
        pages = [submissions]
        if history:
            listed = doc.get("filings") if isinstance(doc, dict) else None
            for listed_page in listed.get("files", []) if isinstance(listed, dict) else []:
                name = listed_page.get("name") if isinstance(listed_page, dict) else None
                if isinstance(name, str) and name.endswith(".json"):
                    url = SUBMISSIONS_URL.format(name=name)
                    pages.append(get(file=f"submissions.{snapshot_date}.{name}", url=url, expect="json"))
            files += pages[1:]
        for page in pages:
            for filing in submission_filings(load_json(page.content, page.meta.file), page.meta.file):
                wanted[filing["accession"]] = cik
    if history:
        for year in range(FULL_INDEX_FROM, int(snapshot_date[:4]) + 1):
            for quarter in range(1, 5):
                if dt.date(year, 3 * quarter - 2, 1).isoformat() > snapshot_date:
                    break
                index = get(file=f"form.{year}-Q{quarter}.idx", url=FORM_INDEX_URL.format(year=year, quarter=quarter))
                files.append(index)
                for row in form_index(index.content, index.meta.file):
                    if row["form"] in FORMS and row["cik"] in entities():
                        wanted.setdefault(row["accession"], row["cik"])
    stored = _stored_accessions(store, snapshot_date)
    for accession, cik in sorted(wanted.items()):
        if accession not in stored:
            files.append(get(file=f"formd.{accession}.xml", url=document_url(cik, accession), expect="xml"))
    return files


def _text(node: ElementTree.Element | None, path: str) -> str | None:
    found = node.find(path) if node is not None else None
    text = found.text.strip() if found is not None and found.text is not None else None
    return text or None


def _amount(value: str | None, column: str, where: str) -> tuple[int | None, bool]:
    """A Form D amount: whole dollars, or the word ``Indefinite`` (None, True)."""
    if value is None:
        return None, False
    if value.lower() == "indefinite":
        return None, True
    if not value.isdigit() or not is_representable(int(value)):
        raise ParseError(f"{where}: {column} is {value!r}, not a whole-dollar amount or 'Indefinite'")
    return int(value), False


def _date(value: str | None, column: str, where: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ParseError(f"{where}: {column} {value!r} is not a YYYY-MM-DD date") from exc


def _form_d_row(xml: bytes, meta: RawMeta, accession: str, filed_on: dt.date | None) -> tuple[dict[str, Any], dict]:
    where = f"{NAME} file {meta.file}"
    try:
        root = ElementTree.fromstring(xml)  # filings carry no DTD or entities; never a pickle
    except ElementTree.ParseError as exc:
        raise ParseError(f"{where}: not well-formed XML ({exc})") from exc
    if root.tag != "edgarSubmission":
        raise ParseError(f"{where}: root element is <{root.tag}>, not <edgarSubmission> (a Form D's primary_doc.xml)")
    drift = FORM_D.check({child.tag for child in root}, meta)
    issuer, offering = root.find("primaryIssuer"), root.find("offeringData")
    submission_type = _text(root, "submissionType") or "D"
    if submission_type not in FORMS:
        raise ParseError(f"{where}: submissionType {submission_type!r} is not D or D/A")
    cik = _text(issuer, "cik")
    if cik is None or not cik.isdigit():
        raise ParseError(f"{where}: primaryIssuer/cik is {cik!r}, not a CIK")
    sales = "offeringSalesAmounts/"
    offered, indefinite = _amount(_text(offering, sales + "totalOfferingAmount"), "totalOfferingAmount", where)
    sold, _ = _amount(_text(offering, sales + "totalAmountSold"), "totalAmountSold", where)
    remaining, _ = _amount(_text(offering, sales + "totalRemaining"), "totalRemaining", where)
    investors = _text(offering, "investors/totalNumberAlreadyInvested")
    if investors is not None and not investors.isdigit():
        raise ParseError(f"{where}: totalNumberAlreadyInvested is {investors!r}, not a count")
    signed = next((_text(s, "signatureDate") for s in root.iter("signature") if _text(s, "signatureDate")), None)
    row = {
        "accession": accession,
        "cik": cik.zfill(10),
        "issuer": _text(issuer, "entityName"),
        "org_key": entities().get(cik.zfill(10), {}).get("org_key"),
        "submission_type": submission_type,
        "previous_accession": _text(offering, "typeOfFiling/newOrAmendment/previousAccessionNumber"),
        "filed_on": filed_on,
        "signed_on": _date(signed, "signatureDate", where),
        "date_of_first_sale": _date(_text(offering, "typeOfFiling/dateOfFirstSale/value"), "dateOfFirstSale", where),
        "industry_group": _text(offering, "industryGroup/industryGroupType"),
        "total_offering_amount": offered,
        "offering_indefinite": indefinite,
        "total_amount_sold": sold,
        "total_remaining": remaining,
        "investors": int(investors) if investors is not None and is_representable(int(investors)) else None,
        "schema_version": _text(root, "schemaVersion"),
    }
    return row, drift


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """A Form D (``formd.<accession>.xml``, or a complete ``.txt`` submission with the XML inside): one row. A
    submissions JSON: one row per Form D it lists (accession, form, filing date; ``combine`` dates the filings
    with them)."""
    where = f"{NAME} file {meta.file}"
    if meta.file.startswith("submissions."):
        doc = load_json(raw, f"{where} ({meta.url})")
        cik = str(doc.get("cik", "")) if isinstance(doc, dict) else ""
        rows = [
            {
                "accession": f["accession"],
                "cik": cik.zfill(10),
                "issuer": doc.get("name") if isinstance(doc.get("name"), str) else None,
                "submission_type": f["form"],
                "filed_on": _date(f["filed_on"], "filingDate", where),
            }
            for f in submission_filings(doc, where)
        ]
        return typed(pa.Table.from_pylist(rows, schema=_ROW_SCHEMA), meta, SCHEMA, {})
    text = decode_text(raw, where, "a Form D")
    filed_on = None
    if text.lstrip().startswith("<SEC-DOCUMENT>"):  # the complete submission: SGML header, XML inside <XML>
        inner, filed = _XML.search(raw), _FILED.search(raw)
        if inner is None:
            raise ParseError(f"{where}: a complete submission without an <XML> document")
        raw = inner.group(1)
        filed_on = _date(b"-".join(filed.groups()).decode(), "FILED AS OF DATE", where) if filed else None
    accession = meta.file.split(".")[1] if meta.file.startswith("formd.") else _accession_in(text, where)
    if not _ACCESSION.match(accession):
        raise ParseError(f"{where}: {accession!r} is not an accession number (0001234567-23-000001)")
    row, drift = _form_d_row(raw, meta, accession, filed_on)
    return typed(pa.Table.from_pylist([row], schema=_ROW_SCHEMA), meta, SCHEMA, drift)


def _accession_in(text: str, where: str) -> str:
    found = re.search(r"ACCESSION NUMBER:\s*(\S+)", text) or re.search(r"(\d{10}-\d{2}-\d{6})", where)
    if found is None:
        raise ParseError(f"{where}: no accession number in the file or its name")
    return found.group(1)


def combine(parsed: list[tuple[RawMeta, pa.Table]]) -> pa.Table:
    """One row per Form D document, dated by the newest submissions JSON listing it; listed filings whose
    document is not stored yet are left out (the next fetch gets them)."""
    documents, listed = [], {}
    for meta, table in parsed:
        if meta.file.startswith("submissions."):
            listed.update({r["accession"]: r["filed_on"] for r in table.to_pylist()})
        else:
            documents += table.to_pylist()
    rows = {}
    for row in documents:
        row["filed_on"] = listed.get(row["accession"], row["filed_on"])
        rows[row["accession"]] = row  # a document stored twice: the later copy
    return pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=SCHEMA)


TABLE = TableSpec(
    "form_d_filings",
    SCHEMA,
    KEY,
    "SEC Form D filings (and amendments) of the tracked AI companies' US entities: offering and amount sold.",
    as_of="the filings filed on or before the snapshot date (EDGAR keeps every filing; backfills cut by filed_on)",
    values={"submission_type": FORMS},
)

SOURCE = Source(
    name=NAME,
    title="SEC EDGAR Form D",
    what="submissions JSON per tracked CIK (`data/sec_entities.csv`), each Form D's `primary_doc.xml`; "
    "`form.idx` quarterly indexes in backfills",
    homepage=HOMEPAGE,
    license=LICENSE,
    parse=parse,
    combine=combine,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(SUBMITTED, "filed_on"),
    accumulates=True,
    needs="OPENGAP_CONTACT_EMAIL",
    max_per_second=MAX_PER_SECOND,
    data_file=lambda meta: meta.file.startswith(("formd.", "submissions.")),
    # Money raised is the amount sold as filed; an amendment (D/A) replaces the filing it names.
    funding=Funding(
        "sec_form_d", "accession", "filed_on", "total_amount_sold", "submission_type", supersedes="previous_accession"
    ),
)
