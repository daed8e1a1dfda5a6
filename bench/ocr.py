"""On-screen text benchmark: what reading keyframes with a small OCR model (rapidocr-onnxruntime: PP-OCRv4
detection + recognition, ONNX, CPU, one thread) finds and what it costs next to the video analysis.

    ENCORE_REAL_MEDIA=/root/real-media nice .venv/bin/python bench/ocr.py [--frames 5] [--json]

(a) cost: every real clip, and longer videos made by looping them (LONGER), is analysed as the worker does
    (core.analysis.video.analyze_video; "item": the whole worker item, soundtrack and tagger included,
    OCR off), then its saved keyframe JPEGs are read by each OCR configuration: seconds per clip and the
    ratio to the video analysis, interleaved over --reps repetitions so the shared load hits all alike.
(b) quality on labelled material: --frames frames of each real clip, decoded with PyAV, text drawn on the
    source frame with cv2.putText (titles, subtitles, signs, small captions; four Hershey fonts, several
    colours, sizes as a share of the frame height), then shrunk to the 384-px keyframe thumbnail and
    JPEG-encoded at quality 85 as video analysis stores it; plus the same frames without drawn text.
    Per configuration: word recall (a drawn word is found as an output word; "joined" also counts a word
    found inside run-together output, e.g. "BigBuck"), junk words per text frame (output words not drawn),
    text-free frames with any output (words of the scene's own text, seen by eye: the taxi sign in
    bikes.mp4, are not counted as false), CPU seconds per frame (configurations in a rotating order).
Every time is CPU seconds of this process (time.process_time): OCR runs on one thread, and the load of
other jobs on a shared machine moves the wall clock far more than the CPU time.
Configurations: "package" (the package's defaults: detection enlarges the short side to 736 px, angle
classifier on), "s432" / "s324" (detection at that short side, no classifier), "encore" (what
core.analysis.ocr.read_text runs: the cheap gate on the detector's map at GATE_SIDE, then s324). Lines are
cleaned as core.analysis.ocr.clean does (run-together words split) for every configuration; quality is
shown at several confidence thresholds (MIN_SCORE is the one kept).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENCV_FOR_THREADS_NUM"):
    os.environ.setdefault(_name, "1")  # as in the analysis workers

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHRASES = ["Big Buck Bunny", "Chapter One", "The End", "Breaking News", "Welcome to Paris", "Open 24 Hours",
           "Main Street", "Exit", "Hotel Central", "Summer Holiday 2019", "Live Concert", "Police",
           "I told you we would be late", "Where are you going tonight", "Thank you for watching",
           "Happy Birthday Anna", "Station Road", "Coffee Shop", "Episode 3", "Goal", "Stop",
           "Subscribe for more videos", "Press start to play", "Kitchen Tour"]
# Real text in the clips themselves, seen by eye (an output word from these is true, not junk).
SCENE_TEXT = {"bikes.mp4": {"taxi"}}
KINDS = ("title", "subtitle", "sign", "caption")
# Longer videos for the cost table: a real clip looped (63 s of Big Buck Bunny 720p: the seek path; 60 s of
# bikes: the longest sequential read; 10.6 min of Big Buck Bunny).
LONGER = [("bigbuckbunny.mp4", 12), ("bikes.mp4", 6), ("bigbuckbunny.mp4", 120)]


def cpu() -> float:
    """CPU seconds of this process, all its threads (steadier than the wall clock on a shared machine)."""
    return time.process_time()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def clip_frames(path: Path, n: int):
    """n frames spread over the clip (BGR, source size), decoded with PyAV."""
    import av
    import numpy as np

    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    idx = np.linspace(0, len(frames) - 1, n + 2).round().astype(int)[1:-1]
    return [frames[i] for i in idx]


def keyframe_jpeg(frame):
    """The frame as video analysis keeps it: 384 px wide (never enlarged), JPEG quality 85."""
    import cv2

    h, w = frame.shape[:2]
    if w > 384:
        frame = cv2.resize(frame, (384, max(1, round(h * 384 / w))), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def draw(frame, kind: str, text: str, rng):
    """`frame` with `text` drawn as a `kind` (source resolution, before the thumbnail)."""
    import cv2

    img = frame.copy()
    h, w = img.shape[:2]
    fonts = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
             cv2.FONT_HERSHEY_TRIPLEX]
    font = fonts[int(rng.integers(len(fonts)))]
    share = {"title": rng.uniform(0.09, 0.14), "subtitle": rng.uniform(0.045, 0.06),
             "sign": rng.uniform(0.045, 0.07), "caption": rng.uniform(0.03, 0.04)}[kind]
    if kind == "title":
        text = text.upper() if rng.random() < 0.5 else text
    thick = max(1, round(h * share / 12))
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, thick)
    scale = min(h * share / th, 0.92 * w / tw)
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    if kind == "title":
        x, y = (w - tw) // 2, int(h * rng.uniform(0.3, 0.6))
        colour = [(255, 255, 255), (0, 220, 255), (40, 40, 230), (255, 255, 0)][int(rng.integers(4))]
        if rng.random() < 0.5:
            cv2.putText(img, text, (x, y), font, scale, (0, 0, 0), thick + max(2, thick), cv2.LINE_AA)
    elif kind == "subtitle":
        x, y = (w - tw) // 2, int(h * 0.92)
        colour = [(255, 255, 255), (0, 255, 255)][int(rng.integers(2))]
        cv2.putText(img, text, (x, y), font, scale, (0, 0, 0), thick + max(2, thick), cv2.LINE_AA)
    elif kind == "sign":
        x = int(rng.uniform(0.03, 0.97 - tw / w) * w) if tw < 0.94 * w else int(0.03 * w)
        y = int(rng.uniform(0.15, 0.8) * h)
        back, colour = [((255, 255, 255), (30, 30, 30)), ((40, 120, 20), (255, 255, 255)),
                        ((20, 20, 180), (255, 255, 255)), ((0, 200, 255), (0, 0, 0))][int(rng.integers(4))]
        pad = max(2, th // 3)
        cv2.rectangle(img, (x - pad, y - th - pad), (x + tw + pad, y + base + pad), back, -1)
    else:
        x, y = int(0.03 * w), int(h * 0.08) + th
        colour = [(255, 255, 255), (220, 220, 220), (0, 0, 0)][int(rng.integers(3))]
    cv2.putText(img, text, (x, y), font, scale, colour, thick, cv2.LINE_AA)
    return img


def material(clips: list[Path], n: int, seed: int = 13):
    """(clip name, kind or None, drawn text, keyframe-sized BGR frame) for every labelled frame."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for clip in clips:
        for frame in clip_frames(clip, n):
            out.append((clip.name, None, "", keyframe_jpeg(frame)))
            for kind in KINDS:
                pool = [p for p in PHRASES if len(p) < 18] if kind == "title" else PHRASES
                text = pool[int(rng.integers(len(pool)))]
                out.append((clip.name, kind, text, keyframe_jpeg(draw(frame, kind, text, rng))))
    return out


