"""Scripted histories whose right answers are obvious."""

from __future__ import annotations

import json
import time

import numpy as np

from core.recommend.neighbours import rebuild
from tests.recommend.helpers import DAY, add_item, play_session, set_audio_vector, two_habits

KINDS = {"co_played", "because_you_played", "similar_sound", "similar_look", "similar_text", "matches_query",
         "liked", "popular_with_you", "not_played_lately", "same_artist", "fresh", "skip_penalty", "disliked", "same_playlist"}


def test_two_disjoint_habits_are_followed(library):
    a, b = two_habits(library)
    play_session(library, a[:2], time.time() - 3600, profile="alice")
    play_session(library, b[:2], time.time() - 3600, profile="bob")
    for profile, own, other in (("alice", a, b), ("bob", b, a)):
        recs = library.recommend(mode="for-you", limit=4, profile=profile)
        ids = [r.item.id for r in recs]
        assert len(ids) == 4 and set(ids[:3]) <= set(own), (profile, ids)
        assert not set(ids[:3]) & set(other)
    more = [r.item.id for r in library.recommend(seed=a[0], mode="more-like", limit=3, profile="bob")]
    assert len(more) == 3 and set(more) <= set(a[1:]), more  # bob never played Alpha: the seed's habit leads


def test_neighbours_update_incrementally(library):
    x, y, z = (add_item(library, f"T{n}", "Solo") for n in range(3))
    play_session(library, [x, y], time.time())
    conn = library.store.reader()
    assert conn.execute("SELECT count FROM item_neighbours WHERE item_id = ? AND neighbour_id = ?",
                        (x, y)).fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM item_neighbours WHERE item_id = ?", (z,)).fetchone()[0] == 0
    play_session(library, [x, y], time.time() + 7200)
    assert conn.execute("SELECT count FROM item_neighbours WHERE item_id = ? AND neighbour_id = ?",
                        (y, x)).fetchone()[0] == 2
    report = rebuild(library)  # the full rebuild agrees on who neighbours whom
    assert report["items"] == 2
    assert conn.execute("SELECT COUNT(*) FROM item_neighbours WHERE item_id = ? AND neighbour_id = ?",
                        (x, y)).fetchone()[0] == 1


def test_skipped_every_time_sinks(library):
    a, _ = two_habits(library)
    now = time.time() - 10 * DAY
    for r in range(4):  # alice always skips a[2]
        play_session(library, a[:2], now + r * DAY, profile="alice")
        play_session(library, [a[2]], now + r * DAY + 600, profile="alice", skipped={a[2]})
    recs = library.recommend(mode="for-you", limit=6, profile="alice")
    ids = [r.item.id for r in recs]
    assert a[3] in ids[:3] and a[4] in ids[:4]
    assert a[2] not in ids[:4]
    [sunk] = [r for r in recs if r.item.id == a[2]]  # still offered, below the rest, and it says why
    assert any(x.kind == "skip_penalty" and x.weight < 0 for x in sunk.reasons)


def test_never_played_sound_alike_surfaces(library):
    a, b = two_habits(library)
    rng = np.random.default_rng(0)
    base_a, base_b = np.eye(16)[0], np.eye(16)[1]
    for i in a:
        set_audio_vector(library, i, base_a + 0.1 * rng.standard_normal(16), {"tempo": 92.0})
    for i in b:
        set_audio_vector(library, i, base_b + 0.1 * rng.standard_normal(16), {"tempo": 140.0})
    twin = add_item(library, "Unheard twin", "Nobody")
    other = add_item(library, "Unheard other", "Somebody")
    set_audio_vector(library, twin, base_a + 0.05 * rng.standard_normal(16), {"tempo": 94.0})
    set_audio_vector(library, other, base_b + 0.05 * rng.standard_normal(16), {"tempo": 141.0})
    play_session(library, a[:3], time.time() - 3600, profile="alice")
    recs = library.recommend(mode="for-you", limit=5, profile="alice")
    ids = [r.item.id for r in recs]
    assert twin in ids[:4] and other not in ids[:4]
    why = {x.kind: x for x in recs[ids.index(twin)].reasons}
    assert "similar_sound" in why and "fresh" in why
    assert why["similar_sound"].detail["to"] in a
    assert why["similar_sound"].detail["features"]["tempo"][0] == 94.0


def test_reasons_are_typed_and_serialisable(library):
    a, b = two_habits(library)
    play_session(library, a[:2], time.time() - 3600, profile="alice")
    library.rate(a[3], "like", "alice")
    for mode, seed in (("for-you", None), ("more-like", a[0]), ("radio", a[0]), ("because", None)):
        recs = library.recommend(seed=seed, mode=mode, limit=5, profile="alice")
        assert recs, mode
        for r in recs:
            assert r.reasons, (mode, r.item.title)
            for x in r.reasons:
                assert x.kind in KINDS
                json.dumps(x.to_dict())
    co = [x for r in library.recommend(mode="for-you", limit=5, profile="alice") for x in r.reasons
          if x.kind == "co_played"]
    assert co and {"with", "with_title", "count"} <= set(co[0].to_dict())


