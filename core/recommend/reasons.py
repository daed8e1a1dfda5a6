"""Typed Reasons for one recommendation (kinds and detail keys: docs/ARCHITECTURE.md)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from core.db import items as q
from core.models import Reason
from core.music_facts import NUMBER_CLOSE, TEMPO_CLOSE, key_of, related_keys, tempo_of
from core.recommend import content as ct
from core.recommend.history import Taste

MODALITY_KIND = {"text": "similar_text", "audio": "similar_sound", "video": "similar_look"}
FEATURE_KEYS = ("tempo", "key", "mode", "energy", "brightness", "loudness", "danceability", "cuts_per_min",
                "colorfulness", "motion")


Rows = Mapping[int, sqlite3.Row]


def _title(conn: sqlite3.Connection, rows: Rows, item_id: int) -> str:
    r = rows.get(item_id) or q.get_item(conn, item_id)
    return (r["title"] or "") if r is not None else ""


# What "a similar tempo" and "the same key" mean is core/music_facts.py, which core/explain/truth.py
# also reads when it checks the reason again at the moment an explanation is spoken.
def _pairs(a: dict, b: dict) -> dict:
    """The features two items truly share: {"tempo": [128, 130], "key": ["C# minor", "C# minor"]}; a tempo
    only when within TEMPO_CLOSE, a key only when the same or related, other numbers only when close."""
    out: dict = {}
    ta, tb = tempo_of(a), tempo_of(b)
    if ta and tb and abs(ta - tb) <= TEMPO_CLOSE * max(ta, tb):
        out["tempo"] = [round(ta), round(tb)]  # whole BPM, as it is said (and as the chip shows it)
    ka, kb = key_of(a), key_of(b)
    if ka and kb and related_keys(ka, kb):
        out["key"] = [ka, kb]
    for k in FEATURE_KEYS:
        if k in ("tempo", "key", "mode") or k not in a or k not in b:
            continue
        x, y = a[k], b[k]
        if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool) \
                and abs(x - y) <= NUMBER_CLOSE * max(abs(x), abs(y), 1e-9):
            out[k] = [round(x, 2), round(y, 2)]
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
            # music that fits a video: nobody searched, so no "query" (that reads "matches your search")
            out.append(Reason("matches_query", w.content * sim, {"video": to, "video_title": _title(conn, rows, to),
                                                                  "words": detail["shared"],
                                                                  "similarity": detail["similarity"]}))
        else:
            out.append(Reason(MODALITY_KIND[name], w.content * sim, detail))
    if mode == "because" and seed_id is not None and t.plays.get(seed_id, 0) > 0:
        out.append(Reason("because_you_played", 0.2, {"item": seed_id, "title": _title(conn, rows, seed_id),
                                                      "plays": t.plays[seed_id]}))
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
    skips = t.skips.get(j, 0)
    if (fresh or c.cf == 0) and plays == 0 and skips == 0:  # a skip or a partial play is not "never played"
        out.append(Reason("fresh", 0.05, {}))
    if skips:
        out.append(Reason("skip_penalty", -0.4 * skips / (skips + plays), {"count": skips}))
    out.sort(key=lambda r: -abs(r.weight))
    return out
