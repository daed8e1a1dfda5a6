"""History import: ListenBrainz JSON export, Last.fm scrobble CSV, M3U/M3U8 playlists.

Rows are matched to library items by normalised artist + title (and duration when the file has it;
M3U entries first by path). The report says how many rows matched, lists unmatched ones, and counts
the malformed rows it skipped with why ("bad duration": 3). Listens become play events (source
"import:..."); playlists are stored as playlists and count as co-occurrence baskets. Neighbours are
rebuilt once at the end.

Files are read as a stream, never whole: lines are bounded (`MAX_LINE_CHARS`), JSON is decoded one
listen at a time from chunks (`core.recommend.json_stream`), plays are written in batches. Peak memory
does not grow with the file (docs/RELIABILITY.md has the figures).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.context import StageContext
from core.db import history as hdb
from core.db import items as q
from core.db import playlists as pdb
from core.errors import UserError
from core.recommend.history import play_problem
from core.recommend.json_stream import JsonStream, Unreadable
from core.text import clean_text, normalize_key

MAX_UNMATCHED_LISTED = 50
MAX_LINE_CHARS = 1 << 20  # one CSV/M3U line: a real one is under 1 KB
SNIFF_BYTES = 1 << 16  # read first to choose the encoding and to tell a text file from binary data
BATCH_ROWS = 2000  # plays written per transaction
FORMATS = "a ListenBrainz export (.json or .jsonl), a Last.fm scrobble CSV or an M3U playlist"
Row = dict[str, Any]


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


# ----- field parsers: a value, None when absent, or ValueError when malformed ----------------------
def _number(value: Any) -> float:
    """A finite number from a JSON number or numeric text; ValueError otherwise (bools, NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("not a number")
    if isinstance(value, str) and len(value) > 40:
        raise ValueError("not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _ts(value: Any) -> float | None:
    """A play time (Unix seconds, ISO or Last.fm date text); None when empty; ValueError when not a time."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        return _number(value)
    value = value.strip()[:64]
    try:
        return float(value)  # NaN and inf come back as such: play_problem names them
    except ValueError:
        pass
    for fmt in ("%d %b %Y %H:%M", "%d %b %Y, %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
        except (ValueError, OverflowError, OSError):
            continue
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError("not a time") from exc


def _text(value: Any, max_chars: int = 300) -> str:
    """Tag-like text from a JSON value (numbers allowed, structures are not text)."""
    if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return clean_text(value, max_chars=max_chars)
    return ""


# ----- reading a file as bounded text ----------------------------------------------------------
def _open_text(p: Path) -> tuple[io.TextIOWrapper, str]:
    """The file as a text stream (UTF-16 by BOM, UTF-8 when its start decodes as UTF-8, else Latin-1)
    and its first characters. Binary data is refused with a UserError."""
    raw = open(p, "rb")  # noqa: SIM115 - the caller closes the wrapper, which closes this
    try:
        head = raw.read(SNIFF_BYTES)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        else:
            try:
                codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
                encoding = "utf-8-sig"
            except UnicodeDecodeError:
                encoding = "latin-1"
        sample = head.decode(encoding, errors="replace")
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f") + sample.count("\ufffd")
        if (encoding != "utf-16" and b"\x00" in head) or controls > max(8, len(sample) // 20):
            raise UserError(f"{p.name} is not a listening history: it holds binary data, not text. "
                            f"Give {FORMATS}.")
        raw.seek(0)
        return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=""), sample
    except BaseException:
        raw.close()
        raise


def _lines(f: io.TextIOWrapper, skip: Counter[str]) -> Iterator[str]:
    """The file's lines, each at most MAX_LINE_CHARS; a longer line is counted in `skip` and read
    past without being held (an empty line stands in for it)."""
    while True:
        line = f.readline(MAX_LINE_CHARS)
        if not line:
            return
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            while (more := f.readline(MAX_LINE_CHARS)) and not more.endswith(("\n", "\r")):
                pass
            skip[f"line over {MAX_LINE_CHARS >> 20} MB"] += 1
            yield "\n"
            continue
        yield line


# ----- the three formats: each yields a row dict, or a string saying why a row was skipped -------
def parse_listenbrainz(f: io.TextIOWrapper) -> Iterator[Row | str]:
    """ListenBrainz listens: a JSON list, JSON lines, or {"payload": {"listens": [...]}}, read one
    listen at a time (a file of any size, any nesting, any junk)."""
    js = JsonStream(f)
    first = True
    while not js.stopped and (c := js.peek()):
        if first and c == "[":  # one big array: streamed element by element
            js.take()
            yield from (v.reason if isinstance(v, Unreadable) else _listen(v) for v in js.array())
            first = False
            continue
        try:
            value = js.value()
        except Unreadable as exc:
            if first and c == "{" and exc.too_big:  # one big {"payload": {"listens": [...]}} object
                yield from (v.reason if isinstance(v, Unreadable) else _listen(v) for v in js.listens_of_object())
            else:
                yield exc.reason
                js.skip_line()  # JSON lines: go on with the next line
            first = False
            continue
        first = False
        if isinstance(value, dict) and ("payload" in value or "listens" in value):
            payload = value.get("payload", value)
            listens = payload.get("listens") if isinstance(payload, dict) else None
            if not isinstance(listens, list):
                yield "no list of listens in the payload"
                continue
            yield from (_listen(v) for v in listens)
        elif isinstance(value, list):  # a JSON line that is a list of listens
            yield from (_listen(v) for v in value)
        else:
            yield _listen(value)


def _listen(d: Any) -> Row | str:
    """One ListenBrainz listen as a row, or why it is not one."""
    if not isinstance(d, dict):
        return "not a listen (expected a JSON object)"
    meta = d.get("track_metadata")
    if not isinstance(meta, dict):
        return "no track_metadata"
    info = meta.get("additional_info")
    info = info if isinstance(info, dict) else {}
    title = _text(meta.get("track_name"))
    if not title:
        return "no track name"
    try:
        at = _ts(d.get("listened_at"))
    except ValueError:
        return "listened_at is not a time"
    try:
        ms, seconds = info.get("duration_ms"), info.get("duration")
        duration = _number(ms) / 1000.0 if ms not in (None, "", 0) else _number(seconds) if seconds not in (None, "", 0) else 0.0
    except (ValueError, OverflowError):
        return "duration is not a number"
    if duration < 0:
        return "duration is negative"
    return {"artist": _text(meta.get("artist_name")), "title": title, "album": _text(meta.get("release_name")),
            "at": at, "duration": duration or None}


def parse_lastfm_csv(lines: Iterable[str]) -> Iterator[Row | str]:
    """Last.fm scrobbles: artist, album, title, timestamp (with or without a header row)."""
    reader = csv.reader(lines)
    get = None
    while True:
        try:
            r = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"field over {csv.field_size_limit() >> 10} KB" if "field limit" in str(exc) else "not valid CSV"
            continue
        if not r or not any(cell.strip() for cell in r):
            continue
        if get is None:
            header = [h.strip().lower() for h in r]
            get = _csv_columns(header)
            if get is not None:
                continue
            get = lambda r: (r[0], r[1], r[2], r[3] if len(r) > 3 else "")  # noqa: E731
        if len(r) < 3:
            yield "fewer than 3 columns"
            continue
        artist, album, title, ts = get(r)
        if not clean_text(title):
            yield "no title"
            continue
        try:
            at = _ts(ts)
        except ValueError:
            yield "timestamp is not a time"
            continue
        yield {"artist": clean_text(artist), "album": clean_text(album), "title": clean_text(title), "at": at,
               "duration": None}


def _csv_columns(header: list[str]) -> Any:
    """A row -> (artist, album, title, timestamp) getter when `header` is a header row, else None."""
    if not ("artist" in header and ("title" in header or "track" in header)):
        return None
    col = {name: header.index(name) for name in header}
    ti = col.get("title", col.get("track"))
    tsi = next((col[k] for k in ("timestamp", "uts", "date", "utc_time") if k in col), None)

    def cell(r: list[str], i: int | None) -> str:
        return r[i] if i is not None and i < len(r) else ""

    return lambda r: (cell(r, col["artist"]), cell(r, col.get("album")), cell(r, ti), cell(r, tsi))


def parse_m3u(lines: Iterable[str], base: Path) -> Iterator[Row | str]:
    """M3U/M3U8 entries: path, and artist/title/duration from #EXTINF when present."""
    info: Row | None = None
    for line in lines:
        line = line.strip()
        if line.upper().startswith("#EXTINF:"):
            head, _, rest = line[8:].partition(",")
            dur = head.split()[0] if head else ""
            artist, sep, title = rest.partition(" - ")
            try:
                seconds = _number(dur) if dur else None
            except ValueError:
                seconds = None
            info = {"artist": clean_text(artist) if sep else "", "title": clean_text(title if sep else rest),
                    "duration": seconds if seconds and seconds > 0 else None}
        elif line and not line.startswith("#"):
            try:
                path = line if os.path.isabs(line) or "://" in line else str((base / line).resolve())
                entry: Row = {"path": os.path.normpath(path), "artist": "", "title": Path(line).stem,
                              "duration": None}
            except (ValueError, OSError):
                yield "not a usable path"
                info = None
                continue
            if info:
                entry.update(info)
            yield entry
            info = None


# ----- the import --------------------------------------------------------------------------------
def _rows(fmt: str, f: io.TextIOWrapper, base: Path, skip: Counter[str]) -> Iterator[Row | str]:
    if fmt == "m3u":
        return parse_m3u(_lines(f, skip), base)
    if fmt == "listenbrainz":
        return parse_listenbrainz(f)
    return parse_lastfm_csv(_lines(f, skip))


def _format(p: Path, sample: str) -> str:
    suffix = p.suffix.lower()
    if suffix in (".m3u", ".m3u8"):
        return "m3u"
    if suffix in (".json", ".jsonl") or sample.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):
        return "listenbrainz"
    return "lastfm"


def import_history(ctx: StageContext, path: str, profile: str) -> dict[str, Any]:
    """Import one file; returns {"format", "rows", "matched", "unmatched", "unmatched_rows", "skipped",
    "skipped_reasons", ...}. A file that holds no history at all raises UserError."""
    from core.recommend import neighbours

    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if not p.is_file():
        raise UserError(f"{path} is not a file: give {FORMATS}")
    matcher = Matcher(ctx.store.reader())
    skip: Counter[str] = Counter()
    matched = unmatched = added = 0
    unmatched_rows: list[Row] = []
    playlist: list[int] = []
    batch: list[tuple[int, float, float]] = []
    now = time.time()
    f, sample = _open_text(p)
    fmt = _format(p, sample)
    with f:
        for r in _rows(fmt, f, p.parent, skip):
            if isinstance(r, str):
                skip[r] += 1
                continue
            at = r.get("at")
            problem = None if fmt == "m3u" else play_problem(now if at is None else at, r["duration"] or 0.0, now)
            if problem:
                skip[problem] += 1
                continue
            item = matcher.by_path.get(r.get("path", "")) if fmt == "m3u" else None
            item = item or matcher.match(r["artist"], r["title"], r.get("duration"))
            if not item:
                unmatched += 1
                if len(unmatched_rows) < MAX_UNMATCHED_LISTED:
                    unmatched_rows.append({k: r.get(k) for k in ("artist", "title", "path") if r.get(k)})
                    if fmt == "m3u":
                        unmatched_rows[-1]["why"] = m3u_unmatched_why(r)
                continue
            matched += 1
            if fmt == "m3u":
                playlist.append(item)
                continue
            batch.append((item, at if at is not None else now, r.get("duration") or 0.0))
            if len(batch) >= BATCH_ROWS:
                added += _write_plays(ctx, profile, fmt, batch)
                batch = []
    added += _write_plays(ctx, profile, fmt, batch)
    skipped = sum(skip.values())
    if skipped and not matched and not unmatched:
        raise UserError(f"{p.name} is not a listening history Encore can read: none of its rows is a "
                        f"{'playlist entry' if fmt == 'm3u' else 'listen'} ({_reasons_text(skip)}). Give {FORMATS}.")
    if fmt == "m3u":
        with ctx.store.write() as conn:
            hdb.ensure_profile(conn, profile)
            pdb.add_playlist(conn, p.stem, profile, "import", str(p), playlist)
    rebuilt = neighbours.rebuild(ctx) if matched else None
    return {"format": fmt, "file": str(p), "rows": matched + unmatched + skipped, "matched": matched,
            "unmatched": unmatched, "skipped": skipped, "skipped_reasons": dict(skip.most_common()),
            "events_added": added, "playlist_items": len(playlist), "unmatched_rows": unmatched_rows,
            "rebuild": rebuilt}


def m3u_unmatched_why(entry: Row) -> str:
    """Why a playlist entry matched nothing: "not found in your library: <path> (no file with that path
    or title)", or that the file exists but its folder is not in the library, or that it is a web address."""
    path = entry.get("path") or entry.get("title") or "?"
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]+:/", path):  # a URL (normpath made "://" ":/")
        path = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]+):/(?!/)", r"\1://", path)
        why = "a web address: Encore plays files on this computer"
    elif os.path.isfile(path):
        why = "the file is there, but its folder is not in your library: add the folder"
    else:
        why = "no file with that path or title"
    return f"not found in your library: {path} ({why})"


def _write_plays(ctx: StageContext, profile: str, fmt: str, batch: list[tuple[int, float, float]]) -> int:
    """Store one batch of imported plays in one transaction (a play already there is not repeated)."""
    if not batch:
        return 0
    added = 0
    with ctx.store.write() as conn:
        hdb.ensure_profile(conn, profile)
        for item, at, seconds in batch:
            if hdb.has_play_at(conn, item, profile, at):
                continue
            hdb.insert_play(conn, item, profile, at, seconds, 1.0, False, f"import:{fmt}")
            added += 1
    return added


def _reasons_text(skip: Counter[str]) -> str:
    """ "3 not valid JSON, 1 no track name" """
    return ", ".join(f"{n} {why}" for why, n in skip.most_common(4))

