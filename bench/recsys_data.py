"""Data for bench/recsys_eval.py: loading, the protocol's splits, leakage-free item-text vectors.

Protocol: ../shared/datasets/README.md. Interaction matrices keep each row's weight (Last.fm play
count, MovieLens rating, the generic file's third column); splits and metrics use only which entries
exist, so the weights change nothing for the baselines, which see binary rows.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import scipy.sparse as sp

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
CACHE = Path("/tmp/encore_recsys_cache")


def load(args) -> dict:
    """R (users x items, weights), base text per item, tag applications (user, item, tag)."""
    rows, base, tags = [], {}, []
    if args.dataset == "hetrec-lastfm":
        d = DATA / "hetrec2011-lastfm-2k"
        for line in (d / "artists.dat").read_text(encoding="utf-8").splitlines()[1:]:
            p = line.split("\t")
            base[p[0]] = p[1]
        for line in (d / "user_artists.dat").read_text().splitlines()[1:]:
            u, i, w = line.strip().split("\t")
            rows.append((u, i, float(w)))
        names = dict(line.strip().split("\t", 1) for line in
                     (d / "tags.dat").read_text(encoding="latin-1").splitlines()[1:])
        for line in (d / "user_taggedartists.dat").read_text().splitlines()[1:]:
            p = line.strip().split("\t")
            tags.append((p[0], p[1], names.get(p[2], "").lower()))
    elif args.dataset == "movielens":
        d = DATA / "ml-latest-small"
        with open(d / "movies.csv", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                base[r["movieId"]] = r["title"] + ". " + r["genres"].replace("|", ", ")
        with open(d / "ratings.csv") as fh:
            rows = [(r["userId"], r["movieId"], float(r["rating"])) for r in csv.DictReader(fh)]
        with open(d / "tags.csv", encoding="utf-8") as fh:
            tags = [(r["userId"], r["movieId"], r["tag"].strip().lower()) for r in csv.DictReader(fh)]
    else:
        with open(args.items, encoding="utf-8") as fh:
            for r in csv.reader(fh):
                if r and r[0] != "item":
                    base[r[0]] = r[1] if len(r) > 1 else r[0]
        with open(args.interactions, encoding="utf-8") as fh:
            for r in csv.reader(fh):
                try:
                    rows.append((r[0], r[1], float(r[2]) if len(r) > 2 else 1.0))
                except (ValueError, IndexError):
                    continue
    items = sorted(set(base) | {i for _, i, _ in rows})
    users = sorted({u for u, _, _ in rows})
    ii = {x: n for n, x in enumerate(items)}
    ui = {x: n for n, x in enumerate(users)}
    # a weight of 0 (or below) would drop the interaction from a sparse matrix: keep it, smallest
    weights = np.maximum(np.array([w for _, _, w in rows], np.float32), 1e-3)
    R = sp.csr_matrix((weights, ([ui[u] for u, _, _ in rows], [ii[i] for _, i, _ in rows])),
                      shape=(len(users), len(items)))
    R.sum_duplicates()
    tag_rows = [(ui[u], ii[i], t) for u, i, t in tags if u in ui and i in ii and t]
    return {"R": R, "texts": [base.get(i, str(i)) for i in items], "tags": tag_rows}


def binary(X: sp.csr_matrix) -> sp.csr_matrix:
    """The same entries, every weight 1."""
    X = sp.csr_matrix(X, dtype=np.float32, copy=True)
    X.data[:] = 1.0
    return X


def holdout(R: sp.csr_matrix, seed: int, frac: float = 0.2) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Users with >= 5 items: hold out 20 % of their items at random (test, binary); train on the rest
    (weights kept)."""
    rng = np.random.default_rng(seed)
    tr, te = R.tolil(copy=True), sp.lil_matrix(R.shape, dtype=np.float32)
    for u in range(R.shape[0]):
        its = R.indices[R.indptr[u]:R.indptr[u + 1]]
        if len(its) >= 5:
            out = rng.choice(its, size=max(1, int(round(frac * len(its)))), replace=False)
            for i in out:
                tr[u, i] = 0
                te[u, i] = 1
    tr = tr.tocsr()
    tr.eliminate_zeros()
    return tr, te.tocsr()


def cold_split(R: sp.csr_matrix, seed: int) -> np.ndarray:
    """A random 10 % of the items that have >= 2 users (bool mask)."""
    rng = np.random.default_rng(seed)
    eligible = np.flatnonzero(np.bincount(R.indices, minlength=R.shape[1]) >= 2)
    mask = np.zeros(R.shape[1], bool)
    mask[rng.choice(eligible, size=int(round(0.1 * len(eligible))), replace=False)] = True
    return mask


def drop_cols(X: sp.csr_matrix, mask: np.ndarray) -> sp.csr_matrix:
    """X without the columns in `mask`."""
    X = sp.csr_matrix(X @ sp.diags((~mask).astype(np.float32)))
    X.eliminate_zeros()
    return X


def encode_cached(texts: list[str]) -> np.ndarray:
    """MiniLM vectors of `texts`, cached under /tmp (never in the repo)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:16]
    f = CACHE / f"minilm-{key}.npy"
    if f.exists():
        return np.load(f)
    from core.embed.encoder import TextEncoder

    vecs = TextEncoder(device="cpu").encode(texts, batch_size=128)
    np.save(f, vecs)
    return vecs


class Content:
    """Leakage-free item vectors: base-text vector + count-weighted mean of the item's tag vectors,
    leaving out every tag a user applied to an item held out for that user."""

    def __init__(self, data: dict) -> None:
        self.base = encode_cached(data["texts"])
        vocab = sorted({t for _, _, t in data["tags"]})
        self.tag_vec = encode_cached(vocab) if vocab else np.zeros((0, self.base.shape[1]), np.float32)
        tid = {t: n for n, t in enumerate(vocab)}
        self.tags = np.array([(u, i, tid[t]) for u, i, t in data["tags"]], dtype=np.int64).reshape(-1, 3)

    def vectors(self, hidden: list[sp.csr_matrix], tag_weight: float = 1.0) -> np.ndarray:
        """Item vectors without the tags that users applied to their entries of the `hidden` matrices."""
        n = self.base.shape[0]
        keep = np.ones(len(self.tags), bool)
        for H in hidden if len(self.tags) else []:
            Hc = H.tocsr()
            keep &= ~np.asarray(Hc[self.tags[:, 0], self.tags[:, 1]]).ravel().astype(bool)
        t = self.tags[keep]
        C = sp.csr_matrix((np.ones(len(t), np.float32), (t[:, 1], t[:, 2])), shape=(n, len(self.tag_vec)))
        C.data = np.sqrt(C.data)
        T = np.asarray(C @ self.tag_vec, dtype=np.float32)
        T /= np.maximum(np.linalg.norm(T, axis=1, keepdims=True), 1e-9)
        E = self.base + tag_weight * T
        return (E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-9)).astype(np.float32)
