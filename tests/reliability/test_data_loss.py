"""Issue 16, data loss 1-4: kept copies never overwrite anything; restore refuses while the library is
open elsewhere and asks before replacing a healthy, newer database; an empty file where a library was is
damage; a -wal deleted or cut short after a crash loses no acknowledged play, and what can be lost is said."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.db import backup, files
from core.db.integrity import DamagedDatabaseError
from core.errors import DatabaseError, UserError
from tests.reliability.test_database_protection import _library_with_history

REPO = Path(__file__).resolve().parents[2]


def _plays(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*) FROM play_events").fetchone()[0]
    finally:
        conn.close()


def _backed_up_library(data_dir: Path) -> tuple[Path, Path]:
    """50 items and 50 plays, one manual backup, closed (everything in the main file)."""
    lib = _library_with_history(data_dir)
    taken = backup.take_backup(lib.store.conn, lib.paths.backups, reason="manual")
    lib.close()
    return lib.paths.db, taken


def _child(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


# ----- 1. kept copies never overwrite anything -----------------------------------------------------------
def test_restore_never_overwrites_a_kept_copy(data_dir, monkeypatch):
    db, _ = _backed_up_library(data_dir)
    # Names a per-second restore would pick during the next few seconds are taken by precious files.
    now = datetime.now()
    precious = {}
    for s in range(-1, 6):
        name = f"library.sqlite3.damaged-{(now + timedelta(seconds=s)):%Y%m%d-%H%M%S}"
        for side in ("", "-wal"):
            path = data_dir / (name + side)
            path.write_bytes(f"precious {name}{side}".encode())
            precious[path] = path.read_bytes()

    kept = []
    for damage in (b"first damage " * 400, b"second damage " * 400):  # two restores, well within a second
        db.write_bytes(damage)
        Path(str(db) + "-wal").write_bytes(b"its wal")
        result = backup.restore(db, data_dir / "backups")
        assert result["previous"] == "damaged"
        kept.append((Path(result["kept_as"]), damage))
    for path, content in precious.items():
        assert path.read_bytes() == content, f"{path.name} was overwritten"
    assert kept[0][0] != kept[1][0]
    for path, content in kept:
        assert path.read_bytes() == content  # each set-aside database is itself, and its -wal beside it
        assert Path(str(path) + "-wal").read_bytes() == b"its wal"
    assert _plays(db) == 50


def test_same_second_restores_count_up(data_dir, monkeypatch):
    db, _ = _backed_up_library(data_dir)
    monkeypatch.setattr(files, "time_stamp", lambda: "20260101-000000")
    names = []
    for n in range(3):
        db.write_bytes(b"damage %d " % n * 500)
        names.append(Path(backup.restore(db, data_dir / "backups")["kept_as"]).name)
    assert names == ["library.sqlite3.damaged-20260101-000000", "library.sqlite3.damaged-20260101-000000-2",
                     "library.sqlite3.damaged-20260101-000000-3"]
    for n, name in enumerate(names):
        assert (data_dir / name).read_bytes() == b"damage %d " % n * 500


# ----- 2. restore while the library is open; a healthy, newer database --------------------------------
HOLDER = r"""
import os, sys, time
from core.library import Library
from core.models import PlayEvent
lib = Library(sys.argv[1])
print(os.getpid(), flush=True)
for line in sys.stdin:
    if line.strip() == "play":
        lib.record_play(PlayEvent(item_id=1, started_at=time.time(), seconds=30.0))
        print("played", flush=True)
    elif line.strip() == "close":
        lib.close()
        print("closed", flush=True)
        break
