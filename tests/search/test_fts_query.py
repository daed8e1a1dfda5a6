"""FTS5 queries are built from free text in one place, and user text never reaches FTS5 as syntax."""

from __future__ import annotations

from core.db import search as fts
from core.text import split_terms


def test_filter_box_query_is_word_prefixes_only():
    assert fts.fts_query('Paper "boats*') == '"paper"* "boats"*'
    assert fts.fts_query('NEAR(a b) OR title: x') == '"near"* "a"* "b"* "or"* "title"* "x"*'
    assert fts.fts_query('" - *') is None and fts.fts_query("") is None
    assert len(fts.fts_query(" ".join(f"w{i}" for i in range(50))).split()) == fts.MAX_PREFIX_WORDS


def test_prefix_and_phrase_queries_find_the_item(library, tmp_path):
    from tests.media import make_library

    make_library(tmp_path / "m")
    library.scan([str(tmp_path / "m")])
    conn = library.store.reader()
    boats = library.item_row(str(tmp_path / "m" / "Music" / "Loose" / "Mina Roe - Paper Boats.wav"))["id"]
    assert list(fts.bm25(conn, fts.fts_query("pap boa"), 5, (1.0,) * 6)) == [boats]
    assert list(fts.bm25(conn, fts.match_any(["boats", "no such word"]), 5, (1.0,) * 6)) == [boats]
    assert fts.doc_frequency(conn, ["ambient", "nowhere"]) == {"ambient": 2, "nowhere": 0}


def test_one_tag_splitter():
    assert split_terms("Rock; Pop / Indie|Hip-Hop, x") == ["rock", "pop", "indie", "hip-hop"]
    assert split_terms(None) == [] and split_terms(" ; ") == []
