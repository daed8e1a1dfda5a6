"""Decoding the analysis window of a track: up to 3 x 30 s, mono 22,050 Hz, seeking straight to each part.

soundfile (libsndfile) for the formats it reads, audioread (what librosa.load falls back to) for the
rest. Also measures how much power the mono downmix loses against the channels, for loudness.
"""

from __future__ import annotations

import os

import numpy as np

SR = 22050
SEGMENT_S = 30.0
WHOLE_TRACK_UP_TO_S = 100.0  # shorter tracks are decoded whole (at most 100 s)
SOUNDFILE_EXTS = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".w64", ".caf"}


class NoAudio(ValueError):
    """The file has no decodable audio."""


def window_plan(duration: float | None) -> list[tuple[float, float | None]]:
    """(offset, seconds) segments to decode: the whole track when short, else 3 x 30 s at 20/50/80 %."""
    if not duration or duration <= WHOLE_TRACK_UP_TO_S:
        return [(0.0, WHOLE_TRACK_UP_TO_S)]
    starts = [min(max(0.0, c * duration - SEGMENT_S / 2), duration - SEGMENT_S) for c in (0.2, 0.5, 0.8)]
    return [(round(s, 3), SEGMENT_S) for s in starts]


def _resample(y: np.ndarray, sr: int) -> np.ndarray:
    if sr == SR:
        return y.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(y, sr, SR, quality="HQ").astype(np.float32, copy=False)


def channel_gain_db(channels_ms: float, mono_ms: float) -> float:
    """dB to add to the mono downmix's loudness so it reads like BS.1770's sum over channels.

    BS.1770 adds the channels' powers (weight 1 for front channels; surround weights ignored); the
    downmix (mean of channels) has less power: 3 dB less for identical channels, 6 dB for unrelated.
    """
    if mono_ms <= 1e-12 or channels_ms <= 0:
        return 0.0
    return float(10 * np.log10(np.clip(channels_ms / mono_ms, 1.0, 10.0)))


def _mono(data: np.ndarray, power: list[float]) -> np.ndarray:
    """Mean of the channels; accumulates [sum of channel mean squares, downmix mean square]."""
    mono = data.mean(axis=1)
    power[0] += float(np.mean(np.square(data, dtype=np.float64), axis=0).sum()) * len(data)
    power[1] += float(np.mean(np.square(mono, dtype=np.float64))) * len(data)
    return mono


def _decode_soundfile(path: str) -> tuple[list[np.ndarray], float, float]:
    import soundfile as sf

    power = [0.0, 0.0]
    with sf.SoundFile(path) as fh:
        sr = fh.samplerate
        duration = fh.frames / sr if fh.frames > 0 and fh.frames < 2**62 else None
        segments = []
        for offset, seconds in window_plan(duration):
            if offset:
                fh.seek(int(offset * sr))
            data = fh.read(int((seconds or WHOLE_TRACK_UP_TO_S) * sr), dtype="float32", always_2d=True)
            if len(data):
                segments.append(_resample(_mono(data, power), sr))
    return segments, duration or sum(len(s) for s in segments) / SR, channel_gain_db(*power)


def _decode_audioread(path: str, duration: float | None) -> tuple[list[np.ndarray], float, float]:
    """The fallback decoder (what librosa.load falls back to), used directly: it reads up to the end
    of the last window and slices, and it avoids importing librosa (whose numba kernels take tens of
    seconds to compile in a fresh process)."""
    import audioread

    with audioread.audio_open(path) as fh:
        sr, channels = int(fh.samplerate), max(1, int(fh.channels))
        total = float(fh.duration or duration or 0.0) or None
        plan = window_plan(total)
        needed = max(offset + (seconds or WHOLE_TRACK_UP_TO_S) for offset, seconds in plan)
        blocks, samples = [], 0
        for block in fh:
            blocks.append(np.frombuffer(block, "<i2"))
            samples += len(blocks[-1])
            if samples >= needed * sr * channels:
                break
    if not blocks:
        return [], total or 0.0, 0.0
    pcm = np.concatenate(blocks)
    power = [0.0, 0.0]
    pcm = _mono(pcm[: len(pcm) - len(pcm) % channels].reshape(-1, channels) / 32768.0, power)
    segments = []
    for offset, seconds in plan:
        piece = pcm[int(offset * sr): int((offset + (seconds or WHOLE_TRACK_UP_TO_S)) * sr)]
        if len(piece):
            segments.append(_resample(piece.astype(np.float32), sr))
    return segments, total or len(pcm) / sr, channel_gain_db(*power)


def decode_window(path: str, duration: float | None = None) -> tuple[list[np.ndarray], float, float]:
    """Mono 22,050 Hz segments of the analysis window, the track duration in seconds, and the
    channel gain (dB) that corrects the downmix's loudness (see channel_gain_db).

    soundfile (libsndfile: wav/flac/ogg/opus/mp3/aiff) seeks straight to each segment; anything else
    (or what soundfile rejects) goes through audioread. Raises NoAudio when nothing decodes.
    """
    errors = []
    if os.path.splitext(path)[1].lower() in SOUNDFILE_EXTS:
        try:
            segments, total, gain = _decode_soundfile(path)
            if segments:
                return segments, total, gain
        except Exception as exc:  # noqa: BLE001 - fall back to the other decoder
            errors.append(f"soundfile: {exc}")
    try:
        segments, total, gain = _decode_audioread(path, duration)
        if segments:
            return segments, total, gain
        errors.append("no audio samples")
    except Exception as exc:  # noqa: BLE001
        detail = str(exc) or "no decoder for this format here (audioread needs ffmpeg or GStreamer)"
        errors.append(f"audioread: {type(exc).__name__}: {detail}")
    raise NoAudio("no decodable audio (" + "; ".join(e[:150] for e in errors) + ")")
