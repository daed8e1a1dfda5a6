"""Typed reads and writes of what the user did: play_events, ratings, resume_positions and profiles.
The only module that holds SQL for these tables (playlists live in core/db/playlists.py).

Readers take a connection and a profile; per-item readers take a list of ids and read it through
`core.db.chunked.select_in`, so any number of ids works.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from core.db.chunked import select_in

PlayRow = tuple[int, float, float, int]  # (item_id, started_at, completed, skipped)
# Every reader of plays reads only what was heard: failed plays and repeated rows (migration 0008) stay
# stored for the record and are never a play, a skip or part of a listening session.
PLAYED = "outcome = 'played'"


# ----- profiles ----------------------------------------------------------------------------------
def ensure_profile(conn: sqlite3.Connection, name: str) -> None:
    """Create the profile `name` when it does not exist yet (in the caller's transaction)."""
    conn.execute("INSERT OR IGNORE INTO profiles (name, created_at) VALUES (?, ?)", (name, time.time()))


# ----- play events: writes -----------------------------------------------------------------------
def insert_play(conn: sqlite3.Connection, item_id: int, profile: str, started_at: float, seconds: float,
                completed: float, skipped: bool, source: str, outcome: str = "played") -> int:
    """Store one play event (outcome 'failed': a play that could not happen, read by no recommender)."""
    cur = conn.execute(
        "INSERT INTO play_events (item_id, profile, started_at, seconds, completed, skipped, source, outcome) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (item_id, profile, float(started_at), float(seconds), float(completed), int(bool(skipped)), source, outcome))
    return int(cur.lastrowid or 0)


def play_near(conn: sqlite3.Connection, item_id: int, profile: str, started_at: float,
              within_s: float) -> sqlite3.Row | None:
    """The event of this item and profile that started within `within_s` of `started_at` (the same user
    action recorded twice), or None: id, started_at, seconds, skipped, outcome."""
    return conn.execute(
        "SELECT id, started_at, seconds, skipped, outcome FROM play_events WHERE item_id = ? AND profile = ? "
        "AND started_at BETWEEN ? AND ? ORDER BY ABS(started_at - ?) LIMIT 1",
        (item_id, profile, started_at - within_s, started_at + within_s, started_at)).fetchone()


def update_play(conn: sqlite3.Connection, event_id: int, seconds: float, completed: float, skipped: bool,
                outcome: str) -> None:
    """Replace what one stored event says happened (a repeat of the same action that heard more)."""
    conn.execute("UPDATE play_events SET seconds = ?, completed = ?, skipped = ?, outcome = ? WHERE id = ?",
                 (float(seconds), float(completed), int(bool(skipped)), outcome, event_id))


def has_play_at(conn: sqlite3.Connection, item_id: int, profile: str, started_at: float) -> bool:
    """Whether this profile already has a play of the item starting exactly at `started_at` (imports)."""
    return conn.execute("SELECT 1 FROM play_events WHERE item_id = ? AND profile = ? AND started_at = ?",
                        (item_id, profile, started_at)).fetchone() is not None


# ----- play events: reads ------------------------------------------------------------------------
def recent_plays(conn: sqlite3.Connection, profile: str, limit: int) -> list[PlayRow]:
    """The profile's last `limit` play events, newest first: (item_id, started_at, completed, skipped)."""
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT item_id, started_at, completed, skipped FROM play_events WHERE profile = ? AND " + PLAYED
        + " ORDER BY started_at DESC LIMIT ?", (profile, limit))]


def play_times(conn: sqlite3.Connection, profile: str, since: float | None = None) -> list[tuple[int, float, int]]:
    """Every play of a profile (from `since` on), oldest first: (item_id, started_at, skipped)."""
    sql = "SELECT item_id, started_at, skipped FROM play_events WHERE profile = ? AND " + PLAYED
    params: list[Any] = [profile]
    if since is not None:
        sql += " AND started_at >= ?"
        params.append(since)
    return [tuple(r) for r in conn.execute(sql + " ORDER BY started_at", params)]  # type: ignore[misc]


