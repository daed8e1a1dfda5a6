"""`search`: natural-language search from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.output import emit, open_library
from core.errors import UserError
from core.library import Library, reason_line
from core.models import Hit


def hit_dict(hit: Hit) -> dict[str, Any]:
    """The JSON shape of one search result."""
    item = hit.item
    return {"id": item.id, "title": item.title, "artist": item.artist, "kind": item.kind, "path": item.path,
            "score": round(hit.score, 4), "reasons": [r.to_dict() for r in hit.reasons],
            "moment": hit.moment.to_dict() if hit.moment else None}


def _human(hits: list[Hit]) -> str:
    if not hits:
        return "No matches."
    lines = []
    for i, hit in enumerate(hits, 1):
        item = hit.item
        who = f" — {item.artist}" if item.artist else ""
        why = "; ".join(reason_line(r) for r in hit.reasons[:2]) or "filter match"
        at = f"  at {hit.moment.at} ({hit.moment.phrase})" if hit.moment else ""  # where in the video it matched
        lines.append(f"{i:>2}. [{item.kind}] #{item.id} {item.title}{who}  ({why}){at}")
    return "\n".join(lines)


def parse_range(text: str | None, option: str, whole: bool) -> tuple[float | None, float | None]:
    """"1990-1999" -> (1990, 1999), "1990-" -> (1990, None), "-1999" -> (None, 1999), "1995" -> (1995, 1995)."""
    text = (text or "").strip()
    if not text:
        return None, None
    lo_text, sep, hi_text = text.partition("-")
    number = int if whole else float
    try:
        lo = number(lo_text) if lo_text.strip() else None
        hi = number(hi_text) if hi_text.strip() else None
    except ValueError:
        example = "1990-1999, 1990- or -1999" if whole else "2-5, 2- or -5"
        raise UserError(f"{option} takes a range like {example}, not {text!r}") from None
    if not sep:
        hi = lo
    if lo is None and hi is None:
        raise UserError(f"{option} takes at least one number, not {text!r}")
    if any(v is not None and not 0 <= v < 10_000 for v in (lo, hi)):  # also refuses nan and inf
        raise UserError(f"{option} takes numbers from 0 to 9999, not {text!r}")
    if lo is not None and hi is not None and lo > hi:
        raise UserError(f"{option} {text!r} runs backwards: write the smaller number first")
    return lo, hi


def _cmd_search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    year_min, year_max = parse_range(args.year, "--year", whole=True)
    minutes_min, minutes_max = parse_range(args.length, "--length", whole=False)
    filtered = args.kind or args.genre or year_min is not None or year_max is not None or minutes_min is not None \
        or minutes_max is not None
    if Library.query_is_empty(args.query) and not filtered:
        raise UserError(Library.EMPTY_QUERY)
    lib = open_library(args)
    hits = lib.search(args.query, limit=args.limit, kind=args.kind, genre=args.genre,
                      year_min=int(year_min) if year_min is not None else None,
                      year_max=int(year_max) if year_max is not None else None,
                      length_min=minutes_min * 60 if minutes_min is not None else None,
                      length_max=minutes_max * 60 if minutes_max is not None else None)
    if notice := lib.search_notice(args.query):  # a broken model setting, or a language the model cannot read
        print(f"encore: warning: {notice}", file=sys.stderr)
    emit(args, [hit_dict(h) for h in hits], lambda _rows: _human(hits))
    return 0


def register(add) -> None:
    """Add `search`."""
    p = add("search", _cmd_search, "natural-language search (\"upbeat songs for running\")")
    p.add_argument("query", nargs="?", default="", help="what you are looking for (may be empty with a filter)")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--kind", choices=["audio", "video"], help="music (audio) or video only")
    p.add_argument("--genre", help="only items whose genre contains this word (e.g. jazz)")
    p.add_argument("--year", metavar="FROM-TO", help="only items from these years, e.g. 1990-1999, 1990- or -1999")
    p.add_argument("--length", metavar="MIN-MAX", help="only items of this length in minutes, e.g. 2-5 or -3")
