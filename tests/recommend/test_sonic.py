"""Sonic similarity (issue 13, items 3, 4 and 6): the audio vector joins the measured features with the tagger's
embeddings; "more like this", Radio and "music that fits this video" use it (a video's soundtrack is tagged
like music); the explain stage re-checks "sounds like" in the same space; "it sounds like jazz" is said only
when the item's stored descriptors carry the tag phrase."""

from __future__ import annotations

import shutil
import subprocess
import time

import numpy as np
import pytest

from core.db import features as db
from core.explain.checker import Grounding
from core.explain.evidence import build_evidence
from core.explain.templates import clauses, sound_clause
from core.models import Reason
from tests.recommend.helpers import add_item, set_audio_vector


def set_tags(lib, item_id: int, msd: np.ndarray, mtt: np.ndarray | None = None) -> None:
    with lib.store.write() as conn:
        db.write_audio_tags(conn, item_id, "test", {"piano": 0.5}, {"jazz": 0.5}, msd.astype(np.float32).tobytes(),
                            (mtt if mtt is not None else msd).astype(np.float32).tobytes(), 3, None, time.time())


def unit(rng: np.random.Generator, n: int = 200) -> np.ndarray:
    v = rng.standard_normal(n)
    return v / np.linalg.norm(v)


def cosine(rows: list[tuple[int, bytes]], a: int, b: int) -> float:
    ids = [r[0] for r in rows]
    M = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1).astype(np.float64)
    M -= M.mean(axis=0)
    M /= np.linalg.norm(M, axis=1, keepdims=True)
    return float(M[ids.index(a)] @ M[ids.index(b)])


@pytest.fixture
def sonic(library):
    """Twelve tracks with random feature vectors; 'twin' and 'lookalike' both measure somewhat like 'seed'
    ('lookalike' more so), but only 'twin' sounds like it to the tagger."""
    rng = np.random.default_rng(3)  # its own: the same library whichever tests run
    base = rng.standard_normal(20)
    ids = {}
    for n in range(9):
        ids[f"other{n}"] = add_item(library, f"Other {n}", f"Band {n}")
        set_audio_vector(library, ids[f"other{n}"], rng.standard_normal(20))
        set_tags(library, ids[f"other{n}"], unit(rng))
    sound = unit(rng)
    for name, vec, emb in (("seed", base, sound), ("twin", base + 0.6 * rng.standard_normal(20), sound + 0.05 * unit(rng)),
                           ("lookalike", base + 0.35 * rng.standard_normal(20), unit(rng))):
        ids[name] = add_item(library, name.title(), name.title())
        set_audio_vector(library, ids[name], vec)
        set_tags(library, ids[name], emb)
    return library, ids


def test_the_audio_vector_joins_features_and_both_embeddings(sonic):
    lib, ids = sonic
    conn = lib.store.reader()
    rows = db.sonic_vectors(conn)
    assert {len(r[1]) for r in rows} == {(20 + 200 + 200) * 4}
    features_only = db.sonic_vectors(conn, (1.0, 0.0, 0.0))
    assert cosine(features_only, ids["seed"], ids["lookalike"]) > cosine(features_only, ids["seed"], ids["twin"])
    assert cosine(rows, ids["seed"], ids["twin"]) > cosine(rows, ids["seed"], ids["lookalike"])
    assert db.feature_vectors(conn, "audio") == rows  # the one audio vector every stage reads


def test_an_item_without_tags_compares_by_its_features_alone(sonic):
    lib, ids = sonic
    plain = add_item(lib, "Untagged", "Nobody")
    set_audio_vector(lib, plain, np.random.default_rng(5).standard_normal(20))
    rows = dict(db.sonic_vectors(lib.store.reader()))
    vec = np.frombuffer(rows[plain], np.float32)
    assert np.all(vec[20:] == 0) and np.linalg.norm(vec[:20]) > 0


def test_new_tags_change_the_signature_the_recommender_caches_by(sonic):
    lib, ids = sonic
    before = db.feature_signature(lib.store.reader(), "audio")
    set_tags(lib, ids["other0"], unit(np.random.default_rng(6)))
    assert db.feature_signature(lib.store.reader(), "audio") != before


