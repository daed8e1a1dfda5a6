"""The hybrid recommender: candidates -> scores (core.recommend.scoring weights) -> diversity -> Reasons.

Modes: for-you (the profile's taste), more-like (a seed item), radio (a continuing queue from a
seed and the current session), because (you played X: the seed or your most played recent item),
fits-video (music whose text/descriptors fit a video seed). Each Recommendation carries typed
Reasons (docs/ARCHITECTURE.md, "Reason kinds").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from core.db import items as q
from core.models import Reason, Recommendation
from core.recommend import content as ct
from core.recommend.history import Taste, taste
from core.recommend.scoring import HybridWeights

MODES = ("for-you", "more-like", "radio", "because", "fits-video")
# chosen on the validation splits of bench/recsys_eval.py (docs/BENCHMARKS.md, Recommendations)
WEIGHTS = HybridWeights(cf=1.0, content=0.15, prop=0.3, pop=0.05, cold_content=1.0, cold_prop=1.0, fresh_slots=1)
RECENT_S = 86400.0
LATELY_DAYS = 30.0
SKIP_PENALTY = 0.4
ARTIST_PENALTY = 0.12
MMR_LAMBDA = 0.85
CONTENT_CANDIDATES = 300


@dataclass
class Cand:
    """One candidate's score parts and evidence."""

    cf: float = 0.0
    content: float = 0.0
    prop: float = 0.0
    co: tuple[int, float, int] | None = None           # (with item, contribution, count)
    sim: dict[str, tuple[int, float]] = field(default_factory=dict)   # modality -> (to item, similarity)


def _seed_history(lib, mode: str, seed_id: int | None, t: Taste) -> dict[int, float]:
    if mode == "for-you" or seed_id is None:
        return dict(t.weights)
    if mode == "radio":
        hist = {i: 0.3 * w for i, w in t.weights.items()}
        for n, i in enumerate(t.recent[:5]):
            hist[i] = hist.get(i, 0.0) + 0.5 / (n + 1)
        hist[seed_id] = hist.get(seed_id, 0.0) + 1.5
        return hist
    return {seed_id: 1.0}


