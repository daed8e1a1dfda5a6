"""The analysis task run inside an IsolatedPool worker: one file in, features + vectors out.

Imports nothing heavy at module level: the pool sets NUMBA_CACHE_DIR and thread counts in the
environment first, then librosa/OpenCV load on the first task.
"""

from __future__ import annotations

import os
import time
from typing import Any

from core.analysis import AUDIO_VERSION, VIDEO_VERSION
from core.isolation import run_test_hooks


def analyze_item(task: dict[str, Any]) -> dict[str, Any]:
    """Analyse one item. `task`: path, kind ('audio'|'video'), duration, keyframe_dir.

    Audio items must decode (else the error propagates and becomes a recorded failure); a video's
    own audio is analysed when it decodes and skipped (with the reason noted) when it does not.
    """
    from core.analysis.audio import analyze_audio
    from core.analysis.decode import NoAudio

    path = task["path"]
    run_test_hooks(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"the file is gone: {path}")
    started = time.perf_counter()
    out: dict[str, Any] = {"audio": None, "audio_vector": None, "video": None, "audio_skipped": None}
    if task["kind"] == "video":
        from core.analysis.video import analyze_video

        video = analyze_video(path, task["keyframe_dir"], task.get("duration"))
        out["video"] = video["features"]
        out["video_vector"] = video["vector"].tobytes()
        out["keyframes"] = video["keyframes"]
        out["poster"] = video["poster"]
        out["video_version"] = VIDEO_VERSION
        try:
            features, vector = analyze_audio(path, task.get("duration"))
            out["audio"], out["audio_vector"] = features, vector.tobytes()
        except NoAudio as exc:
            out["audio_skipped"] = str(exc)[:300]
    else:
        features, vector = analyze_audio(path, task.get("duration"))
        out["audio"], out["audio_vector"] = features, vector.tobytes()
    out["audio_version"] = AUDIO_VERSION
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out
