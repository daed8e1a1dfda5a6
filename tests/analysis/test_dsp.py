"""Our numpy DSP blocks agree with librosa's definitions (librosa's outputs stored in dsp_reference.npz)."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import dsp
from tests.analysis import signals
from tests.analysis.make_dsp_reference import HOP, N_FFT, N_MELS, N_MFCC, REFERENCE, SR, reference_signal


@pytest.fixture(scope="module")
def reference():
    ref = np.load(REFERENCE)
    y = reference_signal()
    # the signal generator is part of the reference: if it changed, the stored numbers describe another signal
    assert float(np.sum(y, dtype=np.float64)) == pytest.approx(float(ref["signal_sum"]), rel=1e-9, abs=1e-9), \
        "tests/analysis/signals.py changed: rerun `python -m tests.analysis.make_dsp_reference`"
    return y, ref


def test_matches_librosa(reference):
    # librosa itself is not imported: its numba kernels take 20-60 s to compile in a fresh process,
    # so the comparison ran only with a warm NUMBA_CACHE_DIR (never in CI). make_dsp_reference.py made these.
    y, ref = reference
    mag = dsp.stft_magnitude(y, N_FFT, HOP)
    assert mag.shape == (N_FFT // 2 + 1, ref["mfcc"].shape[1])
    np.testing.assert_allclose(mag[:, ref["stft_frames"]], ref["stft_magnitude"], atol=1e-4)
    mel = dsp.mel_filters(SR, N_FFT, N_MELS)
    np.testing.assert_allclose(mel, ref["mel_filters"], atol=1e-6)
    np.testing.assert_allclose(dsp.chroma_filters(SR, N_FFT), ref["chroma_filters"], atol=1e-6)
    mel_db = ref["mel_db"]  # librosa's log-mel: onset strength and MFCC get the same input as librosa had
    np.testing.assert_allclose(dsp.onset_strength(mel_db, N_FFT, HOP), ref["onset_strength"], atol=1e-4)
    np.testing.assert_allclose(dsp.mfcc(mel_db, N_MFCC), ref["mfcc"], atol=1e-3)


def test_stft_shape_and_parseval():
    y = signals.sine(1000.0, 1.0, 1.0)
    mag = dsp.stft_magnitude(y, 2048, 512)
    assert mag.shape == (1025, 1 + len(y) // 512)
    assert np.argmax(mag[:, 10]) == round(1000 / (22050 / 2048))
