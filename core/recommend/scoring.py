"""The hybrid scoring formula, shared by the product (`engine.py`) and `bench/recsys_eval.py`.

score(u, j) = cf * CF(u, j) + content * <profile(u), e_j> + prop * PROP(u, j) + pop * popularity(j)

- u = the user's/profile's items weighted by `cf.rank_weights` of their play counts (floor
  `play_floor`: the most played item weighs 1, the least played `play_floor`), or all 1;
- CF(u, j) = (u @ W)[j] / max over items (item-item weights from `cf.item_item`);
- profile(u) = normalised sum of the content vectors of u's items (text/audio/visual fusion), the
  vectors first `whiten`ed (centred, decorrelated) so that shared directions do not dominate;
- PROP(u, j) = sum_k q(j, k) CF(u, k) over j's nearest *played* content neighbours k: collaborative
  evidence carried to items by content, the main signal for never-played (cold) items;
- never-played items are ranked by cold_content * profile + cold_prop * PROP and given
  `fresh_slots` of the top-N, the rest going to the overall ranking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from core.recommend.cf import rank_weights


@dataclass(frozen=True)
class HybridWeights:
    """Blend weights, chosen on a validation split (see bench/recsys_eval.py)."""

    cf: float = 1.0
    content: float = 0.1
    prop: float = 0.2
    pop: float = 0.0
    cold_content: float = 1.0
    cold_prop: float = 1.0
    fresh_slots: int = 1
    fresh_min: float = -1e9  # a never-played item takes a fresh slot only when its cold score reaches
    fresh_history: float = 0.0  # ... fresh_min + fresh_history * log(1 + the profile's item count) (`fresh_bar`)
    q_k: int = 20          # content neighbours per item for PROP
    q_power: float = 2.0   # sharpen content similarities
    play_floor: float | None = 0.5  # a profile's items weigh rank_values(plays, floor); None: all 1
    whiten: float | None = 10.0  # content vectors whitened with this ridge (x mean eigenvalue); None: raw


@dataclass
class HybridModel:
    """Everything the formula needs about the catalogue (rows/cols are item indices)."""

    W: sp.csr_matrix                       # items x items CF weights
    played: np.ndarray                     # bool per item: has interactions
    pop: np.ndarray                        # popularity in [0, 1]
    E: np.ndarray | None = None            # items x d content vectors (L2-normalised or zero)
    extra: dict = field(default_factory=dict)


# Below this many vectors the text space is not even centred (see `whiten`). Centred, a small library's
# text cosines sit around 0 like the audio ones (core.recommend.content): uncentred they averaged 0.59 over
# the 115 items of bench/tag_quality.py, so the text space outvoted the sound in every "more like this".
CENTRE_MIN_ROWS = 20


def whiten(M: np.ndarray, ridge: float | None, sample: int = 20_000, min_rows: int = 1_000,
           centre_rows: int = CENTRE_MIN_ROWS) -> np.ndarray:
    """Content vectors centred and decorrelated (ZCA with a ridge of `ridge` x the mean eigenvalue of
    their covariance), rows L2-normalised. Directions that every item shares ("a song", "a film",
    the genre words everyone has) stop dominating cosine, so what makes an item distinctive counts.
    The covariance is estimated on at most `sample` evenly spaced rows. Fewer than `min_rows` vectors
    (too few to estimate the covariance) are only centred, and fewer than `centre_rows` (two centred
    items would point in opposite directions) only normalised; None: only normalised."""
    M = np.asarray(M, dtype=np.float32)
    if ridge is not None and max(centre_rows, 2) <= len(M) < max(min_rows, 2):
        M = M - M.mean(axis=0, keepdims=True)
    elif ridge is not None and len(M) >= max(min_rows, 2):
        S = M[:: max(1, len(M) // sample)].astype(np.float64)
        mu = S.mean(axis=0)
        Sc = S - mu
        ev, V = np.linalg.eigh(Sc.T @ Sc / len(Sc))
        ev = np.maximum(ev, 0.0)
        T = ((V / np.sqrt(ev + ridge * max(float(ev.mean()), 1e-12))) @ V.T).astype(np.float32)
        M = (M - mu.astype(np.float32)) @ T
    return (M / np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-9)).astype(np.float32)


def profile_rows(X: sp.csr_matrix, floor: float | None) -> sp.csr_matrix:
    """Rows of play counts (or ratings) -> the weights CF and the content profile use."""
    if floor is None:
        X = sp.csr_matrix(X, dtype=np.float32, copy=True)
        X.data[:] = 1.0
        return X
    return rank_weights(X, floor)


def popularity(X: sp.csr_matrix) -> np.ndarray:
    """log(1 + baskets containing the item), scaled to [0, 1]."""
    counts = np.bincount(sp.csr_matrix(X).indices, minlength=X.shape[1]).astype(np.float32)
    p = np.log1p(counts)
    return p / max(float(p.max()), 1e-9)


def content_neighbours(E: np.ndarray, rows: np.ndarray, pool: np.ndarray, k: int, power: float,
                       chunk: int = 2048) -> sp.csr_matrix:
    """q(j, k): for each item in `rows`, its k most similar items among `pool` (itself excluded),
    similarity^power normalised to sum 1. Shape (len(rows), n_items)."""
    n = E.shape[0]
    out_r, out_c, out_v = [], [], []
    Ep = E[pool]
    k = min(k, max(len(pool) - 1, 0))
    if k <= 0:
        return sp.csr_matrix((len(rows), n), dtype=np.float32)
    for start in range(0, len(rows), chunk):
        idx = rows[start:start + chunk]
        S = E[idx] @ Ep.T
        S[pool[None, :] == idx[:, None]] = -1.0
        top = np.argpartition(-S, k, axis=1)[:, :k]
        sims = np.maximum(np.take_along_axis(S, top, axis=1), 0.0) ** power
        sims /= np.maximum(sims.sum(axis=1, keepdims=True), 1e-9)
        out_r.append(np.repeat(np.arange(start, start + len(idx)), k))
        out_c.append(pool[top].ravel())
        out_v.append(sims.ravel().astype(np.float32))
    return sp.csr_matrix((np.concatenate(out_v), (np.concatenate(out_r), np.concatenate(out_c))),
                         shape=(len(rows), n), dtype=np.float32)


def cf_scores(model: HybridModel, U: sp.csr_matrix) -> np.ndarray:
    """CF(u, .) for a batch of user rows, each row scaled so its max is 1."""
    S = np.asarray((sp.csr_matrix(U, dtype=np.float32) @ model.W).todense(), dtype=np.float32)
    m = np.abs(S).max(axis=1, keepdims=True)
    return S / np.maximum(m, 1e-9)


def content_scores(model: HybridModel, U: sp.csr_matrix, cols: np.ndarray | None = None) -> np.ndarray:
    """<profile(u), e_j> for a batch of user rows (zeros when there are no content vectors)."""
    n = model.W.shape[0] if cols is None else len(cols)
    if model.E is None:
        return np.zeros((U.shape[0], n), dtype=np.float32)
    P = np.asarray(sp.csr_matrix(U, dtype=np.float32) @ model.E, dtype=np.float32)
    P /= np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-9)
    E = model.E if cols is None else model.E[cols]
    return P @ E.T


def hybrid_scores(model: HybridModel, U: sp.csr_matrix, w: HybridWeights,
                  Q: sp.csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(overall scores, never-played scores, components) for a batch of user rows over all items.
    `Q` is `content_neighbours` for every item (rows = all items); None skips PROP."""
    parts: dict[str, np.ndarray] = {"cf": cf_scores(model, U)}
    parts["content"] = content_scores(model, U)
    parts["prop"] = (np.asarray((Q @ parts["cf"].T).T, dtype=np.float32) if Q is not None
                     else np.zeros_like(parts["cf"]))
    total = (w.cf * parts["cf"] + w.content * parts["content"] + w.prop * parts["prop"]
             + w.pop * model.pop[None, :])
    cold = w.cold_content * parts["content"] + w.cold_prop * parts["prop"]
    return total, cold, parts


