"""Template explanations: natural, varied sentences built only from the evidence.

Each reason kind has a few clause phrasings (each one grammatical after "because"). A sentence is an
opener, the strongest reason's clause and up to two more. The same clauses are the slots of the
constrained-decoding grammar (`grammar.py`), so the LLM path can never say more than a template could.
"""

from __future__ import annotations

import hashlib
from typing import Any

from core.explain.evidence import NAME_KEYS, Evidence
from core.models import Reason

OPENERS = ("Because ", "Picked because ", "Here because ", "Chosen because ")
JOINERS = (", and ", "; ", ", and ")
NUMBER_WORDS = {2: "twice"}
OFTEN = 3  # sessions together before "often" (core/explain/truth.OFTEN)


def name(text: str) -> str:
    """A title/artist as explanations write it: as it is, with no *markup* (the same text in a terminal
    and in the window; the checker finds names without marks)."""
    return text


def quoted(text: str) -> str:
    """A tag value (genre, tag word) as the file's data, in quotes: never spliced in as Encore's own
    words (a genre "files were deleted" must not read "it is a files were deleted track")."""
    return f"\u201c{text}\u201d"


def times(count: Any) -> str:
    n = _int(count)
    if n is None or n <= 0:
        return ""
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _int(value: Any) -> int | None:
    try:
        return int(round(float(value)))
    except (TypeError, ValueError):
        return None


def _num(value: Any) -> str:
    number = float(value)
    return str(int(round(number))) if abs(number - round(number)) < 0.05 or abs(number) >= 20 else f"{number:.1f}"


