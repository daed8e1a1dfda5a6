"""The hybrid recommender: candidates -> scores (core.recommend.scoring weights) -> diversity -> Reasons.

Modes: for-you (the profile's taste), more-like (a seed item), radio (a continuing queue from a
seed and the current session), because (you played X: the seed or your most played recent item),
fits-video (music whose text/descriptors or sound fit a video seed: its soundtrack is tagged like music).
Each Recommendation carries typed Reasons (docs/ARCHITECTURE.md, "Reason kinds").
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field

import numpy as np

from core.context import StageContext
from core.db import features as fdb
from core.db import items as q
from core.db import neighbours as ndb
from core.models import Reason, Recommendation
from core.recommend import content as ct
from core.recommend.cf import rank_values
from core.recommend.history import Taste, taste
from core.recommend.scoring import HybridWeights

MODES = ("for-you", "more-like", "radio", "because", "fits-video")
# in the range the validation splits of bench/recsys_eval.py chose (docs/BENCHMARKS.md, Recommendations):
# play-rank profile rows (floor 0.5), text vectors whitened (ridge 30), content 0.3-0.8, prop 0 once the
# vectors are whitened (PROP still ranks never-played items), pop 0-0.05, cold_content 1 / cold_prop 1.
# The product keeps one discovery slot for a never-played item.
WEIGHTS = HybridWeights(cf=1.0, content=0.5, prop=0.0, pop=0.02, cold_content=1.0, cold_prop=1.0, fresh_slots=1,
                        play_floor=0.5, whiten=30.0)
RECENT_S = 86400.0
LATELY_DAYS = 30.0
SKIP_PENALTY = 0.4
ARTIST_PENALTY = 0.12
MMR_LAMBDA = 0.85
CONTENT_CANDIDATES = 300
CF_CANDIDATES = 500
HISTORY_CAP = 300
POOL_CAP = 500
# Radio stays with its seed (issue 14): every queued item's content similarity to the seed (the mean over
# the modalities both have, `seed_similarity`) is at least RADIO_MIN_SIM and at least the similarity of the
# seed's RADIO_POOL_PER_PICK x limit-th nearest candidate, so the 30th pick is as much the seed's as the
# 3rd; an item without vectors joins only as a direct co-played neighbour of the seed. The measured
# effect (mean and minimum seed similarity at positions 1-10 vs 11-30): docs/BENCHMARKS.md.
# A small library may hold too few items that close: the RADIO_MIN_PICKS nearest still come if they are not
# unlike the seed (similarity >= 0). Since a small library's text vectors are centred (scoring.CENTRE_MIN_ROWS),
# the real soundtrack alone (41 tracks, no history) had 2.2 picks on average at 0.25; uncentred it had 17.9,
# but the mean over text and sound then passed 0.25 for tracks that sound opposite (centred audio cosine -0.28).
RADIO_MIN_SIM = 0.25
RADIO_MIN_PICKS = 10
RADIO_POOL_PER_PICK = 3
RADIO_SEED_WEIGHT = 0.3
# A music seed's mood (core.tag_language's fused arousal and valence, -2..2) carries into More like and Radio:
# a candidate may lose MOOD_WEIGHT per unit of mood gap (|arousal gap| + VALENCE_SHARE x |valence gap|), and
# Radio queues nothing further than RADIO_MAX_MOOD_GAP from its seed. The audio vector is mostly timbre: on the real
# soundtrack every orchestral track is near every other, and Radio from a calm love theme ended on the battle
# themes. Chosen on bench/tag_quality.py's development half and tried on the real soundtrack
# (docs/BENCHMARKS.md, "Hear and see").
MOOD_WEIGHT = 0.0  # dev: more-like timbre share 0.667 at 0, 0.653 at 0.15, 0.631 at 0.3; the calm/energetic share
# stays 0.99 (the audio vector already keeps the renders' pace): no soft term
VALENCE_SHARE = 0.5
RADIO_MAX_MOOD_GAP = 1.0  # dev: Radio's timbre share 0.500 -> 0.503, calm/energetic 0.999 -> 1.000, 27.2 -> 24.6
# picks of 30; the real soundtrack: mean arousal gap to the seed 0.56 -> 0.38, picks over 0.75 apart 30 % -> 12 %
# "Because you played X": X is the most recent real play with at least this many neighbours (`because_seed`).
BECAUSE_MIN_NEIGHBOURS = 3
BECAUSE_LOOKBACK = 20


@dataclass
class Cand:
    """One candidate's score parts and evidence."""

    cf: float = 0.0
    content: float = 0.0
    prop: float = 0.0
    co: tuple[int, float, int] | None = None           # (with item, contribution, count)
    sim: dict[str, tuple[int, float]] = field(default_factory=dict)   # modality -> (to item, similarity)


