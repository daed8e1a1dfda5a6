"""Command line: argparse subcommands, human output by default, --json for machines."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from typing import Any

from core.models import Progress

# Stage packages add their own subcommands here: each module has register(subparsers) and must
# import nothing heavy at module level.
COMMAND_MODULES = [
    "core.analysis.commands",
    "core.embed.commands",
    "core.search.commands",
    "core.recommend.commands",
    "core.explain.commands",
    "core.doctor",
]


class UserError(Exception):
    """An error the user can fix: printed as one clear line, exit code 2."""


def emit(args: argparse.Namespace, data: Any, human: Callable[[Any], str] | str | None = None) -> None:
    """Print JSON with --json, else the human rendering."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=None, default=str))
    elif callable(human):
        print(human(data))
    elif human is not None:
        print(human)
    else:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def progress_printer(args: argparse.Namespace) -> Callable[[Progress], None] | None:
    """A progress callback that draws one updating line on stderr (only on a terminal, not with --json)."""
    if getattr(args, "json", False) or not sys.stderr.isatty():
        return None

    def show(p: Progress) -> None:
        eta = f" ETA {p.eta_s:.0f}s" if p.eta_s else ""
        sys.stderr.write(f"\r{p.stage}: {p.done}/{p.total}{eta} {p.current[-60:]:<60}")
        sys.stderr.flush()

    return show


def open_library(args: argparse.Namespace):
    from core.library import Library

    return Library(args.data_dir)


def embed_after_analysis(lib, args: argparse.Namespace) -> dict[str, Any]:
    """`analyze` and `scan --analyze` also embed the new descriptions; a model problem is reported, not raised."""
    from core.embed.encoder import ModelError

    try:
        return lib.embed(progress=progress_printer(args))
    except ModelError as exc:
        return {"error": str(exc)}


def embed_summary(e: dict[str, Any]) -> str:
    if "error" in e:
        return f"Embedding skipped: {e['error']}"
    return f"Embedded {e.get('embedded', 0)} items ({e.get('unchanged', 0)} unchanged)."


def _cmd_scan(args: argparse.Namespace) -> int:
    lib = open_library(args)
    report = lib.scan(args.paths or None, progress=progress_printer(args))
    data = report.to_dict()
    if args.analyze:
        data["analysis"] = lib.analyze(progress=progress_printer(args))
        data["embedding"] = embed_after_analysis(lib, args)
    if sys.stderr.isatty() and not args.json:
        sys.stderr.write("\n")

    def human(d: dict) -> str:
        lines = [f"Scanned {d['seen']} files in {d['seconds']:.1f} s: {d['added']} added, {d['updated']} updated, "
                 f"{d['moved']} moved, {d.get('reencoded', 0)} re-encoded, {d['unchanged']} unchanged, {d['missing']} missing, {d['failed']} failed.",
                 f"Library: {d['items_total']} items."]
        for root in d["offline_roots"]:
            lines.append(f"Offline (left untouched): {root}")
        if d["failed"]:
            lines.append("See `encore failures` for the files that could not be read.")
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

    def human(d: dict) -> str:
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
    data = open_library(args).failures()
    emit(args, data, lambda d: "\n".join(f"[{f['stage']}] {f['path']}\n    {f['error']}" for f in d)
         or "No failures: every file was read.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="encore", description="Encore: your own music and videos, understood.")
    parser.add_argument("--data-dir", help="where Encore keeps its database and caches "
                        "(default: ENCORE_DATA_DIR or the platform's user data folder)")
    sub = parser.add_subparsers(dest="command")

    def add(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler)
        return p

    p = add("scan", _cmd_scan, "add folders to the library and scan them (all folders when none given)")
    p.add_argument("paths", nargs="*")
    p.add_argument("--analyze", action="store_true", help="analyse new and changed items after the scan")
    add("stats", _cmd_stats, "counts of everything in the library")
    p = add("show", _cmd_show, "everything known about an item (id or file path)")
    p.add_argument("item")
    add("failures", _cmd_failures, "files that could not be read, and why")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        module.register(add)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    from core.db.connection import DatabaseError
    from core.library import ItemNotFound

    try:
        return args.handler(args) or 0
    except (UserError, ItemNotFound, FileNotFoundError, DatabaseError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        if getattr(args, "json", False):
            print(json.dumps({"error": str(message)}))
        print(f"encore: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("encore: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
