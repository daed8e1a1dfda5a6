"""The vectorised cascade (core.analysis.faces) against a plain per-window, per-classifier evaluation of the
same OpenCV model, and the keyframes that are not searched at all."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from core.analysis import faces, video

REAL = Path(os.environ.get("ENCORE_REAL_MEDIA") or "/root/real-media") / "video"


def _reference_windows(gray: np.ndarray, stages: int) -> set[tuple[float, float, float]]:
    """(x, y, factor) of every pyramid window that passes the first `stages` stages, one window and classifier
    at a time, in float64, straight from the cascade's rectangles (OpenCV's HaarEvaluator, no skin filter)."""
    import cv2

    a = faces._arrays()
    w, h = 20, 20
    out = set()
    factor = 1.0
    while True:
        lw, lh = round(gray.shape[1] / factor), round(gray.shape[0] / factor)
        if lw < w or lh < h:
            break
        level = cv2.resize(gray, (lw, lh), interpolation=cv2.INTER_LINEAR) if factor != 1.0 else gray
        s, q = cv2.integral2(level, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)

        def rect(img, x, y, rw, rh):
            return img[y + rh, x + rw] - img[y, x + rw] - img[y + rh, x] + img[y, x]

        step = 2 if factor <= 2 else 1
        for y in range(0, lh - h + 1, step):
            for x in range(0, lw - w + 1, step):
                area = (w - 2) * (h - 2)
                var = area * rect(q, x + 1, y + 1, w - 2, h - 2) - rect(s, x + 1, y + 1, w - 2, h - 2) ** 2
                norm = np.sqrt(var) if var > 0 else 1.0
                start, passed = 0, True
                for threshold, size in zip(a["stage_thresholds"][:stages], a["stage_sizes"][:stages], strict=True):
                    score = 0.0
                    for k in range(start, start + size):
                        feature = sum(float(wt) * rect(s, x + rx, y + ry, rw, rh)
                                      for rx, ry, rw, rh, wt in a["rects"][k].astype(int) if wt)
                        below = feature < float(a["node_thresholds"][k]) * norm
                        score += float(a["leaves"][k, 0] if below else a["leaves"][k, 1])
                    start += size
                    if score < float(threshold):
                        passed = False
                        break
                if passed:
                    out.add((x * factor, y * factor, factor))
        factor *= faces.SCALE_STEP
    return out


def _face_like(size=(52, 48)) -> np.ndarray:
    """A smooth grey picture with dark eye and mouth blobs: windows get past several stages."""
    import cv2

    rng = np.random.default_rng(11)
    img = cv2.GaussianBlur(rng.integers(60, 200, (size[1], size[0])).astype(np.uint8), (7, 7), 0)
    cv2.ellipse(img, (26, 24), (14, 18), 0, 0, 360, 170, -1)
    for cx in (21, 31):
        cv2.circle(img, (cx, 20), 3, 40, -1)
    cv2.ellipse(img, (26, 33), (5, 2), 0, 0, 360, 60, -1)
    return cv2.GaussianBlur(img, (3, 3), 0)


def _compare(gray: np.ndarray, stages: int) -> tuple[set, set]:
    c = faces.cascade()
    part = faces.Cascade(c.window, c.stages[:stages])
    got = {tuple(float(v) for v in row) for row in faces._passing_windows(gray, None, part)}
    return got, _reference_windows(gray, stages)


def test_vectorised_cascade_matches_the_plain_evaluation():
    for stages in (2, 6):  # windows past the early stages, and the fewer past more of them
        got, want = _compare(_face_like(), stages)
        assert len(want) >= 5
        # float32 sums in another order can move a window that sits exactly on a node threshold: one at most
        assert len(got ^ want) <= 1, (stages, sorted(got - want), sorted(want - got))


@pytest.mark.skipif(not (REAL / "carphone_pristine.mp4").is_file(), reason="the real clips are not here")
def test_vectorised_cascade_matches_on_a_real_face():
    import cv2

    cap = cv2.VideoCapture(str(REAL / "carphone_pristine.mp4"))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 60)
    ok, frame = cap.read()
    cap.release()
    assert ok
    small = cv2.resize(frame, (88, 72), interpolation=cv2.INTER_AREA)  # keeps the plain evaluation quick
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (3, 3), 0)
    got, want = _compare(gray, 4)
    assert len(want) >= 20 and len(got ^ want) <= 1, (sorted(got - want), sorted(want - got))


def test_blank_keyframes_are_not_searched(monkeypatch):
    calls = []
    monkeypatch.setattr(faces, "detect_faces", lambda image: calls.append(image.shape) or [])
    black = np.zeros((90, 160, 3), np.uint8)
    lit = np.full((90, 160, 3), 60, np.uint8)
    lit[20:60, 40:100] = (230, 230, 230)
    samples = [video.measure(black, 0.0), video.measure(lit, 1.0)]
    assert samples[0].blank and not samples[1].blank
    out = video.keyframe_people(samples)
    assert out[0] == (0, ["nobody on screen"]) and len(calls) == 1