"""


def test_restore_refuses_while_another_process_has_the_library_open(data_dir):
    db, taken = _backed_up_library(data_dir)
    proc = _child(HOLDER, str(data_dir))
    try:
        pid = int(proc.stdout.readline())
        for _ in range(5):  # plays after the backup: the open library is healthy and newer
            proc.stdin.write("play\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "played"
        before = sorted(p.name for p in data_dir.iterdir())
        with pytest.raises(DatabaseError) as info:
            backup.restore(db, data_dir / "backups")
        assert "open in another Encore window or command" in str(info.value)
        assert f"pid {pid}" in str(info.value) and "close it first" in str(info.value)
        assert sorted(p.name for p in data_dir.iterdir()) == before  # nothing moved
        proc.stdin.write("play\n")  # and the other process goes on writing into the real library
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "played"
    finally:
        _kill(proc)  # kill -9: the kernel drops its lock, a crashed window never blocks a restore
    assert _plays(db) == 56

    # The current database is healthy and newer than the backup: not replaced without force.
    with pytest.raises(UserError) as info:
        backup.restore(db, data_dir / "backups")
    assert "healthy" in str(info.value) and "--force" in str(info.value)
    assert _plays(db) == 56
    result = backup.restore(db, data_dir / "backups", force=True)
    assert result["restored_from"] == str(taken) and result["previous"] == "replaced"
    assert ".replaced-" in result["kept_as"] and result["damaged_kept_as"] is None and result["warning"]
    assert _plays(Path(result["kept_as"])) == 56 and _plays(db) == 50


def test_restore_refuses_while_this_process_has_it_open(data_dir):
    from core.library import Library

    db, _ = _backed_up_library(data_dir)
    lib = Library(data_dir)
    with pytest.raises(DatabaseError, match=f"pid {os.getpid()}"):
        backup.restore(db, data_dir / "backups", force=True)
    lib.close()
    result = backup.restore(db, data_dir / "backups")  # unchanged since the backup: no force needed
    assert result["previous"] == "replaced" and "warning" not in result
    assert not (data_dir / "library.sqlite3.lock").exists()  # the last one out removes the lock file


# ----- 3. an empty file where a library was ---------------------------------------------------------------
def test_empty_database_file_is_damage_when_backups_hold_a_library(data_dir):
    from core.config import Paths
    from core.doctor import check_database
    from core.library import Library

    db, taken = _backed_up_library(data_dir)
    db.write_bytes(b"")
    with pytest.raises(DamagedDatabaseError) as info:
        Library(data_dir)
    message = str(info.value)
    assert "empty" in message and "encore restore" in message and taken.name in message
    with pytest.raises(DamagedDatabaseError):
        Library(data_dir, integrity="background")
    assert db.stat().st_size == 0  # not made into a new, empty library
    report = check_database(Paths(data_dir))
    assert report[0]["status"] == "error" and "empty" in report[0]["detail"]
    assert "encore restore" in report[0]["fix"]

    result = backup.restore(db, data_dir / "backups")
    assert result["previous"] == "damaged" and Path(result["kept_as"]).stat().st_size == 0
    lib = Library(data_dir)
    assert lib.stats()["play_events"] == 50
    lib.close()


def test_empty_database_file_without_backups_is_a_new_library(data_dir):
    from core.library import Library

    (data_dir / "library.sqlite3").write_bytes(b"")  # a crash while a brand-new library was created
    lib = Library(data_dir)
    assert lib.stats()["items"] == 0
    lib.close()


def test_a_backup_that_is_empty_is_never_restored(data_dir):
    db, taken = _backed_up_library(data_dir)
    (data_dir / "backups" / "library-99990101-000000-000000-manual.sqlite3").write_bytes(b"")
    db.write_bytes(b"damage" * 1000)
    result = backup.restore(db, data_dir / "backups")
    assert result["restored_from"] == str(taken) and "not an Encore library" in result["skipped_backups"][0]


# ----- 4. a -wal deleted or cut short after a crash -------------------------------------------------------
WRITER = r"""
import sqlite3, sys, time
from core.db.connection import Store
from core.library import Library
from core.models import PlayEvent
data, mode = sys.argv[1], sys.argv[2]
if mode == "no-checkpoint":
    Store.checkpoint_after_write = False  # as if every checkpoint had been held up
lib = Library(data)
lib.health.wait(30)
lib.health.join(30)  # the daily backup (a reader) is done
if mode == "reader":  # a reader holds an old snapshot, so checkpoints cannot copy the new plays
    reader = sqlite3.connect(lib.paths.db)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM play_events").fetchone()
for n in range(1, 10_000):
    lib.record_play(PlayEvent(item_id=1 + n % 5, started_at=time.time(), seconds=30.0))
    print(n, flush=True)
