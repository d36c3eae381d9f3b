"""Each source cut to what was knowable on the snapshot date, by the as-of kind it declares (opengap/source.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from extractors.base import combined_key, dictionary_decoded, dictionary_encoded, key_codes
from opengap.errors import OpengapError
from opengap.source import CURRENT_STATE, PUBLISHED, RECONSTRUCTED, SUBMITTED, Source

AS_RETRIEVED = "as_retrieved"  # as_of_method of a registry file retrieved on or before the snapshot date


class LeaderboardHistory:
    """Every published board of a source, indexed once so that cutting it to any date is cheap.

    A backfill cuts the same LMArena ``full`` split (1.2M rows; 12M in the benchmark) to hundreds of dates. The
    rows stay an Arrow table, its text dictionary-encoded (``extractors.base.dictionary_encoded``), so the
    history costs ~1 GB at 12M rows instead of ~4 GB as a pandas frame; each date's boards come out as a small
    pandas frame of plain columns. The groups of rows per published board and the per-model metadata timeline
    are computed here once, not once per date.
    """

    def __init__(self, rows: pd.DataFrame | pa.Table, source: Source) -> None:
        assert source.table is not None and source.models is not None and source.models.leaderboard is not None
        declared, board = source.as_of, source.models.leaderboard
        self.name, self.date = str(source.models.name), str(declared.date_column)
        self.group = list(declared.group)
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
        table = dictionary_encoded(table.replace_schema_metadata(None)).unify_dictionaries().combine_chunks()
        # One row per key (board, category, date, model): a parse keeps one, and of two files of a date folder
        # (the latest and full splits repeat rows) the snapshot keeps the first's (flows.snapshot._parsed).
        self.table = table
        metadata = [self.name, self.date, board.licence, board.organization]
        codes = key_codes(table, list(dict.fromkeys([*self.group, *metadata])))
        # The rows of each published board (board, category, date): one sorted array of positions, cut per board.
        boards = combined_key(codes, [*self.group, self.date])
        order = np.argsort(boards, kind="stable")
        starts = np.flatnonzero(np.diff(boards[order], prepend=-1))
        self._groups = np.split(order, starts[1:])
        self._published = self._plain(table.select([*self.group, self.date]).take(order[starts]))
        # Licence and organization per model and date (identical across categories): a small timeline.
        distinct = _first_of_each(combined_key(codes, metadata))
        self._metadata = self._plain(table.select(metadata).take(distinct)).sort_values(self.date, kind="stable")
        self._stated: dict[str, tuple[pd.DataFrame, np.ndarray, np.ndarray]] = {}
        pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed pages otherwise (~0.7 GB at 12M)

    @staticmethod
    def _plain(table: pa.Table) -> pd.DataFrame:
        return dictionary_decoded(table).to_pandas()

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def rows(self) -> pd.DataFrame:
        """Every row, as one pandas frame (for small histories: ``opengap parse``)."""
        return self._plain(self.table)

    def publish_dates(self) -> list[dt.date]:
        return sorted(set(self._published[self.date]))

    def as_of(self, snapshot_date: dt.date) -> pd.DataFrame:
        """Per board, the newest one published on or before ``snapshot_date``."""
        return self.as_of_each([snapshot_date])[snapshot_date]

    def as_of_each(self, days: list[dt.date]) -> dict[dt.date, pd.DataFrame]:
        """``as_of`` of each date, all cut in one pass: one Arrow take and one decode for every date's rows (a
        decode's cost is mostly per call), then each date's frame is its slice."""
        positions = [self._positions(day) for day in days]
        rows = self._plain(self.table.take(np.concatenate(positions)))
        sizes = [len(p) for p in positions]
        ends = np.cumsum(sizes)
        starts = ends - sizes
        return {day: rows.iloc[a:b].reset_index(drop=True) for day, a, b in zip(days, starts, ends, strict=True)}

    def _positions(self, snapshot_date: dt.date) -> np.ndarray:
        known = self._published[self._published[self.date] <= snapshot_date]
        if known.empty:
            return np.empty(0, dtype=np.int64)
        newest = known.groupby(self.group)[self.date].idxmax().to_numpy()
        return np.sort(np.concatenate([self._groups[i] for i in newest]))

    def latest_non_empty(self, column: str, snapshot_date: dt.date) -> pd.DataFrame:
        """Per model (the index), the newest non-empty ``column`` published on or before the date, and the
        publication date of the board that stated it: LMArena blanks licences for a while (FORMATS.md §9), so
        the last known value stands until a new one is published."""
        known, dates, keys = self._statements(column)
        published = np.searchsorted(dates, np.datetime64(snapshot_date, "D"), side="right")
        # Per model, the last of its statements among the first ``published`` rows (the timeline is in date
        # order): the largest key below the model's code * rows + published, when it is still the model's.
        models = np.arange(int(keys[-1]) // len(known) + 1) if len(known) else np.arange(0)
        last = np.searchsorted(keys, models * len(known) + published) - 1
        found = last >= 0
        found[found] = keys[last[found]] // len(known) == models[found]
        return known.iloc[keys[last[found]] % len(known)].set_index(self.name)[[column, self.date]]

    def _statements(self, column: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """The timeline's rows stating ``column`` (in date order), their dates, and their positions sorted by
        model as ``model code * rows + position`` (codes in name order): computed once per column, so a
        backfill's dates each look their answer up instead of grouping the whole timeline again."""
        if column not in self._stated:
            known = self._metadata.dropna(subset=[column]).reset_index(drop=True)
            codes = pd.factorize(known[self.name], sort=True)[0].astype(np.int64)
            keys = np.sort(codes * len(known) + np.arange(len(known)))
            self._stated[column] = (known, known[self.date].to_numpy(dtype="datetime64[D]"), keys)
        return self._stated[column]


