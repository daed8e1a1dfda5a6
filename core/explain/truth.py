"""Every claim an explanation can make, checked against the stored facts at the moment of speaking.

Reasons reach the explain stage from the recommender, a search or a caller, and may be stale (a play
since), about every profile (stored co-play counts), or wrong. `true_reasons` re-reads what the library
knows about the item, the seed and every item a reason names, and keeps only what holds, with the
stored numbers (the definitions are the ones bench/explain_audit.py verifies independently):

- because_you_played X: X has real plays in this profile (heard: not a skip, not a failed play); the
  count said is theirs.
- co_played X: the number of this profile's listening sessions holding real plays of both (plays more
  than `session_gap_minutes` apart start a new session, as for the recommender's neighbours); none ->
  "in a playlist with X" when a playlist holds both, else nothing. "Often" needs OFTEN sessions.
- same_playlist X: a playlist (made or imported) holds both.
- similar_sound / similar_look X: the cosine of their stored audio (video) vectors, centred on the
  library's mean as the recommender centres them, is at least SIM_MIN; the tempo and key cited are the
  stored ones and keep the recommender's rule (tempo within 8 %, the same or a related key).
- similar_text X: each shared word is a genre or descriptor word of both items.
- matches_query: a search query the caller ran, or the video a "fits this video" pick fits (the words
  kept only when the video and the item both carry them).
- liked: the item (or a liked item by the artist said) is liked now.
- popular_with_you: the count of real plays. not_played_lately: whole days since the last real play
  (at least LATELY_DAYS). fresh ("never played"): no event of the item was heard at all (a skip or a
  partial play was heard in part). skip_penalty: the skips now. same_artist: the item's artist.
A reason naming an item carries that item's stored title.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.context import StageContext
from core.db import features as fdb
from core.db import history as hdb
from core.db import items as idb
from core.db import playlists as pdb
from core.explain.evidence import genre_words, short_word
from core.models import Reason
from core.music_facts import NUMBER_CLOSE, TEMPO_CLOSE, key_of, related_keys, tempo_of
from core.text import normalize_key, split_terms

LATELY_DAYS = 14
SIM_MIN = 0.3  # the recommender's floor for a "sounds / looks like" reason (core/recommend/reasons.py)
OFTEN = 3  # sessions together before "often played together"
TITLE_KEYS = {"because_you_played": ("item", "title"), "co_played": ("with", "with_title"),
              "same_playlist": ("with", "with_title"), "similar_sound": ("to", "to_title"),
              "similar_look": ("to", "to_title"), "similar_text": ("to", "to_title"),
              "matches_query": ("video", "video_title"), "liked": ("item", "title")}


@dataclass
class _Sessions:
    """Which listening sessions each item was heard in, for one profile, at one state of the history."""

    signature: tuple = ()
    of_item: dict[int, set[int]] = field(default_factory=dict)


def sessions_of(ctx: StageContext, conn: sqlite3.Connection, profile: str) -> dict[int, set[int]]:
    """item id -> the indices of this profile's listening sessions with a real play of it (cached until
    the history changes)."""
    gap = float(ctx.settings.session_gap_minutes) * 60.0
    signature = (profile, gap, hdb.play_event_count(conn), hdb.latest_play(conn, profile))
    cached = ctx.component(f"explain.sessions:{profile}", _Sessions)
    if cached.signature != signature:
        of_item: dict[int, set[int]] = {}
        session, last = -1, None
        for item_id, started, skipped in hdb.play_times(conn, profile):
            if last is None or started - last > gap:
                session += 1
            last = started
            if not skipped:
                of_item.setdefault(int(item_id), set()).add(session)
        cached.of_item, cached.signature = of_item, signature
    return cached.of_item


@dataclass
class _Space:
    """One kind's stored feature vectors, centred and normalised, at one state of the table."""

    signature: tuple = ()
    row: dict[int, int] = field(default_factory=dict)
    M: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))


