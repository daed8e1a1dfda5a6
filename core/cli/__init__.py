"""The command-line face of Encore: `encore <command>` (see core/cli/main.py)."""

from core.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
