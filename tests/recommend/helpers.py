"""Scripted libraries for recommender tests: items inserted through SQL, plays through the facade."""

from __future__ import annotations

import time

import numpy as np

from core.models import PlayEvent

DAY = 86400.0


def add_item(lib, title: str, artist: str, kind: str = "audio", duration: float = 200.0, genre: str = "") -> int:
    now = time.time()
    path = f"/music/{artist}/{title}.flac"
    with lib.store.write() as conn:
        cur = conn.execute(
            "INSERT INTO items (path, dir, filename, ext, kind, size, mtime_ns, title, artist, genre, duration, "
            "added_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?)",
            (path, f"/music/{artist}", f"{title}.flac", ".flac", kind, title, artist, genre, duration, now, now))
        return int(cur.lastrowid)


def set_audio_vector(lib, item_id: int, vec, features: dict | None = None) -> None:
    v = np.asarray(vec, dtype=np.float32)
    v = v / np.linalg.norm(v)
    import json

    with lib.store.write() as conn:
        conn.execute("INSERT OR REPLACE INTO audio_features (item_id, version, features, vector, analyzed_at) "
                     "VALUES (?, 1, ?, ?, ?)", (item_id, json.dumps(features or {}), v.tobytes(), time.time()))


def play_session(lib, ids: list[int], start: float, profile: str = "default", skipped: set[int] = frozenset()):
    for n, i in enumerate(ids):
        lib.record_play(PlayEvent(item_id=i, started_at=start + n * 210, seconds=200, completed=1.0,
                                  skipped=i in skipped, profile=profile))


def two_habits(lib, rounds: int = 6):
    """Profile 'crowd' plays the A-set together and the B-set together, in separate sessions."""
    a = [add_item(lib, f"Alpha song {n}", "Alpha Band", genre="jazz") for n in range(6)]
    b = [add_item(lib, f"Beta song {n}", "Beta Crew", genre="techno") for n in range(6)]
    t0 = time.time() - 40 * DAY
    for r in range(rounds):
        play_session(lib, a, t0 + r * DAY, profile="crowd")
        play_session(lib, b, t0 + r * DAY + 0.5 * DAY, profile="crowd")
    return a, b
