"""Expectations that follow from a table's contract, generated instead of copied into every suite file.

From the ``TableSpec``: the key is unique, every non-nullable column is not null, each declared value set
holds. From the openness taxonomy (``transforms/openness.py``, ``transforms/evidence.py``): tiers, the binary
tag and the evidence that decided it use the one vocabulary, wherever those columns appear. The hand-written
``suites/<table>.json`` keeps only what the contract cannot say (row-count floors, ranges, coverage).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd
import pyarrow as pa

from opengap.contracts import TableSpec
from transforms import evidence, openness

CRITICAL = "critical"


WARNING = "warning"


def _expect(kind: str, why: str, severity: str = CRITICAL, **kwargs: Any) -> dict[str, Any]:
    return {"type": f"expect_{kind}", "kwargs": kwargs, "severity": severity, "meta": {"why": why}}


def _in_set(column: str, values: tuple[str, ...] | list[str], why: str, **kwargs: Any) -> dict[str, Any]:
    return _expect("column_values_to_be_in_set", why, column=column, value_set=list(values), **kwargs)


def _when(condition: str) -> dict[str, str]:
    return {"row_condition": condition, "condition_parser": "pandas"}


def _openness(columns: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for column in ("openness_tier", "tier", "decided_tier"):
        if column in columns:
            found.append(_in_set(column, openness.TIERS, "one taxonomy for the whole project"))
    if "openness" in columns:
        found.append(_in_set("openness", ("open", "closed"), "binary tag; null only for unknown tier"))
    if {"openness", "openness_tier"} <= set(columns):
        found += [
            _in_set(
                "openness_tier", openness.OPEN_TIERS, "the binary tag must follow the tier", **_when('openness=="open"')
            ),
            _in_set(
                "openness_tier",
                openness.CLOSED_TIERS,
                "the binary tag must follow the tier",
                **_when('openness=="closed"'),
            ),
        ]
    if "openness_source" in columns:
        kinds = "|".join(map(re.escape, [*evidence.PRECEDENCE, openness.BY_NOTHING]))
        found.append(
            _expect(
                "column_values_to_match_regex",
                "every tier names the evidence that decided it (precedence in transforms/evidence.py)",
                column="openness_source",
                regex=rf"^(?:{kinds})(?:\+(?:{kinds}))?$",
            )
        )
    if "evidence_source" in columns:
        found.append(_in_set("evidence_source", evidence.PRECEDENCE, "the evidence kinds of the precedence"))
    return found


def expectations(spec: TableSpec) -> list[dict[str, Any]]:
    """The contract's own expectations for ``spec``, in GX 1.x suite JSON form."""
    found = []
    if len(spec.key) == 1:
        found.append(_expect("column_values_to_be_unique", "table key", column=spec.key[0]))
    else:
        found.append(_expect("compound_columns_to_be_unique", "table key", column_list=list(spec.key)))
    found += [
        _expect("column_values_to_not_be_null", "required field", column=f.name) for f in spec.schema if not f.nullable
    ]
    found += [_in_set(column, values, "declared values") for column, values in spec.values.items()]
    found += [
        _expect(
            "column_distinct_values_to_contain_set",
            "every tracked value answered (a missing one: an empty or failed listing)",
            WARNING,
            column=column,
            value_set=list(values),
        )
        for column, values in spec.contains.items()
    ]
    return found + _openness(spec.schema.names)


def row_count_change(spec: TableSpec, previous_rows: int, previous_date: str) -> dict[str, Any] | None:
    """A floor on ``spec``'s rows from the previous published snapshot's count (None: the table opts out)."""
    if spec.max_row_drop is None:
        return None
    floor = math.ceil(previous_rows * (1 - spec.max_row_drop))
    return _expect(
        "table_row_count_to_be_between",
        f"rows may fall at most {spec.max_row_drop:.0%} from the {previous_rows} of the snapshot of {previous_date} "
        f"(a short download?); `--allow-row-drop {spec.name}` accepts a known upstream change",
        min_value=floor,
        max_value=None,
    )


def decreases(spec: TableSpec, previous: pa.Table, current: pa.Table, previous_date: str) -> dict[str, Any] | None:
    """A warning naming every key whose ``never_decrease`` counts fell since the previous snapshot (None: the
    table declares none). The comparison joins the two snapshots; GX reports the keys it found."""
    columns = [c for c in spec.never_decrease if c in previous.column_names and c in current.column_names]
    if not columns or len(spec.key) != 1:
        return None
    key = spec.key[0]
    joined = (
        current.select([key, *columns])
        .to_pandas()
        .merge(previous.select([key, *columns]).to_pandas(), on=key, suffixes=("", "_before"))
    )
    fell = pd.Series(False, index=joined.index)
    for column in columns:
        fell |= joined[column] < joined[f"{column}_before"]  # a null on either side compares False
    return _expect(
        "column_values_to_not_be_in_set",
        f"{', '.join(columns)} never decrease between snapshots; these fell since {previous_date}",
        WARNING,
        column=key,
        value_set=sorted(joined.loc[fell, key]),
    )
