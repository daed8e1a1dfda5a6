"""Faces in keyframes: a Viola-Jones cascade (OpenCV's frontal-face model) evaluated with numpy -> phrases.

OpenCV 5 no longer ships cascades or CascadeClassifier (4.x wheels did), so the cascade's arrays are in
face_cascade.py and evaluated here the way OpenCV's HaarEvaluator does (variance-normalised features on an
integral image, stage by stage over an image pyramid, then OpenCV's groupRectangles). On the real
"carphone" clip it finds the same boxes as OpenCV 4.14's detectMultiScale within two pixels.

Cost: the keyframe is shrunk to at most DETECT_WIDTH pixels wide, so the smallest face found is about
1/9 of the frame width (a head-and-shoulders shot; faces in a far crowd are too small), and the pyramid
steps by 1.2. Only windows with skin-toned pixels are tried (in colour pictures). All pyramid levels are evaluated together, one gather per stage over the windows still
alive (numpy overhead per call, not per level): 5-20 ms of CPU per keyframe on the shared 2-core machine.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

DETECT_WIDTH = 192
SCALE_STEP = 1.2
# Raw detections a face needs beyond the first. OpenCV's default (3) suits its 1.1 pyramid step; at 1.2
# a face is seen at fewer scales and positions. Measured on the keyframes of the real clips: 1.2 with 1
# finds the face in 2 of 3 "carphone" keyframes (as 1.1 with 3 does, at 1.7x the cost) and nothing in the
# 15 others (cartoon, street, generated) or in sklearn's two sample photos; 1.25 found only 1 of 3.
MIN_NEIGHBOURS = 1
GROUP_EPS = 0.2
# Windows with fewer skin-toned pixels than this are not faces (a face fills ~40-70 % of its window): the
# cascade never looks at a red wall or a green field. Greyscale pictures (mean |chroma| below GREY_CHROMA)
# are searched everywhere.
MIN_SKIN_SHARE = 0.15
GREY_CHROMA = 3.0
# Phrases per keyframe, from the faces found (share = the largest face's height / the frame's height).
CLOSE_UP_SHARE = 0.3
CROWD_FACES = 5


@dataclass(frozen=True)
class Stage:
    """One boosted stage: the integral-image corners its features read (dy, dx, weight; grouped by
    classifier from `starts`), and per classifier its node threshold and leaf values."""

    threshold: float
    dy: np.ndarray  # (nnz,) corner rows inside the window
    dx: np.ndarray  # (nnz,) corner columns
    weights: np.ndarray  # (nnz,) +-rect weight of each corner
    starts: np.ndarray  # (K,) where each classifier's corners begin
    node_thresholds: np.ndarray  # (K,)
    left: np.ndarray  # (K,) leaf value when feature < threshold * norm
    right: np.ndarray  # (K,)


@dataclass(frozen=True)
class Cascade:
    """A stump cascade ready to evaluate."""

    window: tuple[int, int]  # (width, height)
    stages: tuple[Stage, ...]


def _arrays() -> dict[str, np.ndarray]:
    from core.analysis import face_cascade

    raw = zlib.decompress(base64.b64decode("".join(face_cascade.DATA)))
    out, at = {}, 0
    for name, dtype, shape in face_cascade.LAYOUT:
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        out[name] = np.frombuffer(raw[at:at + n], dtype=dtype).reshape(shape)
        at += n
    return out


@lru_cache(maxsize=1)
def cascade() -> Cascade:
    """The frontal-face cascade (decoded once per process, a few ms)."""
    from core.analysis import face_cascade

    a = _arrays()
    stages, start = [], 0
    for threshold, size in zip(a["stage_thresholds"], a["stage_sizes"], strict=True):
        dy: list[int] = []
        dx: list[int] = []
        weights: list[float] = []
        starts: list[int] = []
        for rect_rows in a["rects"][start:start + size]:
            corners: dict[tuple[int, int], float] = {}  # a corner shared by two rectangles is read once
            for x, y, w, h, weight in rect_rows.astype(int):
                if weight == 0:
                    continue
                for cy, cx, sign in ((y, x, 1), (y, x + w, -1), (y + h, x, -1), (y + h, x + w, 1)):
                    corners[(cy, cx)] = corners.get((cy, cx), 0.0) + sign * float(weight)
            starts.append(len(dy))
            for (cy, cx), weight in corners.items():
                if weight:
                    dy.append(cy)
                    dx.append(cx)
                    weights.append(weight)
        stages.append(Stage(float(threshold), np.array(dy, np.int64), np.array(dx, np.int64),
                            np.array(weights), np.array(starts, np.int64),
                            a["node_thresholds"][start:start + size].astype(np.float64),
                            a["leaves"][start:start + size, 0].astype(np.float64),
                            a["leaves"][start:start + size, 1].astype(np.float64)))
        start += size
    width, height = face_cascade.WINDOW
    return Cascade((int(width), int(height)), tuple(stages))


def skin_mask(bgr: np.ndarray) -> np.ndarray | None:
    """1 where a pixel has a skin tone (YCrCb box, Chai & Ngan 1999), 0 elsewhere; None for a greyscale
    picture (no colour to go by: every window is tried)."""
    import cv2

    ycrcb = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)
    if float(np.abs(ycrcb[..., 1:].astype(np.int16) - 128).mean()) < GREY_CHROMA:
        return None
    return cv2.inRange(ycrcb, (0, 133, 77), (255, 173, 127)) // 255


def _pyramid(gray: np.ndarray, skin: np.ndarray | None,
             c: Cascade) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every window of every pyramid level at once. The levels' integral images are stacked into one
    canvas of one row stride, so a feature corner is the same offset from every window's start, whatever
    its level. Windows with less than MIN_SKIN_SHARE skin-toned pixels are left out (when `skin` is given).
    Returns (canvas of sums, canvas of squared sums, window starts, (x, y, factor) per window)."""
    import cv2

    w, h = c.window
    levels, factor = [], 1.0
    while True:
        lw, lh = round(gray.shape[1] / factor), round(gray.shape[0] / factor)
        if lw < w or lh < h:
            break
        small = factor != 1.0
        levels.append((factor, cv2.resize(gray, (lw, lh), interpolation=cv2.INTER_LINEAR) if small else gray,
                       None if skin is None else
                       cv2.resize(skin, (lw, lh), interpolation=cv2.INTER_NEAREST) if small else skin))
        factor *= SCALE_STEP
    if not levels:
        return np.zeros((0, 0), np.float32), np.zeros((0, 0)), np.zeros(0, np.int32), np.zeros((0, 3))
    stride = gray.shape[1] + 1
    rows = sum(level.shape[0] + 1 for _, level, _ in levels)
    sums, squares = np.zeros((rows, stride), np.float32), np.zeros((rows, stride))
    starts, places, top = [], [], 0
    for factor, level, level_skin in levels:
        total, sq = cv2.integral2(level, sdepth=cv2.CV_32F, sqdepth=cv2.CV_64F)  # sums stay exact below 2**24
        sums[top:top + total.shape[0], :total.shape[1]] = total
        squares[top:top + sq.shape[0], :sq.shape[1]] = sq
        step = 2 if factor <= 2 else 1  # OpenCV's window steps
        ys, xs = np.mgrid[0:level.shape[0] - h + 1:step, 0:level.shape[1] - w + 1:step]
        ys, xs = ys.ravel(), xs.ravel()
        if level_skin is not None:
            skin_sum = cv2.integral(level_skin, sdepth=cv2.CV_32S)
            share = (skin_sum[ys + h, xs + w] - skin_sum[ys, xs + w] - skin_sum[ys + h, xs] + skin_sum[ys, xs]) / (w * h)
            ys, xs = ys[share >= MIN_SKIN_SHARE], xs[share >= MIN_SKIN_SHARE]
        starts.append((top + ys) * stride + xs)
        places.append(np.stack([xs * factor, ys * factor, np.full(len(ys), factor)], axis=1))
        top += total.shape[0]
    return sums, squares, np.concatenate(starts).astype(np.int32), np.concatenate(places)