def looped(clip: Path, times: int, folder: Path) -> Path:
    """`clip`'s video stream repeated `times` over (remuxed with PyAV, no re-encoding): a longer video of the
    same real frames and codec, for the cost of analysing longer videos (over 60 s: the seek path)."""
    import av

    dest = folder / f"{clip.stem}_x{times}.mp4"
    with av.open(str(clip)) as src, av.open(str(dest), "w") as out:
        stream = src.streams.video[0]
        target = out.add_stream_from_template(stream)
        packets = [p for p in src.demux(stream) if p.dts is not None and p.pts is not None]
        span = max(p.pts for p in packets) - min(p.pts for p in packets) + (packets[1].dts - packets[0].dts)
        for n in range(times):
            for p in packets:
                q = av.Packet(bytes(p))
                q.pts, q.dts, q.time_base, q.stream = p.pts + n * span, p.dts + n * span, p.time_base, target
                q.is_keyframe = p.is_keyframe
                out.mux(q)
    return dest


def configurations() -> dict[str, Callable[[Any], list[tuple[str, float]]]]:
    """name -> read(image) -> [(raw line, confidence)]."""
    from rapidocr_onnxruntime import RapidOCR

    from core.analysis.ocr import read_lines

    package = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def package_read(image):
        result, _ = package(image)
        return [(str(t), float(c)) for _b, t, c in (result or [])]

    return {"package": package_read,
            "s432": lambda im: read_lines(im, gate=None, side=432),
            "s324": lambda im: read_lines(im, gate=None, side=324),
            "encore": lambda im: read_lines(im)}  # what core.analysis.ocr.read_text runs: gate, then s324