def _first_of_each(key: np.ndarray) -> np.ndarray:
    """Positions of the first row of each distinct ``key``, in row order (pandas' ``drop_duplicates``)."""
    return np.sort(np.unique(key, return_index=True)[1])


Indexed = pd.DataFrame | LeaderboardHistory


def index(source: Source, rows: pd.DataFrame | pa.Table) -> Indexed:
    """A source's parsed rows, indexed once for repeated snapshots (a board history by published board)."""
    return LeaderboardHistory(rows, source) if source.as_of.kind == PUBLISHED else rows


def cut_each(
    source: Source, rows: Indexed, days: list[dt.date], raw_date: str | None
) -> dict[dt.date, pd.DataFrame | None]:
    """What ``source`` may contribute to the snapshot of each of ``days`` when its raw files were retrieved on
    ``raw_date`` (None: unknown, taken as retrieved in time); None leaves the source out of that snapshot. A board
    history's dates are cut in one pass (``as_of_each``)."""
    if source.as_of.kind != PUBLISHED:
        assert isinstance(rows, pd.DataFrame)
        return {day: _cut_rows(source, rows, day, raw_date) for day in days}
    history = rows if isinstance(rows, LeaderboardHistory) else LeaderboardHistory(rows, source)
    cuts = history.as_of_each(days)
    for day, on_date in cuts.items():
        if on_date.empty:
            raise OpengapError(
                f"no {source.title} leaderboard was published on or before {day} in the stored raw "
                "files; choose a later --date, or backfill from the full split"
            )
    return cuts


def _cut_rows(source: Source, rows: pd.DataFrame, snapshot_date: dt.date, raw_date: str | None) -> pd.DataFrame | None:
    """A list source (not a board history) cut to one date, by its as-of kind."""
    kind, column = source.as_of.kind, source.as_of.date_column
    retrieved_in_time = raw_date is None or raw_date <= snapshot_date.isoformat()
    if kind == RECONSTRUCTED:  # a later file keeps only entries dated by the snapshot date, and says so per row
        if retrieved_in_time:
            return rows.assign(as_of_method=AS_RETRIEVED)
        dated = rows[column].notna() & (rows[column] <= snapshot_date)
        return rows[dated].assign(as_of_method=RECONSTRUCTED)
    if kind == CURRENT_STATE:  # a backfill of an earlier date leaves it out rather than guess
        return rows if retrieved_in_time else None
    if kind == SUBMITTED:  # nothing before its first submission
        submitted = rows[rows[column].isna() | (rows[column] <= snapshot_date)]
        return submitted if len(submitted) else None
    raise AssertionError(kind)
