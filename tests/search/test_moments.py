"""A search hit on a video points to the moment that matched, only when one keyframe matches clearly better
than the rest of the video (issue 13 item 6: descriptors per keyframe with their timestamps)."""

from __future__ import annotations

import pytest

from core.cli import main as cli_main
from core.models import Moment
from core.search.moments import query_words
from core.visual_language import keyframe_phrases
from tests.search.moment_media import HAVE_REAL_VIDEO, concat_real_clips, moment_library


@pytest.fixture(scope="module")
def moment_lib(tmp_path_factory):
    from core.library import Library

    lib = Library(tmp_path_factory.mktemp("data"))
    ids = moment_library(lib, tmp_path_factory.mktemp("media"))
    yield lib, ids
    lib.close()


def _hit(lib, query, item_id):
    hits = {h.item.id: h for h in lib.search(query)}
    assert item_id in hits, f"{query!r} did not find the video at all"
    return hits[item_id]


def test_a_query_matching_one_keyframe_points_to_that_moment(moment_lib):
    lib, ids = moment_lib
    for query in ("close-up of a face", "face", "faces", "someone's face", "close up"):
        moment = _hit(lib, query, ids["Harbour Walk"]).moment
        assert moment is not None and moment.ms == 12_000 and moment.at == "0:12", query
        assert moment.phrase in ("close-up of a face", "one face") and moment.picture.endswith("kf_000012000.jpg")
    blue = _hit(lib, "blue", ids["Harbour Walk"]).moment
    assert blue == Moment(18_000, "blue tones", blue.picture) and blue.picture
    sign = _hit(lib, "open", ids["Harbour Walk"]).moment  # on-screen text, by its words
    assert sign is not None and sign.ms == 24_000 and sign.phrase == "text “OPEN 24 HOURS”"


def test_no_moment_when_no_keyframe_matches_or_all_of_them_do(moment_lib):
    lib, ids = moment_lib
    # nothing on screen is a crowd (one face is no crowd), red, or a bicycle
    for query in ("a crowd", "crowd", "red", "bicycle race", "calm piano"):
        assert _hit(lib, query, ids["Harbour Walk"]).moment is None, query
    # a face in every keyframe is the whole interview, not a moment of it
    assert _hit(lib, "close-up of a face", ids["Interview"]).moment is None
    assert all(h.moment is None for h in lib.search("face") if h.item.kind == "audio")


def test_the_cli_says_where(moment_lib, capsys):
    lib, ids = moment_lib
    assert cli_main(["--data-dir", str(lib.paths.data_dir), "search", "close-up of a face"]) == 0
    lines = capsys.readouterr().out.splitlines()
    harbour = next(line for line in lines if "Harbour Walk" in line)
    interview = next(line for line in lines if "Interview" in line)
    assert harbour.endswith("at 0:12 (close-up of a face)")
    assert " at " not in interview.split(")")[-1]
    assert cli_main(["--data-dir", str(lib.paths.data_dir), "search", "blue", "--json"]) == 0
    import json

    rows = {r["title"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["Harbour Walk"]["moment"]["ms"] == 18_000 and rows["Harbour Walk"]["moment"]["at"] == "0:18"
    assert rows["Interview"]["moment"] is None


def test_keyframe_phrases_say_only_what_was_stored():
    assert keyframe_phrases({"t": 1.0, "faces": 0, "phrases": ["nobody on screen"], "colour": "black"}) == \
        ["nobody on screen", "dark tones"]
    assert keyframe_phrases({"t": 1.0, "faces": 6, "phrases": ["a crowd"]}) == ["a crowd", "people"]
    assert keyframe_phrases({"t": 1.0, "text": ["  SALE  50% ", {"text": "Exit"}, 3, ""]}) == \
        ["text “SALE 50%”", "text “Exit”"]
    assert keyframe_phrases({"t": 1.0}) == [] and keyframe_phrases("junk") == []  # type: ignore[arg-type]
    assert query_words(["close-up", "videos", "of", "faces"]) == {"close-up", "close", "up", "face"}


@pytest.mark.timeout(600)
@pytest.mark.skipif(not HAVE_REAL_VIDEO, reason="the real corpus is not in /root/real-media (ENCORE_REAL_MEDIA)")
def test_real_clips_back_to_back_point_to_the_face(tmp_path):
    """The real analysis of real footage: a street (10 s), the carphone face (4 s), a cartoon (5 s)."""
    from core.library import Library

    media = tmp_path / "media"
    media.mkdir()
    concat_real_clips(media / "Street Call Cartoon.mp4")
    lib = Library(tmp_path / "data")
    try:
        lib.scan([str(media)])
        lib.analyze()
        lib.embed()
        video = lib.store.query("SELECT id FROM items")[0][0]
        face = _hit(lib, "close-up of a face", video).moment
        assert face is not None and 10_000 <= face.ms <= 14_100, face  # inside the carphone part
        assert face.phrase == "close-up of a face" and face.picture
        assert _hit(lib, "a crowd", video).moment is None
        assert _hit(lib, "bicycle race", video).moment is None
    finally:
        lib.close()