def test_more_like_this_follows_the_tagger_and_the_reason_survives_the_truth_check(sonic):
    from core.explain.truth import true_reasons

    lib, ids = sonic
    recs = lib.recommend(seed=ids["seed"], mode="more-like", limit=5)
    order = [r.item.id for r in recs]
    assert order[0] == ids["twin"], [r.item.title for r in recs]
    sound = [r for r in recs[0].reasons if r.kind == "similar_sound"]
    assert sound and sound[0].detail["to"] == ids["seed"]
    assert [r.kind for r in true_reasons(lib, ids["twin"], sound)] == ["similar_sound"]  # the same space


def test_music_that_fits_a_video_is_heard_through_its_soundtrack(sonic):
    lib, ids = sonic
    film = add_item(lib, "Film", "Studio", kind="video", duration=600.0)
    set_audio_vector(lib, film, np.frombuffer(dict(db.sonic_vectors(lib.store.reader(), (1, 0, 0)))[ids["twin"]],
                                              np.float32)[:20] + 0.01)
    set_tags(lib, film, np.frombuffer(lib.store.reader().execute(
        "SELECT embedding FROM audio_tags WHERE item_id = ?", (ids["twin"],)).fetchone()[0], np.float32).copy())
    recs = lib.recommend(seed=film, mode="fits-video", limit=5)
    assert recs and recs[0].item.kind == "audio" and recs[0].item.id in (ids["twin"], ids["seed"])
    assert any(r.kind == "similar_sound" and r.detail["to"] == film for r in recs[0].reasons)


def _evidence(descriptors: list[str]):
    reason = Reason("similar_sound", 0.6, {"to": 2, "to_title": "Blue Train", "similarity": 0.8})
    return build_evidence(1, {"kind": "audio", "title": "Moanin'"}, [reason], descriptors=descriptors)


def test_it_sounds_like_jazz_only_when_the_descriptors_carry_it():
    ev = _evidence(["jazz", "piano", "female vocals", "calm", "moderate 96 BPM"])
    assert sound_clause(ev) == "it sounds like jazz, with piano and female vocals"
    said = clauses(ev.reasons[0], ev)
    assert "it sounds like jazz, with piano and female vocals, close to Blue Train" in said
    assert Grounding(ev).check("Picked because it sounds like jazz, with piano and female vocals, close to "
                               "Blue Train.").ok
    plain = _evidence(["calm", "moderate 96 BPM"])
    assert sound_clause(plain) == "" and not any("jazz" in c for c in clauses(plain.reasons[0], plain))
    assert not Grounding(plain).check("Picked because it sounds like jazz, close to Blue Train.").ok


def _espeak(path, text: str, voice: str):
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True, timeout=60)
    return path


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_the_real_tagger_hears_speech_apart_from_music(tmp_path):
    import importlib.util

    if importlib.util.find_spec("musicnn") is None:
        pytest.skip("the musicnn package (MusiCNN weights) is not installed")
    from core.library import Library
    from tests.analysis import signals

    media = tmp_path / "media"
    media.mkdir()
    text = ("The river rose slowly through the night, and by morning the lower fields were under water, "
            "so the farmers moved their animals up to the hill beside the old stone bridge.")
    for n, voice in enumerate(("en", "en-us", "de")):
        _espeak(media / f"talk{n}.wav", text, voice)
    for n, bpm in enumerate((80, 100, 120)):
        chords = signals.chord_progression(seconds_each=60 / bpm * 4)
        y = np.tile(chords, 2)
        y[: len(y)] += 0.5 * signals.click_track(bpm, len(y) / signals.SR)[: len(y)]
        signals.write_wav(media / f"song{n}.wav", y.clip(-1, 1))
    lib = Library(tmp_path / "data")
    try:
        lib.scan([str(media)])
        assert lib.analyze()["tagged"] == 6
        conn = lib.store.reader()
        names = {r["id"]: r["filename"] for r in conn.execute("SELECT id, filename FROM items")}
        rows = db.sonic_vectors(conn, (0.0, 1.0, 1.0))  # the tagger's part alone
        for item_id, name in names.items():
            others = [i for i in names if i != item_id]
            nearest = max(others, key=lambda j: cosine(rows, item_id, j))
            assert names[nearest][:4] == name[:4], (name, names[nearest])
    finally:
        lib.close()
