"""Which file extensions are audio and which are video."""

from __future__ import annotations

import os

AUDIO_EXTS = frozenset(
    "mp3 flac ogg oga opus m4a m4b aac wma wav aiff aif ape wv mpc dsf tta".split()
)
VIDEO_EXTS = frozenset("mp4 m4v mkv webm avi mov wmv mpg mpeg ogv".split())
SIDECAR_EXTS = frozenset("lrc srt nfo".split())
COVER_NAMES = ("cover", "folder", "front", "album", "poster")
COVER_EXTS = (".jpg", ".jpeg", ".png", ".webp")


def extension(name: str) -> str:
    """Lower-case extension without the dot ("" when none)."""
    return os.path.splitext(name)[1][1:].lower()


def kind_of(name: str) -> str | None:
    """'audio', 'video' or None for a file name. mp4 counts as video (audio-only mp4 is re-kinded later)."""
    start = name.rfind(os.sep) + 1
    dot = name.rfind(".")
    if dot <= start or not name[start:dot].strip("."):
        return None  # no extension: ".mp3" or "..mp3" is a name, as in os.path.splitext
    ext = name[dot + 1:].lower()
    if ext in AUDIO_EXTS:
        return "audio"
    if ext in VIDEO_EXTS:
        return "video"
    return None
