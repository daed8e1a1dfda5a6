"""Reading feature chips, keyframes and posters out of `Library.show()` (tolerant of how stages nest them)."""

from __future__ import annotations

from typing import Any


def _find(info: Any, names: tuple[str, ...], depth: int = 0) -> Any:
    """The first value under any of `names`, searching nested dicts breadth-first (3 levels)."""
    if not isinstance(info, dict) or depth > 3:
        return None
    for name in names:
        value = info.get(name)
        if value not in (None, "", [], {}):
            return value
    for value in info.values():
        if isinstance(value, dict):
            found = _find(value, names, depth + 1)
            if found not in (None, "", [], {}):
                return found
    return None


def _section(info: dict[str, Any], name: str) -> dict[str, Any]:
    value = info.get(name)
    return value if isinstance(value, dict) else {}


def feature_chips(info: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, tooltip) chips: BPM, key, loudness/energy, then descriptor phrases."""
    chips: list[tuple[str, str]] = []
    audio = _section(info, "audio") or _section(info, "audio_features")
    tags = info.get("tags") or {}
    bpm = _find(audio, ("tempo_bpm", "bpm", "tempo")) or tags.get("bpm")
    try:
        if bpm and 0 < float(bpm) < 1000:
            chips.append((f"{float(bpm):.0f} BPM", "Tempo in beats per minute"))
    except (TypeError, ValueError):
        pass
    key = _find(audio, ("key_name", "key")) or tags.get("key") or tags.get("initialkey")
    if key and isinstance(key, str):
        mode = _find(audio, ("mode",))
        chips.append((f"{key} {mode}" if isinstance(mode, str) and mode not in key else key, "Musical key"))
    energy = _find(audio, ("energy",))
    if isinstance(energy, int | float):
        word = "high" if energy > 0.66 else "medium" if energy > 0.33 else "low"
        chips.append((f"energy {word}", f"Energy {energy:.2f}"))
    else:
        lufs = _find(audio, ("loudness_lufs",))
        if isinstance(lufs, int | float):
            chips.append((f"{lufs:.0f} LUFS", "Loudness (integrated, EBU R128)"))
    video = _section(info, "video") or _section(info, "video_features")
    cuts = _find(video, ("cuts_per_minute", "cut_rate"))
    if isinstance(cuts, int | float):
        chips.append((f"{cuts:.0f} cuts/min", "How often the picture changes"))
    shown = {text.casefold() for text, _tip in chips}
    for phrase in descriptor_phrases(info)[:10]:
        if phrase.casefold() not in shown:  # "A minor" as the key chip and as a phrase: once
            shown.add(phrase.casefold())
            chips.append((phrase, "How Encore describes it"))
    return chips


def descriptor_phrases(info: dict[str, Any]) -> list[str]:
    found = _find(info, ("phrases", "descriptors", "descriptor_phrases"))
    if isinstance(found, dict):
        found = found.get("phrases") or found.get("description")
    if isinstance(found, str):
        found = [p.strip() for p in found.split(",")]
    if isinstance(found, list):
        return [str(p) for p in found if isinstance(p, str | int | float) and str(p).strip()]
    return []


def keyframe_paths(info: dict[str, Any]) -> list[tuple[float, str]]:
    """[(seconds, jpeg path)] of the video's keyframes."""
    frames = _find(_section(info, "video") or info, ("keyframes",))
    if isinstance(frames, str):
        import json

        try:
            frames = json.loads(frames)
        except ValueError:
            return []
    out = []
    for f in frames or []:
        if isinstance(f, dict) and f.get("path"):
            out.append((float(f.get("t") or f.get("time") or 0.0), str(f["path"])))
        elif isinstance(f, str):
            out.append((0.0, f))
    return out


def poster_path(info: dict[str, Any]) -> str | None:
    video = _section(info, "video")
    value = video.get("poster") or video.get("poster_path") or info.get("poster_path")
    return str(value) if value else None


# ----- tags as a person reads them -------------------------------------------------------------------
# Tags shown elsewhere in the pane (title line, subtitle, facts, lyrics section).
SHOWN_ELSEWHERE = {"title", "artist", "album", "lyrics", "genre", "date", "year", "©nam", "©art", "©alb", "©gen",
                   "©day", "©lyr", "unsyncedlyrics", "totaltracks", "tracktotal", "totaldiscs", "disctotal"}
