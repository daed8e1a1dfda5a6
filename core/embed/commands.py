"""`embed` subcommand: embed new and changed items with the current model."""

from __future__ import annotations

import argparse
import sys


def _cmd_embed(args: argparse.Namespace) -> int:
    from core.cli import UserError, emit, open_library, progress_printer
    from core.embed.encoder import ModelError

    lib = open_library(args)
    if args.device:
        lib.settings.device = args.device
    try:
        data = lib.embed(progress=progress_printer(args))
    except ModelError as exc:
        raise UserError(str(exc)) from exc
    if sys.stderr.isatty() and not args.json:
        sys.stderr.write("\n")
    emit(args, data, lambda d: (f"Embedded {d['embedded']} items with {d['model']} on {d['device']} in "
                                f"{d['seconds']:.1f} s ({d['unchanged']} unchanged)."))
    return 0


def register(add) -> None:
    p = add("embed", _cmd_embed, "embed new and changed items for natural-language search")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="override the device for this run")
