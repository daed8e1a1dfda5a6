"""What an item is: music, speech (podcast, audiobook, talk), a sound effect / short clip, or a video.

Pure and light (no numpy): derived from the stored audio features, the file's kind and extension and its
tags, so a new CLASS_VERSION reclassifies the library from the database without decoding. The order of
the evidence: the file's kind (a video is a video), then what the tags say (genre "Podcast", an iTunes
podcast flag, an .m4b audiobook), then the length (under SHORT_CLIP_S: a short clip), then the sound.

The sound cues, measured on generated signals, espeak-ng speech and the real Wesnoth soundtrack
(tests/analysis/test_item_class.py): speech has syllable-rate onsets (about 4 a second) with no steady
beat, its voice-band energy is modulated at 3-8 Hz (the classic ~4 Hz syllable cue), it pauses (low-energy
frames) and has no clear key. espeak-ng: onsets 4.2-4.7/s, beat 0.03-0.09, syllabic modulation 0.33-0.38,
low-energy share 0.31-0.34, key strength 0.35-0.41; the busiest soundtrack track (frantic-old) has 3.8
onsets/s but a beat of 0.17, a key strength of 0.63 and 0.11 low-energy frames. Music needs structure:
a steady beat, or a tonal spectrum (a clear key or a flat-free, harmonic spectrum) that changes over time;
noise without a beat or a key, and an unchanging tone, are sound effects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.db.features import MUSIC, SOUND_EFFECT, SPEECH, VIDEO

SHORT_CLIP_S = 10.0

# Genre words (ID3 TCON, Vorbis GENRE, MP4 (c)gen, iTunes category) that say "spoken", and "sound effect".
SPEECH_GENRES = re.compile(
    r"\b(podcasts?|audio ?books?|h(ö|oe)rb(u|ü)ch|h(ö|oe)rspiel|spoken( word)?|speech|talk( radio| show)?|lectures?|"
    r"audio (drama|theat(re|er))|radio (play|drama)|sermons?|interviews?|news|stand-?up|books (&|and) spoken)\b",
    re.IGNORECASE)
SOUND_EFFECT_GENRES = re.compile(r"\b(sound ?effects?|sfx|sound clips?|foley|ringtones?|samples?)\b", re.IGNORECASE)
GENRE_KEYS = {"genre", "tcon", "©gen", "gnre", "catg", "category", "wm/genre", "wm/category", "ignr"}
# Tags only podcasts carry: the iTunes podcast flag and feed/episode frames (ID3 PCST, WFED, TGID, TDES;
# MP4 pcst, purl, egid); MP4 'stik' media kind 2 = audiobook, 21 = podcast.
PODCAST_KEYS = {"pcst", "podcast", "wfed", "tgid", "purl", "egid", "itunespodcast"}
SPEECH_EXTENSIONS = {".m4b", ".aa", ".aax"}  # audiobook containers
ID3_SPEECH_GENRE_NUMBERS = {"101", "(101)", "183", "(183)", "186", "(186)"}  # Speech, Audiobook, Podcast

# Audio thresholds (see the module docstring for the measurements they come from).
SPEECH_CUES = {"min_onsets": 2.5, "max_beat": 0.12, "min_syllabic": 0.28, "min_low_energy": 0.2, "max_key": 0.55}
STEADY_BEAT = 0.05  # beat strength that counts as a pulse (descriptors.AUDIO["steady_beat"])
TONAL_KEY = 0.5
TONAL_FLATNESS = 0.02  # harmonic sounds: flatness 0.0001-0.01; noise 0.3-0.6
CHANGING_ONSETS = 0.05  # onsets a second, or
CHANGING_RANGE_LU = 1.5  # loudness range: a held test tone has neither


@dataclass(frozen=True)
class ItemClass:
    """An item's class, how sure (0..1), and the evidence in words."""

    name: str
    confidence: float
    evidence: list[str] = field(default_factory=list)


def _tag_text(genre: str, tags: Iterable[tuple[str, str]]) -> tuple[str, bool, str | None]:
    """(all genre-like text, whether a podcast-only tag is present, the MP4 media kind or None)."""
    texts, podcast, media_kind = [genre or ""], False, None
    for key, value in tags:
        k = str(key).lower()
        for prefix in ("txxx:", "----:com.apple.itunes:", "----:"):
            if k.startswith(prefix):
                k = k[len(prefix):]
        if k in GENRE_KEYS:
            texts.append(str(value))
        elif k in PODCAST_KEYS and str(value).strip().lower() not in ("", "0", "false", "no"):
            podcast = True
        elif k == "stik":
            media_kind = str(value).strip()
    return " ; ".join(texts), podcast, media_kind


