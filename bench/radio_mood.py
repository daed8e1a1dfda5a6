"""Does Radio stay in its seed's mood? Radio from every music track of a library, with the mood bound
(core.recommend.engine.RADIO_MAX_MOOD_GAP) and without it, in the same run.

    ENCORE_REAL_MEDIA=/root/real-media nice .venv/bin/python bench/radio_mood.py [--data DIR] [--limit 50]

The library: --data DIR (an existing one, e.g. bench/explain_audit.py's), else the real corpus's music is
scanned, analysed and embedded into a throw-away folder. The mood is Encore's own (core.tag_language's fused
arousal and valence: the measured features and the tags), so this says how far Radio strays by that measure,
not what a listener would call calm: the labelled check is bench/tag_quality.py's calm/energetic renders.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def measure(lib, limit: int) -> dict:
    import numpy as np

    from core.db import features as db

    conn = lib.store.reader()
    music = [i for i, c in db.item_classes_for(conn, [r[0] for r in conn.execute("SELECT id FROM items")]).items()
             if c == db.MUSIC]
    moods = db.moods_for(conn, music)
    gaps, lengths, by_position = [], [], {"1-10": [], "11-30": [], "31-50": []}
    t0 = time.perf_counter()
    for seed in sorted(music):
        picks = [r.item.id for r in lib.recommend(seed=seed, mode="radio", limit=limit)]
        lengths.append(len(picks))
        for n, j in enumerate(picks):
            if j in moods and seed in moods:
                gap = abs(moods[j]["arousal"] - moods[seed]["arousal"])
                gaps.append(gap)
                by_position["1-10" if n < 10 else "11-30" if n < 30 else "31-50"].append(gap)
    seconds = time.perf_counter() - t0
    g = np.array(gaps)
    return {"seeds": len(lengths), "mean arousal gap": round(float(g.mean()), 3) if len(g) else None,
            "share of picks over 0.75 apart": round(float((g > 0.75).mean()), 3) if len(g) else None,
            "mean gap by position": {k: round(float(np.mean(v)), 3) if v else None for k, v in by_position.items()},
            "queue length mean / min / max": [round(float(np.mean(lengths)), 1), int(min(lengths)), int(max(lengths))],
            "ms per radio": round(1000 * seconds / max(1, len(lengths)), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="an existing library's data folder")
    parser.add_argument("--limit", type=int, default=50, help="picks asked per Radio (the window asks 50)")
    args = parser.parse_args()

    from core.library import Library
    from core.recommend import engine

    temp = None
    if args.data:
        data = Path(args.data)
    else:
        real = Path(os.environ.get("ENCORE_REAL_MEDIA", "/root/real-media")) / "music"
        if not real.is_dir():
            print(json.dumps({"error": f"no real corpus at {real} (set ENCORE_REAL_MEDIA)"}))
            return 1
        temp = Path(tempfile.mkdtemp(prefix="encore-radio-mood-"))
        data = temp / "data"
        lib = Library(data)
        lib.scan([str(real)])
        lib.analyze()
        lib.embed()
        lib.close()
    lib = Library(data)
    out: dict = {"bench": "radio_mood", "library": str(data), "limit": args.limit,
                 "bound": engine.RADIO_MAX_MOOD_GAP}
    out["with the mood bound"] = measure(lib, args.limit)
    kept, engine.RADIO_MAX_MOOD_GAP = engine.RADIO_MAX_MOOD_GAP, float("inf")
    try:
        out["without it (baseline, same run)"] = measure(lib, args.limit)
    finally:
        engine.RADIO_MAX_MOOD_GAP = kept
    lib.close()
    out["load"] = os.getloadavg()
    print(json.dumps(out))
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
