"""Reading feature chips, keyframes and posters out of `Library.show()` (tolerant of how stages nest them)."""

from __future__ import annotations

from typing import Any


def _find(info: Any, names: tuple[str, ...], depth: int = 0) -> Any:
    """The first value under any of `names`, searching nested dicts breadth-first (3 levels)."""
    if not isinstance(info, dict) or depth > 3:
        return None
    for name in names:
        value = info.get(name)
        if value not in (None, "", [], {}):
            return value
    for value in info.values():
        if isinstance(value, dict):
            found = _find(value, names, depth + 1)
            if found not in (None, "", [], {}):
                return found
    return None


def _section(info: dict[str, Any], name: str) -> dict[str, Any]:
    value = info.get(name)
    return value if isinstance(value, dict) else {}


def feature_chips(info: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, tooltip) chips: BPM, key, loudness/energy, then descriptor phrases."""
    chips: list[tuple[str, str]] = []
    audio = _section(info, "audio") or _section(info, "audio_features")
    tags = info.get("tags") or {}
    bpm = _find(audio, ("tempo_bpm", "bpm", "tempo")) or tags.get("bpm")
    try:
        if bpm:
            chips.append((f"{float(bpm):.0f} BPM", "Tempo in beats per minute"))
    except (TypeError, ValueError):
        pass
    key = _find(audio, ("key_name", "key")) or tags.get("key") or tags.get("initialkey")
    if key and isinstance(key, str):
        mode = _find(audio, ("mode",))
        chips.append((f"{key} {mode}" if isinstance(mode, str) and mode not in key else key, "Musical key"))
    energy = _find(audio, ("energy",))
    if isinstance(energy, int | float):
        word = "high" if energy > 0.66 else "medium" if energy > 0.33 else "low"
        chips.append((f"energy {word}", f"Energy {energy:.2f}"))
    else:
        lufs = _find(audio, ("loudness_lufs",))
        if isinstance(lufs, int | float):
            chips.append((f"{lufs:.0f} LUFS", "Loudness (integrated, EBU R128)"))
    video = _section(info, "video") or _section(info, "video_features")
    cuts = _find(video, ("cuts_per_minute", "cut_rate"))
    if isinstance(cuts, int | float):
        chips.append((f"{cuts:.0f} cuts/min", "How often the picture changes"))
    for phrase in descriptor_phrases(info)[:10]:
        chips.append((phrase, "How Encore describes it"))
    return chips


def descriptor_phrases(info: dict[str, Any]) -> list[str]:
    found = _find(info, ("phrases", "descriptors", "descriptor_phrases"))
    if isinstance(found, dict):
        found = found.get("phrases") or found.get("description")
    if isinstance(found, str):
        found = [p.strip() for p in found.split(",")]
    if isinstance(found, list):
        return [str(p) for p in found if isinstance(p, str | int | float) and str(p).strip()]
    return []


def keyframe_paths(info: dict[str, Any]) -> list[tuple[float, str]]:
    """[(seconds, jpeg path)] of the video's keyframes."""
    frames = _find(_section(info, "video") or info, ("keyframes",))
    if isinstance(frames, str):
        import json

        try:
            frames = json.loads(frames)
        except ValueError:
            return []
    out = []
    for f in frames or []:
        if isinstance(f, dict) and f.get("path"):
            out.append((float(f.get("t") or f.get("time") or 0.0), str(f["path"])))
        elif isinstance(f, str):
            out.append((0.0, f))
    return out


def poster_path(info: dict[str, Any]) -> str | None:
    video = _section(info, "video")
    value = video.get("poster") or video.get("poster_path") or info.get("poster_path")
    return str(value) if value else None
