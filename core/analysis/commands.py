"""`analyze`: the analysis command (audio features, keyframes, descriptors for every stale item)."""

from __future__ import annotations

import argparse
import sys


def _cmd_analyze(args: argparse.Namespace) -> int:
    from core.cli import emit, open_library, progress_printer

    lib = open_library(args)
    data = lib.analyze(progress=progress_printer(args))
    if sys.stderr.isatty() and not args.json:
        sys.stderr.write("\n")

    def human(d: dict) -> str:
        line = (f"Analysed {d['analyzed']} items in {d['seconds']:.1f} s: {d['failed']} failed, "
                f"{d['skipped']} skipped (failed before, unchanged).")
        if d.get("cancelled"):
            line += f" Cancelled: {d['pending']} still to do (run `analyze` again to resume)."
        if d["failed"]:
            line += "\nSee `encore failures` for the files that could not be analysed."
        return line

    emit(args, data, human)
    return 0


def register(add) -> None:
    """Add the `analyze` subcommand."""
    add("analyze", _cmd_analyze, "analyse audio and video content (tempo, key, loudness, keyframes, descriptors)")
