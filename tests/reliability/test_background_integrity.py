"""Promise 4 with the check off the start-up path: `Library(integrity="background")` (the desktop app)
opens after a cheap header/schema check, runs quick_check on a thread, holds writes until it passes,
refuses them (and skips the daily backup) when it fails."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from core.db import backup, integrity
from core.db.integrity import DamagedDatabaseError, open_check
from tests.reliability.test_database_protection import _library_with_history


def _corrupt_table_pages(db: Path, table: str) -> list[int]:
    """Overwrite the b-tree pages of one table only (header, cell pointers, first cells): the schema
    stays readable, so only a full quick_check can find the damage. Returns the page numbers."""
    conn = sqlite3.connect(db)
    pages = [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ?", (table,))]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert pages and 1 not in pages
    data = bytearray(db.read_bytes())
    for page in pages:
        offset = (page - 1) * page_size
        data[offset: offset + 600] = b"\xde\xad\xbe\xef" * 150
    db.write_bytes(bytes(data))
    return pages


def _damaged_library(data_dir: Path) -> tuple[Path, Path]:
    """A library with 50 plays and one backup whose play_events pages are then destroyed; the daily
    backup is due (the last one is 2 days old), so a check that let it run would copy the damage."""
    lib = _library_with_history(data_dir)
    taken = backup.take_backup(lib.store.conn, lib.paths.backups, reason="manual")
    state_file = lib.paths.backups / backup.STATE_FILE
    state = json.loads(state_file.read_text())
    state.update(last_backup_at=time.time() - 2 * backup.DAILY_SECONDS, fingerprint="older")
    state_file.write_text(json.dumps(state))
    lib.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lib.close()
    db = lib.paths.db
    for side in ("-wal", "-shm"):
        Path(str(db) + side).unlink(missing_ok=True)
    _corrupt_table_pages(db, "play_events")
    return db, taken


def test_damage_inside_a_table_is_found_in_the_background_and_nothing_is_written(data_dir, monkeypatch):
    from core.library import Library
    from core.models import PlayEvent

    db, taken = _damaged_library(data_dir)
    daily_runs: list[Path] = []
    monkeypatch.setattr(backup, "daily_at", lambda db, folder: daily_runs.append(db))
    damaged_bytes = db.read_bytes()
    backups_before = backup.list_backups(data_dir / "backups")
    assert open_check(db).ok  # the cheap check at open cannot see it...

    lib = Library(data_dir, integrity="background")  # ...so the library opens
    assert lib.health.wait(120), "the background check never finished"
    assert lib.health.damaged and lib.health.background
    message = str(lib.health.error)
    assert "damaged" in message and "encore restore" in message and taken.name in message
    with pytest.raises(DamagedDatabaseError):  # every write is refused from now on
        lib.record_play(PlayEvent(item_id=1, started_at=time.time(), seconds=30.0))
    with pytest.raises(DamagedDatabaseError):
        lib.add_root("/elsewhere")
    lib.close()
    assert db.read_bytes() == damaged_bytes  # not one byte written
    assert backup.list_backups(data_dir / "backups") == backups_before  # the due daily backup was skipped
    assert daily_runs == []  # not even attempted on a file that failed the check

    with pytest.raises(DamagedDatabaseError):  # the CLI's synchronous open refuses it as before
        Library(data_dir)
    result = backup.restore(db, data_dir / "backups")
    assert result["restored_from"] == str(taken)
    lib = Library(data_dir, integrity="background")
    assert lib.health.wait(60) and lib.health.error is None
    assert lib.store.query("SELECT COUNT(*) FROM play_events")[0][0] == 50
    lib.close()
    assert len(daily_runs) == 1  # a healthy library gets its daily backup, after the check


def test_background_open_does_not_wait_for_quick_check(data_dir, monkeypatch):
    """The open returns while quick_check is still running (here: held), reads work meanwhile, and a
    write waits for the verdict, then goes through."""
    from core.library import Library

    _library_with_history(data_dir).close()
    release = threading.Event()
    checked_on: list[str] = []
    real_check = integrity.check

    def slow_check(*args, **kwargs):
        checked_on.append(threading.current_thread().name)
        assert release.wait(60)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(integrity, "check", slow_check)
    started = time.monotonic()
    lib = Library(data_dir, integrity="background")
    opened_in = time.monotonic() - started
    try:
        assert not lib.health.done and opened_in < 30  # returned with the check still held
        assert lib.stats()["play_events"] == 50  # reading does not wait

        wrote = threading.Event()

        def writer() -> None:
            lib.set_resume_position(1, 42.0)
            wrote.set()

        thread = threading.Thread(target=writer)
        thread.start()
        assert not wrote.wait(0.5)  # the write waits for the verdict...
        release.set()
        assert wrote.wait(60)  # ...and goes through once the check passed
        thread.join()
        assert lib.health.error is None and lib.health.report.detail == "ok"
        assert checked_on == ["encore-health-check"]
        assert lib.resume_position(1) == 42.0
    finally:
        release.set()
        lib.close()


def test_now_mode_checks_before_returning(data_dir, monkeypatch):
    """The CLI keeps the synchronous check: it has run on the caller's thread when Library() returns."""
    from core.library import Library

    _library_with_history(data_dir).close()
    checked_on: list[str] = []
    real_check = integrity.check

    def spy(*args, **kwargs):
        checked_on.append(threading.current_thread().name)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(integrity, "check", spy)
    lib = Library(data_dir)
    assert lib.health.done and lib.health.error is None and not lib.health.background
    assert checked_on == [threading.current_thread().name]
    lib.close()


def test_damaged_schema_or_header_is_still_refused_at_open(data_dir):
    """What the cheap check covers (not SQLite, a truncated file) never gets as far as a window."""
    from core.library import Library

    lib = _library_with_history(data_dir)
    lib.close()
    db = lib.paths.db
    Path(str(db) + "-wal").unlink(missing_ok=True)
    good = db.read_bytes()
    db.write_bytes(good[: len(good) // 2])  # a torn copy
    with pytest.raises(DamagedDatabaseError, match="damaged"):
        Library(data_dir, integrity="background")
    assert len(db.read_bytes()) == len(good) // 2
    db.write_bytes(b"not sqlite" * 1000)
    with pytest.raises(DamagedDatabaseError):
        Library(data_dir, integrity="background")


def test_closing_during_the_check_stops_it_and_refuses_late_writes(data_dir):
    """close() interrupts a running check instead of waiting for it; nothing is written unchecked."""
    from core.db.integrity import HealthCheck

    _library_with_history(data_dir).close()
    health = HealthCheck(data_dir / "library.sqlite3", data_dir / "backups")
    health.cancel()  # closing before the check began
    health.start(then=lambda: pytest.fail("the daily backup must not run after a cancelled check"))
    health.join(30)
    assert health.done and not health.damaged
    with pytest.raises(integrity.DatabaseError, match="closing"):
        health.require_ok()
