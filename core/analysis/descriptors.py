"""Features -> short plain-language phrases ("slow 68 BPM", "minor key", "dark, high-contrast").

Pure functions over the stored feature JSON and the item's class, so a new DESCRIPTOR_VERSION
re-describes the whole library from the database without decoding anything. Thresholds are in one
table each and were calibrated on generated signals (tests/analysis) and the real corpus
(docs/BENCHMARKS.md).

Sanity rules: tempo and key phrases only for music of at least SHORT_CLIP_S (a 2-second roar has no
tempo worth saying, speech no key), and no two phrases of a pair in CONTRADICTIONS together (a test
runs the describer over thousands of generated feature sets and checks every pair).

With the pretrained tagger's stored probabilities (`describe_with_confidence`), the tags that stand out
become phrases ("jazz", "piano", "female vocals", "80s": core.tag_language) and the mood phrases
("calm", "energetic", "sad", ...) come from the tags fused with the measured features; speech and sound
effects get none of them, and a video's soundtrack is described the same way ("speech" when it is talk).
"""

from __future__ import annotations

import re
from typing import Any

from core import tag_language as tp
from core.analysis.item_class import SHORT_CLIP_S, is_speech
from core.db.features import MUSIC, SOUND_EFFECT, SPEECH
from core.db.features import VIDEO as VIDEO_CLASS
from core.visual_language import NOBODY, PEOPLE_PHRASES

# Audio thresholds. Loudness is integrated LUFS (approximate BS.1770); beat strength is the
# autocorrelation peak of the onset envelope above its median (0..1); centroid in Hz.
AUDIO = {
    "steady_beat": 0.05,  # beat strength from which a BPM is worth saying
    "no_beat": 0.02,  # below this (with onsets present) the rhythm is free
    "slow_bpm": 80, "moderate_bpm": 110, "fast_bpm": 140,
    "loud_lufs": -12.0, "quiet_lufs": -24.0, "very_quiet_lufs": -30.0,
    "energetic_onsets": 2.0, "energetic_beat": 0.25, "energetic_lufs": -20.0,
    "calm_onsets": 0.5,
    "sparse_onsets": 1.0,
    "busy_onsets": 4.0,
    "bright_hz": 2500.0, "dark_hz": 1000.0,
    "noisy_flatness": 0.25,
    "acoustic_flatness": 0.012, "acoustic_range_lu": 5.0, "acoustic_zcr": 0.12,
    "machine_beat": 0.3,  # a beat this regular (a click track: 0.93; the soundtrack's drums: 0.23 at most)
    # reads as programmed: not "acoustic-sounding"
    "wide_range_lu": 15.0, "compressed_range_lu": 4.0,
    "key_strength": 0.6, "key_confidence": 0.25,
    "speech": 0.7,  # a heuristic hint (pauses + syllable-rate modulation, no pulse): say it only when strong
}

# Video thresholds: brightness/contrast are mean luma and its deviation (0..1); colourfulness is
# Hasler-Suesstrunk (0 grey .. ~110 vivid); motion is mean absolute change of small grey frames
# 0.25 s apart; cut rate is per minute.
VIDEO = {
    "dark": 0.25, "bright": 0.6,
    "high_contrast": 0.24, "low_contrast": 0.08,
    "greyscale_saturation": 0.06, "muted": 18.0, "vivid": 60.0,
    "colour_share": 0.15, "second_colour_share": 0.12,
    "fast_cuts": 20.0, "long_takes": 3.0, "long_takes_min_s": 30.0,
    "busy_motion": 0.06, "still_motion": 0.008,
    "black_share": 0.3,
}
CHROMATIC = ("red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown")
# Keyframe people phrases (core.analysis.faces), and the share of keyframes an item-level phrase needs.
PEOPLE_SHARE = 0.25

# Every phrase audio_phrases can say, but "silent" (and "bright": a look beside a video's silent soundtrack).
AUDIO_FAMILIES = (r"(slow|moderate|upbeat|fast) \d+ BPM|no steady beat|energetic|quiet( and sparse)?|loud|calm|"
                  r"busy, percussive|noisy|bright sound|dark, mellow|mellow sound|acoustic-sounding|wide dynamics|"
                  r"steady loudness|[A-G][#b]? (major|minor)|(major|minor) key|speech(-like)?|sound effect|short clip")
