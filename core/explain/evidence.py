"""The evidence behind one explanation: the item's facts and the typed Reasons, cleaned and capped.

Everything the LLM may see and everything the checker accepts comes from here. Only structured
facts go in (title, artist, album, genre, composer, year, kind, analyser descriptors); free tag text
(comments, lyrics, sidecars) never does, so a hostile tag can at most be a (capped) name.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from core.models import Reason
from core.text import clean_text

NAME_CHARS = 80  # titles, artists, albums as shown in explanations
WORD_CHARS = 30  # one genre/descriptor/shared word
MAX_WORDS = 8  # shared words / descriptors kept per list
MAX_REASONS = 4
NAME_KEYS = ("title", "with_title", "to_title", "video_title", "artist")
# Where each kind of reason comes from, in the user's words ("Why this?" lists it beside each claim).
SOURCES = {"because_you_played": "your listening history", "co_played": "your listening history",
           "popular_with_you": "your listening history", "not_played_lately": "your listening history",
           "fresh": "your listening history", "skip_penalty": "your listening history",
           "same_playlist": "your playlists", "liked": "your likes", "disliked": "your likes",
           "similar_sound": "the audio analysis", "similar_look": "the video analysis",
           "similar_text": "the tags and descriptions", "same_artist": "the artist tags",
           "recently_added": "when it was added"}


def key_words(value: str) -> str:
    """A musical key in words: "C# minor" -> "C-sharp minor", "Eb major" -> "E-flat major" (a "#" reads
    as markup to the checker, and dropping it would turn C# into C)."""
    value = re.sub(r"\b([A-G])#", r"\1-sharp", value)
    return re.sub(r"\b([A-G])b\b", r"\1-flat", value)


def source_of(reason: Reason) -> str:
    """Where a reason's claim comes from, in plain words."""
    if reason.kind == "matches_query":
        return "your search" if reason.detail.get("query") else "the tags and descriptions"
    return SOURCES.get(reason.kind, "what Encore knows about it")


def display_name(value: Any) -> str:
    """A name as explanations show it: cleaned, single line, capped with an ellipsis."""
    text = clean_text(value, max_chars=NAME_CHARS * 4)
    text = re.sub(r"[*\u201c\u201d\"`<>|{}\[\]]", "", text).strip()
    if len(text) > NAME_CHARS:
        text = text[: NAME_CHARS - 1].rstrip() + "\u2026"
    return text


def short_word(value: Any, lower: bool = True) -> str:
    """One descriptor/genre/shared word or short phrase: letters, digits, spaces and hyphens only."""
    text = clean_text(value, max_chars=WORD_CHARS * 2)
    text = text.lower() if lower else text
    text = re.sub(r"[^\w\s\-&']", " ", text)
    return " ".join(text.split())[:WORD_CHARS].strip()


def genre_words(value: Any) -> list[str]:
    """Genre tag text as at most three short labels ("Rock; Pop" -> ["rock", "pop"]); a "genre" that
    is really a sentence (an injection attempt) keeps none of its sentence."""
    parts = re.split(r"[.;,/|\\:!?\n]+", clean_text(value, max_chars=200))
    out = [short_word(p) for p in parts if 0 < len(p.split()) <= 3]
    return [w for w in dict.fromkeys(out) if w][:3]


def _words(values: Any) -> list[str]:
    out: list[str] = []
    for v in values if isinstance(values, list | tuple) else []:
        w = short_word(key_words(str(v)))
        if len(w.split()) > 3:
            continue
        if w and w not in out:
            out.append(w)
        if len(out) >= MAX_WORDS:
            break
    return out


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def clean_reason(reason: Reason) -> Reason:
    """A Reason with every string capped/cleaned and only JSON-able detail kept."""
    detail: dict[str, Any] = {}
    for key, value in (reason.detail or {}).items():
        if key in NAME_KEYS or key == "query":
            detail[key] = display_name(value)
        elif key in ("shared", "words"):
            detail[key] = _words(value)
        elif key == "features" and isinstance(value, dict):
            feats = {}
            for name, pair in list(value.items())[:6]:
                vals = pair if isinstance(pair, list | tuple) else [pair]
                kept = [round(n, 1) if (n := _number(v)) is not None else short_word(key_words(str(v)), lower=False)
                        for v in vals[:2]]
                feats[short_word(name)] = kept
            detail[key] = feats
        elif isinstance(value, bool) or _number(value) is not None:
            detail[key] = value if isinstance(value, bool | int) else round(float(value), 3)
        elif isinstance(value, str):
            detail[key] = short_word(value)
    return Reason(kind=short_word(reason.kind).replace(" ", "_"), weight=float(reason.weight or 0.0),
                  detail=detail)


@dataclass(frozen=True)
class Evidence:
    """Facts about the item (and the seed) plus the reasons, ready for templates, prompts and checks."""

    item_id: int
    facts: dict[str, Any]
    reasons: tuple[Reason, ...]
    seed: dict[str, Any] | None = None
    descriptors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        return str(self.facts.get("kind", "audio"))

    def sounds_like(self, family: str) -> list[str]:
        """The item's tagger phrases of one family ("genre": "jazz"; "instrument": "piano"; "voice") among its
        stored descriptors, at most two: each was stored only because it stood out with a confidence of at
        least core.tag_language.MIN_CONFIDENCE, so "it sounds like jazz" holds."""
        from core.db.features import TAG_PHRASE_FAMILIES

        return [d for d in self.descriptors if TAG_PHRASE_FAMILIES.get(d) == family][:2]

    def top_reasons(self) -> list[Reason]:
        """Positive reasons, strongest first (negative ones never become praise)."""
        positive = [r for r in self.reasons if r.weight >= 0 and r.kind not in ("skip_penalty", "disliked")]
        return sorted(positive, key=lambda r: -r.weight)[:MAX_REASONS]

    def names(self) -> list[str]:
        """Every proper name the text may mention: titles and artists of the item, the seed and the
        reasons (albums and composers are facts for the model, not names for the answer)."""
        out = [self.facts.get(k, "") for k in ("title", "artist")]
        if self.seed:
            out += [self.seed.get(k, "") for k in ("title", "artist")]
        for r in self.reasons:
            out += [str(r.detail.get(k, "")) for k in NAME_KEYS]
        return [n for n in dict.fromkeys(out) if n]

    def to_list(self) -> list[dict[str, Any]]:
        """The evidence as shown in `--json` output."""
        item = {"kind": "item", **{("media" if k == "kind" else k): v for k, v in self.facts.items()
                                   if v not in ("", None)}}
        if self.descriptors:
            item["descriptors"] = list(self.descriptors)
        out = [item]
        if self.seed:
            out.append({"kind": "seed", **{k: v for k, v in self.seed.items() if v not in ("", None)}})
        return out + [{**r.to_dict(), "source": source_of(r)} for r in self.top_reasons()]

    def digest(self) -> str:
        """A stable hash of everything the explanation depends on (cache key)."""
        blob = json.dumps(self.to_list(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def item_facts(row: Any) -> dict[str, Any]:
    """Structured, capped facts of an items row (or a dict with the same keys)."""
    get = (lambda k: row[k] if k in row.keys() else None) if hasattr(row, "keys") else row.get  # noqa: E731
    facts: dict[str, Any] = {"kind": get("kind") or "audio", "title": display_name(get("title") or "")}
    for key in ("artist", "album", "composer"):
        facts[key] = display_name(get(key) or "")
    facts["genre"] = " / ".join(genre_words(get("genre") or ""))
    year = _number(get("year"))
    facts["year"] = int(year) if year and 1000 < year < 3000 else None
    return facts


def build_evidence(item_id: int, facts: dict[str, Any], reasons: list[Reason] | tuple[Reason, ...],
                   seed: dict[str, Any] | None = None, descriptors: list[str] | None = None) -> Evidence:
    """Evidence from raw (untrusted) parts."""
    cleaned = tuple(clean_reason(r) for r in reasons if isinstance(r, Reason))
    return Evidence(item_id=item_id, facts=facts, reasons=cleaned, seed=seed,
                    descriptors=tuple(_words(list(descriptors or []))))
