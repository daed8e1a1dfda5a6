"""Walking library roots with os.scandir: symlink loops, unreadable folders and odd names are safe."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.scan.formats import AUDIO_EXTS, VIDEO_EXTS

MEDIA_EXTS = AUDIO_EXTS | VIDEO_EXTS

MAX_DEPTH = 64


@dataclass(slots=True)
class FileEntry:
    """A media file found by the walk, with the stat facts the diff needs."""

    path: str
    name: str
    size: int
    mtime_ns: int
    inode: int


@dataclass
class DirListing:
    """One folder: its media files, and every entry name (for sidecar lookup)."""

    path: str
    files: list[FileEntry]


@dataclass
class WalkState:
    """What the walk noticed besides media: folders it could not read."""

    unreadable: list[str] = field(default_factory=list)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def walk_media(root: str, state: WalkState) -> Iterator[DirListing]:
    """Yield every readable folder under root (depth first) with its media files.

    Memory stays flat in the number of files: only folders, hard-linked files and symlinked files
    are remembered (to visit each once); a plain file can only be met once.
    """
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    real_root = os.path.realpath(root)
    stack: list[tuple[str, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            state.unreadable.append(folder)
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            continue  # a symlink loop or a second link to a folder already walked
        seen_dirs.add(key)
        files: list[FileEntry] = []
        subdirs: list[str] = []
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            state.unreadable.append(folder)
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            dot = name.rfind(".")
            try:
                # Media names first: one d_type check for a plain file (the hot path of a rescan).
                if dot <= 0 or name[dot + 1:].lower() not in MEDIA_EXTS or not entry.is_file(follow_symlinks=True):
                    if entry.is_dir(follow_symlinks=True) and depth < MAX_DEPTH:
                        subdirs.append(entry.path)
                    continue
                est = entry.stat(follow_symlinks=True)
                is_link = entry.is_symlink()
            except OSError:
                continue  # dangling symlink, vanished mid-walk
            fkey = (est.st_dev, est.st_ino)
            if fkey in seen_files:
                continue
            if is_link and est.st_nlink == 1:
                target = os.path.realpath(entry.path)
                if _inside(target, real_root) and not any(
                        part.startswith(".") for part in os.path.relpath(target, real_root).split(os.sep)):
                    continue  # a link to a file inside this root: the walk meets the file itself
            if is_link or est.st_nlink > 1:
                seen_files.add(fkey)
            files.append(FileEntry(entry.path, name, est.st_size, est.st_mtime_ns, est.st_ino))
        yield DirListing(folder, files)
        for sub in sorted(subdirs, reverse=True):
            stack.append((sub, depth + 1))