def kept(lines: list[tuple[str, float]], min_score: float) -> list[str]:
    from core.analysis.ocr import clean

    out = [clean(t) for t, c in lines if c >= min_score]
    return [t for t in dict.fromkeys(out) if t]


def quality(raw: list[tuple[str | None, str, str, list[tuple[str, float]]]], min_score: float) -> dict:
    """Recall, junk and false text of one configuration's raw reads at one confidence threshold."""
    drawn_total = found = joined = junk = text_frames = false_frames = free = 0
    by_kind: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
    false_text: list[str] = []
    for clip, kind, text, lines in raw:
        got_lines = kept(lines, min_score)
        got = [w for line in got_lines for w in words(line)]
        flat = "".join(got)
        scene = SCENE_TEXT.get(clip, set())
        if kind is None:
            free += 1
            if [w for w in got if w not in scene]:
                false_frames += 1
                false_text.append(f"{clip}: {' | '.join(got_lines)}")
            continue
        text_frames += 1
        want = words(text)
        hit = sum(w in got for w in want)
        drawn_total += len(want)
        found += hit
        joined += sum(w in got or w in flat for w in want)
        by_kind[kind][0] += hit
        by_kind[kind][1] += len(want)
        junk += sum(w not in want and w not in scene for w in got)
    return {"word_recall": round(found / drawn_total, 3), "word_recall_joined": round(joined / drawn_total, 3),
            "recall_by_kind": {k: round(a / b, 2) for k, (a, b) in by_kind.items() if b},
            "junk_words_per_text_frame": round(junk / max(1, text_frames), 2),
            "text_free_frames_with_false_text": f"{false_frames}/{free}", "false_text": false_text[:6]}


def labelled(frames, readers) -> dict:
    """Every configuration's raw reads of every labelled frame (interleaved: frame outer, configuration
    inner) and its median seconds on frames with and without drawn text."""
    raw: dict[str, list] = {n: [] for n in readers}
    seconds: dict[str, dict[str, list[float]]] = {n: {"text": [], "none": []} for n in readers}
    names = list(readers)
    for i, (clip, kind, text, image) in enumerate(frames):
        for name in names[i % len(names):] + names[:i % len(names)]:  # a rotating order: no one always first
            started = cpu()
            lines = readers[name](image)
            seconds[name]["none" if kind is None else "text"].append(cpu() - started)
            raw[name].append((clip, kind, text, lines))
    return {"raw": raw, "seconds": {n: {k: round(statistics.median(v), 4) for k, v in s.items()}
                                    for n, s in seconds.items()}}


