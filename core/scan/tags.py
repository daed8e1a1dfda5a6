"""Tag reading with mutagen: every tag family (ID3, Vorbis, MP4, ASF, APE) mapped to one set of keys."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

from core.text import MAX_TEXT_CHARS, clean_text

# Raw tag keys (lower-cased, after stripping ID3 "TXXX:" and MP4 "----:com.apple.iTunes:" prefixes)
# mapped to Encore's canonical keys.
CANONICAL = {
    "title": ["tit2", "title", "©nam", "wm/title", "inam"],
    "artist": ["tpe1", "artist", "©art", "author", "wm/author", "iart"],
    "album": ["talb", "album", "©alb", "wm/albumtitle", "iprd"],
    "album_artist": ["tpe2", "albumartist", "album artist", "album_artist", "aart", "wm/albumartist"],
    "genre": ["tcon", "genre", "©gen", "gnre", "wm/genre", "ignr"],
    "date": ["tdrc", "tyer", "tdor", "date", "year", "©day", "wm/year", "originaldate", "icrd"],
    "track": ["trck", "tracknumber", "track", "trkn", "wm/tracknumber"],
    "disc": ["tpos", "discnumber", "disc", "disk", "wm/partofset"],
    "composer": ["tcom", "composer", "©wrt", "wm/composer"],
    "comment": ["comm", "comment", "description", "©cmt", "desc", "icmt"],
    "lyrics": ["uslt", "lyrics", "unsyncedlyrics", "©lyr", "wm/lyrics"],
    "bpm": ["tbpm", "bpm", "tmpo", "wm/beatsperminute"],
    "key": ["tkey", "initialkey", "key", "wm/initialkey"],
    "musicbrainz_recording_id": ["ufid:http://musicbrainz.org", "musicbrainz_trackid", "musicbrainz track id"],
    "musicbrainz_album_id": ["musicbrainz_albumid", "musicbrainz album id"],
    "musicbrainz_artist_id": ["musicbrainz_artistid", "musicbrainz artist id"],
    "replaygain_track_gain": ["replaygain_track_gain"],
    "replaygain_album_gain": ["replaygain_album_gain"],
}
_LOOKUP = {raw: canon for canon, raws in CANONICAL.items() for raw in raws}
_PICTURE_KEYS = ("apic", "covr", "metadata_block_picture", "wm/picture", "cover art (front)", "pic")
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
MAX_TAGS_READ = 2000  # tags looked at per file (a file can hold millions)
MAX_EXTRA_TAGS = 200  # non-standard tags stored per file


def _raw_key(key: str) -> str:
    k = str(key).lower()
    for prefix in ("txxx:", "----:com.apple.itunes:", "----:"):
        if k.startswith(prefix):
            k = k[len(prefix):]
    if k.startswith(("comm:", "uslt:", "apic:")):
        k = k[:4]
    return k


def _as_text(value: Any) -> str:
    """Flatten a mutagen tag value (frames, lists, tuples, MP4 freeform bytes) to text."""
    if hasattr(value, "text") and not isinstance(value, str | bytes):
        value = value.text
    if isinstance(value, list | tuple):
        if len(value) == 2 and all(isinstance(v, int) for v in value):  # MP4 trkn/disk (n, total)
            return f"{value[0]}/{value[1]}" if value[1] else str(value[0])
        return "; ".join(t for t in (_as_text(v) for v in value[:50]) if t)
    if isinstance(value, bytes):
        value = value[:MAX_TEXT_CHARS].decode("utf-8", "replace")
    return clean_text(value, MAX_TEXT_CHARS, keep_newlines=True)


def _first_int(text: str) -> int | None:
    match = re.match(r"\s*(\d{1,4})", text or "")
    return int(match.group(1)) if match else None


def _picture_bytes(key: str, value: Any) -> bytes | None:
    if hasattr(value, "data") and isinstance(value.data, bytes):  # ID3 APIC, FLAC Picture
        return value.data
    if isinstance(value, list) and value:
        return _picture_bytes(key, value[0])
    if isinstance(value, bytes) and len(value) > 100:  # MP4 covr (MP4Cover is bytes)
        return bytes(value)
    if key == "metadata_block_picture" and isinstance(value, str):
        try:
            from mutagen.flac import Picture

            return Picture(base64.b64decode(value)).data
        except Exception:  # noqa: BLE001 - a malformed picture is simply ignored
            return None
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), bytes):  # ASF / APE binary
        return value.value
    return None


# The mutagen class for an extension: opening it directly skips probing every format's header
# (a third of mutagen's time on small files). A file whose extension lies falls back to probing.
_DIRECT = {
    "flac": ("mutagen.flac", "FLAC"), "ogg": ("mutagen.oggvorbis", "OggVorbis"),
    "oga": ("mutagen.oggvorbis", "OggVorbis"), "opus": ("mutagen.oggopus", "OggOpus"),
    "mp3": ("mutagen.mp3", "MP3"), "m4a": ("mutagen.mp4", "MP4"), "m4b": ("mutagen.mp4", "MP4"),
    "mp4": ("mutagen.mp4", "MP4"), "m4v": ("mutagen.mp4", "MP4"), "wav": ("mutagen.wave", "WAVE"),
    "aiff": ("mutagen.aiff", "AIFF"), "aif": ("mutagen.aiff", "AIFF"), "wma": ("mutagen.asf", "ASF"),
    "wmv": ("mutagen.asf", "ASF"), "ape": ("mutagen.monkeysaudio", "MonkeysAudio"),
    "wv": ("mutagen.wavpack", "WavPack"), "mpc": ("mutagen.musepack", "Musepack"),
    "dsf": ("mutagen.dsf", "DSF"), "tta": ("mutagen.trueaudio", "TrueAudio"),
}


def _open(path: str) -> Any:
    """The mutagen object of a file: the class its extension names first, else mutagen's own probing."""
    import importlib

    import mutagen

    spec = _DIRECT.get(os.path.splitext(path)[1][1:].lower())
    if spec is not None:
        try:
            return getattr(importlib.import_module(spec[0]), spec[1])(path)
        except Exception:  # noqa: BLE001 - wrong extension or damaged: let mutagen probe
            pass
    return mutagen.File(path)


