"""Decoding the analysis window of a track: up to 3 x 30 s, mono 22,050 Hz, seeking straight to each part.

Two decoders: soundfile (libsndfile) and PyAV (FFmpeg bundled in its wheels, so the result does not
depend on what is installed on the machine; no system ffmpeg or GStreamer is ever used). Each format
goes to the faster one first, and to the other when the first rejects it. Both feed the same downmix
and soxr resampling, so the same PCM gives the same features. Also measures how much power the mono
downmix loses against the channels, for loudness.
"""

from __future__ import annotations

import os

import numpy as np

SR = 22050
SEGMENT_S = 30.0
WHOLE_TRACK_UP_TO_S = 100.0  # shorter tracks are decoded whole (at most 100 s)
SOUNDFILE_EXTS = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".w64", ".caf"}
# Formats where libsndfile goes first. Measured (same 3 x 30 s window incl. resampling, median of 7, shared
# 2-core machine, 240 s / 20 s 44.1 kHz stereo files): WAV 287/48 ms soundfile vs 252/102 ms PyAV (short
# PCM files: PyAV's per-packet overhead doubles the time); FLAC 325/64 vs 261/52, MP3 310/70 vs 232/55,
# Ogg Vorbis 371/79 vs 302/42: PyAV first for those. Uncompressed PCM containers behave like WAV.
SOUNDFILE_FIRST = {".wav", ".aif", ".aiff", ".au", ".w64", ".caf"}
# When the decoder meets damaged data (a cut-off copy or download: FFmpeg decodes 0.7 s of a 16 s FLAC
# cut at 8 KB, then fails), what decoded before is analysed only when it is at least this long: the
# tempo estimate needs an 8.9 s stretch, and a fraction of a second says nothing about the track.
# A file that simply ends early, without a decoder error, is analysed as it is (as libsndfile does).
DAMAGED_MIN_S = 10.0
# Lossy decoders need the frames before a seek point (MDCT overlap, MP3's bit reservoir): decoded from
# exactly there, FFmpeg's first ~50 ms after a seek were off by up to 0.27 full scale on a test MP3.
SEEK_PREROLL_S = 0.5


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


def _read_pyav_segment(container, stream, offset: float, seconds: float, sr: int) -> tuple[np.ndarray | None, bool]:
    """Native-rate float32 (samples, channels) from `offset` for `seconds`, and whether decoding stopped on
    a decoder error (corrupt or cut-off data) rather than at the window's end or the file's."""
    import av

    # Frame times count from the stream's start_time (an MP3's encoder delay, an AAC's priming), not from 0.
    start_s = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    resampler = av.AudioResampler(format="fltp", rate=sr)  # planar float32, same layout and rate
    wanted, skip_until = int(seconds * sr), int(round(offset * sr))
    first: int | None = None  # sample index (at sr) where the first kept frame starts
    blocks, have, broke = [], 0, False
    try:
        if offset:  # lands at or before the target; the pre-roll is decoded and dropped below
            container.seek(int((max(0.0, offset - SEEK_PREROLL_S) + start_s) / stream.time_base), stream=stream)
        for frame in container.decode(stream):
            at = frame.time - start_s if frame.time is not None else None
            if at is not None and at + frame.samples / (frame.sample_rate or sr) <= offset:
                continue  # before the window (the seek landed early)
            if first is None:
                first = int(round(at * sr)) if at is not None else skip_until
            for out in resampler.resample(frame):
                blocks.append(out.to_ndarray().T)
                have += len(blocks[-1])
            if have - max(0, skip_until - first) >= wanted:
                break
        for out in resampler.resample(None):  # flush
            blocks.append(out.to_ndarray().T)
    except av.FFmpegError:
        broke = True
    if not blocks or first is None:
        return None, broke
    data = np.concatenate(blocks)[max(0, skip_until - first):][:wanted]
    return (data if len(data) else None), broke


def _decode_pyav(path: str, duration: float | None) -> tuple[list[np.ndarray], float, float]:
    """The window through FFmpeg (PyAV): seek to each segment, decode, convert to planar float32 with
    av.AudioResampler at the stream's own rate, then downmix and resample with soxr like the soundfile path
    (the same PCM gives the same features whichever decoder read it)."""
    import av

    with av.open(path, metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise NoAudio("no audio stream in the file")
        stream = container.streams.audio[0]
        sr = int(stream.codec_context.sample_rate or stream.rate or 0)
        if sr <= 0:
            raise NoAudio("the audio stream has no sample rate")
        declared: float | None
        if stream.duration is not None and stream.time_base is not None:
            declared = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            declared = container.duration / av.time_base
        else:
            declared = float(duration or 0.0)
        declared = declared if declared > 0 else None
        power, segments, decoded_s, damaged = [0.0, 0.0], [], 0.0, False
        for offset, seconds in window_plan(declared):
            data, broke = _read_pyav_segment(container, stream, offset, seconds or WHOLE_TRACK_UP_TO_S, sr)
            damaged |= broke
            if data is not None:
                decoded_s += len(data) / sr
                segments.append(_resample(_mono(data, power), sr))
    if damaged and decoded_s < DAMAGED_MIN_S:
        of = f" of {declared:.1f} s" if declared else ""
        raise NoAudio(f"the audio data is damaged or cut off: only {decoded_s:.1f} s{of} decode")
    return segments, declared or decoded_s, channel_gain_db(*power)


def decode_window(path: str, duration: float | None = None) -> tuple[list[np.ndarray], float, float]:
    """Mono 22,050 Hz segments of the analysis window, the track duration in seconds, and the
    channel gain (dB) that corrects the downmix's loudness (see channel_gain_db).

    The faster decoder for the format goes first (SOUNDFILE_FIRST), the other one gets what it rejects.
    `duration` (from the scan) is used when the container does not say. Raises NoAudio when nothing
    decodes, or when the data is damaged after only a few seconds (DAMAGED_MIN_S).
    """
    ext = os.path.splitext(path)[1].lower()
    pyav = ("ffmpeg", _decode_pyav)
    soundfile = ("soundfile", lambda p, _duration: _decode_soundfile(p))
    if ext in SOUNDFILE_FIRST:
        decoders = [soundfile, pyav]
    else:
        decoders = [pyav, soundfile] if ext in SOUNDFILE_EXTS else [pyav]
    errors = []
    for name, decoder in decoders:
        try:
            segments, total, gain = decoder(path, duration)
            if segments:
                return segments, total, gain
            errors.append(f"{name}: no audio samples")
        except NoAudio as exc:
            errors.append(f"{name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - any decoder error is a file this decoder cannot read
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    raise NoAudio("no decodable audio (" + "; ".join(e[:150] for e in errors) + ")")
