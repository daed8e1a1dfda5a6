"""`encore explain ITEM [--seed ITEM] [--json]`: why an item was picked, in a checked sentence."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from core.cli.output import emit, open_library, terminal_safe
from core.models import Explanation


def explanation_dict(expl: Explanation) -> dict[str, Any]:
    """The JSON shape of an Explanation (also used for `recommend --explain`)."""
    return {"item": expl.item_id, "text": expl.text, "source": expl.source, "evidence": list(expl.evidence),
            "model": expl.model, "seconds": expl.seconds}


def _cmd_explain(args: argparse.Namespace) -> int:
    lib = open_library(args)
    if args.no_llm:
        lib.settings.llm_enabled = False  # this run only; not saved
    stream = not args.json and sys.stdout.isatty()
    streamed: list[str] = []

    def on_token(piece: str) -> None:
        streamed.append(piece)
        sys.stdout.write(terminal_safe(piece))
        sys.stdout.flush()

    expl = lib.explain(args.item, seed=args.seed, on_token=on_token if stream else None)
    data = explanation_dict(expl)
    if stream and streamed:
        # What streamed was checked word by word; when the final answer is the template, redraw.
        sys.stdout.write("\r\033[K" if expl.source == "template" else "\n")
        if expl.source == "llm":
            print(f"  ({expl.source}, {expl.seconds:.2f} s)")
            return 0
    emit(args, data, lambda d: f"{d['text']}\n  ({d['source']}, {d['seconds']:.2f} s)")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `explain` subcommand."""
    p = add("explain", _cmd_explain, "why an item was picked: a checked sentence from the local LLM or a template")
    p.add_argument("item", help="item id or file path")
    p.add_argument("--seed", help="the item it was picked because of (id or path)")
    p.add_argument("--no-llm", action="store_true", help="use the template sentence only")
