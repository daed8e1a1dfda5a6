"""Filling a test library with many synthetic item rows directly by SQL (for table-model speed tests)."""

from __future__ import annotations

import random
import time


def insert_items(library, count: int, kind: str = "audio", seed: int = 7) -> None:
    """`count` plausible items rows (no files behind them) plus their FTS rows, in one transaction."""
    rng = random.Random(seed)
    words = ["night", "river", "gold", "blue", "dawn", "echo", "fire", "glass", "paper", "storm", "velvet",
             "winter", "neon", "silver", "honey", "ghost", "ocean", "thunder", "quiet", "wild"]
    genres = ["Rock", "Jazz", "Ambient", "Techno", "Folk", "Classical", "Hip-Hop", "Soundtrack"]
    now = time.time()
    rows, fts = [], []
    for i in range(count):
        title = f"{rng.choice(words).title()} {rng.choice(words).title()} {i}"
        artist = f"{rng.choice(words).title()} {rng.choice(['Band', 'Trio', 'Collective', 'Project'])}"
        album = f"{rng.choice(words).title()} {rng.choice(words).title()}"
        genre = rng.choice(genres)
        path = f"/bulk/{artist}/{album}/{i:06d}.flac"
        rows.append((path, f"/bulk/{artist}/{album}", f"{i:06d}.flac", "flac", kind, 1000 + i, i, "ok",
                     title, artist, album, genre, 1960 + i % 60, i % 12 + 1, 30.0 + i % 400, now, now))
        fts.append((title, artist, album, genre))
    with library.store.write() as conn:
        start = conn.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()[0]
        conn.executemany(
            "INSERT INTO items (path, dir, filename, ext, kind, size, mtime_ns, status, title, artist, album, "
            "genre, year, track_no, duration, added_at, updated_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO items_fts (rowid, title, artist, album, genre) VALUES (?, ?, ?, ?, ?)",
                         [(start + 1 + i, *f) for i, f in enumerate(fts)])
