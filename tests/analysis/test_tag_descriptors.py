"""Tags become language (issue 13, item 3): a tag becomes a phrase only when it stands out against the
reference, with a confidence; moods fuse tags with the measured features; speech and sound effects get no
genre tags; no phrase pair contradicts; the tagger's results are stored per item with their version, a new
tagger re-tags without redoing the features, and a moved reference re-describes from the stored JSON."""

from __future__ import annotations

import importlib.util
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import tag_language as tp
from core.analysis import tags as tg
from core.analysis.descriptors import contradictions, describe, describe_with_confidence
from tests.analysis.test_descriptor_consistency import audio_features, video_features

PRIOR = tg.prior()
REFERENCE = tg.reference_stats([], PRIOR)  # the prior alone (an empty library)
TYPICAL = {m: {tag: mean for tag, (mean, _) in PRIOR[m].items()} for m in ("mtt", "msd")}
TAG_OR_MOOD = tp.TAG_PHRASES | set(tp.MOOD_PHRASES)
MUSIC = {"duration": 200.0, "silent": False, "tempo_bpm": 96.0, "beat_strength": 0.2, "key": "C", "mode": "major",
         "key_strength": 0.8, "key_confidence": 0.5, "loudness_lufs": -16.0, "dynamic_range_lu": 8.0,
         "spectral_centroid_hz": 1500.0, "spectral_flatness": 0.005, "zero_crossing_rate": 0.05, "onset_rate": 1.5,
         "low_energy_ratio": 0.3, "syllabic_modulation": 0.1, "speech_hint": 0.0}


def with_tags(raised: dict[str, float]) -> dict[str, dict[str, float]]:
    """The prior's typical probabilities with some tags set: {"msd:jazz": 0.6}."""
    tags = {m: dict(v) for m, v in TYPICAL.items()}
    for key, p in raised.items():
        model, tag = key.split(":")
        assert tag in tags[model], tag
        tags[model][tag] = p
    return tags


def z_of(model: str, tag: str, p: float) -> float:
    mean, sd = REFERENCE[model][tag]
    return (p - mean) / max(sd, tp.SPREAD_FLOOR, tp.SPREAD_SHARE * mean)


def test_a_typical_song_gets_no_tag_phrase_however_high_its_rock_and_pop():
    """The model's priors: what every item gets is not said of any ("rock, pop, electronic" for all)."""
    assert tp.tag_phrases(TYPICAL, REFERENCE) == {}
    assert [p for p in describe_with_confidence(MUSIC, None, "music", TYPICAL, REFERENCE)[0] if p in tp.TAG_PHRASES] == []


def test_a_tag_that_stands_out_becomes_a_plain_phrase_with_its_confidence():
    tags = with_tags({"msd:jazz": 0.7, "msd:female vocalists": 0.6, "mtt:female": 0.5, "mtt:woman": 0.4, "mtt:piano": 0.6})
    found = tp.tag_phrases(tags, REFERENCE)
    assert {"jazz", "female vocals", "piano"} <= set(found), found
    assert all(tp.MIN_CONFIDENCE <= c <= 1.0 for c in found.values())
    phrases, confidence = describe_with_confidence(MUSIC, None, "music", tags, REFERENCE)
    assert {"jazz", "female vocals", "piano"} <= set(phrases) and set(confidence) <= set(phrases)
    assert phrases.index("jazz") < phrases.index("moderate 96 BPM")  # the tag phrases lead, strongest first
    assert list(confidence) == sorted(confidence, key=lambda p: -confidence[p])


def test_standing_out_needs_both_the_spread_and_an_absolute_probability():
    mean, _ = REFERENCE["msd"]["Hip-Hop"]
    barely = mean + 0.03  # far above a tag that hardly varies, but a 5 % chance is no evidence
    assert z_of("msd", "Hip-Hop", barely) < tp.Z_MIN or barely < tp.P_MIN
    assert "hip-hop" not in tp.tag_phrases(with_tags({"msd:Hip-Hop": barely}), REFERENCE)
    assert "hip-hop" in tp.tag_phrases(with_tags({"msd:Hip-Hop": 0.5}), REFERENCE)


