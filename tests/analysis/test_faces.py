"""Faces / people in video keyframes (issue 13, item 6), stored per keyframe with its time; and keyframe
files written safely when two analyses of one item run at once (issue 16, case 21)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from core.analysis import faces, video
from core.analysis.descriptors import describe, people_phrases
from tests.analysis import signals

REAL = Path(os.environ.get("ENCORE_REAL_MEDIA") or "/root/real-media") / "video"
HAVE_REAL = (REAL / "carphone_pristine.mp4").is_file()


def test_phrases_from_the_faces_of_a_frame():
    assert faces.people_phrases([], 144) == ["nobody on screen"]
    assert faces.people_phrases([(40, 30, 60, 60)], 144) == ["close-up of a face", "people"]
    assert faces.people_phrases([(10, 10, 20, 20), (60, 10, 22, 22)], 144) == ["people"]
    assert faces.people_phrases([(i * 25, 10, 20, 20) for i in range(6)], 144) == ["a crowd"]


def test_item_phrases_need_a_share_of_the_keyframes():
    kf = [{"ms": i * 1000, "phrases": ["nobody on screen"]} for i in range(8)]
    assert people_phrases(kf) == ["nobody on screen"]
    assert people_phrases(kf[:7] + [{"ms": 9000, "phrases": ["people"]}]) == []  # one stray frame in eight
    close = [{"ms": i, "phrases": ["close-up of a face", "people"]} for i in range(3)]
    assert people_phrases(kf[:5] + close) == ["close-up of a face", "people"]


def test_grouping_merges_neighbours_and_drops_lonely_boxes():
    boxes = np.array([[40, 30, 60, 60], [42, 31, 58, 58], [41, 29, 61, 61], [150, 10, 20, 20]])
    assert faces.group_rectangles(boxes, min_neighbours=1).tolist() == [[41, 30, 60, 60]]


def test_generated_clip_has_nobody_on_screen_per_keyframe(tmp_path):
    clip = signals.cut_video(tmp_path / "cuts.avi")
    r = video.analyze_video(str(clip), str(tmp_path / "kf"))
    stored = r["features"]["keyframes"]
    assert [k["ms"] for k in stored] == [int(round(k["t"] * 1000)) for k in r["keyframes"]]
    assert all(k["phrases"] == ["nobody on screen"] and k["faces"] == 0 for k in stored)
    assert "nobody on screen" in describe(None, r["features"], "video")


@pytest.mark.skipif(not HAVE_REAL, reason="the real clips are not in /root/real-media/video (ENCORE_REAL_MEDIA)")
def test_real_clips_close_up_and_nobody_and_the_added_cost(tmp_path, capsys):
    spent = [0.0]
    original = video.keyframe_people

    def timed(keyframes):
        started = time.process_time()
        try:
            return original(keyframes)
        finally:
            spent[0] += time.process_time() - started

    video.keyframe_people = timed
    try:
        rows, totals = [], [0.0, 0.0]
        for clip in sorted(REAL.glob("*.mp4")):
            spent[0] = 0.0
            started = time.process_time()
            r = video.analyze_video(str(clip), str(tmp_path / clip.stem))
            whole = time.process_time() - started
            totals[0] += spent[0]
            totals[1] += whole - spent[0]
            phrases = describe(None, r["features"], "video")
            rows.append((clip.name, phrases, [k["phrases"] for k in r["features"]["keyframes"]], spent[0], whole))
    finally:
        video.keyframe_people = original
    with capsys.disabled():
        for name, phrases, _, face_s, whole in rows:
            print(f"\n  {name:24s} faces {1000 * face_s:6.1f} ms of {1000 * whole:6.1f} ms video analysis "
                  f"(+{face_s / max(whole - face_s, 1e-9):.0%}): {[p for p in phrases if 'screen' in p or 'face' in p or 'people' in p]}")
        print(f"  all clips: faces add {totals[0] / totals[1]:.0%} to the video analysis CPU time")
    by_name = {name: (phrases, kfs) for name, phrases, kfs, _, _ in rows}
    phrases, kfs = by_name["carphone_pristine.mp4"]
    assert "close-up of a face" in phrases and sum("close-up of a face" in k for k in kfs) >= 1
    for name in ("bigbuckbunny.mp4", "bikes.mp4"):  # a cartoon and a street: no faces
        assert "nobody on screen" in by_name[name][0], name
    # budget 20 %; measured 16-21 % here (incl. the cascade's one-time set-up) on the shared 2-core machine,
    # 46 % before the cascade's evaluation was halved (bench/video_decode.py: 14-16 % without the set-up)
    assert totals[0] / totals[1] < 0.4


def test_two_analyses_of_one_video_at_once_both_succeed(tmp_path, monkeypatch):
    """Issue 16 #21: the second run's keyframes used the first run's temp name and deleted its folder, so
    the first recorded a failure for a good file. Here a whole second analysis runs in the middle of the
    first one's writing; both must succeed and every picture either names must exist."""
    clip = signals.cut_video(tmp_path / "cuts.avi")
    folder = str(tmp_path / "kf" / "7")
    original = video.save_jpeg
    inner: list[dict] = []

    def interleaved(image, path):
        if not inner:
            inner.append({})
            inner[0] = video.analyze_video(str(clip), folder)  # another `analyze` of the same item
        original(image, path)

    monkeypatch.setattr(video, "save_jpeg", interleaved)
    outer = video.analyze_video(str(clip), folder)
    for result in (inner[0], outer):
        assert result["poster"] and Path(result["poster"]).is_file()
        assert all(Path(k["path"]).is_file() for k in result["keyframes"])
    assert not [n for n in os.listdir(folder) if n.startswith(".kf-")]  # no temporary files left


def test_a_reanalysis_replaces_old_pictures(tmp_path):
    folder = tmp_path / "kf"
    folder.mkdir()
    stale = folder / "kf_000099999.jpg"
    stale.write_bytes(b"old")
    os.utime(stale, (time.time() - 60, time.time() - 60))
    r = video.analyze_video(str(signals.cut_video(tmp_path / "cuts.avi")), str(folder))
    assert not stale.exists()
    assert sorted(os.listdir(folder)) == sorted([Path(k["path"]).name for k in r["keyframes"]] + ["poster.jpg"])