# Every phrase the tagger's probabilities can give (genres, instruments, voices, eras) and the fused moods.
TAG_FAMILIES = "|".join(re.escape(p) for p in sorted(tp.TAG_PHRASES)) + "|" + "|".join(tp.MOOD_PHRASES)
AUDIO_FAMILIES += "|" + TAG_FAMILIES
_ERAS = r"60s|70s|80s|90s|2000s"
_GENRE_TAGS = "|".join(re.escape(p) for p in sorted(tp.TAG_PHRASES))
# Phrase pairs that cannot describe one item (regular expressions over whole phrases), with why.
CONTRADICTIONS: list[tuple[str, str, str]] = [
    (r".* \d+ BPM", r"no steady beat", "a tempo needs a beat"),
    (r"(fast|upbeat) \d+ BPM", r"calm", "fast is not calm"),
    (r"slow \d+ BPM", r"(moderate|upbeat|fast) \d+ BPM", "one tempo"),
    (r"energetic", r"calm|quiet|quiet and sparse", "energy"),
    (r"busy, percussive", r"calm|quiet and sparse", "density"),
    (r"loud", r"quiet|quiet and sparse", "level"),
    (r"wide dynamics", r"steady loudness", "dynamics"),
    (r"acoustic-sounding", r"noisy|steady loudness", "acoustic vs noise or a flattened, produced sound"),
    (r"bright", r"dark, mellow", "timbre"),
    (r"bright sound", r"mellow sound", "timbre"),
    (r"major key", r"minor key", "mode"),
    (r"[A-G][#b]? major", r"minor key", "mode"),
    (r"[A-G][#b]? minor", r"major key", "mode"),
    (r"silent", AUDIO_FAMILIES, "silence says nothing else about the sound"),
    (r"speech|sound effect|short clip", r".* \d+ BPM|no steady beat|.*\bkey|[A-G][#b]? (major|minor)",
     "no tempo or key for speech and short clips"),
    (r"dark(, (high|low)-contrast)?", r"bright(, (high|low)-contrast)?", "light"),
    (r"black and white", r"muted colours|vivid colours|mostly .*", "colour"),
    (r"muted colours", r"vivid colours", "colourfulness"),
    (r"fast cuts", r"long takes", "editing"),
    (r"lots of movement", r"still images", "motion"),
    (NOBODY, "|".join(PEOPLE_PHRASES), "people"),
    # the tagger's phrases and the fused moods
    (r"happy", r"sad", "valence"),
    (r"calm|mellow", r"energetic|aggressive", "arousal"),
    (r"aggressive", r"quiet|quiet and sparse", "energy"),
    (r"instrumental", r"female vocals|male vocals|vocals|choir|opera", "voices"),
    (r"acoustic-sounding|acoustic", r"electronic|techno|electro|house|synth", "acoustic vs electronic"),
    (_ERAS, _ERAS, "one era"),
    (r"speech|sound effect", _GENRE_TAGS, "no genre, instrument or voice tags for speech or sound effects"),
]
_CONTRADICTIONS = [(re.compile(a), re.compile(b), why) for a, b, why in CONTRADICTIONS]


def contradictions(phrases: list[str]) -> list[tuple[str, str, str]]:
    """Every (phrase, phrase, why) of `phrases` that CONTRADICTIONS forbids together."""
    found = []
    for a, b, why in _CONTRADICTIONS:
        for p in phrases:
            if a.fullmatch(p):
                found += [(p, q, why) for q in phrases if q != p and b.fullmatch(q)]
    return found


def is_musical(f: dict[str, Any], item_class: str | None = None) -> bool:
    """Whether tempo and key phrases can be supported: music (or a video's soundtrack, or not classified
    yet) at least SHORT_CLIP_S long."""
    if item_class in (SPEECH, SOUND_EFFECT):
        return False
    duration = f.get("duration")
    return duration is None or duration >= SHORT_CLIP_S


