"""Storing analysis results and reading them back for `stats` and `show` (SQL in core.db.features). Light imports only."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from core.analysis import AUDIO_VERSION, DESCRIPTOR_VERSION, VIDEO_VERSION
from core.db import features as db
from core.db.items import set_fts_descriptors
from core.db.terms import SOURCE_PHRASES, phrase_terms, write_terms

if TYPE_CHECKING:
    import sqlite3

    from core.context import StageContext


def write_result(conn: sqlite3.Connection, item_id: int, result: dict[str, Any]) -> list[str]:
    """Store one worker result and its descriptors (inside the caller's transaction); returns the phrases."""
    now = time.time()
    if result.get("audio") is not None:
        db.write_audio_features(conn, item_id, result["audio_version"], result["audio"], result["audio_vector"], now)
    else:
        db.delete_audio_features(conn, item_id)
    if result.get("video") is not None:
        video = dict(result["video"])
        if result.get("audio_skipped"):
            video["audio_skipped"] = result["audio_skipped"]
        db.write_video_features(conn, item_id, result["video_version"], video, result["video_vector"],
                                result["keyframes"], result["poster"], now)
    return write_descriptors(conn, item_id, result.get("audio"), result.get("video"))


def write_descriptors(conn: sqlite3.Connection, item_id: int, audio: dict | None, video: dict | None) -> list[str]:
    """Describe and store the phrases of one item (and make them searchable)."""
    from core.analysis.descriptors import describe

    phrases = describe(audio, video)
    db.write_descriptors(conn, item_id, DESCRIPTOR_VERSION, phrases, time.time())
    set_fts_descriptors(conn, item_id, phrases)
    write_terms(conn, item_id, SOURCE_PHRASES, phrase_terms(phrases))
    return phrases


def refresh_descriptors(conn: sqlite3.Connection) -> int:
    """Re-describe items whose descriptors are missing or older than DESCRIPTOR_VERSION (no decoding)."""
    ids = db.stale_descriptor_ids(conn, DESCRIPTOR_VERSION)
    for item_id in ids:
        write_descriptors(conn, item_id, *db.stored_features(conn, item_id))
    return len(ids)


def stats(ctx: StageContext) -> dict[str, Any]:
    """`analyzed`: items whose current-version analysis is stored; `analysis_pending`: the rest."""
    return db.analysis_counts(ctx.store.reader(), AUDIO_VERSION, VIDEO_VERSION)


def show(ctx: StageContext, row: sqlite3.Row) -> dict[str, Any]:
    """`audio`, `video` (with keyframes and poster) and `descriptors` of one item, when analysed."""
    conn = ctx.store.reader()
    out: dict[str, Any] = {}
    audio = db.audio_record(conn, row["id"])
    if audio is not None:
        out["audio"] = audio
    video = db.video_record(conn, row["id"])
    if video is not None:
        out["video"] = video
    out["descriptors"] = db.phrases_of(conn, row["id"])
    return out
