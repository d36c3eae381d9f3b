"""The Hugging Face Hub's derivatives of the tracked base models: every child repo, with its relation and date.

``GET {HF_ENDPOINT}/api/models?filter=base_model:<base>&sort=createdAt&direction=-1&limit=500`` for each base
repo of a family in ``data/hub_scope.csv`` (FORMATS.md section 4): every child carries the tag
``base_model:<base>`` and the relation tag ``base_model:<relation>:<base>`` (``finetune``, ``adapter``,
``quantized``, ``merge``). The first run walks each base's whole listing, newest first, following the ``Link``
cursor; later runs fetch only what is new. The cursor is ``_cursor.json`` in each day's folder: per base the
newest ``createdAt`` seen, and where a walk cut short by the request budget resumes (the Hub's own ``Link``).
A lost cursor only costs a full walk. Each folder holds that day's new pages; a snapshot reads every folder up
to its date (``accumulates``), so the cumulative count per date follows from the children's ``createdAt``.

Limits, stated in the README and every manifest: relation tags exist only from late 2024 (an older child with
a bare ``base_model:`` tag has no relation); repos deleted before we first listed them are missing; a child
renamed after we saw it can appear under both names.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import requests
from huggingface_hub.utils import build_hf_headers

from extractors import hub_scope
from extractors.base import Columns, load_json, only_parse_errors, typed
from extractors.hf_hub import RELATIONS, _int, _next_link, _time, listed, listing_url, repo_slug
from extractors.http import fetch_to_store
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap import __version__
from opengap.contracts import PROVENANCE, PROVENANCE_FIELDS, TableSpec
from opengap.errors import ParseError
from opengap.source import RECONSTRUCTED, AsOf, Derivatives, Source

log = logging.getLogger(__name__)

NAME = "hf_hub_derivatives"
PAGE_SIZE = 500  # huggingface.js asks at most 500 per page (FORMATS.md §4)
# With hf_hub's 200, under the Hub's anonymous 500 requests per 5 minutes. A nightly run needs one request per
# base (27); the first walk of a base with 10,000 children needs 20: a long first walk finishes over several nights.
REQUEST_BUDGET = 250
CURSOR = "_cursor.json"
_PREFIX = "base_model:"

KEY = ("base_repo", "repo_id")
SCHEMA = pa.schema(
    [
        pa.field("base_repo", pa.string(), nullable=False),  # the tracked base, "deepseek-ai/DeepSeek-R1"
        pa.field("family", pa.string(), nullable=False),  # its family in data/hub_scope.csv
        pa.field("repo_id", pa.string(), nullable=False),  # the child repo
        pa.field("organization", pa.string(), nullable=False),  # the child's owner
        pa.field("relation", pa.string()),  # finetune | adapter | quantized | merge; null before relation tags
        pa.field("created_at", pa.timestamp("s", tz="UTC")),
        pa.field("created_on", pa.date32()),  # the as-of date of the child (backfills count children by it)
        pa.field("downloads_30d", pa.int64()),  # when listed: the Hub's 30-day downloads
        pa.field("likes", pa.int64()),
        *PROVENANCE_FIELDS,
    ]
)
_ROW_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in PROVENANCE])
CHILD_KEYS = Columns(
    required=("id", "tags", "createdAt"),
    optional=("downloads", "likes"),
    known=("_id", "modelId", "private", "trendingScore", "pipeline_tag", "library_name"),
)


def _previous_cursor(store: RawStore, snapshot_date: str) -> dict[str, Any]:
    """The newest cursor stored before ``snapshot_date`` ({} when none: every base is walked in full)."""
    for folder in reversed([d for d in store.dates(NAME) if d < snapshot_date]):
        path = store.path(NAME, folder, CURSOR)
        if store.storage.is_file(path):
            try:
                return json.loads(store.storage.read_bytes(path))
            except ValueError:
                log.warning("%s: cursor %s is unreadable; walking every base in full", NAME, path)
                return {}
    return {}


class _Walker:
    """Pages of one base's listing, within the run's budget."""

    def __init__(self, session: requests.Session, store: RawStore, snapshot_date: str, refresh: bool) -> None:
        self.session, self.store, self.date, self.refresh = session, store, snapshot_date, refresh
        self.headers = build_hf_headers(library_name="opengap", library_version=__version__)
        self.files: list[RawFile] = []

    @property
    def room(self) -> int:
        return REQUEST_BUDGET - len(self.files)

    def page(self, base: str, kind: str, number: int, url: str, params: dict[str, Any] | None) -> RawFile:
        raw = fetch_to_store(
            self.session,
            self.store,
            source=NAME,
            snapshot_date=self.date,
            file=f"children.{repo_slug(base)}.{self.date}.{kind}-{number}.json",
            url=url,
            params=params,
            headers=self.headers,
            refresh=self.refresh,
            expect="json",
        )
        self.files.append(raw)
        return raw

    def walk(self, base: str, kind: str, url: str, params: dict[str, Any] | None, stop_at: str | None) -> dict:
        """Follow the Link cursor until the listing ends, a page reaches ``stop_at`` (a createdAt already seen)
        or the budget does. Returns the newest date seen and the cursor to resume from (None: walk complete)."""
        newest, number, next_url = None, 0, url
        while next_url is not None and self.room > 0:
            number += 1
            raw = self.page(base, kind, number, next_url, params if number == 1 else None)
            dates = listed(raw, "createdAt")
            newest = max([newest or "", *dates]) or None
            next_url = _next_link(raw)
            if stop_at is not None and any(d <= stop_at for d in dates):
                next_url = None
        return {"newest": newest, "resume": next_url}


def fetch(
    session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
) -> list[RawFile]:
    """New children of each tracked base since the stored cursor (all of them the first time), then the rest of
    any walk an earlier run's budget cut short. Writes the new cursor beside the pages, even after a failure."""
    before = _previous_cursor(store, snapshot_date)
    walker = _Walker(session, store, snapshot_date, refresh)
    cursor = {base: dict(before.get(base, {})) for base in hub_scope.family_of()}
    try:
        for base, state in cursor.items():  # what is new first: one page per base on most nights
            if walker.room <= 0:
                break
            params = {"filter": f"{_PREFIX}{base}", "sort": "createdAt", "direction": "-1", "limit": str(PAGE_SIZE)}
            seen = state.get("newest")
            found = walker.walk(base, "page", listing_url(), params, stop_at=seen)
            state["newest"] = max(filter(None, [seen, found["newest"]]), default=None)
            if found["resume"] is not None:
                if seen is not None:  # more new children than the budget: older new ones wait for a full walk
                    log.warning("%s: %s has more new children than this run's budget; re-walk it", NAME, base)
                    state["newest"] = None
                state["resume"] = found["resume"]
        for base, state in cursor.items():  # then the rest of walks cut short
            if state.get("resume") and walker.room > 0:
                found = walker.walk(base, "resume", state["resume"], None, stop_at=None)
                state["resume"] = found["resume"]
    finally:
        path = store.path(NAME, snapshot_date, CURSOR)
        store.storage.write_bytes(path, json.dumps(cursor, indent=2, sort_keys=True).encode())
    if walker.room <= 0:
        log.warning("%s: request budget of %d reached; the next run continues from the cursor", NAME, REQUEST_BUDGET)
    return walker.files


