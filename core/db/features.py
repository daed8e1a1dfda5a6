"""Typed reads and writes of analysis results: audio_features, video_features and descriptors.

The one parser of descriptor phrases lives here (`phrases_for`, `phrases_of`): `descriptors.phrases`
is a JSON list of plain-language strings; anything else stored there reads as no phrases.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from core import tag_language as tl
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


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
    """Every row of `sql`, or [] in a database made without the analysis tables (bare test and bench files)."""
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if not _no_table(exc):
            raise
        return []


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
_STALE_ANALYSIS = """FROM items i
LEFT JOIN audio_features a ON a.item_id = i.id
LEFT JOIN video_features v ON v.item_id = i.id
WHERE i.status = 'ok' AND (
  (i.kind = 'audio' AND (a.item_id IS NULL OR a.version < :audio OR a.analyzed_at < i.updated_at))
  OR (i.kind = 'video' AND (v.item_id IS NULL OR v.version < :video OR v.analyzed_at < i.updated_at
                            OR a.version < :audio))
)"""
# the play counts behind the work lists' order, joined before the staleness rule's WHERE
_PLAYS = "LEFT JOIN (SELECT item_id, COUNT(*) AS plays FROM play_events GROUP BY item_id) p ON p.item_id = i.id\nWHERE"
_MOST_PLAYED_FIRST = "ORDER BY COALESCE(p.plays, 0) DESC, i.added_at DESC, i.id"
PENDING_SQL = f"""
SELECT i.id, i.path, i.kind, i.duration, i.size, i.mtime_ns {_STALE_ANALYSIS.replace("WHERE", _PLAYS, 1)}
{_MOST_PLAYED_FIRST}
"""

# Descriptors are stale when missing, of an older describer, or (for an item with tags) older than the tag
# reference they were compared with (core.analysis.tags: the library's spread of each tag).
STALE_DESCRIPTORS_SQL = """
SELECT i.id FROM items i
LEFT JOIN descriptors d ON d.item_id = i.id
WHERE i.status = 'ok' AND (d.item_id IS NULL OR d.version < :descriptor
       OR (d.updated_at < (SELECT updated_at FROM tag_reference WHERE id = 1)
           AND EXISTS (SELECT 1 FROM audio_tags t WHERE t.item_id = i.id AND t.mtt IS NOT NULL)))
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
    """Analysed items whose descriptors are missing, older than `descriptor_version`, or (tagged items)
    older than the tag reference."""
    return [r[0] for r in conn.execute(STALE_DESCRIPTORS_SQL, {"descriptor": descriptor_version})]


# Items whose audio was analysed but whose tags are missing, of another tagger version, or older than the
# item (a changed file). Items still pending their features are tagged with them, not listed separately.
_STALE_TAGS = """FROM items i
JOIN audio_features a ON a.item_id = i.id
LEFT JOIN audio_tags t ON t.item_id = i.id
WHERE i.status = 'ok' AND (t.item_id IS NULL OR t.version <> :tags OR t.tagged_at < i.updated_at)"""
STALE_TAGS_SQL = f"""
SELECT i.id, i.path, i.kind, i.duration, i.size, i.mtime_ns {_STALE_TAGS.replace("WHERE", _PLAYS, 1)}
{_MOST_PLAYED_FIRST}
"""


def stale_tag_items(conn: sqlite3.Connection, tags_version: str) -> list[sqlite3.Row]:
    """Items rows (id, path, kind, duration, size, mtime_ns) with audio features but missing or stale tags."""
    return conn.execute(STALE_TAGS_SQL, {"tags": tags_version}).fetchall()


def stale_class_ids(conn: sqlite3.Connection, class_version: int) -> list[int]:
    """Analysed items whose class is missing, older than `class_version`, or older than the item's tags."""
    return [r[0] for r in conn.execute(STALE_CLASSES_SQL, {"version": class_version})]


