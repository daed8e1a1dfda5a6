"""`search`: natural-language search from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.output import emit, open_library
from core.errors import UserError
from core.models import Hit


def hit_dict(hit: Hit) -> dict[str, Any]:
    """The JSON shape of one search result."""
    item = hit.item
    return {"id": item.id, "title": item.title, "artist": item.artist, "kind": item.kind, "path": item.path,
            "score": round(hit.score, 4), "reasons": [r.to_dict() for r in hit.reasons]}


def _human(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No matches."
    lines = []
    for i, r in enumerate(rows, 1):
        who = f" — {r['artist']}" if r["artist"] else ""
        why = r["reasons"][0] if r["reasons"] else {}
        bits = []
        if why.get("words"):
            bits.append("words: " + ", ".join(why["words"]))
        if why.get("similarity") is not None:
            bits.append(f"similarity {why['similarity']:.2f}")
        if why.get("features"):
            bits.append("features: " + ", ".join(f"{k}={v}" for k, v in why["features"].items()))
        lines.append(f"{i:>2}. [{r['kind']}] #{r['id']} {r['title']}{who}  ({'; '.join(bits) or 'filter match'})")
    return "\n".join(lines)


def _cmd_search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    lib = open_library(args)
    hits = lib.search(args.query, limit=args.limit, kind=args.kind)
    if notice := lib.search_notice():  # a broken model setting: search matched words only
        print(f"encore: warning: {notice}", file=sys.stderr)
    emit(args, [hit_dict(h) for h in hits], _human)
    return 0


def register(add) -> None:
    """Add `search`."""
    p = add("search", _cmd_search, "natural-language search (\"upbeat songs for running\")")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--kind", choices=["audio", "video"])
