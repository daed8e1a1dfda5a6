"""Clean, bounded Unicode for anything that came from a user file (tags, sidecars, file names)."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls (keeping tab/newline), zero-width and bidi controls, BOM, and the Unicode
# "tag" block (U+E0000-E007F) that can hide instructions inside innocent-looking text.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000e0000-\U000e007f]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_SURROGATES = re.compile("[\ud800-\udfff]")
_TAG_SEPARATORS = re.compile(r"\s*[,;/|]\s*")

MAX_TAG_CHARS = 2000
MAX_TEXT_CHARS = 200_000


def clean_text(value: object, max_chars: int = MAX_TAG_CHARS, keep_newlines: bool = False) -> str:
    """Return `value` as NFC text without control/invisible characters, trimmed to max_chars."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        text = decode_bytes(value)
    else:
        text = str(value)
    if len(text) > max_chars * 4:
        text = text[: max_chars * 4]
    text = _SURROGATES.sub("\ufffd", text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    if keep_newlines:
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
    else:
        text = _SPACES.sub(" ", text.replace("\r", " ").replace("\n", " ")).strip()
    return text[:max_chars]


def decode_bytes(data: bytes) -> str:
    """Decode bytes of unknown encoding: UTF-8 (with or without BOM/UTF-16 BOM), else Latin-1."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1", errors="replace")


def display_path(path: str) -> str:
    """A file path made printable (non-UTF-8 bytes from surrogateescape shown as U+FFFD)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def normalize_key(text: str) -> str:
    """Loose matching key for artist/title comparisons: casefolded, accents and punctuation removed."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def split_terms(value: str | None) -> list[str]:
    """The one splitter of multi-valued tag text (genres, styles, moods): "Rock; Pop / Indie" ->
    ["rock", "pop", "indie"]; lower-cased, pieces of 2-60 characters, in order."""
    return [t.strip().lower() for t in _TAG_SEPARATORS.split(value or "") if 1 < len(t.strip()) <= 60]