# Whether anything waits for the analysis stage, each rule of the work lists above as one probe that stops at
# the first item (no play counts, no ordering). The app asks once at start, off the GUI thread: a current
# library of 200k items costs one scan per rule, 0.8-1.1 s in all on the 2-core VM at load 6.
_NOT_A_KNOWN_FAILURE = """NOT EXISTS (SELECT 1 FROM failures f WHERE f.stage = 'analyze' AND f.path = i.path
  AND f.size = i.size AND f.mtime_ns = i.mtime_ns AND substr(f.error, 1, length(:mark)) = :mark)"""
DUE_SQL = {
    "analysis": f"SELECT 1 {_STALE_ANALYSIS} AND {_NOT_A_KNOWN_FAILURE} LIMIT 1",
    "tags": f"SELECT 1 {_STALE_TAGS} AND {_NOT_A_KNOWN_FAILURE} LIMIT 1",
    "descriptors": STALE_DESCRIPTORS_SQL.replace("ORDER BY i.id", "LIMIT 1"),
    "classes": STALE_CLASSES_SQL.replace("ORDER BY i.id", "LIMIT 1"),
}


def analysis_due(conn: sqlite3.Connection, audio_version: int, video_version: int, tags_version: str | None,
                 descriptor_version: int, class_version: int, failure_mark: str) -> list[str]:
    """What the analysis stage has to do now, of "analysis", "tags" (None: no tagger installed), "descriptors",
    "classes"; items whose failure of this analyser (`failure_mark`) is recorded for the same file don't count."""
    params = {"audio": audio_version, "video": video_version, "tags": tags_version, "descriptor": descriptor_version,
              "version": class_version, "mark": failure_mark}
    due = []
    for name, sql in DUE_SQL.items():
        if name == "tags" and tags_version is None:
            continue
        used = {k: v for k, v in params.items() if f":{k}" in sql}
        if _rows(conn, sql, used):
            due.append(name)
    return due


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
                      updated_at: float, confidence: dict[str, float] | None = None) -> None:
    """Store (replace) an item's descriptor phrases; `description` is the phrases joined by commas;
    `confidence`: {phrase: 0..1} of the phrases that carry one (the tagger's)."""
    conn.execute("INSERT OR REPLACE INTO descriptors (item_id, version, phrases, description, updated_at, confidence) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (item_id, version, json.dumps(phrases), ", ".join(phrases), updated_at,
                                               json.dumps(confidence) if confidence else None))


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


# The audio vector ("sounds like", more like this, Radio, music for a video): the measured features' vector
# and the tagger's embeddings, each centred on the library's mean and L2-normalised, joined with these
# weights (features, MSD embedding, MTT embedding). Chosen on the development half of bench/tag_quality.py
# (share of "more like this" picks with the seed's timbre or class; docs/BENCHMARKS.md, "Hear and see").
# An item without tags gets zeros in the tag part (the library's mean): only its features compare.
SONIC_WEIGHTS = (1.0, 0.7, 0.7)  # dev half: timbre share of the 10 nearest 2.61x random with the features alone,
# 2.70x / 2.77x with one embedding, 2.96x with features + MSD + MTT at 1.0, 2.97x at 0.7 (0.5: 2.91x, 1.5: 2.85x)


def _centred_unit(M: np.ndarray) -> np.ndarray:
    M = M - M.mean(axis=0, keepdims=True)
    return M / np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-9)


