"""`encore`: the argument parser, the command groups, exit codes (0 ok, 1 problems found, 2 bad input)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

from core.cli import analysis, doctor, explain, playlists, recommend, scan, search
from core.errors import EncoreError, plain_error

# Each group adds its subcommands with register(add); listed here in plain imports, so a broken
# module is an import error at start-up, never a silently missing command.
COMMAND_GROUPS = (scan, analysis, search, recommend, playlists, explain, doctor)


def build_parser() -> argparse.ArgumentParser:
    """The whole `encore` command line."""
    parser = argparse.ArgumentParser(prog="encore", description="Encore: your own music and videos, understood.")
    parser.add_argument("--data-dir", help="where Encore keeps its database and caches "
                        "(default: ENCORE_DATA_DIR or the platform's user data folder)")
    sub = parser.add_subparsers(dest="command")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler)
        return p

    for group in COMMAND_GROUPS:
        group.register(add)
    return parser


def _fail(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": message}, ensure_ascii=False))
    print(f"encore: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return args.handler(args) or 0
    except EncoreError as exc:
        return _fail(args, str(exc.args[0]) if exc.args else str(exc))
    except (FileNotFoundError, PermissionError, NotADirectoryError, IsADirectoryError) as exc:
        # Raised by Encore with a message of its own (no errno), or by the OS (errno + filename).
        return _fail(args, str(exc.args[0]) if exc.errno is None and exc.args else plain_error(exc))
    except KeyboardInterrupt:
        print("encore: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `encore ... | head`: the reader left; say nothing more (and not at interpreter exit either).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
