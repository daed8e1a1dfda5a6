"""Features -> short plain-language phrases ("slow 68 BPM", "minor key", "dark, high-contrast").

Pure functions over the stored feature JSON, so a new DESCRIPTOR_VERSION re-describes the whole
library from the database without decoding anything. Thresholds are in one table each and were
calibrated on generated signals (tests/analysis) and the real corpus (docs/BENCHMARKS.md).
"""

from __future__ import annotations

from typing import Any

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


def audio_phrases(f: dict[str, Any]) -> list[str]:
    """Plain phrases for one set of audio features (empty for no features)."""
    t = AUDIO
    if not f:
        return []
    if f.get("silent"):
        return ["silent"]
    out: list[str] = []
    bpm, beat = f.get("tempo_bpm"), f.get("beat_strength", 0.0)
    if bpm and beat >= t["steady_beat"]:
        pace = "slow" if bpm < t["slow_bpm"] else "moderate" if bpm < t["moderate_bpm"] else \
            "upbeat" if bpm < t["fast_bpm"] else "fast"
        out.append(f"{pace} {round(bpm)} BPM")
    elif f.get("onset_rate", 0) > 0 and beat < t["no_beat"]:
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
    if not energetic and onsets < t["calm_onsets"] and (lufs is None or lufs < t["energetic_lufs"] + 4):
        out.append("calm")
    elif onsets >= t["busy_onsets"]:
        out.append("busy, percussive")
    flat = f.get("spectral_flatness", 0.0)
    centroid = f.get("spectral_centroid_hz", 0.0)
    if flat >= t["noisy_flatness"]:
        out.append("noisy")
    if centroid >= t["bright_hz"]:
        out.append("bright")
    elif 0 < centroid < t["dark_hz"]:
        out.append("dark, mellow")
    if flat < t["acoustic_flatness"] and f.get("dynamic_range_lu", 0) >= t["acoustic_range_lu"] \
            and f.get("zero_crossing_rate", 1) < t["acoustic_zcr"]:
        out.append("acoustic-sounding")
    dr = f.get("dynamic_range_lu", 0.0)
    if dr >= t["wide_range_lu"]:
        out.append("wide dynamics")
    elif 0 < dr <= t["compressed_range_lu"] and lufs is not None and lufs > t["quiet_lufs"]:
        out.append("steady loudness")
    if f.get("key") and f.get("key_strength", 0) >= t["key_strength"] and \
            f.get("key_confidence", 0) >= t["key_confidence"]:
        out.append(f"{f['key']} {f['mode']}")
        out.append(f"{f['mode']} key")
    if f.get("speech_hint", 0) >= t["speech"]:
        out.append("speech-like")
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


def describe(audio: dict[str, Any] | None, video: dict[str, Any] | None) -> list[str]:
    """Every phrase for an item: how it looks first (videos), then how it sounds; no duplicates."""
    phrases: list[str] = []
    for p in video_phrases(video or {}) + audio_phrases(audio or {}):
        if p not in phrases:
            phrases.append(p)
    return phrases
