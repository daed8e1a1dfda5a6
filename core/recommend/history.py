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
from core.errors import UserError
from core.models import FAILED, PLAYED, PlayEvent

RATINGS = {"like": 1, "dislike": -1, "none": 0}
HALF_LIFE_DAYS = 180.0
EARLIEST_PLAY = 86400.0  # 1970-01-02 UTC: an earlier start is a clock or parsing error, not a play
FUTURE_SLACK_S = 86400.0  # a clock a day ahead is a wrong clock, not a play from the future
SAME_ACTION_S = 2.0  # the same item started twice this close together is one action recorded twice


def play_problem(started_at: Any, seconds: Any, now: float | None = None) -> str | None:
    """Why a play starting at `started_at` (Unix time) and lasting `seconds` cannot have happened, in a
    few plain words; None when it can. The one rule for the player, the CLI and the importers."""
    try:
        start, length = float(started_at), float(seconds)
    except (TypeError, ValueError, OverflowError):
        return "time or length is not a number"
    if not math.isfinite(start):
        return "time is not a finite number"
    if start < EARLIEST_PLAY:
        return "time before 1970"
    if start > (time.time() if now is None else now) + FUTURE_SLACK_S:
        return "time in the future"
    if not math.isfinite(length) or length < 0:
        return "length is negative or not a finite number"
    return None


def completion(completed: float, seconds: float, duration: Any) -> float:
    """The share of the item heard, 0..1: `completed` when given, else seconds / duration."""
    share = float(completed) if math.isfinite(float(completed)) else 0.0
    try:
        length = float(duration or 0.0)
    except (TypeError, ValueError):
        length = 0.0
    if share <= 0.0 and seconds and math.isfinite(length) and length > 0:
        share = float(seconds) / length
    return min(1.0, max(0.0, share))


def record_play(ctx: StageContext, event: PlayEvent) -> int:
    """Store one play and update the item-item neighbours it touches (incremental, no rebuild).
    A play that cannot have happened (see `play_problem`) raises UserError and stores nothing.
    An event with outcome FAILED (the file could not be played) is stored for the record only: no
    recommender, session or count reads it. The same item started again within SAME_ACTION_S of a
    stored event, one of the two under a second long, is the same user action recorded twice (a
    double-click, a queue change): one row stays, the longer listen."""
    from core.recommend import neighbours

    problem = play_problem(event.started_at, event.seconds)
    if problem:
        raise UserError(f"not a play that can have happened ({problem}): started at {event.started_at!r}, "
                        f"{event.seconds!r} seconds; a play starts between 1970 and tomorrow and lasts 0 s or more")
    if event.outcome not in (PLAYED, FAILED):
        raise ValueError(f"a play's outcome is {PLAYED!r} or {FAILED!r}, not {event.outcome!r}")
    row = ctx.item_row(event.item_id)  # raises ItemNotFound
    failed = event.outcome == FAILED
    skipped = bool(event.skipped) and not failed
    completed = 0.0 if failed else completion(event.completed, float(event.seconds), row["duration"])
    gap = float(ctx.settings.session_gap_minutes) * 60.0
    start = float(event.started_at)
    with ctx.store.write() as conn:
        hdb.ensure_profile(conn, event.profile)
        same = hdb.play_near(conn, event.item_id, event.profile, start, SAME_ACTION_S)
        if same is not None and min(float(event.seconds), float(same["seconds"])) < 1.0:
            # one user action is one event (a double-click, a queue change): the record that heard more stands
            if float(event.seconds) <= float(same["seconds"]) and not (same["outcome"] != PLAYED and not failed):
                return int(same["id"])
            hdb.update_play(conn, same["id"], float(event.seconds), completed, skipped, event.outcome)
            if not failed and not skipped and (same["outcome"] != PLAYED or same["skipped"]):
                neighbours.add_play(conn, event.profile, event.item_id, float(same["started_at"]), gap)
            return int(same["id"])
        event_id = hdb.insert_play(conn, event.item_id, event.profile, start, float(event.seconds), completed,
                                   skipped, event.source, event.outcome)
        if not failed and not skipped:  # only real listening makes sessions (and "played together")
            neighbours.add_play(conn, event.profile, event.item_id, start, gap)
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
    """Summarise a profile: play and skip counts and last plays over its whole history (counted in
    SQL, so "played N times" is true however long the history), the decayed weights and the recent
    items from its last `max_events` plays (older plays weigh little after decay), and all ratings."""
    now = now or time.time()
    out = Taste()
    for item_id, plays, skips, last in hdb.play_totals(conn, profile):
        if plays:
            out.plays[item_id] = plays
            if last is not None:
                out.last_played[item_id] = float(last)
        if skips:
            out.skips[item_id] = skips
    rows = hdb.recent_plays(conn, profile, max_events)
    if rows:
        a = np.array(rows, dtype=np.float64)
        ids, t, comp, skip = a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3] > 0
        ids, t, comp = ids[~skip], t[~skip], comp[~skip]
        decay = np.exp(-np.maximum(now - t, 0.0) / 86400.0 / HALF_LIFE_DAYS * math.log(2))
        w = decay * (0.5 + 0.5 * np.where(comp > 0, comp, 1.0))
        uniq, first, inv = np.unique(ids, return_index=True, return_inverse=True)
        sums = np.zeros(len(uniq))
        np.add.at(sums, inv, w)
        out.weights = dict(zip(uniq.tolist(), sums.tolist(), strict=True))
        out.recent = uniq[np.argsort(first)].tolist()  # rows are newest first
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
    """Keys added to `Library.show()`: plays, skips, rating, top co-played neighbours (listened to in the
    same sessions; neighbours known only from shared playlists are listed apart, as same_playlist)."""
    conn = ctx.store.reader()
    profile = ctx.settings.profile
    plays, skips, last = hdb.item_play_summary(conn, row["id"], profile)
    rating = hdb.rating_of(conn, row["id"], profile)
    nb = ndb.top_neighbours(conn, row["id"], 5)
    return {"history": {"plays": plays, "skips": skips, "last_played": last,
                        "rating": {1: "like", -1: "dislike"}.get(rating) if rating else None,
                        "co_played": [{"id": r[0], "title": r[3], "score": round(r[1], 4), "count": r[2]}
                                      for r in nb if r[2] >= 1],
                        "same_playlist": [{"id": r[0], "title": r[3], "score": round(r[1], 4)}
                                          for r in nb if r[2] < 1]}}
