"""Re-linking re-encoded files: a new file that replaces a vanished one takes over its item and history.

A re-encode has new bytes, so the size + content-hash match that re-links moved files cannot see it.
After a scan, each item whose file is gone is matched to a file added by this scan when both have
the same kind, title, artist, album and track number, durations within 2 s, and the match is
unique both ways (an ambiguous match is never guessed). Untagged files (no artist and album) must
also be in the same folder. The old item keeps its id, so plays, likes, playlists and resume
positions stay attached; the new row's file facts move onto it. One pass, O(items changed).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from core.db import items as q
from core.db.connection import Store

DURATION_TOLERANCE_S = 2.0
# Tables the user built: the old item's rows win; rows the new item got meanwhile move over.
HISTORY_TABLES = {"play_events", "ratings", "playlist_items", "resume_positions"}


def _key(row: sqlite3.Row) -> tuple:
    return (row["kind"], row["title"], row["artist"], row["album"], row["track_no"])


def find_pairs(conn: sqlite3.Connection, added_since: float) -> list[tuple[int, int]]:
    """(old item id, new item id) for each unambiguous re-encode."""
    missing = q.missing_titled_items(conn)
    if not missing:
        return []
    new_by_key: dict[tuple, list[sqlite3.Row]] = defaultdict(list)
    for row in q.titled_items_added_since(conn, added_since):
        new_by_key[_key(row)].append(row)
    old_by_key: dict[tuple, list[sqlite3.Row]] = defaultdict(list)
    for row in missing:
        if _key(row) in new_by_key:
            old_by_key[_key(row)].append(row)
    pairs = []
    for key, olds in old_by_key.items():
        news = new_by_key[key]
        if len(olds) != 1 or len(news) != 1:
            continue
        old, new = olds[0], news[0]
        if not (old["artist"] and old["album"]) and old["dir"] != new["dir"]:
            continue
        if old["duration"] and new["duration"] and abs(old["duration"] - new["duration"]) > DURATION_TOLERANCE_S:
            continue
        pairs.append((old["id"], new["id"]))
    return pairs


def merge(conn: sqlite3.Connection, old_id: int, new_id: int, refs: list[tuple[str, str]]) -> None:
    """Make item `old_id` the item of `new_id`'s file, then drop the new row. In the caller's transaction."""
    for table, column in refs:
        if table in HISTORY_TABLES:
            q.repoint_keeping_old(conn, table, column, old_id, new_id)
        else:  # tags, sidecars, analysis, embeddings: describe the old bytes, so the new file's win
            q.repoint_replacing_old(conn, table, column, old_id, new_id)
    q.take_over_item(conn, old_id, new_id)


def relink_reencoded(store: Store, added_since: float) -> int:
    """Re-link every re-encoded file found by the scan that started at `added_since`; returns how many."""
    pairs = find_pairs(store.conn, added_since)
    if not pairs:
        return 0
    with store.write() as conn:
        refs = q.item_references(conn)
        for old_id, new_id in pairs:
            merge(conn, old_id, new_id, refs)
    return len(pairs)
