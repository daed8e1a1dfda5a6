"""Video analysis: sampled frames -> scenes, 3-12 keyframes, a poster, visual features, and who is on screen
in each keyframe (faces.py: "close-up of a face", "people", "a crowd", "nobody on screen", kept with the
keyframe's time in the features: keyframes [{ms, phrases, faces}]).

Two readers give the same samples: PyAV (video_av.py, FFmpeg bundled in its wheels) and OpenCV
(cv2.VideoCapture, here); FIRST_READER says which goes first per case, the other takes a file the first
cannot open or read. Short clips are read sequentially, decoding every frame but converting only every
k-th (decoding forward is cheaper than seeking in short GOP-compressed clips). Long videos are never
decoded whole: we seek to a fixed number of points and read a 0.25 s burst at each (for motion and cuts).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.atomic import write_atomically
from core.visual_language import COLOUR_NAMES

SEQUENTIAL_UP_TO_S = 60.0  # clips up to a minute are read front to back
SAMPLE_FPS = 4.0  # sequential sampling rate (frames converted per second of video)
MAX_SEQUENTIAL_SAMPLES = 240
SEEK_POINTS_MIN, SEEK_POINTS_MAX, SEEK_EVERY_S = 24, 48, 20.0
BURST_S = 0.25
MAX_UNKNOWN_LENGTH_FRAMES = 30_000  # a stream without a frame count is read this far at most
THUMB_WIDTH = 384
ANALYSIS_SIZE = (64, 36)
CUT_DISTANCE = 0.45  # Bhattacharyya distance of HSV histograms that counts as a cut / new scene
BLACK_LUMA = 0.07
MIN_KEYFRAMES, MAX_KEYFRAMES = 3, 12
VECTOR_FIELDS = (["brightness", "contrast", "colourfulness", "saturation", "black_share", "motion", "cut_rate"]
                 + [f"colour_{c}" for c in COLOUR_NAMES])


class NoVideo(ValueError):
    """The file has no decodable video frames."""


@dataclass
class Sample:
    """One sampled frame: its time, a thumbnail, and the small-frame measurements."""

    t: float
    thumb: np.ndarray
    hist: np.ndarray
    luma: float
    contrast: float
    colourfulness: float
    saturation: float
    sharpness: float
    colours: np.ndarray
    motion: float | None = None
    burst_cuts: int = 0
    burst_s: float = 0.0
    scene: int = 0

    @property
    def black(self) -> bool:
        return self.luma < BLACK_LUMA

    @property
    def blank(self) -> bool:
        return self.black or (self.contrast < 0.02 and self.sharpness < 5.0)


def name_colours(hsv: np.ndarray) -> np.ndarray:
    """Share of pixels of each COLOUR_NAMES entry in an HSV image (OpenCV ranges: H 0-179, S/V 0-255)."""
    h = hsv[..., 0].astype(np.int32) * 2
    s = hsv[..., 1] / 255.0
    v = hsv[..., 2] / 255.0
    names = np.full(h.shape, -1, np.int32)
    hue_bounds = [(15, "red"), (40, "orange"), (68, "yellow"), (160, "green"), (195, "teal"), (255, "blue"),
                  (290, "purple"), (340, "pink"), (361, "red")]
    lower = 0
    for upper, name in hue_bounds:
        names[(h >= lower) & (h < upper)] = COLOUR_NAMES.index(name)
        lower = upper
    warm = (names == COLOUR_NAMES.index("orange")) | (names == COLOUR_NAMES.index("red"))
    names[warm & (v < 0.55) & (s > 0.25)] = COLOUR_NAMES.index("brown")
    names[s < 0.18] = COLOUR_NAMES.index("grey")
    names[(s < 0.18) & (v > 0.85)] = COLOUR_NAMES.index("white")
    names[v < 0.16] = COLOUR_NAMES.index("black")
    return np.bincount(names.ravel(), minlength=len(COLOUR_NAMES))[: len(COLOUR_NAMES)] / names.size


def measure(frame: np.ndarray, t: float) -> Sample:
    """Thumbnail + measurements of one BGR frame."""
    import cv2

    h, w = frame.shape[:2]
    scale = THUMB_WIDTH / w
    thumb = cv2.resize(frame, (THUMB_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA) \
        if scale < 1 else frame.copy()
    small = cv2.resize(frame, ANALYSIS_SIZE, interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = hsv_hist(hsv)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    b, g, r = (small[..., i].astype(np.float32) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    colourful = math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())  # Hasler-Suesstrunk
    sharp = float(cv2.Laplacian(cv2.cvtColor(thumb, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var())
    return Sample(t=t, thumb=thumb, hist=hist, luma=float(gray.mean()), contrast=float(gray.std()),
                  colourfulness=colourful, saturation=float(hsv[..., 1].mean() / 255.0), sharpness=sharp,
                  colours=name_colours(hsv))


def hsv_hist(hsv: np.ndarray) -> np.ndarray:
    """A normalised 16x4x4 hue/saturation/value histogram (the scene-change signature)."""
    import cv2

    hist = cv2.calcHist([hsv], [0, 1, 2], None, [16, 4, 4], [0, 180, 0, 256, 0, 256])
    return cv2.normalize(hist, None).flatten()


def hist_distance(a: Sample, b: Sample) -> float:
    import cv2

    return float(cv2.compareHist(a.hist, b.hist, cv2.HISTCMP_BHATTACHARYYA))


def _gray_small(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(cv2.resize(frame, ANALYSIS_SIZE, interpolation=cv2.INTER_AREA),
                        cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0


def sequential_plan(fps: float, frame_count: int) -> tuple[int, int]:
    """(step, limit) of a front-to-back read, whichever reader: every step-th frame is converted (SAMPLE_FPS,
    at most MAX_SEQUENTIAL_SAMPLES), and frames are read up to limit + 2 (header frame counts are often a
    little off; a stream without one is read MAX_UNKNOWN_LENGTH_FRAMES far)."""
    step = max(1, round(fps / SAMPLE_FPS))
    if frame_count > 0:
        step = max(step, math.ceil(frame_count / MAX_SEQUENTIAL_SAMPLES))
    return step, frame_count if frame_count > 0 else MAX_UNKNOWN_LENGTH_FRAMES


class SequentialSamples(list):
    """The samples of a front-to-back read; each one's motion is the change from the sample before it."""

    def __init__(self) -> None:
        super().__init__()
        self._previous_gray: np.ndarray | None = None

    def add(self, frame: np.ndarray, t: float) -> None:
        sample = measure(frame, t)
        gray = _gray_small(frame)
        if self._previous_gray is not None:
            sample.motion = float(np.abs(gray - self._previous_gray).mean())
        self._previous_gray = gray
        self.append(sample)


