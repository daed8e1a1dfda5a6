"""Video analysis: the OpenCV reader against the PyAV reader, and what face detection adds (issue 13, item 1).

    nice .venv/bin/python bench/video_decode.py [--reps 3] [--real /root/real-media/video] [--cache DIR]

Makes two long H.264 films with PyAV/libx264 (superfast: B-frames and scene-cut keyframes, as real
encoders make them) from the real clips: a 10-minute 1280x720 one with GOP 250 and a 3-minute one with GOP
50, cut into shots of 1.5-15 s (each shot a stretch of one real clip, tinted, sometimes mirrored, a few
black ones). They are cached (by their parameters) in --cache, default $TMPDIR/encore-video-bench. The four
real short clips are used as they are.

Per video, analyze_video through each reader, interleaved in one run (median of --reps, wall and CPU),
the ratio, and the agreement of the two outputs: keyframes, share of OpenCV's keyframes with a PyAV one
within 1 s, the cosine of the feature vectors, the cut rates. Faces: the time keyframe_people takes inside
each analysis (its share = faces / the rest of the analysis), with the default reader. Then the reader-only
variants behind the choices in core/analysis/video.py (PyAV frame threads or not for short clips).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

# As in the analysis workers (core.analysis.queue.worker_env): one BLAS/OpenMP/OpenCV thread per process,
# set before numpy loads OpenBLAS.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
              "OPENCV_FOR_THREADS_NUM"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SOURCES = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")


def _source_frames(real: Path, size: tuple[int, int]) -> list[list[np.ndarray]]:
    import av

    out = []
    for name in SOURCES:
        with av.open(str(real / name)) as c:
            out.append([f.reformat(width=size[0], height=size[1], format="bgr24").to_ndarray()
                        for f in c.decode(video=0)])
    return out


def make_film(path: Path, real: Path, minutes: float, gop: int, size=(1280, 720), fps: int = 25,
              seed: int = 7) -> Path:
    """A film of shots from the real clips (see the module doc); written once, then reused."""
    import av
    import cv2

    if path.is_file():
        return path
    rng = np.random.default_rng(seed)
    work = (size[0] // 2, size[1] // 2)  # frames are made at half size, the encoder's scaler doubles them
    sources = _source_frames(real, work)
    tmp = path.with_suffix(".part.mp4")
    out = av.open(str(tmp), "w")
    stream = out.add_stream("libx264", rate=fps, options={"preset": "superfast", "g": str(gop)})
    stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
    total = int(minutes * 60 * fps)
    made = 0
    while made < total:
        length = min(total - made, int(rng.uniform(1.5, 15.0) * fps))
        if rng.random() < 0.05:
            shot = [np.zeros((work[1], work[0], 3), np.uint8)] * length
        else:
            clip = sources[int(rng.integers(len(sources)))]
            at = int(rng.integers(len(clip)))
            gains = rng.uniform(0.6, 1.3, 3)
            lut = np.stack([np.clip(np.arange(256) * g, 0, 255) for g in gains], axis=1).astype(np.uint8)
            mirror = rng.random() < 0.5
            shot = []
            for i in range(length):
                k = (at + i) % (2 * len(clip))
                frame = clip[k if k < len(clip) else 2 * len(clip) - 1 - k]  # back and forth
                frame = cv2.LUT(frame, lut.reshape(1, 256, 3))
                shot.append(frame[:, ::-1] if mirror else frame)
        for frame in shot:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
            vf = vf.reformat(width=size[0], height=size[1], format="yuv420p")
            vf.pts = made
            vf.time_base = Fraction(1, fps)
            for packet in stream.encode(vf):
                out.mux(packet)
            made += 1
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    tmp.rename(path)
    return path


def _run(path: Path, reader: str | None, folder: Path) -> dict:
    from core.analysis import video

    spent = [0.0, 0.0]
    original = video.keyframe_people

    def timed(keyframes):
        w, c = time.perf_counter(), time.process_time()
        try:
            return original(keyframes)
        finally:
            spent[0] += time.perf_counter() - w
            spent[1] += time.process_time() - c

    video.keyframe_people = timed
    try:
        w, c = time.perf_counter(), time.process_time()
        r = video.analyze_video(str(path), str(folder), reader=reader)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
    finally:
        video.keyframe_people = original
    return {"wall": wall, "cpu": cpu, "faces_wall": spent[0], "faces_cpu": spent[1], "result": r}


def _agreement(a: dict, b: dict) -> dict:
    ta = [k["t"] for k in a["keyframes"]]
    tb = [k["t"] for k in b["keyframes"]]
    near = sum(any(abs(x - y) <= 1.0 for y in tb) for x in ta) / max(1, len(ta))
    va, vb = a["vector"], b["vector"]
    cos = float(np.dot(va, vb) / (np.linalg.norm(va) * np.linalg.norm(vb) + 1e-12))
    return {"kf": (len(ta), len(tb)), "near": near, "cos": cos,
            "cuts": (a["features"]["cut_rate_per_min"], b["features"]["cut_rate_per_min"]),
            "motion": (a["features"]["motion"], b["features"]["motion"]),
            "faces": (sum(k["faces"] > 0 for k in a["features"]["keyframes"]),
                      sum(k["faces"] > 0 for k in b["features"]["keyframes"])),
            "decoded": (a["features"]["frames_decoded"], b["features"]["frames_decoded"])}


def _reader_only(path: Path, variant: str) -> tuple[float, float]:
    from core.analysis import video, video_av

    w, c = time.perf_counter(), time.process_time()
    if variant == "opencv":
        video.read_opencv(str(path))
    else:
        video_av.read(str(path), None, video.SEQUENTIAL_UP_TO_S, threads=variant.split(":")[1])
    return time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--real", type=Path, default=Path(os.environ.get("ENCORE_REAL_MEDIA", "/root/real-media")) / "video")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "encore-video-bench")
    ap.add_argument("--no-films", action="store_true", help="only the real short clips")
    args = ap.parse_args()
    import av

    av.logging.set_level(av.logging.PANIC)
    args.cache.mkdir(parents=True, exist_ok=True)
    videos: list[Path] = []
    if not args.no_films:
        for minutes, gop in ((10.0, 250), (3.0, 50)):
            t = time.perf_counter()
            film = make_film(args.cache / f"film_{minutes:g}min_gop{gop}_720p.mp4", args.real, minutes, gop)
            print(f"# {film.name}: {film.stat().st_size / 1e6:.0f} MB ({time.perf_counter() - t:.1f} s to make or find)")
            videos.append(film)
    videos += sorted(args.real.glob("*.mp4"))
    print(f"# load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="encore-vbench-"))
    for reader in ("opencv", "av"):  # imports, the face cascade, FFmpeg's first open: not timed
        _run(videos[-1], reader, work / "warm-up")
    print("# CPU s = process time (all threads), the cost that bounds a queue of one worker per core; wall s")
    print("# av = the PyAV reader (long videos: the frame at each point, as OpenCV); av-kf = keyframes only;")
    print("# default = what analyze_video picks. cos/cuts/near: agreement with OpenCV's output.")
    print(f"{'video':30s} {'mode':10s} {'cv cpu':>7s} {'av cpu':>7s} {'kf cpu':>7s} {'cv/av':>6s} {'cv/kf':>6s} "
          f"{'cv wall':>7s} {'av wall':>7s} {'faces':>6s} | av: kf  near  cos     cuts(cv,av)  faces(cv,av) "
          f"| kf: near cos    cuts")
    totals = {"all_faces": 0.0, "all_rest": 0.0, "short_faces": 0.0, "short_rest": 0.0}
    readers = ["opencv", "av", "av-keyframes", "default"]
    for path in videos:
        runs: dict[str, list[dict]] = {r: [] for r in readers}
        for rep in range(args.reps):
            for reader in (readers if rep % 2 == 0 else readers[::-1]):
                runs[reader].append(_run(path, None if reader == "default" else reader, work / f"{path.stem}_{reader}"))

        def med(reader: str, key: str, runs: dict[str, list[dict]] = runs) -> float:
            return statistics.median(r[key] for r in runs[reader])

        agree = _agreement(runs["opencv"][0]["result"], runs["av"][0]["result"])
        kf = _agreement(runs["opencv"][0]["result"], runs["av-keyframes"][0]["result"])
        face_share = med("default", "faces_cpu") / max(1e-9, med("default", "cpu") - med("default", "faces_cpu"))
        for key in ("all", "short") if "film_" not in path.name else ("all",):
            totals[key + "_faces"] += med("default", "faces_cpu")
            totals[key + "_rest"] += med("default", "cpu") - med("default", "faces_cpu")
        mode = runs["av"][0]["result"]["features"]["mode"]
        print(f"{path.name[:30]:30s} {mode:10s} {med('opencv', 'cpu'):7.2f} {med('av', 'cpu'):7.2f} "
              f"{med('av-keyframes', 'cpu'):7.2f} {med('opencv', 'cpu') / med('av', 'cpu'):5.2f}x "
              f"{med('opencv', 'cpu') / med('av-keyframes', 'cpu'):5.2f}x {med('opencv', 'wall'):7.2f} "
              f"{med('av', 'wall'):7.2f} {face_share:6.0%} | {agree['kf'][0]:2d},{agree['kf'][1]:2d} "
              f"{agree['near']:4.0%} {agree['cos']:.4f} {agree['cuts'][0]:5.1f},{agree['cuts'][1]:5.1f}  "
              f"{agree['faces'][0]:2d},{agree['faces'][1]:2d}         | {kf['near']:4.0%} {kf['cos']:.3f} "
              f"{kf['cuts'][1]:5.1f}", flush=True)
    print(f"# faces (keyframe_people) add {totals['all_faces'] / max(1e-9, totals['all_rest']):.0%} to the rest of "
          f"the video analysis CPU time (default reader, medians, all videos above); the real short clips alone: "
          f"{totals['short_faces'] / max(1e-9, totals['short_rest']):.0%}")
    print("# reader only (no keyframes/faces/files) on the sequential clips, median CPU s / wall s; PyAV thread_type:")
    variants = ["opencv", "av:AUTO", "av:FRAME", "av:SLICE", "av:NONE"]
    print(f"{'video':30s} " + " ".join(f"{v:>13s}" for v in variants))
    for path in videos:
        if "film_" in path.name:
            continue
        times: dict[str, list[tuple[float, float]]] = {v: [] for v in variants}
        for rep in range(args.reps):
            for v in (variants if rep % 2 == 0 else variants[::-1]):
                times[v].append(_reader_only(path, v))
        print(f"{path.name[:30]:30s} " + " ".join(
            f"{statistics.median(c for _, c in times[v]):6.3f}/{statistics.median(w for w, _ in times[v]):6.3f}"
            for v in variants), flush=True)
    print(f"# load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