def sonic_vectors(conn: sqlite3.Connection, weights: tuple[float, float, float] | None = None
                  ) -> list[tuple[int, bytes]]:
    """(item id, float32 bytes) of the audio vector (`weights`, default SONIC_WEIGHTS) of every item with
    audio features."""
    weights = weights or SONIC_WEIGHTS
    rows = [(r[0], r[1]) for r in conn.execute("SELECT item_id, vector FROM audio_features WHERE vector IS NOT NULL")]
    if not rows:
        return []
    sizes = [len(r[1]) for r in rows]
    size = max(set(sizes), key=sizes.count)  # one layout (an analyser change leaves old rows until redone)
    rows = [r for r in rows if len(r[1]) == size]
    ids = [r[0] for r in rows]
    features = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1).astype(np.float64)
    parts = [weights[0] * _centred_unit(features)]
    embeddings = {r[0]: (r[1], r[2]) for r in tag_embeddings(conn)}
    at = {i: n for n, i in enumerate(ids)}
    for slot, weight in ((0, weights[1]), (1, weights[2])):
        have = {i: blob for i in ids if i in embeddings and (blob := embeddings[i][slot]) is not None and len(blob) == 800}
        block = np.zeros((len(ids), 200), np.float64)
        if weight and len(have) >= 2:
            E = np.frombuffer(b"".join(have.values()), np.float32).reshape(len(have), 200).astype(np.float64)
            block[[at[i] for i in have]] = weight * _centred_unit(E)
        parts.append(block)
    M = np.concatenate(parts, axis=1).astype(np.float32)
    return [(i, M[n].tobytes()) for n, i in enumerate(ids)]


def feature_vectors(conn: sqlite3.Connection, kind: str) -> list[tuple[int, bytes]]:
    """(item id, float32 vector bytes) of every item with a stored `kind` ('audio'|'video') vector; for audio,
    the features joined with the tagger's embeddings (`sonic_vectors`)."""
    if kind == "audio":
        return sonic_vectors(conn)
    table = {"audio": "audio_features", "video": "video_features"}[kind]
    return [(r[0], r[1]) for r in conn.execute(f"SELECT item_id, vector FROM {table} WHERE vector IS NOT NULL")]


def feature_signature(conn: sqlite3.Connection, kind: str) -> tuple[Any, ...]:
    """(rows, latest analysis time[, tag rows, latest tagging]) of the `kind` ('audio'|'video') vectors:
    changes whenever one is written."""
    table = {"audio": "audio_features", "video": "video_features"}[kind]
    count, latest = conn.execute(f"SELECT COUNT(*), MAX(analyzed_at) FROM {table}").fetchone()
    return (int(count), latest, *tag_signature(conn)) if kind == "audio" else (int(count), latest)


# ----- audio tags (the pretrained tagger, core.analysis.tags) -------------------------------------
# Every phrase the tagger's probabilities can become (core.tag_language.PHRASES), by family, for the
# stages that may not import the analysis (explain: "it sounds like jazz, with piano"). A stored one always
# stood out with a confidence of at least tag_language.MIN_CONFIDENCE.
TAG_PHRASE_FAMILIES: dict[str, str] = {
    **dict.fromkeys(("rock", "pop", "alternative", "indie", "electronic", "dance", "jazz", "metal", "hard rock",
                     "classic rock", "progressive rock", "punk", "soul", "r&b", "funk", "blues", "folk", "country",
                     "hip-hop", "house", "electro", "techno", "ambient", "chillout", "easy listening", "new age",
                     "experimental", "classical", "orchestral", "indian", "opera", "acoustic"), "genre"),
    **dict.fromkeys(("piano", "guitar", "strings", "violin", "cello", "harp", "harpsichord", "flute", "sitar",
                     "synth", "drums"), "instrument"),
    **dict.fromkeys(("female vocals", "male vocals", "vocals", "choir", "instrumental"), "voice"),
    **dict.fromkeys(("60s", "70s", "80s", "90s", "2000s", "oldies"), "era"),
}

def write_audio_tags(conn: sqlite3.Connection, item_id: int, version: str, mtt: dict[str, float] | None,
                     msd: dict[str, float] | None, embedding: bytes | None, mtt_embedding: bytes | None,
                     patches: int, note: str | None, tagged_at: float) -> None:
    """Store (replace) an item's tag probabilities and embeddings; None probabilities + `note`: nothing to tag."""
    conn.execute("INSERT OR REPLACE INTO audio_tags (item_id, version, mtt, msd, embedding, mtt_embedding, patches, "
                 "note, tagged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (item_id, version, json.dumps(mtt) if mtt is not None else None,
                  json.dumps(msd) if msd is not None else None, embedding, mtt_embedding, int(patches), note,
                  tagged_at))


