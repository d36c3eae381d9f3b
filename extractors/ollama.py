"""The Ollama library, scraped (HTML, no API): ``GET https://ollama.com/library?sort=most-popular`` and
``?sort=newest`` (the whole library on one page each), and ``/library/<name>`` for each tracked model
(``data/ollama_families.csv``).

One row per library model with its description, capabilities, sizes, pull count and last update, in the
library's popularity order, with its place in the newest-first listing and the licence its model page names in
prose. Parsing selects by the page's stable ``x-test-*`` attributes, never by CSS classes (FORMATS.md section 7).
Pull counts are abbreviated (``55.7M``) and update times relative (``1 month ago``): both are converted and keep
their precision beside them; the exact update time is read where the page gives it (the ``title`` of the
element around the relative text). A tracked model missing from the listings still gets its row from its page.
The pages have no history: every fetch is the library as it is that day.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal, InvalidOperation
from functools import cache, partial
from pathlib import Path

import pyarrow as pa
import requests
from bs4 import BeautifulSoup, Tag

from extractors.base import (
    Columns,
    decode_text,
    is_representable,
    only_parse_errors,
    reviewed_rows,
    typed,
)
from extractors.http import fetch_to_store
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap.contracts import (
    MAX_ROW_DROP,
    PROVENANCE,
    PROVENANCE_FIELDS,
    TableSpec,
    model_rows_schema,
)
from opengap.errors import FinalFetchError, ParseError
from opengap.source import CURRENT_STATE, Adoption, AsOf, ModelRows, Source

log = logging.getLogger(__name__)

NAME = "ollama"
HOMEPAGE = "https://ollama.com/library"
LICENSE = "Ollama website terms (public pages, no stated data licence)"
LIBRARY_URL = "https://ollama.com/library"
PARAMS = {"sort": "most-popular"}  # the whole library came back on one page (176 models, 2025-08)
RAW_FILE = "library.html"
NEWEST_FILE = "library.newest.html"
PAGE = "[x-test-model-name]"  # a model's own page
# The licence a model page's README names, in prose ("Apache 2.0 License", "Llama 3.1 Community License").
_LICENCE = re.compile(r"\b([A-Z][\w\-]*(?: [\w\-]+(?:\.\d+)*){0,4}? (?:License|Licence|Terms of Use))\b")
_UPDATED_AT = "%b %d, %Y %I:%M %p UTC"  # "Aug 1, 2025 4:40 AM UTC"

MODEL = "li[x-test-model]"  # one card per model
FIELDS = {  # what each card is read from: the stable test attributes
    "title": "[x-test-model-title]",
    "capability": "[x-test-capability]",
    "size": "[x-test-size]",
    "pulls": "[x-test-pull-count]",
    "tags": "[x-test-tag-count]",
    "updated": "[x-test-updated]",
}
# The attributes of a card, as a column contract: a card without a title is a changed page; the others are
# read when present (a model may have no capability or size labels).
CARD_ATTRIBUTES = Columns(
    required=("x-test-model-title", "x-test-pull-count"),
    optional=("x-test-tag-count", "x-test-updated"),
    known=("x-test-capability", "x-test-size"),
)
_SUFFIX = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_PULLS = re.compile(r"^(\d+(?:\.(\d+))?)([KMB]?)$")
_AGO = re.compile(r"^(\d+|an?) (second|minute|hour|day|week|month|year)s? ago$")
_DAYS = {"second": 0, "minute": 0, "hour": 0, "day": 1, "week": 7, "month": 30, "year": 365}

KEY = ("model",)
SCHEMA = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),  # the library name, e.g. "deepseek-r1", "llama3.1"
        pa.field("popularity_rank", pa.int64()),  # 1 = most pulled (the page's order); null: only on its own page
        pa.field("newest_rank", pa.int64()),  # 1 = the newest (the newest-first listing's order)
        pa.field("description", pa.string()),
        pa.field("capabilities", pa.string()),  # comma-separated: tools, thinking, vision, embedding, …
        pa.field("sizes", pa.string()),  # comma-separated parameter sizes, e.g. "1.5b,7b,70b"
        pa.field("pulls", pa.int64(), nullable=False),  # approximate: "55.7M" -> 55,700,000
        pa.field("pulls_precision", pa.int64(), nullable=False),  # the rounding unit of ``pulls`` (100,000)
        pa.field("tag_count", pa.int64()),
        pa.field("updated_text", pa.string()),  # as shown, e.g. "1 month ago"
        pa.field("updated_approx", pa.date32()),  # the retrieval date minus that much
        pa.field("updated_precision", pa.string()),  # day | week | month | year: how approximate that is
        pa.field("updated_at", pa.timestamp("s", tz="UTC")),  # exact, where the page gives it
        pa.field("licence_text", pa.string()),  # the licence the model page names in prose, e.g. "Apache 2.0 License"
        pa.field("weights_downloadable", pa.bool_(), nullable=False),  # a library entry is pulled as weights
        pa.field("organization", pa.string()),  # the maker's Hub organization (data/ollama_families.csv), if listed
        pa.field("family", pa.string()),  # the model family it serves (same file; hub_scope.csv's names)
        *PROVENANCE_FIELDS,
    ]
)
_ROW_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in PROVENANCE])


FAMILIES_FILE = Path(__file__).resolve().parent / "data" / "ollama_families.csv"


@cache
def families() -> dict[str, tuple[str, str]]:
    """Library name -> (Hub organization, family), from the reviewed ``data/ollama_families.csv``: a library name
    names a family in several sizes, not one model, so adoption counts it for its maker and family."""
    return {r["model"]: (r["organization"], r["family"]) for r in reviewed_rows(FAMILIES_FILE, ("model", "family"))}


def fetch(
    session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
) -> list[RawFile]:
    """Both listings, then each tracked model's page (a page that is gone is skipped with a warning). There is no
    history upstream: ``history`` fetches the same."""
    get = partial(fetch_to_store, session, store, source=NAME, snapshot_date=snapshot_date, refresh=refresh)
    files = [
        get(file=RAW_FILE, url=LIBRARY_URL, params=dict(PARAMS), expect="html"),
        get(file=NEWEST_FILE, url=LIBRARY_URL, params={"sort": "newest"}, expect="html"),
    ]
    for name in families():
        try:
            files.append(get(file=f"model.{name}.html", url=f"{LIBRARY_URL}/{name}", expect="html"))
        except FinalFetchError as exc:
            log.warning("%s: the page of %s skipped: %s", NAME, name, exc)
    return files


def pull_count(text: str) -> tuple[int, int]:
    """``"55.7M"`` -> (55_700_000, 100_000): the count and the unit it was rounded to."""
    match = _PULLS.match(text.strip().upper())
    if not match:
        raise ValueError(f"pull count {text!r} is not a number with an optional K/M/B suffix")
    number, decimals, suffix = match.groups()
    unit = _SUFFIX[suffix]
    try:
        value = Decimal(number) * unit
    except InvalidOperation as exc:
        raise ValueError(f"pull count {text!r} is not a number") from exc
    if not is_representable(int(value)):
        raise ValueError(f"pull count {text!r} is beyond a 64-bit integer")
    return int(value), unit // 10 ** len(decimals or "") or 1


def updated_on(text: str, retrieved: dt.date) -> tuple[dt.date, str]:
    """``"2 weeks ago"`` retrieved on D -> (D - 14 days, "week"); "yesterday" -> (D - 1, "day")."""
    text = text.strip().lower()
    if text == "yesterday":
        return retrieved - dt.timedelta(days=1), "day"
    match = _AGO.match(text)
    if not match:
        raise ValueError(f"update time {text!r} is not 'N <unit>s ago'")
    count = 1 if match.group(1) in ("a", "an") else int(match.group(1))
    unit = match.group(2)
    try:
        return retrieved - dt.timedelta(days=count * _DAYS[unit]), "day" if _DAYS[unit] <= 1 else unit
    except OverflowError as exc:  # "99999999 years ago": before year 1
        raise ValueError(f"update time {text!r} is out of range") from exc


def _count(text: str) -> int:
    """A plain count (a model's number of tags)."""
    if not text.isdigit() or not is_representable(int(text)):
        raise ValueError(f"tag count {text!r} is not a count")
    return int(text)


def _texts(card: Tag, selector: str) -> list[str]:
    return [node.get_text(strip=True) for node in card.select(selector)]


def _updated_at(node: Tag | None, where: str) -> dt.datetime | None:
    """The exact time in the ``title`` of the element around ``[x-test-updated]`` (None where absent)."""
    title = node.parent.get("title") if node is not None and node.parent is not None else None
    if not isinstance(title, str) or not title.endswith("UTC"):
        return None
    try:
        return dt.datetime.strptime(title, _UPDATED_AT).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise ParseError(f"{where}: update time {title!r} is not like 'Aug 1, 2025 4:40 AM UTC'") from exc


def _name(node: Tag | None) -> str | None:
    return (node.get("title") or node.get_text(strip=True)) if node is not None else None


def _facts(node: Tag, name: str, at: str, retrieved: dt.date) -> dict:
    """What a card and a model page both show (pulls, update time, capabilities, sizes), and the maker and family
    of the reviewed ``data/ollama_families.csv``."""
    pulls_text = next(iter(_texts(node, FIELDS["pulls"])), None)
    if pulls_text is None:
        raise ParseError(f"{at} ({name}): no {FIELDS['pulls']}; the page layout changed (FORMATS.md §7)")
    updated = _texts(node, FIELDS["updated"])
    try:
        pulls, precision = pull_count(pulls_text)
        approx, unit = updated_on(updated[0], retrieved) if updated else (None, None)
    except ValueError as exc:
        raise ParseError(f"{at} ({name}): {exc}") from exc
    organization, family = families().get(name, (None, None))
    return {
        "capabilities": ",".join(_texts(node, FIELDS["capability"])) or None,
        "sizes": ",".join(dict.fromkeys(_texts(node, FIELDS["size"]))) or None,
        "pulls": pulls,
        "pulls_precision": precision,
        "updated_text": updated[0] if updated else None,
        "updated_approx": approx,
        "updated_precision": unit,
        "updated_at": _updated_at(node.select_one(FIELDS["updated"]), f"{at} ({name})"),
        "weights_downloadable": True,
        "organization": organization,
        "family": family,
    }


def _card(card: Tag, rank: int, retrieved: dt.date, meta: RawMeta) -> dict:
    name, at = _name(card.select_one(FIELDS["title"])), f"{NAME} file {meta.file}, model {rank}"
    if not name:
        raise ParseError(f"{at}: no {FIELDS['title']} with a title; the page layout changed (FORMATS.md §7)")
    description, tags = card.select_one("p"), _texts(card, FIELDS["tags"])
    try:
        tag_count = _count(tags[0]) if tags else None
    except ValueError as exc:
        raise ParseError(f"{at} ({name}): {exc}") from exc
    newest = _listing(meta) == "newest"
    return {
        "model": name,
        "popularity_rank": None if newest else rank,
        "newest_rank": rank if newest else None,
        "description": description.get_text(" ", strip=True) if description is not None else None,
        "tag_count": tag_count,
        "licence_text": None,
        **_facts(card, name, at, retrieved),
    }


def _listing(meta: RawMeta) -> str:
    """Which listing a library page is: its ``sort`` parameter (the file name for an archived copy)."""
    return str(meta.params.get("sort") or ("newest" if "newest" in meta.file else "most-popular"))


def _model_page(soup: BeautifulSoup, retrieved: dt.date, meta: RawMeta) -> dict:
    """A model's own page: the same facts as its card (no tag count, no rank), and the licence its README names."""
    name, at = _name(soup.select_one(PAGE)), f"{NAME} file {meta.file}"
    if not name:
        raise ParseError(f"{at}: a model page needs {PAGE} with a title; the layout changed (FORMATS.md §7)")
    description = soup.select_one('meta[name="description"]')
    licence = _LICENCE.search(soup.get_text(" ", strip=True))
    return {
        "model": name,
        "popularity_rank": None,
        "newest_rank": None,
        "description": description.get("content") if description is not None else None,
        "tag_count": None,
        "licence_text": licence.group(1) if licence else None,
        **_facts(soup, name, at, retrieved),
    }


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """A library page: one row per model card, in the page's order. A model page: one row. A page with neither
    is a ParseError (an error page or a changed layout), never an empty table."""
    soup = BeautifulSoup(decode_text(raw, f"{NAME} file {meta.file}", "an HTML page"), "lxml")
    retrieved = dt.date.fromisoformat(meta.retrieved_at[:10])
    cards = soup.select(MODEL)
    if not cards and soup.select_one(PAGE) is not None:
        table = pa.Table.from_pylist([_model_page(soup, retrieved, meta)], schema=_ROW_SCHEMA)
        return typed(table, meta, SCHEMA, {})
    if not cards:
        raise ParseError(
            f"{NAME} file {meta.file} ({meta.url}) has no {MODEL} nor {PAGE} element: not a library or model "
            "page, or its layout changed (FORMATS.md §7)"
        )
    present = {
        attr for card in cards for node in card.find_all(True) for attr in node.attrs if attr.startswith("x-test")
    }
    drift = CARD_ATTRIBUTES.check(present, meta)
    rows = [_card(card, rank, retrieved, meta) for rank, card in enumerate(cards, start=1)]
    seen: set[str] = set()
    for row in rows:
        if row["model"] in seen:
            raise ParseError(f"{NAME} file {meta.file}: model {row['model']!r} is listed twice")
        seen.add(row["model"])
    table = pa.Table.from_pylist(rows, schema=_ROW_SCHEMA)
    return typed(table, meta, SCHEMA, drift)


def combine(parsed: list[tuple[RawMeta, pa.Table]]) -> pa.Table:
    """One row per model from a day's pages: the most-popular listing's rows (provenance: that page), with their
    place in the newest listing and the licence their page names; a model on its page only keeps that row."""
    kinds: dict[str, list[pa.Table]] = {"most-popular": [], "newest": [], "page": []}
    for meta, table in parsed:
        kinds["page" if meta.file.startswith("model.") else _listing(meta)].append(table)
    listed = {k: pa.concat_tables(v).to_pylist() if v else [] for k, v in kinds.items()}
    newest = {r["model"]: r["newest_rank"] for r in listed["newest"]}
    pages = {r["model"]: r for r in listed["page"]}
    rows = listed["most-popular"] or listed["newest"]
    for row in rows:
        row["newest_rank"] = newest.get(row["model"])
        row["licence_text"] = pages.get(row["model"], {}).get("licence_text")
    known = {r["model"] for r in rows}
    rows += [{**page, "newest_rank": newest.get(m)} for m, page in pages.items() if m not in known]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


TABLE = TableSpec(
    "ollama_models",
    model_rows_schema(SCHEMA),
    KEY,
    "Ollama library: models with description, capabilities, sizes, pull counts (approximate) and last update.",
    as_of="the Ollama library page as retrieved on or before the snapshot date (current state only; left out of "
    "backfills of earlier dates)",
    values={"updated_precision": ("day", "week", "month", "year")},
    max_row_drop=MAX_ROW_DROP,
)

SOURCE = Source(
    name=NAME,
    title="Ollama library",
    what="`ollama.com/library` (HTML, scraped by its `x-test-*` attributes): pulls, sizes, capabilities",
    homepage=HOMEPAGE,
    license=LICENSE,
    parse=parse,
    combine=combine,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(CURRENT_STATE),
    models=ModelRows(
        name="model",  # library names ("deepseek-r1", "llama3.1") linked through the identity layer
        open_hint="weights_downloadable",  # a hint only: it never fixes a tier alone
        attributes={"model_name": ("model", 5)},  # every other source names a model better
        organization="organization",
        adoption=Adoption(measures={"ollama_pulls": "pulls"}, organization="organization", family="family"),
    ),
)