def _list(words: list[str]) -> str:
    words = [w for w in words if w]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def feature_phrases(features: dict[str, Any]) -> list[str]:
    """{"tempo": [128, 130], "key": ["A minor", "A minor"]} -> ["a similar tempo (128 and 130 BPM)", ...]."""
    out = []
    for feature, values in list((features or {}).items())[:3]:
        vals = list(values) if isinstance(values, list | tuple) else [values]
        label = str(feature).replace("_", " ")
        nums = [v for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
        unit = " BPM" if label in ("tempo", "bpm") else ""
        label = "tempo" if label == "bpm" else label
        if len(nums) == 2:
            a, b = _num(nums[0]), _num(nums[1])
            out.append(f"the same {label} ({a}{unit})" if a == b else f"a similar {label} ({a} and {b}{unit})")
        else:  # keys: the same one, or two related ones (relative major/minor, a fifth apart)
            words = [str(v) for v in vals if str(v)]
            if len(words) == 2 and words[0] == words[1]:
                out.append(f"the same {label} ({words[0]})")
            elif len(words) == 2:
                out.append(f"a related {label} ({words[0]} and {words[1]})")
    return out


def sound_clause(ev: Evidence) -> str:
    """ "it sounds like jazz, with piano" from the item's own tagger phrases (Evidence.sounds_like), or ""."""
    genres, parts = ev.sounds_like("genre"), ev.sounds_like("instrument") + ev.sounds_like("voice")
    if genres:
        return f"it sounds like {_list(genres)}" + (f", with {_list(parts[:2])}" if parts else "")
    return f"it has {_list(parts[:2])}" if parts else ""


def clauses(reason: Reason, ev: Evidence, mentioned: set[str] | None = None) -> list[str]:
    """Phrasings of one reason, each grammatical after "because"; [] for kinds not worth saying.
    A name already in `mentioned` is not repeated (a second mention reads as a loop)."""
    d = reason.detail
    mentioned = mentioned or set()
    thing = "film" if ev.kind == "video" else "track"
    played = "watched" if ev.kind == "video" else "played"
    verb_now = "watch" if ev.kind == "video" else "play"
    other = d.get("title") or d.get("with_title") or d.get("to_title") or ""
    k = reason.kind
    if k == "because_you_played":
        if not other:
            return []
        t = times(d.get("plays"))
        return [f"you {played} {name(other)} {t}".strip(), f"you have {played} {name(other)} {t}".strip()]
    if k == "co_played":  # count: this profile's listening sessions that held both (core/explain/truth.py)
        t = times(d.get("count"))
        if not other or not t:
            return []
        often = (_int(d.get("count")) or 0) >= OFTEN
        if other in mentioned:
            return ([f"you often {verb_now} them together"] if often else []) + [f"they were {played} together {t}"]
        return ([f"you often {verb_now} it with {name(other)}"] if often else []) + [
            f"it was {played} together with {name(other)} {t}"]
    if k == "same_playlist":
        return [f"it is in a playlist with {name(other)}"] if other else []
    if k in ("similar_sound", "similar_look"):
        verb = "sounds" if k == "similar_sound" else "looks"
        feats = feature_phrases(d.get("features") or {})
        if other in mentioned:
            return [f"it has {_list(feats)}", f"it also has {_list(feats)}"] if feats else [f"it {verb} alike"]
        base = [f"it {verb} like {name(other)}"] if other else [f"it {verb} like what you play"]
        if feats:
            return [f"{base[0]}, with {_list(feats)}", f"it has {_list(feats)}" + (f", like {name(other)}" if other else "")]
        heard = sound_clause(ev) if k == "similar_sound" else ""
        return base + ([f"{heard}, close to {name(other)}"] if heard and other else [])
    if k == "similar_text":
        shared = d.get("shared") or []
        if not shared:  # nothing both carry: no words to say it in
            return []
        shared_list = _list([quoted(w) for w in shared[:4]])
        if other and other not in mentioned:
            return [f"like {name(other)}, it is tagged {shared_list}",
                    f"it is tagged {shared_list}, like {name(other)}"]
        return [f"it is tagged {shared_list}", f"it is also tagged {shared_list}"]
    if k == "matches_query" and d.get("video_title"):  # music that fits a video: nobody searched
        video = d["video_title"]
        tagged = _list([quoted(w) for w in (d.get("words") or [])[:4]])
        if tagged:
            return [f"like the video {name(video)}, it is tagged {tagged}",
                    f"it is tagged {tagged}, like the video {name(video)}"]
        return []
    if k == "matches_query":
        words = d.get("words") or []
        if words:
            return [f"it matches your search for {_list(words[:4])}", f"your search for {_list(words[:4])} fits it"]
        query = d.get("query") or ""
        return [f"it matches your search for {name(query)}"] if query else []
    if k == "liked":
        title = d.get("title") or ""
        if d.get("artist"):
            return [f"you liked {name(d['artist'])}", f"you liked music by {name(d['artist'])}"]
        if title and title != ev.facts.get("title"):
            return [f"you liked {name(title)}"]
        return ["you liked it", f"you liked this {thing}"]
    if k == "popular_with_you":
        t = times(d.get("plays"))
        if not t:
            return ["you play it often"]
        return [f"you have {played} it {t}"] + ([f"it has {_int(d.get('plays'))} plays from you"] if t.endswith("s") else [])
    if k == "not_played_lately":
        days = _int(d.get("days"))
        if days and days > 1:
            return [f"you haven't {played} it in {days} days", f"it has been {days} days since you {played} it"]
        return [f"you haven't {played} it lately"]
    if k == "same_artist":
        artist = d.get("artist") or ev.facts.get("artist") or ""
        return [f"it is by {name(artist)} too", f"it is another {thing} by {name(artist)}"] if artist else []
    if k == "fresh":
        return [f"you have never {played} it", f"it is a {thing} you have not {played} yet"]
    return []


def variant(ev: Evidence, salt: str = "") -> int:
    """A stable per-item choice so a list of explanations does not repeat one phrasing."""
    return int(hashlib.sha1(f"{ev.item_id}|{ev.digest()}|{salt}".encode()).hexdigest()[:8], 16)


def reason_clauses(ev: Evidence) -> list[list[str]]:
    """Clause variants of each reason worth saying, strongest first (at most three)."""
    out: list[list[str]] = []
    mentioned: set[str] = set()
    for reason in ev.top_reasons():
        # "they" / "it also has" only when one name was said before: with two, a reader cannot tell which
        options = clauses(reason, ev, mentioned if len(mentioned) == 1 else set())
        if options and options not in out:
            out.append(options)
            mentioned.update(str(v) for k, v in reason.detail.items() if isinstance(v, str) and v and k in NAME_KEYS)
    if len(out) < 2:  # a thin reason set: add what the item is, so the sentence says something
        facts = fact_clauses(ev)
        if facts:
            out.append(facts)
    return out[:3]


def fact_clauses(ev: Evidence) -> list[str]:
    """What the item is ("it is a film from 2019, genre “documentary”"), from its facts only."""
    f = ev.facts
    thing = "film" if ev.kind == "video" else "track"
    genre = (f.get("genre") or "").split(" / ")[0]
    if not genre and not f.get("year") and not f.get("artist"):
        return []
    by = f" by {name(f['artist'])}" if f.get("artist") and f.get("artist") != f.get("title") else ""
    year = f" from {f['year']}" if f.get("year") else ""
    tagged = f", genre {quoted(genre)}" if genre else ""  # the file's word, quoted
    return [f"it is a {thing}{by}{year}{tagged}"]


def sentence(opener: str, chosen: list[str], joiner: str = ", and ") -> str:
    """Opener + first clause; further clauses form a second sentence."""
    text = opener + chosen[0] + "."
    if len(chosen) > 1:
        rest = chosen[1] if len(chosen) == 2 else chosen[1] + joiner + chosen[2]
        text += " " + rest[0].upper() + rest[1:] + "."
    return text


def fallback_sentence(ev: Evidence) -> str:
    """When there is no reason to give: say what it is."""
    f = ev.facts
    thing = "film" if ev.kind == "video" else "track"
    parts = [f"{name(f['title'])}" if f.get("title") else f"This {thing}"]
    if f.get("artist"):
        parts.append(f"by {name(f['artist'])}")
    genre = "genre " + " / ".join(quoted(g) for g in f["genre"].split(" / ")) if f.get("genre") else ""
    extra = [w for w in (genre, *ev.descriptors[:2]) if w]
    tail = f": {_list(extra)}" if extra else ""
    return f"From your library: {' '.join(parts)}{tail}."


def template_choice(ev: Evidence) -> tuple[str, list[str], str]:
    """(opener, clauses, joiner) of the template sentence: the first phrasing that reads cleanly (no
    repeated words); the constrained LLM path starts with the same opener, so its text can never differ
    from the template's by the opener alone."""
    groups = reason_clauses(ev)
    from core.explain.checker import Grounding

    grounding = Grounding(ev)
    choice = (OPENERS[0], [g[0] for g in groups], JOINERS[0])
    for attempt in range(12):
        pick = variant(ev, str(attempt) if attempt else "")
        choice = (OPENERS[pick % len(OPENERS)], [g[(pick >> (3 * i)) % len(g)] for i, g in enumerate(groups)],
                  JOINERS[(pick >> 9) % len(JOINERS)])
        if not groups or grounding.check(sentence(*choice)).ok:
            break
    return choice


def template_explanation(ev: Evidence) -> str:
    """One or two natural sentences from the evidence (deterministic, varied across items)."""
    if not reason_clauses(ev):
        return fallback_sentence(ev)
    return sentence(*template_choice(ev))