def test_the_tag_names_map_to_plain_phrases():
    assert "mellow" in tp.mood_phrases({**MUSIC, "loudness_lufs": -26.0, "onset_rate": 0.5},
                                       with_tags({"msd:Mellow": 0.3}), REFERENCE)
    assert "80s" in tp.tag_phrases(with_tags({"msd:80s": 0.5}), REFERENCE)
    assert "2000s" in tp.tag_phrases(with_tags({"msd:00s": 0.5}), REFERENCE)
    assert "hip-hop" in tp.tag_phrases(with_tags({"msd:Hip-Hop": 0.6}), REFERENCE)
    assert "instrumental" in tp.tag_phrases(with_tags({"msd:instrumental": 0.7, "mtt:no vocals": 0.4, "mtt:no vocal": 0.4, "mtt:no voice": 0.3}), REFERENCE)
    assert tp.tag_phrases(with_tags({"msd:80s": 0.5, "msd:90s": 0.5}), REFERENCE).keys() & {"80s", "90s"} in (
        {"80s"}, {"90s"})  # one era


def test_moods_fuse_the_tags_with_the_measured_features():
    calm_tags = with_tags({"mtt:slow": 0.6, "mtt:quiet": 0.4, "mtt:soft": 0.4, "msd:Mellow": 0.2, "msd:chill": 0.2})
    loud_tags = with_tags({"mtt:fast": 0.4, "mtt:loud": 0.4, "mtt:drums": 0.6, "msd:party": 0.2, "msd:dance": 0.5})
    quiet = {**MUSIC, "loudness_lufs": -28.0, "onset_rate": 0.9, "tempo_bpm": 70.0}
    driving = {**MUSIC, "loudness_lufs": -9.0, "onset_rate": 4.0, "tempo_bpm": 128.0}
    assert "calm" in tp.mood_phrases(quiet, calm_tags, REFERENCE)
    assert "energetic" in tp.mood_phrases(driving, loud_tags, REFERENCE)
    # measured alone the quiet track is not calm (0.9 onsets/s): the tags tip it
    assert "calm" not in describe(quiet, None, "music")
    assert "calm" in describe_with_confidence(quiet, None, "music", calm_tags, REFERENCE)[0]
    # a measured tempo stays; the fused "calm" that would contradict it goes
    upbeat = {**quiet, "tempo_bpm": 132.0, "beat_strength": 0.3}
    phrases = describe_with_confidence(upbeat, None, "music", calm_tags, REFERENCE)[0]
    assert "upbeat 132 BPM" in phrases and "calm" not in phrases
    # valence: a confident minor key alone is not sad; with sad tags it is
    minor = {**quiet, "mode": "minor"}
    assert "sad" not in tp.mood_phrases(minor, calm_tags, REFERENCE)
    assert "sad" in tp.mood_phrases(minor, {**calm_tags, "msd": {**calm_tags["msd"], "sad": 0.3}}, REFERENCE)


def test_an_electronic_track_is_not_acoustic_sounding():
    acoustic = {**MUSIC, "spectral_flatness": 0.005, "dynamic_range_lu": 8.0, "zero_crossing_rate": 0.05,
                "beat_strength": 0.2}
    assert "acoustic-sounding" in describe(acoustic, None, "music")
    tags = with_tags({"msd:electronic": 0.7, "msd:electronica": 0.4, "mtt:electronic": 0.6, "mtt:synth": 0.5, "mtt:techno": 0.4})
    phrases = describe_with_confidence(acoustic, None, "music", tags, REFERENCE)[0]
    assert "electronic" in phrases and "acoustic-sounding" not in phrases


@pytest.mark.parametrize("item_class", ["speech", "sound_effect"])
def test_speech_and_sound_effects_get_no_genre_tags(item_class):
    tags = with_tags({"msd:Hip-Hop": 0.9, "msd:rock": 0.9, "mtt:male": 0.9, "mtt:piano": 0.8})
    phrases, confidence = describe_with_confidence({**MUSIC, "duration": 30.0}, None, item_class, tags, REFERENCE)
    assert not (set(phrases) & TAG_OR_MOOD - {"calm", "energetic"}) and confidence == {}
    assert contradictions(["speech", "hip-hop"]) and contradictions(["sound effect", "piano"])


def test_a_videos_soundtrack_is_heard_through_the_same_tagger():
    look = {"duration": 120.0, "brightness": 0.5, "contrast": 0.15, "saturation": 0.4, "colourfulness": 70.0,
            "black_share": 0.0, "cut_rate_per_min": 6.0, "motion": 0.02, "colour_shares": {}, "keyframes": []}
    orchestral = with_tags({"mtt:classical": 0.8, "mtt:strings": 0.7, "mtt:violin": 0.6, "mtt:cello": 0.3, "mtt:piano": 0.5})
    phrases, confidence = describe_with_confidence(MUSIC, look, "video", orchestral, REFERENCE)
    assert phrases[0] == "vivid colours" and "orchestral" in phrases and "piano" in phrases
    talk = {**MUSIC, "onset_rate": 4.3, "beat_strength": 0.05, "syllabic_modulation": 0.35, "low_energy_ratio": 0.32,
            "key_strength": 0.4, "speech_hint": 0.8}
    phrases, confidence = describe_with_confidence(talk, look, "video", orchestral, REFERENCE)
    assert "speech" in phrases and confidence == {} and not any("BPM" in p or "key" in p for p in phrases)


