"""The source registry: one line per source, the only place the code lists them.

Each module named here declares ``SOURCE = Source(...)`` (``opengap/source.py``); the flows, the CLI, the
snapshot build, the models dimension, the manifest, the suites and the README's source table read it from here.
Like warn-scraper's ``get_all_scrapers()``, modules are imported by name on first use, so importing one source
(or the raw store) loads no other.

The order matters and is part of the rules: snapshots link sources in this order (the registry last), and it
breaks ties between sources that know the same Hugging Face repo of a model.
"""

from __future__ import annotations

import importlib
from functools import cache

from opengap.errors import OpengapError
from opengap.source import Source

MODULES = (
    "lmarena",
    "artificial_analysis",
    "openrouter",
    "epoch",
    "open_llm_leaderboard",
    "hf_hub",
    "hf_hub_derivatives",
    "ollama",
    "sec_form_d",
    "funding_cited",
    "lmarena_legacy",  # parse only: licence metadata of the 2023–2025 boards
)

_added: dict[str, Source] = {}  # sources registered at run time (a plug-in, or a test's toy source)


@cache
def _declared() -> dict[str, Source]:
    sources = {}
    for module_name in MODULES:
        declared = getattr(importlib.import_module(f"extractors.{module_name}"), "SOURCE", None)
        if not isinstance(declared, Source) or declared.name != module_name:
            raise OpengapError(f"extractors/{module_name}.py must declare SOURCE = Source(name={module_name!r}, …)")
        sources[module_name] = declared
    return sources


def sources() -> dict[str, Source]:
    """Every source, in registry order."""
    return {**_declared(), **_added}


def register(source: Source) -> None:
    """Add a source declared outside this package (it runs after the listed ones)."""
    _added[source.name] = source


def unregister(name: str) -> None:
    _added.pop(name, None)


def nightly() -> list[str]:
    """The sources a snapshot is built from: those that fetch and publish a table."""
    return [name for name, source in sources().items() if source.nightly]


def get(name: str) -> Source:
    """A source by its name or its command-line spelling (``open-llm-leaderboard``)."""
    for source in sources().values():
        if name in (source.name, source.cli_name):
            return source
    raise OpengapError(f"unknown source {name!r}; choose from {', '.join(s.cli_name for s in sources().values())}")


def check(names: list[str] | None) -> list[str]:
    """The chosen snapshot sources (default: all), checked before any flow starts."""
    if not names:
        return nightly()
    unknown = [n for n in names if n not in nightly()]
    if unknown:
        raise OpengapError(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(nightly())}")
    return list(names)
