"""One loader of content vectors: the search index and the recommender see the same items and model."""

from __future__ import annotations

import time

import numpy as np

from core.db.embeddings import load_vectors, write_vectors
from core.embed import store
from core.recommend import content


def _add(lib, title: str, kind: str = "audio", status: str = "ok") -> int:
    now = time.time()
    with lib.store.write() as conn:
        cur = conn.execute(
            "INSERT INTO items (path, dir, filename, ext, kind, size, mtime_ns, status, title, added_at, updated_at) "
            "VALUES (?, '/m', ?, '.flac', ?, 1, 1, ?, ?, ?, ?)", (f"/m/{title}.flac", f"{title}.flac", kind, status,
                                                                   title, now, now))
        return int(cur.lastrowid)


def test_index_and_recommender_read_the_same_vectors(library):
    song, film, gone, other = (_add(library, "Song"), _add(library, "Film", "video"),
                               _add(library, "Gone", status="missing"), _add(library, "Other model"))
    model = store.model_name(library)
    e = np.eye(4, dtype=np.float32)
    with library.store.write() as conn:
        write_vectors(conn, model, [(song, "h1", e[0]), (film, "h2", e[1]), (gone, "h3", e[2])], time.time())
        write_vectors(conn, "some-other-model", [(other, "h4", e[3])], time.time())
    stored = load_vectors(library.store.reader(), model)
    # a missing file's vector and another model's vector are in neither the index nor the recommender
    assert stored.ids.tolist() == [song, film] and stored.kinds == ["audio", "video"]
    assert stored.matrix.dtype == np.float32 and stored.matrix.shape == (2, 4)
    assert sorted(store.vector_index(library).ids.tolist()) == [song, film]
    assert sorted(content.vectors(library)["text"].ids.tolist()) == [song, film]
    assert load_vectors(library.store.reader(), model, kind="video").ids.tolist() == [film]
    assert library.stats()["embedded"] == 2
