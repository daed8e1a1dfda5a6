"""Short, human reason lines (cards, search hits, the CLI), built from Reason objects (no LLM)."""

from __future__ import annotations

from collections.abc import Iterable

from core.models import Reason

_FEATURE_WORDS = {"tempo": "tempo", "key": "key", "energy": "energy", "brightness": "brightness",
                  "loudness": "loudness", "cuts": "pace of cuts", "colour": "colours", "color": "colours"}


def reason_line(reason: Reason) -> str:
    """One reason in a few words, e.g. "Because you played Dawn Chorus"."""
    d = reason.detail
    kind = reason.kind
    if kind == "because_you_played":
        return f"Because you played {d.get('title') or 'a track you like'}"
    if kind == "co_played":
        n = d.get("count")
        return f"Often played with {d.get('with_title') or 'your picks'}" + (f" ({n}×)" if n else "")
    if kind == "same_playlist":
        return f"In a playlist with {d.get('with_title') or 'your picks'}"
    if kind in ("similar_sound", "similar_look"):
        what = "Sounds like" if kind == "similar_sound" else "Looks like"
        feats = [_FEATURE_WORDS.get(f, f.replace("_", " ")) for f in (d.get("features") or {})][:2]
        tail = f" — similar {' and '.join(feats)}" if feats else ""
        return f"{what} {d.get('to_title') or 'your pick'}{tail}"
    if kind == "similar_text":
        shared = [str(w) for w in (d.get("shared") or [])][:3]
        base = f"Like {d.get('to_title') or 'your pick'}"
        return base + (f": {', '.join(shared)}" if shared else "")
    if kind == "matches_query":
        words = [str(w) for w in (d.get("words") or [])][:4]
        if words:
            typed = d.get("corrected") or {}  # a typo searched as the library's word: say what was typed
            return "Matches " + ", ".join(f"“{w}” (you typed “{typed[w]}”)" if w in typed else f"“{w}”"
                                          for w in words)
        features = d.get("features") or {}
        if isinstance(features, dict) and features:
            return "Fits your " + " and ".join(_FEATURE_WORDS.get(f, f.replace("_", " ")) for f in list(features)[:2])
        related = [str(w) for w in (d.get("related_terms") or [])][:3]
        if related:
            return "Related: " + ", ".join(related)
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
        return "Something you have not played yet"
    if kind in ("skip_penalty", "disliked"):
        return "You skipped similar picks" if kind == "skip_penalty" else "You disliked something similar"
    return kind.replace("_", " ").capitalize()


def short_reason(reasons: Iterable[Reason]) -> str:
    """The strongest positive reason as one line ("" when there is none)."""
    positive = sorted((r for r in reasons if r.weight > 0), key=lambda r: -r.weight)
    return reason_line(positive[0]) if positive else ""


def all_reasons(reasons: Iterable[Reason]) -> str:
    """Every reason, strongest first, one per line (used in tooltips until an explanation arrives)."""
    return "\n".join("• " + reason_line(r) for r in sorted(reasons, key=lambda r: -abs(r.weight)))
