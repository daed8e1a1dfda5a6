"""Storing analysis results and reading them back for `stats` and `show` (SQL in core.db.features). Light imports only."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.analysis import AUDIO_VERSION, CLASS_VERSION, DESCRIPTOR_VERSION, VIDEO_VERSION
from core.db import features as db
from core.db import items as q
from core.db.items import set_fts_descriptors
from core.db.terms import SOURCE_PHRASES, phrase_terms, write_terms
from core.models import Progress

if TYPE_CHECKING:
    import sqlite3

    from core.context import StageContext

REFRESH_BATCH = 200  # items re-classified / re-described per write transaction (each batch commits: resumable)


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
    item_class = write_class(conn, item_id, result.get("audio"), result.get("video"))
    return write_descriptors(conn, item_id, result.get("audio"), result.get("video"), item_class)


def write_class(conn: sqlite3.Connection, item_id: int, audio: dict | None, video: dict | None) -> str:
    """Classify one item (music, speech, sound_effect, video) from its features, kind, file name and tags,
    and store the class; returns it."""
    from core.analysis.item_class import classify

    row = q.get_item(conn, item_id)
    if row is None:
        raise ValueError(f"no item {item_id}")
    tags = q.tags_for(conn, [item_id]).get(item_id, [])
    ext = row["ext"] or os.path.splitext(q.from_db_path(row["path"]))[1]
    found = classify(row["kind"], row["duration"], ext, row["genre"] or "", tags, audio, video)
    db.write_item_class(conn, item_id, CLASS_VERSION, found.name, found.confidence, found.evidence, time.time())
    return found.name


def write_descriptors(conn: sqlite3.Connection, item_id: int, audio: dict | None, video: dict | None,
                      item_class: str | None = None) -> list[str]:
    """Describe and store the phrases of one item (and make them searchable)."""
    from core.analysis.descriptors import describe_with_confidence
    from core.analysis.tags import reference_for

    tags = db.audio_tags_of(conn, item_id)  # the tagger's stored probabilities, compared with the reference
    phrases, confidence = describe_with_confidence(audio, video, item_class, tags, reference_for(conn) if tags else None)
    db.write_descriptors(conn, item_id, DESCRIPTOR_VERSION, phrases, time.time(), confidence)
    set_fts_descriptors(conn, item_id, phrases)
    write_terms(conn, item_id, SOURCE_PHRASES, phrase_terms(phrases))
    return phrases


def _refresh_one(conn: sqlite3.Connection, item_id: int, reclassify: bool) -> None:
    audio, video = db.stored_features(conn, item_id)
    item_class = write_class(conn, item_id, audio, video) if reclassify else \
        db.item_classes_for(conn, [item_id]).get(item_id)
    if item_class is None:
        item_class = write_class(conn, item_id, audio, video)
    write_descriptors(conn, item_id, audio, video, item_class)


def refresh_stored(ctx: StageContext, progress: Callable[[Progress], None] | None = None) -> dict[str, int]:
    """Bring classes and descriptors up to CLASS_VERSION / DESCRIPTOR_VERSION from the stored JSON, in
    committed batches of REFRESH_BATCH with progress ("describe", done, total): a new describer or
    classifier upgrades the whole library without decoding, and a killed run resumes where it stopped.
    Returns {"classified": n, "described": n}."""
    conn = ctx.store.reader()
    reclassify = set(db.stale_class_ids(conn, CLASS_VERSION))
    ids = sorted(reclassify | set(db.stale_descriptor_ids(conn, DESCRIPTOR_VERSION)))
    done = 0
    for start in range(0, len(ids), REFRESH_BATCH):
        with ctx.store.write() as wconn:
            for item_id in ids[start:start + REFRESH_BATCH]:
                _refresh_one(wconn, item_id, item_id in reclassify)
        done = min(len(ids), start + REFRESH_BATCH)
        if progress is not None:
            progress(Progress("describe", done, len(ids), ""))
    return {"classified": len(reclassify), "described": len(ids)}


def stats(ctx: StageContext) -> dict[str, Any]:
    """`analyzed`: items whose current-version analysis is stored; `analysis_pending`: the rest."""
    return db.analysis_counts(ctx.store.reader(), AUDIO_VERSION, VIDEO_VERSION)


def due(ctx: StageContext) -> list[str]:
    """What an `analyze` run would do now ("analysis", "tags", "descriptors", "classes"; [] when the library is
    current): a new analyser, tagger, describer or classifier version upgrades the library in the background."""
    from core.analysis.queue import VERSION_MARK, tagging_available
    from core.analysis.tags import TAGS_VERSION

    return db.analysis_due(ctx.store.reader(), AUDIO_VERSION, VIDEO_VERSION,
                           TAGS_VERSION if tagging_available() else None, DESCRIPTOR_VERSION, CLASS_VERSION,
                           VERSION_MARK)


def show(ctx: StageContext, row: sqlite3.Row) -> dict[str, Any]:
    """`audio`, `video` (with keyframes and poster), `item_class` ({class, confidence, evidence, ...}) and
    `descriptors` of one item, when analysed."""
    conn = ctx.store.reader()
    out: dict[str, Any] = {}
    audio = db.audio_record(conn, row["id"])
    if audio is not None:
        out["audio"] = audio
    video = db.video_record(conn, row["id"])
    if video is not None:
        out["video"] = video
    item_class = db.item_class_record(conn, row["id"])
    if item_class is not None:
        out["item_class"] = item_class
    tags = db.audio_tag_record(conn, row["id"])
    if tags is not None:
        out["audio_tags"] = tags
    out["descriptors"] = db.phrases_of(conn, row["id"])
    return out
