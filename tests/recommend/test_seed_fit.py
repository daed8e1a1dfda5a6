"""Picks fit the seed (issue 14): the seed's kind, a Radio that stays near its seed over its length, and one
rule for "Because you played X"."""

from __future__ import annotations

import time

import numpy as np

from core.models import FAILED, PlayEvent
from core.recommend import engine
from tests.recommend.helpers import DAY, add_item, play_session, set_audio_vector


def _embed(lib, item_id: int, vec) -> None:
    from core.embed.store import model_name

    v = np.asarray(vec, np.float32)
    v /= np.linalg.norm(v)
    with lib.store.write() as conn:
        conn.execute("INSERT OR REPLACE INTO embeddings (item_id, model, dim, text_hash, vector, updated_at) "
                     "VALUES (?, ?, ?, '', ?, ?)", (item_id, model_name(lib), len(v), v.tobytes(), time.time()))


def test_more_like_radio_and_because_stay_with_the_seeds_kind(library):
    songs = [add_item(library, f"Song {n}", "Band") for n in range(6)]
    films = [add_item(library, f"Film {n}", "", kind="video") for n in range(6)]
    e = np.eye(8)
    for n, i in enumerate(songs + films):  # songs and films described alike: text alone would mix them
        _embed(library, i, e[0] + 0.2 * e[1 + n % 5])
    t = time.time() - 10 * DAY
    for r in range(4):  # and watched and listened to in the same sessions
        play_session(library, [songs[0], films[0], songs[1], films[1], songs[2], films[2]], t + r * DAY)
    for seed, kind in ((songs[0], "audio"), (films[0], "video")):
        for mode in ("more-like", "radio", "because"):
            recs = library.recommend(seed=seed, mode=mode, limit=8)
            assert recs, (mode, kind)
            assert {r.item.kind for r in recs} == {kind}, (mode, kind, [r.item.title for r in recs])
    fits = library.recommend(seed=films[0], mode="fits-video", limit=8)  # the one explicit crossing
    assert fits and {r.item.kind for r in fits} == {"audio"}


def _gradient_library(lib, n: int = 60):
    """A seed, n songs at growing angles from it, and a taste far from it (played a lot)."""
    rng = np.random.default_rng(3)
    seed = add_item(lib, "Seed", "Nobody")
    set_audio_vector(lib, seed, np.eye(16)[0], {"tempo": 100.0})
    ids = []
    for k in range(n):
        angle = np.pi * k / (n - 1)  # 0 (the seed) .. pi (its opposite)
        v = np.cos(angle) * np.eye(16)[0] + np.sin(angle) * np.eye(16)[1] + 0.05 * rng.standard_normal(16)
        i = add_item(lib, f"Song {k}", f"Artist {k % 7}")
        set_audio_vector(lib, i, v, {"tempo": 100.0})
        ids.append(i)
    far = ids[-8:]  # the user's habit lives at the far end
    for r in range(6):
        play_session(lib, far, time.time() - (20 - r) * DAY)
    play_session(lib, [seed], time.time() - 3600)
    return seed, ids


def _seed_sims(lib, seed: int, picks: list[int]) -> list[float]:
    """Cosine to the seed of the centred, normalised audio vectors (as stored, computed here)."""
    conn = lib.store.reader()
    rows = {r[0]: np.frombuffer(r[1], np.float32) for r in conn.execute(
        "SELECT item_id, vector FROM audio_features WHERE vector IS NOT NULL")}
    M = np.stack(list(rows.values()))
    mean = M.mean(axis=0)
    unit = {i: (v - mean) / np.linalg.norm(v - mean) for i, v in rows.items()}
    return [float(unit[seed] @ unit[j]) for j in picks]


def test_radio_keeps_its_coherence_over_the_queue(library, monkeypatch):
    seed, _ = _gradient_library(library)
    picks = [r.item.id for r in library.recommend(seed=seed, mode="radio", limit=30)]
    sims = _seed_sims(library, seed, picks)
    assert len(picks) >= 20
    head, tail = sims[:10], sims[10:30]
    assert min(sims) >= engine.RADIO_MIN_SIM - 1e-6, sims  # no pick drifts past the bound
    assert np.mean(tail) >= 0.5 and np.mean(head) - np.mean(tail) < 0.35, (np.mean(head), np.mean(tail))
    # the bound is what does it: without it the taste pulls the queue to the far end
    monkeypatch.setattr(engine, "_radio_bound", lambda *a, **k: None)
    unbounded = _seed_sims(library, seed, [r.item.id for r in library.recommend(seed=seed, mode="radio", limit=30)])
    assert min(unbounded) < engine.RADIO_MIN_SIM and np.mean(unbounded[10:30]) < np.mean(tail)


def test_because_you_played_has_one_rule_for_the_shelf_and_the_cli(library):
    a, b, c, lonely = (add_item(library, f"T{n}", "Band") for n in range(4))
    others = [add_item(library, f"O{n}", "Band") for n in range(4)]
    for i in (a, b, c, *others):
        set_audio_vector(library, i, np.random.default_rng(i).standard_normal(8))
    t = time.time() - 4 * 3600
    play_session(library, [a, *others[:2]], t)
    play_session(library, [b], t + 3600)                       # the latest real play
    play_session(library, [c], t + 7200, skipped={c})          # a skip after it: not "played"
    library.record_play(PlayEvent(item_id=others[3], started_at=t + 7300, seconds=0.0, outcome=FAILED))
    assert engine.because_seed(library, "default") == (b, "T1")
    recs = library.recommend(mode="because", limit=5)           # `recommend --mode because`
    assert recs and all(x.detail["item"] == b for r in recs for x in r.reasons if x.kind == "because_you_played")
    play_session(library, [lonely], t + 9000)  # newer, but nothing near it (no vector, no co-plays)
    assert engine.because_seed(library, "default") == (b, "T1")


def test_radio_from_a_calm_seed_queues_no_driving_track(library, monkeypatch):
    """The audio vector is mostly timbre: a loud, driving track can sit as close to a still seed as another
    still one. Radio keeps within RADIO_MAX_MOOD_GAP of the seed's fused mood (core.tag_language.moods)."""
    seed, ids = _gradient_library(library)
    still = {"loudness_lufs": -30.0, "onset_rate": 0.3, "tempo": 100.0}
    driving = {"loudness_lufs": -8.0, "onset_rate": 4.0, "tempo_bpm": 150.0, "beat_strength": 0.5}
    conn = library.store.reader()
    vectors = {r[0]: np.frombuffer(r[1], np.float32) for r in conn.execute(
        "SELECT item_id, vector FROM audio_features")}
    loud = set(ids[1:30:2])  # every other near neighbour of the seed drives
    for i in [seed, *ids]:
        set_audio_vector(library, i, vectors[i], driving if i in loud else still)
    picks = [r.item.id for r in library.recommend(seed=seed, mode="radio", limit=30)]
    assert len(picks) >= 10 and not loud & set(picks), sorted(loud & set(picks))
    monkeypatch.setattr(engine, "RADIO_MAX_MOOD_GAP", 99.0)  # the bound is what does it
    assert loud & {r.item.id for r in library.recommend(seed=seed, mode="radio", limit=30)}
