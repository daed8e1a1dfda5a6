"""Model-assisted extras, each optional and always with a rule-based answer: search-intent parsing
(JSON-schema constrained) and a title + one-line note for a generated playlist or radio.

Model output is grounded like explanations: every value must be supported by the query (intent) or
be one of the candidates built from the playlist's own facts (title, note).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from core.context import StageContext
from core.explain.evidence import display_name, short_word
from core.explain.gguf import LLMError
from core.explain.grammar import choice_grammar, intent_grammar
from core.explain.prompts import fence, system_prompt
from core.explain.runtime import runtime_for
from core.models import Reason
from core.text import clean_text, normalize_key

MAX_QUERY_CHARS = 300
DECADES = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
TEMPO_WORDS = {"fast": {"fast", "upbeat", "energetic", "running", "workout", "dance", "party", "uptempo"},
               "slow": {"slow", "calm", "relaxing", "chill", "mellow", "quiet", "sleep", "gentle", "soft"}}
MOOD_WORDS = {"happy": {"happy", "cheerful", "bright", "sunny", "joyful"},
              "sad": {"sad", "dark", "melancholic", "melancholy", "gloomy", "moody"},
              "calm": TEMPO_WORDS["slow"], "energetic": TEMPO_WORDS["fast"]}
KIND_WORDS = {"audio": {"song", "songs", "track", "tracks", "music", "tune", "tunes", "album", "albums"},
              "video": {"film", "films", "movie", "movies", "video", "videos", "clip", "clips"}}


def _llm_ready(ctx: StageContext, setting: str | None = None) -> bool:
    s = ctx.settings
    return bool(s.llm_enabled and (setting is None or getattr(s, setting, False)))


def _years_in(query: str) -> set[int]:
    years = {int(y) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", query)}
    for century, decade in re.findall(r"\b(19|20)?(\d)0'?s\b", query):
        base = int(century or "19") * 100 + int(decade) * 10
        years.update({base, base + 9})
    for word, base in DECADES.items():
        if word in query:
            years.update({base, base + 9})
    return years


def ground_intent(raw: dict[str, Any], query: str) -> dict[str, Any]:
    """Keep only the fields of a model's intent that the query itself supports."""
    key = normalize_key(query)
    words = set(key.split())
    out: dict[str, Any] = {"source": "llm"}
    kind = raw.get("kind")
    if kind in KIND_WORDS and words & KIND_WORDS[kind]:
        out["kind"] = kind
    genres = [short_word(g) for g in raw.get("genres") or [] if isinstance(g, str)]
    out["genres"] = [g for g in genres if g and f" {normalize_key(g)} " in f" {key} "][:3]
    years = _years_in(key)
    for field in ("year_min", "year_max"):
        value = raw.get(field)
        if isinstance(value, int) and value in years:
            out[field] = value
    for field, table in (("tempo", TEMPO_WORDS), ("mood", MOOD_WORDS)):
        value = raw.get(field)
        if value in table and words & table[value]:
            out[field] = value
    if raw.get("unplayed") is True and re.search(r"\b(never|not|haven'?t|unplayed|unwatched|new to me)\b", key):
        out["unplayed"] = True
    if raw.get("favourites") is True and re.search(r"\b(favou?rites?|liked|loved|favs?)\b", key):
        out["favourites"] = True
    artist = raw.get("artist")
    if isinstance(artist, str) and artist.strip() and f" {normalize_key(artist)} " in f" {key} ":
        out["artist"] = clean_text(artist, max_chars=60)
    free = raw.get("free_text")
    if isinstance(free, str):
        kept = [w for w in normalize_key(free).split() if w in words]
        out["free_text"] = " ".join(kept)
    return out


def parse_query_with_llm(ctx: StageContext, query: str) -> dict[str, Any] | None:
    """Search intent from the LLM (grammar-constrained JSON, then grounded in the query), or None
    when the setting is off, the model is unavailable or its answer is unusable (use the rules)."""
    if not _llm_ready(ctx, "llm_query_parsing"):
        return None
    query = clean_text(query, max_chars=MAX_QUERY_CHARS)
    if not query:
        return None
    messages = [{"role": "system", "content": system_prompt("query_intent")},
                {"role": "user", "content": fence([f"search: {query}"])}]
    try:
        gen = runtime_for(ctx).generate(messages, max_tokens=200, temperature=0.0, grammar=intent_grammar())
        raw = json.loads(gen.text)
    except (LLMError, ValueError):
        return None
    return ground_intent(raw, query) if isinstance(raw, dict) else None


