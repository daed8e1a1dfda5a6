"""Stored failures in plain words: what happened, what to do, and which of them are no failure at all.

The one place that reads the error texts the stages store (`failures.error`); the Failures page and
`encore failures` both show what it says (through Library.failure_groups / Library.failure_words).
A failure whose analysis simply does not apply (a clip shorter than one analysis frame, a file with no
sound track or no samples), or a file not read on purpose (a link out of the library folders, a named
pipe), is "quiet": the file plays or was skipped by design, so it is not counted or shown as a problem.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FailureWords:
    """One cause in the user's words."""

    cause: str  # a stable key: damaged, empty, unsupported, timeout, crashed, memory, gone, denied, too_short, ...
    title: str  # the group heading: "Damaged or cut-off files"
    what: str  # what happened, one sentence
    todo: str  # what to do about it, one sentence ("" for quiet groups)
    quiet: bool = False  # not a failure: the analysis does not apply (the file plays)


CAUSES: dict[str, FailureWords] = {f.cause: f for f in (
    FailureWords("too_short", "Not analysed: too short",
                 "These clips play, but they are too short for Encore to hear a tempo, a key or a mood.",
                 "", quiet=True),
    FailureWords("no_sound", "Not analysed: no sound",
                 "These files hold no sound to listen to (no audio track, or an empty one).", "", quiet=True),
    FailureWords("empty", "Empty files",
                 "The file is empty (0 bytes): there is nothing in it to play.",
                 "Copy it again from where it came from, or delete it."),
    FailureWords("damaged", "Damaged or cut-off files",
                 "The file is damaged or cut off: its data stops or makes no sense part of the way in.",
                 "Try it in another player; if it fails there too, copy it again from its source or delete it."),
    FailureWords("unsupported", "Files Encore cannot read",
                 "Encore does not understand how this file is stored (an unusual or unsupported format).",
                 "Convert it to a common format (FLAC, MP3, Ogg, MP4), or leave it: Encore skips it."),
    FailureWords("timeout", "Files that took too long",
                 "Reading the file took so long that Encore stopped, so it could not freeze your library.",
                 "Press “Scan again”; if it keeps happening, the file is probably damaged."),
    FailureWords("crashed", "Files that crashed the decoder",
                 "The decoder crashed on this file (Encore itself kept running).",
                 "The file is probably damaged: try it in another player, or copy it again."),
    FailureWords("memory", "Files too big to analyse",
                 "Reading the file needed more memory than Encore allows for one file.",
                 "Leave it: it still plays. Very long or very large files are skipped on purpose."),
    FailureWords("gone", "Files that disappeared",
                 "The file was moved or deleted while Encore was reading it.",
                 "Press “Scan again” once the file (or its drive) is back."),
    FailureWords("denied", "Files Encore may not open",
                 "Encore is not allowed to read the file.",
                 "Check the file's permissions (it must be readable by you), then press “Scan again”."),
    FailureWords("outside", "Not read on purpose: links outside your folders",
                 "The file is a link to a place outside your library folders, and Encore does not follow "
                 "links out of them.", "Add the folder it links to (Settings) if you want it read.", quiet=True),
    FailureWords("not_regular", "Not read on purpose: not a file",
                 "This is not a regular file (a named pipe, a device or a folder), so Encore did not open it.",
                 "Nothing to do: Encore skips it.", quiet=True),
    FailureWords("too_large", "Not read on purpose: too large",
                 "The file is larger than Encore reads for this kind of file (lyrics, subtitles, covers).",
                 "Nothing to do: the media file itself is read as usual.", quiet=True),
    FailureWords("other", "Other problems",
                 "Something unexpected went wrong while reading the file.",
                 "Press “Scan again”; if it keeps failing, the details below say what the decoder reported."),
)}

STEP_WORDS = {"scan": "reading", "analyze": "analysis", "embed": "indexing", "skipped": "reading"}

# (cause, pattern) checked in order on the stored text: the first match wins.
_RULES: list[tuple[str, re.Pattern[str]]] = [(cause, re.compile(pattern, re.I)) for cause, pattern in (
    ("outside", r"outside your library folders"),
    ("too_large", r"not read: it is larger than"),
    ("not_regular", r"not read: it is|is a FIFO|named pipe"),
    ("too_short", r"shorter than one analysis frame|too short to analy|only 0\.0 s of 0\.0 s"),
    ("no_sound", r"no audio stream|no audio samples|has no sample rate|no sound"),
    ("empty", r"file is empty|\(0 bytes\)"),
    ("timeout", r"timed out"),
    ("crashed", r"decoder crashed|crashed \("),
    ("memory", r"out of memory|MemoryError"),
    ("gone", r"file is gone|FileNotFoundError|No such file"),
    ("denied", r"PermissionError|Permission denied|not allowed to read"),
    ("unsupported", r"not supported|unsupported|no decodable video stream|OpenCV cannot open|"
                    r"cannot open this video|not a recogni[sz]ed|unknown format"),
    ("damaged", r"damaged|cut off|Invalid data|can't sync|cannot sync|file said \d+ bytes|End of file|"
                r"EOFError|decoder|psf_fseek|truncat|corrupt|no decodable|cannot read this|no frames|"
                r"not a valid|HeaderNotFound|bad header|error opening"),
    ("not_regular", r"is not a regular file|is a pipe|is a device"),
)]
_MARK = re.compile(r"^\s*\[[^\]]*\]\s*")  # "[analyser a1/v1] " (the analyser version the failure is for)
_CLASS = re.compile(r"\b[A-Z][A-Za-z0-9]*(Error|Exception|Failure|Audio)\b:\s*")  # "NoAudio: ", "ValueError: "
_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")


def describe(stage: str, error: str | None) -> FailureWords:
    """The cause of one stored failure, in words."""
    text = error or ""
    for cause, pattern in _RULES:
        if pattern.search(text):
            return CAUSES[cause]
    return CAUSES["other"]


def detail(error: str | None, path: str = "") -> str:
    """What the decoder said, without version marks, class names, errno numbers or the file's own path."""
    text = _MARK.sub("", error or "")
    text = _ERRNO.sub("", _CLASS.sub("", text))
    if path:
        text = text.replace(f"'{path}' ", "").replace(f"'{path}'", "the file").replace(path, "the file")
    text = re.sub(r"\s+", " ", text).strip()
    return text[:1].upper() + text[1:]


def grouped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failure rows (path, stage, error, attempts, item_id, last_at) grouped by cause: the real failures
    first (largest group first), then the quiet ones. Each group: cause, title, what, todo, quiet, files."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        words = describe(row["stage"], row["error"])
        group = groups.setdefault(words.cause, {"cause": words.cause, "title": words.title, "what": words.what,
                                                "todo": words.todo, "quiet": words.quiet, "files": []})
        path = str(row["path"])
        group["files"].append({"path": path, "name": os.path.basename(path) or path,
                               "folder": os.path.dirname(path), "stage": row["stage"],
                               "step": STEP_WORDS.get(row["stage"], row["stage"]),
                               "detail": detail(row["error"], path), "attempts": row.get("attempts") or 1,
                               "item_id": row.get("item_id"), "last_at": row.get("last_at")})
    return sorted(groups.values(), key=lambda g: (g["quiet"], -len(g["files"]), g["title"]))

