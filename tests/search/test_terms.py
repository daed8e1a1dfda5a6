"""Exact term matching: an item's first-listed genre counts most, and the tags its best matches share
bring in items that never say the query word."""

from __future__ import annotations

import time

from core.db import terms
from core.search.engine import search
from core.search.fusion import RankParams


def test_tag_terms_keep_the_order_and_drop_repeats():
    got = terms.tag_terms("Rock; Pop / rock", [("style", "Indie, Rock"), ("mood", "Calm"), ("comment", "ripped")])
    assert got == ["rock", "pop", "indie", "calm"]
    assert terms.phrase_terms(["fast cuts", "Fast cuts", "", "x"]) == ["fast cuts"]


def _library(library, rows):
    """Items straight into SQLite (no files), then item_terms the way the migration fills them."""
    now = time.time()
    with library.store.write() as conn:
        for i, (title, genre) in enumerate(rows, 1):
            conn.execute("INSERT INTO items (id, path, dir, filename, ext, kind, size, mtime_ns, status, title, "
                         "artist, genre, added_at, updated_at) VALUES (?, ?, '/t', ?, 'ogg', 'audio', 0, 0, 'ok', "
                         "?, 'Someone', ?, ?, ?)", (i, f"/t/{i}", str(i), title, genre, now, now))
            conn.execute("INSERT INTO items_fts (rowid, title, artist, album, genre, tags, sidecar) "
                         "VALUES (?, ?, 'Someone', '', ?, '', '')", (i, title, genre))
        terms.rebuild(conn)


def test_first_listed_genre_ranks_first(library):
    _library(library, [("Fifth", "pop, jazz, soul, funk, rock"), ("First", "rock, pop, jazz, soul, funk"),
                       ("Punk", "punk rock"), ("None", "ambient")])
    got = [h.item.title for h in search(library, "rock", limit=10)]
    assert got.index("First") < got.index("Fifth")
    assert "None" not in got


def test_feedback_finds_neighbours_that_never_say_the_word(library):
    _library(library, [("A", "shoegaze, dream pop"), ("B", "shoegaze, dream pop, noise"),
                       ("C", "dream pop, ethereal"), ("D", "death metal"), ("E", "ethereal wave")])
    hits = search(library, "shoegaze", limit=10)
    got = [h.item.title for h in hits]
    assert got[:2] in (["A", "B"], ["B", "A"])
    assert "C" in got and "D" not in got
    assert "dream pop" in hits[got.index("C")].reasons[0].detail["related_terms"]
    plain = [h.item.title for h in search(library, "shoegaze", limit=10, params=RankParams(feedback=0.0))]
    assert "C" not in plain  # without feedback only the items that carry the word


def test_scan_and_rescan_keep_item_terms_current(library, tmp_path):
    from tests.media import make_library

    make_library(tmp_path / "m")
    library.scan([str(tmp_path / "m")])
    conn = library.store.reader()
    rows = conn.execute("SELECT i.genre, t.position, t.term FROM item_terms t JOIN items i ON i.id = t.item_id "
                        "WHERE t.source = 0 ORDER BY t.item_id, t.position").fetchall()
    assert rows
    for genre, position, term in rows:  # the genre field's own terms come first, in its order
        if position < len(terms.split_terms(genre)):
            assert terms.split_terms(genre)[position] == term
    every = "SELECT item_id, source, position, term FROM item_terms ORDER BY 1, 2, 3"
    before = [tuple(r) for r in conn.execute(every)]
    with library.store.write() as w:
        terms.rebuild(w)  # the migration's backfill agrees with what the scanner wrote
    assert [tuple(r) for r in conn.execute(every)] == before
