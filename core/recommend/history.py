"""Play history: events, likes/dislikes, profiles, sessions, and the per-profile taste summary."""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.context import StageContext
from core.db import history as hdb
from core.db import neighbours as ndb
from core.models import PlayEvent

RATINGS = {"like": 1, "dislike": -1, "none": 0}
HALF_LIFE_DAYS = 180.0


def record_play(ctx: StageContext, event: PlayEvent) -> int:
    """Store one play and update the item-item neighbours it touches (incremental, no rebuild)."""
    from core.recommend import neighbours

    row = ctx.item_row(event.item_id)  # raises ItemNotFound
    completed = event.completed
    if not completed and event.seconds and row["duration"]:
        completed = min(1.0, float(event.seconds) / float(row["duration"]))
    gap = float(ctx.settings.session_gap_minutes) * 60.0
    with ctx.store.write() as conn:
        hdb.ensure_profile(conn, event.profile)
        event_id = hdb.insert_play(conn, event.item_id, event.profile, float(event.started_at),
                                   float(event.seconds), float(completed), bool(event.skipped), event.source)
        if not event.skipped:
            neighbours.add_play(conn, event.profile, event.item_id, float(event.started_at), gap)
        return event_id


def rate(ctx: StageContext, ref: int | str, value: str, profile: str) -> None:
    """like | dislike | none for an item (id or path)."""
    if value not in RATINGS:
        raise ValueError(f"rating must be one of {', '.join(RATINGS)}")
    item_id = ctx.item_row(ref)["id"]
    with ctx.store.write() as conn:
        hdb.ensure_profile(conn, profile)
        hdb.set_rating(conn, item_id, profile, RATINGS[value])


def sessions(conn: sqlite3.Connection, profile: str, gap_minutes: float,
             since: float | None = None) -> list[list[int]]:
    """Item ids of each listening session (plays separated by less than the gap), skips left out."""
    out: list[list[int]] = []
    last = None
    for item_id, t, skipped in hdb.play_times(conn, profile, since):
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
    rows = hdb.recent_plays(conn, profile, max_events)
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
    for item_id, value in hdb.ratings_of(conn, profile).items():
        if value > 0:
            out.liked.add(item_id)
            out.weights[item_id] = out.weights.get(item_id, 0.0) + 1.0
        else:
            out.disliked.add(item_id)
            out.weights.pop(item_id, None)
    for item_id, skips in out.skips.items():  # mostly skipped: not a positive signal
        if item_id in out.weights and skips >= out.plays.get(item_id, 0):
            out.weights[item_id] *= 0.25
    return out


def stats(ctx: StageContext) -> dict[str, Any]:
    """Keys added to `Library.stats()`."""
    conn = ctx.store.reader()
    return {**hdb.counts(conn), "cf_items": ndb.item_count(conn)}


def show(ctx: StageContext, row: sqlite3.Row) -> dict[str, Any]:
    """Keys added to `Library.show()`: plays, skips, rating, top co-played neighbours."""
    conn = ctx.store.reader()
    profile = ctx.settings.profile
    plays, skips, last = hdb.item_play_summary(conn, row["id"], profile)
    rating = hdb.rating_of(conn, row["id"], profile)
    nb = ndb.top_neighbours(conn, row["id"], 5)
    return {"history": {"plays": plays, "skips": skips, "last_played": last,
                        "rating": {1: "like", -1: "dislike"}.get(rating) if rating else None,
                        "co_played": [{"id": r[0], "title": r[3], "score": round(r[1], 4), "count": r[2]}
                                      for r in nb]}}