def profile_weights(weights: dict[int, float]) -> dict[int, float]:
    """A profile's decayed play counts -> CF/content weights by rank (`cf.rank_values`, floor
    WEIGHTS.play_floor): the most played item weighs 1, so a track on repeat cannot drown the rest."""
    ids = list(weights)
    if WEIGHTS.play_floor is None:
        return dict.fromkeys(ids, 1.0)
    vals = rank_values(np.array([weights[i] for i in ids], np.float64), WEIGHTS.play_floor)
    return dict(zip(ids, vals.tolist(), strict=True))


def _seed_history(mode: str, seed_id: int | None, t: Taste) -> dict[int, float]:
    """The weighted items a mode starts from: the taste, the seed, or the seed coloured by the taste."""
    taste_w = profile_weights(t.weights)
    if mode == "for-you" or seed_id is None:
        return taste_w
    if mode == "radio":
        total = sum(taste_w.values()) or 1.0
        hist = {i: 0.5 * w / total for i, w in taste_w.items()}   # the seed leads, taste colours it
        for n, i in enumerate(t.recent[:5]):
            hist[i] = hist.get(i, 0.0) + 0.2 / (n + 1)
        hist[seed_id] = hist.get(seed_id, 0.0) + 1.5
        return hist
    return {seed_id: 1.0}


def _cf(conn: sqlite3.Connection, hist: dict[int, float], cands: dict[int, Cand], limit: int = 150) -> None:
    """CF(j) = sum_i hist_i * W[i, j] over the stored neighbour rows; remembers the top contributor."""
    top = sorted(hist, key=lambda i: hist[i], reverse=True)[:limit]
    rows = ndb.neighbour_rows(conn, top)
    if not rows:
        return
    a = np.array(rows, dtype=np.float64)
    contrib = np.array([hist[int(i)] for i in a[:, 0]]) * a[:, 2]
    js, inv = np.unique(a[:, 1].astype(np.int64), return_inverse=True)
    total = np.zeros(len(js))
    np.add.at(total, inv, contrib)
    order = np.lexsort((-contrib, inv))                       # per candidate, largest contribution first
    first = order[np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]]
    for n, j in enumerate(js.tolist()):
        r = first[n]
        cands[j] = Cand(cf=float(total[n]), co=(int(a[r, 0]), float(contrib[r]), int(a[r, 3])))


