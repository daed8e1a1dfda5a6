"""Typed reads and writes of the recommender's learned tables: item_cooc, item_cf_stats,
item_neighbours and recommend_state. The only module that holds SQL for these tables.

Weights are stored time-scaled by the caller (core.recommend.neighbours); this module only moves rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from core.db.chunked import select_in

NeighbourRow = tuple[int, int, float, int]  # (item_id, neighbour_id, score, count)


# ----- incremental updates (one play) ------------------------------------------------------------
def add_basket(conn: sqlite3.Connection, item_id: int, weight: float) -> None:
    """Count one more basket holding `item_id`, with its time weight."""
    conn.execute("INSERT INTO item_cf_stats (item_id, weight, baskets) VALUES (?, ?, 1) ON CONFLICT(item_id) "
                 "DO UPDATE SET weight = weight + excluded.weight, baskets = baskets + 1", (item_id, weight))


def add_cooccurrences(conn: sqlite3.Connection, pairs: Iterable[tuple[int, int, float]]) -> None:
    """Add (a, b, weight) co-occurrences, one more count per pair (give both directions)."""
    conn.executemany("INSERT INTO item_cooc (a, b, weight, count) VALUES (?, ?, ?, 1) ON CONFLICT(a, b) "
                     "DO UPDATE SET weight = weight + excluded.weight, count = count + 1", pairs)


def basket_weight(conn: sqlite3.Connection, item_id: int) -> float | None:
    """The summed time weight of the baskets holding an item, or None when it is in none."""
    row = conn.execute("SELECT weight FROM item_cf_stats WHERE item_id = ?", (item_id,)).fetchone()
    return float(row[0]) if row else None


def cooccurring(conn: sqlite3.Connection, item_id: int) -> list[tuple[int, float, int, float]]:
    """Items seen with `item_id`: (other item, pair weight, pair count, the other's basket weight)."""
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT c.b, c.weight, c.count, s.weight FROM item_cooc c JOIN item_cf_stats s "
        "ON s.item_id = c.b WHERE c.a = ?", (item_id,))]


def replace_neighbours(conn: sqlite3.Connection, item_id: int, rows: Iterable[tuple[int, float, int]]) -> None:
    """Replace the neighbour row of one item with (neighbour id, score, count) entries."""
    conn.execute("DELETE FROM item_neighbours WHERE item_id = ?", (item_id,))
    conn.executemany("INSERT INTO item_neighbours (item_id, neighbour_id, score, count) VALUES (?, ?, ?, ?)",
                     [(item_id, b, s, c) for b, s, c in rows])


# ----- full rebuild ------------------------------------------------------------------------------
def clear(conn: sqlite3.Connection) -> None:
    """Delete every co-occurrence, basket count and neighbour row (before a rebuild)."""
    conn.execute("DELETE FROM item_cooc")
    conn.execute("DELETE FROM item_cf_stats")
    conn.execute("DELETE FROM item_neighbours")


def insert_cooccurrences(conn: sqlite3.Connection, rows: Iterable[tuple[int, int, float, int]]) -> None:
    """Insert (a, b, weight, count) co-occurrence rows into an emptied table."""
    conn.executemany("INSERT INTO item_cooc (a, b, weight, count) VALUES (?, ?, ?, ?)", rows)


def insert_baskets(conn: sqlite3.Connection, rows: Iterable[tuple[int, float, int]]) -> None:
    """Insert (item id, basket weight, baskets) rows into an emptied table."""
    conn.executemany("INSERT INTO item_cf_stats (item_id, weight, baskets) VALUES (?, ?, ?)", rows)


def insert_neighbours(conn: sqlite3.Connection, rows: Iterable[NeighbourRow]) -> None:
    """Insert (item id, neighbour id, score, count) rows into an emptied table."""
    conn.executemany("INSERT INTO item_neighbours (item_id, neighbour_id, score, count) VALUES (?, ?, ?, ?)", rows)


def set_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Remember one recommender fact (e.g. 'rebuilt_at')."""
    conn.execute("INSERT OR REPLACE INTO recommend_state (key, value) VALUES (?, ?)", (key, value))


# ----- reads -------------------------------------------------------------------------------------
def neighbour_rows(conn: sqlite3.Connection, item_ids: Sequence[int]) -> list[NeighbourRow]:
    """The stored neighbours of many items: (item_id, neighbour_id, score, count)."""
    return [tuple(r) for r in select_in(  # type: ignore[misc]
        conn, "SELECT item_id, neighbour_id, score, count FROM item_neighbours WHERE item_id IN ({marks})",
        item_ids)]


def top_neighbours(conn: sqlite3.Connection, item_id: int, limit: int = 5) -> list[tuple[int, float, int, str]]:
    """An item's strongest neighbours: (neighbour id, score, count, neighbour title)."""
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT n.neighbour_id, n.score, n.count, i.title FROM item_neighbours n "
        "JOIN items i ON i.id = n.neighbour_id WHERE n.item_id = ? ORDER BY n.score DESC LIMIT ?",
        (item_id, limit))]


def baskets_of(conn: sqlite3.Connection, item_ids: Sequence[int]) -> dict[int, int]:
    """How many baskets (sessions, playlists) hold each item; items in none are absent."""
    return {int(i): int(n) for i, n in select_in(
        conn, "SELECT item_id, baskets FROM item_cf_stats WHERE item_id IN ({marks})", item_ids)}


def max_baskets(conn: sqlite3.Connection) -> int:
    """The basket count of the most co-played item (1 when there is none)."""
    return int(conn.execute("SELECT COALESCE(MAX(baskets), 1) FROM item_cf_stats").fetchone()[0])


def item_count(conn: sqlite3.Connection) -> int:
    """How many items are in at least one basket."""
    return int(conn.execute("SELECT COUNT(*) FROM item_cf_stats").fetchone()[0])
