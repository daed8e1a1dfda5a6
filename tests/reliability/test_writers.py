"""Issue 16, case 5: one writer across processes. A second scan (analyze, embed, history import) of a library
is refused in plain words while one runs, and processes creating a new library at once never race its schema.

Each test runs real processes: two scans once failed with `UNIQUE constraint failed: items.path`, and six
processes opening a new data folder with `table roots already exists`.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cli import main
from core.db.lock import UpdateBusyError
from core.db.migrate import APPLICATION_ID, available
from tests.media import write_audio

REPO = Path(__file__).resolve().parents[2]
BUSY = "another Encore is already updating this library"

# A child that waits for the start file, so that every child starts its work in the same millisecond.
AT_ONCE = """
import os, sys, time
sys.path.insert(0, os.getcwd())
from core.cli.main import main
start = sys.argv[1]
while not os.path.exists(start):
    time.sleep(0.001)
sys.exit(main(sys.argv[2:]))
"""

HOLD_UPDATE = """
import sys
from core.library import Library
lib = Library(sys.argv[1], daily_backup=False)
with lib.updating():
    print("holding", flush=True)
    sys.stdin.readline()
"""


def _media(root: Path, n: int) -> Path:
    data = write_audio(root.parent / "src.wav", 0.02).read_bytes()
    for i in range(n):
        path = root / f"a{i // 20:02d}" / f"{i:03d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[:-4] + i.to_bytes(4, "little"))
    return root


def _at_once(start: Path, argvs: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Run `encore ARGV` in one process per argv, all released together; their results in order."""
    procs = [subprocess.Popen([sys.executable, "-c", AT_ONCE, str(start), *argv], cwd=REPO, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for argv in argvs]
    time.sleep(3.0)  # every child has imported Encore and waits
    start.touch()
    results = []
    for proc, argv in zip(procs, argvs, strict=True):
        out, err = proc.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(argv, proc.returncode, out, err))
    return results


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_two_scans_at_once_never_crash(tmp_path):
    root = _media(tmp_path / "m", 300)
    for round_ in range(2):
        data = tmp_path / f"data{round_}"  # a new data folder: the schema race too
        results = _at_once(tmp_path / f"go{round_}", [["--data-dir", str(data), "scan", str(root)]] * 2)
        for r in results:
            assert "Traceback" not in r.stderr, r.stderr
            assert r.returncode in (0, 2), r.stderr
            if r.returncode == 2:
                assert BUSY in r.stderr and "(pid " in r.stderr and "wait for it to finish" in r.stderr
        assert any(r.returncode == 0 for r in results)
        db = data / "library.sqlite3"
        assert _count(db, "SELECT COUNT(*) FROM items") == 300
        assert _count(db, "SELECT COUNT(*) FROM items WHERE status = 'ok'") == 300
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()


def test_a_new_library_opened_by_six_processes_at_once(tmp_path):
    for round_ in range(2):
        data = tmp_path / f"data{round_}"
        results = _at_once(tmp_path / f"go{round_}", [["--data-dir", str(data), "stats", "--json"]] * 6)
        problems = [r.stderr[-300:] for r in results if r.returncode != 0 or "Traceback" in r.stderr]
        assert problems == []
        db = data / "library.sqlite3"
        numbers = {n for n, _, _ in available()}
        assert _count(db, "SELECT COUNT(*) FROM schema_migrations") == len(numbers)
        assert _count(db, "PRAGMA application_id") == APPLICATION_ID


def test_long_jobs_are_refused_while_another_process_updates(tmp_path, capsys):
    root = _media(tmp_path / "m", 3)
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "scan", str(root)]) == 0
    playlist = tmp_path / "list.m3u"
    playlist.write_text(str(root / "a00" / "000.wav") + "\n")
    capsys.readouterr()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_UPDATE, str(data)], cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "holding", holder.stderr.read()
        d = ["--data-dir", str(data)]
        for argv in (["scan", str(root)], ["scan"], ["analyze"], ["embed"], ["history", "import", str(playlist)]):
            assert main(d + argv) == 2, argv
            err = capsys.readouterr().err
            assert f"{BUSY} (pid {holder.pid}); wait for it to finish" in err, (argv, err)
            assert "Traceback" not in err
        # Short commands are not long jobs: they go on while an update runs.
        assert main(d + ["stats"]) == 0
        assert main(d + ["play", "1"]) == 0
        capsys.readouterr()
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # a crash: the kernel lets go of the lock
        holder.wait(timeout=30)
    assert main(["--data-dir", str(data), "scan", str(root)]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_one_update_at_a_time_within_a_process(tmp_path):
    from core.library import Library

    root = _media(tmp_path / "m", 3)
    first = Library(tmp_path / "data", daily_backup=False)
    second = Library(tmp_path / "data", daily_backup=False)
    try:
        with first.updating():
            with pytest.raises(UpdateBusyError, match=BUSY):
                second.update(("scan",), paths=[str(root)])
            result = second.update(("scan",), paths=[str(root)], report_errors=True)  # the upkeep process
            assert isinstance(result["errors"]["scan"], UpdateBusyError)
            # The holder itself may go on: the lock is re-entrant on its thread (update runs scan, then ...).
            assert first.update(("scan",), paths=[str(root)])["scan"]["added"] == 3
        assert second.update(("scan",))["scan"]["unchanged"] == 3  # let go: the other one may update now
    finally:
        first.close()
        second.close()


def test_switching_to_wal_waits_for_a_busy_file(monkeypatch):
    """SQLite may refuse the switch to WAL at once ("database is locked") while another process creates the
    same file; connect() tries again until it is free, and still raises anything else."""
    import sqlite3

    from core.db import connection

    class Busy:
        def __init__(self, fails: int, message: str = "database is locked") -> None:
            self.fails, self.message, self.calls = fails, message, 0

        def execute(self, sql: str):
            self.calls += 1
            if self.calls <= self.fails:
                raise sqlite3.OperationalError(self.message)

    conn = Busy(3)
    connection._journal_mode_wal(conn)  # type: ignore[arg-type]
    assert conn.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        connection._journal_mode_wal(Busy(1, "disk I/O error"))  # type: ignore[arg-type]
    monkeypatch.setattr(connection, "WAL_SWITCH_WAIT_S", 0.05)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        connection._journal_mode_wal(Busy(10_000))  # type: ignore[arg-type]
