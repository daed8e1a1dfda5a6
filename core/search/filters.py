"""Explicit search filters (the window's chips, the CLI's options): genre, year range, length range.

The kind (music / video) is the search's own `kind` argument. Unlike the same ideas read from the query's
words ("songs from the 80s": an item without a year may still be shown, ranked lower), a filter the person
set is strict: an item whose year or length is unknown does not pass a year or length filter.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from core.db import search as fts
from core.text import split_terms

POOL_FACTOR = 4  # filters drop candidates: rank more of them so that `limit` survive


@dataclass(frozen=True)
class Filters:
    """What the person narrowed the search to (None: not narrowed). Lengths are in seconds."""

    genre: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    length_min: float | None = None
    length_max: float | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.genre, self.year_min, self.year_max, self.length_min,
                                           self.length_max))

    def keeps(self, row: Any) -> bool:
        """Whether an items row passes every filter."""
        if self.genre and self.genre.lower() not in (row["genre"] or "").lower():
            return False
        year = row["year"]
        if (self.year_min is not None or self.year_max is not None) and not year:
            return False
        if (self.year_min is not None and year < self.year_min) or (self.year_max is not None and year > self.year_max):
            return False
        duration = row["duration"]
        if (self.length_min is not None or self.length_max is not None) and not duration:
            return False
        return not ((self.length_min is not None and duration < self.length_min)
                    or (self.length_max is not None and duration > self.length_max))


def browse_ids(conn: sqlite3.Connection, filters: Filters, kind: str | None, year_min: int | None,
               year_max: int | None, limit: int) -> list[int]:
    """Items for a query without words, in shelf order: the query's own years and kind, and the filters."""
    lo = max((y for y in (year_min, filters.year_min) if y is not None), default=None)
    hi = min((y for y in (year_max, filters.year_max) if y is not None), default=None)
    return fts.browse_ids(conn, kind, lo, hi, limit, genre=filters.genre, duration_min=filters.length_min,
                          duration_max=filters.length_max)


def genres(conn: sqlite3.Connection, limit: int = 30) -> list[str]:
    """The library's most common genres, one word each as tags split them ("Rock; Pop" counts for both)."""
    counts: Counter = Counter()
    shown: dict[str, str] = {}
    for value, n in fts.genre_values(conn, 2000):
        for term in split_terms(value):
            counts[term] += n
            shown.setdefault(term, term)
    return [shown[t] for t, _ in counts.most_common(limit)]

