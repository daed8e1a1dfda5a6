"""Typed Reasons for one recommendation (kinds and detail keys: docs/ARCHITECTURE.md)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from core.db import items as q
from core.models import Reason
from core.recommend import content as ct
from core.recommend.history import Taste

MODALITY_KIND = {"text": "similar_text", "audio": "similar_sound", "video": "similar_look"}
FEATURE_KEYS = ("tempo", "key", "mode", "energy", "brightness", "loudness", "danceability", "cuts_per_min",
                "colorfulness", "motion")


Rows = Mapping[int, sqlite3.Row]


def _title(conn: sqlite3.Connection, rows: Rows, item_id: int) -> str:
    r = rows.get(item_id) or q.get_item(conn, item_id)
    return (r["title"] or "") if r is not None else ""


def _pairs(a: dict, b: dict) -> dict:
    out = {}
    for k in FEATURE_KEYS:
        if k in a and k in b and isinstance(a[k], (int, float, str)) and isinstance(b[k], (int, float, str)):
            out[k] = [round(a[k], 2) if isinstance(a[k], float) else a[k],
                      round(b[k], 2) if isinstance(b[k], float) else b[k]]
    return out


def build_reasons(j: int, fresh: bool, c: Any, rows: Rows, t: Taste, conn: sqlite3.Connection, now: float,
                  seed_id: int | None, mode: str, w: Any, lately_days: float) -> list[Reason]:
    """The evidence behind item j's score, strongest first."""
    out: list[Reason] = []
    if c.co is not None and c.cf > 0:
        with_id, contrib, count = c.co
        # count = listening sessions that held both; a pair known only from playlists is no "played together"
        out.append(Reason("co_played" if count >= 1 else "same_playlist",
                          w.cf * contrib / max(c.cf, 1e-9) * min(1.0, c.cf),
                          {"with": with_id, "with_title": _title(conn, rows, with_id), "count": int(count)}))
        if mode == "because" and seed_id is not None:
            out.append(Reason("because_you_played", 0.2, {"item": seed_id, "title": _title(conn, rows, seed_id),
                                                          "plays": t.plays.get(seed_id, 0)}))
    for name, (to, sim) in sorted(c.sim.items(), key=lambda kv: -kv[1][1]):
        if sim < 0.3:
            continue
        detail = {"to": to, "to_title": _title(conn, rows, to), "similarity": round(sim, 3)}
        if name == "text":
            words = ct.descriptor_words(conn, [j, to])
            detail["shared"] = sorted(words[j] & words[to])[:8]
        else:
            facts = ct.audio_facts(conn, [j, to]) if name == "audio" else {}
            detail["features"] = _pairs(facts.get(j, {}), facts.get(to, {}))
        if mode == "fits-video" and name == "text":
            out.append(Reason("matches_query", w.content * sim, {"query": _title(conn, rows, to),
                                                                  "words": detail["shared"], "similarity": detail["similarity"],
                                                                  "features": {}}))
        else:
            out.append(Reason(MODALITY_KIND[name], w.content * sim, detail))
    if j in t.liked:
        out.append(Reason("liked", 0.1, {"item": j, "title": _title(conn, rows, j)}))
    plays = t.plays.get(j, 0)
    if plays >= 3:
        out.append(Reason("popular_with_you", 0.05, {"plays": plays}))
    last = t.last_played.get(j)
    if last is not None and now - last > lately_days * 86400:
        out.append(Reason("not_played_lately", 0.05, {"days": int((now - last) // 86400)}))
    artist = (rows[j]["artist"] or "").strip()
    if artist and any((rows.get(i) is not None and (rows[i]["artist"] or "").strip() == artist)
                      for i in list(t.weights)[:50] if i != j):
        out.append(Reason("same_artist", 0.05, {"artist": artist}))
    if fresh or plays == 0 and c.cf == 0:
        out.append(Reason("fresh", 0.05, {}))
    skips = t.skips.get(j, 0)
    if skips:
        out.append(Reason("skip_penalty", -0.4 * skips / (skips + plays), {"count": skips}))
    out.sort(key=lambda r: -abs(r.weight))
    return out
