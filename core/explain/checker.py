"""Grounding check: accept LLM text only if every word it uses is supported by the evidence.

Rules (any failure -> the template is shown):
1. Names: every title/artist/album the text mentions must be one of the evidence names, whole.
   Names are masked out first; a name's words found outside a whole name are rejected, so text from
   a hostile title cannot be spliced into a new sentence.
2. Every remaining word is either a function/connective word, a word whose claim is gated by a
   reason kind that is present ("together" needs co_played, "never" needs fresh, "tempo" needs a
   tempo feature...), or a non-name evidence word (genre, descriptors, shared words, query words).
3. Every number (digits or number words) is in the evidence.
4. Not degenerate: no first person, refusals, apologies, questions, markup or loops; 4-45 words,
   at most two sentences; it must say something about the strongest reason.
5. Tag values (genre, tag words) are the file's data: in “quotes” each must be one whole value of
   the evidence; unquoted, only one-word values pass (a genre "files were deleted" can never be
   spliced in as Encore's own sentence, "It is a files were deleted track").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from core.explain.evidence import Evidence
from core.text import clean_text, normalize_key

FUNCTION_WORDS = set("""
a an the and or also too as of to in on at by for with from it its this that these those is are was
were be been has have had both which so because since plus than more very just quite much here there
picked chosen recommended suggested pick choice reason why fits fit matches match matching shares share
sharing same similar similarly like alike close closely much your you you've you're has similar with
another other each either similarity well into over ones heres its lot lots bit little library collection
youve youre they them their
""".split())
# Words that assert something only some reason kinds support.
GATED: dict[str, set[str]] = {}
for _words, _kinds in (
    ("played play plays playing listened listen heard hear times time often watched watch", {
        "because_you_played", "co_played", "popular_with_you", "not_played_lately", "fresh", "liked"}),
    ("together alongside along sessions session", {"co_played"}),
    ("sounds sound sounding", {"similar_sound"}),
    ("looks look looking visually visual", {"similar_look"}),
    ("described description tagged tags", {"similar_text", "matches_query"}),
    ("search searched query asked", {"searched"}),  # a matches_query reason with a query: someone searched
    ("liked love loved favourite favorite enjoyed", {"liked"}),
    ("havent hasnt not days since lately while recently ago", {"not_played_lately"}),
    ("never new fresh unplayed yet not havent heard", {"fresh"}),
    ("artist artists by music", {"same_artist", "liked"}),
):
    for _w in _words.split():
        GATED.setdefault(_w, set()).update(_kinds)
FEATURE_WORDS = {"bpm": "tempo", "tempo": "tempo", "pace": "tempo", "key": "key", "related": "key"}
KEY_NAME = re.compile(r"\b([A-G](?:-sharp|-flat|#|b)?) (major|minor)\b")
KIND_WORDS = {"audio": {"track", "tracks", "song", "songs", "tune", "piece", "music", "listen"},
              "video": {"film", "films", "movie", "movies", "video", "clip", "watch", "watched"}}
NUMBER_WORDS = {"once": 1, "twice": 2, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12,
                "twenty": 20, "thirty": 30, "hundred": 100, "thrice": 3}
FIRST_PERSON = {"i", "me", "my", "mine", "we", "us", "our", "im", "ill", "ive", "id", "lets"}
DEGENERATE = re.compile(r"\b(?:sorry|apolog\w*|cannot|cant|unable|as an ai|language model|assistant|"
                        r"instructions?|prompts?|system|users?|ai)\b")  # on words, names taken out
MARKUP = re.compile(r"http|www\.|<\||\|>|```")
BAD_CHARS = re.compile(r"[?#<>\[\]{}|\\=_~^@$\n]")
QUOTED = re.compile("\u201c([^\u201c\u201d]*)\u201d")
WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|\d+(?:[.,]\d+)?%?")
MIN_WORDS, MAX_WORDS = 4, 45
ID_KEYS = {"item", "to", "with", "id", "seed"}


def _key(text: str) -> str:
    """normalize_key with apostrophes dropped first ("haven't" -> "havent", "it's" -> "its")."""
    return normalize_key(re.sub("['\u2019\u02bc`]", "", text))


@dataclass
class Verdict:
    """The checker's answer: ok, and why not."""

    ok: bool
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok


