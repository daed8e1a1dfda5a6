"""Item-based collaborative filtering on sparse baskets (sessions, playlists, profiles, or users).

One set of functions serves the product and the offline benchmark:
- `item_item(X, params)`: a sparse items x items weight matrix W (top-k per item) from a baskets x
  items matrix X. Methods: "cosine" (shrunk cosine), "rp3b" (random walk with popularity penalty)
  and "ease" (EASE solved only on each item's top-k co-occurrence neighbours, so it stays sparse and
  linear in items). Scores for a basket/user row u are then u @ W.
- `rank_weights(X, floor)`: play counts (or ratings) -> per-row rank weights in [floor, 1], so one
  track played 900 times counts a little more than one played 3 times, not 300x more; the product's
  profile rows (`engine`) and the benchmark's user rows go through the same function.
- `debias(W, X, beta)`: divides column j by popularity(j)^beta (popular items are predicted from
  everything; this lets the niche neighbours that a basket really shares come through).
- `shrunk_cosine(...)`: the cosine formula for a single pair, used for incremental updates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits


@dataclass(frozen=True)
class CFParams:
    """How item-item weights are built."""

    method: str = "ease"      # cosine | rp3b | ease
    k: int = 100              # neighbours kept per item
    shrink: float = 10.0      # cosine: support shrinkage
    alpha: float = 1.0        # rp3b: transition exponent
    beta: float = 0.5         # rp3b: popularity penalty
    l2: float = 50.0          # ease: ridge strength
    bm25: bool = False        # weight basket rows with BM25 before counting
    pop_beta: float = 0.0     # divide column j of W by (baskets containing j)^pop_beta


def bm25_weight(X: sp.csr_matrix, k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """BM25-weight the entries of a baskets x items matrix (idf over items, length over baskets)."""
    X = sp.csr_matrix(X, dtype=np.float32, copy=True)
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1]).astype(np.float32)
    idf = np.log((n + 1.0) / (df + 1.0)) + 1.0
    lengths = np.diff(X.indptr).astype(np.float32)
    avg = lengths.mean() if n else 1.0
    norm = k1 * (1.0 - b + b * lengths / max(avg, 1e-9))
    row_norm = np.repeat(norm, np.diff(X.indptr))
    X.data = X.data * (k1 + 1.0) / (X.data + row_norm) * idf[X.indices]
    return X


def rank_values(values: np.ndarray, floor: float) -> np.ndarray:
    """floor + (1 - floor) * (share of `values` that are <= each value): equal values all get 1.0."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return v.astype(np.float32)
    le = np.searchsorted(np.sort(v), v, side="right")
    return (floor + (1.0 - floor) * le / len(v)).astype(np.float32)


def rank_weights(X: sp.csr_matrix, floor: float = 0.5) -> sp.csr_matrix:
    """`rank_values` applied to every row of a baskets x items matrix of play counts (or ratings).
    A row whose entries are all equal (a session: each item once) becomes all ones."""
    X = sp.csr_matrix(X, dtype=np.float32, copy=True)
    X.sum_duplicates()
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    order = np.lexsort((X.data, rows))                          # by row, then value
    r_s, v_s = rows[order], X.data[order]
    new_group = np.r_[True, (r_s[1:] != r_s[:-1]) | (v_s[1:] != v_s[:-1])]
    gid = np.cumsum(new_group) - 1
    group_end = np.r_[np.flatnonzero(new_group)[1:], len(order)]   # one past the last tie of each group
    start = X.indptr[r_s]
    n = np.diff(X.indptr)[r_s]
    le = group_end[gid] - start                                 # entries of the row <= this one
    out = np.empty_like(X.data)
    out[order] = floor + (1.0 - floor) * le / np.maximum(n, 1)
    X.data = out.astype(np.float32)
    return X


def debias(W: sp.csr_matrix, X: sp.csr_matrix, beta: float) -> sp.csr_matrix:
    """W with column j divided by max(1, baskets of X containing j)^beta (beta 0: W unchanged)."""
    if beta == 0.0:
        return W
    pop = np.bincount(sp.csr_matrix(X).indices, minlength=W.shape[1]).astype(np.float32)
    return sp.csr_matrix(W @ sp.diags(np.maximum(pop, 1.0) ** -beta), dtype=np.float32)


def top_k_rows(M: sp.csr_matrix, k: int, drop_diagonal: bool = True) -> sp.csr_matrix:
    """Keep the k largest positive entries of every row of a sparse matrix (diagonal dropped)."""
    M = sp.csr_matrix(M, dtype=np.float32)
    rows, cols, vals = [], [], []
    indptr, indices, data = M.indptr, M.indices, M.data
    for r in range(M.shape[0]):
        a, b = indptr[r], indptr[r + 1]
        if a == b:
            continue
        d = data[a:b]
        c = indices[a:b]
        if drop_diagonal:
            d = np.where(c == r, 0.0, d)
        sel = np.argpartition(-d, k)[:k] if b - a > k else np.arange(b - a)
        sel = sel[d[sel] > 0]
        rows.append(np.full(len(sel), r, dtype=np.int32))
        cols.append(c[sel])
        vals.append(d[sel])
    if not rows:
        return sp.csr_matrix(M.shape, dtype=np.float32)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=M.shape, dtype=np.float32)


