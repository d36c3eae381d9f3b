"""The Hugging Face Hub: the tracked organizations' text-generation models, with adoption and licence.

Two kinds of request, both stored raw first (FORMATS.md section 4):
- ``GET {HF_ENDPOINT}/api/models?author=<org>&pipeline_tag=text-generation&sort=downloads&direction=-1`` with
  ``expand`` fields, one listing per organization of ``data/hub_scope.csv`` (a reviewed file), following the
  ``Link: <…>; rel="next"`` cursor up to MAX_PAGES;
- ``GET {HF_ENDPOINT}/api/models/<repo>`` for each repo the listings missed that a family of the scope file
  names or another source links to (OpenRouter's ``hugging_face_id``, read from its newest stored raw). A renamed
  repo answers 307 to its new id: the row carries the canonical id and keeps the old one in ``renamed_from``.
Headers (token, user agent) come from huggingface_hub's ``build_hf_headers`` (``HF_TOKEN`` when set); the
requests go through the project's session, so every answer is stored raw first, retried within its budget
(a 429's ``Retry-After`` honoured) and never logged with its headers. A run sends at most REQUEST_BUDGET.

One row per repo: 30-day and all-time downloads, likes, licence (the ``license:`` tag, else the card's; a card
``other`` names its licence in ``license_name``), gating, dates, parameters (safetensors), the base model it
derives from and how (``base_model:<relation>:<repo>`` tags), and the derivative counts by relation where the
Hub answers ``childrenModelCount``. The API serves only its present: our daily snapshots are the history.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pyarrow as pa
import requests
from huggingface_hub.utils import build_hf_headers

from extractors import hub_scope, registry
from extractors.base import (
    Columns,
    hub_endpoint,
    is_representable,
    load_json,
    only_parse_errors,
    typed,
)
from extractors.http import fetch_to_store
from extractors.raw_store import RawFile, RawMeta, RawStore
from opengap import __version__
from opengap.contracts import (
    MAX_ROW_DROP,
    PROVENANCE,
    PROVENANCE_FIELDS,
    TableSpec,
    model_rows_schema,
)
from opengap.errors import FinalFetchError, OpengapError, ParseError
from opengap.source import CURRENT_STATE, Adoption, AsOf, Derivatives, ModelRows, Source

log = logging.getLogger(__name__)

NAME = "hf_hub"
HOMEPAGE = "https://huggingface.co/models"
LICENSE = "Hugging Face Hub API terms; each model under its own licence (recorded per row)"
PAGE_SIZE = 100
MAX_PAGES = 5  # 500 models per organization, by downloads
# The Hub's anonymous API allowance is 500 requests per 5-minute window (hub-docs rate-limits.md, FORMATS.md §4),
# shared by this source and hf_hub_derivatives: this one sends at most REQUEST_BUDGET per run. The listings take
# at most organizations x MAX_PAGES (17 x 5 = 85); linked repos get the rest, the newest-linked first.
REQUEST_BUDGET = 200
EXPAND = (
    "downloads",
    "downloadsAllTime",
    "likes",
    "createdAt",
    "lastModified",
    "gated",
    "pipeline_tag",
    "library_name",
    "tags",
    "cardData",
    "safetensors",
    "childrenModelCount",
)
RELATIONS = ("finetune", "adapter", "quantized", "merge")
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_BASE_TAG = re.compile(r"^base_model:(?:(finetune|adapter|quantized|merge):)?(.+)$")

KEY = ("repo_id",)
SCHEMA = pa.schema(
    [
        pa.field("repo_id", pa.string(), nullable=False),  # "deepseek-ai/DeepSeek-R1"
        pa.field("organization", pa.string(), nullable=False),  # the part before "/"
        pa.field("model_name", pa.string(), nullable=False),  # the part after "/"
        pa.field("downloads_30d", pa.int64()),  # the Hub's `downloads`: the last 30 days
        pa.field("downloads_all_time", pa.int64()),  # only with expand=downloadsAllTime
        pa.field("likes", pa.int64()),
        pa.field("license", pa.string()),  # the `license:` tag, else cardData.license; `other` -> license_name
        pa.field("gated", pa.string()),  # false | auto | manual
        pa.field("created_at", pa.timestamp("s", tz="UTC")),  # 2022-03-02T23:29:04Z for repos older than dates
        pa.field("last_modified", pa.timestamp("s", tz="UTC")),
        pa.field("pipeline_tag", pa.string()),
        pa.field("library_name", pa.string()),
        pa.field("parameters", pa.float64()),  # safetensors total, where published
        pa.field("base_model", pa.string()),  # the repo it derives from (the first, for merges)
        pa.field("base_relation", pa.string()),  # finetune | adapter | quantized | merge (tags from late 2024)
        pa.field("renamed_from", pa.string()),  # the id a detail request asked for, when the Hub answered a rename
        pa.field("family", pa.string()),  # the family data/hub_scope.csv counts this repo in, as a base
        *[pa.field(f"children_{r}", pa.int64()) for r in RELATIONS],  # childrenModelCount, where answered
        pa.field("children_total", pa.int64()),  # their sum (null when the Hub gave none)
        *PROVENANCE_FIELDS,
    ]
)
_ROW_SCHEMA = pa.schema([f for f in SCHEMA if f.name not in PROVENANCE])
MODEL_KEYS = Columns(
    required=("id",),
    optional=("downloads", "likes", "tags", "createdAt"),
    known=(
        "_id",
        "modelId",
        "author",
        "sha",
        "private",
        "disabled",
        "trendingScore",
        "downloadsAllTime",
        "lastModified",
        "gated",
        "pipeline_tag",
        "library_name",
        "cardData",
        "safetensors",
        "childrenModelCount",
        "config",
        "transformersInfo",
        "siblings",
        "spaces",
        "widgetData",
        "model-index",
        "inference",
        "usedStorage",
        "gguf",
    ),
)


def organizations() -> tuple[str, ...]:
    """The tracked organizations (``data/hub_scope.csv``)."""
    return hub_scope.organizations()


def listing_url() -> str:
    return f"{hub_endpoint()}/api/models"


def _next_link(raw: RawFile) -> str | None:
    found = _NEXT.search(next((v for k, v in raw.meta.headers.items() if k.lower() == "link"), ""))
    return found.group(1) if found else None


def listed(raw: RawFile, key: str) -> list[str]:
    """The ``key`` string of each model a stored listing page holds, for a fetch's own bookkeeping (what the
    listings covered, a cursor's dates); a page that does not parse gives none: its parse says what is wrong."""
    try:
        doc = load_json(raw.content, raw.meta.file)
    except ParseError:
        return []
    models = doc if isinstance(doc, list) else []
    return [m[key] for m in models if isinstance(m, dict) and isinstance(m.get(key), str)]