def plays_up_to(conn: sqlite3.Connection, profile: str, t: float, limit: int) -> list[tuple[int, float, int]]:
    """The profile's last `limit` plays that started at or before `t`, newest first (ties: newest row
    first): (item_id, started_at, skipped)."""
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT item_id, started_at, skipped FROM play_events WHERE profile = ? AND started_at <= ? AND "
        + PLAYED + " ORDER BY started_at DESC, id DESC LIMIT ?", (profile, t, limit))]


def all_plays(conn: sqlite3.Connection) -> list[tuple[int, str, float, int]]:
    """Every play of every profile, by profile then time: (item_id, profile, started_at, skipped)."""
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT item_id, profile, started_at, skipped FROM play_events WHERE " + PLAYED
        + " ORDER BY profile, started_at")]


def play_counts(conn: sqlite3.Connection, profile: str, item_ids: Sequence[int],
                include_skips: bool = False) -> dict[int, int]:
    """Plays per item of a profile (skips not counted unless `include_skips`); unplayed ids are absent."""
    skip = "" if include_skips else " AND skipped = 0"
    return {int(i): int(n) for i, n in select_in(
        conn, "SELECT item_id, COUNT(*) FROM play_events WHERE item_id IN ({marks}) AND profile = ? AND "
        + PLAYED + skip
        + " GROUP BY item_id", item_ids, after=(profile,))}


def play_totals(conn: sqlite3.Connection, profile: str) -> list[tuple[int, int, int, float | None]]:
    """Every item a profile ever played or skipped, counted over its whole history (no cap):
    (item_id, plays that were not skips, skips, last start of a play that was not a skip or None)."""
    return [(int(i), int(plays), int(skips), last) for i, plays, skips, last in conn.execute(
        "SELECT item_id, SUM(skipped = 0), SUM(skipped != 0), MAX(CASE WHEN skipped = 0 THEN started_at END) "
        "FROM play_events WHERE profile = ? AND " + PLAYED + " GROUP BY item_id", (profile,))]


def last_played(conn: sqlite3.Connection, profile: str, item_ids: Sequence[int],
                include_skips: bool = False) -> dict[int, float]:
    """When each item was last played by a profile (skips ignored unless `include_skips`); unplayed ids
    are absent."""
    skip = "" if include_skips else " AND skipped = 0"
    return {int(i): float(t) for i, t in select_in(
        conn, "SELECT item_id, MAX(started_at) FROM play_events WHERE item_id IN ({marks}) AND profile = ? AND "
        + PLAYED + skip
        + " GROUP BY item_id", item_ids, after=(profile,))}


def item_play_summary(conn: sqlite3.Connection, item_id: int, profile: str) -> tuple[int, int, float | None]:
    """(plays not skipped, skips, last start time of any event) of one item for a profile."""
    plays, skips, last = conn.execute(
        "SELECT COUNT(*) - COALESCE(SUM(skipped), 0), COALESCE(SUM(skipped), 0), MAX(started_at) "
        "FROM play_events WHERE item_id = ? AND profile = ? AND " + PLAYED, (item_id, profile)).fetchone()
    return int(plays), int(skips), last


def play_event_count(conn: sqlite3.Connection) -> int:
    """How many play events the library holds (every profile)."""
    return int(conn.execute("SELECT COUNT(*) FROM play_events").fetchone()[0])


# ----- ratings -----------------------------------------------------------------------------------
def set_rating(conn: sqlite3.Connection, item_id: int, profile: str, value: int) -> None:
    """Store a like (1) or dislike (-1) of an item; 0 removes the rating."""
    if value == 0:
        conn.execute("DELETE FROM ratings WHERE item_id = ? AND profile = ?", (item_id, profile))
    else:
        conn.execute("INSERT OR REPLACE INTO ratings (item_id, profile, value, rated_at) VALUES (?, ?, ?, ?)",
                     (item_id, profile, int(value), time.time()))


def ratings_of(conn: sqlite3.Connection, profile: str) -> dict[int, int]:
    """Every rating of a profile: item id -> 1 (like) or -1 (dislike)."""
    return {int(i): int(v) for i, v in conn.execute("SELECT item_id, value FROM ratings WHERE profile = ?",
                                                    (profile,))}


