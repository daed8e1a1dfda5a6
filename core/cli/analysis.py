"""`analyze` and `embed`: content analysis and the embedding of descriptions."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.output import embed_summary, emit, end_progress_line, open_library, progress_printer


def _cmd_analyze(args: argparse.Namespace) -> int:
    lib = open_library(args)
    stages = ("analyze",) if args.no_embed else ("analyze", "embed")
    result = lib.update(stages, progress=progress_printer(args), retry_failed=args.retry_failed)
    data = result["analysis"]
    if "embedding" in result:
        data["embedding"] = result["embedding"]
    end_progress_line(args)

    def human(d: dict[str, Any]) -> str:
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


def _cmd_embed(args: argparse.Namespace) -> int:
    lib = open_library(args)
    if args.device:
        lib.settings.device = args.device  # this run only; not saved
    data = lib.embed(progress=progress_printer(args))
    end_progress_line(args)
    emit(args, data, lambda d: (f"Embedded {d['embedded']} items with {d['model']} on {d['device']} in "
                                f"{d['seconds']:.1f} s ({d['unchanged']} unchanged)."))
    return 0


def register(add) -> None:
    """Add `analyze` and `embed`."""
    p = add("analyze", _cmd_analyze, "analyse audio and video content (tempo, key, loudness, keyframes, descriptors)")
    p.add_argument("--retry-failed", action="store_true",
                   help="try again the files that failed before (normally retried only when they change)")
    p.add_argument("--no-embed", action="store_true", help="do not embed the new descriptions afterwards")
    p = add("embed", _cmd_embed, "embed new and changed items for natural-language search")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="override the device for this run")
