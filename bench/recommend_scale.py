"""Recommender at scale: a synthetic library of N items and M play events (clustered tastes).

Builds a throw-away library under /tmp, rebuilds the item-item neighbours with scipy.sparse, then
times `Library.recommend` in each mode and an incremental `record_play`. Prints one JSON object.
  nice .venv/bin/python bench/recommend_scale.py --items 200000 --events 2000000 --json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.library import Library  # noqa: E402
from core.models import PlayEvent  # noqa: E402
from core.recommend.cf import CFParams  # noqa: E402
from core.recommend.neighbours import REBUILD, rebuild  # noqa: E402


def populate(lib: Library, n_items: int, n_events: int, dim: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    clusters = max(n_items // 500, 2)
    cl = rng.integers(0, clusters, n_items)
    now = time.time()
    t = time.perf_counter()
    with lib.store.write() as conn:
        conn.executemany(
            "INSERT INTO items (id, path, dir, filename, ext, kind, size, mtime_ns, title, artist, genre, duration, "
            "added_at, updated_at) VALUES (?, ?, '/m', ?, '.flac', 'audio', 1, 1, ?, ?, ?, 200, ?, ?)",
            ((i + 1, f"/m/{i}.flac", f"{i}.flac", f"Track {i}", f"Artist {i // 12}", f"genre{cl[i]}", now, now)
             for i in range(n_items)))
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    vecs = centres[cl] + 0.6 * rng.standard_normal((n_items, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    from core.db.embeddings import write_vectors
    from core.embed.store import model_name

    with lib.store.write() as conn:  # under the configured model: the recommender reads only that one
        write_vectors(conn, model_name(lib), [(i + 1, "", vecs[i]) for i in range(n_items)], now)
    items_s = time.perf_counter() - t
    # sessions of ~10 plays, each from one taste cluster, popular items within a cluster more likely
    members = [np.flatnonzero(cl == c) for c in range(clusters)]
    t = time.perf_counter()
    n_sessions = n_events // 10
    start = now - (n_sessions // 20 + 1) * 4000.0
    rows = []
    for s in range(n_sessions):
        m = members[rng.integers(0, clusters)]
        picks = m[np.minimum(rng.zipf(1.5, 10) - 1, len(m) - 1)]
        t0 = start + (s // 20) * 4000.0  # 20 profiles, a session each ~67 min (gap > 30 min)
        rows.extend((int(i) + 1, f"p{s % 20}", t0 + k * 200.0, 200.0, 1.0, 0, "bench") for k, i in enumerate(picks))
    with lib.store.write() as conn:
        conn.executemany("INSERT INTO play_events (item_id, profile, started_at, seconds, completed, skipped, "
                         "source) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return {"items_s": round(items_s, 1), "events_s": round(time.perf_counter() - t, 1), "events": len(rows)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--method", default=None,
                    help="rebuild method: cosine | rp3b | ease (default: the product's neighbours.REBUILD)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="encore-recscale-"))
    try:
        lib = Library(tmp)
        out: dict = {"items": args.items, "events": args.events, "dim": args.dim, "method": args.method}
        out["populate"] = populate(lib, args.items, args.events, args.dim)
        params = REBUILD if args.method is None else CFParams(method=args.method, k=50, l2=50.0, shrink=2.0)
        out["cf"] = params.__dict__
        out["rebuild"] = rebuild(lib, params)
        lib.recommend(mode="for-you", limit=20, profile="p1")  # warm: loads content vectors once
        seed = lib.store.query("SELECT item_id FROM play_events WHERE profile = 'p3' ORDER BY started_at DESC "
                               "LIMIT 1")[0][0]
        lat: dict = {}
        for mode, s in (("for-you", None), ("more-like", seed), ("radio", seed), ("because", None)):
            times = []
            for r in range(args.repeat):
                t = time.perf_counter()
                recs = lib.recommend(seed=s, mode=mode, limit=20, profile=f"p{r}")
                times.append(time.perf_counter() - t)
            lat[mode] = {"median_ms": round(1000 * float(np.median(times)), 1),
                         "max_ms": round(1000 * max(times), 1), "results": len(recs),
                         "with_reasons": sum(1 for x in recs if x.reasons)}
        out["recommend"] = lat
        times = []
        for r in range(args.repeat):
            t = time.perf_counter()
            lib.record_play(PlayEvent(item_id=seed + r, started_at=time.time() + r * 60, seconds=200, profile="p1"))
            times.append(time.perf_counter() - t)
        out["record_play_ms"] = {"median": round(1000 * float(np.median(times)), 1), "max": round(1000 * max(times), 1)}
        out["db_mb"] = round((tmp / "library.sqlite3").stat().st_size / 1e6, 1)
        lib.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
