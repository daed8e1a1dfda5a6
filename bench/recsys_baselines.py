"""Metrics, the top-10 runner, and the baselines of bench/recsys_eval.py (popularity, item-KNN, ALS).

Baselines see binary rows (an interaction is an interaction), as the protocol's reference numbers did.
"""

from __future__ import annotations

import os
import time

import numpy as np
import scipy.sparse as sp
from recsys_data import binary, drop_cols

from core.recommend.cf import CFParams, item_item
from core.recommend.scoring import profile_rows, top_n

K = 10
GRIDS = {
    "popularity": [{}],
    "itemknn": [{"k": k} for k in (20, 50, 100, 200)],
    "als": [{"factors": f, "reg": r, "alpha": a} for f in (64,) for r in (0.01, 0.1) for a in (1.0, 10.0)],
}


def per_user(recs: np.ndarray, truth: sp.csr_matrix, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per user: recall@10 (hits / min(10, |test|)) and NDCG@10 (binary gain)."""
    disc = 1.0 / np.log2(np.arange(2, K + 2))
    rec, ndcg = np.zeros(len(users)), np.zeros(len(users))
    for n, (r, u) in enumerate(zip(recs, users, strict=True)):
        rel = set(truth.indices[truth.indptr[u]:truth.indptr[u + 1]].tolist())
        hits = np.array([i in rel for i in r[:K]], float)
        m = min(K, len(rel))
        rec[n] = hits.sum() / m
        ndcg[n] = (hits * disc).sum() / disc[:m].sum()
    return rec, ndcg


def metrics(recs: np.ndarray, truth: sp.csr_matrix, users: np.ndarray) -> dict:
    """recall@10 (hits / min(10, |test|)) and NDCG@10 (binary gain), averaged over `users`."""
    rec, ndcg = per_user(recs, truth, users)
    n = max(len(users), 1)
    return {"recall@10": float(rec.sum()) / n, "ndcg@10": float(ndcg.sum()) / n, "users": int(len(users))}


def random_recall(truth: sp.csr_matrix, users: np.ndarray, n_cand: np.ndarray) -> float:
    """The expected recall@10 of a random ranking over `n_cand` candidates per user."""
    t = np.diff(truth.indptr)[users]
    return float(np.mean(np.minimum(1.0, K / np.maximum(n_cand, K)) * t / np.minimum(K, t)))


def run_scorer(score_fn, train: sp.csr_matrix, users: np.ndarray, played: np.ndarray, fresh: int,
               pool: np.ndarray | None = None, cold_only: bool = False, batch: int = 256,
               fresh_min: float = -1e9, fresh_history: float = 0.0) -> np.ndarray:
    """Top-10 lists for `users`; score_fn(rows) -> (total, cold) dense arrays."""
    out = []
    for s in range(0, len(users), batch):
        u = users[s:s + batch]
        total, cold = score_fn(u)
        if cold_only:
            total = cold
        out.append(top_n(total, cold, train[u], played, K, fresh, pool, fresh_min, fresh_history))
    return np.vstack(out) if out else np.zeros((0, K), np.int64)


def noise(shape: tuple, seed: int = 7) -> np.ndarray:
    """Tiny fixed noise: ties are broken at random, the same way in every run."""
    return np.random.default_rng(seed).random(shape).astype(np.float32) * 1e-6


def fit_baseline(name: str, X: sp.csr_matrix, p: dict, play_floor: float | None = None):
    """Returns score_fn(users) -> (scores, scores) for a baseline fitted on X: binary rows (the
    baselines of the targets), or with `play_floor` the hybrid's play-rank rows (a reference)."""
    X = binary(X) if play_floor is None else profile_rows(X, play_floor)
    if name == "popularity":
        pop = np.asarray(X.sum(axis=0)).ravel().astype(np.float32)
        return lambda u: ((pop[None, :] + noise((len(u), X.shape[1]))),) * 2
    if name == "itemknn":
        W = item_item(X, CFParams(method="cosine", k=p["k"], shrink=0.0))
        return lambda u: ((np.asarray((X[u] @ W).todense()) + noise((len(u), X.shape[1]))),) * 2
    if name == "als":
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from implicit.cpu.als import AlternatingLeastSquares

        m = AlternatingLeastSquares(factors=p["factors"], regularization=p["reg"], alpha=p["alpha"],
                                    iterations=15, random_state=0, num_threads=2)
        m.fit(sp.csr_matrix(X), show_progress=False)
        Uf, If = np.asarray(m.user_factors), np.asarray(m.item_factors)
        return lambda u: ((Uf[u] @ If.T + noise((len(u), X.shape[1]))),) * 2
    raise ValueError(name)


def warm_ndcg(fn, tr: sp.csr_matrix, te: sp.csr_matrix, fresh: int = 0) -> float:
    """Warm NDCG@10 of score_fn `fn` (used for tuning on the validation split)."""
    users = np.flatnonzero(np.diff(te.indptr) > 0)
    played = np.asarray(tr.sum(axis=0)).ravel() > 0
    return metrics(run_scorer(fn, tr, users, played, fresh), te, users)["ndcg@10"]


def evaluate(fit, setting: dict, fresh: int = 0, fresh_min: float = -1e9, fresh_history: float = 0.0) -> dict:
    """warm / cold_pool / cold_all metrics of one method; fit(X) -> score_fn."""
    tr, te, cold = setting["train"], setting["test"], setting["cold"]
    t = time.perf_counter()
    fn = fit(tr)
    train_s = time.perf_counter() - t
    users = np.flatnonzero(np.diff(te.indptr) > 0)
    played = np.asarray(tr.sum(axis=0)).ravel() > 0
    t = time.perf_counter()
    recs = run_scorer(fn, tr, users, played, fresh, fresh_min=fresh_min, fresh_history=fresh_history)
    user_ms = 1000 * (time.perf_counter() - t) / max(len(users), 1)
    warm = metrics(recs, te, users)
    warm["coverage"] = len(np.unique(recs)) / tr.shape[1]
    trc = drop_cols(tr, cold)
    tec = drop_cols(te, ~cold)
    cu = np.flatnonzero(np.diff(tec.indptr) > 0)
    fc = fit(trc)
    playedc = np.asarray(trc.sum(axis=0)).ravel() > 0
    rp = run_scorer(fc, trc, cu, playedc, 0, pool=cold, cold_only=True)
    ra = run_scorer(fc, trc, cu, playedc, fresh, fresh_min=fresh_min, fresh_history=fresh_history)
    pool = metrics(rp, tec, cu)
    pool["coverage"] = len(np.unique(rp)) / tr.shape[1]
    alls = metrics(ra, tec, cu)
    alls["coverage"] = len(np.unique(ra)) / tr.shape[1]
    return {"warm": warm, "cold_pool": pool, "cold_all": alls, "train_s": train_s, "user_ms": user_ms}
