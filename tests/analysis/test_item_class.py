"""What an item is (issue 13, item 5): music, speech, sound effect / short clip, video; stored with the
features, and kept apart by the recommender and search."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.analysis import audio
from core.analysis.item_class import classify
from tests.analysis import signals
from tests.media import tag_vorbis

REAL = Path(os.environ.get("ENCORE_REAL_MEDIA") or "/root/real-media")
HAVE_REAL = (REAL / "music" / "wesnoth").is_dir()
ESPEAK = shutil.which("espeak-ng")
TEXT = ("Welcome back to the show. Today we talk about the history of the printing press, and how it changed "
        "the way people shared ideas across Europe. Our guest has spent twenty years studying old books.")


def features(y: np.ndarray) -> dict:
    return audio.features_from_segments([y], len(y) / signals.SR)


def audio_class(f: dict, genre: str = "", tags=(), ext: str = ".wav") -> str:
    return classify("audio", f["duration"], ext, genre, list(tags), f, None).name


def burst(seconds: float = 1.5, seed: int = 1) -> np.ndarray:
    """A decaying noise burst: a "tada" / "roar" style sound effect."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int(seconds * signals.SR), np.float32)
    n = int(0.4 * signals.SR)
    y[2000:2000 + n] = rng.standard_normal(n) * np.exp(-np.arange(n) / 3000) * 0.5
    return y


def beat_with_chords() -> np.ndarray:
    chords = signals.chord_progression(seconds_each=2.0)
    click = signals.click_track(120.0, len(chords) / signals.SR)
    return (chords + 0.5 * click[:len(chords)]).astype(np.float32)


def espeak(path: Path, text: str = TEXT, voice: str = "en") -> Path:
    subprocess.run([ESPEAK, "-v", voice, "-w", str(path), text], check=True, capture_output=True, timeout=60)
    return path


# ----- the classifier on generated signals ------------------------------------------------------
def test_tones_and_chords_with_a_beat_are_music():
    assert audio_class(features(beat_with_chords())) == "music"
    assert audio_class(features(signals.chord_progression())) == "music"  # sustained chords, a clear key
    assert audio_class(features(signals.click_track(120.0, 12.0))) == "music"


def test_short_bursts_and_clips_are_sound_effects():
    assert audio_class(features(burst())) == "sound_effect"
    assert audio_class(features(signals.click_track(120.0, 4.0))) == "sound_effect"  # under 10 s
    found = classify("audio", 2.0, ".wav", "", [], features(burst(2.0)), None)
    assert found.confidence > 0.5 and "short clip" in found.evidence[0]


def test_long_sounds_without_musical_structure_are_sound_effects():
    assert audio_class(features(signals.white_noise(20.0))) == "sound_effect"  # no beat, no key, noise
    assert audio_class(features(signals.sine(440.0, 20.0, 0.3))) == "sound_effect"  # an unchanging test tone
    assert audio_class(features(signals.silence(12.0))) == "sound_effect"


