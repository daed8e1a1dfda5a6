"""Typed reads and writes of analysis results: audio_features, video_features and descriptors.

The one parser of descriptor phrases lives here (`phrases_for`, `phrases_of`): `descriptors.phrases`
is a JSON list of plain-language strings; anything else stored there reads as no phrases.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from core.db.chunked import select_in


def _parse_phrases(value: object) -> list[str]:
    """The phrases of one stored `descriptors.phrases` value (bad JSON or a non-list: none)."""
    try:
        parsed = json.loads(value) if isinstance(value, str | bytes) else None
    except ValueError:
        return []
    return [p for p in parsed if isinstance(p, str)] if isinstance(parsed, list) else []


def _no_table(exc: sqlite3.OperationalError) -> bool:
    """True when a read failed only because the descriptors table does not exist (a bare test database)."""
    return "no such table" in str(exc)


def phrases_for(conn: sqlite3.Connection, item_ids: Iterable[int]) -> dict[int, list[str]]:
    """Descriptor phrases of many items: every requested id maps to its phrases ([] before analysis)."""
    ids = list(dict.fromkeys(item_ids))
    out: dict[int, list[str]] = {item_id: [] for item_id in ids}
    try:
        for item_id, value in select_in(conn, "SELECT item_id, phrases FROM descriptors WHERE item_id IN ({marks})",
                                        ids):
            out[item_id] = _parse_phrases(value)
    except sqlite3.OperationalError as exc:
        if not _no_table(exc):
            raise
    return out


def phrases_of(conn: sqlite3.Connection, item_id: int) -> list[str]:
    """Descriptor phrases of one item ([] before analysis)."""
    return phrases_for(conn, [item_id])[item_id]


def _loads(value: object) -> object:
    """A stored JSON column, or None when it does not parse."""
    try:
        return json.loads(value) if isinstance(value, str | bytes) else None
    except ValueError:
        return None


# ----- what needs analysis -------------------------------------------------------------------------
# An item needs (re)analysis when its own kind's features are missing, older than the analyser, or
# older than the item itself (the scan re-extracted a changed file); a video also when the audio
# features it did get are from an older audio analyser. One statement, so staleness is never
# computed in Python row by row. Order: the most played items first (every profile's play rows),
# then the most recently added, so a new analyser upgrades what the user hears before the rest.
PENDING_SQL = """
SELECT i.id, i.path, i.kind, i.duration, i.size, i.mtime_ns FROM items i
LEFT JOIN audio_features a ON a.item_id = i.id
LEFT JOIN video_features v ON v.item_id = i.id
LEFT JOIN (SELECT item_id, COUNT(*) AS plays FROM play_events GROUP BY item_id) p ON p.item_id = i.id
WHERE i.status = 'ok' AND (
  (i.kind = 'audio' AND (a.item_id IS NULL OR a.version < :audio OR a.analyzed_at < i.updated_at))
  OR (i.kind = 'video' AND (v.item_id IS NULL OR v.version < :video OR v.analyzed_at < i.updated_at
                            OR a.version < :audio))
)
ORDER BY COALESCE(p.plays, 0) DESC, i.added_at DESC, i.id
"""

STALE_DESCRIPTORS_SQL = """
SELECT i.id FROM items i
LEFT JOIN descriptors d ON d.item_id = i.id
WHERE i.status = 'ok' AND (d.item_id IS NULL OR d.version < :descriptor)
  AND (EXISTS (SELECT 1 FROM audio_features a WHERE a.item_id = i.id)
       OR EXISTS (SELECT 1 FROM video_features v WHERE v.item_id = i.id))
ORDER BY i.id
"""

# An analysed item needs its class (re)derived when it has none, an older one, or one older than the item
# row (the scan re-read its tags: a genre of "Podcast" changes what it is).
STALE_CLASSES_SQL = """
SELECT i.id FROM items i
LEFT JOIN item_classes c ON c.item_id = i.id
WHERE i.status = 'ok' AND (c.item_id IS NULL OR c.version < :version OR c.updated_at < i.updated_at)
  AND (EXISTS (SELECT 1 FROM audio_features a WHERE a.item_id = i.id)
       OR EXISTS (SELECT 1 FROM video_features v WHERE v.item_id = i.id))
