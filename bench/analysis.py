"""Analysis benchmark: audio analysis vs decoding the same window alone, keyframes vs decoding every frame.

    nice .venv/bin/python bench/analysis.py --json                        # generated media only
    ENCORE_REAL_MEDIA=/tmp/realmedia nice .venv/bin/python bench/analysis.py --json   # + real corpus

(a) audio: for each track, the decode floor (soundfile/PyAV reading the same 3 x 30 s window,
    mono 22,050 Hz) and the full analysis (decode + features); median seconds per track and the ratio
    (target <= 2x). Then the analysis as the worker runs it, with the pretrained tagger on the same decoded
    window (core.analysis.tags on CPU, one thread: PATCHES_PER_WINDOW 3-s patches per window), against
    the same floor (target <= 2.5x). Real Ogg tracks when ENCORE_REAL_MEDIA is set, else generated
    4-minute FLACs.
(b) video: a long synthetic film (default 20 min, 320x180, 24 fps, mp4v, a new shot every 3-12 s)
    analysed with the seek path, against decoding every frame of it with OpenCV (target <= 5 % for a
    2-hour film; the 2-hour full decode is projected from the measured decode rate, as the seek path's
    cost is flat beyond 16 minutes).
    Short real clips (sequential path) are reported too when present.
(c) queue: the whole `analyze` run (isolated workers) over the tracks, seconds per track end to end,
    next to AudioMuse-AI's published ~8.8 s per song.
Baselines are measured in the same process. Prints one JSON object.
"""

from __future__ import annotations

import os

# As in the analysis workers: one BLAS/OpenMP thread (multi-threaded BLAS on a busy 2-core machine
# made the features 4-8x slower). Must be set before numpy loads.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AUDIOMUSE_S_PER_SONG = 8.8  # AudioMuse-AI's reported analysis time per song (CPU)