def _passing_windows(gray: np.ndarray, skin: np.ndarray | None, c: Cascade) -> np.ndarray:
    """(x, y, factor) of the windows, over the whole pyramid, that pass every stage."""
    sums, squares, at, places = _pyramid(gray, skin, c)
    if not len(at):
        return places
    w, h = c.window
    stride = sums.shape[1]
    flat, flat_sq = sums.ravel(), squares.ravel()

    def box(values: np.ndarray, y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
        return (values[at + (y0 * stride + x0)] - values[at + (y0 * stride + x1)]
                - values[at + (y1 * stride + x0)] + values[at + (y1 * stride + x1)]).astype(np.float64)

    # OpenCV's normalisation: the standard deviation (times the area) of the window less a 1-pixel border
    area = (w - 2) * (h - 2)
    s, q = box(flat, 1, 1, h - 1, w - 1), box(flat_sq, 1, 1, h - 1, w - 1)
    norm = area * q - s * s
    norm = np.where(norm > 0, np.sqrt(np.maximum(norm, 0.0)), 1.0).astype(np.float32)
    offsets = [(st.dy * stride + st.dx).astype(np.int32) for st in c.stages]
    weights = [st.weights.astype(np.float32) for st in c.stages]
    alive = np.arange(len(at))
    for st, off, wt in zip(c.stages, offsets, weights, strict=True):
        corners = flat[at[alive, None] + off[None, :]]
        corners *= wt
        values = np.add.reduceat(corners, st.starts, axis=1)
        below = values < st.node_thresholds.astype(np.float32)[None, :] * norm[alive, None]
        score = np.where(below, st.left, st.right).sum(axis=1)
        alive = alive[score >= st.threshold]
        if not len(alive):
            break
    return places[alive]


def group_rectangles(rects: np.ndarray, min_neighbours: int | None = None, eps: float = GROUP_EPS) -> np.ndarray:
    """OpenCV's groupRectangles: cluster similar boxes, keep clusters of more than `min_neighbours`, average
    each, and drop a box that lies inside a bigger, better supported one. `rects`: (n, 4) x, y, w, h."""
    min_neighbours = MIN_NEIGHBOURS if min_neighbours is None else min_neighbours
    n = len(rects)
    if n == 0:
        return np.zeros((0, 4), np.int64)
    r = rects.astype(np.float64)
    delta = eps * (np.minimum(r[:, None, 2], r[None, :, 2]) + np.minimum(r[:, None, 3], r[None, :, 3])) * 0.5
    x2, y2 = r[:, 0] + r[:, 2], r[:, 1] + r[:, 3]
    similar = ((np.abs(r[:, None, 0] - r[None, :, 0]) <= delta) & (np.abs(r[:, None, 1] - r[None, :, 1]) <= delta)
               & (np.abs(x2[:, None] - x2[None, :]) <= delta) & (np.abs(y2[:, None] - y2[None, :]) <= delta))
    label = np.arange(n)
    while True:  # connected components: every box takes the smallest label among its similar boxes
        new = np.where(similar, label[None, :], n).min(axis=1)
        new = np.minimum(new, label)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    groups, counts = [], []
    for g in np.unique(label):
        members = r[label == g]
        if len(members) > min_neighbours:
            groups.append(np.round(members.mean(axis=0)))
            counts.append(len(members))
    kept = []
    for i, (a, na) in enumerate(zip(groups, counts, strict=True)):
        inside = False
        for j, (b, nb) in enumerate(zip(groups, counts, strict=True)):
            if i == j or nb <= max(3, na):
                continue
            dx, dy = round(b[2] * eps), round(b[3] * eps)
            if (a[0] >= b[0] - dx and a[1] >= b[1] - dy and a[0] + a[2] <= b[0] + b[2] + dx
                    and a[1] + a[3] <= b[1] + b[3] + dy):
                inside = True
                break
        if not inside:
            kept.append(a)
    return np.array(kept, np.int64).reshape(-1, 4)


def detect_faces(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Frontal faces (x, y, w, h in the image's own pixels) in a BGR or grey picture."""
    import cv2

    scale = 1.0
    if image.shape[1] > DETECT_WIDTH:
        scale = image.shape[1] / DETECT_WIDTH
        image = cv2.resize(image, (DETECT_WIDTH, max(1, round(image.shape[0] / scale))), interpolation=cv2.INTER_AREA)
    colour = image.ndim == 3 and image.shape[2] == 3
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if colour else image
    # A light blur first: the cascade was trained on smooth faces, and a video frame's block and ringing
    # noise hid the face in 2 of 3 "carphone" keyframes that their JPEG copies (smoothed) showed.
    gray = cv2.GaussianBlur(gray, (3, 3), 0)
    skin = skin_mask(image) if colour else None
    c = cascade()
    found = [(x, y, c.window[0] * f, c.window[1] * f) for x, y, f in _passing_windows(gray, skin, c)]
    boxes = group_rectangles(np.array(found).reshape(-1, 4))
    return [(int(round(x * scale)), int(round(y * scale)), int(round(w * scale)), int(round(h * scale)))
            for x, y, w, h in boxes]


def people_phrases(faces: list[tuple[int, int, int, int]], frame_height: int) -> list[str]:
    """What the faces of one frame say: "a crowd", "close-up of a face", "people" or "nobody on screen"."""
    if not faces:
        return ["nobody on screen"]
    out = []
    if len(faces) >= CROWD_FACES:
        out.append("a crowd")
    elif max(h for _, _, _, h in faces) >= CLOSE_UP_SHARE * frame_height:
        out.append("close-up of a face")
    if len(faces) < CROWD_FACES:
        out.append("people")
    return out
