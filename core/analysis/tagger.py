"""A pretrained music tagger: the MusiCNN models of the `musicnn` package, run in torch (no TensorFlow).

`musicnn` 0.1.0 (ISC licence, Pons & Serra 2019) ships two trained MusiCNN networks as TensorFlow 1
checkpoints: MagnaTagATune (MTT, 50 tags: instruments, vocals, moods, "fast"/"slow") and the Million
Song Dataset (MSD, 50 tags: genres, moods, eras). Its own code needs TensorFlow + Keras 2; here the
package is only a data source: the checkpoints are read by core/analysis/tf_checkpoint.py, converted
once to a torch state dict in the app cache, and the network below reproduces models.py layer by layer
(checked against the original's taggrams in tests/analysis/test_tagger.py, within 1e-3).

Front end, as musicnn's extractor.batch_data: 16 kHz mono, |STFT|^2 (n_fft 512, hop 256, centred,
Hann), 96 Slaney mel bands (core/analysis/dsp.py, which matches librosa), rounded to float16, then
log10(10000 x + 1) in float32 (the package's numpy 1 semantics: see log_mel), then non-overlapping
patches of 187 frames (3 s). Tags are averaged over the patches (musicnn's top_tags does the same);
the embedding is the penultimate layer (dense 200 after batch norm), averaged.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187  # librosa.time_to_frames(3 s) + 1, as the package computes it
MODELS = ("MTT_musicnn", "MSD_musicnn")
# Stored beside each result so a change of weights or of this port redoes only the tagging stage.
TAGGER_VERSION = "musicnn-0.1.0/torch-1"
_CACHE_FORMAT = 1
_BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization's default epsilon
# A front-end filter that can move its (batch-normalised) output by less than this is treated as its bias.
DEAD_FILTER_BOUND = 1e-6
# Patches per forward pass: the timbral convolutions' output is 204 x 187 x 59 floats (9 MB) per patch,
# so a whole 10-minute track in one batch would need ~2 GB; 8 keep it under 100 MB on CPU.
_BATCH = {"cpu": 8, "cuda": 64}


class TaggerUnavailable(RuntimeError):
    """The `musicnn` weights are not installed (or cannot be read)."""


@dataclass(frozen=True)
class Taggram:
    """One model's output per 3-s patch: tag probabilities (patches x 50) and penultimate (patches x 200)."""

    probabilities: np.ndarray
    penultimate: np.ndarray


@dataclass(frozen=True)
class TagResult:
    """Tag probabilities of both models (averaged over patches) and the MSD penultimate embedding."""

    mtt: dict[str, float]
    msd: dict[str, float]
    embedding: np.ndarray  # (200,) float32: MSD_musicnn's penultimate layer, mean over patches
    mtt_embedding: np.ndarray = field(repr=False)  # (200,) the same for MTT_musicnn
    patches: int = 0
    version: str = TAGGER_VERSION


# ---------------------------------------------------------------- the package's files, never imported


def package_dir() -> Path:
    """Folder of the installed `musicnn` package, found without importing it (its import pulls TensorFlow)."""
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise TaggerUnavailable(
            "the music tagger needs the weights of the 'musicnn' package: "
            "run `pip install --no-deps musicnn` in Encore's environment (scripts/setup.sh does it)")
    return Path(next(iter(spec.submodule_search_locations)))


def labels(model: str, root: Path | None = None) -> list[str]:
    """The 50 tag names of a model, read as text from the package's configuration.py."""
    source = ((root or package_dir()) / "configuration.py").read_text(encoding="utf-8")
    wanted = "MTT_LABELS" if model.startswith("MTT") else "MSD_LABELS"
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == wanted for t in node.targets):
            names = ast.literal_eval(node.value)
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                return names
    raise TaggerUnavailable(f"no {wanted} in {root or package_dir()}/configuration.py")