def _base_of(meta: RawMeta) -> str:
    """The base a page lists: the ``filter`` parameter, in the stored params or in the cursor URL."""
    query = {**parse_qs(urlsplit(meta.url).query), **{k: [v] for k, v in meta.params.items() if k == "filter"}}
    found = [f for f in query.get("filter", []) if isinstance(f, str) and f.startswith(_PREFIX)]
    if not found:
        raise ParseError(f"{NAME} file {meta.file}: its request names no base_model filter ({meta.url})")
    return found[0][len(_PREFIX) :]


def _relation(tags: list[Any], base: str) -> str | None:
    return next((r for r in RELATIONS if f"{_PREFIX}{r}:{base}" in tags), None)


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per child repo of one listing page, sorted by repo id."""
    doc = load_json(raw, f"{NAME} file {meta.file} ({meta.url})")
    if not isinstance(doc, list):
        raise ParseError(f"{NAME} file {meta.file}: a model listing is a JSON array, got {type(doc).__name__}")
    base = _base_of(meta)
    family = hub_scope.family_of().get(base)
    if family is None:
        raise ParseError(f"{NAME} file {meta.file}: base {base!r} is not a family base of {hub_scope.SCOPE_FILE}")
    drift = CHILD_KEYS.check({k for m in doc if isinstance(m, dict) for k in m}, meta)
    rows = {}
    for i, child in enumerate(doc, start=1):
        where = f"{NAME} file {meta.file}, model {i}"
        if not isinstance(child, dict) or not isinstance(child.get("id"), str) or "/" not in child["id"]:
            raise ParseError(f"{where}: not a model object with an 'owner/name' id")
        tags = child.get("tags")
        if not isinstance(tags, list) or f"{_PREFIX}{base}" not in tags:
            raise ParseError(f"{where} ({child['id']}): its tags do not name {base} as its base model")
        created = _time(child.get("createdAt"), "createdAt", where)
        if child["id"] in rows:
            raise ParseError(f"{NAME} file {meta.file}: repo {child['id']!r} is listed twice")
        rows[child["id"]] = {
            "base_repo": base,
            "family": family,
            "repo_id": child["id"],
            "organization": child["id"].split("/", 1)[0],
            "relation": _relation(tags, base),
            "created_at": created,
            "created_on": created.date() if created else None,
            "downloads_30d": _int(child.get("downloads"), "downloads", where),
            "likes": _int(child.get("likes"), "likes", where),
        }
    table = pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=_ROW_SCHEMA)
    return typed(table, meta, SCHEMA, drift)


def is_listing(meta: RawMeta) -> bool:
    return meta.file.startswith("children.")


TABLE = TableSpec(
    "hub_children",
    # as_retrieved | reconstructed (a backfill of an earlier date: the children created by then)
    SCHEMA.append(pa.field("as_of_method", pa.string(), nullable=False)),
    KEY,
    "Hugging Face Hub: every listed derivative of the tracked family bases (data/hub_scope.csv), with its relation "
    "and creation date. Counted per base and relation in hub_derivatives.",
    as_of="every child listed on or before the snapshot date (as_retrieved); a backfill of an earlier date keeps "
    "the children created by then (reconstructed). Relation tags exist from late 2024; repos deleted before we "
    "first listed them are missing",
    values={"relation": RELATIONS, "as_of_method": ("as_retrieved", "reconstructed")},
    contains={"family": tuple(dict.fromkeys(hub_scope.family_of().values()))},
)

SOURCE = Source(
    name=NAME,
    title="Hugging Face Hub derivatives",
    what="`/api/models?filter=base_model:<base>` per family base (`data/hub_scope.csv`), newest first, "
    "incrementally from a cursor",
    homepage="https://huggingface.co/models",
    license="Hugging Face Hub API terms",
    parse=parse,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(RECONSTRUCTED, "created_on"),
    accumulates=True,
    data_file=is_listing,
    request_budget=REQUEST_BUDGET,
    derivatives=Derivatives("base_repo", "reconstructed_from_created_at", relation="relation"),
)
