"""Natural-language search over the library: intent -> hybrid ranking -> filters and feature matches -> Hits."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import time
from functools import lru_cache
from typing import Any

import numpy as np

from core.context import StageContext
from core.db import history
from core.db import search as fts
from core.db.features import MUSIC, SOUND_EFFECT, SPEECH, audio_features_for, item_classes_for, tag_reference
from core.db.items import items_by_ids, media_item
from core.embed import store
from core.models import Hit, Reason
from core.search import lexical, scripts, sound, spelling
from core.search.filters import POOL_FACTOR, Filters
from core.search.filters import browse_ids as browse_filtered
from core.search.fusion import RankParams, Scored, SearchContext, rank
from core.search.intent import GENRES, LONG, Intent, parse
from core.search.vocabulary import load_vocabulary

FEATURE_BOOST = 0.3
GENRE_BOOST = 0.15
ARTIST_BOOST = 0.3
UNKNOWN_YEAR_PENALTY = 0.1
# Sound effects / short clips (item class sound_effect) rank below music for music words ("calm piano"
# returned "tada" first): their score is multiplied by this unless the query asks for them.
SOUND_EFFECT_WEIGHT = 0.4
ASKS_FOR_CLIPS = re.compile(r"\b(sound ?effects?|sfx|clips?|jingles?|samples?|ringtones?|foley)\b", re.IGNORECASE)


def _query_encoder(enc):
    @lru_cache(maxsize=256)
    def encode(text: str) -> np.ndarray:
        return enc.encode_query(text)

    return encode


def context(ctx: StageContext, params: RankParams | None = None) -> SearchContext:
    """The library's search context; the model only loads when there are vectors to search."""
    enc = store.encoder(ctx)
    index = store.vector_index(ctx, enc.name)
    encode = vocab = None
    if len(index):
        encode = ctx.component(f"query_encoder:{enc.name}", lambda: _query_encoder(enc))
        vocab = ctx.component(f"vocabulary:{enc.name}", lambda: load_vocabulary(ctx, enc))
    return SearchContext(ctx.store.reader(), index if len(index) else None, encode, vocab,
                         params or RankParams())


def _feature_value(features: dict[str, Any], key: str) -> float | None:
    """A feature by name, from what core.analysis.audio stores (tempo_bpm, rms_db, mode) or a plain key."""
    value = features.get(key)
    if value is None and key == "tempo":
        value = features.get("tempo_bpm", features.get("bpm"))
    if value is None and key == "energy" and features.get("rms_db") is not None:
        value = min(max((float(features["rms_db"]) + 40.0) / 30.0, 0.0), 1.0)  # -40 dB -> 0, -10 dB -> 1
    if value is None and key == "valence" and features.get("mode") in ("major", "minor"):
        value = 0.7 if features["mode"] == "major" else 0.3  # major key reads brighter; a proxy, not a model
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _feature_matches(conn, ids: list[int], wanted: dict) -> dict[int, dict[str, float]]:
    """{item id: {feature: value}} for the feature ranges of the intent each item satisfies."""
    if not wanted or not ids:
        return {}
    out: dict[int, dict[str, float]] = {}
    try:
        stored = audio_features_for(conn, ids)
    except sqlite3.OperationalError:  # a library without the analysis tables: no feature evidence
        return {}
    for item_id, features in stored.items():
        if features.get("silent"):
            continue  # silence is not "calm" or "slow" music: it matches no mood, tempo or energy range
        matched = {}
        for key, (lo, hi) in wanted.items():
            value = _feature_value(features, key)
            if value is not None and (lo is None or value >= lo) and (hi is None or value <= hi):
                matched[key] = round(value, 3)
        if matched:
            out[item_id] = matched
    return out


def _sound_evidence(conn, ids: list[int], query: str) -> dict[int, dict[str, float]]:
    """{item id: {concept: score}}: what the stored tags say of the sound the query names (core.search.sound:
    0..1, moods -1..1), against the tag reference the phrases were made with."""
    wanted = sound.concepts(query)
    if not wanted or not ids:
        return {}
    stored = tag_reference(conn)  # None in a library without the analysis tables, too
    return sound.sound_scores(conn, ids, wanted, stored["stats"] if stored else None)


