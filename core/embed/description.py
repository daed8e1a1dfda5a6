"""The item's description text: tags, kind words, analysis phrases and sidecar text, composed for embedding."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable

from core.db import items as item_db
from core.db.features import phrases_for
from core.text import clean_text

SIDECAR_CHARS = 400
TAG_CHARS = 300
KIND_WORDS = {"audio": "song, music", "video": "video, film"}
# Tags that are identifiers, numbers or already covered by item columns: never description words.
SKIP_TAG_KEYS = {"title", "artist", "album", "album_artist", "genre", "date", "track", "disc", "lyrics",
                 "bpm", "key", "replaygain_track_gain", "replaygain_album_gain", "encoder", "encoded_by",
                 "isrc", "barcode", "catalognumber", "length", "itunnorm", "itunsmpb"}
_SRT_TIMING = re.compile(r"\d\d:\d\d:\d\d[,.]\d+\s*-->\s*\d\d:\d\d:\d\d[,.]\d+|^\d+$|\[\d\d:\d\d[.:]\d\d\]|<[^>]{0,40}>",
                         re.MULTILINE)


def _skip_tag(key: str, value: str) -> bool:
    k = key.lower()
    return (k in SKIP_TAG_KEYS or k.startswith(("musicbrainz", "acoustid", "replaygain", "discogs"))
            or not value.strip() or value.replace(".", "").replace("/", "").replace("-", "").isdigit())


def sidecar_words(text: str, cap: int = SIDECAR_CHARS) -> str:
    """Subtitle/lyrics/nfo text without timings and markup, capped."""
    return clean_text(_SRT_TIMING.sub(" ", text or ""), cap)


def compose(item: sqlite3.Row | dict, tags: Iterable[tuple[str, str]] = (), sidecars: Iterable[str] = (),
            phrases: Iterable[str] = ()) -> str:
    """Description text of one item. Order matters: the encoder truncates long texts at the end."""
    parts: list[str] = []
    title = clean_text(item["title"], 300)
    artist = clean_text(item["artist"], 200)
    if title and artist:
        parts.append(f"{title} by {artist}")
    elif title or artist:
        parts.append(title or artist)
    for key in ("album", "genre"):
        value = clean_text(item[key], 200)
        if value:
            parts.append(value)
    if item["year"]:
        parts.append(str(item["year"]))
    kind_words = KIND_WORDS.get(item["kind"], "")
    if kind_words:
        parts.append(kind_words)
    phrase_list = [clean_text(p, 80) for p in phrases if p]
    if phrase_list:
        parts.append(", ".join(p for p in phrase_list if p))
    extra = [clean_text(v, TAG_CHARS) for k, v in tags if not _skip_tag(k, v)]
    if extra:
        parts.append(", ".join(dict.fromkeys(e for e in extra if e)))
    side = " ".join(sidecar_words(s) for s in sidecars if s)
    if side.strip():
        parts.append(clean_text(side, SIDECAR_CHARS))
    return ". ".join(p.strip(" .") for p in parts if p.strip(" .")) or clean_text(item["title"], 300)


def text_hash(text: str) -> str:
    """sha1 of a description text: an unchanged text is never re-embedded."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def describe(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> dict[int, str]:
    """Description texts for many items rows (read 500 at a time; absent tags/sidecars/phrases are fine)."""
    out: dict[int, str] = {}
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        ids = [r["id"] for r in chunk]
        tags = item_db.tags_for(conn, ids)
        sides = item_db.sidecar_texts_for(conn, ids)
        phrases = phrases_for(conn, ids)
        for row in chunk:
            out[row["id"]] = compose(row, tags.get(row["id"], ()), sides.get(row["id"], ()),
                                     phrases.get(row["id"], ()))
    return out