def cooccurrence(X: sp.csr_matrix) -> sp.csr_matrix:
    """Item x item co-occurrence (X^T X) of a baskets x items matrix."""
    Xc = sp.csr_matrix(X, dtype=np.float32)
    return (Xc.T @ Xc).tocsr()


def cosine(X: sp.csr_matrix, k: int, shrink: float, G: sp.csr_matrix | None = None) -> sp.csr_matrix:
    """Shrunk cosine: c_ij / (|i| |j| + shrink), top k per item (G: a precomputed X^T X)."""
    C = (cooccurrence(X) if G is None else G).copy()
    norms = np.sqrt(np.maximum(C.diagonal(), 0.0)).astype(np.float32)
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    C.data = (C.data / (norms[rows] * norms[C.indices] + shrink + 1e-9)).astype(np.float32)
    return top_k_rows(C, k)


def rp3beta(X: sp.csr_matrix, k: int, alpha: float, beta: float) -> sp.csr_matrix:
    """RP3beta: two-step random walk item -> basket -> item, divided by popularity^beta."""
    Xb = sp.csr_matrix(X, dtype=np.float32)
    Pui = sp.csr_matrix(sp.diags(1.0 / np.maximum(np.asarray(Xb.sum(axis=1)).ravel(), 1e-9)) @ Xb)
    Xt = Xb.T.tocsr()
    Piu = sp.csr_matrix(sp.diags(1.0 / np.maximum(np.asarray(Xt.sum(axis=1)).ravel(), 1e-9)) @ Xt)
    if alpha != 1.0:
        Pui.data **= alpha
        Piu.data **= alpha
    W = (Piu @ Pui).tocsr()
    pop = np.asarray((Xb > 0).sum(axis=0)).ravel().astype(np.float32)
    W = sp.csr_matrix(W @ sp.diags(1.0 / np.maximum(pop, 1.0) ** beta))
    return top_k_rows(W, k)


def local_ease(X: sp.csr_matrix, k: int, l2: float, shrink: float = 10.0, batch: int = 256) -> sp.csr_matrix:
    """EASE restricted to neighbourhoods: for each item j, ridge-regress column j on its top-k
    co-occurring items (b = (G_NN + l2 I)^-1 G_Nj). Cost O(items * k^3), memory O(items * k).
    Gram entries are gathered per batch (binary search inside each sparse row); solves are batched."""
    Xc = sp.csr_matrix(X, dtype=np.float32)
    G = cooccurrence(Xc)
    G.sort_indices()
    n = G.shape[0]
    N = cosine(Xc, k, shrink, G)  # candidate neighbourhoods
    counts = np.diff(N.indptr)
    rows, cols, vals = [], [], []
    targets = np.flatnonzero(counts > 0)
    # scipy binary-searches sorted rows only when a call asks for > nnz/10 samples (else it scans rows)
    batch = max(batch, G.nnz // (10 * k * (k + 1)) + 1)
    for s in range(0, len(targets), batch):
        js = targets[s:s + batch]
        m = int(counts[js].max())
        nb = np.full((len(js), m), -1, dtype=np.int64)
        for r, j in enumerate(js):
            a, b = N.indptr[j], N.indptr[j + 1]
            nb[r, :b - a] = N.indices[a:b]
        valid = nb >= 0
        safe = np.where(valid, nb, 0)
        ext = np.concatenate([safe, js[:, None]], axis=1)           # neighbours + the target column
        rr_ = np.broadcast_to(ext[:, :m, None], (len(js), m, m + 1)).ravel()
        cc_ = np.broadcast_to(ext[:, None, :], (len(js), m, m + 1)).ravel()
        sub = np.asarray(G[rr_, cc_], dtype=np.float64).reshape(len(js), m, m + 1)
        mask2 = valid[:, :, None] & np.concatenate([valid, np.ones((len(js), 1), bool)], axis=1)[:, None, :]
        sub = np.where(mask2, sub, 0.0)
        A = sub[:, :, :m]
        A += np.eye(m)[None] * np.where(valid, l2, 1.0)[:, :, None]
        with threadpool_limits(limits=1):  # many small solves: threads only fight
            bvec = np.linalg.solve(A, sub[:, :, m:])[:, :, 0]
        keep = valid & (bvec != 0)
        rr, cc = np.nonzero(keep)
        rows.append(nb[rr, cc])
        cols.append(js[rr])
        vals.append(bvec[rr, cc].astype(np.float32))
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.float32)
    # W[i, j]: how much having item i predicts item j; score = u @ W
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n, n), dtype=np.float32)


def item_item(X: sp.csr_matrix, params: CFParams) -> sp.csr_matrix:
    """The items x items weight matrix for `params.method` (scores = basket_row @ W)."""
    Xw = bm25_weight(X) if params.bm25 else sp.csr_matrix(X, dtype=np.float32)
    if params.method == "cosine":
        W = cosine(Xw, params.k, params.shrink)
    elif params.method == "rp3b":
        W = rp3beta(Xw, params.k, params.alpha, params.beta)
    elif params.method == "ease":
        W = local_ease(Xw, params.k, params.l2, params.shrink)
    else:
        raise ValueError(f"unknown CF method {params.method!r}")
    return debias(W, X, params.pop_beta)


def shrunk_cosine(count: float, n_a: float, n_b: float, shrink: float) -> float:
    """The cosine formula for one pair, used when neighbours are updated incrementally."""
    return float(count / (np.sqrt(max(n_a, 1e-9) * max(n_b, 1e-9)) + shrink))
