"""The few DSP building blocks the audio analyser needs, in plain numpy/scipy.

They follow librosa's definitions (STFT with centred constant padding, Slaney mel filters, onset
strength as the mean positive log-mel rise, DCT-II MFCCs) and are checked against librosa in
tests/analysis/test_dsp.py. Why not call librosa: importing librosa.util compiles dozens of numba
kernels (20-60 s per fresh process without a warm cache); these take milliseconds and need no JIT.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def stft_magnitude(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT| (1 + n_fft/2 bins x frames), periodic Hann window, centred frames (zero padding)."""
    y = np.pad(y.astype(np.float32, copy=False), n_fft // 2)
    n_frames = 1 + (len(y) - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(y, shape=(n_frames, n_fft), strides=(y.strides[0] * hop, y.strides[0]))
    from scipy.fft import rfft

    window = _hann(n_fft)
    out = np.empty((n_fft // 2 + 1, n_frames), np.float32)
    for start in range(0, n_frames, 512):  # in blocks: bounded temporary memory
        block = rfft(frames[start:start + 512] * window, axis=1)  # float32 in -> complex64 out
        out[:, start:start + 512] = np.abs(block).T
    return out


@lru_cache(maxsize=4)
def _hann(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def fft_frequencies(sr: int, n_fft: int) -> np.ndarray:
    return np.fft.rfftfreq(n_fft, 1.0 / sr)


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=float)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    mels = f / f_sp
    log_part = f >= min_log_hz
    mels[log_part] = min_log_hz / f_sp + np.log(f[log_part] / min_log_hz) / logstep
    return mels


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    freqs = f_sp * m
    min_log_mel = min_log_hz / f_sp
    log_part = m >= min_log_mel
    freqs[log_part] = min_log_hz * np.exp(logstep * (m[log_part] - min_log_mel))
    return freqs


@lru_cache(maxsize=4)
def mel_filters(sr: int, n_fft: int, n_mels: int = 128) -> np.ndarray:
    """Triangular Slaney-normalised mel filter bank (n_mels x bins), as librosa.filters.mel."""
    fft_freqs = fft_frequencies(sr, n_fft)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([sr / 2.0]))[0], n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=4)
def chroma_filters(sr: int, n_fft: int, tuning: float = 0.0) -> np.ndarray:
    """12 x bins pitch-class weights, as librosa.filters.chroma (Ellis' chroma: a Gaussian per bin
    around its fractional pitch class, columns L2-normalised, octaves weighted around C5 +- 2)."""
    n_chroma = 12
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    frqbins = n_chroma * np.log2(frequencies / (a440 / 16))
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidthbins = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    dist = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    half = np.round(n_chroma / 2)
    dist = np.remainder(dist + half + 10 * n_chroma, n_chroma) - half
    wts = np.exp(-0.5 * (2 * dist / binwidthbins[None, :]) ** 2)
    wts /= np.maximum(np.sqrt((wts**2).sum(axis=0, keepdims=True)), np.finfo(float).tiny)
    wts *= np.exp(-0.5 * (((frqbins / n_chroma - 5.0) / 2.0) ** 2))[None, :]
    wts = np.roll(wts, -3, axis=0)  # start at C
    return np.ascontiguousarray(wts[:, : 1 + n_fft // 2], dtype=np.float32)


def power_to_db(power: np.ndarray, amin: float = 1e-10) -> np.ndarray:
    """10 log10(power) with a floor (reference 1.0, no top_db clipping)."""
    return (10.0 * np.log10(np.maximum(power, amin))).astype(np.float32)


def onset_strength(mel_db: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Spectral-flux onset envelope: mean over mel bands of the positive rise per frame (librosa's)."""
    flux = np.maximum(0.0, mel_db[:, 1:] - mel_db[:, :-1]).mean(axis=0)
    pad = 1 + n_fft // (2 * hop)  # librosa centres the envelope on the frames the same way
    env = np.pad(flux, (pad, 0))[: mel_db.shape[1]]
    return env.astype(np.float32)


def mfcc(mel_db: np.ndarray, n_mfcc: int) -> np.ndarray:
    """MFCCs: orthonormal DCT-II of the log-mel spectrogram, first n_mfcc coefficients."""
    from scipy.fft import dct

    return dct(mel_db, axis=0, type=2, norm="ortho")[:n_mfcc]
