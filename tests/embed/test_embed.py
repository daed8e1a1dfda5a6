"""Embedding stage: every item embedded once, only changes re-embedded, model switches handled, clear errors."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from core.cli import main as cli_main
from core.embed.description import compose
from core.embed.encoder import ModelError, bundled_model_path
from core.embed.index import VectorIndex


def test_every_ok_item_gets_a_normalised_vector(embedded):
    lib, _, report = embedded
    assert report["embedded"] == 5 and report["model"] == "all-MiniLM-L6-v2" and report["dim"] == 384
    rows = lib.store.query("SELECT vector, dim, text_hash, model FROM embeddings")
    assert len(rows) == 5 and lib.stats()["embedded"] == 5
    for r in rows:
        v = np.frombuffer(r["vector"], np.float32)
        assert v.shape == (384,) and abs(float(np.linalg.norm(v)) - 1) < 1e-4 and len(r["text_hash"]) == 40


def test_only_changed_items_are_re_embedded(embedded):
    lib, files, _ = embedded
    assert lib.embed()["embedded"] == 0
    item = lib.item_row(str(files["flac"]))["id"]
    with lib.store.write() as conn:  # the analysis stage writes its phrases
        conn.execute("INSERT OR REPLACE INTO descriptors (item_id, version, phrases, description, updated_at) "
                     "VALUES (?, 1, ?, '', ?)", (item, json.dumps(["slow", "bright", "birdsong"]), time.time()))
    report = lib.embed()
    assert report["embedded"] == 1 and report["unchanged"] == 4
    assert lib.search("birdsong")[0].item.id == item  # the index in memory was updated in place
    assert lib.embed()["embedded"] == 0


def test_switching_model_re_embeds_without_touching_analysis(embedded, tmp_path):
    lib, _, _ = embedded
    other = tmp_path / "my-minilm"
    other.symlink_to(bundled_model_path(), target_is_directory=True)
    lib.save_settings(embedding_model=str(other))
    try:
        report = lib.embed()
        assert report["model"] == "my-minilm" and report["embedded"] == 5
        assert lib.stats()["embedded"] == 5 and titles_first(lib, "bike ride video") == "Mountain Bike Ride"
    finally:
        lib.save_settings(embedding_model="")
    assert lib.embed()["embedded"] == 0  # switching back: the old vectors are still there


def titles_first(lib, query):
    return lib.search(query)[0].item.title


def test_a_bad_model_folder_is_a_clear_error(embedded, tmp_path, capsys):
    lib, _, _ = embedded
    lib.save_settings(embedding_model=str(tmp_path / "not-a-model"))
    try:
        with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
            lib.embed()
        assert cli_main(["--data-dir", str(lib.paths.data_dir), "embed"]) == 2
        assert "not a sentence-transformers model folder" in capsys.readouterr().err
    finally:
        lib.save_settings(embedding_model="")


def test_cancel_stops_between_batches(embedded):
    from core.models import CancelToken

    lib, _, _ = embedded
    token = CancelToken()
    token.cancel()
    with lib.store.write() as conn:
        conn.execute("DELETE FROM embeddings")
    try:
        report = lib.embed(cancel=token)
        assert report["cancelled"] and report["embedded"] == 0 and report["pending"] == 5
    finally:
        assert lib.embed()["embedded"] == 5


def test_description_text():
    row = {"title": "Dawn", "artist": "Aurora", "album": "First Light", "genre": "Ambient", "year": 1987,
           "kind": "audio"}
    text = compose(row, [("composer", "J. Doe"), ("musicbrainz_trackid", "f0e1"), ("bpm", "96")],
                   ["1\n00:00:01,000 --> 00:00:02,000\n<i>Hello</i> there"], ["slow", "bright"])
    assert text.startswith("Dawn by Aurora. First Light. Ambient. 1987. song, music. slow, bright. J. Doe")
    assert "f0e1" not in text and "96" not in text and "-->" not in text and "Hello there" in text


def test_index_add_replace_remove_and_filter():
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(50, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = VectorIndex()
    index.add(list(range(100, 150)), vecs, [1] * 25 + [2] * 25)
    ids, sims = index.search(vecs[3], 3)
    assert ids[0] == 103 and sims[0] == pytest.approx(1.0, abs=1e-5)
    index.remove([103, 149])
    assert len(index) == 48 and 103 not in index and 103 not in index.search(vecs[3], 48)[0]
    index.add([148], vecs[:1])  # replace keeps one row per id
    assert len(index) == 48 and index.search(vecs[0], 2)[0].tolist()[:2] in ([100, 148], [148, 100])
    assert set(index.search(vecs[40], 48, kind=1)[0].tolist()) <= set(range(100, 125))
    exact = (index.matrix @ vecs[7]).max()
    assert index.search(vecs[7], 1)[1][0] == pytest.approx(exact)