def fresh_bar(fresh_min: float, fresh_history: float, n_items) -> np.ndarray:
    """The cold score a never-played item needs for a fresh slot, per profile of `n_items` items:
    fresh_min + fresh_history * log(1 + n_items). With fresh_history > 0 a long history (whose 10th
    regular pick is more often right) needs a stronger never-played candidate than a short one."""
    return fresh_min + fresh_history * np.log1p(np.asarray(n_items, dtype=np.float64))


def top_n(total: np.ndarray, cold: np.ndarray, exclude: sp.csr_matrix, played: np.ndarray, n: int,
          fresh_slots: int, pool: np.ndarray | None = None, fresh_min: float = -1e9,
          fresh_history: float = 0.0) -> np.ndarray:
    """Top-n item indices per row: n - fresh_slots from `total`, then the best never-played items
    from `cold` whose score reaches `fresh_bar(fresh_min, fresh_history, row's items in exclude)`
    (items in `exclude` rows never appear: the profile's own items). `pool` restricts candidates to a
    bool mask."""
    total = total.copy()
    cold = np.where(played[None, :], -np.inf, cold)
    ex = sp.csr_matrix(exclude)
    rows = np.repeat(np.arange(ex.shape[0]), np.diff(ex.indptr))
    total[rows, ex.indices] = -np.inf
    cold[rows, ex.indices] = -np.inf
    if pool is not None:
        total[:, ~pool] = -np.inf
        cold[:, ~pool] = -np.inf
    out = np.empty((total.shape[0], n), dtype=np.int64)
    head = n - fresh_slots
    bar = fresh_bar(fresh_min, fresh_history, np.diff(ex.indptr))
    for r in range(total.shape[0]):
        t = total[r]
        order = np.argpartition(-t, n)[:n]
        order = order[np.argsort(-t[order])]
        if fresh_slots <= 0:
            out[r] = order
            continue
        chosen = list(order[:head])
        c = cold[r].copy()
        c[chosen] = -np.inf
        extra = np.argpartition(-c, fresh_slots)[:fresh_slots]
        extra = extra[np.argsort(-c[extra])]
        fresh = [int(e) for e in extra if np.isfinite(c[e]) and c[e] >= bar[r]]
        tail = [i for i in order[head:] if i not in fresh]
        picks = chosen + fresh + tail
        out[r] = picks[:n]
    return out