def repo_slug(repo: str) -> str:
    """A repo id as a raw file name part ("Qwen/QwQ-32B" -> "Qwen--QwQ-32B")."""
    return repo.replace("/", "--")


def linked_repos(store: RawStore, snapshot_date: str) -> list[str]:
    """Repos the scope file's families name and those other live sources link to (their newest stored raw on or
    before the date, parsed as a snapshot would), de-duplicated in that order."""
    repos = list(hub_scope.family_of())
    for source in registry.sources().values():
        declared = source.models
        if source.name == NAME or source.static or declared is None or not isinstance(declared.hub_repo, str):
            continue
        raw_date = store.newest_date_on_or_before(source.name, snapshot_date)
        if raw_date is None:
            continue
        for raw in store.read_all(source.name, raw_date):
            if source.data_file(raw.meta):
                try:
                    rows = source.parse(raw.content, raw.meta)
                except ParseError as exc:  # that source's own run reports it; we only lose its links
                    log.warning("%s: links of %s skipped: %s", NAME, raw.meta.file, exc)
                    continue
                repos += [r for r in rows.column(declared.hub_repo).to_pylist() if isinstance(r, str) and "/" in r]
    return list(dict.fromkeys(repos))


def fetch(
    session: requests.Session, store: RawStore, snapshot_date: str, *, refresh: bool = False, history: bool = False
) -> list[RawFile]:
    """One listing per tracked organization (following the Link cursor), then one detail request per linked repo
    the listings missed, within REQUEST_BUDGET. ``history``: the Hub has none."""
    headers = build_hf_headers(library_name="opengap", library_version=__version__)
    if len(organizations()) * MAX_PAGES > REQUEST_BUDGET:
        raise OpengapError(
            f"{hub_scope.SCOPE_FILE} lists {len(organizations())} organizations: with {MAX_PAGES} pages each a run "
            f"could pass its budget of {REQUEST_BUDGET} of the Hub's 500 requests per 5 minutes; trim the scope or "
            "lower MAX_PAGES"
        )
    files: list[RawFile] = []
    for org in organizations():
        url: str | None = listing_url()
        params: dict[str, Any] | None = {
            "author": org,
            "pipeline_tag": "text-generation",
            "sort": "downloads",
            "direction": "-1",
            "limit": str(PAGE_SIZE),
            "expand": list(EXPAND),
        }
        for page in range(1, MAX_PAGES + 1):
            raw = fetch_to_store(
                session,
                store,
                source=NAME,
                snapshot_date=snapshot_date,
                file=f"models.{org}.page-{page}.json",
                url=str(url),
                params=params,
                headers=headers,
                refresh=refresh,
                expect="json",
            )
            files.append(raw)
            url, params = _next_link(raw), None  # the cursor URL carries every parameter
            if url is None:
                break
    covered = {repo for f in files for repo in listed(f, "id")}
    missing = [r for r in linked_repos(store, snapshot_date) if r not in covered]
    room = REQUEST_BUDGET - len(files)
    if len(missing) > room:
        log.warning("%s: %d linked repo(s) left for a later run: over the request budget", NAME, len(missing) - room)
    for repo in missing[: max(room, 0)]:
        try:
            files.append(
                fetch_to_store(
                    session,
                    store,
                    source=NAME,
                    snapshot_date=snapshot_date,
                    file=f"repo.{repo_slug(repo)}.json",
                    url=f"{hub_endpoint()}/api/models/{quote(repo)}",
                    params={"expand": list(EXPAND)},
                    headers=headers,
                    refresh=refresh,
                    expect="json",
                )
            )
        except FinalFetchError as exc:  # a linked repo deleted or made private: the others still count
            log.warning("%s: linked repo %s skipped: %s", NAME, repo, exc)
    return files