ORDER BY i.id
"""


def pending_analysis(conn: sqlite3.Connection, audio_version: int, video_version: int) -> list[sqlite3.Row]:
    """Items rows (id, path, kind, duration, size, mtime_ns) whose analysis is missing or stale."""
    return conn.execute(PENDING_SQL, {"audio": audio_version, "video": video_version}).fetchall()


def stale_descriptor_ids(conn: sqlite3.Connection, descriptor_version: int) -> list[int]:
    """Analysed items whose descriptors are missing or older than `descriptor_version`."""
    return [r[0] for r in conn.execute(STALE_DESCRIPTORS_SQL, {"descriptor": descriptor_version})]


def stale_class_ids(conn: sqlite3.Connection, class_version: int) -> list[int]:
    """Analysed items whose class is missing, older than `class_version`, or older than the item's tags."""
    return [r[0] for r in conn.execute(STALE_CLASSES_SQL, {"version": class_version})]


def analysis_failures(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """The recorded failures of the analysis stage (path, size, mtime_ns, error)."""
    return conn.execute("SELECT path, size, mtime_ns, error FROM failures WHERE stage = 'analyze'").fetchall()


def analysis_counts(conn: sqlite3.Connection, audio_version: int, video_version: int) -> dict[str, int]:
    """`analyzed` (current analysis stored), `analysis_pending` and `analysis_failed` item counts."""
    pending = len(pending_analysis(conn, audio_version, video_version))
    ok = conn.execute("SELECT COUNT(*) FROM items WHERE status = 'ok'").fetchone()[0]
    failed = conn.execute("SELECT COUNT(*) FROM failures WHERE stage = 'analyze'").fetchone()[0]
    return {"analyzed": ok - pending, "analysis_pending": pending, "analysis_failed": failed}


# ----- writes (inside the caller's transaction) ----------------------------------------------------
def write_audio_features(conn: sqlite3.Connection, item_id: int, version: int, features: dict[str, Any],
                         vector: bytes | None, analyzed_at: float) -> None:
    """Store (replace) an item's audio features and similarity vector."""
    conn.execute("INSERT OR REPLACE INTO audio_features (item_id, version, features, vector, analyzed_at) "
                 "VALUES (?, ?, ?, ?, ?)", (item_id, version, json.dumps(features), vector, analyzed_at))


def delete_audio_features(conn: sqlite3.Connection, item_id: int) -> None:
    """Forget an item's audio features (its file no longer has decodable audio)."""
    conn.execute("DELETE FROM audio_features WHERE item_id = ?", (item_id,))


def write_video_features(conn: sqlite3.Connection, item_id: int, version: int, features: dict[str, Any],
                         vector: bytes | None, keyframes: list[dict[str, Any]], poster_path: str | None,
                         analyzed_at: float) -> None:
    """Store (replace) an item's visual features, vector, keyframes and poster."""
    conn.execute("INSERT OR REPLACE INTO video_features (item_id, version, features, vector, keyframes, poster_path, "
                 "analyzed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (item_id, version, json.dumps(features), vector, json.dumps(keyframes), poster_path, analyzed_at))


def write_descriptors(conn: sqlite3.Connection, item_id: int, version: int, phrases: list[str],
                      updated_at: float) -> None:
    """Store (replace) an item's descriptor phrases; `description` is the phrases joined by commas."""
    conn.execute("INSERT OR REPLACE INTO descriptors (item_id, version, phrases, description, updated_at) "
                 "VALUES (?, ?, ?, ?, ?)", (item_id, version, json.dumps(phrases), ", ".join(phrases), updated_at))


# ----- reads -------------------------------------------------------------------------------------
def stored_features(conn: sqlite3.Connection, item_id: int) -> tuple[dict | None, dict | None]:
    """(audio features, visual features) stored for an item, each None when absent."""
    a = conn.execute("SELECT features FROM audio_features WHERE item_id = ?", (item_id,)).fetchone()
    v = conn.execute("SELECT features FROM video_features WHERE item_id = ?", (item_id,)).fetchone()
    audio, video = (_loads(a[0]) if a else None), (_loads(v[0]) if v else None)
    return (audio if isinstance(audio, dict) else None), (video if isinstance(video, dict) else None)


def audio_record(conn: sqlite3.Connection, item_id: int) -> dict[str, Any] | None:
    """An item's audio features with `version` and `analyzed_at`, or None before analysis."""
    row = conn.execute("SELECT version, features, analyzed_at FROM audio_features WHERE item_id = ?",
                       (item_id,)).fetchone()
    if row is None:
        return None
    features = _loads(row[1])
    return {**(features if isinstance(features, dict) else {}), "version": row[0], "analyzed_at": row[2]}


def video_record(conn: sqlite3.Connection, item_id: int) -> dict[str, Any] | None:
    """An item's visual features with `keyframes`, `poster`, `version` and `analyzed_at`, or None."""
    row = conn.execute("SELECT version, features, keyframes, poster_path, analyzed_at FROM video_features "
                       "WHERE item_id = ?", (item_id,)).fetchone()
    if row is None:
        return None
    features, keyframes = _loads(row[1]), _loads(row[2])
    return {**(features if isinstance(features, dict) else {}),
            "keyframes": keyframes if isinstance(keyframes, list) else [],
            "poster": row[3], "version": row[0], "analyzed_at": row[4]}


def audio_features_for(conn: sqlite3.Connection, item_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Named audio features (tempo_bpm, key, rms_db, ...) of the items that have them."""
    out: dict[int, dict[str, Any]] = {}
    for item_id, value in select_in(conn, "SELECT item_id, features FROM audio_features WHERE item_id IN ({marks})",
                                    list(dict.fromkeys(item_ids))):
        features = _loads(value)
        if isinstance(features, dict):
            out[item_id] = features
    return out


def feature_vectors(conn: sqlite3.Connection, kind: str) -> list[tuple[int, bytes]]:
    """(item id, float32 vector bytes) of every item with a stored `kind` ('audio'|'video') vector."""
    table = {"audio": "audio_features", "video": "video_features"}[kind]
    return [(r[0], r[1]) for r in conn.execute(f"SELECT item_id, vector FROM {table} WHERE vector IS NOT NULL")]


def feature_signature(conn: sqlite3.Connection, kind: str) -> tuple[int, float | None]:
    """(rows, latest analysis time) of the `kind` ('audio'|'video') features: changes whenever one is written."""
    table = {"audio": "audio_features", "video": "video_features"}[kind]
    count, latest = conn.execute(f"SELECT COUNT(*), MAX(analyzed_at) FROM {table}").fetchone()
    return int(count), latest


# ----- item classes ------------------------------------------------------------------------------
MUSIC, SPEECH, SOUND_EFFECT, VIDEO = "music", "speech", "sound_effect", "video"
ITEM_CLASSES = (MUSIC, SPEECH, SOUND_EFFECT, VIDEO)


def write_item_class(conn: sqlite3.Connection, item_id: int, version: int, item_class: str, confidence: float,
                     evidence: list[str], updated_at: float) -> None:
    """Store (replace) what an item is (one of ITEM_CLASSES), how sure, and why in words."""
    if item_class not in ITEM_CLASSES:
        raise ValueError(f"unknown item class {item_class!r}")
    conn.execute("INSERT OR REPLACE INTO item_classes (item_id, version, class, confidence, evidence, updated_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (item_id, version, item_class, float(confidence), json.dumps(evidence), updated_at))


def item_classes_for(conn: sqlite3.Connection, item_ids: Iterable[int]) -> dict[int, str]:
    """The stored class of each of these items that has one (none before analysis or in a bare database)."""
    try:
        return {item_id: value for item_id, value in select_in(
            conn, "SELECT item_id, class FROM item_classes WHERE item_id IN ({marks})", list(dict.fromkeys(item_ids)))
            if value in ITEM_CLASSES}
    except sqlite3.OperationalError as exc:
        if not _no_table(exc):
            raise
        return {}


def item_class_record(conn: sqlite3.Connection, item_id: int) -> dict[str, Any] | None:
    """An item's class with `confidence`, `evidence`, `version` and `updated_at`, or None."""
    try:
        row = conn.execute("SELECT class, confidence, evidence, version, updated_at FROM item_classes "
                           "WHERE item_id = ?", (item_id,)).fetchone()
    except sqlite3.OperationalError as exc:
        if not _no_table(exc):
            raise
        return None
    if row is None:
        return None
    evidence = _loads(row[2])
    return {"class": row[0], "confidence": row[1], "evidence": evidence if isinstance(evidence, list) else [],
            "version": row[3], "updated_at": row[4]}


def effective_class(stored: str | None, kind: str | None) -> str | None:
    """An item's class for filtering: the stored one, else "video" for a video file, else None (unknown:
    not analysed yet, so nothing is assumed about it)."""
    if stored in ITEM_CLASSES:
        return stored
    return VIDEO if kind == "video" else None
