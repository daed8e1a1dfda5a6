"""Audio features on generated signals with known answers (in-process: no workers, no decoding of real files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.analysis import audio, decode
from core.analysis.descriptors import audio_phrases
from tests.analysis import signals


def analyse(y: np.ndarray) -> dict:
    return audio.features_from_segments([y], len(y) / signals.SR)


@pytest.fixture(scope="module")
def click():
    return analyse(signals.click_track(120.0, 20.0))


def test_click_track_tempo_is_120_bpm(click):
    # Tolerance: +-1 BPM, no octave errors accepted (the refined autocorrelation period is exact
    # to ~0.1 BPM on a metronome; librosa's integer-lag tempogram alone would say 117.5 or 123.0).
    assert click["tempo_bpm"] == pytest.approx(120.0, abs=1.0)
    assert click["beat_strength"] > 0.3
    assert click["onset_rate"] == pytest.approx(2.0, abs=0.15)  # two clicks a second
    assert "upbeat 120 BPM" in audio_phrases(click)


@pytest.mark.parametrize("bpm", [62.0, 72.0, 97.0, 140.0, 150.0, 175.0])
def test_other_tempi(bpm):
    # Every 5 BPM from 60 to 175 reads within 1 BPM; 180 reads as 90 (the prior around 120 BPM
    # prefers the half tempo when the two are as strong as in a click track).
    f = analyse(signals.click_track(bpm, 10.0))
    assert f["tempo_bpm"] == pytest.approx(bpm, abs=1.0)


def test_a_minor_progression_is_a_minor():
    f = analyse(signals.chord_progression())
    assert (f["key"], f["mode"]) == ("A", "minor")
    assert f["key_confidence"] >= 0.25  # clearly ahead of the relative major, C
    phrases = audio_phrases(f)
    assert "A minor" in phrases and "minor key" in phrases


def test_c_major_progression_is_c_major():
    f = analyse(signals.chord_progression([["C", "E", "G"], ["F", "A", "C"], ["G", "B", "D"], ["C", "E", "G"]] * 2))
    assert (f["key"], f["mode"]) == ("C", "major")


def test_silence_is_silent_and_finite():
    f = analyse(signals.silence())
    assert f["silent"] and f["tempo_bpm"] is None and f["key"] is None and f["loudness_lufs"] is None
    assert audio_phrases(f) == ["silent"]
    vec = audio.feature_vector(f)
    assert vec.shape == (len(audio.VECTOR_FIELDS),) and np.isfinite(vec).all()


def test_white_noise_is_noisy_without_tempo_or_key():
    f = analyse(signals.white_noise())
    assert f["spectral_flatness"] > 0.3
    assert f["tempo_bpm"] is None
    phrases = audio_phrases(f)
    assert "noisy" in phrases and "bright" in phrases
    assert not any("BPM" in p or "key" in p for p in phrases)


def test_loudness_calibration_full_scale_sine():
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS; RMS is -3.01 dBFS.
    f = analyse(signals.sine(997.0, 5.0, 1.0))
    assert f["loudness_lufs"] == pytest.approx(-3.01, abs=0.1)
    assert f["rms_db"] == pytest.approx(-3.01, abs=0.05)
    quiet = analyse(signals.sine(997.0, 5.0, 0.1))
    assert quiet["loudness_lufs"] == pytest.approx(-23.01, abs=0.1)


def test_stereo_loudness_sums_channels_as_bs1770(tmp_path):
    # Identical channels: BS.1770 adds both channels' power, +3.01 LU over one channel.
    y = signals.sine(997.0, 5.0, 0.1)
    path = signals.write_wav(tmp_path / "stereo.wav", np.stack([y, y], axis=1))
    features, _ = audio.analyze_audio(str(path))
    assert features["loudness_lufs"] == pytest.approx(-20.0, abs=0.15)


def test_vector_is_normalised_and_fixed_length(click):
    vec = audio.feature_vector(click)
    assert vec.dtype == np.float32 and vec.shape == (len(audio.VECTOR_FIELDS),)
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)


def test_window_plan_bounds_decoding():
    assert decode.window_plan(60.0) == [(0.0, decode.WHOLE_TRACK_UP_TO_S)]
    plan = decode.window_plan(600.0)
    assert len(plan) == 3 and all(d == 30.0 for _, d in plan)
    assert plan[0][0] == pytest.approx(105.0) and plan[2][0] == pytest.approx(465.0)


def test_decode_reads_only_the_window(tmp_path):
    path = signals.write_wav(tmp_path / "long.flac", signals.white_noise(200.0, sr=8000), sr=8000, fmt="FLAC")
    segments, duration, _ = decode.decode_window(str(path))
    assert duration == pytest.approx(200.0, abs=0.01)
    assert [round(len(s) / decode.SR) for s in segments] == [30, 30, 30]


def test_undecodable_file_raises_clear_error(tmp_path):
    bad = tmp_path / "bad.flac"
    bad.write_bytes(b"fLaC" + bytes(200))
    with pytest.raises(decode.NoAudio, match="no decodable audio"):
        decode.decode_window(str(bad))


def _write_aac(path, y: np.ndarray, sr: int) -> None:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=sr, layout="mono")
        for start in range(0, len(y), sr):
            frame = av.AudioFrame.from_ndarray(y[None, start:start + sr].copy(), format="fltp", layout="mono")
            frame.sample_rate = sr
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def test_decodes_a_format_libsndfile_cannot_read_at_the_right_places(tmp_path):
    # AAC in MP4 (.m4a) goes through PyAV's bundled FFmpeg: each 30 s window must start where it should.
    sr = 8000
    y = np.tile(signals.chord_progression(sr=sr), 7)  # 112 s: three seeks
    path = tmp_path / "song.m4a"
    _write_aac(path, y, sr)
    segments, duration, _ = decode.decode_window(str(path))
    assert duration == pytest.approx(112.0, abs=0.2)
    assert [round(len(s) / decode.SR) for s in segments] == [30, 30, 30]
    expected = decode._resample(y, sr)
    for (offset, _), segment in zip(decode.window_plan(duration), segments, strict=True):
        # the encoder's 1024-sample priming (2822 at 22,050 Hz) is not marked in the file we wrote: allow it
        start = round(offset * decode.SR)
        corr = max(np.corrcoef(segment[4000:20000], expected[start + 4000 + lag:start + 20000 + lag])[0, 1]
                   for lag in range(-2900, 1))
        assert corr > 0.99, offset


def test_cut_off_flac_analyses_what_decodes_only_when_it_is_enough(tmp_path):
    sr = 8000
    whole = signals.write_wav(tmp_path / "whole.flac", np.tile(signals.chord_progression(sr=sr), 8), sr=sr,
                              fmt="FLAC")  # 128 s
    data = whole.read_bytes()
    half = tmp_path / "half.flac"  # a download that stopped half way: about 64 s of real audio
    half.write_bytes(data[: len(data) // 2])
    segments, duration, _ = decode.decode_window(str(half))
    assert duration == pytest.approx(128.0, abs=0.1)  # what the file says it holds
    assert 2 <= len(segments) <= 3 and sum(len(s) for s in segments) / decode.SR >= 45
    stub = tmp_path / "stub.flac"  # the header and well under a second of audio
    stub.write_bytes(data[:8300])
    with pytest.raises(decode.NoAudio, match="no decodable audio.*damaged or cut off"):
        decode.decode_window(str(stub))


def test_decoding_never_uses_a_system_decoder(tmp_path):
    # With an empty PATH no ffmpeg/GStreamer program can be found; audioread (which would use one) stays unloaded.
    import subprocess
    import sys

    path = tmp_path / "song.m4a"
    _write_aac(path, signals.chord_progression(sr=8000), 8000)
    code = ("import sys; from core.analysis import audio; f, _ = audio.analyze_audio(sys.argv[1]); "
            "print(f['key'], f['mode'], 'audioread' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                         env={"PATH": "", "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["A", "minor", "False"]
