"""`scan`, `stats`, `show`, `failures`: filling the library and reading what it holds."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.output import embed_summary, emit, end_progress_line, open_library, progress_printer


def _cmd_scan(args: argparse.Namespace) -> int:
    lib = open_library(args)
    stages = ("scan", "analyze", "embed") if args.analyze else ("scan",)
    result = lib.update(stages, paths=args.paths or None, progress=progress_printer(args),
                        retry_failed=args.retry_failed)
    data = {**result["scan"], **{k: result[k] for k in ("analysis", "embedding") if k in result}}
    end_progress_line(args)

    def human(d: dict[str, Any]) -> str:
        lines = [f"Scanned {d['seen']} files in {d['seconds']:.1f} s: {d['added']} added, {d['updated']} updated, "
                 f"{d['moved']} moved, {d.get('reencoded', 0)} re-encoded, {d['unchanged']} unchanged, "
                 f"{d['missing']} missing, {d['failed']} failed.",
                 f"Library: {d['items_total']} items."]
        for root in d["offline_roots"]:
            lines.append(f"Offline (left untouched): {root}")
        if d["failed"]:
            lines.append("See `encore failures` for the files that could not be read.")
        lines.extend(d.get("notes", []))  # retried, skipped, too deep, tags left out
        if d.get("analysis"):
            a = d["analysis"]
            lines.append(f"Analysed {a['analyzed']} items in {a['seconds']:.1f} s, {a['failed']} failed.")
            lines.append(embed_summary(d["embedding"]))
        return "\n".join(lines)

    emit(args, data, human)
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    data = open_library(args).stats()
    emit(args, data, lambda d: "\n".join(f"{k:>14}: {v}" for k, v in d.items()))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    data = open_library(args).show(args.item)

    def human(d: dict[str, Any]) -> str:
        lines = [f"#{d['id']} {d['title']}" + (f" — {d['artist']}" if d.get("artist") else ""),
                 f"  {d['kind']}, {d['status']}, {d['path']}"]
        for key in ("album", "genre", "year", "duration", "composer"):
            if d.get(key):
                lines.append(f"  {key}: {d[key]}")
        if d.get("descriptors"):
            lines.append("  sounds/looks: " + ", ".join(d["descriptors"]))
        for f in d.get("failures", []):
            lines.append(f"  failed at {f['stage']}: {f['error']}")
        return "\n".join(lines)

    emit(args, data, human)
    return 0


def _cmd_failures(args: argparse.Namespace) -> int:
    lib = open_library(args)
    data = lib.failures()

    def human(_d: list[dict[str, Any]]) -> str:
        """Grouped by cause in the words the Failures page uses: what happened, what to do, the files."""
        lines: list[str] = []
        for group in lib.failure_groups():
            n = len(group["files"])
            lines += [f"{group['title']} ({n} file{'s' if n != 1 else ''})", f"  {group['what']}"]
            if group["todo"]:
                lines.append(f"  What to do: {group['todo']}")
            for f in group["files"]:
                lines.append(f"  - {f['path']}")
                if f["detail"] and not group["quiet"]:
                    lines.append(f"      {f['step']}: {f['detail']}")
            lines.append("")
        return "\n".join(lines).rstrip() or "No failures: every file was read."

    emit(args, data, human)
    return 0


def register(add) -> None:
    """Add `scan`, `stats`, `show` and `failures`."""
    p = add("scan", _cmd_scan, "add folders to the library and scan them (all folders when none given)")
    p.add_argument("paths", nargs="*")
    p.add_argument("--analyze", action="store_true", help="analyse new and changed items after the scan")
    p.add_argument("--retry-failed", action="store_true", help="try again every file that failed before, now")
    add("stats", _cmd_stats, "counts of everything in the library")
    p = add("show", _cmd_show, "everything known about an item (id or file path)")
    p.add_argument("item")
    add("failures", _cmd_failures, "files that could not be read, and why")