def delete_audio_tags(conn: sqlite3.Connection, item_id: int) -> None:
    """Forget an item's tags (its file no longer has decodable audio)."""
    conn.execute("DELETE FROM audio_tags WHERE item_id = ?", (item_id,))


def _tag_dicts(mtt: object, msd: object) -> dict[str, dict[str, float]] | None:
    a, b = _loads(mtt), _loads(msd)
    if not isinstance(a, dict) or not isinstance(b, dict):
        return None
    return {"mtt": {str(k): float(v) for k, v in a.items() if isinstance(v, int | float)},
            "msd": {str(k): float(v) for k, v in b.items() if isinstance(v, int | float)}}


def audio_tags_for(conn: sqlite3.Connection, item_ids: Iterable[int]) -> dict[int, dict[str, dict[str, float]]]:
    """{item id: {"mtt": {tag: p}, "msd": {tag: p}}} of the items that have tag probabilities."""
    out: dict[int, dict[str, dict[str, float]]] = {}
    try:
        rows = select_in(conn, "SELECT item_id, mtt, msd FROM audio_tags WHERE item_id IN ({marks}) AND mtt IS NOT NULL",
                         list(dict.fromkeys(item_ids)))
    except sqlite3.OperationalError as exc:
        if not _no_table(exc):
            raise
        return out
    for item_id, mtt, msd in rows:
        tags = _tag_dicts(mtt, msd)
        if tags is not None:
            out[item_id] = tags
    return out


def audio_tags_of(conn: sqlite3.Connection, item_id: int) -> dict[str, dict[str, float]] | None:
    """An item's {"mtt": ..., "msd": ...} tag probabilities, or None (not tagged, or nothing to tag)."""
    return audio_tags_for(conn, [item_id]).get(item_id)


def audio_tag_record(conn: sqlite3.Connection, item_id: int) -> dict[str, Any] | None:
    """An item's tag row for `show`: probabilities, `version`, `patches`, `note`, `tagged_at`; None when absent."""
    found = _rows(conn, "SELECT version, mtt, msd, patches, note, tagged_at FROM audio_tags WHERE item_id = ?",
                  (item_id,))
    row = found[0] if found else None
    if row is None:
        return None
    return {**(_tag_dicts(row[1], row[2]) or {}), "version": row[0], "patches": row[3], "note": row[4],
            "tagged_at": row[5]}


_MUSIC_TAGS_FROM = ("FROM audio_tags t JOIN items i ON i.id = t.item_id JOIN item_classes c ON c.item_id = t.item_id "
                    "WHERE i.status = 'ok' AND c.class = ? AND t.version = ? AND t.mtt IS NOT NULL")


def music_tag_count(conn: sqlite3.Connection, version: str) -> int:
    """How many present items classed as music have tags of tagger `version`."""
    return int(conn.execute("SELECT COUNT(*) " + _MUSIC_TAGS_FROM, (MUSIC, version)).fetchone()[0])


def music_tag_rows(conn: sqlite3.Connection, version: str) -> list[dict[str, dict[str, float]]]:
    """The tag probabilities of every present item classed as music, tagged by tagger `version`."""
    out = []
    for mtt, msd in conn.execute("SELECT t.mtt, t.msd " + _MUSIC_TAGS_FROM, (MUSIC, version)):
        tags = _tag_dicts(mtt, msd)
        if tags is not None:
            out.append(tags)
    return out


def tag_embeddings(conn: sqlite3.Connection) -> list[tuple[int, bytes, bytes | None]]:
    """(item id, MSD embedding bytes, MTT embedding bytes or None) of every item with a tag embedding."""
    return [(r[0], r[1], r[2]) for r in _rows(
        conn, "SELECT item_id, embedding, mtt_embedding FROM audio_tags WHERE embedding IS NOT NULL")]