def _filter_only(conn, intent: Intent, kind: str | None, n: int, filters: Filters) -> list[Scored]:
    """Queries with no words ("music before 2000", "my favourites", only filter chips): every item, filters decide."""
    return [Scored(i, 0.0) for i in browse_filtered(conn, filters, kind, intent.year_min, intent.year_max, n)]


def _corrections(ctx: StageContext, conn, intent: Intent) -> list[spelling.Correction]:
    """Typos among the query words: words in no item, other than those the parser understood ("upbeat")."""
    keep = set(intent.feature_words) | set(intent.kind_words) | {t for g in intent.genres for t in g.split()}
    keep |= {w for w in intent.words if w in LONG or w in GENRES}
    known = fts.doc_frequency(conn, list(dict.fromkeys(t for w in intent.words for t in fts.tokens(w))))
    return spelling.corrections(ctx, intent.words, known, keep)


def _corrected(intent: Intent, corrections: list[spelling.Correction]) -> Intent:
    """The intent to rank: each typo replaced by its nearest library words (the semantic side reads the query
    with the nearest one: "batle music" -> "battle music")."""
    if not corrections:
        return intent
    swap = {c.typed: c.words for c in corrections}
    first = {c.typed: c.words[0] for c in corrections}
    words = list(dict.fromkeys(x for w in intent.words for x in swap.get(w, (w,))))
    query = re.sub(r"[\w&'-]+", lambda m: first.get(m.group(0).lower(), m.group(0)), intent.query)
    return dataclasses.replace(intent, words=words, query=query,
                               free_text=" ".join(first.get(w, w) for w in intent.words))


