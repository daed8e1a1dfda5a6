"""What every command shares: opening the library, printing (human or --json), progress lines."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable
from typing import Any

from core.library import Library
from core.models import Progress


def open_library(args: argparse.Namespace) -> Library:
    """The library of --data-dir (or ENCORE_DATA_DIR / the platform default), integrity-checked now."""
    library = Library(args.data_dir,  # the daily backup only from the long commands (finished before exit)
                      daily_backup=getattr(args, "command", None) in ("scan", "analyze", "embed", "history"))
    for problem in library.settings.problems:  # said once per command, on stderr (stdout stays parseable)
        print(f"encore: warning: {problem}", file=sys.stderr)
    return library


def _finite(value: Any) -> Any:
    """NaN and infinities become null: `--json` output must stay valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# Control characters from file names and tags (ESC sequences can retitle or rewrite a terminal) are
# printed as visible escapes; newlines and tabs of Encore's own layout stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """`text` with every control character except newline and tab shown as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def emit(args: argparse.Namespace, data: Any, human: Callable[[Any], str] | str | None = None) -> None:
    """Print JSON with --json, else the human rendering (control characters escaped)."""
    if getattr(args, "json", False):
        print(json.dumps(_finite(data), ensure_ascii=False, indent=None, default=str, allow_nan=False))
    elif callable(human):
        print(terminal_safe(human(data)))
    elif human is not None:
        print(terminal_safe(human))
    else:
        print(json.dumps(_finite(data), ensure_ascii=False, indent=2, default=str, allow_nan=False))


def progress_printer(args: argparse.Namespace) -> Callable[[Progress], None] | None:
    """A progress callback that draws one updating line on stderr (only on a terminal, not with --json)."""
    if getattr(args, "json", False) or not sys.stderr.isatty():
        return None

    def show(p: Progress) -> None:
        eta = f" ETA {p.eta_s:.0f}s" if p.eta_s else ""
        sys.stderr.write(f"\r{p.stage}: {p.done}/{p.total}{eta} {p.current[-60:]:<60}")
        sys.stderr.flush()

    return show


def end_progress_line(args: argparse.Namespace) -> None:
    """Finish the progress line so the summary starts on a line of its own."""
    if sys.stderr.isatty() and not getattr(args, "json", False):
        sys.stderr.write("\n")


def embed_summary(e: dict[str, Any]) -> str:
    """One line about the embedding step of `scan --analyze` / `analyze`."""
    if "error" in e:
        return f"Embedding skipped: {e['error']}"
    return f"Embedded {e.get('embedded', 0)} items ({e.get('unchanged', 0)} unchanged)."
