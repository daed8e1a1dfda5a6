"""Search evaluation on MovieLens tags and Last.fm tags (protocols in ../shared/datasets/README.md).

Builds a temporary Encore library from each dataset's searchable texts and runs THE PRODUCT's search
(`core.search.engine.search`: intent, field-weighted FTS5 BM25, semantic index, vocabulary expansion,
fusion) three ways in the same run: lexical-only, semantic-only and hybrid. Prints one JSON object.
Queries are split by hash parity: settings were chosen on "dev" (even) and "test" (odd) is reported apart.

    nice .venv/bin/python bench/search_eval.py --json [--datasets DIR] [--limit-queries N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from core.embed.encoder import TextEncoder  # noqa: E402
from core.search.fusion import RankParams  # noqa: E402

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "encore-bench"
METHODS = {
    "lexical": RankParams(semantic=0.0, expansion=0.0, term=0.0, semantic_feedback=0.0),
    "semantic": RankParams(lexical=0.0, expansion=0.0, term=0.0, semantic_feedback=0.0),
    "hybrid": RankParams(),
    # Ablation, not a target baseline: the hybrid's non-embedding parts alone (BM25 + exact terms + tag feedback).
    "hybrid_without_embeddings": RankParams(semantic=0.0, expansion=0.0, expansion_terms=0, semantic_feedback=0.0),
}


class CachingEncoder:
    """The product encoder with an on-disk cache by text hash (benchmark runs re-embed nothing)."""

    def __init__(self, inner: TextEncoder, path: Path) -> None:
        self.inner, self.path = inner, path
        self.cache: dict[str, np.ndarray] = {}
        if path.exists():
            data = np.load(path)
            self.cache = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        self.dirty = False

    name = property(lambda self: self.inner.name)
    dim = property(lambda self: self.inner.dim)
    device = property(lambda self: self.inner.device)

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if todo:
            by_key = dict(zip(keys, texts, strict=True))
            for k, v in zip(todo, self.inner.encode([by_key[k] for k in todo]), strict=True):
                self.cache[k] = v
            self.dirty = True
        return np.stack([self.cache[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, 384), np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """Never cached: query latency includes encoding the query."""
        return self.inner.encode_query(text)

    def save(self) -> None:
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = list(self.cache)
            np.savez(self.path, keys=np.array(keys), vectors=np.stack([self.cache[k] for k in keys]))


# ----- datasets -> (docs, queries) ------------------------------------------------------------------
def movielens(root: Path) -> tuple[list[dict], dict[str, set[int]]]:
    """Docs: title (year stripped), year, genres. Queries: tags applied to >= 5 movies."""
    docs = []
    with open(root / "movies.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            m = re.match(r"^(.*?)\s*\((\d{4})\)\s*$", row["title"].strip())
            title, year = (m.group(1), int(m.group(2))) if m else (row["title"].strip(), None)
            genres = "" if row["genres"] == "(no genres listed)" else ", ".join(row["genres"].split("|"))
            docs.append({"key": int(row["movieId"]), "title": title, "artist": "", "genre": genres, "year": year,
                         "kind": "video"})
    tagged: dict[str, set[int]] = defaultdict(set)
    with open(root / "tags.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            tagged[row["tag"].strip().lower()].add(int(row["movieId"]))
    return docs, {t: m for t, m in tagged.items() if len(m) >= 5}


def lastfm(root: Path) -> tuple[list[dict], dict[str, set[int]], set[str]]:
    """Odd users' top-15 tags per artist are the library text; even users' tags are the queries."""
    names = {}
    with open(root / "artists.dat", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\r\n").split("\t")
            names[int(parts[0])] = parts[1]
    tag_names = {}
    with open(root / "tags.dat", encoding="latin-1") as fh:
        next(fh)
        for line in fh:
            tid, value = line.rstrip("\r\n").split("\t", 1)
            tag_names[int(tid)] = value.strip().lower()
    library_counts: dict[int, Counter] = defaultdict(Counter)
    query_tags: dict[str, set[int]] = defaultdict(set)
    with open(root / "user_taggedartists.dat", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            user, artist, tag = (int(x) for x in line.split("\t")[:3])
            if tag not in tag_names:
                continue
            if user % 2:
                library_counts[artist][tag] += 1
            else:
                query_tags[tag_names[tag]].add(artist)
    docs, carried = [], defaultdict(set)
    for artist, name in names.items():
        top = sorted(library_counts[artist].items(), key=lambda kv: (-kv[1], kv[0]))[:15]
        tags = [tag_names[t] for t, _ in top]
        for t in tags:
            carried[t].add(artist)
        docs.append({"key": artist, "title": "", "artist": name, "genre": ", ".join(tags), "year": None,
                     "kind": "audio"})
    queries = {t: a for t, a in query_tags.items() if len(a) >= 5}
    gap = {t for t, rel in queries.items() if not (rel & carried.get(t, set()))}
    return docs, queries, gap


# ----- a temporary library ------------------------------------------------------------------------
def build_library(docs: list[dict], name: str, data_dir: Path):
    """A real Encore library holding the docs; embedded by the product pipeline (cached encoder)."""
    from core.db import terms
    from core.library import Library

    lib = Library(data_dir)
    now = time.time()
    with lib.store.write() as conn:
        for i, d in enumerate(docs, 1):
            d["id"] = i
            conn.execute(
                "INSERT INTO items (id, path, dir, filename, ext, kind, size, mtime_ns, status, title, artist, genre,"
                " year, added_at, updated_at) VALUES (?, ?, '/bench', ?, '', ?, 0, 0, 'ok', ?, ?, ?, ?, ?, ?)",
                (i, f"/bench/{name}/{d['key']}", str(d["key"]), d["kind"], d["title"], d["artist"], d["genre"],
                 d["year"], now, now))
            conn.execute("INSERT INTO items_fts (rowid, title, artist, album, genre, tags, sidecar) "
                         "VALUES (?, ?, ?, '', ?, ?, '')", (i, d["title"], d["artist"], d["genre"],
                                                           str(d["year"] or "")))
        terms.rebuild(conn)  # the product's item_terms, as the migration fills it
    inner = TextEncoder()
    enc = CachingEncoder(inner, CACHE_DIR / f"{inner.name}-{name}.npz")
    lib._components[f"encoder:{lib.settings.embedding_model}:{lib.settings.device}"] = enc
    t0 = time.perf_counter()
    report = lib.embed()
    enc.save()
    report["wall_s"] = round(time.perf_counter() - t0, 2)
    return lib, enc, report


# ----- metrics ------------------------------------------------------------------------------------
def ndcg_at(ranked: list[int], relevant: set[int], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[int], relevant: set[int], k: int = 100) -> float:
    return len(set(ranked[:k]) & relevant) / min(k, len(relevant)) if relevant else 0.0


def is_dev(query: str) -> bool:
    """Hash-parity split: settings are chosen on dev queries only."""
    return int(hashlib.sha1(query.encode()).hexdigest(), 16) % 2 == 0


def summarise(rows: list[tuple[str, float, float, float]]) -> dict:
    if not rows:
        return {"n": 0}
    nd = [r[1] for r in rows]
    rc = [r[2] for r in rows]
    ms = [r[3] for r in rows]
    return {"ndcg@10": round(float(np.mean(nd)), 4), "recall@100": round(float(np.mean(rc)), 4),
            "ms_p50": round(float(np.percentile(ms, 50)), 2), "ms_p95": round(float(np.percentile(ms, 95)), 2),
            "n": len(rows)}


def evaluate(lib, queries: dict[str, set[int]], key_to_id: dict[int, int], methods: dict[str, RankParams],
             gap: set[str] | None = None) -> dict:
    from core.search.engine import search

    out: dict = {}
    per_query: dict[str, dict[str, float]] = defaultdict(dict)
    for method, params in methods.items():
        for name in [n for n in lib._components if n.startswith("query_encoder:")]:
            lib.drop_component(name)  # every method pays for encoding its queries
        rows = []
        for q, rel_keys in sorted(queries.items()):
            relevant = {key_to_id[k] for k in rel_keys if k in key_to_id}
            t0 = time.perf_counter()
            hits = search(lib, q, limit=100, params=params)
            ms = (time.perf_counter() - t0) * 1000
            ranked = [h.item.id for h in hits]
            rows.append((q, ndcg_at(ranked, relevant), recall_at(ranked, relevant), ms))
            per_query[q][method] = rows[-1][1]
        res = summarise(rows)
        res["dev"] = summarise([r for r in rows if is_dev(r[0])])
        res["test"] = summarise([r for r in rows if not is_dev(r[0])])
        out[method] = res
        if gap is not None:
            out.setdefault("gap", {})[method] = summarise([r for r in rows if r[0] in gap])
    best = max(out["lexical"]["ndcg@10"], out["semantic"]["ndcg@10"])
    if "hybrid" in out and best:
        out["hybrid_vs_best_single"] = round(out["hybrid"]["ndcg@10"] / best, 3)
        for half in ("dev", "test"):
            b = max(out["lexical"][half]["ndcg@10"], out["semantic"][half]["ndcg@10"])
            out[f"hybrid_vs_best_single_{half}"] = round(out["hybrid"][half]["ndcg@10"] / b, 3) if b else None
    return out


def run_dataset(name: str, docs, queries, gap, methods, limit_queries: int | None) -> dict:
    if limit_queries:
        queries = dict(sorted(queries.items())[:limit_queries])
    with tempfile.TemporaryDirectory(prefix=f"encore-bench-{name}-") as tmp:
        lib, enc, report = build_library(docs, name, Path(tmp))
        key_to_id = {d["key"]: d["id"] for d in docs}
        from core.search.engine import search

        search(lib, "warm up", limit=10)  # loads index + vocabulary outside the timed queries
        enc.save()
        result = evaluate(lib, queries, key_to_id, methods, gap)
        enc.save()
        result["items"] = len(docs)
        result["queries"] = len(queries)
        if gap is not None:
            result["gap_queries"] = len(gap & set(queries))
        result["embed"] = {k: report[k] for k in ("embedded", "model", "device", "wall_s")}
        lib.close()
    return result


def tune(root: Path, only: str | None) -> int:
    """Evaluate a grid of settings on the dev (even-hash) queries only; prints one line per setting."""
    import itertools

    grid = {"lexical": [0.5, 1.0, 2.0], "expansion": [0.0, 0.5, 1.0], "coverage_power": [1.0]}
    names = [n for n in ("movielens", "lastfm") if only in (None, n)]
    for name in names:
        if name == "movielens":
            docs, queries = movielens(root / "ml-latest-small")
        else:
            docs, queries, _ = lastfm(root / "hetrec2011-lastfm-2k")
        dev = {q: r for q, r in queries.items() if is_dev(q)}
        with tempfile.TemporaryDirectory(prefix=f"encore-tune-{name}-") as tmp:
            lib, enc, _ = build_library(docs, name, Path(tmp))
            key_to_id = {d["key"]: d["id"] for d in docs}
            methods = {f"{k}": RankParams(**dict(zip(grid, k, strict=True))) for k in itertools.product(*grid.values())}
            methods = {"lexical": METHODS["lexical"], "semantic": METHODS["semantic"], **methods}
            res = evaluate(lib, dev, key_to_id, methods)
            enc.save()
            for m, r in res.items():
                if isinstance(r, dict):
                    print(name, m, r["ndcg@10"], r["recall@100"], flush=True)
            lib.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--datasets", default=os.environ.get("ENCORE_DATASETS", str(DEFAULT_DATASETS)))
    parser.add_argument("--limit-queries", type=int, default=None)
    parser.add_argument("--only", choices=["movielens", "lastfm"])
    parser.add_argument("--tune", action="store_true", help="grid of fusion settings on the dev half only")
    args = parser.parse_args(argv)
    root = Path(args.datasets)
    if not (root / "ml-latest-small").is_dir() or not (root / "hetrec2011-lastfm-2k").is_dir():
        print(json.dumps({"skipped": f"datasets not found under {root}"}))
        return 0
    started = time.perf_counter()
    if args.tune:
        return tune(root, args.only)
    out: dict = {}
    if args.only in (None, "movielens"):
        docs, queries = movielens(root / "ml-latest-small")
        out["movielens"] = run_dataset("movielens", docs, queries, None, METHODS, args.limit_queries)
    if args.only in (None, "lastfm"):
        docs, queries, gap = lastfm(root / "hetrec2011-lastfm-2k")
        out["lastfm"] = run_dataset("lastfm", docs, queries, gap, METHODS, args.limit_queries)
    out["params"] = {k: v for k, v in RankParams().__dict__.items()}
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
