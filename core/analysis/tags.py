"""The tagging stage: the pretrained music tagger (core.analysis.tagger) over an item's decoded windows.

Runs inside the analysis worker on the same decoded window as the features (decode.decode_window: up to
3 x 30 s, mono 22,050 Hz). On CPU (one thread, AVX2) both MusiCNN models cost ~0.15 s per 3-s patch (the
timbral convolutions: ~1.2 GMAC per patch and model, ~45 % of the core's peak already), so tagging all 30
patches of a long track would cost ~18x its decoding (0.25 s). Each window therefore gives
PATCHES_PER_WINDOW evenly spaced patch (CPU_PATCHES for an item decoded as one segment); on CUDA every
patch is tagged. Measured on the real soundtrack (bench/analysis.py, docs/BENCHMARKS.md "Hear and see"):
analysis with the tagger 2.5-3.1x the decode floor (goal 2.5x); against all 30 patches the 3 give tag
vectors correlated 0.970 (top-5 tags 85 % the same), 2 patches would give 0.933 (79 %) for ~2.5x.
Tags and embeddings are the mean over the tagged patches, so each window weighs by its patches.

TAGS_VERSION names the weights, the port and the patch plan: a new one re-tags (decoding again, never
redoing the features) and nothing else.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.analysis.tagger import PATCH_FRAMES, TAGGER_VERSION

PATCHES_PER_WINDOW = 1
CPU_PATCHES = 3  # an item of one segment (a track under 100 s) gets its patches spread over it
TAGS_VERSION = f"{TAGGER_VERSION}/p{PATCHES_PER_WINDOW}x3"
PATCH_SAMPLES_16K = PATCH_FRAMES * 256  # one patch of the tagger's front end (hop 256 at 16 kHz): 2.99 s
RESAMPLE_MARGIN_S = 0.2  # context resampled around a patch (soxr HQ's edge effects reach 50-100 ms)

_TAGGER: Any = None


def tagger(cache_dir: str | None) -> Any:
    """The worker process's MusicTagger (built once; the weights load on first use)."""
    global _TAGGER
    if _TAGGER is None:
        from core.analysis.tagger import MusicTagger

        _TAGGER = MusicTagger(cache_dir=cache_dir, threads=1)
    return _TAGGER


def pick_patches(n_samples: int, wanted: int | None) -> list[int]:
    """Start samples (16 kHz) of `wanted` evenly spaced, whole, non-overlapping patches of a clip (all of
    them when `wanted` is None or the clip has fewer); [0] for a clip shorter than one patch."""
    n = n_samples // PATCH_SAMPLES_16K
    if n <= 1:
        return [0]
    if wanted is None or wanted >= n:
        return [i * PATCH_SAMPLES_16K for i in range(n)]
    return [int((j + 0.5) * n / wanted) * PATCH_SAMPLES_16K for j in range(wanted)]


def patch_plan(segments: list[np.ndarray], all_patches: bool) -> list[int | None]:
    """Patches to tag per segment: every one on a GPU, else PATCHES_PER_WINDOW per window and CPU_PATCHES for
    an item decoded as one segment (a short track)."""
    if all_patches:
        return [None] * len(segments)
    if len(segments) == 1:
        return [CPU_PATCHES]
    return [PATCHES_PER_WINDOW] * len(segments)


