"""Tagger benchmark: MusiCNN (both models, torch) per 30-s clip, against decoding the same clip alone.

    nice .venv/bin/python bench/tagging.py                                 # generated 30-s clips
    ENCORE_REAL_MEDIA=/root/real-media nice .venv/bin/python bench/tagging.py --tracks 6   # real Ogg tracks

Items are 30-s clips as the analysis decodes them (core/analysis/decode.decode_window: mono 22,050 Hz;
a long track gives 3 x 30 s). Per clip, medians over the clips and --repeat rounds:
  decode_s        the baseline: decoding the clip alone (the decode window's time / its segments)
  mel_s           resampling to 16 kHz + the log-mel front end (core/analysis/tagger.log_mel)
  tag_cpu_s       both networks on the clip's 3-s patches on CPU (torch threads: --threads)
  tag_cuda_s      the same on CUDA, when torch.cuda.is_available()
and items/s with ratios to the decode baseline, measured in the same process. Prints one JSON object.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CLIP_S = 30.0


def _generated(folder: Path, n: int) -> list[Path]:
    """n 40-s FLACs (clicks + chords + noise, 44.1 kHz stereo): decoded whole, cut to 30 s below."""
    import numpy as np
    import soundfile as sf

    from tests.analysis import signals

    out = []
    for i in range(n):
        sr, bpm = 44100, 80 + 15 * i
        y = np.tile(signals.click_track(bpm, 20.0, sr), 2)
        chords = signals.chord_progression(seconds_each=60 / bpm * 4, sr=sr)
        reps = len(y) // len(chords)
        y[: len(chords) * reps] += np.tile(chords, reps)
        y += 0.02 * np.random.default_rng(i).standard_normal(len(y)).astype(np.float32)
        path = folder / f"clip{i}.flac"
        sf.write(str(path), np.stack([y, y], axis=1).clip(-1, 1), sr, format="FLAC")
        out.append(path)
    return out


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import numpy as np
    import torch

    from core.analysis import decode
    from core.analysis import tagger as tg

    real = os.environ.get("ENCORE_REAL_MEDIA")
    with tempfile.TemporaryDirectory() as tmp:
        paths = sorted((Path(real) / "music" / "wesnoth").glob("*.ogg"))[: args.tracks] if real else []
        source = "real" if paths else "generated"
        paths = paths or _generated(Path(tmp), args.tracks)
        cpu = tg.MusicTagger(cache_dir=Path(tmp) / "models", device="cpu", threads=args.threads)
        cuda = tg.MusicTagger(cache_dir=Path(tmp) / "models", device="cuda") if torch.cuda.is_available() else None
        load_start = time.perf_counter()
        cpu.tag(np.zeros(decode.SR * 3, np.float32), decode.SR)  # weights converted + loaded, warm-up
        load_s = time.perf_counter() - load_start
        if cuda is not None:
            cuda.tag(np.zeros(decode.SR * 3, np.float32), decode.SR)
        decode_s, mel_s, cpu_s, cuda_s, clips = [], [], [], [], 0
        for _ in range(args.repeat):
            for path in paths:
                start = time.perf_counter()
                segments, _, _ = decode.decode_window(str(path))
                segments = [s[: int(CLIP_S * decode.SR)] for s in segments if len(s) >= 3 * decode.SR]
                if not segments:
                    continue
                per_clip = (time.perf_counter() - start) / len(segments)
                for clip in segments:
                    clips += 1
                    decode_s.append(per_clip)
                    start = time.perf_counter()
                    tg.log_mel(tg.to_16k_mono(clip, decode.SR))
                    mel_s.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    cpu.tag(clip, decode.SR)
                    cpu_s.append(time.perf_counter() - start - mel_s[-1])
                    if cuda is not None:
                        start = time.perf_counter()
                        cuda.tag(clip, decode.SR)
                        torch.cuda.synchronize()
                        cuda_s.append(time.perf_counter() - start - mel_s[-1])
    dec, mel, cpu_t = _median(decode_s), _median(mel_s), _median(cpu_s)
    out: dict[str, object] = {
        "bench": "tagging", "source": source, "tracks": len(paths), "clips_measured": clips, "clip_s": CLIP_S,
        "models": list(tg.MODELS), "version": tg.TAGGER_VERSION, "torch": torch.__version__,
        "cpu_threads": args.threads, "first_load_s": round(load_s, 3),
        "decode_s_per_clip": dec, "mel_s_per_clip": mel, "tag_cpu_s_per_clip": cpu_t,
        "baseline_decode_items_per_s": round(1 / dec, 2),
        "decode_mel_items_per_s": round(1 / (dec + mel), 2),
        "tagger_cpu_items_per_s": round(1 / (mel + cpu_t), 2),
        "decode_tag_cpu_items_per_s": round(1 / (dec + mel + cpu_t), 2),
        "ratio_decode_mel_to_decode": round((dec + mel) / dec, 2),
        "ratio_decode_tag_cpu_to_decode": round((dec + mel + cpu_t) / dec, 2),
    }
    if cuda_s:
        cu = _median(cuda_s)
        out.update({"cuda_device": torch.cuda.get_device_name(0), "tag_cuda_s_per_clip": cu,
                    "tagger_cuda_items_per_s": round(1 / (mel + cu), 2),
                    "ratio_decode_tag_cuda_to_decode": round((dec + mel + cu) / dec, 2)})
    else:
        out["cuda"] = "not available"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
