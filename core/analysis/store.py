"""Reading and writing analysis results (audio_features, video_features, descriptors). Light imports only."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from core.analysis import AUDIO_VERSION, DESCRIPTOR_VERSION, VIDEO_VERSION
from core.db.items import set_fts_descriptors
from core.db.terms import SOURCE_PHRASES, phrase_terms, write_terms

# An item needs (re)analysis when its own kind's features are missing, older than the analyser, or
# older than the item itself (the scan re-extracted a changed file); a video also when the audio
# features it did get are from an older audio analyser.
PENDING_SQL = f"""
SELECT i.id, i.path, i.kind, i.duration, i.size, i.mtime_ns FROM items i
LEFT JOIN audio_features a ON a.item_id = i.id
LEFT JOIN video_features v ON v.item_id = i.id
WHERE i.status = 'ok' AND (
  (i.kind = 'audio' AND (a.item_id IS NULL OR a.version < {AUDIO_VERSION} OR a.analyzed_at < i.updated_at))
  OR (i.kind = 'video' AND (v.item_id IS NULL OR v.version < {VIDEO_VERSION} OR v.analyzed_at < i.updated_at
                            OR a.version < {AUDIO_VERSION}))
)
ORDER BY i.id
"""

STALE_DESCRIPTORS_SQL = f"""
SELECT i.id FROM items i
LEFT JOIN descriptors d ON d.item_id = i.id
WHERE i.status = 'ok' AND (d.item_id IS NULL OR d.version < {DESCRIPTOR_VERSION})
  AND (EXISTS (SELECT 1 FROM audio_features a WHERE a.item_id = i.id)
       OR EXISTS (SELECT 1 FROM video_features v WHERE v.item_id = i.id))
"""


def write_result(conn: sqlite3.Connection, item_id: int, result: dict[str, Any]) -> list[str]:
    """Store one worker result and its descriptors (inside the caller's transaction); returns the phrases."""
    now = time.time()
    if result.get("audio") is not None:
        conn.execute(
            "INSERT OR REPLACE INTO audio_features (item_id, version, features, vector, analyzed_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (item_id, result["audio_version"], json.dumps(result["audio"]), result["audio_vector"], now))
    else:
        conn.execute("DELETE FROM audio_features WHERE item_id = ?", (item_id,))
    if result.get("video") is not None:
        video = dict(result["video"])
        if result.get("audio_skipped"):
            video["audio_skipped"] = result["audio_skipped"]
        conn.execute(
            "INSERT OR REPLACE INTO video_features (item_id, version, features, vector, keyframes, poster_path, "
            "analyzed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, result["video_version"], json.dumps(video), result["video_vector"],
             json.dumps(result["keyframes"]), result["poster"], now))
    return write_descriptors(conn, item_id, result.get("audio"), result.get("video"))


def write_descriptors(conn: sqlite3.Connection, item_id: int, audio: dict | None, video: dict | None) -> list[str]:
    """Describe and store the phrases of one item."""
    from core.analysis.descriptors import describe

    phrases = describe(audio, video)
    conn.execute(
        "INSERT OR REPLACE INTO descriptors (item_id, version, phrases, description, updated_at) VALUES (?, ?, ?, ?, ?)",
        (item_id, DESCRIPTOR_VERSION, json.dumps(phrases), ", ".join(phrases), time.time()))
    set_fts_descriptors(conn, item_id, phrases)
    write_terms(conn, item_id, SOURCE_PHRASES, phrase_terms(phrases))
    return phrases


def refresh_descriptors(conn: sqlite3.Connection) -> int:
    """Re-describe items whose descriptors are missing or older than DESCRIPTOR_VERSION (no decoding)."""
    ids = [r[0] for r in conn.execute(STALE_DESCRIPTORS_SQL)]
    for item_id in ids:
        a = conn.execute("SELECT features FROM audio_features WHERE item_id = ?", (item_id,)).fetchone()
        v = conn.execute("SELECT features FROM video_features WHERE item_id = ?", (item_id,)).fetchone()
        write_descriptors(conn, item_id, json.loads(a[0]) if a else None, json.loads(v[0]) if v else None)
    return len(ids)


def stats(library) -> dict[str, Any]:
    """`analyzed`: items whose current-version analysis is stored; `analysis_pending`: the rest."""
    conn = library.store.reader()
    pending = len(conn.execute(PENDING_SQL).fetchall())
    ok = conn.execute("SELECT COUNT(*) FROM items WHERE status = 'ok'").fetchone()[0]
    failed = conn.execute("SELECT COUNT(*) FROM failures WHERE stage = 'analyze'").fetchone()[0]
    return {"analyzed": ok - pending, "analysis_pending": pending, "analysis_failed": failed}


def show(library, row) -> dict[str, Any]:
    """`audio`, `video` (with keyframes and poster) and `descriptors` of one item, when analysed."""
    conn = library.store.reader()
    out: dict[str, Any] = {}
    a = conn.execute("SELECT version, features, analyzed_at FROM audio_features WHERE item_id = ?",
                     (row["id"],)).fetchone()
    if a:
        out["audio"] = {**json.loads(a["features"]), "version": a["version"], "analyzed_at": a["analyzed_at"]}
    v = conn.execute("SELECT * FROM video_features WHERE item_id = ?", (row["id"],)).fetchone()
    if v:
        out["video"] = {**json.loads(v["features"]), "keyframes": json.loads(v["keyframes"]),
                        "poster": v["poster_path"], "version": v["version"], "analyzed_at": v["analyzed_at"]}
    d = conn.execute("SELECT phrases FROM descriptors WHERE item_id = ?", (row["id"],)).fetchone()
    out["descriptors"] = json.loads(d["phrases"]) if d else []
    return out


def vectors(library, kind: str = "audio") -> dict[int, bytes]:
    """item id -> float32 vector bytes of the current analyser version (for similarity stages)."""
    table, version = ("audio_features", AUDIO_VERSION) if kind == "audio" else ("video_features", VIDEO_VERSION)
    rows = library.store.query(f"SELECT item_id, vector FROM {table} WHERE version = ? AND vector IS NOT NULL",
                               (version,))
    return {r["item_id"]: r["vector"] for r in rows}
