"""The grounding checker: real SmolLM2 nonsense is rejected, faithful paraphrases are accepted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.explain.checker import check
from core.explain.evidence import build_evidence
from core.explain.templates import template_explanation
from core.models import Reason

DATA = Path(__file__).parent / "data" / "smollm2_outputs.json"

EVIDENCE = [
    build_evidence(5, {"kind": "audio", "title": "Battle of Kings", "artist": "Kara Voss", "genre": "soundtrack",
                       "year": 2010},
                   [Reason("because_you_played", 0.6, {"item": 3, "title": "Siege of Laurelmor", "plays": 12}),
                    Reason("similar_sound", 0.3, {"to": 3, "to_title": "Siege of Laurelmor",
                                                  "features": {"tempo": [128.4, 130.2]}, "similarity": 0.83})]),
    build_evidence(7, {"kind": "video", "title": "Mountain Bike Ride", "genre": "documentary", "year": 2019},
                   [Reason("similar_text", 0.5, {"to": 9, "to_title": "Alpine Descent",
                                                 "shared": ["cycling", "mountains"]}),
                    Reason("fresh", 0.1, {})]),
    build_evidence(8, {"kind": "audio", "title": "Dawn Chorus", "artist": "Aurora Band", "album": "First Light",
                       "genre": "ambient", "year": 1987},
                   [Reason("co_played", 0.5, {"with": 2, "with_title": "Noon Heat", "count": 7}),
                    Reason("liked", 0.3, {"item": 8, "title": "Dawn Chorus"})]),
]


def test_every_recorded_smollm2_output_is_rejected():
    outputs = json.loads(DATA.read_text(encoding="utf-8"))["outputs"]
    assert len(outputs) >= 20
    accepted = [o["text"] for o in outputs if check(o["text"], EVIDENCE[o["evidence"]]).ok]
    assert accepted == []


@pytest.mark.parametrize("text", [
    "I'm sorry for your loss.",
    "Battle of Kings is a classic rock song by Kara Voss.",  # wrong genre, made-up words
    "Because you played *Siege of Laurelmor* 15 times.",  # wrong number
    "Because you played *Siege of Laurelmor* 3 times.",  # 3 is the item id, not a count
    "Because you played *Siege of Laurelmor* once.",  # a count the evidence does not give
    "Because you played *Siege of Kings* 12 times.",  # spliced names
    "You played *Siege of Laurelmor* 12 times. You played *Siege of Laurelmor* 12 times.",  # loop
    "Because you played *Siege of Laurelmor* 12 times, you will love it.",  # chatter about the user
    "As an AI, I think you played *Siege of Laurelmor* 12 times.",
    "Because you liked *Siege of Laurelmor* and it is in your favourite key.",  # no liked reason, no key
    "It is a track you have never played.",  # no 'fresh' reason: a false claim
    "What about *Siege of Laurelmor*?",
    "Because.",
])
def test_nonsense_is_rejected(text):
    assert not check(text, EVIDENCE[0]).ok


def test_names_that_look_like_chatter_are_still_names():
    ev = build_evidence(1, {"kind": "audio", "title": "Toxicity", "artist": "System of a Down"},
                        [Reason("because_you_played", 0.5, {"item": 2, "title": "Who Are You?", "plays": 4}),
                         Reason("same_artist", 0.3, {"artist": "System of a Down"})])
    text = "Because you played *Who Are You?* 4 times. It is by *System of a Down* too."
    assert check(text, ev).ok
    from core.explain.checker import Grounding

    assert Grounding(ev).check_prefix("Because you played *Who Are You?* 4 times. It is by *System of").ok
    assert not check("Because you played *Who Are You?* 4 times. Sorry, the system is down.", ev).ok


@pytest.mark.parametrize(("index", "text"), [
    (0, "You played *Siege of Laurelmor* 12 times, and this has a similar tempo (128 and 130 BPM)."),
    (0, "Because you played Siege of Laurelmor 12 times: it sounds like it, with a similar tempo."),
    (0, "Since you have played *Siege of Laurelmor* twelve times, here is a soundtrack with a similar tempo."),
    (1, "Like *Alpine Descent*, this film is tagged cycling and mountains, and you have never played it."),
    (2, "It is often played together with *Noon Heat*, and you liked it."),
    (2, "Picked because you played it with *Noon Heat* 7 times and you liked this ambient track."),
])
def test_faithful_paraphrases_are_accepted(index, text):
    verdict = check(text, EVIDENCE[index])
    assert verdict.ok, verdict.problems


REASON = st.sampled_from([
    Reason("because_you_played", 0.9, {"item": 1, "title": "Night Drive", "plays": 3}),
    Reason("co_played", 0.8, {"with": 2, "with_title": "Blue Hour", "count": 5}),
    Reason("similar_sound", 0.7, {"to": 3, "to_title": "Low Tide", "features": {"tempo": [90, 92.5]}}),
    Reason("similar_look", 0.6, {"to": 4, "to_title": "Red Desert", "features": {"cut rate": [0.4, 0.5]}}),
    Reason("similar_text", 0.5, {"to": 5, "to_title": "Cold Rain", "shared": ["sad", "piano"]}),
    Reason("matches_query", 0.5, {"query": "rainy piano", "words": ["rainy", "piano"]}),
    Reason("liked", 0.4, {"item": 6, "title": "Echoes"}),
    Reason("popular_with_you", 0.3, {"plays": 9}),
    Reason("not_played_lately", 0.2, {"days": 40}),
    Reason("same_artist", 0.2, {"artist": "Mira Sol"}),
    Reason("fresh", 0.1, {}),
    Reason("skip_penalty", -0.3, {"count": 2}),
])


@settings(max_examples=150, deadline=None)
@given(reasons=st.lists(REASON, min_size=0, max_size=4, unique_by=lambda r: r.kind),
       kind=st.sampled_from(["audio", "video"]), item_id=st.integers(1, 10_000))
def test_every_template_passes_the_checker(reasons, kind, item_id):
    kinds = {r.kind for r in reasons}
    assume(not ("fresh" in kinds and kinds & {"popular_with_you", "not_played_lately"}))  # contradictory
    ev = build_evidence(item_id, {"kind": kind, "title": "Glass Harbour", "artist": "Mira Sol", "genre": "jazz"},
                        reasons)
    text = template_explanation(ev)
    verdict = check(text, ev)
    assert verdict.ok, (text, verdict.problems)
    assert text.endswith(".") and text[0].isupper() and "  " not in text


def test_templates_vary_between_items():
    texts = {template_explanation(build_evidence(i, {"kind": "audio", "title": f"Song {i}"}, EVIDENCE[0].reasons))
             .split(" you ")[0] for i in range(40)}
    assert len(texts) >= 3
