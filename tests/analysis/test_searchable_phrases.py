"""Analysis phrases ("calm", "fast cuts") are searchable words, and stay so through rescans."""

from __future__ import annotations

import json

from core.db.items import DESCRIPTOR_MARK
from tests.media import make_library, tag_vorbis


def _fts_hits(library, word: str) -> set[int]:
    return {r[0] for r in library.store.reader().execute(
        "SELECT rowid FROM items_fts WHERE items_fts MATCH ?", (f'"{word}"',))}


def test_phrases_join_the_lexical_index_once_and_survive_a_rescan(library, tmp_path):
    files = make_library(tmp_path / "media")
    library.scan([str(tmp_path / "media")])
    library.analyze()
    item = library.show(str(files["ogg"]))
    phrases = item["descriptors"]
    assert phrases, "the generated tone should be described"
    word = phrases[0].split()[0].strip(",").lower()
    assert item["id"] in _fts_hits(library, word)
    library.analyze()  # nothing to redo: phrases are not appended twice
    tags = library.store.reader().execute("SELECT tags FROM items_fts WHERE rowid = ?", (item["id"],)).fetchone()[0]
    assert tags.count(DESCRIPTOR_MARK) == 1
    tag_vorbis(files["ogg"], title="Noon Heat (Live)")
    library.scan()  # re-extracted: the old phrases stay searchable until the next analysis
    assert item["id"] in _fts_hits(library, word)
    assert json.dumps(library.show(item["id"])["title"]) == json.dumps("Noon Heat (Live)")
