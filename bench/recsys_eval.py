"""Offline evaluation of the recommender on real data (protocol: ../shared/datasets/README.md).

Runs the product's own scoring code (core.recommend.cf + core.recommend.scoring) against
popularity, plain item-KNN cosine and implicit ALS, all tuned on a validation split carved from
training. Prints one JSON object. Examples:
  nice .venv/bin/python bench/recsys_eval.py --dataset hetrec-lastfm --json
  nice .venv/bin/python bench/recsys_eval.py --interactions x.csv --items items.csv --json
Item-text vectors (MiniLM) are cached in /tmp/encore_recsys_cache (never in the repo).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit ALS asks for this; set before numpy loads
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from recsys_baselines import (  # noqa: E402
    GRIDS,
    K,
    evaluate,
    fit_baseline,
    metrics,
    noise,
    per_user,
    random_recall,
    run_scorer,
    warm_ndcg,
)
from recsys_data import DATA, Content, cold_split, drop_cols, holdout, load  # noqa: E402

from core.recommend.cf import CFParams, debias, item_item  # noqa: E402
from core.recommend.scoring import (  # noqa: E402
    HybridModel,
    HybridWeights,
    content_neighbours,
    hybrid_scores,
    popularity,
    profile_rows,
    top_n,
    whiten,
)

# local EASE over each item's top-100 co-occurring items; rows weighted by play rank (floor 0.5) or binary
CF_GRID = [(floor, CFParams("ease", k=100, l2=l2)) for floor in (None, 0.5) for l2 in (50.0, 150.0)]
BETAS = (0.0, 0.1, 0.2)
BLEND = [dict(content=c, prop=q, pop=p) for c in (0.1, 0.3, 0.5, 0.8) for q in (0.0, 0.3, 0.6) for p in (0.0, 0.05)]
WHITEN = (None, 3.0, 10.0, 30.0, 100.0)
FRESH_QUANTILES = tuple(round(0.98 - 0.02 * i, 2) for i in range(50))  # 0.98, 0.96, ..., 0.0
FRESH_HISTORY = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
COLD = [dict(cold_content=a, cold_prop=b, q_k=qk) for qk in (10, 30)
        for a, b in ((1, 0), (0, 1), (1, 1), (1, 3), (1, 10))]


_W_CACHE: dict = {}


class Hybrid:
    """The product formula fitted on one training matrix (entries = play counts / ratings)."""

    def __init__(self, X: sp.csr_matrix, E: np.ndarray | None, cf: CFParams, w: HybridWeights) -> None:
        t = time.perf_counter()
        self.Xw = profile_rows(X, w.play_floor)
        # the same training matrix is solved once per (rows, ridge) setting; pop_beta only rescales columns
        key = (replace(cf, pop_beta=0.0), w.play_floor, X.shape, X.nnz, int(X.indices.sum()),
               int(X.indptr[::97].sum()))
        if key not in _W_CACHE:
            if len(_W_CACHE) >= 6:
                _W_CACHE.pop(next(iter(_W_CACHE)))
            _W_CACHE[key] = item_item(self.Xw, replace(cf, pop_beta=0.0))
        W = debias(_W_CACHE[key], X, cf.pop_beta)  # == item_item(self.Xw, cf)
        self.model = HybridModel(W=W, played=np.asarray(X.sum(axis=0)).ravel() > 0, pop=popularity(X),
                                 E=None if E is None else whiten(E, w.whiten))
        self.X, self.w, self.Q = X, w, None
        self.set_q(w.q_k, w.q_power)
        self.train_s = time.perf_counter() - t

    def set_q(self, k: int, power: float) -> None:
        """The content-neighbour table for PROP (k neighbours, similarity^power)."""
        if self.model.E is not None and (self.Q is None or self.Q[1] != (k, power)):
            n = self.X.shape[1]
            self.Q = (content_neighbours(self.model.E, np.arange(n), np.flatnonzero(self.model.played), k,
                                         power), (k, power))

    def score(self, u: np.ndarray, w: HybridWeights | None = None):
        """(overall, never-played) scores of users `u` over all items."""
        total, cold, _ = hybrid_scores(self.model, self.Xw[u], w or self.w, self.Q[0] if self.Q else None)
        return total + noise(total.shape), cold + noise(cold.shape)


def blend_search(h: Hybrid, tr, te, combos: list[dict]) -> list[float]:
    """Validation NDCG@10 of many blend weights from one pass (components computed once)."""
    users = np.flatnonzero(np.diff(te.indptr) > 0)
    got = [[] for _ in combos]
    for s in range(0, len(users), 256):
        u = users[s:s + 256]
        _, _, parts = hybrid_scores(h.model, h.Xw[u], h.w, h.Q[0] if h.Q else None)
        for n, c in enumerate(combos):
            total = (parts["cf"] + c["content"] * parts["content"] + c["prop"] * parts["prop"]
                     + c["pop"] * h.model.pop[None, :]) + noise(parts["cf"].shape)
            got[n].append(top_n(total, total, tr[u], h.model.played, K, 0))
    return [metrics(np.vstack(g), te, users)["ndcg@10"] for g in got]


def tune_hybrid(val: dict, E_val: np.ndarray, log) -> tuple[CFParams, HybridWeights, float | None]:
    tr, te, cold = val["train"], val["test"], val["cold"]
    best_cf, best_floor, best = None, None, -1.0
    for floor, cf0 in CF_GRID:
        for beta in BETAS:
            cf = replace(cf0, pop_beta=beta)
            h = Hybrid(tr, None, cf, HybridWeights(content=0, prop=0, fresh_slots=0, play_floor=floor))
            v = warm_ndcg(h.score, tr, te)
            log(f"  cf {cf.method} rows={floor} k={cf.k} l2={cf.l2} pop_beta={beta}: val ndcg {v:.4f} "
                f"({h.train_s:.1f}s)")
            if v > best:
                best_cf, best_floor, best = cf, floor, v
    # content whitening and the never-played ranking: chosen on the validation cold items
    trc, tec = drop_cols(tr, cold), drop_cols(te, ~cold)
    cu = np.flatnonzero(np.diff(tec.indptr) > 0)
    best_c, best_r = None, -1.0
    for wh in WHITEN:
        hc = Hybrid(trc, E_val, best_cf, HybridWeights(fresh_slots=0, play_floor=best_floor, whiten=wh))
        for c in COLD:
            hc.set_q(c["q_k"], hc.w.q_power)
            wc = HybridWeights(**{**hc.w.__dict__, **c})
            r = metrics(run_scorer(lambda u, wc=wc, hc=hc: hc.score(u, wc), trc, cu, hc.model.played, 0, pool=cold,
                                   cold_only=True), tec, cu)["recall@10"]
            if r > best_r:
                best_c, best_r = {**c, "whiten": wh}, r
        log(f"  whiten {wh}: best val cold-pool recall so far {best_r:.4f} with {best_c}")
    w = HybridWeights(**{**HybridWeights(fresh_slots=0, play_floor=best_floor).__dict__, **best_c})
    h = Hybrid(tr, E_val, best_cf, w)
    scores = blend_search(h, tr, te, BLEND)
    b = BLEND[int(np.argmax(scores))]
    log(f"  blend {b}: val ndcg {max(scores):.4f} (cf only {best:.4f})")
    w = HybridWeights(**{**w.__dict__, **b})
    hc = Hybrid(trc, E_val, best_cf, w)
    # fresh slot: give a never-played item the 10th slot only when its cold score minus
    # lam * log(1 + the user's item count) clears the q-quantile of that quantity over the users
    # (scoring.fresh_bar). Per lam, q is the lowest (most users) of the run from the top that costs at most
    # 1 % of validation warm NDCG; lam is the one with the most validation cold-all recall at its q. On test
    # the threshold is the same quantile of the test fit's values, over the test users.
    hc.set_q(w.q_k, w.q_power)
    h.set_q(w.q_k, w.q_power)
    users = np.flatnonzero(np.diff(te.indptr) > 0)
    cand, n_tr, nd_no, nd_yes = slot_effect(h, tr, te, users, w, "ndcg")
    cand_c, n_c, ca_no, ca_yes = slot_effect(hc, trc, tec, cu, w, "recall")
    base = float(nd_no.mean())
    chosen, best_ca = (None, 0.0), -1.0
    for lam in FRESH_HISTORY:
        g, gc = cand - lam * np.log1p(n_tr), cand_c - lam * np.log1p(n_c)
        q_ok, ca_ok = None, float(ca_no.mean())
        for q in FRESH_QUANTILES:
            thr = fresh_threshold(g, q)
            nd = float(np.where(g >= thr, nd_yes, nd_no).mean())
            if nd < 0.99 * base:
                break
            q_ok, ca_ok = q, float(np.where(gc >= thr, ca_yes, ca_no).mean())
        log(f"  fresh slot, history weight {lam}: lowest quantile costing <= 1 % val warm ndcg {q_ok} "
            f"(no slot {base:.4f}), val cold-all recall {ca_ok:.4f}")
        if q_ok is not None and ca_ok > best_ca:
            chosen, best_ca = (q_ok, lam), ca_ok
    q, lam = chosen
    return best_cf, HybridWeights(**{**w.__dict__, "fresh_slots": int(q is not None), "fresh_history": lam}), q


def slot_effect(h: Hybrid, X: sp.csr_matrix, truth: sp.csr_matrix, users: np.ndarray, w: HybridWeights,
                metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per user: the cold score of the never-played item the fresh slot would take (-inf: none), the
    user's training item count, and `metric` ("ndcg" / "recall") without and with that slot."""
    cand, no, yes = [], [], []
    for s in range(0, len(users), 256):
        u = users[s:s + 256]
        total, cold = h.score(u, w)
        no.append(top_n(total, cold, X[u], h.model.played, K, 0))
        yes.append(top_n(total, cold, X[u], h.model.played, K, 1))
        last = yes[-1][:, K - 1]
        cand.append(np.where(h.model.played[last], -np.inf, cold[np.arange(len(u)), last]))
    i = 1 if metric == "ndcg" else 0
    return (np.concatenate(cand), np.diff(X.indptr)[users], per_user(np.vstack(no), truth, users)[i],
            per_user(np.vstack(yes), truth, users)[i])