class Grounding:
    """The vocabulary one Evidence allows; check() and check_prefix() test text against it."""

    def __init__(self, ev: Evidence) -> None:
        self.ev = ev
        kinds = {r.kind for r in ev.top_reasons()}
        if any(r.kind == "matches_query" and r.detail.get("query") for r in ev.top_reasons()):
            kinds.add("searched")
        self.kinds = kinds
        names = sorted(ev.names(), key=len, reverse=True)
        if any(r.kind == "matches_query" and r.detail.get("query") for r in ev.reasons):
            names += [r.detail["query"] for r in ev.reasons if r.kind == "matches_query" and r.detail.get("query")]
        self.name_keys = [k for k in dict.fromkeys(_key(n) for n in names) if k]
        self.raw_names = [n for n in names if n]
        self.name_words = {w for k in self.name_keys for w in k.split()}
        words: set[str] = set()
        numbers: set[float] = set()
        features: set[str] = set()
        genres = [g for g in str(ev.facts.get("genre") or "").split(" / ") if g]
        shared = [str(w) for r in ev.reasons for k, v in r.detail.items()
                  if k == "shared" or (k == "words" and "video" in r.detail) for w in v]  # tag values
        # tag values: quoted, any whole value; unquoted, only the one-word ones
        self.tag_keys = {k: i for i, k in enumerate(dict.fromkeys(
            _key(v) for v in (*genres, *shared, *ev.descriptors)), 1) if k}
        for value in (*genres, *shared):
            if len(_key(value).split()) == 1:
                words.update(_tokens(value))
        if genres:
            words.update({"genre", "genres"})
        for value in ev.descriptors:  # the analysers' words: Encore's own
            words.update(_tokens(str(value or "")))
        if ev.facts.get("year"):
            numbers.add(float(ev.facts["year"]))
        for r in ev.reasons:
            for key, value in r.detail.items():
                if key == "words" and "video" not in r.detail:  # the user's own search words
                    for w in value:
                        words.update(_tokens(w))
                elif key in ("shared", "words"):
                    continue  # tag values: above
                elif key == "features":
                    for fname, vals in value.items():
                        features.add(fname)
                        words.update(_tokens(fname))
                        for v in vals:
                            if isinstance(v, int | float):
                                numbers.update(_number_forms(float(v)))
                            else:
                                words.update(_tokens(str(v)))
                elif key in ID_KEYS or isinstance(value, bool) or not isinstance(value, int | float):
                    continue  # item ids are not numbers a reader should ever see
                elif key == "similarity":
                    if 0 < value <= 1:
                        numbers.add(float(round(value * 100)))
                else:
                    numbers.update(_number_forms(float(value)))
        if any(r.detail.get("video_title") for r in ev.reasons):
            words.add("video")  # "like the video X" (music that fits a video)
        self.keys = {str(v) for r in ev.reasons for vals in (r.detail.get("features") or {}).values()
                     if isinstance(vals, list | tuple) for v in vals if isinstance(v, str)}
        self.keys |= {d[0].upper() + d[1:] for d in ev.descriptors if KEY_NAME.fullmatch(d[0].upper() + d[1:])}
        self.words = words
        self.numbers = numbers
        self.features = features
        self.kind_words = KIND_WORDS.get(ev.kind, set())
        self.anchors = self._anchors()

    def _anchors(self) -> set[str]:
        """Words that show the text speaks about the strongest reason."""
        top = self.ev.top_reasons()[:1]
        if not top:
            return set()
        r = top[0]
        out = {w for w, ks in GATED.items() if r.kind in ks}
        for value in r.detail.values():
            if isinstance(value, str):
                out.update(_key(value).split())
            elif isinstance(value, list):
                for v in value:
                    out.update(_tokens(str(v)))
                    if _key(str(v)) in self.tag_keys:
                        out.add(f"\u0002{self.tag_keys[_key(str(v))]}")
            elif isinstance(value, dict):
                out.update(_tokens(" ".join(value)))
        return out - FUNCTION_WORDS

    # ----- the rules --------------------------------------------------------------------------
    def _mask_names(self, text: str) -> tuple[str, bool]:
        """Replace whole evidence names (and quoted tag values) by placeholders; report whether any
        name was found. A quoted text that is not a tag value stays words (and fails as words)."""
        parts = QUOTED.split(text.replace("*", " "))
        for n in range(1, len(parts), 2):  # odd parts: what was in quotes
            key = _key(parts[n])
            parts[n] = f"\u0002{self.tag_keys[key]}" if key in self.tag_keys else key
        masked = " " + " ".join(p if n % 2 else _key(p) for n, p in enumerate(parts)) + " "
        masked = re.sub(r" (this|that|another|same) one(?= )", r" \1", masked)  # a pronoun, not a count
        found = False
        for i, key in enumerate(self.name_keys):
            pattern = " " + key + " "
            if pattern in masked:
                masked = masked.replace(pattern, f" \u0001{i} ")
                found = True
        return masked, found

    def _word_problem(self, word: str) -> str | None:
        w = word.lower().replace("\u2019", "'")
        if w in FIRST_PERSON:
            return f"speaks as itself ({word!r})"
        if w[0].isdigit():
            if w in self.words:  # "80s", "2000s" as tags
                return None
            digits = re.match(r"\d+(?:\.\d+)?", w.replace(",", ""))
            value = float(digits.group()) if digits else -1.0
            ok = value in self.numbers and digits and digits.group() == w.rstrip("%").replace(",", "")
            return None if ok else f"number {word!r} is not in the evidence"
        if w in NUMBER_WORDS:
            return None if float(NUMBER_WORDS[w]) in self.numbers else f"number word {word!r} not in evidence"
        stem = w[:-2] if w.endswith("'s") else w
        if stem in FUNCTION_WORDS or w in FUNCTION_WORDS or stem in self.kind_words:
            return None
        if stem in GATED:
            return None if GATED[stem] & self.kinds else f"{word!r} claims a reason that is not given"
        if stem in FEATURE_WORDS:
            return None if FEATURE_WORDS[stem] in self.features else f"{word!r}: no such feature in evidence"
        if stem in self.words or stem.rstrip("s") in self.words or stem + "s" in self.words:
            return None
        if stem in self.name_words:
            return f"{word!r} is part of a name but not the whole name"
        return f"{word!r} is not in the evidence"

    def _strip_names(self, text: str) -> str:
        """The raw text without the evidence names (a title may contain "?", "!" or "System")."""
        for name in self.raw_names:
            text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
        return text

    def _open_name(self, tokens: list[str]) -> int:
        """How many trailing tokens could be the start of a name not yet finished."""
        for n in range(min(len(tokens), 12), 0, -1):
            start = " ".join(tokens[-n:]) + " "
            if any(key.startswith(start) for key in self.name_keys):
                return n
        return 0

    def check_prefix(self, text: str) -> Verdict:
        """The rules that can be decided on unfinished text (for streaming: stop as soon as it fails)."""
        problems: list[str] = []
        if MARKUP.search(text):
            problems.append("markup")
        if text.count("*") % 2:  # a marked name is still being written: judge only what precedes it
            text = text[: text.rfind("*")]
        if text.count("\u201c") > text.count("\u201d"):  # so is a quoted tag value
            text = text[: text.rfind("\u201c")]
        if BAD_CHARS.search(self._strip_names(text)):
            problems.append("markup or a question")
        masked, _ = self._mask_names(text)
        tokens = masked.split()
        if not re.search(r"[\s.,;:!)]$", text):
            tokens = tokens[:-1]  # the last word may be unfinished
        tokens = tokens[: len(tokens) - self._open_name(tokens)]
        tokens = [t for t in tokens if not t.startswith(("\u0001", "\u0002"))]
        if DEGENERATE.search(" ".join(tokens)):
            problems.append("refusal or chatter")
        for token in tokens:
            problem = self._word_problem(token)
            if problem:
                problems.append(problem)
                break
        if _loops(masked.split()):
            problems.append("repeats itself")
        if len(text.split()) > MAX_WORDS:
            problems.append("too long")
        return Verdict(not problems, problems)

    def check(self, text: str) -> Verdict:
        """The full check of a finished answer."""
        text = clean_text(text, max_chars=2000).strip()
        verdict = self.check_prefix(text + " ")
        problems = list(verdict.problems)
        words = text.split()
        if len(words) < MIN_WORDS:
            problems.append("too short")
        sentences = [s for s in re.split(r"[.!]+(?:\s|$)", self._strip_names(text)) if s.strip(" *")]
        if len(sentences) > 2:
            problems.append("more than two sentences")
        if text.count("*") % 2:
            problems.append("unbalanced name marks")
        for quoted in re.findall(r"\*([^*]+)\*", text):
            if _key(quoted) not in self.name_keys:
                problems.append(f"*{quoted[:40]}* is not a name in the evidence")
        if text.count("\u201c") != text.count("\u201d"):
            problems.append("unbalanced quotes")
        for key in KEY_NAME.finditer(self._strip_names(text)):  # C-sharp is not C: a key is said whole
            if key.group(0) not in self.keys:
                problems.append(f"the key {key.group(0)!r} is not in the evidence")
        for value in QUOTED.findall(text):
            if _key(value) not in self.tag_keys:
                problems.append(f"\u201c{value[:40]}\u201d is not a tag value in the evidence")
        masked, found_name = self._mask_names(text)
        if self.anchors and not found_name and not (set(masked.split()) & self.anchors):
            problems.append("does not mention the main reason")
        if found_name and self.anchors and not (set(masked.split()) & self.anchors) and not self._names_top():
            problems.append("does not mention the main reason")
        return Verdict(not problems, problems)

    def _names_top(self) -> bool:
        """Whether the strongest reason carries a name (then mentioning it counts as covering it)."""
        top = self.ev.top_reasons()[:1]
        return bool(top) and any(k in top[0].detail for k in ("title", "with_title", "to_title", "artist"))


def _tokens(text: str) -> set[str]:
    return {t.lower() for t in WORD.findall(_key(text))}


def _number_forms(value: float) -> set[float]:
    if not math.isfinite(value):
        return set()
    return {value, float(round(value)), round(value, 1)}


def _loops(words: list[str], n: int = 3) -> bool:
    """A repeated n-gram of words (a loop) or one word four times."""
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)
             if any(w not in FUNCTION_WORDS for w in words[i:i + n])]  # "it is a" twice is not a loop
    if len(grams) != len(set(grams)):
        return True
    counts: dict[str, int] = {}
    for w in words:
        if w not in ("and", "the", "a", "it", "you"):
            counts[w] = counts.get(w, 0) + 1
    return any(c >= 4 for c in counts.values())


def check(text: str, ev: Evidence) -> Verdict:
    """Accept `text` as an explanation of `ev`? (see the module docstring for the rules)."""
    return Grounding(ev).check(text)