def _cf(conn, hist: dict[int, float], cands: dict[int, Cand], limit: int = 300) -> None:
    top = sorted(hist, key=hist.get, reverse=True)[:limit]
    for start in range(0, len(top), 500):
        chunk = top[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for i, j, s, cnt in conn.execute("SELECT item_id, neighbour_id, score, count FROM item_neighbours "
                                         f"WHERE item_id IN ({marks})", chunk):
            contrib = hist[i] * s
            c = cands.setdefault(j, Cand())
            c.cf += contrib
            if c.co is None or contrib > c.co[1]:
                c.co = (i, contrib, cnt)


def _content(vecs: dict[str, ct.Vectors], hist: dict[int, float], cands: dict[int, Cand],
             cf_scores: dict[int, float], allowed: set[int] | None) -> None:
    """Profile similarity per modality, candidates from the nearest items, and PROP for unplayed items."""
    hist_ids = list(hist)
    w = np.array([hist[i] for i in hist_ids], np.float32)
    for name, v in vecs.items():
        mask, H = v.get(hist_ids)
        if not mask.any():
            continue
        prof = (w[mask][:, None] * H).sum(axis=0)
        prof /= max(float(np.linalg.norm(prof)), 1e-9)
        sims = v.M @ prof
        if allowed is not None:
            sims = np.where(np.isin(v.ids, list(allowed)), sims, -np.inf)
        top = np.argpartition(-sims, min(CONTENT_CANDIDATES, len(sims) - 1))[:CONTENT_CANDIDATES]
        for r in top:
            if np.isfinite(sims[r]):
                cands.setdefault(int(v.ids[r]), Cand())
        ids = list(cands)
        cmask, C = v.get(ids)
        if not cmask.any():
            continue
        S = C @ H.T                                     # candidates x history items (with vectors)
        hsel = [h for h, m in zip(hist_ids, mask, strict=True) if m]
        pool = [(cf_scores.get(i, 0.0), i) for i in cf_scores]
        pool_ids = [i for _, i in sorted(pool, reverse=True)[:2000] if i in v.row]
        P = v.get(pool_ids)[1] if pool_ids else None
        pool_cf = np.array([cf_scores[i] for i in pool_ids], np.float32)
        sel = [i for i, m in zip(ids, cmask, strict=True) if m]
        prof_sims = C @ prof
        for n, j in enumerate(sel):
            c = cands[j]
            c.content = max(c.content, float(prof_sims[n]))
            best = int(np.argmax(S[n]))
            c.sim[name] = (hsel[best], float(S[n, best]))
            if P is not None and len(pool_ids) > 1:
                sp_ = P @ C[n]
                k = min(20, len(pool_ids))
                nb = np.argpartition(-sp_, k - 1)[:k]
                qv = np.maximum(sp_[nb], 0) ** WEIGHTS.q_power
                c.prop = max(c.prop, float((qv * pool_cf[nb]).sum() / max(qv.sum(), 1e-9)))


def recommend(library, seed: int | str | None = None, mode: str = "for-you", kind: str | None = None,
              limit: int = 20, profile: str = "default") -> list[Recommendation]:
    """Ranked recommendations with typed reasons."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    conn = library.store.reader()
    now = time.time()
    t = taste(conn, profile, now)
    seed_row = library.item_row(seed) if seed is not None else None
    seed_id = seed_row["id"] if seed_row is not None else None
    if mode in ("more-like", "radio", "fits-video") and seed_id is None:
        raise ValueError(f"mode {mode} needs --seed ITEM")
    if mode == "because" and seed_id is None and t.recent:
        seed_id = max(t.recent[:20], key=lambda i: t.plays.get(i, 0))
    if mode == "fits-video":
        kind = "audio"
    hist = _seed_history(library, mode, seed_id, t)
    cands: dict[int, Cand] = {}
    _cf(conn, hist, cands)
    cf_max = max((c.cf for c in cands.values()), default=0.0)
    cf_scores = {j: c.cf / cf_max for j, c in cands.items()} if cf_max > 0 else {}
    vecs = ct.vectors(library)
    if mode == "fits-video":  # cross-media: only the text space is shared between music and video
        vecs = {k: v for k, v in vecs.items() if k == "text"}
    _content(vecs, hist, cands, cf_scores, None)
    if not cands:
        return _fallback(library, conn, t, kind, limit, seed_id)
    rows = q.items_by_ids(conn, list(cands))
    bask = dict(conn.execute("SELECT item_id, baskets FROM item_cf_stats").fetchall()) if len(rows) else {}
    pmax = np.log1p(max(bask.values(), default=1))
    scored = []
    for j, c in cands.items():
        r = rows.get(j)
        if r is None or r["status"] != "ok" or (kind and r["kind"] != kind) or j == seed_id or j in t.disliked:
            continue
        if mode != "for-you" and j in hist and mode != "radio":
            continue
        if mode == "radio" and j in t.recent[:10]:
            continue
        cfv = cf_scores.get(j, 0.0)
        s = (WEIGHTS.cf * cfv + WEIGHTS.content * c.content + WEIGHTS.prop * c.prop
             + WEIGHTS.pop * float(np.log1p(bask.get(j, 0)) / max(pmax, 1e-9)))
        last = t.last_played.get(j)
        if last is not None and now - last < RECENT_S:
            s *= 0.5
        skips = t.skips.get(j, 0)
        if skips:
            s -= SKIP_PENALTY * skips / (skips + t.plays.get(j, 0))
        if j in t.liked:
            s += 0.1
        played = j in t.plays or bask.get(j, 0) > 0
        cold = WEIGHTS.cold_content * c.content + WEIGHTS.cold_prop * c.prop
        scored.append((s, j, played, cold))
    picks = _diversify(scored, rows, vecs, limit)
    return [_with_reasons(j, s, fresh, cands[j], rows, t, conn, now, seed_id, mode) for j, s, fresh in picks]


def _diversify(scored, rows, vecs, limit: int) -> list[tuple[int, float, bool]]:
    """Greedy MMR with an artist-spread penalty; the last `fresh_slots` go to never-played items."""
    scored.sort(reverse=True)
    pool = scored[:max(limit * 5, 50)]
    fresh_pool = sorted([x for x in scored if not x[2]], key=lambda x: -x[3])
    text = vecs.get("text")
    chosen: list[tuple[int, float, bool]] = []
    artists: dict[str, int] = {}
    n_head = limit - (WEIGHTS.fresh_slots if fresh_pool else 0)
    while pool and len(chosen) < n_head:
        best, best_v = None, -np.inf
        for n, (s, j, _, _) in enumerate(pool):
            a = (rows[j]["artist"] or "").casefold()
            v = s - ARTIST_PENALTY * artists.get(a, 0) if a else s
            if text is not None and chosen and j in text.row:
                got = [text.M[text.row[c]] for c, _, _ in chosen if c in text.row]
                if got:
                    v = MMR_LAMBDA * v - (1 - MMR_LAMBDA) * float(max(np.stack(got) @ text.M[text.row[j]]))
            if v > best_v:
                best, best_v = n, v
        s, j, _, _ = pool.pop(best)
        a = (rows[j]["artist"] or "").casefold()
        artists[a] = artists.get(a, 0) + 1
        chosen.append((j, s, False))
    taken = {j for j, _, _ in chosen}
    for s, j, _, _ in fresh_pool:
        if len(chosen) >= limit:
            break
        if j not in taken:
            chosen.append((j, s, True))
            taken.add(j)
    for s, j, _, _ in pool:
        if len(chosen) >= limit:
            break
        if j not in taken:
            chosen.append((j, s, False))
    return chosen


def _fallback(library, conn, t: Taste, kind, limit, seed_id) -> list[Recommendation]:
    """No history and no content: the profile's most played items, then newest additions."""
    sql = "SELECT * FROM items WHERE status = 'ok'" + (" AND kind = ?" if kind else "") + " ORDER BY added_at DESC LIMIT ?"
    rows = conn.execute(sql, ((kind,) if kind else ()) + (limit * 3,)).fetchall()
    ordered = sorted(rows, key=lambda r: -t.plays.get(r["id"], 0))
    out = []
    for r in ordered:
        if r["id"] == seed_id or r["id"] in t.disliked:
            continue
        n = t.plays.get(r["id"], 0)
        reasons = (Reason("popular_with_you", 0.5, {"plays": n}),) if n else (Reason("fresh", 0.1, {}),)
        out.append(Recommendation(item=q.media_item(r), score=0.1 * n, reasons=reasons))
    return out[:limit]


def _with_reasons(j, score, fresh, c: Cand, rows, t: Taste, conn, now, seed_id, mode) -> Recommendation:
    from core.recommend.reasons import build_reasons

    reasons = build_reasons(j, fresh, c, rows, t, conn, now, seed_id, mode, WEIGHTS, LATELY_DAYS)
    return Recommendation(item=q.media_item(rows[j]), score=round(float(score), 4), reasons=tuple(reasons))
