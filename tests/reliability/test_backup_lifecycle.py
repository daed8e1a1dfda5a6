"""Issue 16, case 11: the daily backup is taken only by long-lived processes and finished by them; a copy
whose writer was killed is removed at the next open at once, not an hour later.

Eight `play` commands each started the daily backup and were killed with it when they exited: eight
partial copies, 505 MB beside an 80 MB library. Short commands start none now; the app, its upkeep process
and the CLI's long commands (scan, analyze, embed, history import) take it and wait for its copy at exit.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.cli import main
from core.db import backup
from core.errors import DatabaseError
from tests.reliability.test_database_protection import _library_with_history

REPO = Path(__file__).resolve().parents[2]

# Takes a backup whose copy never ends (a stand-in connection): killed mid-copy, like a command's exit.
SLOW_COPY = """
import sys, time
from core.db.backup import take_backup

class EndlessCopy:
    def backup(self, target):
        target.execute("CREATE TABLE half (x)")
        target.commit()
        print("copying", flush=True)
        time.sleep(600)

take_backup(EndlessCopy(), sys.argv[1], reason="daily")
"""


def _library_due_for_its_daily_backup(data_dir: Path) -> Path:
    """50 items and 50 plays, closed, and no backup yet (so the daily one is due at the next open)."""
    lib = _library_with_history(data_dir)
    lib.close()
    for old in backup.list_backups(lib.paths.backups):
        old.unlink()
    (lib.paths.backups / backup.STATE_FILE).unlink(missing_ok=True)
    return lib.paths.backups


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _join_backup_threads() -> None:
    for thread in threading.enumerate():
        if thread.name == "encore-health-check":
            thread.join(timeout=60)


def test_short_commands_start_no_backup(data_dir, capsys):
    backups = _library_due_for_its_daily_backup(data_dir)
    for _ in range(8):
        assert main(["--data-dir", str(data_dir), "play", "1"]) == 0
    assert main(["--data-dir", str(data_dir), "stats"]) == 0
    _join_backup_threads()  # a copy started by any of them would be done (or half done) now
    assert [n for n in _leftovers(backups) if n != backup.STATE_FILE] == []
    # Eight plays, each in its own real process (killed copies were the bug): nothing in backups/ either.
    for _ in range(2):
        out = subprocess.run([sys.executable, "main.py", "--data-dir", str(data_dir), "play", "1"], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    assert [n for n in _leftovers(backups) if n != backup.STATE_FILE] == []


def test_a_long_command_finishes_its_daily_backup_before_it_exits(data_dir, tmp_path):
    backups = _library_due_for_its_daily_backup(data_dir)
    root = tmp_path / "empty-root"
    root.mkdir()
    out = subprocess.run([sys.executable, "main.py", "--data-dir", str(data_dir), "scan", str(root)], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    made = backup.list_backups(backups)
    assert len(made) == 1 and "-daily" in made[0].name
    assert not [n for n in _leftovers(backups) if n.endswith(".tmp")]
    conn = sqlite3.connect(made[0])
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM play_events").fetchone()[0] == 50  # a whole copy
    finally:
        conn.close()


def test_a_killed_backup_leaves_nothing_after_the_next_open(data_dir):
    from core.library import Library

    backups = _library_due_for_its_daily_backup(data_dir)
    child = subprocess.Popen([sys.executable, "-c", SLOW_COPY, str(backups)], cwd=REPO, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert child.stdout.readline().strip() == "copying", child.stderr.read()
        partial = [p for p in backups.iterdir() if p.name.endswith(".tmp")]
        assert len(partial) == 1 and f".{child.pid}.tmp" in partial[0].name  # the writer's pid in its name
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    # Copies that must stay: one being written by a live process (this one), and one from an older Encore
    # (no pid in its name) younger than an hour; one from an older Encore older than an hour goes.
    live = backups / f".library-20260101-000000-000000-daily.sqlite3.{os.getpid()}.tmp"
    live.write_bytes(b"being written")
    young = backups / ".library-20260101-000001-000000-daily.sqlite3.tmp"
    young.write_bytes(b"older Encore, maybe still copying")
    old = backups / ".library-20250101-000000-000000-daily.sqlite3.tmp"
    old.write_bytes(b"older Encore, long dead")
    os.utime(old, (time.time() - 7200, time.time() - 7200))

    lib = Library(data_dir, daily_backup=False)  # seconds after the kill, not an hour
    try:
        left = _leftovers(backups)
        assert partial[0].name not in left
        assert old.name not in left
        assert live.name in left and young.name in left
    finally:
        lib.close()
        live.unlink()
        young.unlink()


def test_a_failed_copy_removes_its_temporary_file(data_dir):
    backups = _library_due_for_its_daily_backup(data_dir)

    class FailingCopy:
        def backup(self, target: sqlite3.Connection) -> None:
            target.execute("CREATE TABLE half (x)")
            target.commit()
            raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(DatabaseError, match="is full: free some space; no backup was taken"):
        backup.take_backup(FailingCopy(), backups)  # type: ignore[arg-type]
    assert [n for n in _leftovers(backups) if n != backup.STATE_FILE] == []