def audio_phrases(f: dict[str, Any], item_class: str | None = None) -> list[str]:
    """Plain phrases for one set of audio features (empty for no features); `item_class` from item_class."""
    t = AUDIO
    if not f:
        return []
    if f.get("silent"):
        return ["silent"]
    out: list[str] = []
    musical = is_musical(f, item_class)
    bpm, beat = f.get("tempo_bpm"), f.get("beat_strength", 0.0)
    pace = ""
    if musical and bpm and beat >= t["steady_beat"]:
        pace = "slow" if bpm < t["slow_bpm"] else "moderate" if bpm < t["moderate_bpm"] else \
            "upbeat" if bpm < t["fast_bpm"] else "fast"
        out.append(f"{pace} {round(bpm)} BPM")
    elif musical and f.get("onset_rate", 0) > 0 and beat < t["no_beat"]:
        out.append("no steady beat")
    lufs = f.get("loudness_lufs")
    onsets = f.get("onset_rate", 0.0)
    energetic = lufs is not None and lufs > t["energetic_lufs"] and (
        onsets >= t["energetic_onsets"] or beat >= t["energetic_beat"])
    if energetic:
        out.append("energetic")
    if lufs is not None and lufs < t["very_quiet_lufs"] and onsets < t["sparse_onsets"]:
        out.append("quiet and sparse")
    elif lufs is not None and lufs < t["quiet_lufs"]:
        out.append("quiet")
    elif lufs is not None and lufs > t["loud_lufs"]:
        out.append("loud")
    quiet_sparse = "quiet and sparse" in out
    if not energetic and pace not in ("upbeat", "fast") and onsets < t["calm_onsets"] and (
            lufs is None or lufs < t["energetic_lufs"] + 4):
        out.append("calm")
    elif onsets >= t["busy_onsets"] and not quiet_sparse:
        out.append("busy, percussive")
    flat = f.get("spectral_flatness", 0.0)
    centroid = f.get("spectral_centroid_hz", 0.0)
    if flat >= t["noisy_flatness"]:
        out.append("noisy")
    if centroid >= t["bright_hz"]:
        out.append("bright")
    elif 0 < centroid < t["dark_hz"]:
        out.append("dark, mellow")
    if musical and flat < t["acoustic_flatness"] and f.get("dynamic_range_lu", 0) >= t["acoustic_range_lu"] \
            and f.get("zero_crossing_rate", 1) < t["acoustic_zcr"] and beat < t["machine_beat"]:
        out.append("acoustic-sounding")
    dr = f.get("dynamic_range_lu", 0.0)
    if dr >= t["wide_range_lu"]:
        out.append("wide dynamics")
    elif 0 < dr <= t["compressed_range_lu"] and lufs is not None and lufs > t["quiet_lufs"]:
        out.append("steady loudness")
    if musical and f.get("key") and f.get("mode") in ("major", "minor") and \
            f.get("key_strength", 0) >= t["key_strength"] and f.get("key_confidence", 0) >= t["key_confidence"]:
        out.append(f"{f['key']} {f['mode']}")
        out.append(f"{f['mode']} key")
    if item_class == SPEECH:
        out.append("speech")
    elif item_class == SOUND_EFFECT:
        out.append("sound effect")
    elif f.get("speech_hint", 0) >= t["speech"]:
        out.append("speech-like")
    if item_class != SPEECH and f.get("duration") is not None and f["duration"] < SHORT_CLIP_S:
        out.append("short clip")
    return out


def video_phrases(f: dict[str, Any]) -> list[str]:
    """Plain phrases for one set of visual features (empty for no features)."""
    t = VIDEO
    if not f:
        return []
    out: list[str] = []
    light = f["brightness"]
    tone = "dark" if light < t["dark"] else "bright" if light > t["bright"] else ""
    contrast = "high-contrast" if f["contrast"] >= t["high_contrast"] else \
        "low-contrast" if f["contrast"] < t["low_contrast"] else ""
    look = ", ".join(p for p in (tone, contrast) if p)
    if look:
        out.append(look)
    shares = f.get("colour_shares", {})
    if f["saturation"] < t["greyscale_saturation"]:
        out.append("black and white")
    else:
        if f["colourfulness"] < t["muted"]:
            out.append("muted colours")
        elif f["colourfulness"] > t["vivid"]:
            out.append("vivid colours")
        hues = sorted(((shares.get(c, 0.0), c) for c in CHROMATIC), reverse=True)
        if hues and hues[0][0] >= t["colour_share"]:
            if hues[1][0] >= t["second_colour_share"]:
                out.append(f"mostly {hues[0][1]} and {hues[1][1]}")
            else:
                out.append(f"mostly {hues[0][1]}")
    if f.get("black_share", 0) >= t["black_share"]:
        out.append("many black frames")
    if f["cut_rate_per_min"] >= t["fast_cuts"]:
        out.append("fast cuts")
    elif f["cut_rate_per_min"] <= t["long_takes"] and f.get("duration", 0) >= t["long_takes_min_s"]:
        out.append("long takes")
    if f["motion"] >= t["busy_motion"]:
        out.append("lots of movement")
    elif f["motion"] <= t["still_motion"]:
        out.append("still images")
    return out


def people_phrases(keyframes: list[dict[str, Any]]) -> list[str]:
    """Item-level people phrases from the keyframes' own: a phrase seen in at least PEOPLE_SHARE of them
    (one stray detection in twelve frames is not "people"), "nobody on screen" when no keyframe has a face."""
    framed = [k for k in keyframes if isinstance(k, dict) and isinstance(k.get("phrases"), list)]
    if not framed:
        return []
    counts = {p: sum(p in k["phrases"] for k in framed) for p in PEOPLE_PHRASES}
    if not any(counts.values()):
        return [NOBODY]
    return [p for p in PEOPLE_PHRASES if counts[p] and counts[p] >= PEOPLE_SHARE * len(framed)]