def cost(clips: list[Path], readers: dict, reps: int, min_score: float, whole: bool) -> list[dict]:
    """Per clip: video analysis seconds (median over reps), the whole worker item (video + soundtrack +
    tagger) when `whole`, and each configuration's seconds over the saved keyframes, interleaved."""
    import cv2

    from core.analysis.video import analyze_video
    from core.analysis.worker import analyze_item

    rows = {c.name: {"clip": c.name, "video_s": [], "item_s": [], **{f"ocr_{n}_s": [] for n in readers}}
            for c in clips}
    found: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "models")
        for rep in range(reps):
            for clip in clips:
                if whole:
                    started = cpu()
                    analyze_item({"path": str(clip), "kind": "video", "keyframe_dir": os.path.join(tmp, "item"),
                                  "model_cache": cache, "ocr": False})
                    if rep or len(clips) == 1:  # the first item also converts the tagger's weights
                        rows[clip.name]["item_s"].append(cpu() - started)
                started = cpu()
                video = analyze_video(str(clip), os.path.join(tmp, clip.stem))
                rows[clip.name]["video_s"].append(cpu() - started)
                rows[clip.name]["keyframes"] = len(video["keyframes"])
                images = [cv2.imread(k["path"]) for k in video["keyframes"]]
                for name, read in readers.items():
                    started = cpu()
                    texts = [kept(read(im), min_score) for im in images]
                    rows[clip.name][f"ocr_{name}_s"].append(cpu() - started)
                    if rep == 0:
                        found[f"{clip.name} {name}"] = sorted({t for ts in texts for t in ts})
    out = []
    for row in rows.values():
        video_s = statistics.median(row["video_s"])
        item = {"clip": row["clip"], "keyframes": row["keyframes"], "video_s": round(video_s, 3),
                "item_s": round(statistics.median(row["item_s"]), 3) if row["item_s"] else None}
        for name in readers:
            s = statistics.median(row[f"ocr_{name}_s"])
            item[f"ocr_{name}_s"] = round(s, 3)
            item[f"ocr_{name}_vs_video"] = round(s / video_s, 2)
            item[f"text_{name}"] = found[f"{row['clip']} {name}"][:6]
        out.append(item)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=4, help="frames per clip for the labelled material")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated configurations (default: all)")
    ap.add_argument("--no-item", action="store_true", help="skip timing the whole worker item")
    ap.add_argument("--no-long", action="store_true", help="skip the looped longer videos")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from core.analysis.ocr import MIN_SCORE, unavailable

    if unavailable():
        print(unavailable(), file=sys.stderr)
        return 2
    media = os.environ.get("ENCORE_REAL_MEDIA")
    clips = sorted((Path(media) / "video").glob("*.mp4")) if media else []
    if not clips:
        print("set ENCORE_REAL_MEDIA to the real corpus (video/*.mp4)", file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    readers = configurations()
    if args.only:
        readers = {k: v for k, v in readers.items() if k in args.only.split(",")}
    frames = material(clips, args.frames)
    lab = labelled(frames, readers)
    scratch = tempfile.TemporaryDirectory()
    sources = [(Path(media) / "video" / name, n) for name, n in LONGER]
    longer = [] if args.no_long else [looped(c, n, Path(scratch.name)) for c, n in sources if c.is_file()]
    thresholds = sorted({0.5, 0.7, MIN_SCORE, 0.9})
    report = {"load_before": [round(x, 2) for x in load_before], "min_score": MIN_SCORE,
              "labelled_frames": {"with_text": sum(k is not None for _c, k, _t, _i in frames),
                                  "text_free": sum(k is None for _c, k, _t, _i in frames)},
              "seconds_per_labelled_frame": lab["seconds"],
              "quality": {n: {str(t): quality(lab["raw"][n], t) for t in thresholds} for n in readers},
              "cost_per_clip": cost(clips + longer, readers, args.reps, MIN_SCORE, not args.no_item)}
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    scratch.cleanup()
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"load average before {report['load_before']}, after {report['load_after']}; "
          f"labelled frames {report['labelled_frames']}; kept lines: confidence >= {MIN_SCORE}")
    names = list(readers)
    print("\n(a) cost per clip (median of reps), CPU seconds; OCR over the clip's saved keyframes (x video analysis)")
    print(f"{'clip':26} {'kf':>3} {'video':>6} {'item':>6} " + " ".join(f"{n:>15}" for n in names))
    for r in report["cost_per_clip"]:
        cells = " ".join(f"{r[f'ocr_{n}_s']:>7.3f} ({r[f'ocr_{n}_vs_video']:>4.2f}x)" for n in names)
        item = f"{r['item_s']:>6.3f}" if r["item_s"] is not None else f"{'-':>6}"
        print(f"{r['clip']:26} {r['keyframes']:>3} {r['video_s']:>6.3f} {item} {cells}")
        for n in names:
            if r[f"text_{n}"]:
                print(f"{'':30}{n} read: {r[f'text_{n}']}")
    print("\n(b) labelled keyframes: median CPU s/frame (text | text-free), then per confidence threshold")
    for n in names:
        sec = report["seconds_per_labelled_frame"][n]
        print(f"{n:9} {sec['text']:.4f} | {sec['none']:.4f}")
        for t, q in report["quality"][n].items():
            print(f"   >= {t:4} recall {q['word_recall']:.2f} (joined {q['word_recall_joined']:.2f}) "
                  f"{q['recall_by_kind']}; junk/text frame {q['junk_words_per_text_frame']}; "
                  f"text-free frames with text {q['text_free_frames_with_false_text']} {q['false_text'][:3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
