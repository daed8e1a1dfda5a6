"""A library with videos whose keyframes differ, stored through the analysis' own store functions
(shared by the search, CLI and window tests of search moments)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.media import jpeg_bytes, write_video

REAL = Path(os.environ.get("ENCORE_REAL_MEDIA") or "/root/real-media")
HAVE_REAL_VIDEO = (REAL / "video" / "carphone_pristine.mp4").is_file() and (REAL / "video" / "bikes.mp4").is_file()

# (t seconds, colour, faces, people phrases, on-screen text)
HARBOUR = [(0.5, "grey", 0, ["nobody on screen"], None), (6.0, "grey", 0, ["nobody on screen"], None),
           (12.0, "grey", 1, ["close-up of a face", "people"], None), (18.0, "blue", 0, ["nobody on screen"], None),
           (24.0, "grey", 0, ["nobody on screen"], ["OPEN 24 HOURS"]), (30.0, "grey", 0, ["nobody on screen"], None)]
INTERVIEW = [(t, "grey", 1, ["close-up of a face", "people"], None) for t in (1.0, 5.0, 9.0, 13.0)]


def _features(duration: float) -> dict[str, Any]:
    return {"brightness": 0.45, "contrast": 0.15, "colourfulness": 30.0, "saturation": 0.3, "black_share": 0.0,
            "motion": 0.02, "cut_rate_per_min": 6.0, "duration": duration, "colour_shares": {"grey": 0.6}}


def store_keyframes(lib, item_id: int, frames: list[tuple], folder: Path) -> list[dict[str, Any]]:
    """Write `frames` as the item's analysis result (features, keyframe JPEGs, descriptors) the way the
    analysis worker's results are stored (core.analysis.store.write_result)."""
    from core.analysis import VIDEO_VERSION
    from core.analysis.store import write_result

    folder.mkdir(parents=True, exist_ok=True)
    keyframes = []
    for n, (t, colour, faces, phrases, text) in enumerate(frames):
        path = folder / f"kf_{int(t * 1000):09d}.jpg"
        path.write_bytes(jpeg_bytes((40 * n % 255, 90, 200 if colour == "blue" else 120)))
        kf: dict[str, Any] = {"t": t, "path": str(path), "scene": n, "colour": colour, "faces": faces,
                              "phrases": phrases}
        if text:
            kf["text"] = text
        keyframes.append(kf)
    video = _features(frames[-1][0] + 2.0)
    video["keyframes"] = [{"ms": int(k["t"] * 1000), "phrases": k["phrases"], "faces": k["faces"]} for k in keyframes]
    with lib.store.write() as conn:
        write_result(conn, item_id, {"audio": None, "video": video, "video_version": VIDEO_VERSION,
                                     "video_vector": None, "keyframes": keyframes, "poster": None})
    return keyframes


def moment_library(lib, root: Path) -> dict[str, int]:
    """Two generated videos ("Harbour Walk": one close-up among six keyframes, a blue one and a sign;
    "Interview": a face in every keyframe) and a song, scanned, given keyframes and embedded."""
    from tests.media import write_audio

    # 36 s (six 6-second scenes), so that the player can really start at its moments
    write_video(root / "Videos" / "Harbour Walk.mp4", colors=[(40 * n, 90, 120) for n in range(6)], seconds_each=6.0)
    write_video(root / "Videos" / "Interview.mp4", colors=((90, 90, 90), (100, 100, 100)))
    write_audio(root / "Music" / "Tide Song.wav", 1.0)
    lib.scan([str(root)])
    ids = {Path(r[1]).stem: r[0] for r in lib.store.query("SELECT id, path FROM items")}
    store_keyframes(lib, ids["Harbour Walk"], HARBOUR, root / "kf" / "harbour")
    store_keyframes(lib, ids["Interview"], INTERVIEW, root / "kf" / "interview")
    lib.embed()
    return ids


def concat_real_clips(out: Path) -> Path:
    """One video made of real clips back to back: a street with bikes (10 s, nobody), the carphone face
    (4 s) and the Big Buck Bunny cartoon (5 s), at one size."""
    import cv2

    size = (352, 288)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 25, size)
    for name in ("bikes", "carphone_pristine", "bigbuckbunny"):
        cap = cv2.VideoCapture(str(REAL / "video" / f"{name}.mp4"))
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
        cap.release()
    writer.release()
    return out