def checkpoint_prefix(model: str, root: Path | None = None) -> str:
    """Path prefix of a model's checkpoint files (`<pkg>/MSD_musicnn/` + `.index`, `.data-...`)."""
    return str((root or package_dir()) / model) + os.sep


# ---------------------------------------------------------------- weights: TF checkpoint -> torch


def _tf_to_torch(tf: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Renames and transposes the checkpoint's variables into the state dict of MusiCNN below."""
    out: dict[str, np.ndarray] = {}

    def bn(dst: str, src: str) -> None:
        out[f"{dst}.weight"] = tf[f"{src}/gamma"]
        out[f"{dst}.bias"] = tf[f"{src}/beta"]
        out[f"{dst}.running_mean"] = tf[f"{src}/moving_mean"]
        out[f"{dst}.running_var"] = tf[f"{src}/moving_variance"]
        out[f"{dst}.num_batches_tracked"] = np.zeros((), np.int64)

    def conv2d(dst: str, src: str) -> None:  # TF [kh, kw, in, out] -> torch [out, in, kh, kw]
        out[f"{dst}.weight"] = np.ascontiguousarray(tf[f"{src}/kernel"].transpose(3, 2, 0, 1))
        out[f"{dst}.bias"] = tf[f"{src}/bias"]

    def conv1d(dst: str, src: str) -> None:  # TF [7, C, 1, out] over (time, feature) -> torch [out, C, 7]
        out[f"{dst}.weight"] = np.ascontiguousarray(tf[f"{src}/kernel"][:, :, 0, :].transpose(2, 1, 0))
        out[f"{dst}.bias"] = tf[f"{src}/bias"]

    def dense(dst: str, src: str) -> None:  # TF [in, out] -> torch [out, in]
        out[f"{dst}.weight"] = np.ascontiguousarray(tf[f"{src}/kernel"].T)
        out[f"{dst}.bias"] = tf[f"{src}/bias"]

    # Layer order of models.build_musicnn (TF numbers its unnamed layers in creation order).
    bn("input_bn", "batch_normalization")
    for i in range(2):
        conv2d(f"timbral.{i}", "conv2d" if i == 0 else f"conv2d_{i}")
        bn(f"timbral_bn.{i}", f"batch_normalization_{i + 1}")
    for i in range(3):
        conv2d(f"temporal.{i}", f"conv2d_{i + 2}")
        bn(f"temporal_bn.{i}", f"batch_normalization_{i + 3}")
    for i in range(3):
        conv1d(f"midend.{i}", f"conv2d_{i + 5}")
        bn(f"midend_bn.{i}", f"batch_normalization_{i + 6}")
    bn("pool_bn", "batch_normalization_9")
    dense("dense", "dense")
    bn("dense_bn", "batch_normalization_10")
    dense("out", "dense_1")
    return out


def load_state_dict(model: str, cache_dir: str | Path | None = None, root: Path | None = None) -> dict[str, Any]:
    """The torch state dict of a model: from `<cache_dir>/musicnn-MSD.pt` when it matches the installed
    checkpoint (size + mtime), else converted from the checkpoint and written there for next time."""
    import torch

    from core.analysis.tf_checkpoint import checkpoint_stamp, read_checkpoint

    prefix = checkpoint_prefix(model, root)
    try:
        stamp = checkpoint_stamp(prefix)
    except OSError as exc:
        raise TaggerUnavailable(f"the {model} weights are missing from the musicnn package ({exc})") from exc
    cached = Path(cache_dir) / f"musicnn-{model.split('_')[0]}.pt" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            blob = torch.load(cached, map_location="cpu", weights_only=True)
            if blob.get("format") == _CACHE_FORMAT and blob.get("stamp") == stamp:
                return dict(blob["state_dict"])
        except Exception:  # a damaged or foreign cache file is rebuilt below
            pass
    state = {k: torch.from_numpy(v) for k, v in _tf_to_torch(read_checkpoint(prefix)).items()}
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
            torch.save({"format": _CACHE_FORMAT, "stamp": stamp, "state_dict": state}, tmp)
            os.replace(tmp, cached)
        except OSError:  # a read-only cache only costs the conversion (~0.1 s) next time
            pass
    return state


# ---------------------------------------------------------------- the network


def build_network(n_classes: int = 50) -> Any:
    """A torch MusiCNN (models.build_musicnn: 1.6 x 128 timbral / 1.6 x 32 temporal filters, mid-end 64,
    back-end 200) in eval mode; forward(patches [B, 187, 96]) -> (logits [B, 50], penultimate [B, 200])."""
    import torch
    from torch import nn
    from torch.nn import functional as F  # noqa: N812

    def _bn_relu_max(conv: nn.Conv2d, x: torch.Tensor, bn: nn.BatchNorm2d) -> torch.Tensor:
        """max over mel bands of bn(relu(conv(x))) [B, C, T, F] -> [B, C, T], computed in three short cuts
        that leave the result as it was (within DEAD_FILTER_BOUND):

        - relu and batch norm are monotonic per channel (rising, or falling where the BN scale is negative),
          so the max over the bands is the transformed max, or the transformed min; the min of a falling
          channel is the max of its negated filter, so one amax does (an aminmax costs 2x for the timbral
          maps and 10x for the single-band temporal ones).
        - Dead filters: most of the trained kernels are ~0 (max |w| < 1e-5 for 181 and 190 of MSD's 204
          timbral filters, 92 and 124 of MTT's; a third to all but a few of the 51 temporal ones), so their
          output is their bias whatever the input. A channel whose |BN scale| x ||w||_1 x max |x| (the most
          its filter can move the output, for this very input) is under DEAD_FILTER_BOUND is given that
          constant and not convolved: the front end costs a third of the full convolution.
        """
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        shift = bn.bias - bn.running_mean * scale
        weight, bias = conv.weight, conv.bias
        assert bias is not None
        reach = scale.abs() * weight.flatten(1).abs().sum(dim=1) * x.abs().amax()
        live = torch.nonzero(reach > DEAD_FILTER_BOUND).flatten()
        out = (F.relu(bias) * scale + shift)[None, :, None].repeat(x.shape[0], 1, x.shape[2] - weight.shape[2] + 1)
        if len(live):
            sign = torch.where(scale[live] >= 0, 1.0, -1.0).to(scale.dtype)
            flipped = F.conv2d(x, weight[live] * sign[:, None, None, None], bias[live] * sign)
            top = flipped.amax(dim=3) * sign[None, :, None]  # the max of rising channels, the min of falling ones
            out[:, live] = F.relu(top) * scale[live][None, :, None] + shift[live][None, :, None]
        return out

    class MusiCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.input_bn = nn.BatchNorm2d(1, eps=_BN_EPS)
            # timbral: 7 frames x 40% / 70% of the mel bands; temporal: 128/64/32 frames x 1 band
            self.timbral = nn.ModuleList([nn.Conv2d(1, 204, (7, int(0.4 * N_MELS))),
                                          nn.Conv2d(1, 204, (7, int(0.7 * N_MELS)))])
            self.timbral_bn = nn.ModuleList([nn.BatchNorm2d(204, eps=_BN_EPS) for _ in range(2)])
            self.temporal = nn.ModuleList([nn.Conv2d(1, 51, (k, 1)) for k in (128, 64, 32)])
            self.temporal_bn = nn.ModuleList([nn.BatchNorm2d(51, eps=_BN_EPS) for _ in range(3)])
            self.midend = nn.ModuleList([nn.Conv1d(561, 64, 7), nn.Conv1d(64, 64, 7), nn.Conv1d(64, 64, 7)])
            self.midend_bn = nn.ModuleList([nn.BatchNorm1d(64, eps=_BN_EPS) for _ in range(3)])
            self.pool_bn = nn.BatchNorm1d(2 * 753, eps=_BN_EPS)
            self.dense = nn.Linear(2 * 753, 200)
            self.dense_bn = nn.BatchNorm1d(200, eps=_BN_EPS)
            self.out = nn.Linear(200, n_classes)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            x = self.input_bn(x.unsqueeze(1))  # [B, 1, time, mel]
            padded = F.pad(x, (0, 0, 3, 3))  # 'same' in time for the 7-frame kernels
            front = [_bn_relu_max(conv, padded, bn) for conv, bn in zip(self.timbral, self.timbral_bn, strict=True)]
            for conv, bn in zip(self.temporal, self.temporal_bn, strict=True):
                k = conv.kernel_size[0]  # TF 'same' pads an even kernel one more frame after than before
                front.append(_bn_relu_max(conv, F.pad(x, (0, 0, (k - 1) // 2, k // 2)), bn))
            features = [torch.cat(front, dim=1)]  # [B, 561, time]
            h = features[0]
            for i, (conv, bn) in enumerate(zip(self.midend, self.midend_bn, strict=True)):
                y = bn(F.relu(conv(F.pad(h, (3, 3)))))
                h = y if i == 0 else y + h  # residual from the second layer on
                features.append(h)
            stacked = torch.cat(features, dim=1)  # [B, 753, time]
            # max and mean over time, interleaved per feature as TF's flatten of [B, 753, 2] orders them
            pooled = torch.stack([stacked.amax(dim=2), stacked.mean(dim=2)], dim=2).flatten(1)
            penultimate = self.dense_bn(F.relu(self.dense(self.pool_bn(pooled))))
            return self.out(penultimate), penultimate

    return MusiCNN().eval()


# ---------------------------------------------------------------- front end


def log_mel(samples: np.ndarray) -> np.ndarray:
    """(frames, 96) float32 log-mel of 16 kHz mono float samples, as musicnn computes its input.

    The package rounds the mel power to float16, then takes log10(10000 x + 1). Under numpy 1 (what
    it was written for) `10000 * float16 array` is float32; numpy 2 (NEP 50) keeps float16, 10000 x
    overflows to inf above x = 6.55 (every real track we tried: loud low notes) and the original then
    outputs NaN for the whole patch. This follows the numpy 1 semantics: float16 rounding, float32 log.
    """
    from core.analysis import dsp

    power = dsp.stft_magnitude(samples, N_FFT, HOP) ** 2
    mel = dsp.mel_filters(SR, N_FFT, N_MELS) @ power
    # (float16's largest value: a mel power that high cannot come from [-1, 1] audio, but stay finite)
    mel = np.minimum(mel.T, 65504.0).astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * mel + np.float32(1))


def patches(mel: np.ndarray) -> np.ndarray:
    """(n, 187, 96) float32: consecutive non-overlapping 3-s patches (a trailing part is dropped, as
    musicnn does); input shorter than one patch is repeated to fill it (the training's repeat-pad)."""
    if len(mel) == 0:
        raise ValueError("no audio to tag")
    if len(mel) < PATCH_FRAMES:
        mel = np.tile(mel, (int(np.ceil(PATCH_FRAMES / len(mel))), 1))
    n = (len(mel) - PATCH_FRAMES) // PATCH_FRAMES + 1
    return mel[: n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, N_MELS).astype(np.float32)


def to_16k_mono(samples: np.ndarray, sr: int) -> np.ndarray:
    """float32 mono 16 kHz: int PCM scaled to [-1, 1), channels (last axis) averaged, soxr HQ resampling
    (librosa.load's default resampler)."""
    y = np.asarray(samples)
    if np.issubdtype(y.dtype, np.integer):
        y = y.astype(np.float32) / float(-np.iinfo(y.dtype).min)
    y = y.astype(np.float32, copy=False)
    if y.ndim == 2:
        y = y.mean(axis=1)
    if y.ndim != 1:
        raise ValueError("samples must be (n,) or (n, channels)")
    if sr != SR and len(y):
        import soxr

        y = soxr.resample(y, sr, SR, quality="HQ").astype(np.float32, copy=False)
    return y


# ---------------------------------------------------------------- the API


class MusicTagger:
    """Both MusiCNN models, loaded on first use; thread-safe; CUDA when present unless device is given.

    cache_dir: where converted weights are kept (the app passes `<data>/cache/models`); None converts
    each time. threads: torch CPU threads during a call, restored afterwards (default: the process's
    setting, at most 2; a worker started with OMP_NUM_THREADS=1 stays on one thread).
    """

    def __init__(self, cache_dir: str | Path | None = None, device: str | None = None,
                 threads: int | None = None, weights_root: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self._device = device
        self.threads = threads
        self._root = weights_root
        self._nets: dict[str, Any] = {}
        self._labels: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    @property
    def device(self) -> str:
        if self._device is None:
            import torch

            self._device = "cuda" if torch.cuda.is_available() else "cpu"
        return self._device

    def _load(self) -> dict[str, Any]:
        if not self._nets:
            root = self._root or package_dir()
            for model in MODELS:
                net = build_network(len(labels(model, root)))
                net.load_state_dict(load_state_dict(model, self.cache_dir, root))
                self._labels[model] = labels(model, root)
                self._nets[model] = net.to(self.device)
        return self._nets

    def taggrams(self, samples: np.ndarray, sr: int) -> dict[str, Taggram]:
        """Per-patch outputs of both models for one clip (any rate, mono or (n, channels))."""
        return self.taggrams_16k(to_16k_mono(samples, sr))

    def taggrams_16k(self, samples: np.ndarray) -> dict[str, Taggram]:
        """Per-patch outputs of both models for 16 kHz mono float samples."""
        import torch
        from threadpoolctl import threadpool_limits

        if len(samples) == 0:
            raise ValueError("no audio to tag")
        with self._lock, threadpool_limits(limits=self.threads or 1, user_api="blas"):
            batch = patches(log_mel(samples))
            nets = self._load()
            threads, tf32 = torch.get_num_threads(), torch.backends.cudnn.allow_tf32
            torch.set_num_threads(self.threads or max(1, min(threads, 2)))
            torch.backends.cudnn.allow_tf32 = False  # TF32 convolutions would cost the 1e-3 agreement
            try:
                step = _BATCH.get(self.device.split(":")[0], 8)
                with torch.inference_mode():
                    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {model: [] for model in nets}
                    for start in range(0, len(batch), step):
                        x = torch.from_numpy(batch[start:start + step]).to(self.device)
                        for model, net in nets.items():
                            logits, penultimate = net(x)
                            parts[model].append((torch.sigmoid(logits).cpu().numpy(), penultimate.cpu().numpy()))
                    out = {model: Taggram(np.concatenate([p for p, _ in got]), np.concatenate([e for _, e in got]))
                           for model, got in parts.items()}
            finally:
                torch.set_num_threads(threads)
                torch.backends.cudnn.allow_tf32 = tf32
        return out

    def tag(self, samples: np.ndarray, sr: int) -> TagResult:
        """Tag probabilities of both models and the embedding, averaged over the clip's 3-s patches."""
        grams = self.taggrams(samples, sr)
        mean = {}
        for model, t in grams.items():
            mean[model] = (t.probabilities.mean(axis=0), t.penultimate.mean(axis=0).astype(np.float32))
        mtt, msd = mean["MTT_musicnn"], mean["MSD_musicnn"]
        return TagResult(
            mtt={name: float(p) for name, p in zip(self._labels["MTT_musicnn"], mtt[0], strict=True)},
            msd={name: float(p) for name, p in zip(self._labels["MSD_musicnn"], msd[0], strict=True)},
            embedding=msd[1], mtt_embedding=mtt[1], patches=len(grams["MSD_musicnn"].probabilities))