def search(ctx: StageContext, query: str, limit: int = 20, kind: str | None = None, profile: str = "default",
           params: RankParams | None = None, filters: Filters | None = None) -> list[Hit]:
    """Hybrid natural-language search; every Hit has a `matches_query` Reason saying why. A query with nothing
    to look for ("", "!!!", "the") and no filter finds nothing (it used to list the whole library)."""
    intent = parse(query)
    intent.words = [w for w in intent.words if any(c.isalnum() for c in w)]  # "-", "&", "'" are not words
    filters = filters or Filters()
    explicit_kind = kind in ("audio", "video")
    if not intent.words and not intent.has_filters and not filters.active and not explicit_kind:
        return []
    kind = kind if explicit_kind else intent.kind
    sctx = context(ctx, params)
    conn = sctx.conn
    if not scripts.model_reads(intent.query, store.model_name(ctx)):
        sctx.encode_query = None  # an English model on another language: word and substring matches only
    if kind and not explicit_kind and not fts.has_kind(conn, kind):
        intent.words = intent.words + intent.kind_words  # "music" in a film library: a word, not a filter
        kind = None
    corrections = _corrections(ctx, conn, intent) if intent.words else []
    ranked = _corrected(intent, corrections)
    pool = max(sctx.params.candidates, limit * 5) * (POOL_FACTOR if filters.active else 1)
    if intent.words:
        scored = rank(sctx, ranked, pool, store.KIND_CODES.get(kind) if explicit_kind and kind else None)
    else:
        scored = _filter_only(conn, intent, kind, pool, filters)
    if not scored:
        return []
    ids = [s.item_id for s in scored]
    rows = items_by_ids(conn, ids)
    last = history.last_played(conn, profile, ids, include_skips=True)  # "not played": not even started
    liked = history.liked_among(conn, profile, ids)
    now = time.time()

    def keep(s: Scored, use_kind: bool) -> bool:
        row = rows.get(s.item_id)
        if row is None or row["status"] != "ok" or (use_kind and kind and row["kind"] != kind):
            return False
        if not filters.keeps(row):
            return False
        year = row["year"]
        if year and ((intent.year_min and year < intent.year_min) or (intent.year_max and year > intent.year_max)):
            return False
        duration = row["duration"]
        if duration and ((intent.duration_max and duration > intent.duration_max)
                         or (intent.duration_min and duration < intent.duration_min)):
            return False
        if intent.unplayed and s.item_id in last:
            return False
        if intent.not_played_days and now - last.get(s.item_id, 0.0) < intent.not_played_days * 86400:
            return False
        return not (intent.favourites and s.item_id not in liked)

    kept = [s for s in scored if keep(s, True)]
    if not kept and kind and not explicit_kind:  # "music" in a film library: a word, not a filter
        kept = [s for s in scored if keep(s, False)]
    features = _feature_matches(conn, [s.item_id for s in kept], intent.features)
    artist_key = (intent.artist or "").lower()
    classes = item_classes_for(conn, [s.item_id for s in kept])
    asks_for_clips = bool(ASKS_FOR_CLIPS.search(query))
    # Down-weighted: sound effects, unless the query asks for clips; then music and speech ("video clips" keep
    # their videos).
    clips = {i for i, c in classes.items() if c in ((MUSIC, SPEECH) if asks_for_clips else (SOUND_EFFECT,))}
    # The sound words describe music, or the clips when the query asks for clips; never speech.
    heard = _sound_evidence(conn, [s.item_id for s in kept if (classes.get(s.item_id) == SOUND_EFFECT) == asks_for_clips
                                   and classes.get(s.item_id) != SPEECH], ranked.query)
    final: list[tuple[float, Scored, dict]] = []
    for s in kept:
        row = rows[s.item_id]
        bonus = 0.0
        matched = features.get(s.item_id, {})
        if intent.features:
            bonus += FEATURE_BOOST * len(matched) / len(intent.features)
        genre = (row["genre"] or "").lower()
        if intent.genres and any(g in genre for g in intent.genres):
            bonus += GENRE_BOOST
        if artist_key and artist_key in (row["artist"] or "").lower():
            bonus += ARTIST_BOOST
        if (intent.year_min or intent.year_max) and not row["year"]:
            bonus -= UNKNOWN_YEAR_PENALTY
        if heard.get(s.item_id):
            bonus += sound.SOUND_BOOST * sum(heard[s.item_id].values()) / len(heard[s.item_id])
        score = s.score + bonus
        if s.item_id in clips:
            score = score * SOUND_EFFECT_WEIGHT if score > 0 else score - 1.0
        final.append((score, s, matched))
    final.sort(key=lambda t: (-t[0], t[1].item_id))
    final = final[:limit]
    final_ids = [s.item_id for _, s, _ in final]
    words = lexical.matched_words(conn, final_ids, ranked.words)
    for item_id, runs in scripts.matched_substrings(conn, final_ids, ranked.words).items():
        words[item_id] = list(dict.fromkeys(words.get(item_id, []) + runs))
    typed = {w: c.typed for c in corrections for w in c.words}
    # Moments read what was typed: "bicycle race" corrected to "bicycle face" must not point to a face.
    found = _moments(ctx, sctx, intent, [s.item_id for _, s, _ in final if rows[s.item_id]["kind"] == "video"])
    hits = []
    for score, s, matched in final:
        detail: dict[str, Any] = {"query": intent.query, "words": words.get(s.item_id, [])}
        if fixed := {w: typed[w] for w in detail["words"] if w in typed}:
            detail["corrected"] = fixed  # {"battle": "batle"}: the library word it matched, what was typed
        if s.semantic is not None:
            detail["similarity"] = round(float(s.semantic), 4)
        if matched:
            detail["features"] = matched
            detail["asked"] = {f: intent.feature_asked[f] for f in matched if f in intent.feature_asked}
        if heard.get(s.item_id):
            detail["sound"] = heard[s.item_id]  # {concept: score} from the stored tags (core.search.sound)
        if s.expansion_terms:
            detail["related_terms"] = list(s.expansion_terms)
        hits.append(Hit(media_item(rows[s.item_id]), round(float(score), 6),
                        (Reason("matches_query", float(score), detail),), found.get(s.item_id)))
    return hits


def _moments(ctx: StageContext, sctx: SearchContext, intent: Intent, video_ids: list[int]) -> dict:
    """{video id: Moment} of the video hits where one keyframe matches the query clearly better than the rest
    (core.search.moments), read from the query as typed (ranking encoded the same text unless a typo was
    corrected: the encoder caches it). Phrase vectors are cached per model."""
    from core.search import moments
    from core.search.fusion import semantic_query_text

    if not video_ids or not intent.words:
        return {}
    encode = sctx.encode_query

    def phrase_vectors() -> moments.PhraseVectors:
        enc = store.encoder(ctx)
        return ctx.component(f"keyframe_phrases:{enc.name}", lambda: moments.PhraseVectors(enc.name, enc.encode))

    return moments.moments(ctx, sctx.conn, video_ids, intent.words,
                           lambda: encode(semantic_query_text(intent)) if encode is not None else None, phrase_vectors)