def feature_space(ctx: StageContext, conn: sqlite3.Connection, kind: str) -> _Space:
    """The 'audio' or 'video' vectors as the recommender compares them (cached until the table changes)."""
    signature = fdb.feature_signature(conn, kind)
    cached = ctx.component(f"explain.space:{kind}", _Space)
    if cached.signature != signature:
        rows = fdb.feature_vectors(conn, kind)
        size = Counter(len(r[1]) for r in rows).most_common(1)[0][0] if rows else 0
        rows = [r for r in rows if len(r[1]) == size]
        M = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), size // 4).copy() \
            if rows else np.zeros((0, 0), np.float32)
        if len(M):
            M -= M.mean(axis=0, keepdims=True)
            M /= np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-9)
        cached.row, cached.M, cached.signature = {int(r[0]): n for n, r in enumerate(rows)}, M, signature
    return cached


def true_features(cited: dict[str, Any], a: dict[str, Any], b: dict[str, Any]) -> dict[str, list]:
    """Of the features a reason cites, those the stored features `a` (the item) and `b` (the other) bear
    out, with the stored values."""
    out: dict[str, list] = {}
    for name in cited:
        if name in ("tempo", "bpm"):
            ta, tb = tempo_of(a), tempo_of(b)
            if ta and tb and abs(ta - tb) <= TEMPO_CLOSE * max(ta, tb):
                out["tempo"] = [round(ta), round(tb)]  # whole BPM, as said
        elif name == "key":
            ka, kb = key_of(a), key_of(b)
            if ka and kb and related_keys(ka, kb):
                out["key"] = [ka, kb]
        elif name != "mode":
            x, y = a.get(name), b.get(name)
            if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool) \
                    and abs(x - y) <= NUMBER_CLOSE * max(abs(x), abs(y), 1e-9):
                out[name] = [round(float(x), 2), round(float(y), 2)]
    return out


class Facts:
    """What the library knows right now about the items of one explanation (read once, lazily)."""

    def __init__(self, ctx: StageContext, now: float | None = None) -> None:
        self.ctx, self.conn, self.profile = ctx, ctx.store.reader(), ctx.settings.profile
        self.now = now or time.time()
        self._rows: dict[int, sqlite3.Row | None] = {}
        self._features: dict[int, tuple[dict | None, dict | None]] = {}

    def row(self, item_id: Any) -> sqlite3.Row | None:
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            return None
        if item_id not in self._rows:
            self._rows[item_id] = idb.get_item(self.conn, item_id)
        return self._rows[item_id]

    def title(self, item_id: Any) -> str | None:
        r = self.row(item_id)
        return None if r is None else (r["title"] or "")

    def plays(self, item_id: int) -> int:
        return hdb.play_counts(self.conn, self.profile, [item_id]).get(item_id, 0)

    def heard(self, item_id: int) -> int:
        return hdb.play_counts(self.conn, self.profile, [item_id], include_skips=True).get(item_id, 0)

    def skips(self, item_id: int) -> int:
        return self.heard(item_id) - self.plays(item_id)

    def last_played(self, item_id: int) -> float | None:
        return hdb.last_played(self.conn, self.profile, [item_id]).get(item_id)

    def liked(self, item_id: int) -> bool:
        return (hdb.rating_of(self.conn, item_id, self.profile) or 0) > 0

    def sessions_together(self, a: int, b: int) -> int:
        of_item = sessions_of(self.ctx, self.conn, self.profile)
        return len(of_item.get(a, set()) & of_item.get(b, set()))

    def same_playlist(self, a: int, b: int) -> bool:
        return any(a in items and b in items for _, items in pdb.playlist_baskets(self.conn))

    def features(self, item_id: int) -> tuple[dict | None, dict | None]:
        if item_id not in self._features:
            self._features[item_id] = fdb.stored_features(self.conn, item_id)
        return self._features[item_id]

    def similarity(self, a: int, b: int, kind: str) -> float | None:
        space = feature_space(self.ctx, self.conn, kind)
        ra, rb = space.row.get(a), space.row.get(b)
        return None if ra is None or rb is None else float(space.M[ra] @ space.M[rb])

    def words(self, item_id: int) -> set[str]:
        """Genre and descriptor words of an item, as evidence writes them."""
        r = self.row(item_id)
        genre = (r["genre"] or "") if r is not None else ""
        out = set(genre_words(genre)) | {short_word(t) for t in split_terms(genre)}
        for phrase in fdb.phrases_of(self.conn, item_id):
            out.update({short_word(phrase), short_word(phrase.lower())})
        return {w for w in out if w}


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _titled(reason: Reason, facts: Facts) -> Reason | None:
    """The reason with the stored title of the item it names; None when that item does not exist."""
    keys = TITLE_KEYS.get(reason.kind)
    if keys is None or keys[0] not in reason.detail:
        return reason
    title = facts.title(reason.detail[keys[0]])
    if title is None:
        return None
    return Reason(reason.kind, reason.weight, {**reason.detail, keys[1]: title})