TAG_LABELS = {
    "album_artist": "Album artist", "albumartist": "Album artist", "album artist": "Album artist",
    "aart": "Album artist", "tpe2": "Album artist", "composer": "Composer", "©wrt": "Composer",
    "tcom": "Composer", "conductor": "Conductor", "lyricist": "Lyricist", "performer": "Performer",
    "arranger": "Arranger", "remixer": "Remixed by", "track": "Track", "tracknumber": "Track",
    "trkn": "Track", "disc": "Disc", "discnumber": "Disc", "disk": "Disc", "comment": "Comment",
    "©cmt": "Comment", "description": "Description", "©des": "Description", "desc": "Description",
    "ldes": "Description", "synopsis": "Description", "plot": "Plot", "outline": "Outline",
    "copyright": "Copyright", "cprt": "Copyright", "©cpy": "Copyright", "license": "Licence",
    "licence": "Licence", "website": "Website", "url": "Website", "©pub": "Publisher",
    "publisher": "Publisher", "label": "Label", "organization": "Label", "labelid": "Catalogue number",
    "catalognumber": "Catalogue number", "bpm": "Tempo (BPM)", "tmpo": "Tempo (BPM)", "key": "Key",
    "initialkey": "Key", "mood": "Mood", "grouping": "Grouping", "tit1": "Grouping", "©grp": "Grouping",
    "language": "Language", "originaldate": "First released", "originalyear": "First released",
    "subtitle": "Subtitle", "version": "Version", "show": "Show", "tvsh": "Show", "episode": "Episode",
    "season": "Season", "director": "Director", "studio": "Studio", "actor": "Actors", "tagline": "Tagline",
    "mpaa": "Rated", "country": "Country", "compilation": "Compilation", "work": "Work",
    "movement": "Movement", "©wrk": "Work", "©mvn": "Movement",
}
TECHNICAL_TAGS = {
    "©too", "encoder", "encodedby", "encoded_by", "encoded-by", "encoding", "encoder_settings", "ripper",
    "tenc", "tsse", "tlen", "tdtg", "tden", "tflt", "tmed", "cpil", "pgap", "isvbr", "discid", "cddb",
    "transcoded", "isrc", "stik", "purl", "egid", "hdvd", "akid", "apid", "cnid", "geid", "plid", "atid",
    "sfid", "cmid", "ownr", "media", "script", "barcode", "asin", "releasestatus", "releasetype",
    "releasecountry", "gapless", "itunes_cddb_1", "deviceconformancetemplate", "asfleakybucketpairs",
    "major_brand", "minor_version", "compatible_brands", "creation_time", "handler_name", "vendor_id",
    "totaltime", "length", "duration", "mcdi", "ufid", "rating", "playcount", "soar", "soal", "sonm", "soaa",
    "soco", "sosn",
}
_TECHNICAL_PREFIXES = ("musicbrainz", "replaygain", "itun", "acoustid", "discogs", "wm/", "wmfsdk", "priv:",
                       "txxx:", "----:", "popm", "geob", "apic", "uslt:", "comm:", "tso", "r128_", "encod")


def is_technical(key: str) -> bool:
    """Whether a tag is bookkeeping of the tools that made the file (encoder, ids, gains, sort keys)."""
    k = key.strip().casefold()
    if k in TAG_LABELS or k in SHOWN_ELSEWHERE:
        return False
    if k in TECHNICAL_TAGS or k.startswith(_TECHNICAL_PREFIXES) or "sort" in k:
        return True
    if ":" in k or "/" in k or k.startswith("©"):
        return True
    return len(key) == 4 and key.isupper() and key.isalnum()  # ID3 frame ids (TENC, TLEN, TIT3…)


def tag_label(key: str) -> str:
    """The human label of a tag ("album_artist" -> "Album artist", "©des" -> "Description")."""
    k = key.strip().casefold()
    if k in TAG_LABELS:
        return TAG_LABELS[k]
    words = " ".join(key.replace("_", " ").split())
    return words[:1].upper() + words[1:]


def tag_sections(tags: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(human rows, technical rows) of (label, value): human tags under their labels ("Track 5 of 11"),
    technical ones (encoder, ids, gains, sort keys) folded apart under their raw names."""
    lowered = {str(k).casefold(): v for k, v in tags.items()}
    human: dict[str, str] = {}
    technical: list[tuple[str, str]] = []
    for key, value in tags.items():
        text = " ".join(str(value).split())[:300]
        k = str(key).casefold()
        if not text or k in SHOWN_ELSEWHERE:
            continue
        if is_technical(str(key)):
            technical.append((str(key), text))
            continue
        label = tag_label(str(key))
        if label == "Track" and lowered.get("totaltracks", lowered.get("tracktotal")) and "/" not in text:
            text += f" of {lowered.get('totaltracks', lowered.get('tracktotal'))}"
        if label == "Disc" and lowered.get("totaldiscs", lowered.get("disctotal")) and "/" not in text:
            text += f" of {lowered.get('totaldiscs', lowered.get('disctotal'))}"
        if label in human and text not in human[label]:  # "comment" and "©cmt": one row
            human[label] += f"; {text}"
        else:
            human.setdefault(label, text)
    order = list(dict.fromkeys(TAG_LABELS.values()))
    rows = sorted(human.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]))
    return rows, sorted(technical, key=lambda kv: kv[0].casefold())
