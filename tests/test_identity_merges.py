"""Every merge the name match makes across the captured sources, reviewed: names become one model only when they
differ by packaging, a date or a reasoning-effort label, never by "+", a size or a tier word."""

from __future__ import annotations

import collections
import re

import pytest
from test_parsers import make_meta

from conftest import CAPTURES, needs_captures
from extractors import lmarena, registry
from opengap.source import column
from transforms.models import match_key, model_key

CAPTURED = {
    "epoch": "epoch/*.csv",
    "lmarena": "lmarena_dataset/ukitako1030_[tw]*.rows.json",
    "open_llm_leaderboard": "open_llm_leaderboard/*.csv",
    "openrouter": "openrouter/*.json",
    "artificial_analysis": "artificial_analysis/aa_api_v2_*.json",
}
# What a merge may drop, by kind (transforms/models.py). Reviewed on the captures listed above, 2026-11-30.
KINDS = {
    "packaging": re.compile(r"^(instruct|chat|it|bf16|fp8)$"),
    "date": re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{8})$"),
    "effort": re.compile(r"^(minimal|low|high|xhigh|thinking(-\d+k)?|reasoning)$"),
}
# Words that name a different model: a merge must never drop one.
DISTINCT = re.compile(r"^(plus|mini|pro|max|flash|lite|nano|turbo|ultra|\d+(\.\d+)?[bm])$")
# "-reasoning" merges, reviewed: a mode for grok-4.1-fast; a model of its own for the other three (same licence
# and tier as the base, so their openness is right; their ranks share one model row: a known limitation).
REASONING_MERGES = [
    "grok-4-1-fast-reasoning",
    "phi-4-reasoning",
    "saishshinde15-tethysai-vortex-reasoning",
    "sonar-reasoning",
]


def _captured_names() -> dict[str, set[str]]:
    """model_key spellings per match_key, over every captured file of every source that names models."""
    names: dict[str, set[str]] = collections.defaultdict(set)
    for source, pattern in CAPTURED.items():
        declared = registry.get(source)
        for path in sorted(CAPTURES.glob(pattern)):
            content = path.read_bytes()
            params = {"config": lmarena.board_of(make_meta(source, path.name, b""))} if source == "lmarena" else None
            rows = declared.parse(content, make_meta(source, path.name, content, params=params)).to_pandas()
            for name in column(rows, declared.models.name).dropna():
                names[match_key(name)].add(model_key(name))
    return names


def _dropped(key: str, spelling: str) -> list[str]:
    """The suffixes ``spelling`` carries beyond the match key, outermost last, by peeling known kinds."""
    rest, dropped = spelling.replace(".", "-"), []
    while rest != key:
        for pattern in KINDS.values():
            for size in (3, 2, 1):  # "thinking-32k" and dates span several dash-separated parts
                tail = "-".join(rest.split("-")[-size:])
                if rest.count("-") >= size and pattern.match(tail):
                    dropped.append(tail)
                    rest = rest[: -len(tail) - 1]
                    break
            else:
                continue
            break
        else:
            raise AssertionError(f"{spelling!r} merges into {key!r} by dropping something unreviewed")
    return dropped


@needs_captures
def test_every_merge_drops_only_reviewed_suffixes() -> None:
    merges = {key: spellings for key, spellings in _captured_names().items() if len(spellings) > 1}
    by_kind: collections.Counter[str] = collections.Counter()
    reasoning = []
    for key, spellings in merges.items():
        for spelling in spellings:
            for part in _dropped(key, spelling):
                assert not DISTINCT.match(part), (key, spelling)
                by_kind[next(kind for kind, pattern in KINDS.items() if pattern.match(part))] += 1
                reasoning += [spelling] if part == "reasoning" else []
    # Reviewed: 167 merged models; e.g. llama-3.1-405b-instruct-fp8 / -bf16 / -instruct (packaging),
    # gpt-4o-2024-05-13 / -08-06 (date), o4-mini-high / claude-opus-4-1-20250805-thinking-16k (effort).
    assert len(merges) == 167
    assert dict(by_kind) == {"packaging": 133, "date": 35, "effort": 36}
    assert sorted(reasoning) == REASONING_MERGES


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Command R+ (04-2024)", "Command R (04-2024)"),
        ("Command R+ (08-2024)", "Command R (08-2024)"),
        ("command-r-plus", "command-r"),
        ("o3-mini", "o3"),
        ("qwen2.5-72b-instruct", "qwen2.5-7b-instruct"),
        ("gemini-1.5-pro-002", "gemini-1.5-flash-002"),
        ("Mi:dm 200B", "Mi:dm 7B"),  # a colon inside a name is not OpenRouter's variant suffix
    ],
)
def test_variants_stay_apart(a: str, b: str) -> None:
    assert match_key(a) != match_key(b)


def test_same_model_spellings_still_meet() -> None:
    assert match_key("Command R+ (04-2024)") == match_key("command-r-plus-04-2024")
    assert match_key("llama-3.3-70b-instruct:free") == match_key("Llama-3.3-70B-Instruct")
