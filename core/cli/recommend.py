"""`play`, `rate`, `history import`, `recommend`: the user's history and what Encore makes of it."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from core.cli.explain import explanation_dict
from core.cli.output import emit, open_library
from core.errors import UserError
from core.library import reason_line
from core.models import PlayEvent


def parse_at(value: str | None) -> float:
    """--at: an ISO date/time or a Unix time (Library.record_play refuses times a play cannot have)."""
    if not value:
        return time.time()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError) as exc:
        raise UserError(f"--at must be an ISO date/time or a Unix time, not {value!r}") from exc


def _cmd_play(args: argparse.Namespace) -> int:
    lib = open_library(args)
    row = lib.item_row(args.item)
    ev = PlayEvent(item_id=row["id"], started_at=parse_at(args.at),
                   seconds=float(row["duration"] or 0.0) if args.seconds is None else args.seconds,
                   skipped=args.skipped,
                   source="cli", profile=args.profile or lib.settings.profile)
    event_id = lib.record_play(ev)
    emit(args, {"id": event_id, "item": row["id"], "title": row["title"], "skipped": ev.skipped,
                "profile": ev.profile},
         lambda d: f"{'Skipped' if d['skipped'] else 'Played'} #{d['item']} {d['title']} (event {d['id']}).")
    return 0


def _cmd_rate(args: argparse.Namespace) -> int:
    lib = open_library(args)
    lib.rate(args.item, args.value, args.profile)
    emit(args, {"item": args.item, "rating": args.value}, f"Rated {args.item}: {args.value}.")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    report = open_library(args).import_history(args.file, args.profile)

    def human(d: dict[str, Any]) -> str:
        lines = [f"Imported {d['file']} ({d['format']}): {d['matched']} of {d['rows']} rows matched, "
                 f"{d['unmatched']} unmatched, {d['events_added']} plays added."]
        if d.get("skipped"):
            lines.append(f"  {d['skipped']} rows skipped: " + ", ".join(
                f"{why} ({n})" for why, n in d.get("skipped_reasons", {}).items()))
        lines += [f"  unmatched: {r.get('artist', '')} - {r.get('title', '')} {r.get('path', '')}".rstrip()
                  for r in d["unmatched_rows"][:10]]
        return "\n".join(lines)

    emit(args, report, human)
    return 0


def _cmd_recommend(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit must be at least 1, not {args.limit}")
    lib = open_library(args)
    if args.rebuild:
        lib.rebuild_neighbours()
    try:
        recs = lib.recommend(seed=args.seed, mode=args.mode, kind=args.kind, limit=args.limit, profile=args.profile)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    data = [{"id": r.item.id, "title": r.item.title, "artist": r.item.artist, "kind": r.item.kind,
             "score": r.score, "reasons": [x.to_dict() for x in r.reasons]} for r in recs]
    if args.explain:
        for row, expl in zip(data, lib.explain_recommendations(recs, seed=args.seed), strict=True):
            row["explanation"] = explanation_dict(expl)

    def human(rows: list[dict[str, Any]]) -> str:
        if not rows:
            return "Nothing to recommend yet: play a few items first."
        out = []
        for n, (d, rec) in enumerate(zip(rows, recs, strict=True), 1):
            why = "; ".join(reason_line(x) for x in rec.reasons[:3])
            out.append(f"{n:>2}. #{d['id']} {d['title']}" + (f" — {d['artist']}" if d["artist"] else "")
                       + (f"   ({why})" if why else ""))
            if "explanation" in d:
                out.append(f"      {d['explanation']['text']}")
        return "\n".join(out)

    emit(args, data, human)
    return 0


def register(add) -> None:
    """Add `play`, `rate`, `history` and `recommend`."""
    p = add("play", _cmd_play, "record that you played (or skipped) an item")
    p.add_argument("item")
    p.add_argument("--at", help="when (ISO date/time or Unix time; default now)")
    p.add_argument("--seconds", type=float, help="seconds played (default: the whole item)")
    p.add_argument("--skipped", action="store_true")
    p.add_argument("--profile")
    p = add("rate", _cmd_rate, "like, dislike or clear the rating of an item")
    p.add_argument("item")
    p.add_argument("value", choices=["like", "dislike", "none"])
    p.add_argument("--profile")
    p = add("history", _cmd_history, "import listening history (ListenBrainz JSON, Last.fm CSV, M3U)")
    p.add_argument("action", choices=["import"])
    p.add_argument("file")
    p.add_argument("--profile")
    p = add("recommend", _cmd_recommend, "recommendations with reasons")
    p.add_argument("--seed", help="item id or path (more-like, radio, because, fits-video)")
    p.add_argument("--mode", default="for-you", choices=["for-you", "more-like", "radio", "because", "fits-video"])
    p.add_argument("--kind", choices=["audio", "video"])
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--profile")
    p.add_argument("--rebuild", action="store_true", help="recompute all item-item neighbours first")
    p.add_argument("--explain", action="store_true", help="add a grounded explanation to each pick")
