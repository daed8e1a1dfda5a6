"""Play history: events, likes/dislikes, profiles, sessions, and the per-profile taste summary."""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.models import PlayEvent

RATINGS = {"like": 1, "dislike": -1, "none": 0}
HALF_LIFE_DAYS = 180.0


def ensure_profile(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("INSERT OR IGNORE INTO profiles (name, created_at) VALUES (?, ?)", (name, time.time()))


def record_play(library, event: PlayEvent) -> int:
    """Store one play and update the item-item neighbours it touches (incremental, no rebuild)."""
    from core.recommend import neighbours

    library.item_row(event.item_id)  # raises ItemNotFound
    completed = event.completed
    if not completed and event.seconds:
        row = library.item_row(event.item_id)
        if row["duration"]:
            completed = min(1.0, float(event.seconds) / float(row["duration"]))
    gap = float(library.settings.session_gap_minutes) * 60.0
    with library.store.write() as conn:
        ensure_profile(conn, event.profile)
        cur = conn.execute(
            "INSERT INTO play_events (item_id, profile, started_at, seconds, completed, skipped, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event.item_id, event.profile, float(event.started_at), float(event.seconds), float(completed),
             int(bool(event.skipped)), event.source))
        if not event.skipped:
            neighbours.add_play(conn, event.profile, event.item_id, float(event.started_at), gap)
        return int(cur.lastrowid)


def rate(library, ref: int | str, value: str, profile: str) -> None:
    """like | dislike | none for an item (id or path)."""
    if value not in RATINGS:
        raise ValueError(f"rating must be one of {', '.join(RATINGS)}")
    item_id = library.item_row(ref)["id"]
    with library.store.write() as conn:
        ensure_profile(conn, profile)
        if RATINGS[value] == 0:
            conn.execute("DELETE FROM ratings WHERE item_id = ? AND profile = ?", (item_id, profile))
        else:
            conn.execute("INSERT OR REPLACE INTO ratings (item_id, profile, value, rated_at) VALUES (?, ?, ?, ?)",
                         (item_id, profile, RATINGS[value], time.time()))


def sessions(conn: sqlite3.Connection, profile: str, gap_minutes: float,
             since: float | None = None) -> list[list[int]]:
    """Item ids of each listening session (plays separated by less than the gap), skips left out."""
    sql = "SELECT item_id, started_at, skipped FROM play_events WHERE profile = ?"
    params: list[Any] = [profile]
    if since is not None:
        sql += " AND started_at >= ?"
        params.append(since)
    out: list[list[int]] = []
    last = None
    for item_id, t, skipped in conn.execute(sql + " ORDER BY started_at", params):
        if last is None or t - last > gap_minutes * 60.0:
            out.append([])
        last = t
        if not skipped:
            out[-1].append(item_id)
    return [s for s in out if s]


@dataclass
class Taste:
    """What one profile's history says, per item id."""

    weights: dict[int, float] = field(default_factory=dict)   # decayed plays (+ likes)
    plays: dict[int, int] = field(default_factory=dict)
    skips: dict[int, int] = field(default_factory=dict)
    last_played: dict[int, float] = field(default_factory=dict)
    liked: set[int] = field(default_factory=set)
    disliked: set[int] = field(default_factory=set)
    recent: list[int] = field(default_factory=list)            # most recent first, distinct


def taste(conn: sqlite3.Connection, profile: str, now: float | None = None, max_events: int = 5000) -> Taste:
    """Summarise the last `max_events` plays and all ratings of a profile."""
    now = now or time.time()
    out = Taste()
    rows = conn.execute("SELECT item_id, started_at, completed, skipped FROM play_events WHERE profile = ? "
                        "ORDER BY started_at DESC LIMIT ?", (profile, max_events)).fetchall()
    if rows:
        a = np.array(rows, dtype=np.float64)
        ids, t, comp, skip = a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3] > 0
        sk_ids, sk_n = np.unique(ids[skip], return_counts=True)
        out.skips = dict(zip(sk_ids.tolist(), sk_n.tolist(), strict=True))
        ids, t, comp = ids[~skip], t[~skip], comp[~skip]
        decay = np.exp(-np.maximum(now - t, 0.0) / 86400.0 / HALF_LIFE_DAYS * math.log(2))
        w = decay * (0.5 + 0.5 * np.where(comp > 0, comp, 1.0))
        uniq, first, inv, n = np.unique(ids, return_index=True, return_inverse=True, return_counts=True)
        sums = np.zeros(len(uniq))
        np.add.at(sums, inv, w)
        out.weights = dict(zip(uniq.tolist(), sums.tolist(), strict=True))
        out.plays = dict(zip(uniq.tolist(), n.tolist(), strict=True))
        out.last_played = dict(zip(uniq.tolist(), t[first].tolist(), strict=True))  # rows are newest first
        out.recent = uniq[np.argsort(first)].tolist()
    for item_id, value in conn.execute("SELECT item_id, value FROM ratings WHERE profile = ?", (profile,)):
        if value > 0:
            out.liked.add(item_id)
            out.weights[item_id] = out.weights.get(item_id, 0.0) + 1.0
        else:
            out.disliked.add(item_id)
            out.weights.pop(item_id, None)
    for item_id, n in out.skips.items():  # mostly skipped: not a positive signal
        if item_id in out.weights and n >= out.plays.get(item_id, 0):
            out.weights[item_id] *= 0.25
    return out


def stats(library) -> dict[str, Any]:
    """Keys added to `Library.stats()`."""
    one = lambda sql: library.store.query(sql)[0][0]  # noqa: E731
    return {"ratings": one("SELECT COUNT(*) FROM ratings"),
            "playlists": one("SELECT COUNT(*) FROM playlists"),
            "profiles": one("SELECT COUNT(*) FROM profiles"),
            "cf_items": one("SELECT COUNT(*) FROM item_cf_stats")}


def show(library, row) -> dict[str, Any]:
    """Keys added to `Library.show()`: plays, skips, rating, top co-played neighbours."""
    conn = library.store.reader()
    profile = library.settings.profile
    plays, skips, last = conn.execute(
        "SELECT COUNT(*) - COALESCE(SUM(skipped), 0), COALESCE(SUM(skipped), 0), MAX(started_at) "
        "FROM play_events WHERE item_id = ? AND profile = ?", (row["id"], profile)).fetchone()
    rating = conn.execute("SELECT value FROM ratings WHERE item_id = ? AND profile = ?",
                          (row["id"], profile)).fetchone()
    nb = conn.execute("SELECT n.neighbour_id, n.score, n.count, i.title FROM item_neighbours n "
                      "JOIN items i ON i.id = n.neighbour_id WHERE n.item_id = ? ORDER BY n.score DESC "
                      "LIMIT 5", (row["id"],)).fetchall()
    return {"history": {"plays": plays, "skips": skips, "last_played": last,
                        "rating": {1: "like", -1: "dislike"}.get(rating[0]) if rating else None,
                        "co_played": [{"id": r[0], "title": r[3], "score": round(r[1], 4), "count": r[2]}
                                      for r in nb]}}
