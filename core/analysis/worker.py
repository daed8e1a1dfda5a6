"""The analysis task run inside an IsolatedPool worker: one file in, features + vectors + tags out.

Imports nothing heavy at module level: the pool sets NUMBA_CACHE_DIR and thread counts in the
environment first, then librosa/OpenCV (and torch, for the tagger) load on the first task.
"""

from __future__ import annotations

import os
import time
from typing import Any

from core.analysis import AUDIO_VERSION, VIDEO_VERSION
from core.isolation import run_test_hooks


def _tags(segments: list, features: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """The tagger's result for the decoded window, or {"note": why not} (silence; no tagger; it failed)."""
    from core.analysis.decode import SR
    from core.analysis.tags import TAGS_VERSION, tag_segments

    if features.get("silent"):
        return {"version": TAGS_VERSION, "note": "silent: nothing to tag"}
    try:
        return tag_segments(segments, SR, task.get("model_cache"))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the features stand without tags; the reason is stored
        return {"version": TAGS_VERSION, "note": f"the tagger could not run: {type(exc).__name__}: {exc}"[:300]}


def _audio(path: str, task: dict[str, Any], out: dict[str, Any]) -> None:
    """Decode the window once: features and vector (unless only the tags are stale), then the tags."""
    from core.analysis.audio import feature_vector, features_from_segments
    from core.analysis.decode import decode_window

    segments, total, gain = decode_window(path, task.get("duration"))
    features = task.get("features") if task.get("tags_only") else None
    if features is None:
        features = features_from_segments(segments, total, gain)
        out["audio"], out["audio_vector"] = features, feature_vector(features).tobytes()
    if task.get("tags", True):
        out["tags"] = _tags(segments, features, task)


def analyze_item(task: dict[str, Any]) -> dict[str, Any]:
    """Analyse one item. `task`: path, kind ('audio'|'video'), duration, keyframe_dir; `tags` (run the
    tagger, default true), `model_cache` (its converted weights), `tags_only` (the features are current:
    decode and tag only; `features` are the stored ones).

    Audio items must decode (else the error propagates and becomes a recorded failure); a video's
    own audio is analysed when it decodes and skipped (with the reason noted) when it does not.
    """
    from core.analysis.decode import NoAudio

    path = task["path"]
    run_test_hooks(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"the file is gone: {path}")
    started = time.perf_counter()
    out: dict[str, Any] = {"audio": None, "audio_vector": None, "video": None, "audio_skipped": None}
    if task.get("tags_only"):
        out["tags_only"] = True
        _audio(path, task, out)
    elif task["kind"] == "video":
        from core.analysis.video import analyze_video

        video = analyze_video(path, task["keyframe_dir"], task.get("duration"))
        out["video"] = video["features"]
        out["video_vector"] = video["vector"].tobytes()
        out["keyframes"] = video["keyframes"]
        out["poster"] = video["poster"]
        out["video_version"] = VIDEO_VERSION
        try:
            _audio(path, task, out)
        except NoAudio as exc:
            out["audio_skipped"] = str(exc)[:300]
    else:
        _audio(path, task, out)
    out["audio_version"] = AUDIO_VERSION
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out