def _content(vecs: dict[str, ct.Vectors], hist: dict[int, float], cands: dict[int, Cand],
             cf_scores: dict[int, float]) -> None:
    """Profile similarity per modality, candidates from the nearest items, and PROP for unplayed items."""
    hist_ids = sorted(hist, key=lambda i: hist[i], reverse=True)[:HISTORY_CAP]
    w = np.array([hist[i] for i in hist_ids], np.float32)
    pool_all = sorted(cf_scores, key=lambda i: cf_scores[i], reverse=True)[:POOL_CAP]
    for name, v in vecs.items():
        mask, H = v.get(hist_ids)
        if not mask.any():
            continue
        prof = (w[mask][:, None] * H).sum(axis=0)
        prof /= max(float(np.linalg.norm(prof)), 1e-9)
        sims = v.M @ prof
        top = np.argpartition(-sims, min(CONTENT_CANDIDATES, len(sims) - 1))[:CONTENT_CANDIDATES]
        for r in top:
            cands.setdefault(int(v.ids[r]), Cand())
        ids = list(cands)
        cmask, C = v.get(ids)
        if not cmask.any():
            continue
        hsel = [h for h, m in zip(hist_ids, mask, strict=True) if m]
        sel = [i for i, m in zip(ids, cmask, strict=True) if m]
        SH = C @ H.T
        hpos = {h: k for k, h in enumerate(hsel)}
        for n, j in enumerate(sel):                             # an item is never "like itself"
            if j in hpos:
                SH[n, hpos[j]] = -np.inf
        best = np.argmax(SH, axis=1)                            # the closest other history item, for reasons
        bsim = SH[np.arange(len(sel)), best]
        prof_sims = C @ prof
        pool_ids = [i for i in pool_all if i in v.row]
        prop = np.zeros(len(C), np.float32)
        if len(pool_ids) > 1:
            pool_cf = np.array([cf_scores[i] for i in pool_ids], np.float32)
            S = C @ v.get(pool_ids)[1].T                         # candidates x played pool
            k = min(WEIGHTS.q_k, len(pool_ids) - 1)
            nb = np.argpartition(-S, k, axis=1)[:, :k]
            qv = np.maximum(np.take_along_axis(S, nb, axis=1), 0) ** WEIGHTS.q_power
            prop = (qv * pool_cf[nb]).sum(axis=1) / np.maximum(qv.sum(axis=1), 1e-9)
        for n, j in enumerate(sel):
            c = cands[j]
            c.content = max(c.content, float(prof_sims[n]))
            if np.isfinite(bsim[n]):
                c.sim[name] = (hsel[int(best[n])], float(bsim[n]))
            c.prop = max(c.prop, float(prop[n]))


