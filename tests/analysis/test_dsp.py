"""Our numpy DSP blocks agree with librosa's definitions (skipped when librosa's JIT would be too slow)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from core.analysis import dsp
from tests.analysis import signals


# Importing librosa.util compiles numba kernels: only worth it with a warm cache.
@pytest.mark.skipif(not os.environ.get("NUMBA_CACHE_DIR"), reason="set NUMBA_CACHE_DIR (warm) to compare with librosa")
def test_matches_librosa():
    import librosa

    y = signals.chord_progression()[: signals.SR * 4]
    mag = dsp.stft_magnitude(y, 2048, 512)
    np.testing.assert_allclose(mag, np.abs(librosa.stft(y, n_fft=2048, hop_length=512)), atol=1e-4)
    mel = dsp.mel_filters(22050, 2048, 128)
    np.testing.assert_allclose(mel, librosa.filters.mel(sr=22050, n_fft=2048, n_mels=128), atol=1e-6)
    np.testing.assert_allclose(dsp.chroma_filters(22050, 2048), librosa.filters.chroma(sr=22050, n_fft=2048),
                               atol=1e-6)
    mel_db = dsp.power_to_db(mel @ mag**2)
    np.testing.assert_allclose(dsp.onset_strength(mel_db, 2048, 512),
                               librosa.onset.onset_strength(S=mel_db, sr=22050, hop_length=512), atol=1e-4)
    np.testing.assert_allclose(dsp.mfcc(mel_db, 13), librosa.feature.mfcc(S=mel_db, n_mfcc=13), atol=1e-3)


def test_stft_shape_and_parseval():
    y = signals.sine(1000.0, 1.0, 1.0)
    mag = dsp.stft_magnitude(y, 2048, 512)
    assert mag.shape == (1025, 1 + len(y) // 512)
    assert np.argmax(mag[:, 10]) == round(1000 / (22050 / 2048))