def generated_tracks(folder: Path, n: int) -> list[Path]:
    """n 4-minute FLAC 'songs': click pattern + chords + noise at different tempi (44.1 kHz stereo)."""
    import numpy as np
    import soundfile as sf

    from tests.analysis import signals

    out = []
    for i in range(n):
        sr, seconds = 44100, 240.0
        bpm = 80 + 15 * i
        y = np.tile(signals.click_track(bpm, 20.0, sr), int(seconds / 20))
        chords = signals.chord_progression(seconds_each=60 / bpm * 4, sr=sr)
        y[: len(chords) * (len(y) // len(chords))] += np.tile(chords, len(y) // len(chords))
        y += 0.02 * np.random.default_rng(i).standard_normal(len(y)).astype(np.float32)
        path = folder / f"song{i}.flac"
        sf.write(str(path), np.stack([y, y], axis=1).clip(-1, 1), sr, format="FLAC")
        out.append(path)
    return out


def bench_audio(tracks: list[Path], folder: Path) -> dict:
    from core.analysis import audio, tags
    from core.analysis.tagger import MusicTagger

    model = MusicTagger(cache_dir=folder / "models", device="cpu", threads=1)
    audio.analyze_audio(str(tracks[0]))  # warm imports and caches
    tags.tag_segments(audio.decode_window(str(tracks[0]))[0], audio.SR, model=model)  # torch + weights
    floors, totals, tagged, rows = [], [], [], []
    for path in tracks:
        t0 = time.perf_counter()
        audio.decode_window(str(path))
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        features, _ = audio.analyze_audio(str(path))
        total = time.perf_counter() - t0
        t0 = time.perf_counter()  # as the worker does it: one decode for the features and the tagger
        segments, length, gain = audio.decode_window(str(path))
        audio.feature_vector(audio.features_from_segments(segments, length, gain))
        result = tags.tag_segments(segments, audio.SR, model=model)
        with_tags = time.perf_counter() - t0
        floors.append(floor)
        totals.append(total)
        tagged.append(with_tags)
        top = sorted(result["msd"], key=lambda t: -result["msd"][t])[:3]
        rows.append({"track": path.name, "decode_s": round(floor, 3), "analysis_s": round(total, 3),
                     "analysis_with_tagger_s": round(with_tags, 3), "patches": result["patches"],
                     "tempo_bpm": features["tempo_bpm"], "key": f"{features['key']} {features['mode']}",
                     "loudness_lufs": features["loudness_lufs"], "top_msd_tags": top})
    floor, total, with_tagger = statistics.median(floors), statistics.median(totals), statistics.median(tagged)
    return {"tracks": len(tracks), "decode_floor_s_median": round(floor, 3), "analysis_s_median": round(total, 3),
            "features_only_s_median": round(total - floor, 3), "ratio_to_floor": round(total / floor, 2),
            "target_ratio": 2.0,
            "analysis_with_tagger_s_median": round(with_tagger, 3),
            "tagger_s_median": round(with_tagger - total, 3),
            "ratio_with_tagger_to_floor": round(with_tagger / floor, 2), "target_ratio_with_tagger": 2.5,
            "tagger": {"version": tags.TAGS_VERSION, "patches_per_window": tags.PATCHES_PER_WINDOW,
                       "device": "cpu", "torch_threads": 1},
            "per_track": rows}


def long_film(path: Path, minutes: float, size=(320, 180), fps: int = 24) -> Path:
    """A synthetic film: shots of 3-12 s, each a coloured gradient with a moving object."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(1)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    w, h = size
    total = int(minutes * 60 * fps)
    written = 0
    ramp = np.linspace(0.4, 1.0, w, dtype=np.float32)[None, :, None]
    while written < total:
        colour = rng.integers(20, 235, 3).astype(np.float32)
        base = np.clip(colour[None, None, :] * ramp * np.ones((h, 1, 1), np.float32), 0, 255).astype(np.uint8)
        shot = int(rng.uniform(3, 12) * fps)
        for i in range(min(shot, total - written)):
            frame = base.copy()
            x = (i * 3) % (w - 40)
            cv2.circle(frame, (x + 20, h // 2), 18, (255, 255, 255), -1)
            writer.write(frame)
            written += 1
    writer.release()
    return path


def decode_every_frame(path: Path) -> tuple[float, int]:
    import cv2

    t0 = time.perf_counter()
    cap = cv2.VideoCapture(str(path))
    n = 0
    while True:
        ok, _ = cap.read()
        if not ok:
            break
        n += 1
    cap.release()
    return time.perf_counter() - t0, n


def bench_video(folder: Path, minutes: float, clips: list[Path]) -> dict:
    from core.analysis import video

    t0 = time.perf_counter()
    film = long_film(folder / "film.mp4", minutes)
    made = time.perf_counter() - t0
    full_s, frames = decode_every_frame(film)
    t0 = time.perf_counter()
    result = video.analyze_video(str(film), str(folder / "kf_film"))
    key_s = time.perf_counter() - t0
    f = result["features"]
    out = {"film_minutes": minutes, "film_frames": frames, "film_written_s": round(made, 1),
           "full_decode_s": round(full_s, 3), "keyframes_s": round(key_s, 3),
           "keyframes_share_of_full_decode": round(key_s / full_s, 4), "target_share": 0.05,
           "frames_read_by_analysis": f["frames_decoded"], "seek_points": f["samples"], "mode": f["mode"],
           "keyframes": len(result["keyframes"]), "scenes_seen": f["scenes"],
           "gop_note": "OpenCV's mp4v writer puts a keyframe every 12 frames; x264 films use up to 250, "
                       "which adds up to ~250 decoded frames per seek point (48 points)"}
    if f["samples"] >= video.SEEK_POINTS_MAX:
        # Past 16 min the number of seek points is capped, so the keyframe time stays flat while a full
        # decode grows with length: project the full decode of a 2-hour film at the measured rate.
        full_2h = full_s / frames * (2 * 3600 * 24)
        out["projected_2h_full_decode_s"] = round(full_2h, 1)
        out["projected_2h_keyframes_share"] = round(key_s / full_2h, 4)
    rows = []
    for clip in clips:
        full, n = decode_every_frame(clip)
        t0 = time.perf_counter()
        r = video.analyze_video(str(clip), str(folder / f"kf_{clip.stem}"))
        rows.append({"clip": clip.name, "frames": n, "full_decode_s": round(full, 3),
                     "analysis_s": round(time.perf_counter() - t0, 3), "mode": r["features"]["mode"],
                     "keyframes": len(r["keyframes"])})
    out["clips"] = rows
    return out


def bench_queue(tracks: list[Path], folder: Path) -> dict:
    from core.library import Library

    media = folder / "queue_media"
    media.mkdir()
    for t in tracks:  # copies: the scanner reads no file that resolves outside its folder (no symlinks out)
        shutil.copyfile(t, media / t.name)
    lib = Library(folder / "queue_data")
    try:
        lib.scan([str(media)])
        t0 = time.perf_counter()
        report = lib.analyze()
        wall = time.perf_counter() - t0
    finally:
        lib.close()
    n = max(1, report["analyzed"])
    return {"tracks": report["analyzed"], "failed": report["failed"], "workers": os.cpu_count(),
            "wall_s": round(wall, 2), "wall_s_per_track": round(wall / n, 3),
            "worker_s_per_track": round(report["worker_seconds"] / n, 3),
            "audiomuse_ai_s_per_song": AUDIOMUSE_S_PER_SONG,
            "speedup_vs_audiomuse_per_core": round(AUDIOMUSE_S_PER_SONG / (report["worker_seconds"] / n), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the synthetic film")
    parser.add_argument("--tracks", type=int, default=12, help="how many tracks to time (real or generated)")
    parser.add_argument("--no-queue", action="store_true", help="skip the end-to-end queue run")
    args = parser.parse_args()

    real = os.environ.get("ENCORE_REAL_MEDIA")
    with tempfile.TemporaryDirectory(prefix="encore-bench-analysis-") as tmp:
        folder = Path(tmp)
        if real and (Path(real) / "music" / "wesnoth").is_dir():
            tracks = sorted((Path(real) / "music" / "wesnoth").glob("*.ogg"))
            tracks = [t for t in tracks if t.stat().st_size > 1_000_000][: args.tracks]
            source = f"real: {real}/music/wesnoth (Ogg Vorbis, longest files first by name order)"
        else:
            tracks = generated_tracks(folder, min(args.tracks, 6))
            source = "generated 4-minute FLACs (set ENCORE_REAL_MEDIA for real tracks)"
        clips = sorted((Path(real) / "video").glob("*.mp4")) if real else []
        result = {"machine": f"{os.cpu_count()} CPUs", "audio_source": source,
                  "audio": bench_audio(tracks, folder), "video": bench_video(folder, args.minutes, clips)}
        if not args.no_queue:
            result["queue"] = bench_queue(tracks, folder)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