def recommend(ctx: StageContext, seed: int | str | None = None, mode: str = "for-you", kind: str | None = None,
              limit: int = 20, profile: str = "default") -> list[Recommendation]:
    """Ranked recommendations with typed reasons."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    conn = ctx.store.reader()
    now = time.time()
    t = taste(conn, profile, now)
    seed_row = ctx.item_row(seed) if seed is not None else None
    seed_id = seed_row["id"] if seed_row is not None else None
    if mode in ("more-like", "radio", "fits-video") and seed_id is None:
        raise ValueError(f"mode {mode} needs --seed ITEM")
    if mode == "because" and seed_id is None:
        seed_id = _because_seed(conn, t, ct.vectors(ctx, WEIGHTS.whiten))
        seed_row = ctx.item_row(seed_id) if seed_id is not None else None
    if mode == "fits-video":
        kind = "audio"  # the one mode that crosses kinds: music for a video
    elif seed_row is not None and mode in ("more-like", "radio", "because"):
        kind = seed_row["kind"]  # music with music, video with video
    hist = _seed_history(mode, seed_id, t)
    cands: dict[int, Cand] = {}
    _cf(conn, hist, cands)
    if len(cands) > CF_CANDIDATES:
        keep = sorted(cands, key=lambda j: cands[j].cf, reverse=True)[:CF_CANDIDATES]
        cands = {j: cands[j] for j in keep}
    cf_max = max((c.cf for c in cands.values()), default=0.0)
    cf_scores = {j: c.cf / cf_max for j, c in cands.items()} if cf_max > 0 else {}
    vecs = ct.vectors(ctx, WEIGHTS.whiten)
    if mode == "fits-video":  # cross-media: music and a video share the text space and the sound (the
        vecs = {k: v for k, v in vecs.items() if k in ("text", "audio")}  # soundtrack, tagged the same way)
    _content(vecs, hist, cands, cf_scores)
    if not cands:
        return _without_other_classes(conn, _fallback(conn, t, kind, limit * 2, seed_id), mode, seed_row,
                                      ctx.settings)[:limit]
    rows = q.items_by_ids(conn, list(cands))
    allowed = allowed_classes(conn, mode, seed_row, ctx.settings)  # music seeds: music (issue 13)
    classes = fdb.item_classes_for(conn, list(cands))
    bask = ndb.baskets_of(conn, list(rows))
    pmax = np.log1p(ndb.max_baskets(conn))
    near_seed = _radio_bound(conn, vecs, seed_id, [j for j in cands if j != seed_id], limit,
                             "video" if kind == "video" else "audio") if mode == "radio" and seed_id is not None else None
    # (0.16 ms an item: Radio reads only the candidates within its drift bound, ~3 x limit)
    gaps = mood_gaps(conn, seed_id, list(near_seed if near_seed is not None else cands)) if kind == "audio" and (
        mode == "radio" or (mode == "more-like" and MOOD_WEIGHT)) else {}
    scored = []
    for j, c in cands.items():
        r = rows.get(j)
        if r is None or r["status"] != "ok" or (kind and r["kind"] != kind) or j == seed_id or j in t.disliked \
                or (fdb.effective_class(classes.get(j), r["kind"]) not in allowed):
            continue
        if mode != "for-you" and j in hist and mode != "radio":
            continue
        if mode == "radio" and j in t.recent[:10]:
            continue
        if near_seed is not None and j not in near_seed:
            continue  # radio drifts no further from its seed than the bound
        if mode == "radio" and gaps.get(j, 0.0) > RADIO_MAX_MOOD_GAP:
            continue  # nor further from its mood
        cfv = cf_scores.get(j, 0.0)
        s = (WEIGHTS.cf * cfv + WEIGHTS.content * c.content + WEIGHTS.prop * c.prop
             + WEIGHTS.pop * float(np.log1p(bask.get(j, 0)) / max(pmax, 1e-9)))
        last = t.last_played.get(j)
        if last is not None and now - last < RECENT_S:
            if mode == "for-you":
                continue  # just played: "For you" brings something else
            s *= 0.5
        skips = t.skips.get(j, 0)
        if skips:
            s -= SKIP_PENALTY * skips / (skips + t.plays.get(j, 0))
        if j in t.liked:
            s += 0.1
        if near_seed:
            s += RADIO_SEED_WEIGHT * near_seed[j]
        s -= MOOD_WEIGHT * gaps.get(j, 0.0)
        played = j in t.plays or j in t.skips or bask.get(j, 0) > 0  # heard at all: no "fresh" slot
        cold = WEIGHTS.cold_content * c.content + WEIGHTS.cold_prop * c.prop
        scored.append((s, j, played, cold))
    picks = _diversify(scored, rows, vecs, limit)
    return [_with_reasons(j, s, fresh, cands[j], rows, t, conn, now, seed_id, mode) for j, s, fresh in picks]


def mood_gaps(conn: sqlite3.Connection, seed_id: int | None, ids: list[int]) -> dict[int, float]:
    """{candidate: |arousal gap| + VALENCE_SHARE x |valence gap|} to the seed's fused mood; {} when the seed has
    none (no audio features), and no entry for a candidate without one."""
    if seed_id is None:
        return {}
    moods = fdb.moods_for(conn, [seed_id, *ids])
    seed = moods.get(seed_id)
    if seed is None:
        return {}
    return {j: abs(m["arousal"] - seed["arousal"]) + VALENCE_SHARE * abs(m["valence"] - seed["valence"])
            for j, m in moods.items() if j != seed_id}


def seed_similarity(vecs: dict[str, ct.Vectors], seed_id: int, ids: list[int]) -> dict[int, float]:
    """Each item's content similarity to the seed: the mean cosine over the modalities (text, audio,
    video) in which both have a vector; items sharing none with the seed are absent."""
    sums: dict[int, list[float]] = {}
    for v in vecs.values():
        row = v.row.get(seed_id)
        if row is None:
            continue
        mask, M = v.get(ids)
        sims = M @ v.M[row]
        for j, sim in zip([i for i, m in zip(ids, mask, strict=True) if m], sims.tolist(), strict=True):
            sums.setdefault(j, []).append(float(sim))
    return {j: sum(x) / len(x) for j, x in sums.items()}


def _radio_bound(conn: sqlite3.Connection, vecs: dict[str, ct.Vectors], seed_id: int, ids: list[int],
                 limit: int, primary: str) -> dict[int, float] | None:
    """The candidates Radio may queue, with their seed similarity (see RADIO_MIN_SIM); None when the
    seed has no content vector (nothing to measure drift by: the seed's co-play neighbours and the
    taste decide, as before). When the seed has a vector of its own medium (`primary`: audio for
    music, video for a video), so must every candidate: a description alone does not make a song
    sound like the seed."""
    if not any(seed_id in v.row for v in vecs.values()):
        return None
    sims = seed_similarity(vecs, seed_id, ids)
    own = vecs.get(primary)
    if own is not None and seed_id in own.row:
        sims = {j: x for j, x in sims.items() if j in own.row}
    ranked = sorted(sims.values(), reverse=True)
    floor = max(RADIO_MIN_SIM, ranked[RADIO_POOL_PER_PICK * limit] if len(ranked) > RADIO_POOL_PER_PICK * limit
                else -1.0)
    if ranked:  # a small library: its nearest few still come, unless they are unlike the seed
        floor = min(floor, max(ranked[min(RADIO_MIN_PICKS, len(ranked)) - 1], 0.0))
    near = {j: x for j, x in sims.items() if x >= floor}
    for _, j, w, _ in ndb.neighbour_rows(conn, [seed_id]):  # co-played with the seed, no vector to compare
        if int(j) not in sims and w > 0:
            near[int(j)] = 0.0
    return near


def because_seed(ctx: StageContext, profile: str) -> tuple[int, str] | None:
    """(id, title) of the X in "Because you played X", or None: the one rule, used by the For You shelf and
    `recommend --mode because` alike (see `_because_seed`)."""
    conn = ctx.store.reader()
    seed = _because_seed(conn, taste(conn, profile), ct.vectors(ctx, WEIGHTS.whiten))
    row = q.get_item(conn, seed) if seed is not None else None
    return (int(row["id"]), str(row["title"] or row["filename"])) if row is not None else None


def _because_seed(conn: sqlite3.Connection, t: Taste, vecs: dict[str, ct.Vectors]) -> int | None:
    """The most recent real play (heard: not a skip, not a failed play) among the last BECAUSE_LOOKBACK
    distinct ones that has at least BECAUSE_MIN_NEIGHBOURS neighbours to offer (co-played items, or
    other items in a content space it has a vector in); else the most recent real play; None without one."""
    for item_id in t.recent[:BECAUSE_LOOKBACK]:
        co = len(ndb.neighbour_rows(conn, [item_id]))
        content = max((len(v.ids) - 1 for v in vecs.values() if item_id in v.row), default=0)
        if co + content >= BECAUSE_MIN_NEIGHBOURS:
            return item_id
    return t.recent[0] if t.recent else None


def _diversify(scored, rows, vecs, limit: int) -> list[tuple[int, float, bool]]:
    """Greedy MMR with an artist-spread penalty; the last `fresh_slots` go to never-played items."""
    scored.sort(reverse=True)
    pool = scored[:max(limit * 5, 50)]
    fresh_pool = sorted([x for x in scored if not x[2]], key=lambda x: -x[3])
    text = vecs.get("text")
    artists = [(rows[j]["artist"] or "").casefold() for _, j, _, _ in pool]
    base = np.array([s for s, _, _, _ in pool], np.float64)
    if text is not None:
        mask, V = text.get([j for _, j, _, _ in pool])
        P = np.zeros((len(pool), text.M.shape[1]), np.float32)
        P[mask] = V
    max_sim = np.zeros(len(pool))
    spread: dict[str, int] = {}
    taken = np.zeros(len(pool), bool)
    chosen: list[tuple[int, float, bool]] = []
    n_head = limit - (WEIGHTS.fresh_slots if fresh_pool else 0)
    while len(chosen) < min(n_head, len(pool)):
        pen = np.array([spread.get(a, 0) if a else 0 for a in artists], np.float64)
        v = MMR_LAMBDA * (base - ARTIST_PENALTY * pen) - (1 - MMR_LAMBDA) * max_sim
        v[taken] = -np.inf
        n = int(np.argmax(v))
        taken[n] = True
        spread[artists[n]] = spread.get(artists[n], 0) + 1
        if text is not None:
            max_sim = np.maximum(max_sim, P @ P[n])
        chosen.append((pool[n][1], pool[n][0], False))
    used = {j for j, _, _ in chosen}
    for group, fresh in ((fresh_pool, True), (pool, False)):
        for s, j, _, _ in group:
            if len(chosen) >= limit:
                break
            if j not in used:
                chosen.append((j, s, fresh))
                used.add(j)
    return chosen


def _fallback(conn: sqlite3.Connection, t: Taste, kind: str | None, limit: int,
              seed_id: int | None) -> list[Recommendation]:
    """No history and no content: the profile's most played items, then newest additions."""
    rows = q.newest_items(conn, kind, limit * 3)
    ordered = sorted(rows, key=lambda r: -t.plays.get(r["id"], 0))
    out = []
    for r in ordered:
        if r["id"] == seed_id or r["id"] in t.disliked:
            continue
        n = t.plays.get(r["id"], 0)
        if not n and r["id"] in t.skips:
            continue  # only skipped: neither a favourite nor "never played"
        reasons = (Reason("popular_with_you", 0.5, {"plays": n}),) if n else (Reason("fresh", 0.1, {}),)
        out.append(Recommendation(item=q.media_item(r), score=0.1 * n, reasons=reasons))
    return out[:limit]


