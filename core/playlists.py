"""Smart-playlist rules (what they may say, how they read in words, how a search becomes them) and the
M3U8 writer. Pure: no SQL (core/db/playlists.py turns a validated rule set into one parameterised query).

A rule is (field, op, value): `tempo between [90, 120]`, `genre contains "jazz"`, `last_played
not_within_days 30`. A rule set matches `all` or `any` of its rules, sorted and optionally limited. Rules
are stored as JSON; every rule set is checked by `validate` before it is stored or evaluated, so the SQL
builder only ever sees known fields, known operators and values of the right type.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.atomic import write_atomically
from core.errors import UserError
from core.text import clean_text

if TYPE_CHECKING:
    from core.search.intent import Intent

# Key names as core.analysis.audio stores them; a rule accepts any spelling ("D#", "Eb", "e flat", "E♭")
# and matches both (older analyses, tags).
PITCHES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
SPELLINGS = {0: ("C", "B#"), 1: ("C#", "Db"), 2: ("D", "D"), 3: ("Eb", "D#"), 4: ("E", "Fb"), 5: ("F", "E#"),
             6: ("F#", "Gb"), 7: ("G", "G"), 8: ("Ab", "G#"), 9: ("A", "A"), 10: ("Bb", "A#"), 11: ("B", "Cb")}
_NATURAL = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
MAX_RULES = 50
MAX_LIMIT = 100_000
MAX_TEXT = 200
MAX_NAME = 200


@dataclass(frozen=True)
class Field:
    """What a rule can say about one fact of an item: its label, value type, operators and bounds."""

    label: str
    type: str  # text | choice | number | days
    ops: tuple[str, ...]
    choices: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 1e9
    unit: str = ""


FIELDS: dict[str, Field] = {
    "kind": Field("Kind", "choice", ("is", "is_not"), choices=("audio", "video")),
    "title": Field("Title", "text", ("contains", "is", "is_not", "not_contains")),
    "artist": Field("Artist", "text", ("contains", "is", "is_not", "not_contains")),
    "album": Field("Album", "text", ("contains", "is", "is_not", "not_contains")),
    "genre": Field("Genre", "text", ("contains", "is", "is_not", "not_contains")),
    "tag": Field("Tag or description", "text", ("contains", "has", "has_not")),
    "text": Field("Any words", "text", ("matches",)),
    "year": Field("Year", "number", ("is", "between", "at_least", "at_most"), low=1000, high=3000),
    "length": Field("Length", "number", ("between", "at_least", "at_most"), high=1e7, unit="s"),
    "tempo": Field("Tempo", "number", ("between", "at_least", "at_most"), low=1, high=1000, unit="BPM"),
    "energy": Field("Energy", "number", ("between", "at_least", "at_most"), high=1),
    "key": Field("Key", "choice", ("is", "is_not"), choices=PITCHES),
    "mode": Field("Mode", "choice", ("is", "is_not"), choices=("major", "minor")),
    "play_count": Field("Play count", "number", ("is", "between", "at_least", "at_most")),
    "last_played": Field("Last played", "days", ("within_days", "not_within_days", "never"), high=100_000),
    "rating": Field("Rating", "choice", ("is", "is_not"), choices=("liked", "disliked", "unrated")),
    "added": Field("Added", "days", ("within_days", "not_within_days"), high=100_000),
}
OPS = {"is": "is", "is_not": "is not", "contains": "contains", "not_contains": "does not contain",
       "has": "has", "has_not": "does not have", "matches": "matches", "between": "between",
       "at_least": "at least", "at_most": "at most", "within_days": "in the last",
       "not_within_days": "not in the last", "never": "never"}
SORTS = {"artist": "artist, album, track", "title": "title", "album": "album, track", "year": "year",
         "length": "length", "tempo": "tempo", "added": "date added", "play_count": "play count",
         "last_played": "last played", "random": "shuffled"}
CHOICE_WORDS = {"audio": "music", "video": "video"}

# What people type on the command line, and the words of older rule sets.
FIELD_ALIASES = {"duration": "length", "bpm": "tempo", "plays": "play_count", "playcount": "play_count",
                 "played": "last_played", "lastplayed": "last_played", "descriptor": "tag", "tags": "tag",
                 "words": "text", "date_added": "added", "added_at": "added", "like": "rating"}
OP_ALIASES = {"=": "is", "==": "is", "!=": "is_not", "isnt": "is_not", "not": "is_not", ">=": "at_least",
              "<=": "at_most", "min": "at_least", "max": "at_most", "~": "contains", "has_no": "has_not",
              "within": "within_days", "not_within": "not_within_days", "in_last": "within_days",
              "not_in_last": "not_within_days", "match": "matches", "range": "between"}


@dataclass(frozen=True)
class Rule:
    """One condition: `field op value` (value: text, a number, [low, high], or None for `never`)."""

    field: str
    op: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": list(self.value) if isinstance(self.value, tuple)
                else self.value}


@dataclass(frozen=True)
class SmartRules:
    """A smart playlist's rules: which items (all / any of the rules), in which order, how many."""

    rules: tuple[Rule, ...] = ()
    match: str = "all"  # all | any
    sort: str = "artist"
    descending: bool = False
    limit: int | None = None
    query: str = ""  # the search it was made from, if any (shown, never evaluated)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"match": self.match, "rules": [r.to_dict() for r in self.rules], "sort": self.sort,
                               "descending": self.descending, "limit": self.limit}
        if self.query:
            out["query"] = self.query
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    def needs(self, *fields: str) -> bool:
        """Whether a rule or the sort reads one of `fields` (the SQL joins only what it needs)."""
        return self.sort in fields or any(r.field in fields for r in self.rules)