def read_sequential(cap, fps: float, frame_count: int) -> tuple[list[Sample], int]:
    """Grab every frame, convert every k-th; motion = change between consecutive samples."""
    step, limit = sequential_plan(fps, frame_count)
    samples = SequentialSamples()
    index = decoded = 0
    while index < limit + 2:
        if not cap.grab():
            break
        decoded += 1
        if index % step == 0:
            ok, frame = cap.retrieve()
            if ok and frame is not None:
                samples.add(frame, index / fps)
        index += 1
    return samples, decoded


def read_seeking(cap, fps: float, frame_count: int) -> tuple[list[Sample], int]:
    """Seek to evenly spaced points; at each read a 0.25 s burst for motion and within-burst cuts."""
    import cv2

    duration = frame_count / fps
    points = int(np.clip(duration / SEEK_EVERY_S, SEEK_POINTS_MIN, SEEK_POINTS_MAX))
    burst = max(2, round(BURST_S * fps) + 1)
    samples: list[Sample] = []
    decoded = 0
    for i in range(points):
        target = int((i + 0.5) / points * (frame_count - burst))
        cap.set(cv2.CAP_PROP_POS_FRAMES, target)
        ok, first = cap.read()
        if not ok or first is None:
            continue
        decoded += 1
        sample = measure(first, target / fps)
        # The burst's inner frames are only grabbed (decoded, not converted); the last one is compared
        # with the first: motion over 0.25 s, and a cut if the look changed (at most one per burst).
        grabbed = 0
        while grabbed < burst - 2 and cap.grab():
            grabbed += 1
        ok, last = cap.read() if grabbed == burst - 2 else (False, None)
        last_gray = None
        if ok and last is not None:
            decoded += grabbed + 1
            first_gray, last_gray = _gray_small(first), _gray_small(last)
            last_hist = hsv_hist(cv2.cvtColor(cv2.resize(last, ANALYSIS_SIZE, interpolation=cv2.INTER_AREA),
                                              cv2.COLOR_BGR2HSV))
            if cv2.compareHist(sample.hist, last_hist, cv2.HISTCMP_BHATTACHARYYA) > CUT_DISTANCE:
                sample.burst_cuts = 1
            sample.burst_s = (grabbed + 1) / fps
        if last_gray is not None:
            sample.motion = float(np.abs(last_gray - first_gray).mean())
        samples.append(sample)
    return samples, decoded


