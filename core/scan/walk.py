"""Walking library roots with os.scandir: symlink loops, unreadable folders and odd names are safe."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.scan.formats import AUDIO_EXTS, VIDEO_EXTS

MEDIA_EXTS = AUDIO_EXTS | VIDEO_EXTS

MAX_DEPTH = 64
TOO_DEEP_LISTED = 20


@dataclass(slots=True)
class FileEntry:
    """A media file found by the walk, with the stat facts the diff needs."""

    path: str
    name: str
    size: int
    mtime_ns: int
    inode: int
    target: str | None = None  # the real path of a symlinked file (None: not a link)


@dataclass
class DirListing:
    """One folder: its media files, and the folder's real path (symlinks resolved)."""

    path: str
    files: list[FileEntry]
    real_path: str = ""


@dataclass
class WalkState:
    """What the walk noticed besides media: folders it could not read, folders too deep to enter."""

    unreadable: list[str] = field(default_factory=list)
    too_deep: int = 0  # folders below MAX_DEPTH levels, not entered
    too_deep_dirs: list[str] = field(default_factory=list)  # the first TOO_DEEP_LISTED of them


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
    stack: list[tuple[str, int, str]] = [(root, 0, real_root)]
    while stack:
        folder, depth, real_folder = stack.pop()
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
        subdirs: list[tuple[str, str]] = []  # (path, real path)
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
                    if entry.is_dir(follow_symlinks=True):
                        real_sub = os.path.realpath(entry.path) if entry.is_symlink() else \
                            os.path.join(real_folder, name)
                        if depth < MAX_DEPTH:
                            subdirs.append((entry.path, real_sub))
                        else:
                            _too_deep(state, entry.path, seen_dirs)
                    continue
                est = entry.stat(follow_symlinks=True)
                is_link = entry.is_symlink()
            except OSError:
                continue  # dangling symlink, vanished mid-walk
            fkey = (est.st_dev, est.st_ino)
            if fkey in seen_files:
                continue
            target = os.path.realpath(entry.path) if is_link else None
            if target is not None and est.st_nlink == 1:
                if _inside(target, real_root) and not any(
                        part.startswith(".") for part in os.path.relpath(target, real_root).split(os.sep)):
                    continue  # a link to a file inside this root: the walk meets the file itself
            if is_link or est.st_nlink > 1:
                seen_files.add(fkey)
            files.append(FileEntry(entry.path, name, est.st_size, est.st_mtime_ns, est.st_ino, target))
        yield DirListing(folder, files, real_folder)
        for sub, real_sub in sorted(subdirs, reverse=True):
            stack.append((sub, depth + 1, real_sub))


def _too_deep(state: WalkState, path: str, seen_dirs: set[tuple[int, int]]) -> None:
    """Count a folder the walk does not enter because it is too deep (a loop back to a walked folder is no loss)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if (st.st_dev, st.st_ino) in seen_dirs:
        return
    state.too_deep += 1
    if len(state.too_deep_dirs) < TOO_DEEP_LISTED:
        state.too_deep_dirs.append(path)