def rating_of(conn: sqlite3.Connection, item_id: int, profile: str) -> int | None:
    """One item's rating for a profile (1 like, -1 dislike) or None."""
    row = conn.execute("SELECT value FROM ratings WHERE item_id = ? AND profile = ?", (item_id, profile)).fetchone()
    return int(row[0]) if row else None


def liked_among(conn: sqlite3.Connection, profile: str, item_ids: Sequence[int]) -> set[int]:
    """Which of `item_ids` the profile likes."""
    return {int(r[0]) for r in select_in(
        conn, "SELECT item_id FROM ratings WHERE item_id IN ({marks}) AND profile = ? AND value > 0",
        item_ids, after=(profile,))}


# ----- resume positions --------------------------------------------------------------------------
def resume_position(conn: sqlite3.Connection, item_id: int, profile: str) -> float | None:
    """Where playback of an item stopped last time (seconds), or None."""
    row = conn.execute("SELECT seconds FROM resume_positions WHERE item_id = ? AND profile = ?",
                       (item_id, profile)).fetchone()
    return float(row[0]) if row else None


def set_resume_position(conn: sqlite3.Connection, item_id: int, profile: str, seconds: float | None) -> None:
    """Remember (or with None, forget) where playback of an item stopped."""
    conn.execute("DELETE FROM resume_positions WHERE item_id = ? AND profile = ?", (item_id, profile))
    if seconds is not None:
        conn.execute("INSERT INTO resume_positions (item_id, profile, seconds, updated_at) "
                     "VALUES (?, ?, ?, strftime('%s','now'))", (item_id, profile, float(seconds)))


# What "forget my history" deletes; playlists, items and analysis stay.
HISTORY_TABLES = ("play_events", "ratings", "resume_positions")


def forget(conn: sqlite3.Connection, profile: str | None) -> dict[str, int]:
    """Delete the plays, ratings and resume points of one profile (every profile when None);
    returns how many rows went from each table."""
    removed: dict[str, int] = {}
    for table in HISTORY_TABLES:
        if profile is None:
            cur = conn.execute(f"DELETE FROM {table}")
        else:
            cur = conn.execute(f"DELETE FROM {table} WHERE profile = ?", (profile,))
        removed[table] = cur.rowcount
    return removed


# ----- counts ------------------------------------------------------------------------------------
def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many ratings, playlists and profiles the library holds (for `Library.stats`)."""
    one = lambda table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: E731
    return {"ratings": one("ratings"), "playlists": one("playlists"), "profiles": one("profiles")}


# ----- the app's lists: the History page, the Playlists page, "Because you played" ----------------
def play_history(conn: sqlite3.Connection, profile: str, limit: int) -> list[sqlite3.Row]:
    """The profile's latest `limit` play events, newest first, each with its item's title (the file name
    when it has none), artist and kind."""
    return conn.execute(
        "SELECT p.id, p.item_id, p.started_at, p.seconds, p.completed, p.skipped, p.source, "
        "COALESCE(NULLIF(i.title, ''), i.filename) AS title, i.artist, i.kind FROM play_events p "
        "JOIN items i ON i.id = p.item_id WHERE p.profile = ? AND p." + PLAYED
        + " ORDER BY p.started_at DESC, p.id DESC LIMIT ?",
        (profile, int(limit))).fetchall()


def latest_play(conn: sqlite3.Connection, profile: str) -> tuple[int, str] | None:
    """(item id, title or file name) of the profile's most recent play that was not a skip, or None."""
    row = conn.execute(
        "SELECT i.id, COALESCE(NULLIF(i.title, ''), i.filename) FROM play_events p JOIN items i ON i.id = p.item_id "
        "WHERE p.profile = ? AND p.skipped = 0 AND p." + PLAYED + " ORDER BY p.started_at DESC, p.id DESC LIMIT 1",
        (profile,)).fetchone()
    return (int(row[0]), str(row[1])) if row else None

