"""The torch port of MusiCNN gives the original's tags: taggrams stored from the TensorFlow package itself.

tests/fixtures/musicnn/reference.npz is written by bench/musicnn_reference.py (the original
`musicnn.extractor` in a throwaway TensorFlow venv) with the exact 16 kHz audio it tagged, so this test
needs neither TensorFlow nor the original files. It needs the `musicnn` package's weights (installed by
scripts/setup.sh) and is skipped, saying so, only when that package is absent.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from core.analysis import tagger as tg

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "musicnn" / "reference.npz"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("musicnn") is None,
    reason="the musicnn package (MusiCNN weights) is not installed: pip install --no-deps musicnn")


@pytest.fixture(scope="module")
def reference() -> dict:
    data = np.load(FIXTURE)
    meta = json.loads(str(data["meta"]))
    tracks = []
    for i, name in enumerate(meta["tracks"]):
        tracks.append({
            "name": name,
            "audio": data[f"audio_{i}"],
            **{m: (data[f"{m}_taggram_{i}"], data[f"{m}_penultimate_{i}"]) for m in meta["models"]},
        })
    return {"meta": meta, "tracks": tracks}


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> tg.MusicTagger:
    return tg.MusicTagger(cache_dir=tmp_path_factory.mktemp("models"))


def test_fixture_is_a_real_reference(reference: dict) -> None:
    """The stored taggrams are finite sigmoid outputs of several tracks, 2 patches each."""
    assert len(reference["tracks"]) >= 3
    for track in reference["tracks"]:
        for model in tg.MODELS:
            probabilities, penultimate = track[model]
            assert probabilities.shape == (2, 50) and penultimate.shape == (2, 200)
            assert np.isfinite(probabilities).all() and np.isfinite(penultimate).all()
            assert 0 < probabilities.min() and probabilities.max() < 1


def test_port_matches_the_original_taggrams(reference: dict, tagger: tg.MusicTagger) -> None:
    """Per patch and per tag, both models within 1e-3 of TensorFlow's output (measured: < 1e-5); the
    penultimate features within 1e-3 of their scale (measured: < 5e-5)."""
    worst_tag = worst_embedding = 0.0
    for track in reference["tracks"]:
        got = tagger.taggrams_16k(track["audio"].astype(np.float32) / 32768.0)
        for model in tg.MODELS:
            want_p, want_e = track[model]
            assert got[model].probabilities.shape == want_p.shape, (track["name"], model)
            worst_tag = max(worst_tag, float(np.abs(got[model].probabilities - want_p).max()))
            scale = max(1.0, float(np.abs(want_e).max()))
            worst_embedding = max(worst_embedding, float(np.abs(got[model].penultimate - want_e).max()) / scale)
    assert worst_tag < 1e-3
    assert worst_embedding < 1e-3


def test_dead_filters_skipped_change_nothing(reference: dict, tagger: tg.MusicTagger,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The front end skips the filters that cannot move their output (most of MSD's timbral kernels are ~0):
    on real audio the outputs equal those of every filter convolved (a bound of 0) within 1e-6."""
    audio = np.concatenate([t["audio"] for t in reference["tracks"]]).astype(np.float32) / 32768.0
    fast = tagger.taggrams_16k(audio)
    monkeypatch.setattr(tg, "DEAD_FILTER_BOUND", 0.0)
    full = tagger.taggrams_16k(audio)
    for model in tg.MODELS:
        np.testing.assert_allclose(fast[model].probabilities, full[model].probabilities, atol=1e-6)
        np.testing.assert_allclose(fast[model].penultimate, full[model].penultimate, atol=1e-6)


def test_tag_averages_patches_under_the_package_names(reference: dict, tagger: tg.MusicTagger) -> None:
    """tag(): 50 named probabilities per model in the package's order, the MSD penultimate as embedding."""
    track = reference["tracks"][0]
    result = tagger.tag(track["audio"], 16000)  # int16 input is scaled like the WAV the original read
    assert list(result.mtt) == tg.labels("MTT_musicnn") and list(result.msd) == tg.labels("MSD_musicnn")
    assert "jazz" in result.msd and "female vocalists" in result.msd and "piano" in result.mtt
    assert result.patches == 2 and result.embedding.shape == (200,) and result.embedding.dtype == np.float32
    want_mtt = track["MTT_musicnn"][0].mean(axis=0)
    want_msd = track["MSD_musicnn"][0].mean(axis=0)
    np.testing.assert_allclose(list(result.mtt.values()), want_mtt, atol=1e-3)
    np.testing.assert_allclose(list(result.msd.values()), want_msd, atol=1e-3)
    np.testing.assert_allclose(result.embedding, track["MSD_musicnn"][1].mean(axis=0), atol=1e-3)


def test_tracks_are_told_apart(reference: dict, tagger: tg.MusicTagger) -> None:
    """Tags say something about the music: the battle track is "drums", far more than the others; the
    love theme's lead is a flute."""
    by_name = {t["name"]: t for t in reference["tracks"]}
    if "frantic.ogg" not in by_name or "love_theme.ogg" not in by_name:
        pytest.skip("fixture built from generated chords, not the real tracks")
    mtt = {name: tagger.tag(t["audio"], 16000).mtt for name, t in by_name.items()}
    battle, love = mtt["frantic.ogg"], mtt["love_theme.ogg"]
    assert max(battle, key=battle.get) == "drums"
    assert battle["drums"] > 10 * max(tags["drums"] for name, tags in mtt.items() if name != "frantic.ogg")
    assert max(love, key=love.get) == "flute"


