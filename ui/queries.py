"""Read-only queries for the UI's own lists (history, playlists), on the caller thread's WAL reader."""

from __future__ import annotations

from typing import Any

from core.db.items import from_db_path


def last_played(library, profile: str | None = None) -> tuple[int, str] | None:
    """(item id, title) of the most recent play, or None."""
    rows = library.store.query(
        "SELECT i.id, COALESCE(NULLIF(i.title, ''), i.filename) FROM play_events p JOIN items i ON i.id = p.item_id "
        "WHERE p.profile = ? AND p.skipped = 0 ORDER BY p.started_at DESC LIMIT 1",
        (profile or library.settings.profile,))
    return (rows[0][0], rows[0][1]) if rows else None


def history(library, limit: int = 500, profile: str | None = None) -> list[dict[str, Any]]:
    """The latest plays, newest first."""
    rows = library.store.query(
        "SELECT p.id, p.item_id, p.started_at, p.seconds, p.completed, p.skipped, p.source, i.title, "
        "i.artist, i.kind, i.filename FROM play_events p JOIN items i ON i.id = p.item_id "
        "WHERE p.profile = ? ORDER BY p.started_at DESC LIMIT ?", (profile or library.settings.profile, limit))
    return [dict(r) for r in rows]


def playlists(library, profile: str | None = None) -> list[dict[str, Any]]:
    rows = library.store.query(
        "SELECT pl.id, pl.name, pl.source, pl.note, COUNT(pi.item_id) AS n FROM playlists pl "
        "LEFT JOIN playlist_items pi ON pi.playlist_id = pl.id WHERE pl.profile = ? "
        "GROUP BY pl.id ORDER BY pl.created_at DESC", (profile or library.settings.profile,))
    return [dict(r) for r in rows]


def playlist_items(library, playlist_id: int) -> list[dict[str, Any]]:
    rows = library.store.query(
        "SELECT i.id, i.title, i.artist, i.album, i.kind, i.duration, i.path FROM playlist_items pi "
        "JOIN items i ON i.id = pi.item_id WHERE pi.playlist_id = ? ORDER BY pi.position", (playlist_id,))
    return [{**dict(r), "path": from_db_path(r["path"])} for r in rows]


def lexical_hits(library, text: str, limit: int = 50):
    """Plain word matching over the FTS index: search's stand-in while the search engine is absent."""
    from core.db.items import media_item
    from core.models import Hit, Reason
    from ui.table_model import fts_query

    match = fts_query(text)
    if not match:
        return []
    try:
        rows = library.store.query(
            "SELECT items.*, bm25(items_fts) AS rank FROM items_fts JOIN items ON items.id = items_fts.rowid "
            "WHERE items_fts MATCH ? AND items.status = 'ok' ORDER BY rank LIMIT ?", (match, limit))
    except Exception:  # noqa: BLE001 - an odd query simply finds nothing
        return []
    words = text.split()
    return [Hit(media_item(r), float(-r["rank"]), (Reason("matches_query", 1.0, {"query": text, "words": words}),))
            for r in rows]