def _patch_pieces(segment: np.ndarray, sr: int, wanted: int | None) -> list[np.ndarray]:
    """The 16 kHz patches to tag from one decoded segment. Where a patch starts on a sample where the two
    rates' grids meet (every 20 ms for 22,050 Hz: the patch of each 30-s window does), only its own stretch
    is resampled, with RESAMPLE_MARGIN_S of context on each side (or the segment's own edge) cut off after,
    so it holds the samples a resampling of the whole segment gives there (within 1e-6; the whole segment
    cost 5-7x more). Else the whole segment is resampled, as before."""
    from core.analysis.tagger import SR, to_16k_mono

    n16 = len(segment) * SR // sr
    step16 = SR // math.gcd(SR, sr)  # 16 kHz samples between points of both grids (320 for 22,050 Hz)
    starts = pick_patches(n16, wanted)
    if n16 <= PATCH_SAMPLES_16K or any(start % step16 for start in starts):
        # a short sound, or patches off the grids (a track decoded as one segment): the whole segment
        clip = to_16k_mono(segment, sr)
        if len(clip) < PATCH_SAMPLES_16K:  # repeated to fill one patch (the training's pad)
            return [np.tile(clip, int(np.ceil(PATCH_SAMPLES_16K / max(1, len(clip)))))[:PATCH_SAMPLES_16K]]
        return [clip[start:start + PATCH_SAMPLES_16K] for start in pick_patches(len(clip), wanted)]
    margin16 = int(math.ceil(RESAMPLE_MARGIN_S * SR / step16)) * step16
    pieces = []
    for start in starts:
        low, high = max(0, start - margin16), start + PATCH_SAMPLES_16K + margin16
        last = len(segment) if high >= n16 else high * sr // SR
        clip = to_16k_mono(segment[low * sr // SR:last], sr)[start - low:start - low + PATCH_SAMPLES_16K]
        if len(clip) < PATCH_SAMPLES_16K:  # the rounding of the segment's last samples
            clip = np.pad(clip, (0, PATCH_SAMPLES_16K - len(clip)))
        pieces.append(clip)
    return pieces


def tag_segments(segments: list[np.ndarray], sr: int, cache_dir: str | None = None,
                 model: Any = None) -> dict[str, Any]:
    """Tag the decoded window: {"version", "mtt", "msd" ({tag: p}), "embedding", "mtt_embedding" (float32
    bytes), "patches"}; the tagged patches of every segment are run as one batch."""
    from core.analysis.tagger import labels

    model = model or tagger(cache_dir)
    segments = [s for s in segments if len(s)]
    if not segments:
        raise ValueError("no audio to tag")
    pieces = []
    for segment, wanted in zip(segments, patch_plan(segments, model.device != "cpu"), strict=True):
        pieces += _patch_pieces(segment, sr, wanted)
    # k whole patches end to end give the centred STFT 187 k + 1 frames: exactly k patches, each on its piece.
    grams = model.taggrams_16k(np.concatenate(pieces))
    out: dict[str, Any] = {"version": TAGS_VERSION}
    for name, key in (("MTT_musicnn", "mtt"), ("MSD_musicnn", "msd")):
        gram = grams[name]
        probabilities = gram.probabilities.mean(axis=0)
        out[key] = {tag: round(float(p), 5) for tag, p in zip(labels(name), probabilities, strict=True)}
        vector = gram.penultimate.mean(axis=0).astype(np.float32)
        out["embedding" if key == "msd" else "mtt_embedding"] = vector.tobytes()
    out["patches"] = int(len(grams["MSD_musicnn"].probabilities))
    return out


# ----------------------------------------------------------------------------- the reference

PRIOR_FILE = "tag_prior.json"
PRIOR_ITEMS = 30  # the prior weighs as this many tracks: a library of 300 is 91 % itself
REFRESH_SHARE = 0.1  # the stored reference is recomputed when the tagged music grew or shrank by 10 %
REFRESH_MIN_ITEMS = 3


def prior() -> dict[str, Any]:
    """The committed prior: {"mtt": {tag: [mean, sd]}, "msd": {...}, "items", "source", "version"}."""
    import json
    from pathlib import Path

    return json.loads((Path(__file__).with_name(PRIOR_FILE)).read_text(encoding="utf-8"))


def reference_stats(rows: list[dict[str, dict[str, float]]], base: dict[str, Any] | None = None,
                    prior_items: int = PRIOR_ITEMS) -> dict[str, dict[str, list[float]]]:
    """{model: {tag: [mean, sd]}}: the mixture of the library's tag probabilities (`rows`) and the prior
    weighted as `prior_items` tracks (mean and variance of the pooled distribution)."""
    base = base or prior()
    out: dict[str, dict[str, list[float]]] = {}
    for model in ("mtt", "msd"):
        out[model] = {}
        for tag, (prior_mean, prior_sd) in base.get(model, {}).items():
            values = np.array([r[model][tag] for r in rows if tag in r.get(model, {})], np.float64)
            n, w = len(values), float(prior_items)
            lib_mean = float(values.mean()) if n else 0.0
            mean = (n * lib_mean + w * prior_mean) / (n + w)
            var = (float(((values - mean) ** 2).sum()) + w * (prior_sd ** 2 + (prior_mean - mean) ** 2)) / (n + w)
            out[model][tag] = [round(mean, 5), round(float(np.sqrt(var)), 5)]
    return out


_REFERENCE: dict[str, Any] = {}


def reference_for(conn: Any) -> dict[str, dict[str, list[float]]]:
    """The tag reference descriptors compare with: the stored one of this tagger version, else the prior."""
    from core.db import features as db

    stored = db.tag_reference(conn)
    key = (stored or {}).get("updated_at"), (stored or {}).get("version")
    if _REFERENCE.get("key") != key:
        stats = stored["stats"] if stored and stored["version"] == TAGS_VERSION and stored["stats"] else \
            reference_stats([])
        _REFERENCE.update(key=key, stats=stats)
    return _REFERENCE["stats"]


def refresh_reference(conn: Any, now: float) -> bool:
    """Recompute and store the reference (inside the caller's write transaction) when there is none of this
    tagger version or the tagged music changed by REFRESH_SHARE; True when it was written (the descriptors of
    every tagged item are then stale and are redone from the stored JSON)."""
    from core.db import features as db

    stored = db.tag_reference(conn)
    count = db.music_tag_count(conn, TAGS_VERSION)  # cheap: the rows are read only when a refresh is due
    if stored is not None and stored["version"] == TAGS_VERSION and \
            abs(count - stored["items"]) < max(REFRESH_MIN_ITEMS, REFRESH_SHARE * stored["items"]):
        return False
    rows = db.music_tag_rows(conn, TAGS_VERSION)
    db.write_tag_reference(conn, TAGS_VERSION, len(rows), reference_stats(rows), now)
    return True
