"""Sane descriptors (issue 13, item 3): no contradictory phrase pairs, no tempo or key for what cannot have
one ("fast 163 BPM, calm" for a 2-second roar; "130 BPM" and "no steady beat"; "acoustic-sounding" for a
programmed beat), over thousands of generated feature sets."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.analysis.descriptors import CONTRADICTIONS, audio_phrases, contradictions, describe
from core.analysis.item_class import classify

TEMPO_OR_KEY = re.compile(r".* \d+ BPM|no steady beat|.*\bkey|[A-G][#b]? (major|minor)")
PITCHES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
unit = st.floats(0, 1, allow_nan=False)

audio_features = st.fixed_dictionaries({
    "duration": st.one_of(st.floats(0.1, 12.0), st.floats(8.0, 900.0)),
    "silent": st.sampled_from([False, False, False, True]),
    "tempo_bpm": st.one_of(st.none(), st.floats(30, 300)),
    "beat_strength": unit,
    "key": st.one_of(st.none(), st.sampled_from(PITCHES)),
    "mode": st.sampled_from(["major", "minor", None]),
    "key_strength": st.floats(-0.5, 1),
    "key_confidence": unit,
    "loudness_lufs": st.one_of(st.none(), st.floats(-70, 0)),
    "dynamic_range_lu": st.floats(0, 30),
    "spectral_centroid_hz": st.floats(0, 8000),
    "spectral_flatness": unit,
    "zero_crossing_rate": st.floats(0, 0.6),
    "onset_rate": st.floats(0, 10),
    "low_energy_ratio": unit,
    "syllabic_modulation": unit,
    "speech_hint": unit,
})
keyframe = st.fixed_dictionaries({"ms": st.integers(0, 10**7), "faces": st.integers(0, 9),
                                  "phrases": st.sampled_from([["nobody on screen"], ["people"], ["a crowd"],
                                                              ["close-up of a face", "people"]])})
video_features = st.fixed_dictionaries({
    "duration": st.floats(0.5, 7200),
    "brightness": unit, "contrast": st.floats(0, 0.5), "saturation": unit, "colourfulness": st.floats(0, 150),
    "black_share": unit, "cut_rate_per_min": st.floats(0, 120), "motion": st.floats(0, 0.3),
    "colour_shares": st.fixed_dictionaries({c: unit for c in ("red", "orange", "yellow", "green", "teal", "blue",
                                                                "purple", "pink", "brown")}),
    "keyframes": st.lists(keyframe, max_size=12),
})
classes = st.sampled_from([None, "music", "speech", "sound_effect", "video"])


def test_the_table_catches_the_contradictions_users_saw():
    assert contradictions(["upbeat 130 BPM", "no steady beat"])
    assert contradictions(["fast 163 BPM", "calm"])
    assert contradictions(["acoustic-sounding", "noisy"])
    assert contradictions(["short clip", "fast 163 BPM"])
    assert contradictions(["nobody on screen", "people"])
    assert contradictions(["silent", "calm"])
    assert not contradictions(["dark", "silent"])  # a dark picture with a silent soundtrack is fine
    assert all(re.compile(a) and re.compile(b) for a, b, _ in CONTRADICTIONS)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(audio=audio_features, item_class=classes)
def test_audio_phrases_never_contradict_each_other(audio, item_class):
    phrases = audio_phrases(audio, item_class)
    assert contradictions(phrases) == [], phrases
    assert len(phrases) == len(set(phrases))
    if item_class in ("speech", "sound_effect") or audio["duration"] < 10:
        assert not [p for p in phrases if TEMPO_OR_KEY.fullmatch(p)], phrases


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(audio=st.one_of(st.none(), audio_features), video=st.one_of(st.none(), video_features), item_class=classes)
def test_whole_descriptions_never_contradict_each_other(audio, video, item_class):
    phrases = describe(audio, video, item_class)
    assert contradictions(phrases) == [], phrases
    assert len(phrases) == len(set(phrases))


@settings(max_examples=1000, deadline=None)
@given(audio=audio_features, genre=st.sampled_from(["", "Rock", "Podcast", "Soundtrack", "Sound Effects"]))
def test_the_classifier_and_the_describer_agree(audio, genre):
    found = classify("audio", audio["duration"], ".flac", genre, [], audio, None)
    phrases = describe(audio, None, found.name)
    assert contradictions(phrases) == []
    if found.name != "music":
        assert not [p for p in phrases if TEMPO_OR_KEY.fullmatch(p)], (found, phrases)


def test_a_two_second_roar_gets_no_tempo_and_is_not_calm():
    roar = {"duration": 2.0, "silent": False, "tempo_bpm": 163.3, "beat_strength": 0.08, "key": "A", "mode": "minor",
            "key_strength": 0.61, "key_confidence": 0.6, "loudness_lufs": -14.1, "dynamic_range_lu": 0.0,
            "spectral_centroid_hz": 5549.0, "spectral_flatness": 0.55, "zero_crossing_rate": 0.1, "onset_rate": 0.67,
            "low_energy_ratio": 0.41, "syllabic_modulation": 0.0, "speech_hint": 0.03}
    phrases = describe(roar, None, classify("audio", 2.0, ".wav", "", [], roar, None).name)
    assert "sound effect" in phrases and "short clip" in phrases
    assert not any("BPM" in p or "key" in p or p == "calm" for p in phrases), phrases


def test_a_machine_steady_beat_is_not_acoustic_sounding():
    click = {"duration": 20.0, "tempo_bpm": 120.0, "beat_strength": 0.93, "loudness_lufs": -18.0,
             "dynamic_range_lu": 6.0, "spectral_centroid_hz": 1800.0, "spectral_flatness": 0.007,
             "zero_crossing_rate": 0.005, "onset_rate": 1.95}
    assert "acoustic-sounding" not in audio_phrases(click, "music")
    assert "acoustic-sounding" in audio_phrases({**click, "beat_strength": 0.1}, "music")
