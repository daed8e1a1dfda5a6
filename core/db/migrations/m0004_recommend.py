"""Recommender state: decayed item co-occurrence, per-item weight, top-N neighbours, rebuild marks."""

from __future__ import annotations

import sqlite3

STATEMENTS = [
    # co-occurrence of two items in one basket (session or playlist), both directions stored;
    # weight is time-scaled: exp((t - EPOCH) / tau), so ratios decay without rewriting old rows
    """CREATE TABLE item_cooc (
        a INTEGER NOT NULL,
        b INTEGER NOT NULL,
        weight REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (a, b)
    ) WITHOUT ROWID""",
    """CREATE TABLE item_cf_stats (
        item_id INTEGER PRIMARY KEY,
        weight REAL NOT NULL,
        baskets INTEGER NOT NULL
    )""",
    """CREATE TABLE item_neighbours (
        item_id INTEGER NOT NULL,
        neighbour_id INTEGER NOT NULL,
        score REAL NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (item_id, neighbour_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX item_neighbours_rev ON item_neighbours(neighbour_id)",
    """CREATE TABLE recommend_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS play_events_time ON play_events(started_at)",
]


def up(conn: sqlite3.Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
