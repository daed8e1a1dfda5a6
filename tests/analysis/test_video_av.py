"""The PyAV video reader against OpenCV's (issue 13, item 1): the same samples and features from both, the
cheaper keyframe-only variant, the fallback from one reader to the other, and plain failures."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from core.analysis import video, video_av
from tests.analysis import signals

EDGE = Path(os.environ.get("ENCORE_REAL_MEDIA") or "/root/real-media") / "edge-cases"


def _h264(path: Path, seconds: float, fps: int = 10, size=(96, 64), gop: int = 50) -> Path:
    """An H.264 mp4 with B-frames (libx264 in PyAV's wheels): shots of 8 s, each a solid colour with a moving
    square, the colours of signals.SCENES in turn."""
    import av

    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=fps, options={"preset": "superfast", "g": str(gop)})
    stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
    rng = np.random.default_rng(5)
    for i in range(int(seconds * fps)):
        frame = np.empty((size[1], size[0], 3), np.uint8)
        frame[:] = signals.SCENES[int(i / fps // 8) % len(signals.SCENES)][1]
        frame = np.clip(frame.astype(np.int16) + rng.integers(-10, 11, frame.shape[:2] + (1,)), 0, 255).astype(np.uint8)
        x = (i * 3) % (size[0] - 16)
        frame[20:36, x:x + 16] = 230
        vf = av.VideoFrame.from_ndarray(frame, format="bgr24").reformat(format="yuv420p")
        vf.pts, vf.time_base = i, Fraction(1, fps)
        for packet in stream.encode(vf):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return path


def _libx264() -> bool:
    import av

    return "libx264" in av.codecs_available


@pytest.fixture(scope="module")
def long_h264(tmp_path_factory):
    if not _libx264():
        pytest.skip("this PyAV build has no libx264 encoder")
    return _h264(tmp_path_factory.mktemp("h264") / "long.mp4", 96.0)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_short_clip_both_readers_give_the_same_analysis(tmp_path):
    clip = signals.cut_video(tmp_path / "cuts.avi")
    a = video.analyze_video(str(clip), str(tmp_path / "a"), reader="opencv")
    b = video.analyze_video(str(clip), str(tmp_path / "b"), reader="av")
    assert a["features"]["mode"] == b["features"]["mode"] == "sequential"
    assert [k["t"] for k in a["keyframes"]] == [k["t"] for k in b["keyframes"]]
    assert [k["colour"] for k in b["keyframes"]] == ["red", "green", "blue"]
    assert (a["features"]["scenes"], a["features"]["cuts_seen"]) == (b["features"]["scenes"], b["features"]["cuts_seen"])
    assert _cos(a["vector"], b["vector"]) > 0.999


def test_long_h264_pyav_samples_the_same_frames_as_opencv(long_h264, tmp_path):
    a = video.analyze_video(str(long_h264), str(tmp_path / "a"), reader="opencv")
    b = video.analyze_video(str(long_h264), str(tmp_path / "b"), reader="av")
    fa, fb = a["features"], b["features"]
    assert fa["mode"] == fb["mode"] == "seek" and fb["duration"] == pytest.approx(96.0, abs=0.2)
    assert fb["frames_decoded"] < 0.5 * fb["frame_count"]
    ta, tb = [k["t"] for k in a["keyframes"]], [k["t"] for k in b["keyframes"]]
    assert len(ta) == len(tb) and all(abs(x - y) <= 0.11 for x, y in zip(ta, tb, strict=True)), (ta, tb)
    assert {k["colour"] for k in b["keyframes"]} == {"red", "green", "blue"}
    assert fb["motion"] == pytest.approx(fa["motion"], rel=0.2, abs=0.002)
    assert _cos(a["vector"], b["vector"]) > 0.995


def test_keyframe_only_sampling_decodes_keyframes_and_their_bursts(long_h264, tmp_path):
    import av

    with av.open(str(long_h264)) as c:
        s = c.streams.video[0]
        keys = {p.pts for p in c.demux(s) if p.is_keyframe and p.pts is not None}
        start, base = s.start_time or 0, s.time_base
    key_times = {round(float((k - start) * base), 3) for k in keys}
    exact = video_av.read(str(long_h264))
    at_keys = video_av.read(str(long_h264), at_keyframes=True)
    assert at_keys.mode == "seek" and len(at_keys.samples) >= video.SEEK_POINTS_MIN // 2
    assert all(round(s.t, 3) in key_times for s in at_keys.samples)
    assert at_keys.decoded < exact.decoded
    assert all(s.motion is not None and s.burst_s > 0 for s in at_keys.samples)


def test_a_file_one_reader_cannot_open_goes_to_the_other(tmp_path, monkeypatch):
    clip = signals.cut_video(tmp_path / "cuts.avi")

    def cannot(*args, **kwargs):
        raise video_av.CannotOpen("no")

    monkeypatch.setattr(video_av, "read", cannot)
    r = video.analyze_video(str(clip), str(tmp_path / "a"))
    assert [k["colour"] for k in r["keyframes"]] == ["red", "green", "blue"]
    monkeypatch.undo()

    def damaged(*args, **kwargs):
        raise video.NoVideo("the video has no decodable frames")

    monkeypatch.setattr(video, "read_opencv", damaged)
    r = video.analyze_video(str(clip), str(tmp_path / "b"))
    assert [k["colour"] for k in r["keyframes"]] == ["red", "green", "blue"]


def test_garbage_and_empty_files_fail_plainly(tmp_path):
    for name, data in (("bad.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(200)), ("empty.mkv", b""),
                       ("text.avi", b"hello, this is not a video\n" * 20)):
        bad = tmp_path / name
        bad.write_bytes(data)
        with pytest.raises(video.NoVideo) as exc:
            video.analyze_video(str(bad), str(tmp_path / "kf"))
        assert "Traceback" not in str(exc.value) and len(str(exc.value)) < 200


def test_a_truncated_h264_file_fails_or_reads_what_is_there(long_h264, tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(long_h264.read_bytes()[: long_h264.stat().st_size // 3])
    try:
        r = video.analyze_video(str(cut), str(tmp_path / "kf"))
    except video.NoVideo as exc:
        assert str(exc)
    else:
        assert 1 <= len(r["keyframes"]) <= video.MAX_KEYFRAMES


@pytest.mark.skipif(not EDGE.is_dir(), reason="the edge-case corpus is not in /root/real-media (ENCORE_REAL_MEDIA)")
def test_edge_case_videos_fail_plainly_or_analyse(tmp_path):
    expect = {"truncated-64bit.mp4": False, "sample_length.oggtheora": False, "sample_bitrate.oggtheora": False,
              "64bit.mp4": False, "no-tags.3g2": False, "sample.oggtheora": True}
    for name, readable in expect.items():
        path = EDGE / name
        if not path.is_file():
            continue
        if readable:
            r = video.analyze_video(str(path), str(tmp_path / name))
            assert 1 <= len(r["keyframes"]) <= video.MAX_KEYFRAMES, name
        else:
            with pytest.raises(video.NoVideo):
                video.analyze_video(str(path), str(tmp_path / name))


def test_each_case_goes_to_its_first_reader(tmp_path, monkeypatch):
    clip = signals.cut_video(tmp_path / "cuts.avi")
    ran: list[str] = []
    real_av, real_cv = video_av.read, video.read_opencv
    monkeypatch.setattr(video_av, "read", lambda *a, **k: ran.append("av") or real_av(*a, **k))
    monkeypatch.setattr(video, "read_opencv", lambda *a, **k: ran.append("opencv") or real_cv(*a, **k))
    monkeypatch.setattr(video, "FIRST_READER", {"sequential": "opencv", "seek": "av"})
    video.analyze_video(str(clip), str(tmp_path / "a"))
    video.analyze_video(str(clip), str(tmp_path / "b"), duration_hint=600.0)  # the scan says it is long
    assert ran == ["opencv", "av"]