@pytest.mark.skipif(not ESPEAK, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_espeak_speech_is_speech(tmp_path):
    for voice, text in (("en", TEXT), ("en-us", "Chapter one. It was a bright cold day in April, and the clocks "
                                      "were striking thirteen. Winston Smith, his chin nuzzled into his breast "
                                      "in an effort to escape the vile wind, slipped quickly through the doors.")):
        f, _ = audio.analyze_audio(str(espeak(tmp_path / f"{voice}.wav", text, voice)))
        assert f["duration"] >= 10
        assert audio_class(f) == "speech", (voice, f)


def test_tags_and_containers_say_speech_or_sound_effect():
    music = features(beat_with_chords())
    assert audio_class(music, genre="Podcast") == "speech"
    assert audio_class(music, genre="Audiobook") == "speech"
    assert audio_class(music, genre="(101)") == "speech"  # ID3v1 genre 101, Speech
    assert audio_class(music, tags=[("PCST", "1")]) == "speech"  # the iTunes podcast flag
    assert audio_class(music, tags=[("stik", "2")]) == "speech"  # MP4 media kind: audiobook
    assert audio_class(music, ext=".m4b") == "speech"
    assert audio_class(music, genre="Sound Effects") == "sound_effect"
    assert audio_class(music, genre="Rock") == "music"
    assert audio_class(music, genre="Talking Heads tribute") == "music"  # "talk" only as a word of its own
    assert classify("video", 30.0, ".mp4", "", [], music, {"brightness": 0.5}).name == "video"


@pytest.mark.skipif(not HAVE_REAL, reason="the real corpus is not in /root/real-media (ENCORE_REAL_MEDIA)")
def test_real_soundtrack_is_music_and_mutagen_clips_are_short():
    tracks = sorted((REAL / "music" / "wesnoth").glob("*.ogg"))
    long_tracks = [p for p in tracks if p.stat().st_size > 1_000_000][:10] + [REAL / "music" / "wesnoth" /
                                                                             "nunc_dimittis.ogg"]
    for path in long_tracks:
        f, _ = audio.analyze_audio(str(path))
        assert audio_class(f, ext=".ogg") == "music", path.name
    clips = 0
    for name in ("ep7.m4b", "bad-TYER-frame.mp3", "multipage-setup.ogg", "click.mpc", "lame.mp3"):
        path = REAL / "edge-cases" / name
        try:
            f, _ = audio.analyze_audio(str(path))
        except Exception:  # noqa: BLE001 - a deliberately broken file: nothing to classify
            continue
        expected = "speech" if path.suffix == ".m4b" else "sound_effect"  # .m4b: an audiobook container
        assert audio_class(f, ext=path.suffix) == expected, name
        clips += 1
    assert clips >= 2


# ----- stored, and used by the recommender and search --------------------------------------------
@pytest.fixture
def classified(library, tmp_path):
    root = tmp_path / "media"
    files = {
        "chords": signals.write_wav(root / "music" / "chords.flac", beat_with_chords(), fmt="FLAC"),
        "minor": signals.write_wav(root / "music" / "minor.flac", signals.chord_progression(), fmt="FLAC"),
        "major": signals.write_wav(root / "music" / "major.flac", signals.chord_progression(
            [["C", "E", "G"], ["F", "A", "C"], ["G", "B", "D"], ["C", "E", "G"]] * 2), fmt="FLAC"),
        "tada": signals.write_wav(root / "sfx" / "tada.flac", burst(1.5, 1), fmt="FLAC"),
        "roar": signals.write_wav(root / "sfx" / "roar.flac", burst(2.0, 2), fmt="FLAC"),
        "beep": signals.write_wav(root / "sfx" / "beep.flac", signals.sine(880.0, 1.0, 0.3), fmt="FLAC"),
    }
    tag_vorbis(files["tada"], title="Calm Piano")  # the sound effect matches the words best
    tag_vorbis(files["minor"], title="Calm Piano Evening Nocturne")
    library.scan([str(root)])
    report = library.analyze()
    assert report["analyzed"] == len(files) and report["failed"] == 0
    ids = {name: library.item_row(str(path))["id"] for name, path in files.items()}
    return library, ids


def test_every_analysed_item_has_a_stored_class(classified):
    library, ids = classified
    for name, item_id in ids.items():
        shown = library.show(item_id)["item_class"]
        assert shown["class"] == ("sound_effect" if name in ("tada", "roar", "beep") else "music"), name
        assert 0 < shown["confidence"] <= 1 and shown["evidence"]
    rows = library.store.query("SELECT class, COUNT(*) AS n FROM item_classes GROUP BY class")
    assert {r["class"]: r["n"] for r in rows} == {"music": 3, "sound_effect": 3}
    assert "sound effect" in library.show(ids["tada"])["descriptors"]
    assert not any("BPM" in p or "key" in p for p in library.show(ids["roar"])["descriptors"])


def test_music_seeds_never_get_sound_effects_unless_the_setting_says_so(classified):
    library, ids = classified
    sfx = {ids["tada"], ids["roar"], ids["beep"]}
    for mode in ("more-like", "radio"):
        recs = library.recommend(seed=ids["minor"], mode=mode, limit=10)
        assert recs and not {r.item.id for r in recs} & sfx, mode
    assert not {r.item.id for r in library.recommend(limit=10)} & sfx  # For you: no sound effects either
    library.settings.include_short_clips = True
    recs = library.recommend(seed=ids["minor"], mode="more-like", limit=10)
    assert {r.item.id for r in recs} & sfx


def test_a_sound_effect_seed_stays_with_sound_effects(classified):
    library, ids = classified
    recs = library.recommend(seed=ids["tada"], mode="more-like", limit=10)
    assert {r.item.id for r in recs} <= {ids["roar"], ids["beep"]}


def test_search_for_music_words_puts_music_before_sound_effects(classified):
    library, ids = classified
    hits = [h.item.id for h in library.search("calm piano")]
    assert ids["minor"] in hits and ids["tada"] in hits
    assert hits.index(ids["minor"]) < hits.index(ids["tada"])
    asked = [h.item.id for h in library.search("calm piano sound effect")]
    sfx = {ids["tada"], ids["roar"], ids["beep"]}
    # asked for: the sound effects come first (the calm beep before the loud "Calm Piano" burst), music after
    assert asked[0] in sfx and asked.index(ids["tada"]) < asked.index(ids["minor"])