def _with_reasons(j, score, fresh, c: Cand, rows, t: Taste, conn, now, seed_id, mode) -> Recommendation:
    from core.recommend.reasons import build_reasons

    reasons = build_reasons(j, fresh, c, rows, t, conn, now, seed_id, mode, WEIGHTS, LATELY_DAYS)
    return Recommendation(item=q.media_item(rows[j]), score=round(float(score), 4), reasons=tuple(reasons))


def allowed_classes(conn: sqlite3.Connection, mode: str, seed_row: sqlite3.Row | None,
                    settings: object) -> set[str | None]:
    """The item classes (core.db.features.ITEM_CLASSES; None = not classified yet) a mode may offer.

    A seed keeps its own class: music gives music (never speech, sound effects or videos), speech gives
    speech, a video videos. Without a seed (For you) everything but sound effects; "fits-video" gives
    music. Sound effects / short clips join music only with the setting `include_short_clips`.
    """
    short_clips = bool(getattr(settings, "include_short_clips", False))
    if mode == "fits-video":
        seed_class: str | None = fdb.MUSIC
    elif seed_row is not None:
        seed_class = fdb.effective_class(fdb.item_classes_for(conn, [seed_row["id"]]).get(seed_row["id"]),
                                         seed_row["kind"])
    else:
        seed_class = None
    if seed_class is None:
        allowed: set[str | None] = {None, fdb.MUSIC, fdb.SPEECH, fdb.VIDEO}
    else:
        allowed = {None, seed_class}
    if short_clips and seed_class in (None, fdb.MUSIC):
        allowed.add(fdb.SOUND_EFFECT)
    return allowed


def _without_other_classes(conn: sqlite3.Connection, recs: list[Recommendation], mode: str,
                           seed_row: sqlite3.Row | None, settings: object) -> list[Recommendation]:
    """`recs` less the items of a class `allowed_classes` leaves out."""
    allowed = allowed_classes(conn, mode, seed_row, settings)
    classes = fdb.item_classes_for(conn, [r.item.id for r in recs])
    return [r for r in recs if fdb.effective_class(classes.get(r.item.id), r.item.kind) in allowed]
