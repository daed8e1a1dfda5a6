"""Which files the scan may read: regular files whose real path lies inside a library folder, read
with a size bound. Opening never blocks: a FIFO or device named like a sidecar is refused at once."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from core.text import display_path

# Bytes read of each sidecar kind. Text beyond the bound is cut (its text is capped anyway); a cover
# image beyond it is not read at all (a cut image does not decode).
SIDECAR_LIMITS = {"lrc": 1024 * 1024, "srt": 8 * 1024 * 1024, "nfo": 4 * 1024 * 1024, "cover": 30 * 1024 * 1024}
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


class Refused(OSError):
    """A file the scan does not read, and why, in the user's words."""


def inside(real_path: str, real_roots: Iterable[str]) -> bool:
    """Whether a real (symlink-free) path lies in one of the real root folders."""
    for root in real_roots:
        if real_path == root or real_path.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def outside_message(real_path: str) -> str:
    """The recorded reason for a file not read because its real path is outside the library folders."""
    return (f"not read: it links to {display_path(real_path)}, outside your library folders "
            "(add that folder to the library to read it)")


def outside_reason(path: str, real_roots: Iterable[str]) -> str | None:
    """Why `path` must not be read because it resolves outside every library folder (None: it may)."""
    real = os.path.realpath(path)
    return None if inside(real, real_roots) else outside_message(real)


def _what(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: str) -> tuple[int, os.stat_result]:
    """(fd, stat) of a regular file, opened without blocking; Refused for a FIFO, device or folder."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"not read: it is {_what(st.st_mode)}, not a file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_regular(path: str, limit: int, whole: bool = False) -> bytes:
    """At most `limit` bytes of a regular file; with `whole`, a larger file is Refused instead of cut."""
    fd, st = open_regular(path)
    try:
        if whole and st.st_size > limit:
            raise Refused(f"not read: it is larger than {limit // (1024 * 1024)} MB")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit)
    finally:
        os.close(fd)


def check_readable(path: str, real_roots: Iterable[str] | None) -> str | None:
    """Why a sidecar or media file at `path` is not read (outside the roots, not a regular file), or None.

    `real_roots` None: no root check (a caller outside a scan)."""
    if real_roots is not None:
        reason = outside_reason(path, real_roots)
        if reason:
            return reason
    try:
        st = os.stat(path)
    except OSError:
        return None  # vanished or unreadable: the read itself reports it
    return None if stat.S_ISREG(st.st_mode) else f"not read: it is {_what(st.st_mode)}, not a file"
