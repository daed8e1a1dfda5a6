"""`doctor`, `backup`, `restore`: check the database, models, GPU and caches; back up and put back.

These never open a Library for checking, so they work on a damaged database (the way out of it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from core import library
from core.cli.output import emit


def _render(report: dict[str, Any]) -> str:
    mark = {"ok": "ok  ", "warn": "WARN", "error": "FAIL"}
    lines = [f"Encore doctor: {report['data_dir']}"]
    for c in report["checks"]:
        lines.append(f"  [{mark[c['status']]}] {c['name']}: {c['detail']}")
        if c["fix"]:
            lines.append(f"         -> {c['fix']}")
    if "restore" in report:
        lines.append(_restored(report["restore"]))
    return "\n".join(lines)


def _restored(r: dict[str, Any]) -> str:
    kept = r.get("kept_as") or r.get("damaged_kept_as")
    lines = [f"Restored {r['restored_from']}"]
    if kept:
        lines.append(f"The previous ({r.get('previous') or 'current'}) database is kept as {kept}")
    if r.get("warning"):
        lines.append(f"Warning: {r['warning']}")
    return "\n".join(lines)


def _cmd_doctor(args: argparse.Namespace) -> int:
    restored = library.restore_backup(args.data_dir, None) if args.restore else None
    report = library.doctor(args.data_dir, gpu=not args.no_gpu)
    if restored:
        report["restore"] = restored
    emit(args, report, _render)
    return 1 if report["status"] == "error" else 0


def _cmd_backup(args: argparse.Namespace) -> int:
    dest = library.backup_now(args.data_dir)
    emit(args, {"backup": str(dest)}, f"Backed up to {dest}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    if args.list:
        names = [str(p) for p in library.list_backups(args.data_dir)]
        emit(args, {"backups": names}, "\n".join(names) or "No backups yet.")
        return 0
    emit(args, library.restore_backup(args.data_dir, args.source, force=args.force), _restored)
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add `doctor`, `backup` and `restore` to the CLI."""
    p = add("doctor", _cmd_doctor, "check the database, models, GPU and caches, and say what to do")
    p.add_argument("--restore", action="store_true", help="restore the newest good backup first")
    p.add_argument("--no-gpu", action="store_true", help="skip the GPU check (it imports torch)")
    add("backup", _cmd_backup, "take a backup of the library database now")
    p = add("restore", _cmd_restore, "put back an automatic backup (the current file is kept aside)")
    p.add_argument("--from", dest="source", help="a backup file (default: the newest good one)")
    p.add_argument("--list", action="store_true", help="list the backups")
    p.add_argument("--force", action="store_true",
                   help="replace the current database even when it is healthy and newer than the backup")