def tag_signature(conn: sqlite3.Connection) -> tuple[int, float | None]:
    """(rows, latest tagging time) of audio_tags: changes whenever one is written."""
    found = _rows(conn, "SELECT COUNT(*), MAX(tagged_at) FROM audio_tags")
    if not found:
        return 0, None
    count, latest = found[0]
    return int(count), latest


def tag_reference(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The stored tag reference {"version", "items", "stats": {"mtt": {tag: [mean, sd]}, ...}, "updated_at"}."""
    found = _rows(conn, "SELECT version, items, stats, updated_at FROM tag_reference WHERE id = 1")
    row = found[0] if found else None
    if row is None:
        return None
    stats = _loads(row[2])
    return {"version": row[0], "items": row[1], "stats": stats if isinstance(stats, dict) else {},
            "updated_at": row[3]}


def moods_for(conn: sqlite3.Connection, item_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """{item id: {"arousal", "valence"}} (-2..2 each) of the items with audio features: the fused moods of
    core.tag_language (measured features, and the tags against this library's reference when tagged)."""
    ids = list(dict.fromkeys(item_ids))
    features = audio_features_for(conn, ids)
    tags = audio_tags_for(conn, list(features))
    stored = tag_reference(conn)
    reference = stored["stats"] if stored else None
    return {i: tl.moods(f, tags.get(i), reference) for i, f in features.items()}


def write_tag_reference(conn: sqlite3.Connection, version: str, items: int, stats: dict[str, Any],
                        updated_at: float) -> None:
    """Store (replace) the tag reference; descriptors of tagged items older than `updated_at` become stale."""
    conn.execute("INSERT OR REPLACE INTO tag_reference (id, version, items, stats, updated_at) VALUES (1, ?, ?, ?, ?)",
                 (version, int(items), json.dumps(stats), updated_at))


def phrase_confidence_for(conn: sqlite3.Connection, item_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """{item id: {phrase: confidence}} of the stored phrases that carry a confidence (the tag phrases)."""
    out: dict[int, dict[str, float]] = {}
    try:
        rows = select_in(conn, "SELECT item_id, confidence FROM descriptors WHERE item_id IN ({marks}) "
                         "AND confidence IS NOT NULL", list(dict.fromkeys(item_ids)))
    except sqlite3.OperationalError as exc:
        if not _no_table(exc) and "no such column" not in str(exc):
            raise
        return out
    for item_id, value in rows:
        parsed = _loads(value)
        if isinstance(parsed, dict):
            out[item_id] = {str(k): float(v) for k, v in parsed.items() if isinstance(v, int | float)}
    return out


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
    found = _rows(conn, "SELECT class, confidence, evidence, version, updated_at FROM item_classes "
                  "WHERE item_id = ?", (item_id,))
    row = found[0] if found else None
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


# ----- keyframes (core.analysis.video: video_features.keyframes) -----------------------------------
# What one keyframe says (its phrases and text) is core.visual_language's: search points a hit to its moment
# with it (core.search.moments).


def keyframes_for(conn: sqlite3.Connection, item_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """{item id: its stored keyframes, in time order} of the videos that have any (each a dict with `t`
    seconds, `path`, `colour`, `faces`, `phrases`, maybe `text`)."""
    out: dict[int, list[dict[str, Any]]] = {}
    try:
        rows = list(select_in(conn, "SELECT item_id, keyframes FROM video_features WHERE item_id IN ({marks})",
                              list(dict.fromkeys(item_ids))))
    except sqlite3.OperationalError as exc:
        if not _no_table(exc):
            raise
        return out
    for item_id, value in rows:
        frames = _loads(value)
        if isinstance(frames, list):
            kept = [k for k in frames if isinstance(k, dict) and isinstance(k.get("t"), int | float)]
            if kept:
                out[item_id] = sorted(kept, key=lambda k: float(k["t"]))
    return out
