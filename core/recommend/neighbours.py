"""Persisted item-item neighbours: incremental updates per play, full sparse rebuild on demand.

Co-occurrence weights are stored time-scaled (w = exp((t - EPOCH) / TAU)): a newer basket counts
more, and because similarities are ratios, old rows never need rewriting as time passes.
Incremental path (each play): the new item is paired with the other items of its session, and the
top-N neighbour rows of just those items are recomputed with the shrunk-cosine formula.
Rebuild (after imports, or `recommend --rebuild`): every session and playlist becomes a basket and
`cf.item_item` (local EASE by default, the benchmark's tuned method) recomputes all rows. Playlists
weigh PLAYLIST_WEIGHT of a session and add nothing to the stored counts: a count is how many listening
sessions held both items, the only ground for "played together".
"""

from __future__ import annotations

import math
import sqlite3
import time

import numpy as np
import scipy.sparse as sp

from core.context import StageContext
from core.db import history as hdb
from core.db import neighbours as ndb
from core.db import playlists as pdb
from core.recommend.cf import CFParams, item_item, shrunk_cosine

EPOCH = 1.6e9
TAU = 365.0 * 86400.0 / math.log(2)      # one-year half-life
TOP_N = 50               # neighbours kept per row by the incremental (shrunk-cosine) refresh
# the rebuild's CF, as chosen on the validation splits of bench/recsys_eval.py (docs/BENCHMARKS.md):
# local EASE over each item's 100 most co-occurring items, columns divided by popularity^0.1
REBUILD = CFParams(method="ease", k=100, l2=50.0, pop_beta=0.1)
SHRINK = 2.0
MAX_BASKET = 50           # longer sessions are cut into windows of this many plays
PRUNE_ABOVE = 2_000_000   # co-occurrence rows kept in full below this
# A playlist (made or imported) says its items belong together, more weakly than listening to them in
# one session does; it adds this much of a session's weight and is never counted as "played together".
PLAYLIST_WEIGHT = 0.5


def time_weight(t: float) -> float:
    """The stored weight of a basket at time t (see the module docstring)."""
    return math.exp((t - EPOCH) / TAU)


def session_items(conn: sqlite3.Connection, profile: str, t: float, gap_s: float, limit: int = 200) -> list[int]:
    """Distinct non-skipped items played earlier in the session that contains time t."""
    rows = hdb.plays_up_to(conn, profile, t, limit)
    items: list[int] = []
    last = t
    for n, (item_id, started, skipped) in enumerate(rows):
        if last - started > gap_s:
            break
        last = started
        if n == 0 and started == t:
            continue  # the event just written
        if not skipped and item_id not in items:
            items.append(item_id)
    return items


def add_play(conn: sqlite3.Connection, profile: str, item_id: int, t: float, gap_s: float) -> None:
    """Pair a just-recorded play with its session and refresh the touched neighbour rows."""
    others = session_items(conn, profile, t, gap_s)
    if item_id in others:
        return  # already counted in this session
    w = time_weight(t)
    ndb.add_basket(conn, item_id, w)
    ndb.add_cooccurrences(conn, [(item_id, o, w) for o in others] + [(o, item_id, w) for o in others])
    refresh_rows(conn, [item_id, *others])


def refresh_rows(conn: sqlite3.Connection, ids: list[int], now: float | None = None) -> None:
    """Recompute the top-N shrunk-cosine neighbours of `ids` from the stored co-occurrence."""
    scale = time_weight(now or time.time())
    for x in ids:
        own = ndb.basket_weight(conn, x)
        if own is None:
            continue
        scored = sorted(((shrunk_cosine(w / scale, own / scale, nw / scale, SHRINK), b, cnt)
                         for b, w, cnt, nw in ndb.cooccurring(conn, x)), reverse=True)[:TOP_N]
        ndb.replace_neighbours(conn, x, [(b, s, cnt) for s, b, cnt in scored if s > 0])


