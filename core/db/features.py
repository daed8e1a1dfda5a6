"""Typed reads and writes of analysis results: audio_features, video_features and descriptors.

The one parser of descriptor phrases lives here (`phrases_for`, `phrases_of`): `descriptors.phrases`
is a JSON list of plain-language strings; anything else stored there reads as no phrases.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

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
