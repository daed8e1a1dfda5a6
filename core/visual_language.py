"""What a video frame's stored analysis can say in plain words: the colour names, the people phrases, and the
phrases of one keyframe (what a search hit's moment is found by).

Pure (no numpy, no database): the analysis names colours and people with these words (core.analysis.video,
core.analysis.faces, core.analysis.descriptors) and search reads them back from the stored keyframes
(core.search.moments), so both sides share one vocabulary without search importing the analysis.
"""

from __future__ import annotations

from typing import Any

# The colour classes of core.analysis.video (black: pixels darker than 16 %, grey / white: unsaturated).
COLOUR_NAMES = ("black", "white", "grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink",
                "brown")
CROWD, CLOSE_UP, PEOPLE, NOBODY = "a crowd", "close-up of a face", "people", "nobody on screen"
PEOPLE_PHRASES = (CROWD, CLOSE_UP, PEOPLE)  # what faces say of a frame (core.analysis.faces); else NOBODY

# One keyframe: the people phrases of its faces, how many faces, its largest colour share and its on-screen
# text ("text": a list of lines) when there is any.
KEYFRAME_FACES = {1: "one face", 2: "two faces", 3: "three faces", 4: "four faces"}  # 5+: "a crowd"
KEYFRAME_TONES = {"black": "dark tones", "white": "white tones", "grey": "grey tones"}  # others: "<colour> tones"
KEYFRAME_PEOPLE = (*PEOPLE_PHRASES, NOBODY)
TEXT_PHRASE = "text “{}”"
# Every phrase keyframe_phrases can say but text: what a query is compared with to find what it means.
KEYFRAME_VOCABULARY = (*KEYFRAME_PEOPLE, *KEYFRAME_FACES.values(),
                       *(KEYFRAME_TONES.get(c, f"{c} tones") for c in COLOUR_NAMES))


def keyframe_text(kf: dict[str, Any]) -> list[str]:
    """The on-screen text lines stored with a keyframe (strings, or {"text": ...} entries), stripped."""
    lines = kf.get("text") if isinstance(kf, dict) else None
    if not isinstance(lines, list):
        return []
    out = []
    for line in lines:
        text = line.get("text") if isinstance(line, dict) else line
        if isinstance(text, str) and text.strip():
            out.append(" ".join(text.split()))
    return list(dict.fromkeys(out))


def keyframe_phrases(kf: dict[str, Any]) -> list[str]:
    """Plain phrases true of one stored keyframe: its people phrases ("close-up of a face", "a crowd",
    "people", "nobody on screen"), its face count ("one face"), its largest colour share ("blue tones",
    "dark tones") and its on-screen text ('text “OPEN”'). Nothing for what was not stored."""
    if not isinstance(kf, dict):
        return []
    out: list[str] = [p for p in kf.get("phrases") or [] if isinstance(p, str) and p]
    if CROWD in out:
        out.append(PEOPLE)  # faces.py says only "a crowd" of five faces or more: they are people too
    faces = kf.get("faces")
    if isinstance(faces, int) and not isinstance(faces, bool) and faces in KEYFRAME_FACES:
        out.append(KEYFRAME_FACES[faces])
    colour = kf.get("colour")
    if isinstance(colour, str) and colour.isalpha():
        out.append(KEYFRAME_TONES.get(colour, f"{colour} tones"))
    out += [TEXT_PHRASE.format(line) for line in keyframe_text(kf)]
    return list(dict.fromkeys(out))