def _int(value: Any, column: str, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not is_representable(value):
        raise ParseError(f"{where}: {column} is {value!r}, not a count")
    return value


def _time(value: Any, column: str, where: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC)
    except ValueError as exc:
        raise ParseError(f"{where}: {column} {value!r} is not an ISO time") from exc


def _licence(model: dict[str, Any], tags: list[str]) -> str | None:
    card = model.get("cardData") if isinstance(model.get("cardData"), dict) else {}
    licence = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None) or card.get("license")
    if isinstance(licence, list):
        licence = licence[0] if licence else None
    if licence == "other" and isinstance(card.get("license_name"), str):
        return card["license_name"]
    return licence if isinstance(licence, str) and licence else None


def _base(tags: list[str]) -> tuple[str | None, str | None]:
    """The base repo and the relation, from ``base_model:<relation>:<repo>`` tags (else ``base_model:<repo>``)."""
    found = [m.groups() for t in tags if (m := _BASE_TAG.match(t))]
    with_relation = [(repo, relation) for relation, repo in found if relation]
    if with_relation:
        return with_relation[0]
    return (found[0][1], None) if found else (None, None)


def _row(model: Any, index: int, meta: RawMeta) -> dict[str, Any]:
    where = f"{NAME} file {meta.file}, model {index}"
    if not isinstance(model, dict) or not isinstance(model.get("id"), str) or "/" not in model["id"]:
        raise ParseError(f"{where}: not a model object with an 'owner/name' id")
    repo = model["id"]
    where = f"{where} ({repo})"
    children = model.get("childrenModelCount") if isinstance(model.get("childrenModelCount"), dict) else {}
    total = (model.get("safetensors") or {}).get("total") if isinstance(model.get("safetensors"), dict) else None
    tags = model.get("tags") if model.get("tags") is not None else []
    if not isinstance(tags, list):
        raise ParseError(f"{where}: tags is {type(tags).__name__}, not a list")
    tags = [t for t in tags if isinstance(t, str)]
    base, relation = _base(tags)
    gated = model.get("gated")
    counts = {f"children_{r}": _int(children.get(r), f"childrenModelCount.{r}", where) for r in RELATIONS}
    return {
        "repo_id": repo,
        "organization": repo.split("/", 1)[0],
        "model_name": repo.split("/", 1)[1],
        "downloads_30d": _int(model.get("downloads"), "downloads", where),
        "downloads_all_time": _int(model.get("downloadsAllTime"), "downloadsAllTime", where),
        "likes": _int(model.get("likes"), "likes", where),
        "license": _licence(model, tags),
        "gated": None if gated is None else str(gated).lower(),
        "created_at": _time(model.get("createdAt"), "createdAt", where),
        "last_modified": _time(model.get("lastModified"), "lastModified", where),
        "pipeline_tag": model.get("pipeline_tag") if isinstance(model.get("pipeline_tag"), str) else None,
        "library_name": model.get("library_name") if isinstance(model.get("library_name"), str) else None,
        "parameters": float(total) if _int(total, "safetensors.total", where) is not None else None,
        "base_model": base,
        "base_relation": relation,
        **counts,
        "children_total": sum(n for n in counts.values() if n is not None)
        if any(n is not None for n in counts.values())
        else None,
    }


