"""The cross-process locks of one library: every open Library holds the library lock shared (`restore`
takes it exclusively), and the one process running a long job (scan, analyze, embed, import) holds the
update lock exclusively.

Each is a `flock` on a file beside the database (`library.sqlite3.lock`, `library.sqlite3.update.lock`). The kernel drops it when the process dies
(kill -9 included), so a crash never leaves the library "open". Where flock is missing (Windows) or
the lock file cannot be created (a read-only data folder), the lock is a no-op: nothing can be
restored there anyway.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core.errors import DatabaseError, UpdateBusyError  # noqa: F401 - UpdateBusyError: raised here

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".lock"
UPDATE_SUFFIX = ".update.lock"
_EX_NB = (fcntl.LOCK_EX | fcntl.LOCK_NB) if fcntl else 0
_SH_NB = (fcntl.LOCK_SH | fcntl.LOCK_NB) if fcntl else 0
WAIT_S = 30.0  # how long an open waits for a restore (or another open's few-millisecond check) to finish


def lock_path(db_path: Path | str) -> Path:
    """Where the lock file of a library database lives."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + LOCK_SUFFIX)




class LibraryLock:
    """The lock file of one library database, held by this process through one open file."""

    suffix = LOCK_SUFFIX

    def __init__(self, db_path: Path | str) -> None:
        db_path = Path(db_path)
        self.path = db_path.with_name(db_path.name + self.suffix)
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
            return self._pid_in_file()
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

    def _pid_in_file(self) -> list[int]:
        """The pid an UpdateLock holder wrote into the file (where /proc/locks does not exist)."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            return []
        return [int(text)] if text.isdigit() else []

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
        """True: taken; False: someone else holds it (or the file is not open); None: this file system
        has no flock."""
        if self._fd is None:
            return False
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
        if self._fd is None:
            return False
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


class UpdateLock(LibraryLock):
    """The one-writer lock of the long jobs: taken exclusively without waiting, so a second `scan` (or
    analyze, embed, import) of the same library is refused at once instead of racing the first one
    (two scanners inserting the same new files failed with `UNIQUE constraint failed: items.path`).

    Re-entrant on the thread that holds it (update() runs scan, then analyze, then embed); another
    thread of this process, another Library on the same folder and another process are all refused.
    The kernel drops it when the holder dies. A no-op where flock does not exist or the file cannot be
    made (a read-only folder: nothing can be written there anyway)."""

    suffix = UPDATE_SUFFIX

    def __init__(self, db_path: Path | str) -> None:
        super().__init__(db_path)
        self._owner: int | None = None  # the thread id holding it
        self._depth = 0
        self._mutex = threading.Lock()

    def take(self) -> None:
        """Hold it (again, on the thread that holds it); raises UpdateBusyError when someone else does."""
        me = threading.get_ident()
        with self._mutex:
            if self._depth and self._owner == me:
                self._depth += 1
                return
            if self._depth or not self.try_exclusive():
                raise UpdateBusyError(busy_message(self.holders()))
            if self._fd is not None:
                try:  # for the message of the next one (where /proc/locks does not exist)
                    os.ftruncate(self._fd, 0)
                    os.write(self._fd, str(os.getpid()).encode("ascii"))
                except OSError:
                    pass
            self._owner, self._depth = me, 1

    def give(self) -> None:
        """Let go once; the last `give` of the holder releases it."""
        with self._mutex:
            if not self._depth:
                return
            self._depth -= 1
            if not self._depth:
                self._owner = None
                self.release()

    def release(self) -> None:
        """Let go now, however often it was taken (close() of the Library)."""
        self._depth, self._owner = 0, None
        super().release()


def busy_message(pids: list[int]) -> str:
    """What a second long job says while one is running."""
    return (f"another Encore is already updating this library{_pids(pids)}; wait for it to finish, "
            "then try again")


def _pids(pids: list[int]) -> str:
    if not pids:
        return ""
    return " (pid " + ", ".join(str(p) for p in pids) + ")"


def open_elsewhere_message(pids: list[int]) -> str:
    """What restore says while the library is open."""
    return (f"the library is open in another Encore window or command{_pids(pids)}; close it first, "
            "then run `encore restore` again")