tag_values = st.floats(0.0, 1.0, allow_nan=False)
tag_sets = st.fixed_dictionaries({m: st.fixed_dictionaries({tag: tag_values for tag in PRIOR[m]}) for m in ("mtt", "msd")})
classes = st.sampled_from([None, "music", "speech", "sound_effect", "video"])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(audio=audio_features, video=st.one_of(st.none(), video_features), item_class=classes, tags=tag_sets)
def test_fused_descriptions_never_contradict_each_other(audio, video, item_class, tags):
    phrases, confidence = describe_with_confidence(audio, video, item_class, tags, REFERENCE)
    assert contradictions(phrases) == [], phrases
    assert len(phrases) == len(set(phrases))
    assert set(confidence) <= set(phrases) and all(c >= tp.MIN_CONFIDENCE for c in confidence.values())
    assert set(confidence) == {p for p in phrases if p in tp.TAG_PHRASES}  # every tag phrase has its confidence
    if item_class in ("speech", "sound_effect") or audio.get("silent"):
        assert not set(phrases) & tp.TAG_PHRASES, phrases


def test_the_reference_is_the_prior_for_an_empty_library_and_the_library_once_it_is_large():
    assert tg.reference_stats([], PRIOR)["msd"]["jazz"] == pytest.approx(PRIOR["msd"]["jazz"], abs=1e-4)
    jazz_library = [with_tags({"msd:jazz": 0.8})] * 3000
    mean, sd = tg.reference_stats(jazz_library, PRIOR)["msd"]["jazz"]
    assert mean == pytest.approx(0.8, abs=0.01) and sd < 0.1
    mean30, _ = tg.reference_stats(jazz_library[:30], PRIOR)["msd"]["jazz"]
    assert mean30 == pytest.approx((0.8 + PRIOR["msd"]["jazz"][0]) / 2, abs=1e-3)  # the prior weighs 30 tracks


def test_the_explain_stage_knows_the_same_tag_phrases():
    from core.db.features import TAG_PHRASE_FAMILIES

    assert TAG_PHRASE_FAMILIES == {phrase: family for phrase, (family, _) in tp.PHRASES.items()}


