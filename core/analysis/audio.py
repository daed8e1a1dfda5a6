"""Audio features from a bounded window of a track: decode up to 3 x 30 s, one STFT, everything from it.

Runs inside an analysis worker. The window is mono 22,050 Hz; per segment we compute one magnitude
STFT and derive mel, onset envelope, tempo autocorrelation, chroma, MFCC, spectral shape and an
approximate BS.1770 loudness from it. The building blocks are in dsp.py (numpy, following
librosa's definitions without loading librosa's numba kernels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from core.analysis import dsp
from core.analysis.decode import SR, NoAudio, decode_window

N_FFT = 2048
HOP = 512
SILENCE_DB = -60.0
N_MFCC = 13
PITCHES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
# Krumhansl-Kessler key profiles (C major / C minor); rotated for the other 22 keys.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

# Layout of the similarity vector (float32, L2-normalised); a change here needs AUDIO_VERSION + 1.
VECTOR_FIELDS = (
    ["tempo_log2", "beat_strength", "mode_major", "key_strength", "rms", "loudness", "dynamic_range",
     "centroid", "rolloff", "flatness", "zcr", "onset_rate", "low_energy", "speech_hint"]
    + [f"mfcc_mean_{i}" for i in range(N_MFCC)] + [f"mfcc_std_{i}" for i in range(N_MFCC)]
    + [f"chroma_{p}" for p in PITCHES]
)


# ----- loudness (approximate ITU-R BS.1770 on the STFT power) -----------------------------------
K_FILTER_RATE = 48000  # the BS.1770 filters are specified at 48 kHz; our bins all lie below 11 kHz


def _biquad_power(b: np.ndarray, a: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    z = np.exp(-2j * np.pi * freqs / K_FILTER_RATE)  # z^-1
    h = (b[0] + b[1] * z + b[2] * z**2) / (a[0] + a[1] * z + a[2] * z**2)
    return np.abs(h) ** 2


def k_weighting(freqs: np.ndarray) -> np.ndarray:
    """|H(f)|^2 of the BS.1770 K filter (pre-filter shelf + RLB high-pass) at `freqs` (Hz)."""
    # The published 48 kHz coefficients (ITU-R BS.1770-4, tables 1 and 2), evaluated at our bins.
    shelf_b = np.array([1.53512485958697, -2.69169618940638, 1.19839281085285])
    shelf_a = np.array([1.0, -1.69065929318241, 0.73248077421585])
    rlb_b = np.array([1.0, -2.0, 1.0])
    rlb_a = np.array([1.0, -1.99004745483398, 0.99007225036621])
    return _biquad_power(shelf_b, shelf_a, freqs) * _biquad_power(rlb_b, rlb_a, freqs)


def parseval_weights() -> np.ndarray:
    """Per-bin weights that turn a |STFT|^2 column into the frame's mean square (Parseval, Hann window)."""
    scale = np.full(N_FFT // 2 + 1, 2.0)
    scale[0] = scale[-1] = 1.0
    window_energy = float(np.sum(np.hanning(N_FFT + 1)[:-1] ** 2))
    return scale / (N_FFT * window_energy)


def frame_mean_square(power: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-frame mean square of the (optionally filtered) signal from |STFT|^2, by Parseval."""
    scale = parseval_weights() * (1.0 if weights is None else weights)
    return (scale.astype(power.dtype) @ power).astype(np.float64)


def _blocks(ms: np.ndarray, block_s: float, step_s: float) -> np.ndarray:
    """Means of `block_s` windows every `step_s` over per-frame values."""
    size = max(1, round(block_s * SR / HOP))
    step = max(1, round(step_s * SR / HOP))
    if len(ms) < size:
        return np.array([ms.mean()]) if len(ms) else np.array([])
    cumulative = np.concatenate([[0.0], np.cumsum(ms, dtype=np.float64)])
    starts = np.arange(0, len(ms) - size + 1, step)
    return (cumulative[starts + size] - cumulative[starts]) / size


def loudness(k_ms_segments: list[np.ndarray]) -> tuple[float | None, float]:
    """(integrated loudness in LUFS, loudness range in LU): BS.1770 gating on the K-weighted frames.

    Approximations: mono downmix (corrected by a broadband channel gain), STFT-domain K-weighting, 400 ms blocks with 75 % overlap for the
    integrated value and 3 s blocks at 1 s steps (EBU R128 LRA: 10th-95th percentile) for the range.
    """
    def lufs(z: np.ndarray) -> np.ndarray:
        return -0.691 + 10 * np.log10(np.maximum(z, 1e-12))

    z = np.concatenate([_blocks(ms, 0.4, 0.1) for ms in k_ms_segments])
    z = z[lufs(z) > -70]
    if not len(z):
        return None, 0.0
    z = z[lufs(z) > lufs(np.array([z.mean()]))[0] - 10]
    integrated = float(lufs(np.array([z.mean()]))[0])
    short = np.concatenate([_blocks(ms, 3.0, 1.0) for ms in k_ms_segments])
    short = short[lufs(short) > -70]
    if len(short) < 2:
        return integrated, 0.0
    short = short[lufs(short) > lufs(np.array([short.mean()]))[0] - 20]
    lo, hi = np.percentile(lufs(short), [10, 95])
    return integrated, float(hi - lo)


def count_onsets(env: np.ndarray, delta: float = 2.0) -> int:
    """Peaks of the onset envelope: local maxima (+-70 ms) at least `delta` above the +-230 ms mean.

    An absolute threshold (dB of mel-band rise per frame), so a steady tone or hiss has no onsets.
    Plain numpy/scipy (librosa's peak_pick is numba-compiled: seconds of JIT in every new process).
    """
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    if len(env) < 3:
        return 0
    peaks = (env == maximum_filter1d(env, size=7)) & (env >= uniform_filter1d(env, size=21) + delta)
    index = np.flatnonzero(peaks)
    if len(index) == 0:
        return 0
    keep = np.concatenate([[True], np.diff(index) > 3])  # one onset per 70 ms at most
    return int(keep.sum())


# ----- tempo and key ------------------------------------------------------------------------------
TEMPO_WINDOW = 384  # frames (8.9 s), as librosa's tempogram
TEMPO_STEP = 32  # frames between autocorrelation windows (librosa uses every frame: 32x the work)
SMOOTHING = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0


def local_autocorrelation(env: np.ndarray) -> np.ndarray:
    """Autocorrelation of Hann-windowed 8.9 s stretches of the onset envelope, each normalised to lag 0.

    The same quantity as librosa.feature.tempogram, computed every 32 frames instead of every frame,
    on an envelope smoothed over +-2 frames: onsets land on whole frames, so a beat period between two
    lags (140 BPM = 18.45 frames) splits its peak in two and the double period wins; smoothing
    keeps the true period's peak whole.
    """
    env = np.convolve(env, SMOOTHING, mode="same")
    if len(env) < TEMPO_WINDOW:
        env = np.pad(env, (0, TEMPO_WINDOW - len(env)))
    starts = range(0, len(env) - TEMPO_WINDOW + 1, TEMPO_STEP)
    frames = np.stack([env[i:i + TEMPO_WINDOW] for i in starts]) * np.hanning(TEMPO_WINDOW)
    spec = np.fft.rfft(frames, n=2 * TEMPO_WINDOW, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :TEMPO_WINDOW]
    return (ac / np.maximum(ac[:, :1], 1e-10)).T


def tempo_from_tempogram(tempogram: np.ndarray, onset_peak: float) -> tuple[float | None, float]:
    """(BPM, beat strength 0..1) from an autocorrelation tempogram (frames normalised to lag 0 = 1).

    Beat strength is the chosen period's autocorrelation above the median of all candidate periods
    (a steady sound correlates at every lag), scaled down when the onsets themselves are weak
    (`onset_peak`: 99th percentile of the onset envelope, in dB of mel-band increase per frame).

    librosa's choice (log-normal prior around 120 BPM) picks the period; it is then refined below
    frame resolution by parabolic interpolation of its first four multiples in the autocorrelation.
    """
    ac = tempogram.mean(axis=1)
    lags = np.arange(len(ac), dtype=float)
    with np.errstate(divide="ignore"):
        bpm = 60.0 * SR / (HOP * lags)
    valid = (bpm >= 30) & (bpm <= 300)
    if not valid.any() or ac[valid].max() <= 1e-6:
        return None, 0.0
    prior = -0.5 * ((np.log2(np.where(valid, bpm, 120.0)) - np.log2(120.0)) / 1.0) ** 2
    score = np.where(valid, np.log1p(1e6 * np.maximum(ac, 0)) + prior, -np.inf)
    best = int(np.argmax(score))
    estimates, weights = [], []
    for k in range(1, 5):
        centre = int(round(best * k))
        lo, hi = max(1, centre - k), min(len(ac) - 2, centre + k)
        if lo > hi:
            break
        peak = lo + int(np.argmax(ac[lo:hi + 1]))
        a, b, c = ac[peak - 1], ac[peak], ac[peak + 1]
        denom = a - 2 * b + c
        offset = 0.5 * (a - c) / denom if denom < 0 else 0.0
        estimates.append((peak + float(np.clip(offset, -0.5, 0.5))) / k)
        weights.append(k * max(b, 1e-6))
    period = float(np.average(estimates, weights=weights))
    onset_scale = float(np.clip((onset_peak - 2.0) / 4.0, 0, 1))
    if onset_scale <= 0:  # a steady sound: no onsets, so no tempo
        return None, 0.0
    strength = float(np.clip((ac[best] - float(np.median(ac[valid]))) * onset_scale, 0, 1))
    return 60.0 * SR / (HOP * period), strength


def key_from_chroma(chroma_mean: np.ndarray) -> dict[str, Any]:
    """Key, mode and confidence: Pearson correlation of mean chroma with the 24 rotated K-K profiles."""
    if not np.isfinite(chroma_mean).all() or chroma_mean.std() < 1e-6:
        return {"key": None, "mode": None, "key_strength": 0.0, "key_confidence": 0.0}
    scores = []
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(chroma_mean, np.roll(profile, tonic))[0, 1])
            scores.append((r, tonic, mode))
    scores.sort(reverse=True)
    best, second = scores[0], scores[1]
    # confidence: how clearly the best key beats the runner-up (0.15 correlation apart = certain)
    confidence = float(np.clip(best[0], 0, 1) * np.clip((best[0] - second[0]) / 0.15, 0, 1))
    return {"key": PITCHES[best[1]], "mode": best[2], "key_strength": round(best[0], 4),
            "key_confidence": round(confidence, 4)}


# ----- the analysis -------------------------------------------------------------------------------
def _mean(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    if x.size == 0:
        return 0.0
    if weights is not None and weights.sum() > 0:
        return float(np.average(x, weights=weights))
    return float(np.mean(x))


@dataclass(frozen=True)
class Filters:
    """The fixed per-bin weights every segment's STFT is reduced with (built once per process)."""

    freqs: np.ndarray  # bin centre frequencies (Hz)
    freqs32: np.ndarray
    mel: np.ndarray  # 128 mel bands
    chroma: np.ndarray  # 12 pitch classes
    bands: np.ndarray  # Parseval weights: plain, K-weighted, voice band (300-3400 Hz) mean square per frame


@lru_cache(maxsize=1)
def filters() -> Filters:
    """The analysis filters at SR / N_FFT."""
    freqs = dsp.fft_frequencies(SR, N_FFT)
    bands = (parseval_weights()[None, :] * np.stack(
        [np.ones_like(freqs), k_weighting(freqs), ((freqs >= 300) & (freqs <= 3400)).astype(float)])).astype(np.float32)
    return Filters(freqs=freqs, freqs32=freqs.astype(np.float32), mel=dsp.mel_filters(SR, N_FFT, 128),
                   chroma=dsp.chroma_filters(SR, N_FFT), bands=bands)


@dataclass(frozen=True)
class SegmentStats:
    """What one decoded segment contributes to the features, all derived from its one STFT."""

    mel_db: np.ndarray  # (128, frames)
    onset_env: np.ndarray  # per frame
    tempogram: np.ndarray  # local autocorrelation of the onset envelope
    onsets: int
    plain_ms: np.ndarray  # per-frame mean square
    k_ms: np.ndarray  # per-frame K-weighted mean square (loudness)
    voice_ms: np.ndarray  # per-frame voice-band mean square (syllabic modulation)
    chroma: np.ndarray  # (12, frames)
    centroid: np.ndarray  # per frame (Hz)
    rolloff: np.ndarray  # every 4th frame (Hz): a mean over thousands of frames needs no more
    flatness: np.ndarray  # every 4th frame


def segment_stats(y: np.ndarray, f: Filters) -> SegmentStats:
    """One STFT of a segment and everything the features take from it."""
    mag = dsp.stft_magnitude(y, N_FFT, HOP)
    power = mag * mag
    mel_db = dsp.power_to_db(f.mel @ power)
    env = dsp.onset_strength(mel_db, N_FFT, HOP)
    ms3 = (f.bands @ power).astype(np.float64)
    sub, sub_power = mag[:, ::4], power[:, ::4]
    cumulative = np.cumsum(sub, axis=0)
    return SegmentStats(
        mel_db=mel_db, onset_env=env, tempogram=local_autocorrelation(env), onsets=count_onsets(env),
        plain_ms=ms3[0], k_ms=ms3[1], voice_ms=ms3[2], chroma=f.chroma @ power,
        centroid=(f.freqs32 @ mag) / np.maximum(mag.sum(axis=0), 1e-10),
        rolloff=f.freqs[np.argmax(cumulative >= 0.85 * cumulative[-1:], axis=0)],
        flatness=np.exp(np.mean(np.log(sub_power + 1e-10), axis=0)) / (np.mean(sub_power, axis=0) + 1e-10),
    )


def features_from_segments(segments: list[np.ndarray], duration: float, channel_gain: float = 0.0) -> dict[str, Any]:
    """Every named audio feature of the analysis window (JSON-ready); `channel_gain` from decode_window."""
    segments = [s for s in segments if len(s) >= N_FFT]
    if not segments:
        raise NoAudio("the audio is shorter than one analysis frame (93 ms)")
    f = filters()
    return summarise([segment_stats(y, f) for y in segments], np.concatenate(segments), duration, channel_gain)


def summarise(stats: list[SegmentStats], y_all: np.ndarray, duration: float, channel_gain: float) -> dict[str, Any]:
    """The named features from the per-segment stats and the window's samples (`y_all`)."""
    seconds = len(y_all) / SR
    mean_square = float(np.mean(y_all.astype(np.float64) ** 2))
    rms_db = 10 * math.log10(max(mean_square, 1e-12))
    peak_db = 20 * math.log10(max(float(np.max(np.abs(y_all))), 1e-6))
    silent = rms_db < SILENCE_DB
    frame_rms = np.sqrt(np.concatenate([s.plain_ms for s in stats]))
    loud = frame_rms > max(frame_rms.max() * 1e-3, 1e-5)  # frames that are not digital silence
    weights = frame_rms * loud
    sub_rms = np.sqrt(np.concatenate([s.plain_ms[::4] for s in stats]))  # the frames of rolloff/flatness
    sub_weights = sub_rms * (sub_rms > max(frame_rms.max() * 1e-3, 1e-5))

    integrated, lra = loudness([s.k_ms for s in stats])
    if integrated is not None:
        integrated += channel_gain
    onset_peak = float(np.percentile(np.concatenate([s.onset_env for s in stats]), 99))
    tempo, beat_strength = (None, 0.0) if silent else tempo_from_tempogram(
        np.concatenate([s.tempogram for s in stats], axis=1), onset_peak)
    chroma = np.concatenate([s.chroma for s in stats], axis=1)
    chroma = chroma / np.maximum(chroma.max(axis=0, keepdims=True), 1e-10)
    chroma_mean = np.array([_mean(c, weights) for c in chroma])
    key = key_from_chroma(chroma_mean) if not silent else key_from_chroma(np.zeros(12))

    centroid = np.concatenate([s.centroid for s in stats])
    rolloff = np.concatenate([s.rolloff for s in stats])
    flatness = np.concatenate([s.flatness for s in stats])
    mfcc = dsp.mfcc(np.concatenate([s.mel_db for s in stats], axis=1), N_MFCC)
    zcr = float(np.mean(np.abs(np.diff(np.signbit(y_all).astype(np.int8))))) if not silent else 0.0
    low_energy = float(np.mean(frame_rms[loud] < 0.5 * frame_rms[loud].mean())) if loud.any() else 1.0
    mod = _syllabic_modulation([s.voice_ms for s in stats])
    flat = _mean(flatness, sub_weights) if not silent else 0.0
    onset_rate = sum(s.onsets for s in stats) / seconds if not silent else 0.0
    # A cheap hint, not a classifier: speech pauses often (low-energy frames), has 3-8 Hz syllable
    # modulation in the voice band and no steady pulse. No vocal/instrumental detector is attempted.
    speech_hint = float(np.clip(1.6 * low_energy + 1.2 * mod - 1.5 * beat_strength - 0.5, 0, 1)) if not silent else 0.0

    return {
        "analyser_window_s": round(seconds, 2),
        "duration": round(float(duration), 2),
        "segments": len(stats),
        "silent": bool(silent),
        "tempo_bpm": round(tempo, 2) if tempo else None,
        "beat_strength": round(beat_strength, 4),
        **key,
        "rms_db": round(max(rms_db, -120.0), 2),
        "peak_db": round(peak_db, 2),
        "loudness_lufs": round(integrated, 2) if integrated is not None else None,
        "dynamic_range_lu": round(lra, 2),
        "spectral_centroid_hz": round(_mean(centroid, weights), 1) if not silent else 0.0,
        "spectral_rolloff_hz": round(_mean(rolloff, sub_weights), 1) if not silent else 0.0,
        "spectral_flatness": round(flat, 5),
        "zero_crossing_rate": round(zcr, 5),
        "onset_rate": round(onset_rate, 3),
        "low_energy_ratio": round(low_energy, 4),
        "syllabic_modulation": round(mod, 4),
        "speech_hint": round(speech_hint, 3),
        "mfcc_mean": [round(float(v), 3) for v in (mfcc.mean(axis=1) if not silent else np.zeros(N_MFCC))],
        "mfcc_std": [round(float(v), 3) for v in (mfcc.std(axis=1) if not silent else np.zeros(N_MFCC))],
        "chroma_mean": [round(float(v), 4) for v in chroma_mean],
    }


def _syllabic_modulation(band_env: list[np.ndarray]) -> float:
    """Share of the voice band's envelope modulation (0.5-20 Hz) that lies at 3-8 Hz (syllable rate)."""
    frame_rate = SR / HOP
    shares = []
    for env in band_env:
        if len(env) < 4 * frame_rate or env.max() <= 1e-10:
            continue
        log_env = np.log10(env + env.max() * 1e-4)
        spec = np.abs(np.fft.rfft(log_env - log_env.mean())) ** 2
        f = np.fft.rfftfreq(len(log_env), 1 / frame_rate)
        total = spec[(f >= 0.5) & (f <= 20)].sum()
        if total > 0:
            shares.append(spec[(f >= 3) & (f <= 8)].sum() / total)
    return float(np.mean(shares)) if shares else 0.0


def feature_vector(f: dict[str, Any]) -> np.ndarray:
    """The fixed-length, L2-normalised float32 similarity vector (layout: VECTOR_FIELDS)."""
    tempo = f["tempo_bpm"] or 120.0
    mode = {"major": 1.0, "minor": 0.0}.get(f["mode"] or "", 0.5)
    lufs = f["loudness_lufs"] if f["loudness_lufs"] is not None else -70.0
    head = [
        np.clip(math.log2(tempo / 120.0), -1.5, 1.5), f["beat_strength"], mode, max(f["key_strength"], 0.0),
        (f["rms_db"] + 60) / 60, (lufs + 60) / 60, f["dynamic_range_lu"] / 20,
        f["spectral_centroid_hz"] / 4000, f["spectral_rolloff_hz"] / 8000, min(f["spectral_flatness"] * 5, 2),
        f["zero_crossing_rate"] * 5, f["onset_rate"] / 8, f["low_energy_ratio"], f["speech_hint"],
    ]
    mfcc = list(np.array(f["mfcc_mean"]) / 100.0) + list(np.array(f["mfcc_std"]) / 50.0)
    vec = np.array(head + mfcc + list(f["chroma_mean"]), dtype=np.float32)
    vec = np.nan_to_num(np.clip(vec, -5, 5))
    norm = float(np.linalg.norm(vec))
    return (vec / norm if norm > 0 else vec).astype(np.float32)


def analyze_audio(path: str, duration: float | None = None) -> tuple[dict[str, Any], np.ndarray]:
    """Decode the window of `path` and return (features, vector). Raises NoAudio for no audio."""
    segments, total, gain = decode_window(path, duration)
    features = features_from_segments(segments, total, gain)
    return features, feature_vector(features)