ON_SCREEN_TEXT = 'on-screen text: "{}"'  # quoted: the words are read from the file, data not language
TEXT_LINES, TEXT_LINE_CHARS = 3, 40  # item-level: the lines seen most often (then the longest), capped


def text_phrases(keyframes: list[dict[str, Any]]) -> list[str]:
    """Item-level on-screen text phrases from the keyframes' "text" lines (core.analysis.ocr), e.g.
    'on-screen text: "Big Buck Bunny"'; none when no keyframe has text (or none was read)."""
    seen: dict[str, int] = {}
    for k in keyframes:
        lines = k.get("text") if isinstance(k, dict) else None
        for line in dict.fromkeys(lines if isinstance(lines, list) else []):
            text = " ".join(line.replace('"', "").split())[:TEXT_LINE_CHARS].strip() if isinstance(line, str) else ""
            if text:
                seen[text] = seen.get(text, 0) + 1
    best = sorted(seen, key=lambda t: (-seen[t], -len(t)))[:TEXT_LINES]
    return [ON_SCREEN_TEXT.format(t) for t in best]


SOUND_OF_VIDEO = {"bright": "bright sound", "dark, mellow": "mellow sound"}  # beside a video's look phrases


def describe(audio: dict[str, Any] | None, video: dict[str, Any] | None, item_class: str | None = None) -> list[str]:
    """Every phrase for an item: how it looks first (videos), then who is on screen, then how it sounds;
    no duplicates. A video's timbre phrases say "sound" so they never read as its picture ("dark" look,
    "bright sound")."""
    phrases: list[str] = []
    seen = video_phrases(video or {}) + people_phrases((video or {}).get("keyframes") or []) \
        + text_phrases((video or {}).get("keyframes") or [])
    heard = audio_phrases(audio or {}, VIDEO_CLASS if video and item_class in (None, MUSIC) else item_class)
    if video:
        heard = [SOUND_OF_VIDEO.get(p, p) for p in heard]
    for p in seen + heard:
        if p not in phrases:
            phrases.append(p)
    return phrases


def _without_contradictions(phrases: list[str]) -> list[str]:
    """`phrases` in order, each dropped when it contradicts one kept before it (the first has priority)."""
    kept: list[str] = []
    for p in phrases:
        if p not in kept and not contradictions(kept + [p]):
            kept.append(p)
    return kept


def describe_with_confidence(audio: dict[str, Any] | None, video: dict[str, Any] | None,
                             item_class: str | None = None, tags: dict[str, dict[str, float]] | None = None,
                             reference: dict[str, dict[str, list[float]]] | None = None
                             ) -> tuple[list[str], dict[str, float]]:
    """(phrases, {tag phrase: confidence}) of an item: `describe`, plus the tagger's phrases and the fused
    moods when its stored tags (core.db.features.audio_tags_of) and the reference are given.

    Order: how it looks (videos), who is on screen, the tag phrases strongest first, the moods, then the
    measured sound. Priority where two would contradict: the measured phrases, then the tags, then the
    moods ("upbeat 130 BPM" stays and a fused "calm" goes); except "acoustic-sounding", which yields to an
    electronic tag (the measurement's known mistake). Speech, sound effects and silence get no tag phrase.
    """
    if not tags or not reference or not audio or audio.get("silent") or item_class in (SPEECH, SOUND_EFFECT):
        return describe(audio, video, item_class), {}
    seen = video_phrases(video or {}) + people_phrases((video or {}).get("keyframes") or []) \
        + text_phrases((video or {}).get("keyframes") or [])
    heard = audio_phrases(audio, VIDEO_CLASS if video and item_class in (None, MUSIC) else item_class)
    tagged: dict[str, float] = {}
    fused: list[str] = []
    if video and is_speech(audio):  # a soundtrack that is talk: "speech", and no tempo, key or tags
        heard = ["speech"] + [p for p in heard if p != "speech-like"]
    else:
        tagged = tp.tag_phrases(tags, reference)
        fused = tp.mood_phrases(audio, tags, reference)
        heard = [p for p in heard if p not in ("calm", "energetic")]
        if tagged.keys() & tp.ELECTRONIC:
            heard = [p for p in heard if p != "acoustic-sounding"]
    if video:
        heard = [SOUND_OF_VIDEO.get(p, p) for p in heard]
    kept = set(_without_contradictions(seen + heard + list(tagged) + fused))
    phrases = [p for p in dict.fromkeys(seen + list(tagged) + fused + heard) if p in kept]
    return phrases, {p: c for p, c in tagged.items() if p in kept}