def true_reason(reason: Reason, item_id: int, facts: Facts) -> Reason | None:
    """`reason` with only what the stored facts bear out, or None when nothing of it holds."""
    r = _titled(reason, facts)
    if r is None:
        return None
    d, k = dict(r.detail), r.kind

    def keep(**changes: Any) -> Reason:
        return Reason(k, r.weight, {**d, **changes})

    if k == "because_you_played":
        plays = facts.plays(d["item"]) if "item" in d else 0
        return keep(plays=plays) if plays else None
    if k == "co_played":
        other = _id(d.get("with"))
        if other is None or facts.row(other) is None or other == item_id:
            return None
        n = facts.sessions_together(item_id, other)
        if n:
            return keep(count=n)
        if facts.same_playlist(item_id, other):
            return Reason("same_playlist", r.weight, {"with": other, "with_title": d.get("with_title", "")})
        return None
    if k == "same_playlist":
        other = _id(d.get("with"))
        return r if other is not None and facts.row(other) is not None and facts.same_playlist(item_id, other) else None
    if k in ("similar_sound", "similar_look"):
        other = _id(d.get("to"))
        if other is None or facts.row(other) is None or other == item_id:
            return None
        slot = 0 if k == "similar_sound" else 1
        mine, theirs = facts.features(item_id)[slot], facts.features(other)[slot]
        sim = facts.similarity(item_id, other, "audio" if slot == 0 else "video")
        if mine is None or theirs is None or sim is None or sim < SIM_MIN:
            return None
        return keep(features=true_features(d.get("features") or {}, mine, theirs))
    if k == "similar_text":
        other = _id(d.get("to"))
        if other is None or facts.row(other) is None or other == item_id:
            return None
        both = facts.words(item_id) & facts.words(other)
        return keep(shared=[w for w in d.get("shared") or [] if short_word(w) in both])
    if k == "matches_query":
        if "video" in d:
            video = facts.row(d["video"])
            if video is None or video["kind"] != "video":
                return None
            both = facts.words(item_id) & facts.words(d["video"])
            return keep(words=[w for w in d.get("words") or [] if short_word(w) in both])
        return r if d.get("query") or d.get("words") else None
    if k == "liked":
        if d.get("artist"):
            liked = [i for i, v in hdb.ratings_of(facts.conn, facts.profile).items() if v > 0]
            rows = idb.items_by_ids(facts.conn, liked)
            return r if any(normalize_key(x["artist"] or "") == normalize_key(d["artist"]) for x in rows.values()) \
                else None
        return r if facts.liked(d.get("item", item_id)) else None
    if k == "popular_with_you":
        plays = facts.plays(item_id)
        return keep(plays=plays) if plays else None
    if k == "not_played_lately":
        last = facts.last_played(item_id)
        days = int((facts.now - last) // 86400) if last is not None else 0
        return keep(days=days) if days >= LATELY_DAYS else None
    if k == "fresh":
        return r if facts.heard(item_id) == 0 else None
    if k == "skip_penalty":
        skips = facts.skips(item_id)
        return keep(count=skips) if skips else None
    if k == "same_artist":
        row = facts.row(item_id)
        artist = (row["artist"] or "") if row is not None else ""
        return r if artist and normalize_key(artist) == normalize_key(str(d.get("artist") or artist)) else None
    return r


def true_reasons(ctx: StageContext, item_id: int, reasons: list[Reason], now: float | None = None) -> list[Reason]:
    """The reasons with every claim re-checked against the stored facts (see the module docstring)."""
    facts = Facts(ctx, now)
    out: list[Reason] = []
    for reason in reasons:
        checked = true_reason(reason, item_id, facts) if isinstance(reason, Reason) else None
        if checked is not None and all(checked.kind != o.kind or checked.detail != o.detail for o in out):
            out.append(checked)
    return out
