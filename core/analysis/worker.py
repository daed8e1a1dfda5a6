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


def _keyframe_text(video: dict[str, Any]) -> str | None:
    """Add each keyframe's on-screen text ("text": [lines], core.analysis.ocr, read from its saved JPEG) to
    both keyframe lists of `video` (the saved files and the features' copy, same order); the reason when
    no text can be read here (no OCR package), else None."""
    import cv2

    from core.analysis.ocr import read_text, unavailable

    why_not = unavailable()
    if why_not:
        return why_not
    saved, featured = video["keyframes"], video["features"].get("keyframes") or []
    for i, kf in enumerate(saved):
        try:
            text = read_text(cv2.imread(str(kf["path"])))
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - one unreadable frame has no text; the analysis stands
            text = []
        kf["text"] = text
        if i < len(featured) and isinstance(featured[i], dict):
            featured[i]["text"] = text
    return None


def analyze_item(task: dict[str, Any]) -> dict[str, Any]:
    """Analyse one item. `task`: path, kind ('audio'|'video'), duration, keyframe_dir; `tags` (run the
    tagger, default true), `model_cache` (its converted weights), `tags_only` (the features are current:
    decode and tag only; `features` are the stored ones), `ocr` (read the keyframes' on-screen text,
    default true; without the OCR package the video features say why in `text_note`).

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
        if task.get("ocr", True):
            why_not = _keyframe_text(video)
            if why_not:
                video["features"]["text_note"] = why_not
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
