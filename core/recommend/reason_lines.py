"""Short, human reason lines (cards, search hits, the CLI), built from Reason objects (no LLM).

The one set of lines for the window and the terminal: plain words ("Similar tempo and key to Sad",
"You often play it with Sad", "calm, piano, like Sad"), never a feature name ("valence", "energy"), a
count in jargon ("(1×)") or markup. Each line says only what its Reason holds (core/explain/truth.py
states what each kind means)."""

from __future__ import annotations

from collections.abc import Iterable

from core.models import Reason

OFTEN = 3  # listening sessions together before "often" (as core/explain/truth.OFTEN)

_FEATURE_WORDS = {"tempo": "tempo", "key": "key", "energy": "energy", "brightness": "brightness",
                  "loudness": "loudness", "cuts": "pace of cuts", "colour": "colours", "color": "colours"}


def reason_line(reason: Reason) -> str:
    """One reason in a few words, e.g. "Because you played Dawn Chorus"."""
    d = reason.detail
    kind = reason.kind
    if kind == "because_you_played":
        return f"Because you played {d.get('title') or 'a track you like'}"
    if kind == "co_played":  # count: listening sessions that held both
        n, other = _count(d.get("count")), d.get("with_title") or "your picks"
        if n >= OFTEN:
            return f"You often play it with {other}"
        return f"Played in the same session as {other}" + (" twice" if n == 2 else "")
    if kind == "same_playlist":
        return f"In a playlist with {d.get('with_title') or 'your picks'}"
    if kind in ("similar_sound", "similar_look"):
        other = d.get("to_title") or "your pick"
        feats = [_FEATURE_WORDS.get(f, f.replace("_", " ")) for f in (d.get("features") or {})][:2]
        if feats:
            return f"Similar {' and '.join(feats)} to {other}"
        return f"{'Sounds' if kind == 'similar_sound' else 'Looks'} like {other}"
    if kind == "similar_text":
        shared = [_phrase(w) for w in (d.get("shared") or [])][:3]
        other = d.get("to_title") or "your pick"
        return f"{', '.join(shared)}, like {other}" if shared else f"Described like {other}"
    if kind == "matches_query" and d.get("video_title"):  # music that fits a video (nobody searched)
        words = [_phrase(w) for w in (d.get("words") or [])][:3]
        return f"Fits {d['video_title']}" + (f": {', '.join(words)}" if words else "")
    if kind == "matches_query":
        words = [str(w) for w in (d.get("words") or [])][:4]
        if words:
            typed = d.get("corrected") or {}  # a typo searched as the library's word: say what was typed
            return "Matches " + ", ".join(f"“{w}” (you typed “{typed[w]}”)" if w in typed else f"“{w}”"
                                          for w in words)
        features = d.get("features") or {}
        if isinstance(features, dict) and features:
            asked = d.get("asked")
            asked = asked if isinstance(asked, dict) else {}
            # "Slow (90 BPM) and quiet, for “calm”; in a minor key, for “sad”": what was measured, grouped by
            # the word of the query it answers ("as you asked" where that word is not known)
            groups: dict[str, list[str]] = {}
            for f, v in list(features.items())[:3]:
                if fit := _feature_fit(f, v):
                    groups.setdefault(str(asked.get(f) or ""), []).append(fit)
            if groups:
                line = "; ".join(" and ".join(fits) + (f", for “{word}”" if word else ", as you asked")
                                 for word, fits in groups.items())
                return line[0].upper() + line[1:]
        related = [str(w) for w in (d.get("related_terms") or [])][:3]
        if related:  # words of the library near the query (by meaning) that this item's title, tags or descriptions hold
            return "Found by your search through " + ", ".join(f"“{w}”" for w in related)
        if d.get("similarity") is not None:
            return "Close in meaning to “" + str(d.get("query", "your search"))[:40] + "”"
        return "Matches your search"
    if kind == "liked":
        return f"You liked {d.get('title') or 'this'}"
    if kind == "popular_with_you":
        return f"You played it {d.get('plays', 'many')} times"
    if kind == "not_played_lately":
        return f"Not played for {d.get('days', 'a few')} days"
    if kind == "same_artist":
        return f"More from {d.get('artist') or 'this artist'}"
    if kind == "recently_added":
        return "Added recently"
    if kind == "fresh":
        return "You have not played it yet"
    if kind == "skip_penalty":  # this item's own skips
        n = _count(d.get("count"))
        return "You skipped it " + ("once" if n == 1 else "twice" if n == 2 else f"{n} times" if n else "before")
    if kind == "disliked":
        return "You disliked something similar"
    return kind.replace("_", " ").capitalize()


def _phrase(word: object) -> str:
    """One word of a list; a phrase with its own comma ("dark, mellow") in quotes, so the list reads right."""
    text = str(word)
    return f"\u201c{text}\u201d" if "," in text else text


def _count(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _feature_fit(feature: str, value: object) -> str:
    """What a search's feature range matched, in words (the ranges are core/search/intent.py's: fast
    from 118 BPM, calm under 105; energy is loudness-based; "valence" is the mode, major or minor)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    if feature == "tempo":
        return f"fast ({round(value)} BPM)" if value >= 118 else f"slow ({round(value)} BPM)" if value <= 105 \
            else f"{round(value)} BPM"
    if feature == "energy":
        return "energetic" if value >= 0.55 else "quiet" if value <= 0.45 else ""
    if feature == "valence":
        return "in a major key" if value >= 0.55 else "in a minor key" if value <= 0.45 else ""
    return ""


def short_reason(reasons: Iterable[Reason]) -> str:
    """The strongest positive reason as one line ("" when there is none)."""
    positive = sorted((r for r in reasons if r.weight > 0), key=lambda r: -r.weight)
    return reason_line(positive[0]) if positive else ""


def all_reasons(reasons: Iterable[Reason]) -> str:
    """Every reason, strongest first, one per line (used in tooltips until an explanation arrives)."""
    return "\n".join("• " + reason_line(r) for r in sorted(reasons, key=lambda r: -abs(r.weight)))
