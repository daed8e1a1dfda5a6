"""Video analysis on generated clips with known scenes and colours."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.analysis import video
from core.analysis.descriptors import video_phrases
from tests.analysis import signals


@pytest.fixture(scope="module")
def cuts(tmp_path_factory):
    d = tmp_path_factory.mktemp("cuts")
    return video.analyze_video(str(signals.cut_video(d / "cuts.avi")), str(d / "kf"))


def test_three_hard_cuts_give_three_scenes_and_keyframes(cuts):
    f = cuts["features"]
    assert f["scenes"] == 3 and f["cuts_seen"] == 2
    assert f["cut_rate_per_min"] == pytest.approx(20.0, abs=0.5)  # 2 cuts in 6 s
    assert [k["colour"] for k in cuts["keyframes"]] == ["red", "green", "blue"]
    # each keyframe lies inside its own 2 s scene
    assert [int(k["t"] // 2) for k in cuts["keyframes"]] == [0, 1, 2]


def test_keyframe_files_show_the_scene_colours(cuts):
    for k, (_, bgr) in zip(cuts["keyframes"], signals.SCENES, strict=True):
        image = cv2.imread(k["path"])
        assert image is not None and image.shape[1] == 160
        median = np.median(image.reshape(-1, 3), axis=0)
        assert np.abs(median - np.array(bgr)).max() < 25, (k, median)


def test_named_dominant_colours_and_phrases(cuts):
    names = {c["name"] for c in cuts["features"]["dominant_colours"]}
    assert names == {"red", "green", "blue"}
    phrases = video_phrases(cuts["features"])
    assert "fast cuts" in phrases
    assert any(p.startswith("mostly ") for p in phrases)


def test_poster_is_not_the_black_opening(tmp_path):
    result = video.analyze_video(str(signals.black_then_scenes(tmp_path / "b.avi")), str(tmp_path / "kf"))
    poster = cv2.imread(result["poster"])
    assert poster is not None and poster.mean() > 40
    assert result["features"]["poster_t"] >= 1.5  # after the black second and a half
    assert result["features"]["black_share"] == pytest.approx(0.25, abs=0.06)
    assert all(k["colour"] != "black" for k in result["keyframes"])


def test_long_video_is_sampled_by_seeking_not_decoded_whole(tmp_path):
    path = signals.cut_video(tmp_path / "long.avi", signals.SCENES * 4, seconds_each=8.0, fps=10, size=(64, 48))
    result = video.analyze_video(str(path), str(tmp_path / "kf"))
    f = result["features"]
    assert f["mode"] == "seek" and f["duration"] == pytest.approx(96.0)
    assert f["frames_decoded"] < 0.5 * f["frame_count"]
    assert 3 <= len(result["keyframes"]) <= 12
    assert {k["colour"] for k in result["keyframes"]} == {"red", "green", "blue"}


def test_one_long_shot_still_gets_three_spread_keyframes(tmp_path):
    path = signals.cut_video(tmp_path / "one.avi", signals.SCENES[:1], seconds_each=6.0)
    result = video.analyze_video(str(path), str(tmp_path / "kf"))
    times = [k["t"] for k in result["keyframes"]]
    assert len(times) == 3 and times[-1] - times[0] > 3.0


def test_corrupt_video_raises(tmp_path):
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"RIFF" + bytes(100))
    with pytest.raises(video.NoVideo):
        video.analyze_video(str(bad), str(tmp_path / "kf"))


def test_vector_fixed_length(cuts):
    assert cuts["vector"].shape == (len(video.VECTOR_FIELDS),)
    assert np.linalg.norm(cuts["vector"]) == pytest.approx(1.0, abs=1e-5)
