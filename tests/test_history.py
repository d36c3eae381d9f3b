"""The LMArena history as a backfill holds it: parsed once, kept compact in Arrow, shared by worker processes
through one memory-mapped file, cut to each snapshot date exactly as the pandas rows it replaces were."""

from __future__ import annotations

import json

import pandas as pd

from conftest import ARCHIVE
from extractors import registry
from extractors.base import dictionary_decoded
from extractors.raw_store import RawStore
from flows.snapshot import RawInput, load_parsed, parse_reports, share_parsed
from transforms.as_of import LeaderboardHistory

LMARENA = RawInput("lmarena", str(ARCHIVE / "raw"), "2026-10-02")


def test_compact_history_cuts_every_date_as_the_pandas_rows_did() -> None:
    compact = load_parsed(LMARENA)
    assert isinstance(compact, LeaderboardHistory)
    # The same rows as plain pandas (the form the history had before it was held compact).
    frame = dictionary_decoded(compact.table).to_pandas()
    plain = LeaderboardHistory(frame, registry.get("lmarena"))
    dates = compact.publish_dates()
    assert (len(dates), dates[0].isoformat(), len(compact)) == (12, "2023-05-08", 384)
    assert dates == plain.publish_dates()
    each = compact.as_of_each(dates)  # every date cut in one pass, as a backfill's group of dates is
    for day in dates:
        cut = compact.as_of(day)
        # vote_count: int64 in a cut without missing votes, float64 (NaN) in one with some; cast alike on publish
        pd.testing.assert_frame_equal(cut, plain.as_of(day), check_dtype=False)
        pd.testing.assert_frame_equal(each[day], cut, check_dtype=False)
        assert set(cut["leaderboard_publish_date"]) <= {d for d in dates if d <= day}
        for column in ("license", "organization"):
            stated = compact.latest_non_empty(column, day)
            pd.testing.assert_frame_equal(stated, plain.latest_non_empty(column, day))
            # Its definition, grouped from scratch: per model, the last non-empty value published by that day.
            known = frame[frame["leaderboard_publish_date"] <= day].dropna(subset=[column])
            known = known.drop_duplicates(["model_name", "leaderboard_publish_date"])
            expected = known.sort_values("leaderboard_publish_date", kind="stable").groupby("model_name")
            pd.testing.assert_frame_equal(stated, expected[[column, "leaderboard_publish_date"]].last())
    # A model listed before its licence is: absent until a board states one, then dated by the newest board.
    stated = {day.isoformat(): compact.latest_non_empty("license", day) for day in dates}
    assert "gpt-5.4-high" not in stated["2026-04-02"].index and "gpt-5.4" not in stated["2026-10-02"].index
    for day in ("2026-08-12", "2026-10-02"):
        licence, on = stated[day].loc["gpt-5.4-high"]
        assert (licence, on.isoformat()) == ("Proprietary", day)
    # Per board and category its newest board: one category of each board was last published on 2025-05-19.
    newest = compact.as_of(dates[-1])
    assert newest["board"].value_counts().to_dict() == {"text": 27, "text_style_control": 27}
    assert sorted({d.isoformat() for d in newest["leaderboard_publish_date"]}) == ["2025-05-19", "2026-10-02"]


def test_a_shared_history_is_the_one_parsed_here(tmp_path) -> None:
    shared = share_parsed(LMARENA, str(tmp_path))
    assert shared.shared is not None and shared.shared.endswith(".arrow")
    mapped, parsed = load_parsed(shared), load_parsed(LMARENA)
    assert mapped is not parsed and mapped.table.equals(parsed.table)
    for day in parsed.publish_dates():
        pd.testing.assert_frame_equal(mapped.as_of(day), parsed.as_of(day))
    files = LMARENA.files()
    assert parse_reports(shared, files) == parse_reports(LMARENA, files)
    # A small source is not shared: each process parses it where it is used.
    epoch = RawInput("epoch", str(ARCHIVE / "raw"), "2025-05-20")
    assert share_parsed(epoch, str(tmp_path)) == epoch


def test_a_folder_with_the_latest_and_full_splits_keeps_each_row_once(tmp_path) -> None:
    """A date folder may hold both splits of a board; the latest split's rows are all in the full one."""
    full = RawStore(ARCHIVE / "raw").read("lmarena", "2026-10-02", "text.full.rows.json").content
    rows = json.loads(full)
    newest = max(r["leaderboard_publish_date"] for r in rows)
    latest = [r for r in rows if r["leaderboard_publish_date"] == newest]
    store = RawStore(tmp_path)
    for name, body in (("text.full.rows.json", full), ("text.latest.rows.json", json.dumps(latest).encode())):
        store.write(
            "lmarena", "2026-10-02", name, body, url=f"https://example.invalid/{name}", params={"config": "text"}
        )
    raw = RawInput("lmarena", str(tmp_path), "2026-10-02")
    history = load_parsed(raw)
    assert len(history) == len(rows) == 206 and len(latest) == 22
    reports = parse_reports(raw, raw.files())
    assert reports == {"text.latest.rows.json": {"parse_notes": {"rows_given_by_an_earlier_file": 22}}}