def read_tags(path: str) -> dict[str, Any]:
    """Tags and stream facts of one file. Raises on files mutagen cannot parse at all.

    Returns {"tags": {canonical: text}, "extra": {raw_key: text}, "facts": {...}, "picture": bytes|None,
    "mime": str}.
    """
    return read_tags_counted(path)[0]


def read_tags_counted(path: str) -> tuple[dict[str, Any], int]:
    """read_tags(path), and how many tags it left out (past MAX_TAGS_READ, or non-standard past MAX_EXTRA_TAGS)."""
    audio = _open(path)
    if audio is None:
        raise ValueError("not a recognised audio/video container")
    tags: dict[str, str] = {}
    extra: dict[str, str] = {}
    picture: bytes | None = None
    pictures = getattr(audio, "pictures", None)  # FLAC stores cover art outside the tags
    if pictures:
        picture = pictures[0].data
    items = []
    if audio.tags is not None:
        try:
            items = list(audio.tags.items())
        except Exception:  # noqa: BLE001 - some tag containers are not mappings
            items = []
    dropped = max(0, len(items) - MAX_TAGS_READ)  # tags past the limits are not stored: counted, and reported
    for key, value in items[:MAX_TAGS_READ]:
        raw = _raw_key(key)
        if raw.startswith(_PICTURE_KEYS):
            if picture is None:
                picture = _picture_bytes(raw, value)
            continue
        text = _as_text(value)
        if not text:
            continue
        canon = _LOOKUP.get(raw)
        if canon and canon not in tags:
            tags[canon] = text
        elif not canon:
            if len(extra) < MAX_EXTRA_TAGS:
                extra[clean_text(key, 200)] = text[:5000]
            else:
                dropped += 1
    info = getattr(audio, "info", None)
    facts = {
        "duration": _float(getattr(info, "length", None)),
        "bitrate": _int(getattr(info, "bitrate", None)),
        "sample_rate": _int(getattr(info, "sample_rate", None)),
        "channels": _int(getattr(info, "channels", None)),
        "codec": clean_text(getattr(info, "codec", "") or "", 50) or None,
    }
    mime = (audio.mime or [""])[0] if getattr(audio, "mime", None) else ""
    return {"tags": tags, "extra": extra, "facts": facts, "picture": picture, "mime": mime}, dropped


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and 0 <= f < 1e7 else None


def _int(v: Any) -> int | None:
    f = _float(v)
    return int(f) if f is not None and f < 2**62 else None


def canonical_fields(tags: dict[str, str], path: str) -> dict[str, Any]:
    """Item columns from canonical tags, with the file name as fallback ("Artist - Title.ext")."""
    stem = os.path.splitext(os.path.basename(path))[0]
    stem = clean_text(stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), 500)
    title = tags.get("title", "")
    artist = tags.get("artist", "")
    if not title:
        parts = re.split(r"\s+-\s+", stem, maxsplit=1)
        if len(parts) == 2 and parts[0] and parts[1]:
            guess_artist, title = parts
            guess_artist = re.sub(r"^\d{1,3}[.\s-]+", "", guess_artist).strip() or guess_artist
            artist = artist or guess_artist
        else:
            title = re.sub(r"^\d{1,3}[.\s_-]+", "", stem).strip() or stem
    year_match = _YEAR.search(tags.get("date", ""))
    bpm = _float((tags.get("bpm") or "").split(";")[0].strip() or None)
    return {
        "title": title[:500],
        "artist": artist[:500],
        "album": tags.get("album", "")[:500],
        "album_artist": tags.get("album_artist", "")[:500],
        "genre": tags.get("genre", "")[:500],
        "year": int(year_match.group(1)) if year_match else None,
        "track_no": _first_int(tags.get("track", "")),
        "disc_no": _first_int(tags.get("disc", "")),
        "composer": tags.get("composer", "")[:500],
        "bpm": bpm if bpm and 20 <= bpm <= 400 else None,
    }
