"""Where an explanation's reasons come from: given, from the recommender, or built from the item's facts.

The recommender (`core.recommend.engine`) returns Recommendations whose Reasons follow the contract
in docs/ARCHITECTURE.md. When it is absent or does not list the item, reasons are built here from
what the library knows for sure: shared artist/genre/descriptors with the seed and the play history.
"""

from __future__ import annotations

import json
import time
from typing import Any

from core.explain.evidence import Evidence, build_evidence, genre_words, item_facts, short_word
from core.models import Reason
from core.text import normalize_key

RECOMMEND_LIMIT = 200
SEED_KINDS = ("same_artist", "similar_text", "because_you_played")


def descriptors_of(library: Any, item_id: int) -> list[str]:
    """The analysers' plain-language phrases for an item (empty before analysis)."""
    try:
        row = library.store.reader().execute("SELECT phrases FROM descriptors WHERE item_id = ?",
                                             (item_id,)).fetchone()
        phrases = json.loads(row["phrases"]) if row else []
        return [str(p) for p in phrases if isinstance(p, str)] if isinstance(phrases, list) else []
    except Exception:  # noqa: BLE001 - a missing table or bad JSON just means no descriptors
        return []


def _plays(library: Any, item_id: int) -> tuple[int, float | None]:
    profile = library.settings.profile
    row = library.store.reader().execute(
        "SELECT COUNT(*) AS n, MAX(started_at) AS last FROM play_events WHERE item_id = ? AND profile = ? "
        "AND skipped = 0", (item_id, profile)).fetchone()
    return int(row["n"] or 0), row["last"]


def _liked(library: Any, item_id: int) -> bool:
    row = library.store.reader().execute("SELECT value FROM ratings WHERE item_id = ? AND profile = ?",
                                         (item_id, library.settings.profile)).fetchone()
    return bool(row and row["value"] > 0)


def from_recommender(library: Any, item_id: int, seed: Any) -> list[Reason] | None:
    """The item's reasons as the recommender gives them, or None (no recommender / item not listed)."""
    try:
        if seed is not None:
            recs = library.recommend(seed=seed, mode="more-like", limit=RECOMMEND_LIMIT)
        else:
            recs = library.recommend(limit=RECOMMEND_LIMIT)
    except (ImportError, AttributeError, NotImplementedError):
        return None
    except Exception:  # noqa: BLE001 - a failing recommender must not break explanations
        return None
    for rec in recs or []:
        if getattr(rec.item, "id", None) == item_id:
            return list(rec.reasons)
    return None


def from_facts(library: Any, row: Any, seed_row: Any | None) -> list[Reason]:
    """Reasons the library can prove on its own (used until/unless the recommender lists the item)."""
    item_id = row["id"]
    reasons: list[Reason] = []
    if seed_row is not None:
        seed_plays, _ = _plays(library, seed_row["id"])
        if seed_plays:
            reasons.append(Reason("because_you_played", 0.5,
                                  {"item": seed_row["id"], "title": seed_row["title"], "plays": seed_plays}))
        if row["artist"] and normalize_key(row["artist"]) == normalize_key(seed_row["artist"] or ""):
            reasons.append(Reason("same_artist", 0.4, {"artist": row["artist"]}))
        shared = _shared_words(library, row, seed_row)
        if shared:
            reasons.append(Reason("similar_text", 0.3, {"to": seed_row["id"], "to_title": seed_row["title"],
                                                        "shared": shared}))
    plays, last = _plays(library, item_id)
    if _liked(library, item_id):
        reasons.append(Reason("liked", 0.35, {"item": item_id, "title": row["title"]}))
    if plays:
        reasons.append(Reason("popular_with_you", 0.2, {"plays": plays}))
        days = int((time.time() - last) // 86400) if last else 0
        if days >= 14:
            reasons.append(Reason("not_played_lately", 0.15, {"days": days}))
    elif seed_row is None or not reasons:
        reasons.append(Reason("fresh", 0.1, {}))
    return reasons


def _shared_words(library: Any, row: Any, seed_row: Any) -> list[str]:
    """Genre and descriptor words both items carry."""
    def words(r: Any) -> list[str]:
        out = genre_words(r["genre"] or "")
        return [w for w in out + [short_word(d) for d in descriptors_of(library, r["id"])] if w]

    theirs = set(words(seed_row))
    return [w for w in dict.fromkeys(words(row)) if w in theirs][:6]


def evidence_for(library: Any, ref: Any, seed: Any = None, reasons: list[Reason] | None = None) -> Evidence:
    """Everything an explanation of `ref` (picked because of `seed`) may rest on."""
    row = library.item_row(ref)
    seed_row = library.item_row(seed) if seed is not None else None
    if reasons is None:
        reasons = from_recommender(library, row["id"], seed)
        if reasons is not None and seed_row is not None:
            # The recommender may know little yet (no plays, no analysis): add what the library can
            # prove about the pair (same artist, shared genre/descriptors) when it did not say it.
            have = {r.kind for r in reasons}
            reasons = list(reasons) + [r for r in from_facts(library, row, seed_row)
                                       if r.kind in SEED_KINDS and r.kind not in have]
    if reasons is None:
        reasons = from_facts(library, row, seed_row)
    seed_facts = None
    if seed_row is not None:
        seed_facts = {k: v for k, v in item_facts(seed_row).items() if k in ("title", "artist")}
    return build_evidence(row["id"], item_facts(row), list(reasons), seed=seed_facts,
                          descriptors=descriptors_of(library, row["id"]))
