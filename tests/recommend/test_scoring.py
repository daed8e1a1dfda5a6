"""The shared CF/scoring pieces that both the product and bench/recsys_eval.py use."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from core.db.items import items_by_ids
from core.recommend.cf import CFParams, item_item, rank_weights
from core.recommend.content import audio_facts, descriptor_words
from core.recommend.scoring import fresh_bar, top_n, whiten
from tests.recommend.helpers import add_item, set_audio_vector


def test_play_counts_become_rank_weights():
    plays = sp.csr_matrix(np.array([[900, 3, 1, 0], [2, 2, 2, 2]], np.float32))
    w = rank_weights(plays, floor=0.5).toarray()
    # a track on repeat weighs the most, but only twice the least played one, not 900x
    assert w[0, 0] == 1.0 and w[0, 2] == np.float32(0.5 + 0.5 / 3) and w[0, 3] == 0.0
    assert w[0, 0] > w[0, 1] > w[0, 2]
    assert np.all(w[1] == 1.0)  # a session (each item once) is unchanged


def test_popularity_debiasing_lets_the_niche_companion_through():
    # item 1 was played 6 times with item 0, which is in nearly every basket, and 3 times with the
    # niche item 2 (which is in only 5 baskets): for someone who plays item 1, item 2 is the better tip
    rows = [[1, 1, 0, 0, 0]] * 6 + [[0, 1, 1, 0, 0]] * 3 + [[1, 0, 0, 1, 0]] * 40 + [[1, 0, 0, 0, 1]] * 40
    X = sp.csr_matrix(np.array(rows + [[0, 0, 1, 0, 0]] * 2, np.float32))
    plain = item_item(X, CFParams(method="ease", k=4, l2=1.0)).toarray()
    debiased = item_item(X, CFParams(method="ease", k=4, l2=1.0, pop_beta=0.5)).toarray()
    assert plain[1, 0] > plain[1, 2]
    assert debiased[1, 2] > debiased[1, 0]
    assert np.array_equal(plain != 0, debiased != 0)  # the same neighbours, re-weighted


def test_whitening_stops_a_shared_direction_making_everything_alike():
    rng = np.random.default_rng(0)
    common = rng.standard_normal(32)
    topics = rng.standard_normal((4, 32))
    items = np.array([5 * common + topics[t] + 0.1 * rng.standard_normal(32) for t in range(4) for _ in range(50)])
    raw = items / np.linalg.norm(items, axis=1, keepdims=True)
    w = whiten(items, ridge=1.0, min_rows=100)
    same, other = (0, 1), (0, 60)  # two items of topic 0; an item of topic 0 and one of topic 1
    assert raw[other[0]] @ raw[other[1]] > 0.9     # unrelated items look alike: both are "a film"
    assert w[other[0]] @ w[other[1]] < 0.3
    assert w[same[0]] @ w[same[1]] > 0.8
    assert np.allclose(np.linalg.norm(w, axis=1), 1.0, atol=1e-5)
    # a tiny library keeps plain cosine: centring two similar songs would make them opposites
    small = whiten(items[:2], ridge=1.0)
    assert np.allclose(small, raw[:2], atol=1e-6)
    # a small one (too few rows for a covariance) is centred: the shared direction no longer makes two
    # unrelated items alike, so the text space cannot outvote the sound in a fused "more like this"
    few = whiten(items[::5], ridge=1.0, min_rows=100)  # 40 items, 10 per topic
    assert raw[0] @ raw[50] > 0.9 and few[0] @ few[10] < 0.3
    assert few[0] @ few[1] > 0.8
    assert abs(float((few @ few.T).mean())) < 0.05


def test_fresh_slot_needs_a_stronger_candidate_for_a_longer_history():
    # items 0-9 played (regular picks, 0 best), 10 never played; profile A has 1 item, profile B 20
    n_items = 40
    played = np.ones(n_items, bool)
    played[10] = False
    total = np.tile(-np.arange(n_items, dtype=np.float32), (2, 1))
    cold = np.zeros((2, n_items), np.float32)
    cold[:, 10] = 0.5
    exclude = sp.csr_matrix((np.ones(21), ([0] + [1] * 20, [39] + list(range(20, 40)))), shape=(2, n_items))
    assert np.diff(exclude.indptr).tolist() == [1, 20]
    # no history weight: one bar for both, the never-played item takes the 10th slot of both
    out = top_n(total, cold, exclude, played, 10, 1, fresh_min=0.4)
    assert out[0, 9] == 10 and out[1, 9] == 10
    # bar = 0.2 + 0.2 * log(1 + n): 0.34 for the short history, 0.81 for the long one
    assert np.allclose(fresh_bar(0.2, 0.2, [1, 20]), 0.2 + 0.2 * np.log1p([1, 20]))
    out = top_n(total, cold, exclude, played, 10, 1, fresh_min=0.2, fresh_history=0.2)
    assert out[0, 9] == 10
    assert 10 not in out[1].tolist() and out[1].tolist() == list(range(10))
    assert out[0, :9].tolist() == list(range(9))


def test_reads_of_many_ids_cross_the_chunk_size(library):
    ids = [add_item(library, f"Song {n}", f"Artist {n % 7}", genre="jazz, swing") for n in range(1203)]
    set_audio_vector(library, ids[-1], np.ones(8), {"tempo": 120.0})
    conn = library.store.reader()
    assert set(items_by_ids(conn, ids)) == set(ids)
    assert audio_facts(conn, ids) == {ids[-1]: {"tempo": 120.0}}
    words = descriptor_words(conn, ids)
    assert len(words) == 1203 and words[ids[0]] == {"jazz", "swing"} and words[ids[1202]] == {"jazz", "swing"}
