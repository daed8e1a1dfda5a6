"""Rule-based query understanding: media kind, genres, era, tempo/energy, duration, history, artist/album.

`parse(query)` returns an `Intent`; a model-based parser (the LLM issue) only has to be another
callable `str -> Intent` passed as `parser=`; everything downstream reads the dataclass, not the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.text import clean_text

MAX_QUERY_CHARS = 500

KIND_WORDS = {
    "audio": {"song", "songs", "track", "tracks", "music", "tune", "tunes", "audio", "album", "albums"},
    "video": {"film", "films", "movie", "movies", "video", "videos", "clip", "clips", "footage"},
}
GENRES = {
    "rock", "pop", "jazz", "classical", "hip hop", "hip-hop", "rap", "electronic", "electronica", "ambient",
    "metal", "punk", "folk", "country", "blues", "soul", "funk", "reggae", "techno", "house", "trance",
    "soundtrack", "indie", "r&b", "rnb", "disco", "dubstep", "grunge", "gospel", "opera", "latin", "ska",
    "new wave", "synthpop", "synth-pop", "drum and bass", "lo-fi", "lofi", "orchestral", "piano",
    "documentary", "comedy", "drama", "horror", "thriller", "animation", "western", "romance", "sci-fi",
    "action", "adventure", "fantasy", "musical", "war", "crime", "mystery",
}
# Mood/activity words -> audio-feature ranges (tempo in BPM, energy 0..1 / rms_db in dBFS).
FAST = {"fast", "upbeat", "energetic", "running", "run", "workout", "gym", "party", "dance", "dancing",
        "pumping", "intense", "hard", "driving", "uptempo", "up-tempo", "exercise", "cardio", "hype"}
CALM = {"calm", "slow", "relaxing", "relax", "chill", "chilled", "mellow", "quiet", "sleep", "sleeping",
        "studying", "study", "focus", "soft", "gentle", "peaceful", "ambient", "soothing", "downtempo"}
HAPPY = {"happy", "bright", "cheerful", "sunny", "joyful"}
SAD = {"sad", "dark", "melancholic", "melancholy", "gloomy", "moody"}
# A query's mood words never bring in items through their opposites: the text model places "upbeat" and
# "energetic" near "relaxing" (antonyms share contexts), so query expansion skips these (see `opposed_words`).
OPPOSED = ((FAST, CALM | {"ambient", "soothing", "peaceful", "gentle", "soft"}), (HAPPY, SAD))
SHORT = {"short", "quick", "brief"}
LONG = {"long", "lengthy"}
FAVOURITE = re.compile(r"\b(my )?(favou?rites?|favs?|liked|loved|likes)\b")
UNPLAYED = re.compile(r"\b(i )?(haven'?t|have not|never|not|didn'?t|did not)( yet)? (played|heard|watched|seen)"
                      r"( (in a while|lately|recently|for a while|in ages|for ages))?\b|\bunplayed\b|\bunwatched\b"
                      r"|\bnew to me\b")
DECADE = re.compile(r"\b(?:(19|20)?([0-9])0)'?s\b")
DECADE_WORDS = {"fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
BEFORE = re.compile(r"\b(?:before|pre|older than|until)\s+((?:19|20)\d\d)\b")
AFTER = re.compile(r"\b(?:after|since|post|newer than|from)\s+((?:19|20)\d\d)\b")
RANGE = re.compile(r"\b((?:19|20)\d\d)\s*(?:-|to|–)\s*((?:19|20)\d\d)\b")
YEAR = re.compile(r"\b(?:in|from)\s+((?:19|20)\d\d)\b")
BY_ARTIST = re.compile(r"\bby\s+([^,;]+?)(?=$|,|;|\s+(?:from|in|on|before|after|that|which|with)\b)")
FROM_ALBUM = re.compile(r"\b(?:from|off|on) the album\s+([^,;]+?)(?=$|,|;|\s+by\b)")
STOPWORDS = {"a", "an", "the", "with", "for", "of", "some", "me", "my", "i", "to", "in", "and", "or", "on",
             "something", "anything", "play", "show", "find", "give", "want", "like", "that", "which", "is",
             "are", "about", "please", "any", "all", "from", "by", "while", "lately", "recently", "few"}

QueryParser = Callable[[str], "Intent"]


@dataclass
class Intent:
    """What a query asks for. `free_text` is what is left for lexical and semantic matching."""

    query: str
    free_text: str = ""
    words: list[str] = field(default_factory=list)  # content words for lexical matching
    kind: str | None = None
    kind_words: list[str] = field(default_factory=list)  # "movie", "songs": words spent on the kind
    genres: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    features: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    feature_words: list[str] = field(default_factory=list)
    feature_asked: dict[str, str] = field(default_factory=dict)  # feature -> the query word that asked for it
    duration_max: float | None = None
    duration_min: float | None = None
    unplayed: bool = False
    not_played_days: int | None = None
    favourites: bool = False
    artist: str | None = None
    album: str | None = None
    source: str = "rules"

    @property
    def has_filters(self) -> bool:
        return bool(self.kind or self.year_min or self.year_max or self.duration_max or self.duration_min
                    or self.unplayed or self.not_played_days or self.favourites)


def _cut(text: str, match: re.Match) -> str:
    return (text[:match.start()] + " " + text[match.end():]).strip()


def parse_rules(query: str) -> Intent:
    """The fast rule-based parser (microseconds; no model)."""
    raw = clean_text(query, MAX_QUERY_CHARS)
    text = raw.lower()
    intent = Intent(query=raw)
    m = UNPLAYED.search(text)
    if m:
        intent.unplayed = not m.group(6)
        intent.not_played_days = 30 if m.group(6) else None
        text = _cut(text, m)
    m = FAVOURITE.search(text)
    if m:
        intent.favourites = True
        text = _cut(text, m)
    m = FROM_ALBUM.search(text)
    if m:
        intent.album = m.group(1).strip()
        text = _cut(text, m) + " " + intent.album
    m = BY_ARTIST.search(text)
    if m:
        intent.artist = m.group(1).strip()
        text = _cut(text, m) + " " + intent.artist
    for pattern, kind in ((RANGE, "range"), (BEFORE, "before"), (AFTER, "after"), (YEAR, "year")):
        m = pattern.search(text)
        if m:
            a = int(m.group(1))
            if kind == "range":
                intent.year_min, intent.year_max = sorted((a, int(m.group(2))))
            elif kind == "before":
                intent.year_max = a - 1
            elif kind == "after":
                intent.year_min = a
            else:
                intent.year_min = intent.year_max = a
            text = _cut(text, m)
            break
    else:
        m = DECADE.search(text)
        if m:
            century = int(m.group(1) or 0) * 100 or (2000 if m.group(2) in "012" else 1900)
            intent.year_min = century + int(m.group(2)) * 10
            intent.year_max = intent.year_min + 9
        for word, start in DECADE_WORDS.items():
            if re.search(rf"\b{word}\b", text):
                intent.year_min, intent.year_max = start, start + 9
    tokens = re.findall(r"[\w&'-]+", text)
    words: list[str] = []
    for i, tok in enumerate(tokens):
        pair = f"{tok} {tokens[i + 1]}" if i + 1 < len(tokens) else ""
        if pair in GENRES:
            intent.genres.append(pair)
        elif tok in GENRES:
            intent.genres.append(tok)
        word_kind = next((k for k, ws in KIND_WORDS.items() if tok in ws), None)
        if word_kind and intent.kind in (None, word_kind):
            intent.kind = word_kind
            intent.kind_words.append(tok)
            continue
        asked: dict[str, tuple[float | None, float | None]] = {}
        if tok in FAST:
            asked = {"tempo": (118.0, None), "energy": (0.55, None)}
        elif tok in CALM:
            asked = {"tempo": (None, 105.0), "energy": (None, 0.45)}
        elif tok in HAPPY:
            asked = {"valence": (0.55, None)}
        elif tok in SAD:
            asked = {"valence": (None, 0.45)}
        if asked:
            intent.features.update(asked)
            intent.feature_asked.update(dict.fromkeys(asked, tok))
            intent.feature_words.append(tok)
        if tok in SHORT:
            intent.duration_max = 240.0 if intent.kind != "video" else 600.0
            continue
        if tok in LONG:
            intent.duration_min = 420.0 if intent.kind != "video" else 3600.0
        if tok not in STOPWORDS:
            words.append(tok)
    intent.words = words
    intent.free_text = " ".join(words)
    if intent.kind == "video" and intent.duration_max == 240.0:
        intent.duration_max = 600.0
    return intent


def parse(query: str, parser: QueryParser | None = None) -> Intent:
    """Parse with `parser` (e.g. an LLM-backed one) when given, falling back to the rules on any error."""
    if parser is not None:
        try:
            intent = parser(query)
            if isinstance(intent, Intent):
                return intent
        except Exception:  # noqa: BLE001 - a model parser must never break search
            pass
    return parse_rules(query)


def opposed_words(intent: Intent) -> set[str]:
    """The mood words opposite to the ones the query used ("calm" -> "energetic", "upbeat", ...)."""
    said = set(intent.feature_words)
    out: set[str] = set()
    for a, b in OPPOSED:
        if said & a and not said & b:
            out |= b
        if said & b and not said & a:
            out |= a
    return out
