"""Builds the reference taggrams of the original musicnn (TensorFlow) for tests/analysis/test_tagger.py.

Run once, in a throwaway venv OUTSIDE the repository (TensorFlow is never a dependency of Encore):

    python3.11 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install "numpy<2" tensorflow-cpu==2.17.1 tf-keras==2.17.0 librosa
    /tmp/tfvenv/bin/pip install --no-deps musicnn
    TF_USE_LEGACY_KERAS=1 /tmp/tfvenv/bin/python bench/musicnn_reference.py [--media DIR] [--out NPZ]

numpy 1 is required: the package computes log10(10000 * mel + 1) on a float16 array, which numpy 1
promotes to float32 but numpy 2 (NEP 50) keeps in float16, where 10000 * mel overflows to inf; under
numpy 2 the original returns NaN for every patch of every real track we tried (TF 2.21, numpy 2.4).
The package's one setting, configuration.BATCH_SIZE, is raised (see main) so its features are per patch.

For each track it takes 6.5 s from 40 % of the way in, resampled to 16 kHz mono by librosa.load (as
musicnn does), rounds it to int16, writes that as a 16-bit WAV and runs the package's own
`musicnn.extractor.extractor` on the WAV (which reads it back bit for bit: no resampling at 16 kHz), for
MTT_musicnn and MSD_musicnn. The npz keeps the int16 audio with the taggrams (per-patch sigmoid outputs)
and penultimate features, so the test needs neither the original files nor librosa's resampler.
6.5 s = 2 full 3-s patches plus a remainder the extractor drops. Without real music (the folder from
shared/corpus/fetch-real-media.sh) it falls back to generated chords. Prints one JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

CLIP_S = 6.5
SR = 16000
# Chosen for variety (choir, folk band, solo piano / strings, loud battle drums): the last one is loud
# enough that the package's float16 log-mel overflows, which the test checks separately.
TRACKS = ["nunc_dimittis.ogg", "traveling_minstrels.ogg", "love_theme.ogg", "frantic.ogg"]
MODELS = ["MTT_musicnn", "MSD_musicnn"]


def _chord(seconds: float, root_hz: float, seed: int) -> np.ndarray:
    """A decaying major chord with a little noise: music-like input when no real tracks are there."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    env = np.exp(-(t % 1.0) * 3.0)
    y = sum(np.sin(2 * np.pi * root_hz * r * t) for r in (1.0, 1.26, 1.5, 2.0)) * env * 0.15
    return (y + rng.normal(0, 0.01, len(t))).astype(np.float32)


def _clips(media: str | None) -> list[tuple[str, np.ndarray]]:
    import librosa

    out = []
    for name in TRACKS:
        path = os.path.join(media, name) if media else ""
        if path and os.path.isfile(path):
            duration = librosa.get_duration(path=path)
            y, _ = librosa.load(path, sr=SR, offset=round(0.4 * max(0.0, duration - CLIP_S), 2), duration=CLIP_S)
            out.append((name, y))
    if not out:
        out = [(f"chord-{hz:g}Hz", _chord(CLIP_S, hz, i)) for i, hz in enumerate((220.0, 330.0, 110.0))]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", default=os.environ.get("ENCORE_REAL_MEDIA_MUSIC", "/root/real-media/music/wesnoth"))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures",
                                                     "musicnn", "reference.npz"))
    args = parser.parse_args()
    if int(np.__version__.split(".")[0]) >= 2:
        sys.exit("numpy 2 makes the original musicnn overflow to NaN: use a venv with numpy<2 (see the docstring)")
    import librosa
    import soundfile as sf
    import tensorflow as tf
    from musicnn import configuration
    from musicnn.extractor import extractor

    # The extractor runs BATCH_SIZE (1) patches per session call, and for every call after the first it
    # appends the FIRST call's features again (its loop unpacks into new names but concatenates the old
    # ones), so only patch 0's penultimate would be right. One call for all patches avoids that; the
    # taggram is the same either way (batch norm runs in inference mode, patch by patch).
    configuration.BATCH_SIZE = 1024

    arrays: dict[str, np.ndarray] = {}
    names, seconds, nan_patches = [], 0.0, {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, y) in enumerate(_clips(args.media)):
            pcm = np.clip(np.round(y * 32768.0), -32768, 32767).astype(np.int16)
            wav = os.path.join(tmp, f"{i}.wav")
            sf.write(wav, pcm, SR, subtype="PCM_16")
            arrays[f"audio_{i}"] = pcm
            names.append(name)
            for model in MODELS:
                start = time.perf_counter()
                taggram, _, features = extractor(wav, model=model, input_length=3, input_overlap=False,
                                                 extract_features=True)
                seconds += time.perf_counter() - start
                arrays[f"{model}_taggram_{i}"] = np.asarray(taggram, np.float32)
                arrays[f"{model}_penultimate_{i}"] = np.asarray(features["penultimate"], np.float32)
                nan_patches[f"{name}/{model}"] = int(np.isnan(taggram).any(axis=1).sum())
    meta = {"tracks": names, "clip_s": CLIP_S, "sr": SR, "models": MODELS,
            "tensorflow": tf.__version__, "librosa": librosa.__version__, "python": sys.version.split()[0],
            "numpy": np.__version__, "musicnn": "0.1.0",
            "nan_patches": nan_patches}
    arrays["meta"] = np.array(json.dumps(meta))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(json.dumps({**meta, "out": os.path.abspath(args.out), "bytes": os.path.getsize(args.out),
                      "extractor_seconds_total": round(seconds, 2)}))


if __name__ == "__main__":
    main()