def _asked_repo(url: str) -> str | None:
    """The repo a detail request asked for (``…/api/models/<repo>``, old ids without an owner included); None
    for a listing (``…/api/models``)."""
    path = unquote(urlsplit(url).path)
    marker = "/api/models/"
    return path.split(marker, 1)[1].strip("/") or None if marker in path else None


@only_parse_errors
def parse(raw: bytes, meta: RawMeta) -> pa.Table:
    """One row per repo of a listing page (or of an array of single-model answers), sorted by repo id."""
    doc = load_json(raw, f"{NAME} file {meta.file} ({meta.url})")
    asked = _asked_repo(meta.url)
    if isinstance(doc, dict):
        doc = [doc]  # a detail request's answer: one model
    if not isinstance(doc, list):
        raise ParseError(f"{NAME} file {meta.file}: a model listing is a JSON array, got {type(doc).__name__}")
    drift = MODEL_KEYS.check({k for m in doc if isinstance(m, dict) for k in m}, meta)
    rows: dict[str, dict[str, Any]] = {}
    for i, model in enumerate(doc, start=1):
        row = _row(model, i, meta)
        row["renamed_from"] = asked if asked is not None and asked != row["repo_id"] else None
        row["family"] = hub_scope.family_of().get(row["repo_id"])
        if row["repo_id"] in rows:
            raise ParseError(f"{NAME} file {meta.file}: repo {row['repo_id']!r} is listed twice")
        rows[row["repo_id"]] = row
    table = pa.Table.from_pylist([rows[k] for k in sorted(rows)], schema=_ROW_SCHEMA)
    return typed(table, meta, SCHEMA, drift)


TABLE = TableSpec(
    "hub_models",
    model_rows_schema(SCHEMA),
    KEY,
    "Hugging Face Hub: the tracked organizations' text-generation repos, downloads, likes, licence, lineage.",
    as_of="the Hub listings as retrieved on or before the snapshot date (current state only: downloads have no "
    "history upstream, so our snapshots are that history; left out of backfills of earlier dates)",
    values={
        "gated": ("false", "auto", "manual"),
        "base_relation": RELATIONS,
    },
    max_row_drop=MAX_ROW_DROP,
    never_decrease=("downloads_all_time", *[f"children_{r}" for r in RELATIONS]),
    contains={"organization": organizations()},
)

SOURCE = Source(
    name=NAME,
    title="Hugging Face Hub",
    what="`/api/models` per tracked organization (`data/hub_scope.csv`): downloads, likes, licence, lineage",
    homepage=HOMEPAGE,
    license=LICENSE,
    parse=parse,
    fetch=fetch,
    table=TABLE,
    as_of=AsOf(CURRENT_STATE),
    request_budget=REQUEST_BUDGET,
    derivatives=Derivatives("repo_id", "children_model_count", counts={r: f"children_{r}" for r in RELATIONS}),
    models=ModelRows(
        name="model_name",
        organization="organization",
        hub_repo="repo_id",  # the repo holds the weights: evidence of open weights, its licence gives the tier
        hub_licence="license",
        hub_renamed_from="renamed_from",
        hub_base="base_model",  # a derivative is bound by its base's terms
        adoption=Adoption(
            measures={
                "downloads_30d": "downloads_30d",
                "downloads_all_time": "downloads_all_time",
                "likes": "likes",
                **{f"derivatives_{r}": f"children_{r}" for r in RELATIONS},
                "derivatives": "children_total",
            },
            organization="organization",
            family="family",
            shares=("downloads_30d", "derivatives"),  # each organization's part of the tracked repos' derivatives
        ),
        attributes={
            "model_name": ("model_name", 6),
            "organization": ("organization", 5),
            "parameters": ("parameters", 2),
            "release_date": (lambda rows: rows["created_at"].dt.date, 3),
        },
    ),
)