# ----- scenes, keyframes, poster -------------------------------------------------------------------
def assign_scenes(samples: list[Sample]) -> int:
    """Number consecutive samples into scenes (a new scene where the histogram distance jumps); cuts seen."""
    cuts = 0
    for prev, cur in zip(samples, samples[1:], strict=False):
        if hist_distance(prev, cur) > CUT_DISTANCE:
            cuts += 1
            cur.scene = prev.scene + 1
        else:
            cur.scene = prev.scene
    return cuts


def _quality(s: Sample) -> float:
    """How good a frame is as a picture: exposed, contrasty, colourful, sharp; black/blank ones lose."""
    exposure = 1.0 - min(1.0, abs(s.luma - 0.45) / 0.45)
    score = exposure + 2.0 * s.contrast + s.colourfulness / 100.0 + min(s.sharpness, 500.0) / 1000.0
    return score - (5.0 if s.blank else 0.0)


def choose_keyframes(samples: list[Sample], duration: float) -> list[Sample]:
    """3-12 representative frames: the best frame of each of the longest scenes, spread when few."""
    if not samples:
        return []
    scenes: dict[int, list[Sample]] = {}
    for s in samples:
        scenes.setdefault(s.scene, []).append(s)
    usable = {k: [s for s in v if not s.blank] or v for k, v in scenes.items()}
    # longest scenes first; all-black/blank scenes only when nothing else exists
    order = sorted(usable, key=lambda k: (all(s.blank for s in usable[k]), -len(scenes[k]), k))
    chosen: list[Sample] = []
    for k in order[:MAX_KEYFRAMES]:
        middle = usable[k][len(usable[k]) // 4: max(len(usable[k]) // 4 + 1, 3 * len(usable[k]) // 4)]
        best = max(middle, key=_quality)
        if best.blank and len(chosen) >= MIN_KEYFRAMES:
            continue
        chosen.append(best)
    pool = [s for s in samples if not s.blank] or samples
    while len(chosen) < MIN_KEYFRAMES and len(chosen) < len(pool):
        # one or two long shots: add the frame farthest in time from those already chosen
        chosen.append(max((s for s in pool if s not in chosen),
                          key=lambda s: min((abs(s.t - c.t) for c in chosen), default=s.t)))
    return sorted(chosen, key=lambda s: s.t)


def choose_poster(keyframes: list[Sample], duration: float) -> Sample | None:
    """The keyframe a person would pick: not black or blank, well exposed, away from the very ends."""
    if not keyframes:
        return None

    def score(s: Sample) -> float:
        edge = duration > 0 and (s.t < 0.05 * duration or s.t > 0.92 * duration)  # titles, credits
        return _quality(s) - (0.5 if edge else 0.0)

    return max(keyframes, key=score)


def save_jpeg(image: np.ndarray, path: str) -> None:
    """Write a JPEG atomically under a temporary name of this process's own (two analyses of the same item
    at once, e.g. two `analyze` runs, each write their own file and rename it over `path`)."""
    import cv2

    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise OSError(f"cannot encode a JPEG for {path}")
    write_atomically(path, data.tobytes())


STALE_TEMP_S = 3600.0  # a temporary keyframe this old was left by a killed worker


def remove_stale_pictures(keyframe_dir: str, keep: set[str], older_than: float) -> None:
    """Delete pictures of an earlier analysis: files not in `keep` last written before `older_than` (another
    analysis of the same item running now wrote after that, and keeps its files), and temporary files
    left by killed workers."""
    try:
        names = os.listdir(keyframe_dir)
    except OSError:
        return
    now = time.time()
    for name in names:
        path = os.path.join(keyframe_dir, name)
        if path in keep or not name.endswith(".jpg"):
            continue
        try:
            written = os.stat(path).st_mtime
            if (name.startswith(".kf-") and written < now - STALE_TEMP_S) or (
                    not name.startswith(".kf-") and written < older_than):
                os.unlink(path)
        except OSError:
            pass  # removed by the other analysis meanwhile


# ----- the analysis ------------------------------------------------------------------------------
def visual_features(samples: list[Sample], cuts: int, observed_s: float, mode: str, duration: float,
                    fps: float, decoded: int, frame_count: int) -> dict[str, Any]:
    """The named visual features (JSON-ready)."""
    colours = np.mean([s.colours for s in samples], axis=0)
    motions = [s.motion for s in samples if s.motion is not None]
    dominant = [{"name": COLOUR_NAMES[i], "share": round(float(colours[i]), 3)}
                for i in np.argsort(colours)[::-1] if colours[i] >= 0.08][:4]
    cut_rate = 60.0 * cuts / observed_s if observed_s > 0 else 0.0
    return {
        "mode": mode,
        "duration": round(duration, 2),
        "fps": round(fps, 3),
        "samples": len(samples),
        "frames_decoded": decoded,
        "frame_count": frame_count,
        "brightness": round(float(np.mean([s.luma for s in samples])), 4),
        "contrast": round(float(np.mean([s.contrast for s in samples])), 4),
        "colourfulness": round(float(np.mean([s.colourfulness for s in samples])), 2),
        "saturation": round(float(np.mean([s.saturation for s in samples])), 4),
        "black_share": round(float(np.mean([s.black for s in samples])), 4),
        "motion": round(float(np.mean(motions)), 5) if motions else 0.0,
        "cuts_seen": cuts,
        "cut_rate_per_min": round(cut_rate, 2),
        "scenes": len({s.scene for s in samples}),
        "dominant_colours": dominant,
        "colour_shares": {COLOUR_NAMES[i]: round(float(colours[i]), 4) for i in range(len(COLOUR_NAMES))},
    }


def feature_vector(f: dict[str, Any]) -> np.ndarray:
    """The fixed-length, L2-normalised float32 visual vector (layout: VECTOR_FIELDS)."""
    head = [f["brightness"], f["contrast"] * 3, f["colourfulness"] / 100, f["saturation"], f["black_share"],
            min(f["motion"] * 10, 2.0), min(f["cut_rate_per_min"] / 30, 2.0)]
    vec = np.array(head + [f["colour_shares"][c] for c in COLOUR_NAMES], dtype=np.float32)
    norm = float(np.linalg.norm(vec))
    return (vec / norm if norm > 0 else vec).astype(np.float32)


# Which reader goes first, per case; the other is the fallback (a file one of them cannot open or read,
# e.g. a container only one of the two FFmpeg builds handles). Measured by bench/video_decode.py (whole
# analysis, median of 3, interleaved, CPU s of the process, shared 2-core machine at load 3-5):
#   seek: 10-min 720p H.264 GOP 250: OpenCV 13.5 s, PyAV 6.3 s (2.15x); 3-min GOP 50: 4.4 vs 2.5 s (1.75x);
#         the same frames sampled, keyframe times equal, feature vectors' cosine 1.0000 / 0.9999.
#   sequential: the four real clips, OpenCV 1.37 s vs PyAV 1.21 s together: 1.30x on the 720p one, 1.10x
#         on 640x272, 0.99x and 0.77x (30 ms) on the two 176x144 ones; run-to-run spread about 20 %.
FIRST_READER = {"sequential": "av", "seek": "av"}
# Long videos sampled at their keyframes only (video_av: no decoding from the keyframe to the point) cost
# 4-9x less than OpenCV (1.6 / 1.1 s on the films above) but sample other frames: other keyframes chosen,
# and a cut rate from bursts that start at keyframes (8.3 vs 25 cuts/min on the 10-min film, vector cosine
# 0.92; equal on the 3-min one). Not the same output, so not the default; True trades that for speed.
SEEK_AT_KEYFRAMES = False


def read_opencv(path: str, duration_hint: float | None = None) -> Any:
    """Sample a video with OpenCV (cv2.VideoCapture): sequentially up to SEQUENTIAL_UP_TO_S, else by seeking."""
    import cv2

    from core.analysis.video_av import Reading

    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise NoVideo("cannot open this video (unknown or damaged container)")
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        fps = fps if 0 < fps < 1000 else 25.0
        frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        frame_count = frame_count if 0 < frame_count < 10**8 else 0
        if not frame_count and duration_hint and duration_hint > SEQUENTIAL_UP_TO_S:
            frame_count = int(duration_hint * fps)
        duration = frame_count / fps if frame_count else 0.0
        if frame_count and duration > SEQUENTIAL_UP_TO_S:
            samples, decoded = read_seeking(cap, fps, frame_count)
            return Reading(samples, decoded, "seek", fps, frame_count, duration)
        samples, decoded = read_sequential(cap, fps, frame_count)
        return Reading(samples, decoded, "sequential", fps, frame_count, duration)
    finally:
        cap.release()


def checked(reading: Any) -> Any:
    """The reading, or NoVideo with a plain message when too little of the video decoded."""
    samples, decoded, frame_count = reading.samples, reading.decoded, reading.frame_count
    if not samples:
        raise NoVideo("the video has no decodable frames")
    if reading.mode == "sequential" and frame_count > 10 and decoded < 0.5 * frame_count:
        raise NoVideo(f"truncated or damaged: only {decoded} of {frame_count} frames decode")
    if reading.mode == "seek" and len(samples) < 0.5 * SEEK_POINTS_MIN:
        raise NoVideo(f"truncated or damaged: only {len(samples)} of the sampled points decode")
    return reading


def read_video(path: str, duration_hint: float | None = None, reader: str | None = None) -> Any:
    """Sample frames with the reader measured faster for this case (FIRST_READER), falling back to the other
    when it cannot open or read the file; `reader` ("av" | "opencv" | "av-keyframes": long videos sampled
    at their keyframes, see video_av) forces one, without a fallback."""
    from core.analysis import video_av

    def with_av(at_keyframes: bool = False) -> Any:
        try:
            return checked(video_av.read(path, duration_hint, SEQUENTIAL_UP_TO_S,
                                         at_keyframes=at_keyframes or SEEK_AT_KEYFRAMES))
        except video_av.CannotOpen as exc:
            raise NoVideo("cannot open this video (unknown or damaged container)") from exc

    def with_opencv() -> Any:
        return checked(read_opencv(path, duration_hint))

    readers = {"av": with_av, "opencv": with_opencv, "av-keyframes": lambda: with_av(True)}
    if reader is not None:
        return readers[reader]()
    first = FIRST_READER["sequential"]
    if FIRST_READER["seek"] != first:  # the case decides: the length from the scan, else from the header
        seconds = duration_hint or video_av.probe_seconds(path)
        first = FIRST_READER["seek" if seconds and seconds > SEQUENTIAL_UP_TO_S else "sequential"]
    try:
        return readers[first]()
    except NoVideo as exc:
        error = exc
    try:
        return readers["opencv" if first == "av" else "av"]()
    except NoVideo:
        raise error from None


def analyze_video(path: str, keyframe_dir: str, duration_hint: float | None = None,
                  reader: str | None = None) -> dict[str, Any]:
    """Sample, find scenes, write keyframes + poster into `keyframe_dir`; features, vector and files.

    `duration_hint` (seconds, from the scan) stands in for a frame count the container does not give,
    so a long stream without an index is still sampled by seeking rather than decoded whole. `reader`
    forces "av" or "opencv" (the benchmark); by default the faster one for the case goes first.
    """
    reading = read_video(path, duration_hint, reader)
    samples, decoded, mode = reading.samples, reading.decoded, reading.mode
    fps, frame_count, duration = reading.fps, reading.frame_count, reading.duration
    if not duration:
        duration = samples[-1].t + 1.0 / fps
    cuts = assign_scenes(samples)
    if mode == "seek":  # scenes are far apart; the cut rate comes from the bursts
        cuts_for_rate = sum(s.burst_cuts for s in samples)
        observed = sum(s.burst_s for s in samples)
    else:
        cuts_for_rate, observed = cuts, duration
    features = visual_features(samples, cuts_for_rate, observed, mode, duration, fps, decoded, frame_count)
    keyframes = choose_keyframes(samples, duration)
    poster = choose_poster(keyframes, duration)
    people = keyframe_people(keyframes)
    features["keyframes"] = [{"ms": int(round(s.t * 1000)), "phrases": phrases, "faces": faces}
                             for s, (faces, phrases) in zip(keyframes, people, strict=True)]

    # A re-analysis replaces the old pictures: new files are renamed over old ones, and the leftovers are
    # deleted afterwards, never the whole folder (a second analysis of this item may be writing into it).
    started = time.time() - 1.0  # file times are coarse on some file systems
    os.makedirs(keyframe_dir, exist_ok=True)
    saved = []
    for s, (faces, phrases) in zip(keyframes, people, strict=True):
        dest = os.path.join(keyframe_dir, f"kf_{int(round(s.t * 1000)):09d}.jpg")
        save_jpeg(s.thumb, dest)
        colour = COLOUR_NAMES[int(np.argmax(s.colours))]
        saved.append({"t": round(s.t, 3), "path": dest, "scene": s.scene, "colour": colour, "faces": faces,
                      "phrases": phrases})
    poster_path = None
    if poster is not None:
        poster_path = os.path.join(keyframe_dir, "poster.jpg")
        save_jpeg(poster.thumb, poster_path)
        features["poster_t"] = round(poster.t, 3)
    remove_stale_pictures(keyframe_dir, {str(k["path"]) for k in saved} | {poster_path or ""}, started)
    return {"features": features, "vector": feature_vector(features), "keyframes": saved, "poster": poster_path}


def keyframe_people(keyframes: list[Sample]) -> list[tuple[int, list[str]]]:
    """(faces found, people phrases) of each keyframe (core.analysis.faces on its thumbnail)."""
    from core.analysis.faces import detect_faces, people_phrases

    out = []
    for s in keyframes:
        if s.blank:  # black or featureless: no face to find (a blank keyframe is only kept when all are)
            out.append((0, people_phrases([], s.thumb.shape[0])))
            continue
        faces = detect_faces(s.thumb)
        out.append((len(faces), people_phrases(faces, s.thumb.shape[0])))
    return out
