"""Where an explanation's reasons come from: given by the caller, or built from the item's facts.

The explain stage never asks the recommender. `Library.explain` passes either the caller's Reasons
(`reasons`: used as they are) or the recommender's Reasons for the item (`recommended`, contract in
docs/ARCHITECTURE.md), which are completed here with what the library can prove about the pair. With
neither, reasons are built from what the library knows for sure: shared artist/genre/descriptors with
the seed and the play history. Whatever their source, every reason is checked against the stored facts
now (`core.explain.truth`) before a sentence is built on it.
"""

from __future__ import annotations

import sqlite3
import time

from core.context import StageContext
from core.db import features as fdb
from core.db import history as hdb
from core.explain.evidence import Evidence, build_evidence, genre_words, item_facts, short_word
from core.explain.truth import true_reasons
from core.models import Reason
from core.text import normalize_key

SEED_KINDS = ("same_artist", "similar_text", "because_you_played")


def descriptors_of(ctx: StageContext, item_id: int) -> list[str]:
    """The analysers' plain-language phrases for an item (empty before analysis)."""
    return fdb.phrases_of(ctx.store.reader(), item_id)


def _plays(ctx: StageContext, item_id: int) -> tuple[int, float | None]:
    """(plays that were not skips, when it was last played so) for the configured profile."""
    conn, profile = ctx.store.reader(), ctx.settings.profile
    return (hdb.play_counts(conn, profile, [item_id]).get(item_id, 0),
            hdb.last_played(conn, profile, [item_id]).get(item_id))


def _liked(ctx: StageContext, item_id: int) -> bool:
    return (hdb.rating_of(ctx.store.reader(), item_id, ctx.settings.profile) or 0) > 0


def from_facts(ctx: StageContext, row: sqlite3.Row, seed_row: sqlite3.Row | None) -> list[Reason]:
    """Reasons the library can prove on its own (used until/unless the recommender lists the item)."""
    item_id = row["id"]
    reasons: list[Reason] = []
    if seed_row is not None:
        seed_plays, _ = _plays(ctx, seed_row["id"])
        if seed_plays:
            reasons.append(Reason("because_you_played", 0.5,
                                  {"item": seed_row["id"], "title": seed_row["title"], "plays": seed_plays}))
        if row["artist"] and normalize_key(row["artist"]) == normalize_key(seed_row["artist"] or ""):
            reasons.append(Reason("same_artist", 0.4, {"artist": row["artist"]}))
        shared = _shared_words(ctx, row, seed_row)
        if shared:
            reasons.append(Reason("similar_text", 0.3, {"to": seed_row["id"], "to_title": seed_row["title"],
                                                        "shared": shared}))
    plays, last = _plays(ctx, item_id)
    if _liked(ctx, item_id):
        reasons.append(Reason("liked", 0.35, {"item": item_id, "title": row["title"]}))
    if plays:
        reasons.append(Reason("popular_with_you", 0.2, {"plays": plays}))
        days = int((time.time() - last) // 86400) if last else 0
        if days >= 14:
            reasons.append(Reason("not_played_lately", 0.15, {"days": days}))
    elif (seed_row is None or not reasons) and not hdb.play_counts(
            ctx.store.reader(), ctx.settings.profile, [item_id], include_skips=True):
        reasons.append(Reason("fresh", 0.1, {}))  # skipped or half-heard is not "never played"
    return reasons


def _shared_words(ctx: StageContext, row: sqlite3.Row, seed_row: sqlite3.Row) -> list[str]:
    """Genre and descriptor words both items carry."""
    def words(r: sqlite3.Row) -> list[str]:
        out = genre_words(r["genre"] or "")
        return [w for w in out + [short_word(d) for d in descriptors_of(ctx, r["id"])] if w]

    theirs = set(words(seed_row))
    return [w for w in dict.fromkeys(words(row)) if w in theirs][:6]


def evidence_for(ctx: StageContext, ref: int | str, seed: int | str | None = None,
                 reasons: list[Reason] | None = None, recommended: list[Reason] | None = None) -> Evidence:
    """Everything an explanation of `ref` (picked because of `seed`) may rest on: the caller's `reasons`
    as given; else the recommender's `recommended` reasons for the item, completed with the seed facts
    it did not state; else the reasons the library can prove on its own."""
    row = ctx.item_row(ref)
    seed_row = ctx.item_row(seed) if seed is not None else None
    if reasons is None and recommended is not None:
        reasons = list(recommended)
        if seed_row is not None:
            # The recommender may know little yet (no plays, no analysis): add what the library can
            # prove about the pair (same artist, shared genre/descriptors) when it did not say it.
            have = {r.kind for r in reasons}
            named = {r.detail.get(k) for r in reasons for k in ("with", "to", "item")}
            reasons += [r for r in from_facts(ctx, row, seed_row) if r.kind in SEED_KINDS and r.kind not in have
                        and not (r.kind == "because_you_played" and seed_row["id"] in named)]  # said once
    if reasons is None:
        reasons = from_facts(ctx, row, seed_row)
    reasons = true_reasons(ctx, row["id"], list(reasons))
    seed_facts = None
    if seed_row is not None:
        seed_facts = {k: v for k, v in item_facts(seed_row).items() if k in ("title", "artist")}
    return build_evidence(row["id"], item_facts(row), list(reasons), seed=seed_facts,
                          descriptors=descriptors_of(ctx, row["id"]))
