"""`analyze`: the analysis command (audio features, keyframes, descriptors for every stale item)."""

from __future__ import annotations

import argparse
import sys


def _cmd_analyze(args: argparse.Namespace) -> int:
    from core.cli import embed_after_analysis, embed_summary, emit, open_library, progress_printer

    lib = open_library(args)
    if args.retry_failed:
        from core.analysis.queue import analyze_pending

        data = analyze_pending(lib, progress=progress_printer(args), retry_failed=True)
    else:
        data = lib.analyze(progress=progress_printer(args))
    if not args.no_embed:
        data["embedding"] = embed_after_analysis(lib, args)
    if sys.stderr.isatty() and not args.json:
        sys.stderr.write("\n")

    def human(d: dict) -> str:
        line = (f"Analysed {d['analyzed']} items in {d['seconds']:.1f} s: {d['failed']} failed, "
                f"{d['skipped']} skipped (failed before, unchanged; --retry-failed tries them again).")
        if d.get("cancelled"):
            line += f" Cancelled: {d['pending']} still to do (run `analyze` again to resume)."
        if d["failed"]:
            line += "\nSee `encore failures` for the files that could not be analysed."
        if "embedding" in d:
            line += "\n" + embed_summary(d["embedding"])
        return line

    emit(args, data, human)
    return 0


def register(add) -> None:
    """Add the `analyze` subcommand."""
    p = add("analyze", _cmd_analyze, "analyse audio and video content (tempo, key, loudness, keyframes, descriptors)")
    p.add_argument("--retry-failed", action="store_true",
                   help="try again the files that failed before (normally retried only when they change)")
    p.add_argument("--no-embed", action="store_true", help="do not embed the new descriptions afterwards")
