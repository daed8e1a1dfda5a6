"""Where in a video a search hit is: each keyframe's phrases scored against the query, and a Moment only
when one keyframe matches clearly better than the rest of the video.

A keyframe's phrases are what the analysis stored about that frame (core.visual_language.keyframe_phrases:
"close-up of a face", "a crowd", "one face", "blue tones", 'text “OPEN”'). A keyframe scores the larger of
  - the share of the query's words that its phrases say ("face" in "close-up of a face"), and
  - the best cosine between the query's embedding and one of its phrases that the query means: a phrase
    of the keyframe vocabulary (every phrase but text: core.db.features.KEYFRAME_VOCABULARY) with a cosine
    of at least MIN_SIMILARITY and within NEAREST of the query's nearest one. "crowd" means "a crowd"
    (0.96), not "people" (0.70): one face is no crowd. Text lines are matched by their words only.
    Measured with the bundled MiniLM: "someone's face" / "one face" 0.70, / "two faces" 0.66, / "close-up
    of a face" 0.61; "blue" / "blue tones" 0.74, / "grey tones" 0.50; "sunset" / "dark tones" 0.47.
The hit points to the best keyframe only when
  - it matches at all: a query word in its phrases, or a phrase the query means, and
  - it is clearly better than the others: MARGIN above the median of the other keyframes, and at most
    MAX_SHARE of the keyframes score within MARGIN of it (a face in most of a clip is the clip, not a moment).
Otherwise the hit has no moment: it is the whole item that matched.
"""

from __future__ import annotations

import os
import re
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from core.context import StageContext
from core.db import embeddings
from core.db.features import keyframes_for
from core.models import Moment
from core.search.intent import KIND_WORDS, STOPWORDS
from core.visual_language import KEYFRAME_VOCABULARY, TEXT_PHRASE, keyframe_phrases, keyframe_text

MIN_SIMILARITY = 0.55
NEAREST = 0.1
MARGIN = 0.15
MAX_SHARE = 0.5
# Words of the keyframe phrases that say nothing by themselves ("tones" of "blue tones", "screen" of
# "nobody on screen", the counts of "two faces").
FILLER = {"a", "of", "on", "the", "tones", "screen", "text", "one", "two", "three", "four"}
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_KINDS = set().union(*KIND_WORDS.values())


