"""Files beside the database: the backup names, and moving a file aside without ever overwriting one.

A leaf under core/db (it imports nothing of Encore): backup.py and integrity.py both use it, so
neither needs the other for these.
"""

from __future__ import annotations

import itertools
import os
from datetime import datetime
from pathlib import Path

PREFIX = "library-"
SUFFIX = ".sqlite3"


def list_backups(backups_dir: Path | str) -> list[Path]:
    """Backup files, newest first."""
    folder = Path(backups_dir)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)]
    return sorted(found, key=lambda p: p.name, reverse=True)


def time_stamp() -> str:
    """The time in the names of kept copies (to the second: the counter makes them unique)."""
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def move_aside(path: Path | str, kind: str, sides: tuple[str, ...] = ()) -> Path | None:
    """Rename `path` (and each `path + side` that exists) to `<name>.<kind>-<time>[-N]<side>`, with N
    the first counter for which none of those names exists; returns the new name of `path` (or where
    its sides went when it was missing), None when nothing existed. Never overwrites anything: each
    rename is a hard link (which fails when the name is taken) and then an unlink of the old name."""
    path = Path(path)
    present = [s for s in ("", *sides) if os.path.lexists(path.with_name(path.name + s))]
    if not present:
        return None
    stamp = time_stamp()
    for n in itertools.count(1):
        base = path.with_name(f"{path.name}.{kind}-{stamp}" + (f"-{n}" if n > 1 else ""))
        if any(os.path.lexists(base.with_name(base.name + s)) for s in ("", *sides)):
            continue
        try:  # the first present file claims the name; the rest follow it
            _rename_no_replace(path.with_name(path.name + present[0]), base.with_name(base.name + present[0]))
        except FileExistsError:
            continue  # taken in the instant between: the next number
        break
    for side in present[1:]:
        _rename_no_replace(path.with_name(path.name + side), base.with_name(base.name + side))
    return base


def _rename_no_replace(src: Path, dst: Path) -> None:
    """os.rename that raises FileExistsError instead of replacing `dst`."""
    try:
        os.link(src, dst, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system (FAT, some network shares)
        if os.path.lexists(dst):
            raise FileExistsError(str(dst)) from None
        os.rename(src, dst)
        return
    os.unlink(src)