def fresh_threshold(values: np.ndarray, q: float) -> float:
    """The q-quantile of the users' finite gate values: the top (1 - q) of users get the fresh slot.
    The quantile (not the raw score, whose scale shifts between fits) is what validation chooses."""
    v = values[np.isfinite(values)]
    return float(np.quantile(v, q)) if len(v) else 1e9


def summarise(runs: list[dict]) -> dict:
    """Mean over seeds, with [min, max] spread and per-seed values."""
    out: dict = {}
    for key in runs[0]:
        if isinstance(runs[0][key], dict):
            out[key] = summarise([r[key] for r in runs])
        elif isinstance(runs[0][key], (int, float)):
            vals = [float(r[key]) for r in runs]
            out[key] = round(float(np.mean(vals)), 5)
            if len(vals) > 1 and key in ("recall@10", "ndcg@10"):
                out[key + "_spread"] = [round(min(vals), 5), round(max(vals), 5)]
        else:
            out[key] = runs[0][key]
    return out


def one_seed(data: dict, content: Content, seed: int, log) -> dict:
    R = data["R"]
    tr, te = holdout(R, seed)
    cold = cold_split(R, seed + 1)
    vtr, vte = holdout(tr, 100 + seed)
    val = {"train": vtr, "test": vte, "cold": cold_split(tr, 200 + seed)}
    test = {"train": tr, "test": te, "cold": cold}
    res: dict = {"methods": {}, "params": {}}
    for name, grid in GRIDS.items():
        scores = [warm_ndcg(fit_baseline(name, vtr, p), vtr, vte) for p in grid]
        p = grid[int(np.argmax(scores))]
        log(f"{name}: val ndcg {max(scores):.4f} with {p}")
        res["params"][name] = p
        res["methods"][name] = evaluate(lambda X, n=name, p=p: fit_baseline(n, X, p), test)
    # reference only (not a target baseline): ALS given the same play-rank rows as the hybrid
    scores = [warm_ndcg(fit_baseline("als", vtr, p, play_floor=0.5), vtr, vte) for p in GRIDS["als"]]
    p = GRIDS["als"][int(np.argmax(scores))]
    res["params"]["als_play_rank"] = p
    res["reference"] = {"als_play_rank": evaluate(lambda X, p=p: fit_baseline("als", X, p, play_floor=0.5), test)}
    cf, w, q = tune_hybrid(val, content.vectors([te, vte]), log)
    E = content.vectors([te])
    _W_CACHE.clear()  # the test fit below pays for its own CF solve (its time is "train_s")
    h = Hybrid(tr, E, cf, w)
    if q is not None:  # the validated quantile of this (test) fit's gate values, over the test users
        tu = np.flatnonzero(np.diff(te.indptr) > 0)
        cand, n_tr, _, _ = slot_effect(h, tr, te, tu, w, "ndcg")
        w = replace(w, fresh_min=fresh_threshold(cand - w.fresh_history * np.log1p(n_tr), q))
    res["params"]["hybrid"] = {"cf": cf.__dict__, "weights": w.__dict__, "fresh_quantile": q}

    def fit(X):
        h = Hybrid(X, E, cf, w)
        return h.score

    res["methods"]["hybrid"] = evaluate(fit, test, fresh=w.fresh_slots, fresh_min=w.fresh_min,
                                           fresh_history=w.fresh_history)
    res["methods"]["hybrid"]["train_s"] = h.train_s  # the fit that solved W (evaluate's reused the cache)
    # random ranking: expected recall@10
    users = np.flatnonzero(np.diff(te.indptr) > 0)
    n_items = R.shape[1]
    tec = drop_cols(te, ~cold)
    cu = np.flatnonzero(np.diff(tec.indptr) > 0)
    trc = drop_cols(tr, cold)
    res["random"] = {
        "warm": {"recall@10": random_recall(te, users, n_items - np.diff(tr.indptr)[users])},
        "cold_pool": {"recall@10": random_recall(tec, cu, np.full(len(cu), cold.sum()))},
        "cold_all": {"recall@10": random_recall(tec, cu, n_items - np.diff(trc.indptr)[cu])},
    }
    best = max(res["methods"][b]["warm"]["ndcg@10"] for b in GRIDS)
    hy = res["methods"]["hybrid"]
    res["targets"] = {
        "warm_ndcg_vs_best_baseline": round(hy["warm"]["ndcg@10"] / best, 3),
        "cold_pool_recall_vs_random": round(hy["cold_pool"]["recall@10"] / res["random"]["cold_pool"]["recall@10"], 2),
        "cold_all_recall_vs_random": round(hy["cold_all"]["recall@10"] / res["random"]["cold_all"]["recall@10"], 2),
    }
    for name, m in {**res["methods"], **res["reference"]}.items():
        log(f"seed {seed} {name}: warm ndcg {m['warm']['ndcg@10']:.4f} cold-pool R {m['cold_pool']['recall@10']:.4f}"
            f" cold-all R {m['cold_all']['recall@10']:.4f}")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", choices=["hetrec-lastfm", "movielens"])
    ap.add_argument("--interactions")
    ap.add_argument("--items")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.dataset and not (args.interactions and args.items):
        ap.error("give --dataset or --interactions and --items")
    if args.dataset and not DATA.exists():
        print(json.dumps({"skipped": f"{DATA} not found"}))
        return 0

    def log(m):
        print(m, file=sys.stderr, flush=True)

    data = load(args)
    t = time.perf_counter()
    content = Content(data)
    log(f"content vectors ready in {time.perf_counter() - t:.0f}s; {data['R'].shape} users x items")
    runs = []
    for s in range(args.seeds):
        runs.append(one_seed(data, content, s, log))
        log("PARTIAL " + json.dumps(runs[-1], default=float))
    out = {"dataset": args.dataset or Path(args.interactions).name,
           "protocol": "users as baskets; 20% holdout; cold 10% items; seeds " + ",".join(
               f"{s}/{s + 1}" for s in range(args.seeds)),
           "methods": summarise([r["methods"] for r in runs]),
           "random": summarise([r["random"] for r in runs]),
           "reference": summarise([r["reference"] for r in runs]),
           "targets_per_seed": [r["targets"] for r in runs],
           "params": [r["params"] for r in runs]}
    best = max(out["methods"][b]["warm"]["ndcg@10"] for b in GRIDS)
    rnd = out["random"]
    hy = out["methods"]["hybrid"]
    out["targets"] = {
        "warm_ndcg_vs_best_baseline": round(hy["warm"]["ndcg@10"] / best, 3),
        "cold_pool_recall_vs_random": round(hy["cold_pool"]["recall@10"] / rnd["cold_pool"]["recall@10"], 2),
        "cold_all_recall_vs_random": round(hy["cold_all"]["recall@10"] / rnd["cold_all"]["recall@10"], 2),
    }
    print(json.dumps(out, indent=None if args.json else 2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