def _stem(word: str) -> str:
    """"faces" -> "face", "close-ups" -> "close-up", "crowds" -> "crowd" ("glass" stays)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=4096)
def words_of(text: str) -> frozenset[str]:
    """The words of a phrase or query, lower-case and singular; a hyphenated word also as its parts."""
    out: set[str] = set()
    for w in _WORD.findall(text.lower()):
        out.add(_stem(w))
        if "-" in w:
            out.update(_stem(p) for p in w.split("-"))
    return frozenset(out)


def query_words(words: list[str]) -> set[str]:
    """The query words a keyframe can say: no stopwords, no kind words ("video", "clip")."""
    return {w for word in words for w in words_of(word) if w not in STOPWORDS and w not in _KINDS} - FILLER


class PhraseVectors:
    """Unit vectors of keyframe phrases for one model: in memory, then `vocab_embeddings`, then encoded
    (and written there for the next start). A handful of phrases in all: encoded once per library."""

    def __init__(self, model: str, encode: Callable[[list[str]], np.ndarray]) -> None:
        self.model, self.encode = model, encode
        self.known: dict[str, np.ndarray] = {}

    def get(self, ctx: StageContext, conn: sqlite3.Connection, phrases: list[str]) -> dict[str, np.ndarray]:
        todo = [p for p in dict.fromkeys(phrases) if p not in self.known]
        if todo:
            self.known.update(embeddings.vocab_vectors_for(conn, self.model, todo))
            new = [p for p in todo if p not in self.known]
            if new:
                vectors = self.encode(new)
                self.known.update(zip(new, vectors, strict=True))
                try:
                    with ctx.store.write() as w:
                        embeddings.write_vocab_vectors(w, self.model, list(zip(new, vectors, strict=True)))
                except sqlite3.OperationalError:  # a read-only or pre-0003 library: the cache is only a cache
                    pass
        return {p: self.known[p] for p in phrases if p in self.known}


@dataclass
class _Scored:
    frame: dict[str, Any]
    score: float
    phrase: str
    said: bool  # a query word is in its phrases


def meant(query_vec: np.ndarray, vectors: dict[str, np.ndarray]) -> dict[str, float]:
    """{phrase: cosine} of the phrases the query means: at least MIN_SIMILARITY, within NEAREST of the nearest."""
    sims = {p: float(v @ query_vec) for p, v in vectors.items()}
    nearest = max(sims.values(), default=0.0)
    return {p: sim for p, sim in sims.items() if sim >= MIN_SIMILARITY and sim >= nearest - NEAREST}


def _score_frames(frames: list[tuple[dict[str, Any], list[str]]], wanted: set[str], means: dict[str, float]
                  ) -> list[_Scored]:
    out = []
    for kf, phrases in frames:
        best_phrase, best, said = "", 0.0, False
        covered: set[str] = set()
        lexical_best: tuple[int, str] = (0, "")
        for p in phrases:
            hit = wanted & words_of(p)
            covered |= hit
            if len(hit) > lexical_best[0]:
                lexical_best = (len(hit), p)
        if covered:
            best, best_phrase, said = len(covered) / len(wanted), lexical_best[1], True
        for p in phrases:
            if means.get(p, 0.0) > best:
                best, best_phrase = means[p], p
        out.append(_Scored(kf, best, best_phrase, said))
    return out


def moment_of(frames: list[dict[str, Any]], wanted: set[str], means: dict[str, float],
              phrases: list[list[str]] | None = None) -> Moment | None:
    """The moment of one video's keyframes (with their `keyframe_phrases` when known) for a query of
    `wanted` words meaning `means` (see `meant`), or None (see the module docstring)."""
    if len(frames) < 2 or not (wanted or means):
        return None
    said = phrases if phrases is not None else [keyframe_phrases(kf) for kf in frames]
    scored = _score_frames(list(zip(frames, said, strict=True)), wanted, means)
    top = max(scored, key=lambda s: s.score)  # the first of equals: the earliest
    if not top.phrase or top.score <= 0:
        return None
    others = [s.score for s in scored if s is not top]
    close = sum(1 for s in scored if s.score >= top.score - MARGIN)
    if top.score - statistics.median(others) < MARGIN or close > MAX_SHARE * len(scored):
        return None
    path = top.frame.get("path")
    picture = path if isinstance(path, str) and os.path.isfile(path) else None
    return Moment(int(round(float(top.frame["t"]) * 1000)), top.phrase, picture)


def moments(ctx: StageContext, conn: sqlite3.Connection, video_ids: list[int], words: list[str],
            query_vec: Callable[[], np.ndarray | None], phrase_vectors: Callable[[], PhraseVectors | None]
            ) -> dict[int, Moment]:
    """{video id: its Moment} of those `video_ids` that have one for a query of `words`. `query_vec` and
    `phrase_vectors` are only asked for when a video has keyframes (None: words only)."""
    stored = keyframes_for(conn, video_ids) if video_ids else {}
    if not stored:
        return {}
    wanted = query_words(words)
    said = {item_id: [keyframe_phrases(kf) for kf in frames] for item_id, frames in stored.items()}
    qvec = query_vec()
    pv = phrase_vectors() if qvec is not None else None
    means: dict[str, float] = {}
    if qvec is not None and pv is not None:
        text = {TEXT_PHRASE.format(line) for frames in stored.values() for kf in frames for line in keyframe_text(kf)}
        present = {p for lists in said.values() for ps in lists for p in ps if p not in text}
        means = meant(qvec, pv.get(ctx, conn, [*KEYFRAME_VOCABULARY, *sorted(present)]))
    out = {}
    for item_id, frames in stored.items():
        found = moment_of(frames, wanted, means, said[item_id])
        if found is not None:
            out[item_id] = found
    return out
