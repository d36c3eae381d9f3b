"""Funding by openness: the cited rounds, the companies' dated stances, amendments and double records, and the
comparison with CB Insights' published split."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest
from test_parsers import make_meta

from conftest import ARCHIVE, FIXTURES
from extractors import funding_cited, sec_form_d
from extractors.raw_store import RawStore
from flows.snapshot import RawInput, load_parsed
from opengap.errors import ParseError
from transforms import funding
from transforms.build import build_snapshot

CITED = RawInput("funding_cited", str(ARCHIVE / "raw"), "2026-10-02")


def _tables(extra: dict | None = None) -> dict:
    parsed = {"funding_cited": load_parsed(CITED), **(extra or {})}
    return build_snapshot(parsed, dt.date(2026, 10, 2), {name: "2026-10-02" for name in parsed})


def test_the_archive_replays_the_shipped_rounds_file() -> None:
    archived = RawStore(ARCHIVE / "raw").read("funding_cited", "2026-10-02", funding_cited.RAW_FILE)
    assert archived.content == funding_cited.DATA_FILE.read_bytes(), "re-copy the file into the archive"


def test_every_cited_round_quotes_its_figure_and_has_a_public_source() -> None:
    """The fact-check: each row's quote (copied from its source) states the amount as recorded."""
    rows = list(csv.DictReader(funding_cited.DATA_FILE.open(encoding="utf-8")))
    assert len(rows) == 36
    for row in rows:
        assert row["source_url"].startswith(("https://", "http://")), row
        amount = row["amount_as_stated"]
        assert amount in row["quote"] or amount.replace(".", ",") in row["quote"], (row["org_key"], amount)


def test_a_cited_round_keeps_its_figure_as_stated_and_its_citation() -> None:
    rows = load_parsed(CITED)
    mistral = rows[(rows["org_key"] == "mistral") & (rows["round_type"] == "Series B")].iloc[0]
    assert (mistral["amount_as_stated"], mistral["currency"], mistral["unit"]) == (600.0, "EUR", "million")
    assert mistral["amount_usd"] == 643_700_000  # the dollar figure the source states, not a conversion of ours
    assert mistral["announced_on"] == dt.date(2024, 6, 11) and "reuters" in mistral["source_url"]
    seed = rows[(rows["org_key"] == "mistral") & (rows["round_type"] == "Seed")].iloc[0]
    assert pd.isna(seed["amount_usd"])  # stated only in euros
    assert rows["source"].eq("funding_cited").all() and rows["raw_sha256"].nunique() == 1


def test_a_bad_row_is_a_parse_error_naming_its_line() -> None:
    record = next(csv.DictReader(funding_cited.DATA_FILE.open(encoding="utf-8")))
    for change, message in [
        ({"source_url": ""}, "line 2: empty source_url"),
        ({"amount_usd": "1"}, "amount_usd 1 is not 580.0 million USD as stated"),
        ({"announced_on": "2025-02-30"}, "line 2"),
    ]:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(record))
        writer.writeheader()
        writer.writerow({**record, **change})
        content = out.getvalue().encode()
        with pytest.raises(ParseError, match=message):
            funding_cited.parse(content, make_meta("funding_cited", "funding_rounds.csv", content))


def test_a_round_counts_for_the_stance_its_company_had_that_day() -> None:
    registry = funding.companies()
    assert funding.stance_on(registry, "openai", dt.date(2025, 8, 4)) == "closed"
    assert funding.stance_on(registry, "openai", dt.date(2025, 8, 5)) == "mixed"  # gpt-oss
    assert funding.stance_on(registry, "xai", dt.date(2024, 3, 17)) == "mixed"  # Grok-1's weights
    assert funding.stance_on(registry, "mistral", dt.date(2023, 6, 13)) == "open"
    assert funding.stance_on(registry, "reflection", dt.date(2025, 10, 9)) == "unclassified"  # no model yet


def test_funding_by_openness_year_and_the_cb_insights_comparison() -> None:
    tables = _tables()
    yearly = {(r["year"], r["stance"]): r for r in tables["funding_by_openness_year"].to_pylist()}
    assert yearly[(2024, "mixed")]["total_usd"] == 12_000_000_000  # xAI's Series B and C
    assert (yearly[(2023, "open")]["rounds"], yearly[(2023, "open")]["rounds_with_usd"]) == (5, 4)  # Mistral seed: EUR
    compared = {r["stance"]: r for r in tables["funding_comparison"].to_pylist()}
    assert (compared["closed"]["claimed_usd"], compared["closed"]["ours_usd"]) == (37_500_000_000, 31_275_000_000)
    assert (compared["open"]["claimed_usd"], compared["open"]["ours_usd"]) == (14_900_000_000, 3_066_300_000)
    # CB Insights counts xAI as open-source; with xAI's 2024 rounds on the open side the sums nearly meet.
    assert compared["open"]["ours_usd"] + yearly[(2024, "mixed")]["total_usd"] == 15_066_300_000
    assert "xAI as open-source" in compared["open"]["why_they_differ"]
    assert {r["org_key"] for r in tables["companies"].to_pylist()} >= {"openai", "anthropic", "mistral", "xai"}


def test_an_amendment_replaces_its_filing_and_a_form_d_of_a_cited_raise_is_not_counted_twice() -> None:
    capture = (FIXTURES / "sec_form_d" / "formd_complete_submission_0001968399-23-000002.txt").read_bytes()
    original = sec_form_d.parse(capture, make_meta("sec_form_d", "formd.0002002695-24-000003.txt", capture))
    frame = original.to_pandas().assign(org_key="xai", filed_on=dt.date(2024, 12, 5), total_amount_sold=5_999_999_000)
    amended = frame.assign(
        accession="0002002695-25-000001",
        submission_type="D/A",
        previous_accession="0002002695-24-000003",
        filed_on=dt.date(2025, 2, 25),
        total_amount_sold=6_000_000_000,
    )
    filings = pd.concat([frame, amended], ignore_index=True)
    rounds = {r["round_id"]: r for r in _tables({"sec_form_d": filings})["funding_rounds"].to_pylist()}
    first, second = rounds["0002002695-24-000003"], rounds["0002002695-25-000001"]
    assert first["superseded"] and not first["counted"]
    # The amendment falls within 90 days of the cited Series C (2024-12-23): the same raise, counted once.
    assert second["duplicate_of"] == "xai 2024-12-23 Series C" and not second["counted"]
    assert rounds["xai 2024-12-23 Series C"]["counted"]
