"""Query understanding: the rules turn everyday phrasing into filters, feature ranges and free text."""

from __future__ import annotations

import pytest

from core.search.intent import Intent, parse


@pytest.mark.parametrize("query, expected", [
    ("upbeat songs for running", {"kind": "audio", "words": ["upbeat", "running"]}),
    ("a sci-fi movie with space battles", {"kind": "video", "genres": ["sci-fi"],
                                           "words": ["sci-fi", "space", "battles"]}),
    ("80s rock I haven't played in a while", {"year_min": 1980, "year_max": 1989, "genres": ["rock"],
                                              "not_played_days": 30, "unplayed": False}),
    ("songs I haven't played", {"unplayed": True, "kind": "audio", "words": []}),
    ("music before 2000", {"kind": "audio", "year_max": 1999, "year_min": None}),
    ("films after 2010", {"kind": "video", "year_min": 2010}),
    ("jazz from 1990 to 1995", {"year_min": 1990, "year_max": 1995, "genres": ["jazz"]}),
    ("the sixties", {"year_min": 1960, "year_max": 1969}),
    ("1960s", {"year_min": 1960, "year_max": 1969, "words": ["1960s"]}),
    ("short video with a bike", {"kind": "video", "duration_max": 600.0, "words": ["bike"]}),
    ("short songs", {"kind": "audio", "duration_max": 240.0}),
    ("my favourites", {"favourites": True, "words": []}),
    ("dawn chorus by aurora band", {"artist": "aurora band"}),
    ("songs from the album first light", {"album": "first light", "kind": "audio"}),
])
def test_rules(query, expected):
    intent = parse(query)
    for key, value in expected.items():
        assert getattr(intent, key) == value, (key, intent)


def test_mood_words_become_feature_ranges_and_stay_searchable():
    fast = parse("energetic workout music")
    assert fast.features["tempo"][0] >= 110 and fast.features["energy"][0] > 0.5
    calm = parse("calm piano for studying")
    assert calm.features["tempo"][1] <= 110 and "piano" in calm.genres
    assert "calm" in calm.words  # a library may also tag things "calm"


def test_a_model_parser_plugs_in_and_falls_back():
    assert parse("x", parser=lambda q: Intent(query=q, source="llm", kind="video")).source == "llm"

    def broken(q):
        raise RuntimeError("model crashed")

    assert parse("rock songs", parser=broken).kind == "audio"


def test_mood_words_name_their_opposites_and_the_word_behind_each_feature():
    """"calm" is never found through "upbeat" (the text model puts antonyms close), and each feature range
    remembers the query word that asked for it, so a result line can say "In a minor key, for “sad”"."""
    from core.models import Reason
    from core.recommend.reason_lines import reason_line
    from core.search.intent import opposed_words

    calm = parse("calm relaxing music")
    assert {"upbeat", "energetic", "fast"} <= opposed_words(calm) and "calm" not in opposed_words(calm)
    assert "relaxing" in opposed_words(parse("upbeat workout songs"))
    assert "sad" in opposed_words(parse("happy songs")) and opposed_words(parse("jazz")) == set()
    assert opposed_words(parse("calm or energetic")) == set()  # asked for both: neither is ruled out
    sad = parse("sad songs")
    assert sad.feature_asked == {"valence": "sad"}
    line = reason_line(Reason("matches_query", 1.0, {"words": [], "features": {"valence": 0.2, "tempo": 90.0},
                                                        "asked": {"valence": "sad", "tempo": "slow"}}))
    assert line == "In a minor key, for “sad”; slow (90 BPM), for “slow”"
    assert reason_line(Reason("matches_query", 1.0, {"words": [], "features": {"valence": 0.2}})) \
        == "In a minor key, as you asked"  # a reason stored before the word was kept