def test_disliked_items_never_recommended(library):
    a, _ = two_habits(library)
    play_session(library, a[:2], time.time() - 3600, profile="alice")
    library.rate(a[3], "dislike", "alice")
    assert a[3] not in [r.item.id for r in library.recommend(mode="for-you", limit=10, profile="alice")]


def test_cli_play_rate_recommend(library, data_dir, capsys):
    from core.cli import main

    a, _ = two_habits(library)
    base = ["--data-dir", str(data_dir)]
    assert main(base + ["play", str(a[0]), "--at", "2026-01-01T10:00:00", "--profile", "cli"]) == 0
    assert main(base + ["play", str(a[1]), "--at", "2026-01-01T10:04:00", "--profile", "cli", "--json"]) == 0
    assert main(base + ["rate", str(a[2]), "like", "--profile", "cli"]) == 0
    capsys.readouterr()
    assert main(base + ["recommend", "--profile", "cli", "--limit", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 3 and set(out[0]) == {"id", "title", "artist", "kind", "score", "reasons"}
    assert main(base + ["recommend", "--mode", "more-like", "--json"]) == 2  # needs a seed
    stats = library.stats()
    assert stats["ratings"] == 1 and stats["profiles"] >= 2
    shown = library.show(a[0])
    assert shown["history"]["co_played"]


def _embed(lib, item_id: int, vec) -> None:
    """Store a text vector under the configured model (the only one the recommender reads)."""
    from core.embed.store import model_name

    v = np.asarray(vec, np.float32)
    v /= np.linalg.norm(v)
    with lib.store.write() as conn:
        conn.execute("INSERT OR REPLACE INTO embeddings (item_id, model, dim, text_hash, vector, updated_at) "
                     "VALUES (?, ?, ?, '', ?, ?)", (item_id, model_name(lib), len(v), v.tobytes(), time.time()))


def test_fits_video_matches_by_text(library):
    calm = add_item(library, "Slow piano", "Quiet", genre="ambient")
    loud = add_item(library, "Drum storm", "Loud", genre="drum and bass")
    film = add_item(library, "Rainy afternoon", "", kind="video")
    e = np.eye(8)
    _embed(library, calm, e[0] + 0.1 * e[2])
    _embed(library, loud, e[1])
    _embed(library, film, e[0])
    recs = library.recommend(seed=film, mode="fits-video", limit=2)
    assert [r.item.id for r in recs][0] == calm
    assert all(r.item.kind == "audio" for r in recs)
    assert recs[0].reasons[0].kind == "matches_query"


def test_because_and_radio(library):
    a, b = two_habits(library)
    play_session(library, [a[0], a[0], a[0], a[1]], time.time() - 3600, profile="alice")
    recs = library.recommend(mode="because", limit=3, profile="alice")
    kinds = {x.kind for r in recs for x in r.reasons}
    assert "because_you_played" in kinds
    radio = [r.item.id for r in library.recommend(seed=b[0], mode="radio", limit=4, profile="alice")]
    assert len(radio) == 4 and set(radio[:3]) <= set(b[1:]), radio  # the seed's habit, not alice's Alpha songs


def test_for_you_brings_something_new_and_never_explains_an_item_by_itself(library):
    a, _ = two_habits(library)
    rng = np.random.default_rng(1)
    for i in a:
        set_audio_vector(library, i, np.eye(16)[0] + 0.1 * rng.standard_normal(16), {"tempo": 92.0})
    play_session(library, a[:3], time.time() - 600, profile="alice")  # just now
    recs = library.recommend(mode="for-you", limit=5, profile="alice")
    assert recs and not {r.item.id for r in recs} & set(a[:3])
    for r in recs:
        for x in r.reasons:
            for key in ("to", "with", "item"):
                assert x.detail.get(key) != r.item.id, (r.item.title, x.to_dict())


def test_a_track_on_repeat_does_not_take_over_for_you(library):
    a, b = two_habits(library)
    start = time.time() - 30 * DAY
    for r in range(40):  # alice had one Alpha song on repeat for weeks...
        play_session(library, [a[0]], start + r * 0.6 * DAY, profile="alice")
    play_session(library, b[:2], time.time() - 3 * DAY, profile="alice")  # ...and liked two Beta songs
    play_session(library, b[:2], time.time() - 2 * DAY, profile="alice")
    recs = library.recommend(mode="for-you", limit=6, profile="alice")
    ids = [r.item.id for r in recs]
    # the two Beta songs still speak: their co-played Beta songs lead, next to the repeated one's Alpha songs
    assert len(set(ids[:4]) & set(b[2:])) >= 2, [r.item.title for r in recs]
    assert set(ids[:6]) & set(a[1:])
