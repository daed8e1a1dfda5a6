"""Optional: analysis of the real corpus (ENCORE_REAL_MEDIA=DIR from ../shared/corpus/fetch-real-media.sh)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import pytest

REAL = os.environ.get("ENCORE_REAL_MEDIA")
pytestmark = pytest.mark.skipif(not REAL, reason="set ENCORE_REAL_MEDIA to the real corpus folder")


def test_soundtrack_tracks_get_plausible_values():
    from core.analysis.audio import analyze_audio
    from core.analysis.descriptors import audio_phrases

    tracks = sorted((Path(REAL) / "music" / "wesnoth").glob("*.ogg"))[:8]
    assert tracks
    keyed = 0
    for path in tracks:
        f, vec = analyze_audio(str(path))
        if f["silent"]:
            continue
        assert f["tempo_bpm"] is None or 40 <= f["tempo_bpm"] <= 220, path
        assert -40 < f["loudness_lufs"] < -5, path
        assert audio_phrases(f), path
        keyed += f["key"] is not None
    assert keyed >= len(tracks) - 1


def test_clips_get_keyframes_and_a_real_poster(tmp_path):
    from core.analysis.video import analyze_video

    clips = sorted((Path(REAL) / "video").glob("*.mp4"))
    assert clips
    for clip in clips:
        r = analyze_video(str(clip), str(tmp_path / clip.stem))
        assert 3 <= len(r["keyframes"]) <= 12, clip
        poster = cv2.imread(r["poster"])
        assert poster is not None and poster.mean() > 30 and poster.std() > 15, clip
