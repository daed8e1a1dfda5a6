"""Readers for sidecar files next to media: .lrc lyrics, .srt subtitles, Kodi .nfo, cover images."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET

from core.scan.formats import COVER_EXTS, COVER_NAMES
from core.scan.guard import read_regular
from core.text import MAX_TEXT_CHARS, clean_text, decode_bytes

MAX_SIDECAR_BYTES = 2 * 1024 * 1024

_LRC_TIME = re.compile(r"\[[0-9:.]+\]")
_LRC_META = re.compile(r"^\[(ti|ar|al|by|offset|re|ve|length|au):.*\]$", re.I)
_SRT_TIME = re.compile(r"^\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_HTML_TAG = re.compile(r"<[^>]{0,200}>|\{\\[^}]{0,200}\}")


def read_text_file(path: str, limit: int = MAX_SIDECAR_BYTES) -> str:
    """Read at most `limit` bytes of a text file of unknown encoding (a FIFO or device is Refused, never waited on)."""
    return decode_bytes(read_regular(path, limit))


def parse_lrc(text: str) -> str:
    """Lyrics text from LRC: time stamps and metadata lines removed."""
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if not line or _LRC_META.match(line):
            continue
        line = _LRC_TIME.sub("", line).strip()
        if line:
            lines.append(line)
    return clean_text("\n".join(lines), MAX_TEXT_CHARS, keep_newlines=True)


def parse_srt(text: str) -> str:
    """Dialogue text from SRT: cue numbers, timings and formatting tags removed, repeats dropped."""
    lines: list[str] = []
    previous = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.isdigit() or _SRT_TIME.match(line):
            continue
        line = _HTML_TAG.sub("", line).strip()
        if line and line != previous:
            lines.append(line)
            previous = line
    return clean_text("\n".join(lines), MAX_TEXT_CHARS, keep_newlines=True)


def parse_nfo(text: str) -> dict[str, str]:
    """Title, plot, genre, year, director, tagline from a Kodi .nfo (XML; a bare URL file gives {})."""
    start = text.find("<")
    if start < 0:
        return {}
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return {}  # never expand entities from a user file
    try:
        root = ET.fromstring(text[start:])
    except ET.ParseError:
        return {}
    out: dict[str, str] = {}
    for key in ("title", "originaltitle", "plot", "outline", "tagline", "year", "premiered", "director",
                "studio", "artist", "album"):
        node = root.find(key)
        if node is not None and node.text:
            out[key] = clean_text(node.text, 5000)
    genres = [clean_text(g.text, 100) for g in root.findall("genre") if g.text]
    if genres:
        out["genre"] = "; ".join(g for g in genres if g)
    tags = [clean_text(g.text, 100) for g in root.findall("tag") if g.text]
    if tags:
        out["tags"] = "; ".join(t for t in tags if t)
    return out


def folder_index(listing: list[str]) -> dict[str, str]:
    """Lower-cased name -> real name of a folder's entries (build once per folder, reuse per file)."""
    return {entry.lower(): entry for entry in listing}


def find_sidecars(media_path: str, listing: list[str] | dict[str, str] | None = None) -> dict[str, str]:
    """Paths of sidecars for a media file: {'lrc': .., 'srt': .., 'nfo': .., 'cover': ..}.

    `listing` is the folder's names, or its `folder_index()` (cheaper when many files share a folder).
    """
    folder, name = os.path.split(media_path)
    stem = os.path.splitext(name)[0]
    if listing is None:
        try:
            listing = os.listdir(folder)
        except OSError:
            return {}
    lower = listing if isinstance(listing, dict) else folder_index(listing)
    found: dict[str, str] = {}
    stem_l = stem.lower()
    for kind in ("lrc", "srt", "nfo"):
        exact = f"{stem_l}.{kind}"
        if exact in lower:
            found[kind] = os.path.join(folder, lower[exact])
            continue
        if kind == "srt":  # name.en.srt, name.eng.forced.srt
            for entry_l, entry in sorted(lower.items()):
                if entry_l.startswith(stem_l + ".") and entry_l.endswith(".srt"):
                    found[kind] = os.path.join(folder, entry)
                    break
        if kind == "nfo" and "movie.nfo" in lower:
            found[kind] = os.path.join(folder, lower["movie.nfo"])
    for base in (stem_l, *COVER_NAMES):
        for ext in COVER_EXTS:
            if base + ext in lower:
                found["cover"] = os.path.join(folder, lower[base + ext])
                break
        if "cover" in found:
            break
    return found
