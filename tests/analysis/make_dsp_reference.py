"""Write tests/analysis/dsp_reference.npz: librosa's own outputs for the blocks core.analysis.dsp copies.

Run once (and again only when the reference signal or librosa's definitions are meant to change):
    .venv/bin/python -m tests.analysis.make_dsp_reference
The test (test_dsp.py) then compares core.analysis.dsp with these numbers without importing librosa,
whose numba kernels take 20-60 s to compile in a fresh process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.analysis import signals

REFERENCE = Path(__file__).with_name("dsp_reference.npz")
SR, N_FFT, HOP, N_MELS, N_MFCC = 22050, 2048, 512, 128, 13
STFT_FRAMES = np.r_[0:173:16, 172]  # every 16th frame and the last (edges and middle): keeps the file small


def reference_signal() -> np.ndarray:
    """4 s of the A-minor chord progression (two chords: onsets, decays, harmonics)."""
    return signals.chord_progression()[: SR * 4]


def main() -> None:
    import librosa

    y = reference_signal()
    mag = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
    mel = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS)
    # the log-mel input of onset strength and MFCC, as librosa computes it (reference 1, no top_db)
    mel_db = librosa.power_to_db(mel @ mag**2, ref=1.0, amin=1e-10, top_db=None).astype(np.float32)
    np.savez_compressed(
        REFERENCE,
        librosa_version=np.array(librosa.__version__),
        signal_sum=np.float64(np.sum(y, dtype=np.float64)),
        stft_frames=STFT_FRAMES,
        stft_magnitude=mag[:, STFT_FRAMES].astype(np.float32),
        mel_filters=mel.astype(np.float32),
        chroma_filters=librosa.filters.chroma(sr=SR, n_fft=N_FFT).astype(np.float32),
        mel_db=mel_db,
        onset_strength=librosa.onset.onset_strength(S=mel_db, sr=SR, hop_length=HOP).astype(np.float32),
        mfcc=librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC).astype(np.float32),
    )
    print(f"wrote {REFERENCE} ({REFERENCE.stat().st_size} bytes, librosa {librosa.__version__})")


if __name__ == "__main__":
    main()