"""


def _crash_after_plays(data_dir: Path, mode: str, plays: int = 25) -> int:
    """Run a play writer, SIGKILL it after `plays` acknowledged plays; returns how many were acknowledged."""
    proc = _child(WRITER, str(data_dir), mode)
    acked = 0
    try:
        for line in proc.stdout:
            acked = int(line)
            if acked >= plays:
                break
    finally:
        _kill(proc)
    assert acked >= plays, proc.stderr.read()
    return acked


@pytest.fixture
def small_library(data_dir):
    from core.library import Library

    lib = Library(data_dir)
    with lib.store.write() as conn:
        for i in range(5):
            conn.execute("INSERT INTO items (path, dir, filename, ext, kind, size, mtime_ns, added_at, updated_at)"
                         " VALUES (?, '/m', ?, 'flac', 'audio', 1, 1, 0, 0)", (f"/m/{i}.flac", f"{i}.flac"))
    lib.close()
    return data_dir / "library.sqlite3"


def test_deleting_the_wal_after_a_crash_loses_no_acknowledged_play(small_library, data_dir):
    from core.library import Library

    acked = _crash_after_plays(data_dir, "checkpoint")
    for side in ("-wal", "-shm"):
        Path(str(small_library) + side).unlink(missing_ok=True)
    assert _plays(small_library) >= acked  # every acknowledged play was in the main file already
    lib = Library(data_dir)  # nothing was lost, so nothing to say
    assert lib.stats()["play_events"] >= acked
    lib.close()


@pytest.mark.parametrize("damage", ["deleted", "cut short"])
def test_a_lost_wal_is_reported_by_doctor_and_at_open(small_library, data_dir, damage):
    from core.config import Paths
    from core.doctor import check_database
    from core.library import Library

    _crash_after_plays(data_dir, "no-checkpoint")
    wal = Path(str(small_library) + "-wal")
    assert wal.stat().st_size > 32
    if damage == "deleted":
        wal.unlink()
    else:
        os.truncate(wal, wal.stat().st_size // 2)
    main_bytes = small_library.read_bytes()
    for _ in range(2):  # doctor only looks: it says so every time, and changes nothing
        report = check_database(Paths(data_dir))
        assert report[0]["status"] == "error", report
        assert "-wal" in report[0]["detail"] and ("missing" if damage == "deleted" else "cut short") in report[0]["detail"]
    assert small_library.read_bytes() == main_bytes
    with pytest.raises(DatabaseError) as info:
        Library(data_dir)
    assert "-wal" in str(info.value) and "lost" in str(info.value) and "put it back" in str(info.value)
    assert small_library.read_bytes() == main_bytes
    lib = Library(data_dir)  # said once: the next open goes on with what the main file holds
    lib.close()


def test_a_lost_wal_is_reported_even_when_the_shm_went_with_it(small_library, data_dir):
    from core.db.connection import pending_path
    from core.library import Library

    _crash_after_plays(data_dir, "reader")
    assert pending_path(small_library).exists()  # the checkpoints could not finish: the marker says so
    for side in ("-wal", "-shm"):
        Path(str(small_library) + side).unlink()
    with pytest.raises(DatabaseError, match="-wal"):
        Library(data_dir)
    Library(data_dir).close()
    assert not pending_path(small_library).exists()


def test_an_ordinary_crash_with_its_wal_is_not_reported(small_library, data_dir):
    from core.library import Library

    acked = _crash_after_plays(data_dir, "no-checkpoint")
    lib = Library(data_dir)  # the -wal is there: SQLite replays it, nothing is lost, nothing is said
    assert lib.stats()["play_events"] >= acked
    lib.close()


def test_reading_backups_leaves_no_wal_or_shm_beside_them(data_dir):
    """restore checks backups read-only: that must not litter backups/ with -wal and -shm files."""
    from core.library import Library

    lib = Library(data_dir)
    try:
        with lib.store.lock:
            backup.take_backup(lib.store.conn, lib.paths.backups, reason="manual")
    finally:
        lib.close()
    backup.restore(data_dir / "library.sqlite3", data_dir / "backups", force=True)
    leftovers = [p.name for p in (data_dir / "backups").iterdir() if p.name.endswith(("-wal", "-shm"))]
    assert leftovers == []