def baskets(conn: sqlite3.Connection, gap_s: float) -> tuple[list[list[int]], list[float], list[bool]]:
    """Every listening session of every profile, and every playlist, with its time and whether it is a
    session (real plays; playlists are only adjacency)."""
    out: list[list[int]] = []
    times: list[float] = []
    cur_profile, last = None, None
    for item_id, profile, t, skipped in hdb.all_plays(conn):
        if profile != cur_profile or last is None or t - last > gap_s:
            out.append([])
            times.append(t)
            cur_profile = profile
        last = t
        if not skipped:
            out[-1].append(item_id)
    sessions = len(out)
    for created, items in pdb.playlist_baskets(conn):
        out.append(items)
        times.append(created)
    split: list[list[int]] = []
    split_t: list[float] = []
    split_s: list[bool] = []
    for n, (b, t) in enumerate(zip(out, times, strict=True)):  # a day-long "session": cut into windows
        for start in range(0, len(b), MAX_BASKET):
            if b[start:start + MAX_BASKET]:
                split.append(b[start:start + MAX_BASKET])
                split_t.append(t)
                split_s.append(n < sessions)
    return split, split_t, split_s


def _pick(M: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """M[rows, cols] as a flat array (empty selections included)."""
    if len(rows) == 0:
        return np.zeros(0)
    return np.asarray(M[rows, cols]).ravel()


def rebuild(ctx: StageContext, params: CFParams | None = None, now: float | None = None) -> dict:
    """Recompute co-occurrence and every neighbour row from all baskets (scipy.sparse)."""
    t0 = time.perf_counter()
    params = params or REBUILD
    gap_s = float(ctx.settings.session_gap_minutes) * 60.0
    conn = ctx.store.reader()
    bs, times, is_session = baskets(conn, gap_s)
    ids = sorted({i for b in bs for i in b})
    index = {i: n for n, i in enumerate(ids)}
    rows = np.repeat(np.arange(len(bs)), [len(set(b)) for b in bs])
    cols = np.array([index[i] for b in bs for i in sorted(set(b))], dtype=np.int64)
    X = sp.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(bs), len(ids)))
    now = now or time.time()
    session = np.array(is_session, dtype=bool)
    decay = np.exp((np.array(times, dtype=np.float64) - now) / TAU) * np.where(session, 1.0, PLAYLIST_WEIGHT)
    Xd = sp.csr_matrix(sp.diags(decay.astype(np.float32)) @ X)
    scale = time_weight(now)
    C = (Xd.T @ Xd).tocoo()
    Xs = sp.csr_matrix(sp.diags(session.astype(np.float32)) @ X)  # listening sessions only
    counts = (Xs.T @ Xs).tocsr()  # "played together N times" counts sessions, never playlists
    W = item_item(Xd, params) if ids else sp.csr_matrix((0, 0))
    W = W.tocoo()
    ida = np.array(ids, dtype=np.int64)
    with ctx.store.write() as w:
        ndb.clear(w)
        off = C.row != C.col
        cnt = _pick(counts, C.row[off], C.col[off])
        if len(cnt) > PRUNE_ABOVE:  # large libraries: keep repeated pairs and neighbour pairs only
            inw = _pick(sp.csr_matrix((np.ones(W.nnz, np.float32), (W.row, W.col)), shape=W.shape),
                        C.row[off], C.col[off]) > 0
            keep = (cnt >= 2) | inw
            off[np.flatnonzero(off)[~keep]] = False
            cnt = cnt[keep]
        ndb.insert_cooccurrences(w, zip(ida[C.row[off]].tolist(), ida[C.col[off]].tolist(),
                                        (C.data[off].astype(np.float64) * scale).tolist(),
                                        cnt.astype(int).tolist(), strict=True))
        diag = C.row == C.col
        ndb.insert_baskets(w, zip(ida[C.row[diag]].tolist(), (C.data[diag].astype(np.float64) * scale).tolist(),
                                  np.asarray(X.sum(axis=0)).ravel()[C.row[diag]].astype(int).tolist(), strict=True))
        wc = _pick(counts, W.row, W.col)
        ndb.insert_neighbours(w, zip(ida[W.row].tolist(), ida[W.col].tolist(), W.data.astype(float).tolist(),
                                     wc.astype(int).tolist(), strict=True))
        ndb.set_state(w, "rebuilt_at", str(now))
    return {"baskets": len(bs), "items": len(ids), "neighbours": int(W.nnz),
            "seconds": round(time.perf_counter() - t0, 2)}