def test_patches_are_spread_over_each_window():
    n = tg.PATCH_SAMPLES_16K
    assert tg.pick_patches(10 * n, 1) == [5 * n]
    assert tg.pick_patches(10 * n, 2) == [2 * n, 7 * n]
    assert tg.pick_patches(2 * n, 5) == [0, n] and tg.pick_patches(n // 2, 3) == [0]
    assert tg.patch_plan([None] * 3, all_patches=False) == [tg.PATCHES_PER_WINDOW] * 3
    assert tg.patch_plan([None], all_patches=False) == [tg.CPU_PATCHES]
    assert tg.patch_plan([None] * 3, all_patches=True) == [None] * 3


# ----------------------------------------------------------------- the stage, with the real tagger

needs_tagger = pytest.mark.skipif(importlib.util.find_spec("musicnn") is None,
                                  reason="the musicnn package (MusiCNN weights) is not installed")


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    from core.library import Library
    from tests.analysis import signals

    root = tmp_path_factory.mktemp("tagmedia")
    signals.write_wav(root / "chords.wav", signals.chord_progression(seconds_each=2.5))
    chords = signals.chord_progression(seconds_each=2.4)  # 19.2 s
    signals.write_wav(root / "clicks.flac", signals.click_track(100, 19.2)[: len(chords)] + 0.5 * chords, fmt="FLAC")
    signals.write_wav(root / "blip.wav", signals.sine(880.0, 1.5, 0.3))
    signals.write_wav(root / "silence.wav", signals.silence(12.0))
    lib = Library(tmp_path_factory.mktemp("tagdata"))
    lib.scan([str(root)])
    report = lib.analyze()
    yield lib, report
    lib.close()


def _ids(lib) -> dict[str, int]:
    return {r["filename"]: r["id"] for r in lib.store.reader().execute("SELECT id, filename FROM items")}


@needs_tagger
def test_each_item_stores_both_models_probabilities_and_the_embedding_with_the_version(tagged):
    from core.analysis import DESCRIPTOR_VERSION
    from core.db import features as db

    lib, report = tagged
    assert report["failed"] == 0 and report["tagged"] == 3  # silence has nothing to tag
    conn = lib.store.reader()
    ids = _ids(lib)
    for name in ("chords.wav", "clicks.flac", "blip.wav"):
        row = conn.execute("SELECT version, mtt, msd, embedding, mtt_embedding, patches FROM audio_tags "
                           "WHERE item_id = ?", (ids[name],)).fetchone()
        assert row[0] == tg.TAGS_VERSION and row[5] >= 1
        assert len(json.loads(row[1])) == 50 and len(json.loads(row[2])) == 50 and "female vocalists" in json.loads(row[2])
        assert len(row[3]) == 200 * 4 and len(row[4]) == 200 * 4
    silent = db.audio_tag_record(conn, ids["silence.wav"])
    assert silent["note"].startswith("silent") and "mtt" not in silent
    assert {r[0] for r in conn.execute("SELECT version FROM descriptors")} == {DESCRIPTOR_VERSION}
    assert db.tag_reference(conn)["version"] == tg.TAGS_VERSION
    shown = lib.show(ids["chords.wav"])["audio_tags"]
    assert shown["version"] == tg.TAGS_VERSION and len(shown["msd"]) == 50


@needs_tagger
def test_a_new_tagger_retags_without_redoing_the_features(tagged):
    lib, _ = tagged
    with lib.store.write() as conn:
        conn.execute("UPDATE audio_tags SET version = 'musicnn-0.0.9/old'")
        before = dict(conn.execute("SELECT item_id, analyzed_at FROM audio_features").fetchall())
    report = lib.analyze()
    conn = lib.store.reader()
    assert report["failed"] == 0 and report["analyzed"] == 4 and report["tagged"] == 3
    assert dict(conn.execute("SELECT item_id, analyzed_at FROM audio_features").fetchall()) == before
    assert {r[0] for r in conn.execute("SELECT version FROM audio_tags")} == {tg.TAGS_VERSION}
    assert lib.analyze()["analyzed"] == 0  # and then nothing is left to do


@needs_tagger
def test_a_moved_reference_redescribes_the_tagged_items_from_the_stored_json(tagged, monkeypatch):
    from core.db import features as db

    lib, _ = tagged
    ids = _ids(lib)
    conn = lib.store.reader()
    chords = ids["chords.wav"]
    import core.analysis.queue as analysis_queue

    assert db.audio_tags_of(conn, chords) is not None
    with lib.store.write() as wconn:  # a reference where every tag is rare: each one above P_MIN stands out
        stats = {m: {tag: [0.0, 0.01] for tag in db.tag_reference(conn)["stats"][m]} for m in ("mtt", "msd")}
        db.write_tag_reference(wconn, tg.TAGS_VERSION, 10_000, stats, 4e9)  # newer than every descriptor
    monkeypatch.setattr(analysis_queue, "refresh_reference", lambda conn, now: False)  # keep this reference
    report = lib.analyze()
    assert report["analyzed"] == 0 and report["described"] >= 3  # no decoding: phrases from the stored JSON
    phrases = db.phrases_of(lib.store.reader(), chords)
    confidence = db.phrase_confidence_for(lib.store.reader(), [chords])[chords]
    assert set(confidence) <= set(phrases) and confidence  # every tag above P_MIN now stands out, capped per family


@needs_tagger
def test_without_the_tagger_the_analysis_stands_and_says_what_it_measured(tmp_path, monkeypatch):
    import core.analysis.queue as analysis_queue
    from core.library import Library
    from tests.analysis import signals

    monkeypatch.setattr(analysis_queue, "tagging_available", lambda: False)
    (tmp_path / "m").mkdir()
    signals.write_wav(tmp_path / "m" / "chords.wav", signals.chord_progression(seconds_each=2.5))
    lib = Library(tmp_path / "data")
    try:
        lib.scan([str(tmp_path / "m")])
        report = lib.analyze()
        conn = lib.store.reader()
        assert report["analyzed"] == 1 and report["tagged"] == 0
        assert conn.execute("SELECT COUNT(*) FROM audio_tags").fetchone()[0] == 0
        audio = json.loads(conn.execute("SELECT features FROM audio_features").fetchone()[0])
        cls = conn.execute("SELECT class FROM item_classes").fetchone()[0]
        assert json.loads(conn.execute("SELECT phrases FROM descriptors").fetchone()[0]) == describe(audio, None, cls)
    finally:
        lib.close()
