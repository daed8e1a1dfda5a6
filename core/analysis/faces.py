"""Faces in keyframes: a Viola-Jones cascade (OpenCV's frontal-face model) evaluated with numpy -> phrases.

OpenCV 5 no longer ships cascades or CascadeClassifier (4.x wheels did), so the cascade's arrays are in
face_cascade.py and evaluated here the way OpenCV's HaarEvaluator does (variance-normalised features on an
integral image, stage by stage over an image pyramid, then OpenCV's groupRectangles). On the real
"carphone" clip it finds the same boxes as OpenCV 4.14's detectMultiScale within two pixels.

Cost (issue 13: faces were 28-34 % on top of the video analysis, the budget is 20 %): the keyframe is
shrunk to at most DETECT_WIDTH pixels wide, so the smallest face found is 1/8 of the frame width (a
head-and-shoulders shot; faces in a far crowd are too small), and the pyramid steps by 1.2. Only windows
with enough skin-toned pixels are tried (in colour pictures); blank keyframes are not searched at all
(video.keyframe_people). All pyramid levels are evaluated together: per stage one gather of the corners
every live window reads (each distinct corner once per stage) and one BLAS product for the features.
Measured on the 17 pictures of the real clips' keyframes and sklearn's two photos: the same raw windows as
the per-classifier reduceat this replaced, at half its CPU time; 192 -> 160 px and a skin share of 0.15 ->
0.3 halve the corner reads again (1.86 M -> 0.94 M per keyframe) and lose no face: in the real clips'
keyframes the face is found as before and in one "carphone_distorted" keyframe more, nothing anywhere
else. Same run, the 4 real clips: faces 502 -> 189 ms CPU, +46 % -> +16 % on the rest of the video
analysis (the PyAV reader); bench/video_decode.py measures the share.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from core.visual_language import CLOSE_UP, CROWD, NOBODY, PEOPLE

DETECT_WIDTH = 160
SCALE_STEP = 1.2
# Raw detections a face needs beyond the first. OpenCV's default (3) suits its 1.1 pyramid step; at 1.2
# a face is seen at fewer scales and positions. Measured on the keyframes of the real clips (at 192 px):
# 1.2 with 1 finds the face in 2 of 3 "carphone" keyframes (as 1.1 with 3 does, at 1.7x the cost) and
# nothing in the 15 others (cartoon, street, generated) or in sklearn's two sample photos; 1.25 found only
# 1 of 3. At 160 px: 2 of 3 (OpenCV's thumbnails: 3 of 3) in the pristine clip, 1 of 3 in the distorted
# one, nothing elsewhere.
MIN_NEIGHBOURS = 1
GROUP_EPS = 0.2
# Windows with fewer skin-toned pixels than this are not faces: the cascade never looks at a red wall or a
# green field. The windows that pass the cascade on the real faces are 67-74 % skin; 0.3 leaves out 27 % of
# the windows that 0.15 tried. Greyscale pictures (mean |chroma| below GREY_CHROMA) are searched everywhere.
MIN_SKIN_SHARE = 0.3
GREY_CHROMA = 3.0
# Phrases per keyframe, from the faces found (share = the largest face's height / the frame's height).
CLOSE_UP_SHARE = 0.3
CROWD_FACES = 5


@dataclass(frozen=True)
class Stage:
    """One boosted stage: the integral-image corners its features read (each distinct corner once for the
    whole stage: 11-74 % fewer reads than per classifier), how much each corner weighs in each classifier's
    feature, and per classifier its node threshold and leaf values."""

    threshold: float
    dy: np.ndarray  # (U,) corner rows inside the window
    dx: np.ndarray  # (U,) corner columns
    matrix: np.ndarray  # (U, K) float32: +-rect weight of corner u in classifier k (features = corners @ matrix)
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
        rects = a["rects"][start:start + size].astype(np.int64)  # (K, 3, 5): x, y, w, h, weight
        x, y, w, h, weight = (rects[..., i] for i in range(5))
        k = np.broadcast_to(np.arange(int(size))[:, None], x.shape)
        # each rectangle's four corners: (y, x, sign); a corner shared by rectangles or classifiers is read once
        cy = np.stack([y, y, y + h, y + h], axis=-1).ravel()
        cx = np.stack([x, x + w, x, x + w], axis=-1).ravel()
        signed = (np.array([1, -1, -1, 1])[None, None, :] * weight[..., None]).astype(np.float64).ravel()
        owner = np.repeat(k.ravel(), 4)
        keys, inverse = np.unique(cy * 64 + cx, return_inverse=True)
        matrix = np.zeros((len(keys), int(size)), np.float64)
        np.add.at(matrix, (inverse.ravel(), owner), signed)
        used = np.any(matrix != 0, axis=1)
        stages.append(Stage(float(threshold), (keys[used] // 64).astype(np.int64), (keys[used] % 64).astype(np.int64),
                            matrix[used].astype(np.float32),
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
    Returns (canvas of sums, each window's variance norm, window starts, (x, y, factor) per window)."""
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
        return np.zeros((0, 0), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64), np.zeros((0, 3))
    stride = gray.shape[1] + 1
    rows = sum(level.shape[0] + 1 for _, level, _ in levels)
    sums = np.zeros((rows, stride), np.float32)
    norms, starts, places, top = [], [], [], 0
    area = (w - 2) * (h - 2)
    for factor, level, level_skin in levels:
        total, sq = cv2.integral2(level, sdepth=cv2.CV_32F, sqdepth=cv2.CV_64F)  # sums stay exact below 2**24
        sums[top:top + total.shape[0], :total.shape[1]] = total
        step = 2 if factor <= 2 else 1  # OpenCV's window steps
        ny, nx = (level.shape[0] - h) // step + 1, (level.shape[1] - w) // step + 1

        def grid(a: np.ndarray, y: int, x: int, ny: int = ny, nx: int = nx, step: int = step) -> np.ndarray:
            """a[y + wy, x + wx] for every window (wy, wx) of the level's grid, as slices (no gathering)."""
            return a[y:y + step * (ny - 1) + 1:step, x:x + step * (nx - 1) + 1:step]

        def box(a: np.ndarray, y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
            return grid(a, y1, x1) - grid(a, y0, x1) - grid(a, y1, x0) + grid(a, y0, x0)

        # OpenCV's normalisation: the standard deviation (times the area) of the window less a 1-pixel border
        s, q = box(total, 1, 1, h - 1, w - 1).astype(np.float64), box(sq, 1, 1, h - 1, w - 1)
        variance = area * q - s * s
        norm = np.where(variance > 0, np.sqrt(np.maximum(variance, 0.0)), 1.0).astype(np.float32).ravel()
        ys = np.repeat(np.arange(ny) * step, nx)
        xs = np.tile(np.arange(nx) * step, ny)
        if level_skin is not None:
            skin_sum = cv2.integral(level_skin, sdepth=cv2.CV_32S)
            keep = (box(skin_sum, 0, 0, h, w) / (w * h)).ravel() >= MIN_SKIN_SHARE
            ys, xs, norm = ys[keep], xs[keep], norm[keep]
        norms.append(norm)
        starts.append((top + ys) * stride + xs)
        places.append(np.stack([xs * factor, ys * factor, np.full(len(ys), factor)], axis=1))
        top += total.shape[0]
    return sums, np.concatenate(norms), np.concatenate(starts).astype(np.int64), np.concatenate(places)


@lru_cache(maxsize=1)
def _blas() -> Any:
    """threadpoolctl's view of the loaded BLAS (found once per process, ~15 ms; each limit after: ~30 us)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _passing_windows(gray: np.ndarray, skin: np.ndarray | None, c: Cascade) -> np.ndarray:
    """(x, y, factor) of the windows, over the whole pyramid, that pass every stage."""
    sums, norm, at, places = _pyramid(gray, skin, c)
    if not len(at):
        return places
    # The stages' products are small (thousands x hundreds x tens): BLAS threads only add their start-up
    # and spinning, which doubled the CPU time where nothing had set one thread (analysis workers do).
    with _blas().limit(limits=1, user_api="blas"):
        return _cascade_pass(sums, norm, at, places, c)


def _cascade_pass(sums: np.ndarray, norm: np.ndarray, at: np.ndarray, places: np.ndarray,
                  c: Cascade) -> np.ndarray:
    stride = sums.shape[1]
    flat = sums.ravel()
    # Per stage: gather the corners every live window reads (int64 offsets: numpy would convert int32 ones
    # on every gather), one BLAS product gives all its classifiers' features (a third of the time of a
    # weighted reduceat), one more the stage's score from the leaves.
    alive = np.arange(len(at))
    for st in c.stages:
        values = flat[at[alive, None] + (st.dy * stride + st.dx)[None, :]] @ st.matrix
        below = values < st.node_thresholds.astype(np.float32)[None, :] * norm[alive, None]
        score = below @ (st.left - st.right) + st.right.sum()
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
        return [NOBODY]
    out = []
    if len(faces) >= CROWD_FACES:
        out.append(CROWD)
    elif max(h for _, _, _, h in faces) >= CLOSE_UP_SHARE * frame_height:
        out.append(CLOSE_UP)
    if len(faces) < CROWD_FACES:
        out.append(PEOPLE)
    return out
