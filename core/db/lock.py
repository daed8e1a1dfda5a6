"""The cross-process lock of one library: every open Library holds it shared, `restore` takes it exclusively.

A `flock` on `library.sqlite3.lock` beside the database. The kernel drops it when the process dies
(kill -9 included), so a crash never leaves the library "open". Where flock is missing (Windows) or
the lock file cannot be created (a read-only data folder), the lock is a no-op: nothing can be
restored there anyway.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from core.errors import DatabaseError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".lock"
_EX_NB = (fcntl.LOCK_EX | fcntl.LOCK_NB) if fcntl else 0
_SH_NB = (fcntl.LOCK_SH | fcntl.LOCK_NB) if fcntl else 0
WAIT_S = 30.0  # how long an open waits for a restore (or another open's few-millisecond check) to finish


def lock_path(db_path: Path | str) -> Path:
    """Where the lock file of a library database lives."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


class LibraryLock:
    """The lock file of one library database, held by this process through one open file."""

    def __init__(self, db_path: Path | str) -> None:
        self.path = lock_path(db_path)
        self._fd: int | None = None
        self.mode: str | None = None  # "shared" | "exclusive" | None (not held)

    # ----- taking it --------------------------------------------------------------------------------
    def acquire_shared(self, while_alone: Callable[[], None] | None = None, wait_s: float = WAIT_S) -> bool:
        """Hold the lock shared (an open library). First try it exclusively: when that works no other
        process has the library open, and `while_alone` runs before the lock is shared (a look at files
        only a lone opener may touch). Waits up to `wait_s` while a restore holds it; then raises.
        Returns whether this process was alone (False, and `while_alone` skipped, where locking is
        not possible)."""
        deadline = time.monotonic() + wait_s
        while True:
            if not self._open():
                return False
            got = self._flock(_EX_NB)
            if got is None:
                return False
            if got:
                if not self._still_the_file():
                    continue
                try:
                    if while_alone is not None:
                        while_alone()
                except BaseException:
                    self.release()
                    raise
                if self._downgrade(deadline):
                    return True
                continue  # a restore took it in the instant between: start again
            if self._flock(_SH_NB):
                if self._still_the_file():
                    self.mode = "shared"
                    return False
                continue
            if time.monotonic() > deadline:
                pids = self.holders()
                self._close()
                raise DatabaseError(f"the library is being restored by another Encore command{_pids(pids)}; "
                                    "try again when it has finished")
            time.sleep(0.05)

    def try_exclusive(self) -> bool:
        """Take the lock exclusively without waiting (restore); False while anyone holds it. True
        without holding anything where locking is not possible."""
        while True:
            if not self._open():
                return True
            got = self._flock(_EX_NB)
            if got is None:
                return True
            if not got:
                self._close()
                return False
            if self._still_the_file():
                self.mode = "exclusive"
                return True

    @classmethod
    def held_elsewhere(cls, db_path: Path | str) -> bool:
        """Whether some process (or another open Library in this one) holds the lock of a library now."""
        probe = cls(db_path)
        if probe.try_exclusive():
            probe.release()
            return False
        return True

    def holders(self) -> list[int]:
        """The processes holding the lock (Linux: from /proc/locks; elsewhere an empty list)."""
        try:
            st = os.stat(self.path)
            lines = Path("/proc/locks").read_text().splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            parts = line.split()
            if "->" in parts or len(parts) < 6 or parts[1] != "FLOCK":
                continue  # "->": a process waiting for the lock, not holding it
            try:
                pid, ino = int(parts[4]), int(parts[5].rsplit(":", 1)[1])
            except (ValueError, IndexError):
                continue
            if ino == st.st_ino and pid not in found:
                found.append(pid)
        return found

    # ----- letting go -------------------------------------------------------------------------------
    def release(self) -> None:
        """Let go. The last holder removes the lock file (under the exclusive lock, so an opener that
        raced with the removal sees the file changed and takes the new one)."""
        if self._fd is None:
            return
        try:
            if self._flock(_EX_NB) and self._fd is not None and self._still_the_file():
                self.path.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            self._close()

    # ----- plumbing ---------------------------------------------------------------------------------
    def _open(self) -> bool:
        """Open the lock file; False when locking is not possible here (no flock, unwritable folder)."""
        if fcntl is None:
            return False
        if self._fd is not None:
            return True
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            try:
                self._fd = os.open(self.path, os.O_RDONLY)  # flock works on a read-only descriptor too
            except OSError:
                return False
        return True

    def _flock(self, how: int) -> bool | None:
        """True: taken; False: someone else holds it; None: this file system has no flock."""
        try:
            fcntl.flock(self._fd, how)
            return True
        except BlockingIOError:
            return False
        except OSError:
            self._close()
            return None

    def _still_the_file(self) -> bool:
        """Whether the file we locked is still the one at the path (the last holder may have removed it
        between our open and our lock); if not, start again with the new one."""
        try:
            ours, now = os.fstat(self._fd), os.stat(self.path)
            if (ours.st_dev, ours.st_ino) == (now.st_dev, now.st_ino):
                return True
        except OSError:
            pass
        self._close()
        return False

    def _downgrade(self, deadline: float) -> bool:
        # flock converts exclusive -> shared by dropping and re-taking, so retry briefly.
        while not self._flock(_SH_NB):
            if self._fd is None or time.monotonic() > deadline:
                self._close()
                return False
            time.sleep(0.01)
        self.mode = "shared"
        return self._still_the_file()

    def _close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._fd = None
        self.mode = None


def _pids(pids: list[int]) -> str:
    if not pids:
        return ""
    return " (pid " + ", ".join(str(p) for p in pids) + ")"


def open_elsewhere_message(pids: list[int]) -> str:
    """What restore says while the library is open."""
    return (f"the library is open in another Encore window or command{_pids(pids)}; close it first, "
            "then run `encore restore` again")
