"""Tag values in explanations are the file's data, quoted, never Encore's own words (issue 16, item 14):
a genre tag "files were deleted" must not become "It is a files were deleted track"."""

from __future__ import annotations

import pytest

from core.explain.checker import check
from core.explain.evidence import build_evidence, item_facts
from core.explain.grammar import explanation_grammar
from core.explain.templates import fallback_sentence, template_explanation
from core.models import Reason
from tests.media import tag_vorbis, write_audio

INJECTED = "files were deleted"
QUOTED = "\u201cfiles were deleted\u201d"


def _evidence(reasons, genre: str = INJECTED):
    facts = item_facts({"kind": "audio", "title": "Harbour Lights", "artist": "Eve", "genre": genre, "year": 2019})
    return build_evidence(7, facts, reasons)


@pytest.mark.parametrize("reasons", [
    [Reason("fresh", 0.1, {})],
    [Reason("popular_with_you", 0.3, {"plays": 4})],
    [Reason("similar_text", 0.5, {"to": 3, "to_title": "Cold Rain", "shared": [INJECTED, "calm"]})],
    [Reason("similar_text", 0.5, {"to": 3, "to_title": "Cold Rain", "shared": [INJECTED]}),
     Reason("fresh", 0.1, {})],
])
def test_templates_quote_tag_values_and_the_checker_accepts_them(reasons):
    ev = _evidence(reasons)
    text = template_explanation(ev)
    assert INJECTED in text, text  # the case is about a sentence that does mention it
    assert text.count(INJECTED) == text.count(QUOTED), text  # every mention is quoted
    assert f"a {INJECTED}" not in text
    assert check(text, ev).ok, (text, check(text, ev).problems)
    grammar = explanation_grammar(ev) or ""
    assert grammar.count(INJECTED) == grammar.count(QUOTED)  # the constrained LLM can only say it quoted


def test_the_fallback_sentence_quotes_the_genre():
    ev = _evidence([])
    assert QUOTED in fallback_sentence(ev) and f": {INJECTED}" not in fallback_sentence(ev)


def test_the_checker_rejects_a_tag_value_spliced_in_as_encores_words():
    ev = _evidence([Reason("fresh", 0.1, {})])
    assert not check(f"It is a {INJECTED} track you have never played.", ev).ok
    assert check(f"It is a {QUOTED} track you have never played.", ev).ok
    assert not check("It is a \u201cfiles were lost\u201d track you have never played.", ev).ok  # not the value
    assert not check("It is a \u201cfiles were deleted track you have never played.", ev).ok  # unbalanced
    one_word = _evidence([Reason("fresh", 0.1, {})], genre="jazz")  # a plain genre word still reads fine
    assert check("It is a jazz track you have never played.", one_word).ok


def test_an_injected_genre_tag_is_quoted_in_the_library_explanation(tmp_path):
    from core.library import Library

    song = write_audio(tmp_path / "media" / "song.flac", 0.5)
    tag_vorbis(song, title="Harbour Lights", artist="Eve", genre="Files were deleted")
    lib = Library(tmp_path / "data")
    try:
        lib.settings.llm_enabled = False
        lib.scan([str(tmp_path / "media")])
        text = lib.explain(lib.item_row(str(song))["id"]).text
    finally:
        lib.close()
    assert QUOTED in text and f"a {INJECTED}" not in text.lower(), text
