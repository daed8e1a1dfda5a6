"""Compute the tagger's prior (core/analysis/tag_prior.json) once, from the real corpus.

    ENCORE_REAL_MEDIA=/root/real-media nice .venv/bin/python bench/tag_prior.py

Every real track (music/**) and video soundtrack (video/*) under ENCORE_REAL_MEDIA is decoded and tagged
exactly as the analysis worker does (decode.decode_window, tags.tag_segments on CPU); per tag, the mean and
standard deviation of the items' probabilities are written with the item count and the tagger version.
The prior stands in for a library's own spread of each tag while the library is small
(core.analysis.tags.reference_stats); it has no labels, so nothing is tuned on it.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import json  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    import numpy as np

    from core.analysis import decode, tags
    from core.analysis.tagger import MusicTagger

    real = os.environ.get("ENCORE_REAL_MEDIA")
    if not real or not Path(real).is_dir():
        print(json.dumps({"skipped": "set ENCORE_REAL_MEDIA to the real corpus (../shared/corpus/fetch-real-media.sh)"}))
        return 0
    paths = sorted(p for p in (Path(real) / "music").rglob("*") if p.is_file()) + \
        sorted(p for p in (Path(real) / "video").glob("*") if p.is_file())
    model = MusicTagger(device="cpu", threads=1)
    rows, used = [], []
    for path in paths:
        try:
            segments, _, _ = decode.decode_window(str(path))
        except decode.NoAudio:
            continue
        if sum(len(s) for s in segments) < 3 * decode.SR:
            continue  # shorter than one patch: not music to learn a prior from
        rows.append(tags.tag_segments(segments, decode.SR, model=model))
        used.append(str(path.relative_to(real)))
    folders = Counter(str(Path(u).parent) for u in used)
    out: dict = {"version": tags.TAGS_VERSION, "items": len(rows),
                 "source": "the real corpus: " + ", ".join(f"{f} ({n})" for f, n in sorted(folders.items()))}
    for model_key in ("mtt", "msd"):
        names = list(rows[0][model_key])
        values = np.array([[r[model_key][n] for n in names] for r in rows])
        out[model_key] = {n: [round(float(m), 5), round(float(s), 5)]
                          for n, m, s in zip(names, values.mean(axis=0), values.std(axis=0), strict=True)}
    target = Path(__file__).resolve().parents[1] / "core" / "analysis" / tags.PRIOR_FILE
    target.write_text("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in out.items()) + "\n}\n",
                      encoding="utf-8")
    print(json.dumps({"written": str(target), "items": len(rows), "version": tags.TAGS_VERSION}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
