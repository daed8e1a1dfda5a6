"""History import: ListenBrainz JSON export, Last.fm scrobble CSV, M3U/M3U8 playlists.

Rows are matched to library items by normalised artist + title (and duration when the file has it;
M3U entries first by path). The report says how many rows matched and lists unmatched ones.
Listens become play events (source "import:..."); playlists are stored as playlists and count as
co-occurrence baskets. Neighbours are rebuilt once at the end.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.context import StageContext
from core.db import history as hdb
from core.db import items as q
from core.text import clean_text, decode_bytes, normalize_key

MAX_UNMATCHED_LISTED = 50


class Matcher:
    """Library items by (artist, title) key and by path."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.by_key: dict[tuple[str, str], list[tuple[int, float | None]]] = {}
        self.by_title: dict[str, list[tuple[int, float | None]]] = {}
        self.by_path: dict[str, int] = {}
        for r in q.present_item_keys(conn):
            entry = (r["id"], r["duration"])
            t = normalize_key(r["title"])
            for artist in {r["artist"], r["album_artist"]}:
                if artist:
                    self.by_key.setdefault((normalize_key(artist), t), []).append(entry)
            self.by_title.setdefault(t, []).append(entry)
            self.by_path[q.from_db_path(r["path"])] = r["id"]

    def match(self, artist: str, title: str, duration: float | None = None) -> int | None:
        t = normalize_key(title)
        found = self.by_key.get((normalize_key(artist), t)) if artist else None
        if not found and not artist:
            found = self.by_title.get(t)
        if not found:
            return None
        if duration and len(found) > 1:
            found = sorted(found, key=lambda e: abs((e[1] or 1e9) - duration))
        best = found[0]
        if duration and best[1] and abs(best[1] - duration) > max(10.0, 0.1 * duration):
            return None
        return best[0]


def _ts(value: str) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    for fmt in ("%d %b %Y %H:%M", "%d %b %Y, %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def parse_listenbrainz(text: str) -> list[dict[str, Any]]:
    """A ListenBrainz export: a JSON list of listens (or JSON lines, or {"payload": {"listens": [...]}})."""
    text = text.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(data, dict):
        data = data.get("payload", data).get("listens", [])
    out = []
    for d in data if isinstance(data, list) else []:
        meta = d.get("track_metadata") or {}
        info = meta.get("additional_info") or {}
        dur = info.get("duration_ms") or (info.get("duration") or 0) * 1000
        out.append({"artist": clean_text(meta.get("artist_name", "")), "title": clean_text(meta.get("track_name", "")),
                    "album": clean_text(meta.get("release_name", "")), "at": _ts(str(d.get("listened_at", ""))),
                    "duration": float(dur) / 1000.0 if dur else None})
    return out


def parse_lastfm_csv(text: str) -> list[dict[str, Any]]:
    """Last.fm scrobbles: artist, album, title, timestamp (with or without a header row)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "artist" in header and ("title" in header or "track" in header):
        col = {name: header.index(name) for name in header}
        ti = col.get("title", col.get("track"))
        tsi = next((col[k] for k in ("timestamp", "uts", "date", "utc_time") if k in col), None)
        rows = rows[1:]
        get = lambda r: (r[col["artist"]], r[col["album"]] if "album" in col else "", r[ti],  # noqa: E731
                         r[tsi] if tsi is not None and tsi < len(r) else "")
    else:
        get = lambda r: (r[0], r[1] if len(r) > 1 else "", r[2] if len(r) > 2 else "",  # noqa: E731
                         r[3] if len(r) > 3 else "")
    out = []
    for r in rows:
        if len(r) < 3:
            continue
        artist, album, title, ts = get(r)
        out.append({"artist": clean_text(artist), "album": clean_text(album), "title": clean_text(title),
                    "at": _ts(ts), "duration": None})
    return out


def parse_m3u(text: str, base: Path) -> list[dict[str, Any]]:
    """M3U/M3U8 entries: path, and artist/title/duration from #EXTINF when present."""
    out: list[dict[str, Any]] = []
    info: dict[str, Any] | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.upper().startswith("#EXTINF:"):
            head, _, rest = line[8:].partition(",")
            dur = head.split()[0] if head else ""
            artist, sep, title = rest.partition(" - ")
            info = {"artist": clean_text(artist) if sep else "", "title": clean_text(title if sep else rest),
                    "duration": float(dur) if dur.lstrip("-").replace(".", "", 1).isdigit() and float(dur) > 0 else None}
        elif line and not line.startswith("#"):
            path = line if os.path.isabs(line) or "://" in line else str((base / line).resolve())
            entry: dict[str, Any] = {"path": os.path.normpath(path), "artist": "", "title": Path(line).stem, "duration": None}
            if info:
                entry.update(info)
            out.append(entry)
            info = None
    return out


def import_history(ctx: StageContext, path: str, profile: str) -> dict[str, Any]:
    """Import one file; returns {"format", "rows", "matched", "unmatched", "unmatched_rows", ...}."""
    from core.recommend import neighbours

    p = Path(path).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    text = decode_bytes(p.read_bytes())
    suffix = p.suffix.lower()
    if suffix in (".m3u", ".m3u8"):
        fmt, rows = "m3u", parse_m3u(text, p.parent)
    elif suffix in (".json", ".jsonl") or text.lstrip()[:1] in "[{":
        fmt, rows = "listenbrainz", parse_listenbrainz(text)
    else:
        fmt, rows = "lastfm", parse_lastfm_csv(text)
    matcher = Matcher(ctx.store.reader())
    matched: list[tuple[dict[str, Any], int]] = []
    unmatched: list[tuple[dict[str, Any], None]] = []
    for r in rows:
        item = matcher.by_path.get(r.get("path", "")) if fmt == "m3u" else None
        item = item or matcher.match(r["artist"], r["title"], r.get("duration"))
        if item:
            matched.append((r, item))
        else:
            unmatched.append((r, None))
    added = 0
    with ctx.store.write() as conn:
        hdb.ensure_profile(conn, profile)
        if fmt == "m3u":
            hdb.add_playlist(conn, p.stem, profile, "import", str(p), [item for _, item in matched])
        else:
            for r, item in matched:
                at = r["at"] or time.time()
                if hdb.has_play_at(conn, item, profile, at):
                    continue
                hdb.insert_play(conn, item, profile, at, r.get("duration") or 0.0, 1.0, False, f"import:{fmt}")
                added += 1
    rebuilt = neighbours.rebuild(ctx) if matched else None
    return {"format": fmt, "file": str(p), "rows": len(rows), "matched": len(matched), "unmatched": len(unmatched),
            "events_added": added, "playlist_items": len(matched) if fmt == "m3u" else 0,
            "unmatched_rows": [{k: r.get(k) for k in ("artist", "title", "path") if r.get(k)}
                               for r, _ in unmatched[:MAX_UNMATCHED_LISTED]], "rebuild": rebuilt}