def test_other_rates_channels_and_short_clips(reference: dict, tagger: tg.MusicTagger) -> None:
    """44.1 kHz stereo is resampled and downmixed to about the same tags; a 1-s clip gives one patch."""
    import soxr

    track = reference["tracks"][1]
    y16 = track["audio"].astype(np.float32) / 32768.0
    y44 = soxr.resample(y16, 16000, 44100, quality="HQ")
    stereo = np.stack([y44, y44], axis=1)
    base, resampled = tagger.tag(y16, 16000), tagger.tag(stereo, 44100)
    assert resampled.patches == base.patches
    assert max(abs(resampled.msd[k] - base.msd[k]) for k in base.msd) < 0.05
    short = tagger.tag(y16[:16000], 16000)
    assert short.patches == 1 and all(0 < p < 1 for p in short.mtt.values())
    with pytest.raises(ValueError):
        tagger.tag(np.zeros(0, np.float32), 16000)


def test_long_input_runs_in_chunks(reference: dict, tagger: tg.MusicTagger, monkeypatch: pytest.MonkeyPatch) -> None:
    """All tracks back to back (26 s) give 8 patches, computed 3 at a time; the first two are the
    first track's (their frames never reach the second track's samples)."""
    monkeypatch.setattr(tg, "_BATCH", {"cpu": 3, "cuda": 3})
    audio = np.concatenate([t["audio"] for t in reference["tracks"]]).astype(np.float32) / 32768.0
    got = tagger.taggrams_16k(audio)
    assert got["MSD_musicnn"].probabilities.shape == (len(audio) // tg.HOP // tg.PATCH_FRAMES, 50)
    for model in tg.MODELS:
        np.testing.assert_allclose(got[model].probabilities[:2], reference["tracks"][0][model][0], atol=1e-3)


def test_checkpoint_reader_sees_the_whole_network() -> None:
    """The tensor-bundle reader finds MusiCNN's 792,079 weights (no optimizer slots) with TF's shapes."""
    from core.analysis.tf_checkpoint import read_checkpoint

    weights = read_checkpoint(tg.checkpoint_prefix("MSD_musicnn"))
    assert not any("Adam" in name or "power" in name for name in weights)
    assert weights["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert weights["conv2d_5/kernel"].shape == (7, 561, 1, 64)
    assert weights["dense/kernel"].shape == (1506, 200) and weights["dense_1/kernel"].shape == (200, 50)
    assert sum(w.size for w in weights.values()) == 792079
    everything = read_checkpoint(tg.checkpoint_prefix("MSD_musicnn"), skip_optimizer=False)
    assert len(everything) > len(weights)


def test_converted_weights_are_cached_and_refreshed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first load writes musicnn-MSD.pt; later loads use it without reading the checkpoint; a
    changed checkpoint (another size/mtime) or a damaged cache file is converted again."""
    from core.analysis import tf_checkpoint

    first = tg.load_state_dict("MSD_musicnn", tmp_path)
    cached = tmp_path / "musicnn-MSD.pt"
    assert cached.is_file()

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("read the checkpoint although the cache is valid")

    monkeypatch.setattr(tf_checkpoint, "read_checkpoint", no_read)
    again = tg.load_state_dict("MSD_musicnn", tmp_path)
    assert set(again) == set(first) and all(np.array_equal(again[k], first[k]) for k in first)
    monkeypatch.undo()

    reads = []
    real = tf_checkpoint.read_checkpoint
    monkeypatch.setattr(tf_checkpoint, "read_checkpoint", lambda *a, **k: reads.append(1) or real(*a, **k))
    monkeypatch.setattr(tf_checkpoint, "checkpoint_stamp", lambda prefix: "another checkpoint")
    tg.load_state_dict("MSD_musicnn", tmp_path)
    cached.write_bytes(b"not a torch file")
    tg.load_state_dict("MSD_musicnn", tmp_path)
    assert len(reads) == 2


def test_labels_are_read_without_importing_tensorflow() -> None:
    """Tag names come from the package's configuration.py as text; musicnn and tensorflow stay unimported."""
    assert len(tg.labels("MTT_musicnn")) == len(tg.labels("MSD_musicnn")) == 50
    assert tg.labels("MSD_musicnn")[:3] == ["rock", "pop", "alternative"]
    assert "musicnn.extractor" not in sys.modules and "tensorflow" not in sys.modules


def test_patches_resampled_alone_hold_the_whole_segments_samples() -> None:
    """A 30-s window's patch is resampled on its own (with a margin), yet holds the samples a resampling
    of the whole window gives there; a segment whose patches fall off the rates' common grid is resampled
    whole, as before (same patches as the plain cut)."""
    from core.analysis import tags

    rng = np.random.default_rng(7)
    sr = 22050
    t = np.arange(30 * sr) / sr
    window = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)
    for segment, wanted in ((window, 1), (window[: 74 * sr + 123], 3)):
        whole = tg.to_16k_mono(segment, sr)
        want = [whole[s:s + tags.PATCH_SAMPLES_16K] for s in tags.pick_patches(len(whole), wanted)]
        got = tags._patch_pieces(segment, sr, wanted)
        assert len(got) == len(want) == wanted
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, atol=1e-6)
