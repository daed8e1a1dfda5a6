"""Search at scale: 200,000 synthetic items; end-to-end query latency vs a bare numpy top-k, index memory,
and embedding throughput of the pipeline vs a bare `model.encode`, all measured in the same process.

    nice .venv/bin/python bench/search_scale.py --json [--items 200000] [--embed-items 1500]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

GENRES = ["rock", "pop", "jazz", "classical", "hip hop", "electronic", "ambient", "metal", "punk", "folk",
          "country", "blues", "soul", "funk", "reggae", "techno", "house", "soundtrack", "indie", "disco",
          "synthpop", "new wave", "grunge", "lo-fi", "piano", "orchestral", "documentary", "comedy", "drama",
          "horror", "thriller", "animation", "sci-fi", "action", "adventure", "travel", "cycling", "nature"]
MOODS = ["calm", "energetic", "dark", "bright", "melancholic", "happy", "slow", "fast", "chill", "epic",
         "dreamy", "aggressive", "romantic", "uplifting", "gloomy", "mellow", "groovy", "acoustic"]
WORDS = ("night light river fire dream city heart road ocean storm shadow dance summer winter gold silver "
         "echo star moon sun rain wind stone glass paper velvet neon iron crystal wild lost blue red green "
         "black white morning evening highway garden mountain desert island forest machine ghost").split()
QUERIES = ["upbeat rock songs for running", "calm piano for studying", "80s synthpop", "bike ride video",
           "dark ambient", "sci-fi movie with space battles", "happy summer songs", "jazz before 1970",
           "short documentary about nature", "epic orchestral soundtrack", "chill lo-fi for sleeping",
           "90s grunge I haven't played", "aggressive metal", "romantic acoustic songs", "neon city night drive",
           "funk and soul from the seventies", "horror film", "mellow folk", "techno for the gym",
           "travel video in the mountains", "songs about the ocean", "blue velvet", "uplifting house music",
           "melancholic piano", "groovy disco", "indie rock 2000s", "reggae summer", "classical for focus",
           "desert highway", "ghost story movie", "country road songs", "heavy fast punk", "winter dreamy pop",
           "comedy clips", "adventure films after 2010", "slow blues", "rainy day jazz", "crystal echo",
           "action thriller", "silver moon"]


def synthetic_items(n: int, seed: int = 0) -> list[tuple]:
    """(id, kind, title, artist, genre, year, tags-text) rows with a Zipf-like genre/mood vocabulary."""
    rng = np.random.default_rng(seed)
    g_p = 1 / np.arange(1, len(GENRES) + 1)
    g_p /= g_p.sum()
    out = []
    for i in range(1, n + 1):
        w = rng.choice(WORDS, 3)
        kind = "video" if rng.random() < 0.2 else "audio"
        genre = ", ".join(dict.fromkeys(rng.choice(GENRES, rng.integers(1, 3), p=g_p)))
        moods = ", ".join(rng.choice(MOODS, 2, replace=False))
        out.append((i, kind, f"{w[0].title()} {w[1]} {w[2]}", f"{rng.choice(WORDS).title()} {i % 5000}",
                    genre, int(rng.integers(1955, 2025)), moods))
    return out


def fill_library(lib, rows, model: str, dim: int, vectors: np.ndarray | None) -> None:
    """Insert items, their FTS rows and (optionally) vectors straight into the database."""
    from core.db import terms

    now = time.time()
    with lib.store.write() as conn:
        conn.executemany(
            "INSERT INTO items (id, path, dir, filename, ext, kind, size, mtime_ns, status, title, artist, genre, "
            "year, duration, added_at, updated_at) VALUES (?, ?, '/s', ?, 'x', ?, 0, 0, 'ok', ?, ?, ?, ?, 200, ?, ?)",
            [(r[0], f"/s/{r[0]}", str(r[0]), r[1], r[2], r[3], r[4], r[5], now, now) for r in rows])
        conn.executemany("INSERT INTO tags (item_id, key, value) VALUES (?, 'mood', ?)", [(r[0], r[6]) for r in rows])
        conn.executemany("INSERT INTO items_fts (rowid, title, artist, album, genre, tags, sidecar) "
                         "VALUES (?, ?, ?, '', ?, ?, '')", [(r[0], r[2], r[3], r[4], f"{r[6]} {r[5]}") for r in rows])
        terms.rebuild(conn)  # the product's item_terms, as the migration fills it
        if vectors is not None:
            conn.executemany("INSERT INTO embeddings (item_id, model, dim, text_hash, vector, updated_at) "
                             "VALUES (?, ?, ?, '', ?, ?)",
                             [(r[0], model, dim, vectors[k].tobytes(), now) for k, r in enumerate(rows)])


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def query_latency(n_items: int) -> dict:
    from core.embed import store
    from core.library import Library
    from core.search.engine import search

    rows = synthetic_items(n_items)
    with tempfile.TemporaryDirectory(prefix="encore-scale-") as tmp:
        lib = Library(Path(tmp))
        enc = store.encoder(lib)
        dim = enc.dim
        rng = np.random.default_rng(1)
        vecs = rng.normal(size=(n_items, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        t0 = time.perf_counter()
        fill_library(lib, rows, enc.name, dim, vecs)
        fill_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = store.vector_index(lib)
        index_load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        search(lib, "warm up the vocabulary", limit=20)
        vocab_s = time.perf_counter() - t0
        matrix = index.matrix
        qvecs = enc.encode(QUERIES)
        bare, e2e, e2e_cached, encode_ms = [], [], [], []
        for q, qv in zip(QUERIES, qvecs, strict=True):  # interleaved so machine noise hits both alike
            t0 = time.perf_counter()
            s = matrix @ qv
            top = np.argpartition(-s, 20)[:20]
            top[np.argsort(-s[top])]
            bare.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            enc.encode_query(q + " (uncached)")
            encode_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            search(lib, q, limit=20)
            e2e.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            search(lib, q, limit=20)
            e2e_cached.append((time.perf_counter() - t0) * 1000)
        out = {
            "items": n_items, "dim": dim, "queries": len(QUERIES),
            "bare_topk_ms": {"p50": pct(bare, 50), "p95": pct(bare, 95)},
            "query_encode_ms": {"p50": pct(encode_ms, 50), "p95": pct(encode_ms, 95)},
            "end_to_end_ms": {"p50": pct(e2e, 50), "p95": pct(e2e, 95)},
            "end_to_end_cached_query_vector_ms": {"p50": pct(e2e_cached, 50), "p95": pct(e2e_cached, 95)},
            "index_mb": round(index.nbytes / 2**20, 1),
            "index_load_s": round(index_load_s, 2), "db_fill_s": round(fill_s, 1),
            "first_search_with_vocabulary_s": round(vocab_s, 2),
        }
        out["p95_ratio_vs_bare"] = round(out["end_to_end_ms"]["p95"] / max(out["bare_topk_ms"]["p95"], 1e-6), 2)
        out["p95_ratio_cached_vs_bare"] = round(out["end_to_end_cached_query_vector_ms"]["p95"]
                                                / max(out["bare_topk_ms"]["p95"], 1e-6), 2)
        lib.close()
    return out


def embed_throughput(n_items: int) -> dict:
    """Pipeline (describe + encode + store) vs bare SentenceTransformer.encode of the same texts."""
    from core.embed import store
    from core.embed.pipeline import pending_texts
    from core.library import Library

    rows = synthetic_items(n_items, seed=2)
    with tempfile.TemporaryDirectory(prefix="encore-embed-") as tmp:
        lib = Library(Path(tmp))
        enc = store.encoder(lib)
        fill_library(lib, rows, enc.name, enc.dim, None)
        texts = list(pending_texts(lib, enc.name)[0].values())
        model = enc._load()
        model.encode(texts[:64])  # warm-up for both
        t0 = time.perf_counter()
        model.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True)
        bare_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = lib.embed()
        pipe_s = time.perf_counter() - t0
        lib.close()
    return {"items": n_items, "device": report["device"], "bare_items_per_s": round(n_items / bare_s, 1),
            "pipeline_items_per_s": round(n_items / pipe_s, 1), "ratio": round(bare_s / pipe_s, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--embed-items", type=int, default=1500)
    args = parser.parse_args(argv)
    out = {"query": query_latency(args.items), "embed": embed_throughput(args.embed_items)}
    print(json.dumps(out, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