def speech_cues(audio: dict[str, Any]) -> list[str]:
    """The speech cues an item's audio features show, in words (see is_speech)."""
    t = SPEECH_CUES
    cues = []
    if audio.get("onset_rate", 0.0) >= t["min_onsets"]:
        cues.append(f"syllable-rate onsets ({audio['onset_rate']:.1f}/s)")
    if audio.get("beat_strength", 0.0) < t["max_beat"]:
        cues.append("no steady beat")
    if audio.get("syllabic_modulation", 0.0) >= t["min_syllabic"]:
        cues.append("3-8 Hz voice-band modulation")
    if audio.get("low_energy_ratio", 0.0) >= t["min_low_energy"]:
        cues.append("pauses")
    if audio.get("key_strength", 0.0) < t["max_key"]:
        cues.append("no clear key")
    return cues


def is_speech(audio: dict[str, Any]) -> bool:
    """Syllable-rate onsets, 3-8 Hz voice-band modulation and no clear key, and either no steady beat or
    pauses: 4 of the 5 cues, the three core ones always (espeak-ng shows a pseudo-beat of 0.125 at times;
    the soundtrack's busiest tracks have a clear key)."""
    t = SPEECH_CUES
    core = (audio.get("onset_rate", 0.0) >= t["min_onsets"] and audio.get("syllabic_modulation", 0.0) >= t["min_syllabic"]
            and audio.get("key_strength", 0.0) < t["max_key"])
    return core and (audio.get("beat_strength", 0.0) < t["max_beat"] or audio.get("low_energy_ratio", 0.0) >= t["min_low_energy"])


def has_musical_structure(audio: dict[str, Any]) -> bool:
    """A steady beat, or a tonal sound (clear key or harmonic spectrum) that changes over time."""
    beat = bool(audio.get("tempo_bpm")) and audio.get("beat_strength", 0.0) >= STEADY_BEAT
    tonal = audio.get("key_strength", 0.0) >= TONAL_KEY or audio.get("spectral_flatness", 1.0) < TONAL_FLATNESS
    changing = audio.get("onset_rate", 0.0) >= CHANGING_ONSETS or audio.get("dynamic_range_lu", 0.0) >= CHANGING_RANGE_LU
    return beat or (tonal and changing)


def classify(kind: str, duration: float | None, ext: str, genre: str, tags: Iterable[tuple[str, str]],
             audio: dict[str, Any] | None, video: dict[str, Any] | None) -> ItemClass:
    """The class of one item from its kind, length, extension, tags and stored features."""
    if kind == VIDEO or video is not None:
        return ItemClass(VIDEO, 1.0, ["a video file"])
    text, podcast, media_kind = _tag_text(genre, tags)
    if podcast or media_kind == "21":
        return ItemClass(SPEECH, 0.95, ["tagged as a podcast episode"])
    if media_kind == "2" or (ext or "").lower() in SPEECH_EXTENSIONS:
        return ItemClass(SPEECH, 0.95, ["an audiobook file"])
    spoken = SPEECH_GENRES.search(text)
    if spoken or (genre or "").strip() in ID3_SPEECH_GENRE_NUMBERS:
        return ItemClass(SPEECH, 0.9, [f"genre {spoken.group(0) if spoken else genre.strip()!r}"])
    sfx = SOUND_EFFECT_GENRES.search(text)
    if sfx:
        return ItemClass(SOUND_EFFECT, 0.9, [f"genre {sfx.group(0)!r}"])
    audio = audio or {}
    length = duration if duration and duration > 0 else audio.get("duration")
    if length is not None and length < SHORT_CLIP_S:
        return ItemClass(SOUND_EFFECT, 0.85, [f"{length:.1f} s long (a short clip)"])
    if not audio:
        return ItemClass(MUSIC, 0.3, ["no audio features: assumed music"])
    if audio.get("silent"):
        return ItemClass(SOUND_EFFECT, 0.7, ["silent"])
    cues = speech_cues(audio)
    if is_speech(audio):
        return ItemClass(SPEECH, 0.75 if len(cues) == len(SPEECH_CUES) else 0.6, cues)
    if not has_musical_structure(audio):
        return ItemClass(SOUND_EFFECT, 0.6, ["no steady beat, no key and no harmonic sound"])
    why = []
    if audio.get("tempo_bpm") and audio.get("beat_strength", 0.0) >= STEADY_BEAT:
        why.append("a steady beat")
    if audio.get("key_strength", 0.0) >= TONAL_KEY:
        why.append("a clear key")
    if text.strip(" ;"):
        why.append(f"genre {text.strip(' ;')[:40]!r}")
    return ItemClass(MUSIC, 0.8 if len(why) >= 2 else 0.65, why or ["a harmonic sound that changes"])
