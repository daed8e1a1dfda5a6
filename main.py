"""Encore entry point: no arguments opens the desktop app; a subcommand runs the headless CLI."""

from __future__ import annotations

import sys


def run() -> int:
    argv = sys.argv[1:]
    if not argv or (argv[0] == "--data-dir" and len(argv) == 2):
        from ui.app import run_app

        return run_app(argv)
    from core.cli import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(run())