# ----- validation ---------------------------------------------------------------------------------
def validate(value: SmartRules | dict[str, Any] | str) -> SmartRules:
    """A checked rule set from a SmartRules, its dict or its JSON; UserError says what is wrong in words."""
    if isinstance(value, SmartRules):
        value = value.to_dict()
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise UserError(f"the smart playlist's rules are not readable JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise UserError("smart playlist rules must be an object with a list of rules")
    match = value.get("match", "all")
    if match not in ("all", "any"):
        raise UserError(f"match must be 'all' or 'any', not {match!r}")
    raw = value.get("rules", [])
    if not isinstance(raw, list | tuple):
        raise UserError("'rules' must be a list of rules")
    if len(raw) > MAX_RULES:
        raise UserError(f"a smart playlist can have at most {MAX_RULES} rules, not {len(raw)}")
    rules = tuple(check_rule(r, n) for n, r in enumerate(raw, 1))
    sort = value.get("sort") or "artist"
    if sort not in SORTS:
        raise UserError(f"cannot sort by {sort!r}; choose from {', '.join(SORTS)}")
    limit = value.get("limit")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not math.isfinite(limit) \
                or int(limit) != limit or not 1 <= limit <= MAX_LIMIT:
            raise UserError(f"limit must be a whole number from 1 to {MAX_LIMIT:,}, not {limit!r}")
        limit = int(limit)
    query = value.get("query") or ""
    return SmartRules(rules=rules, match=match, sort=sort, descending=bool(value.get("descending", False)),
                      limit=limit, query=clean_text(query, MAX_TEXT) if isinstance(query, str) else "")


def check_rule(value: Rule | dict[str, Any], n: int = 1) -> Rule:
    """One checked rule (field and op names canonical, the value of the type the field needs)."""
    if isinstance(value, Rule):
        value = value.to_dict()
    if not isinstance(value, dict):
        raise UserError(f"rule {n} must be an object with field, op and value")
    name = str(value.get("field", "")).strip().lower()
    name = FIELD_ALIASES.get(name, name)
    spec = FIELDS.get(name)
    if spec is None:
        raise UserError(f"rule {n}: Encore has no field {value.get('field')!r}; choose from {', '.join(FIELDS)}")
    op = str(value.get("op", "")).strip().lower().replace(" ", "_").replace("-", "_")
    op = OP_ALIASES.get(op, op)
    if op not in spec.ops:
        raise UserError(f"rule {n}: {spec.label.lower()} can be {', '.join(OPS[o] for o in spec.ops)} "
                        f"({', '.join(spec.ops)}), not {value.get('op')!r}")
    return Rule(name, op, _check_value(spec, name, op, value.get("value"), n))


def _check_value(spec: Field, name: str, op: str, value: Any, n: int) -> Any:
    where = f"rule {n} ({spec.label.lower()} {OPS[op]})"
    if op == "never":
        return None
    if spec.type == "text":
        text = clean_text(value, MAX_TEXT) if isinstance(value, str | int | float) and not isinstance(value, bool) \
            else ""
        if not text.strip():
            raise UserError(f"{where} needs some text")
        if op == "matches" and not re.search(r"\w", text):
            raise UserError(f"{where} needs at least one word")
        return text.strip()
    if spec.type == "choice":
        text = str(value or "").strip()
        if name == "kind":
            text = {"music": "audio", "song": "audio", "songs": "audio", "videos": "video"}.get(text.lower(), text)
        if name == "key":
            text = pitch_name(text) or text
        else:
            text = text.lower()
        if text not in spec.choices:
            raise UserError(f"{where} must be one of {', '.join(spec.choices)}, not {value!r}")
        return text
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise UserError(f"{where} needs two numbers, low and high")
        low, high = (_number(v, spec, where, name) for v in value)
        return [min(low, high), max(low, high)]
    return _number(value, spec, where, name)


def _number(value: Any, spec: Field, where: str, name: str) -> float | int:
    if isinstance(value, str) and name == "length":
        value = parse_length(value)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserError(f"{where} needs a number, not {value!r}")
    if not spec.low <= value <= spec.high:
        raise UserError(f"{where}: {value:g} is outside {spec.low:g}..{spec.high:g}")
    return int(value) if spec.type == "days" or name in ("year", "play_count") or float(value).is_integer() \
        else float(value)


def pitch_name(text: str) -> str | None:
    """'c#', 'Db', 'D♭', 'e flat', 'F sharp' -> the analyser's name of that pitch ('C#', 'C#', 'C#', 'Eb',
    'F#'); None when it is not a pitch."""
    m = re.fullmatch(r"\s*([a-gA-G])\s*(#|♯|sharp|b|♭|flat)?\s*", text or "")
    if not m:
        return None
    accidental = (m.group(2) or "").lower()
    shift = 1 if accidental in ("#", "♯", "sharp") else -1 if accidental in ("b", "♭", "flat") else 0
    return PITCHES[(_NATURAL[m.group(1).lower()] + shift) % 12]


def key_spellings(name: str) -> tuple[str, str]:
    """Both names a pitch is stored under ('Eb' -> ('Eb', 'D#'))."""
    return SPELLINGS[PITCHES.index(name)]


def parse_length(text: str) -> float | str:
    """'3:30' -> 210, '4m' -> 240, '90s' -> 90, '1h' -> 3600; anything else is returned as given."""
    text = text.strip().lower()
    m = re.fullmatch(r"(?:(\d+):)?(\d+):(\d{1,2})", text)
    if m:
        return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(h|hours?|m|min|minutes?|s|sec|seconds?)", text)
    if m:
        unit = m.group(2)[0]
        return float(m.group(1)) * {"h": 3600, "m": 60, "s": 1}[unit]
    return text


def parse_rule(text: str) -> Rule:
    """A rule from the command line: 'tempo between 90 120', 'genre contains jazz', 'kind is audio',
    'last_played not_within_days 30', 'length at_most 4:00', 'rating is liked'."""
    words = text.split()
    if len(words) < 2:
        raise UserError(f"a rule is 'FIELD OP VALUE' (like 'tempo between 90 120'), not {text!r}")
    name, op, rest = words[0], words[1], words[2:]
    canonical_op = OP_ALIASES.get(op.lower(), op.lower())
    value: Any = " ".join(rest)
    if canonical_op == "between":
        value = rest if len(rest) == 2 else value
    elif canonical_op == "never":
        value = None
    return check_rule({"field": name, "op": op, "value": value})


# ----- in words -----------------------------------------------------------------------------------
def describe_rule(rule: Rule) -> str:
    """'tempo between 90 and 120 BPM', 'played at least 3 times', 'not played in the last 30 days'."""
    spec = FIELDS[rule.field]
    label = spec.label.lower()
    value = rule.value
    if rule.field == "play_count":
        if rule.op == "between":
            return f"played {value[0]:g} to {value[1]:g} times"
        if rule.op == "is" and value == 0:
            return "not played yet"
        return f"played {OPS[rule.op] + ' ' if rule.op != 'is' else ''}{value:g} time{'s' if value != 1 else ''}"
    if rule.field == "last_played":
        return "never played" if rule.op == "never" else f"{'not ' if rule.op.startswith('not') else ''}played in " \
                                                          f"the last {value} day{'s' if value != 1 else ''}"
    if rule.field == "added":
        return f"{'not ' if rule.op.startswith('not') else ''}added in the last {value} day{'s' if value != 1 else ''}"
    if rule.field == "rating":
        return {"liked": "liked", "disliked": "disliked", "unrated": "not rated"}[value] if rule.op == "is" \
            else f"not {value}"
    if rule.field == "length":
        shown = [_clock(v) for v in value] if rule.op == "between" else _clock(value)
    elif spec.type == "choice":
        shown = CHOICE_WORDS.get(value, value)
    elif spec.type == "text":
        shown = f"“{value}”"
    else:
        shown = [f"{v:g}" for v in value] if rule.op == "between" else f"{value:g}"
    unit = f" {spec.unit}" if spec.unit and spec.unit != "s" else ""
    if rule.op == "between":
        return f"{label} between {shown[0]} and {shown[1]}{unit}"
    return f"{label} {OPS[rule.op]} {shown}{unit}"


def describe(rules: SmartRules) -> str:
    """The whole rule set in one line: 'all of: kind is music, tempo at least 118 BPM; by title, first 50'."""
    if not rules.rules:
        body = "everything in the library"
    elif len(rules.rules) == 1:
        body = describe_rule(rules.rules[0])
    else:
        body = f"{rules.match} of: " + ", ".join(describe_rule(r) for r in rules.rules)
    order = SORTS[rules.sort] + (" (descending)" if rules.descending and rules.sort != "random" else "")
    return f"{body}; by {order}" + (f", first {rules.limit:,}" if rules.limit else "")


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


# ----- a search becomes rules ---------------------------------------------------------------------
KEY_IN_QUERY = re.compile(r"\b(?:in\s+)?([a-g])\s*(#|♯|sharp|b|♭|flat)?\s+(major|minor)\b", re.I)


def from_intent(intent: Intent, known_words: Callable[[list[str]], set[str]] | None = None,
                described: Callable[[list[str]], set[str]] | None = None) -> SmartRules:
    """The rules a parsed query stands for (core.search.intent): kind, genres, years, tempo / energy /
    mood, key and mode ("in C minor"), length, unplayed / favourites, artist, album, and the words left
    over as 'any words'. A mood or tempo word ("calm", "fast") becomes "tag or description contains
    calm" when `described` says the library's tags or Encore's analysis phrases use it, else the fixed
    feature ranges the search uses (tempo at most 105 BPM...). `known_words` (the library's vocabulary)
    drops left-over words that no item has, which could only empty the playlist; they are listed in
    `extra["ignored_words"]`. Editable afterwards like any other rule set."""
    from core.search.intent import CALM, DECADE_WORDS, FAST, HAPPY, LONG, SAD, SHORT

    rules: list[Rule] = []
    spent: set[str] = set(intent.feature_words) | SHORT | LONG | set(DECADE_WORDS)
    if intent.kind:
        rules.append(Rule("kind", "is", intent.kind))
    key = KEY_IN_QUERY.search(intent.query)
    if key:
        letter, accidental, mode = key.group(1).lower(), (key.group(2) or "").lower(), key.group(3).lower()
        rules += [Rule("key", "is", pitch_name(letter + accidental)), Rule("mode", "is", mode)]
        spent |= {letter, mode, accidental}
    for genre in dict.fromkeys(intent.genres):
        rules.append(Rule("genre", "contains", genre))
    if intent.year_min is not None and intent.year_min == intent.year_max:
        rules.append(Rule("year", "is", intent.year_min))
    else:
        rules += _range("year", intent.year_min, intent.year_max)
    mood_words = list(dict.fromkeys(intent.feature_words))
    in_words = described(mood_words) if described is not None and mood_words else set()
    for word in mood_words:
        if word in in_words:
            rules.append(Rule("tag", "contains", word))
    for name, (low, high) in intent.features.items():
        family = FAST | CALM if name in ("tempo", "energy") else HAPPY | SAD
        if any(w in in_words for w in mood_words if w in family):
            continue  # the library's own words say it better than a fixed range
        if name in ("tempo", "energy"):
            rules += _range(name, low, high)
        elif name == "valence":  # the search engine's own proxy: major reads brighter, minor darker
            rules.append(Rule("mode", "is", "major" if low is not None else "minor"))
    rules += _range("length", intent.duration_min, intent.duration_max)
    if intent.unplayed:
        rules.append(Rule("play_count", "is", 0))
    if intent.not_played_days:
        rules.append(Rule("last_played", "not_within_days", int(intent.not_played_days)))
    if intent.favourites:
        rules.append(Rule("rating", "is", "liked"))
    for name, text in (("artist", intent.artist), ("album", intent.album)):
        if text:
            rules.append(Rule(name, "contains", text))
            spent |= set(re.findall(r"[\w&'-]+", text.lower()))
    for genre in intent.genres:
        spent |= set(genre.split())
    words = list(dict.fromkeys(w for w in intent.words if w not in spent
                               and not re.fullmatch(r"(?:19|20)?\d0'?s", w)))
    ignored: list[str] = []
    if words and known_words is not None:
        known = known_words(words)
        ignored = [w for w in words if w not in known]
        words = [w for w in words if w in known]
    if words:
        rules.append(Rule("text", "matches", " ".join(words)))
    checked = validate(SmartRules(rules=tuple(rules), query=intent.query))
    return SmartRules(rules=checked.rules, match=checked.match, sort=checked.sort, query=checked.query,
                      extra={"ignored_words": ignored} if ignored else {})


def _range(name: str, low: float | None, high: float | None) -> list[Rule]:
    if low is not None and high is not None:
        return [Rule(name, "between", [low, high])]
    if low is not None:
        return [Rule(name, "at_least", low)]
    if high is not None:
        return [Rule(name, "at_most", high)]
    return []


# ----- names --------------------------------------------------------------------------------------
def check_name(name: Any) -> str:
    """A playlist name: one line of text, not empty, at most MAX_NAME characters."""
    text = clean_text(name, MAX_NAME) if isinstance(name, str) else ""
    text = " ".join(text.split())
    if not text:
        raise UserError("a playlist needs a name")
    return text


def unique_name(wanted: str, taken: Iterable[str]) -> str:
    """`wanted`, or 'wanted 2', 'wanted 3'... when a playlist of that name exists."""
    taken_folded = {t.casefold() for t in taken}
    if wanted.casefold() not in taken_folded:
        return wanted
    n = 2
    while f"{wanted} {n}".casefold() in taken_folded:
        n += 1
    return f"{wanted} {n}"


# ----- M3U8 export --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One playlist entry to export."""

    path: str
    duration: float | None
    artist: str
    title: str


def m3u8_lines(entries: Sequence[Entry], target: Path, relative: bool) -> tuple[list[str], list[str]]:
    """The lines of an extended M3U (UTF-8) and the paths left out (a path with a line break cannot be
    written in M3U). Relative paths are relative to the playlist file's folder (absolute where no
    relative path exists, e.g. another drive)."""
    lines, left_out = ["#EXTM3U"], []
    base = os.path.dirname(os.path.abspath(target))
    for e in entries:
        if "\n" in e.path or "\r" in e.path:
            left_out.append(e.path)
            continue
        path = e.path
        if relative:
            try:
                path = os.path.relpath(e.path, base)
            except ValueError:
                path = e.path
        who = " ".join(clean_text(e.artist, 300).split())
        what = " ".join(clean_text(e.title, 300).split()) or Path(e.path).stem
        seconds = int(round(e.duration)) if e.duration and math.isfinite(e.duration) else -1
        lines.append(f"#EXTINF:{seconds},{who + ' - ' if who else ''}{what}")
        lines.append(path)
    return lines, left_out


def write_m3u8(entries: Sequence[Entry], target: str | os.PathLike, relative: bool = False) -> dict[str, Any]:
    """Write the playlist file (atomically: a temporary file renamed over the target); returns
    {"path", "entries", "left_out"}."""
    path = Path(target).expanduser()
    if path.is_dir():
        raise UserError(f"{path} is a folder: give a file name for the playlist, like {path / 'playlist.m3u8'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"no such folder: {path.parent}")
    lines, left_out = m3u8_lines(entries, path, relative)
    write_atomically(path, "\n".join(lines) + "\n")
    return {"path": str(path), "entries": len(entries) - len(left_out), "left_out": left_out}