def intent_parser(ctx: StageContext) -> Callable[[str], Any]:
    """A `str -> core.search.intent.Intent` parser: the rules, completed by grounded LLM fields."""
    def parse(query: str) -> Any:
        from core.search.intent import parse_rules

        intent = parse_rules(query)
        extra = parse_query_with_llm(ctx, query) or {}
        if extra.get("kind") and not intent.kind:
            intent.kind = extra["kind"]
        for g in extra.get("genres", []):
            if g not in intent.genres:
                intent.genres.append(g)
        for field in ("year_min", "year_max", "artist"):
            if extra.get(field) and not getattr(intent, field):
                setattr(intent, field, extra[field])
        intent.unplayed = intent.unplayed or bool(extra.get("unplayed"))
        intent.favourites = intent.favourites or bool(extra.get("favourites"))
        if extra:
            intent.source = "rules+llm"
        return intent

    return parse


# ----- playlist / radio titles ------------------------------------------------------------------
def _flat_reasons(reasons: Any) -> list[Reason]:
    out: list[Reason] = []
    for r in reasons or []:
        if isinstance(r, Reason):
            out.append(r)
        elif isinstance(r, list | tuple):
            out.extend(x for x in r if isinstance(x, Reason))
    return out


def _item_field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def playlist_candidates(items: list[Any], reasons: Any) -> tuple[list[str], list[str]]:
    """Grounded title and note candidates for a playlist of `items` (MediaItem or dicts)."""
    n = len(items)
    videos = sum(1 for i in items if _item_field(i, "kind") == "video")
    noun = ("films" if videos * 2 > n else "tracks") if n != 1 else ("film" if videos else "track")
    artists = Counter(display_name(a) for i in items if (a := _item_field(i, "artist")))
    genres = Counter(short_word(g) for i in items if (g := _item_field(i, "genre")))
    minutes = round(sum(float(_item_field(i, "duration") or 0) for i in items) / 60)
    seeds: Counter[str] = Counter()
    shared: Counter[str] = Counter()
    queries: list[str] = []
    for r in _flat_reasons(reasons):
        d = r.detail or {}
        for k in ("title", "to_title", "with_title"):
            if d.get(k):
                seeds[display_name(d[k])] += 1
        for w in d.get("shared") or []:
            shared[short_word(w)] += 1
        if r.kind == "matches_query" and d.get("query"):
            queries.append(display_name(d["query"]))
    titles: list[str] = []
    if seeds:
        titles.append(f"More like {seeds.most_common(1)[0][0]}")
    if queries:
        titles.append(queries[0][:1].upper() + queries[0][1:])
    top_genre = genres.most_common(1)[0][0] if genres else ""
    if top_genre:
        titles += [f"{top_genre.title()} {noun}", f"{top_genre.title()} mix"]
    if artists and artists.most_common(1)[0][1] * 2 >= n:
        titles.append(f"Mostly {artists.most_common(1)[0][0]}")
    if shared:
        words = [w for w, _ in shared.most_common(2)]
        titles.append(" and ".join(words).capitalize())
    titles = [t for t in dict.fromkeys(titles) if t] or ["Your mix"]
    size = f"{n} {noun}" + (f", about {minutes} minutes" if minutes else "")
    names = [a for a, _ in artists.most_common(3)]
    notes = [f"{size}."]
    if names:
        notes.insert(0, f"{size}, with {', '.join(names[:-1]) + ' and ' + names[-1] if len(names) > 1 else names[0]}.")
    if top_genre:
        notes.insert(0, f"{size} of mostly {top_genre}.")
    return titles, list(dict.fromkeys(notes))


def playlist_note(ctx: StageContext, items: list[Any], reasons: Any = None) -> tuple[str, str]:
    """A title and a one-line note for a generated playlist/radio. The LLM (when enabled) picks among
    grounded candidates with a grammar; without it the first candidates are used."""
    titles, notes = playlist_candidates(items, reasons)
    if not _llm_ready(ctx) or (len(titles) == 1 and len(notes) == 1):
        return titles[0], notes[0]
    facts = [f"title idea: {t}" for t in titles] + [f"line idea: {n}" for n in notes]
    messages = [{"role": "system", "content": system_prompt("playlist_note")},
                {"role": "user", "content": fence(facts) + "\nPick the best title."}]
    try:
        runtime = runtime_for(ctx)
        title = runtime.generate(messages, max_tokens=30, temperature=0.0, grammar=choice_grammar(titles)).text
        messages[1]["content"] = fence(facts) + f"\nTitle: {title}\nPick the best line."
        note = runtime.generate(messages, max_tokens=40, temperature=0.0, grammar=choice_grammar(notes)).text
    except LLMError:
        return titles[0], notes[0]
    return (title if title in titles else titles[0]), (note if note in notes else notes[0])
