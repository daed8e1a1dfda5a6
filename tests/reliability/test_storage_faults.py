"""Issue 16, cases 8, 17 and 22 (parts 1 and 4): storage that fails under Encore is said in plain words.

A full disk, a data folder that cannot be one, the data folder deleted during `scan --analyze`, another
program's SQLite file named library.sqlite3, and an embedding-model setting that names no model: each is
one plain line (exit code 2 where the command cannot do its work), never a traceback, never a success
that did not happen, and nothing half-written is left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.errors import DatabaseError
from tests.media import write_audio
from tests.reliability.test_database_protection import _library_with_history

REPO = Path(__file__).resolve().parents[2]
FULL = "is full: free some space"


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs (root only): the way to fill a disk for real without filling the machine's."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "size=4m"):
        pytest.skip("cannot mount a tmpfs here (needs root and mount permission): the full-disk cases run "
                    "where it can; test_a_file_size_limit_... covers the backup case with RLIMIT_FSIZE")
    yield disk
    _umount(disk)


def _fill(disk: Path) -> Path:
    """Write a ballast file until the disk is full (no byte left)."""
    ballast = disk / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 512, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                continue
    finally:
        os.close(fd)
    return ballast


def _run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, out.err


def _plays(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM play_events").fetchone()[0]
    finally:
        conn.close()


def _temporaries(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.endswith((".tmp", ".restoring"))]


# ----- 8. a full disk ---------------------------------------------------------------------------------------
def test_a_full_disk_is_one_plain_line_and_nothing_is_half_written(small_disk, tmp_path, capsys):
    data = small_disk / "data"
    _library_with_history(data).close()  # 50 items, 50 plays, all in the main file
    root = tmp_path / "media"
    write_audio(root / "new.wav", seconds=0.2)
    listens = tmp_path / "listens.m3u"
    listens.write_text("/m/1.flac\n/m/2.flac\n")
    ballast = _fill(small_disk)
    d = ["--data-dir", str(data)]
    for argv in (["play", "1"], ["rate", "2", "like"], ["scan", str(root)], ["history", "import", str(listens)]):
        code, err = _run(d + argv, capsys)
        assert code == 2, (argv, err)
        assert f"encore: the disk holding {data} {FULL}; nothing was lost" in err, (argv, err)
    code, err = _run(d + ["backup"], capsys)
    assert code == 2 and f"the disk holding {data}" in err and FULL in err, err
    # Room for half a copy: the backup starts, runs out of room, and its .tmp (left before) is gone.
    os.truncate(ballast, ballast.stat().st_size - (data / "library.sqlite3").stat().st_size // 2)
    code, err = _run(d + ["backup"], capsys)
    assert code == 2 and f"{FULL}; no backup was taken, nothing was lost" in err, err
    assert _temporaries(data) == []
    assert _plays(data / "library.sqlite3") == 50
    # A new data folder on the full disk: the same line, and no half-made library left in it.
    fresh = small_disk / "fresh"
    code, err = _run(["--data-dir", str(fresh), "stats"], capsys)
    assert code == 2 and f"the disk holding {fresh} {FULL}" in err, err
    assert not (fresh / "library.sqlite3").exists()
    # Room again: everything works, nothing was lost.
    ballast.unlink()
    assert _run(d + ["play", "1", "--at", "2020-01-01T12:00:00"], capsys)[0] == 0
    assert _run(d + ["backup"], capsys)[0] == 0
    assert _plays(data / "library.sqlite3") == 51
    conn = sqlite3.connect(data / "library.sqlite3")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_file_size_limit_makes_backup_fail_plainly_and_leave_nothing(tmp_path, capsys):
    resource = pytest.importorskip("resource", reason="RLIMIT_FSIZE is POSIX only")
    import signal

    if not hasattr(signal, "SIGXFSZ"):
        pytest.skip("no SIGXFSZ on this system: a file-size limit would kill the process instead")
    data = tmp_path / "data"
    _library_with_history(data).close()
    limit = (data / "library.sqlite3").stat().st_size // 2  # the copy cannot be written whole

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = subprocess.run([sys.executable, "main.py", "--data-dir", str(data), "backup"], cwd=REPO, text=True,
                         capture_output=True, timeout=120, preexec_fn=limited)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert f"the disk holding {data / 'backups'}" in out.stderr and "no backup was taken, nothing was lost" in out.stderr
    assert _temporaries(data) == []
    assert main(["--data-dir", str(data), "backup"]) == 0  # without the limit it works


# ----- 8. data folders that cannot be one -------------------------------------------------------------------
def test_data_folders_that_cannot_be_one_are_plain_messages(tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    folders = [a_file, a_file / "under", Path("/proc/x")]
    read_only = tmp_path / "ro"
    if _mount_tmpfs(read_only, "ro,size=1m"):
        folders.append(read_only / "data")  # under a read-only parent (root ignores permission bits)
    try:
        for folder in folders:
            for argv in (["stats"], ["scan", str(tmp_path)], ["play", "1"], ["backup"], ["restore"]):
                code, err = _run(["--data-dir", str(folder), *argv], capsys)
                assert code == 2, (folder, argv, err)
                assert err.startswith("encore: ") and str(folder) in err, (folder, argv, err)
            assert not a_file.is_dir() and a_file.read_text() == "not a folder"
    finally:
        if read_only in [f.parent for f in folders]:
            _umount(read_only)


# ----- 17. the data folder deleted while Encore works ---------------------------------------------------------
def _deleting(target: Path):
    def progress(_p) -> None:
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()

    return progress


@pytest.mark.parametrize("what", ["data folder", "database file"])
def test_a_library_deleted_during_an_update_is_said_not_reported_as_done(tmp_path, what):
    from core.library import Library

    root = tmp_path / "media"
    for i in range(3):
        write_audio(root / f"{i}.wav", seconds=0.2, freq=300 + 100 * i)
    data = tmp_path / "data"
    lib = Library(data, daily_backup=False)
    target = data if what == "data folder" else data / "library.sqlite3"
    try:
        with pytest.raises(DatabaseError) as caught:
            lib.update(paths=[str(root)], progress=_deleting(target))  # scan -> analyze -> embed
        message = str(caught.value)
        assert "was deleted" in message and "while Encore was working" in message
        assert "nothing was saved after" in message
        assert ("data folder" in message) == (what == "data folder")
    finally:
        lib.close()
    assert not target.exists()  # no new, empty library was made in its place


def test_scan_analyze_into_a_deleted_folder_exits_2(tmp_path, capsys, monkeypatch):
    import core.cli.scan

    root = tmp_path / "media"
    write_audio(root / "a.wav", seconds=0.2)
    data = tmp_path / "data"
    monkeypatch.setattr(core.cli.scan, "progress_printer", lambda args: _deleting(data))
    code, err = _run(["--data-dir", str(data), "scan", str(root), "--analyze"], capsys)
    assert code == 2
    assert f"the data folder {data} was deleted while Encore was working" in err
    assert "Analysed" not in err


# ----- 22. another program's database, a broken embedding-model setting ----------------------------------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["tables", "rails", "application id"])
def test_another_programs_database_is_refused_unchanged(data_dir, capsys, kind):
    from core.library import Library

    db = data_dir / "library.sqlite3"
    conn = sqlite3.connect(db)
    if kind == "tables":
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('my precious notes')")
    elif kind == "rails":  # another program's schema_migrations
        conn.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)")
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO schema_migrations VALUES ('20240101000000')")
    else:
        conn.execute("PRAGMA application_id = 1096045654")  # another program's header, no table yet
    conn.commit()
    conn.close()
    before = _digest(db)
    with pytest.raises(DatabaseError, match="is not an Encore library"):
        Library(data_dir)
    code, err = _run(["--data-dir", str(data_dir), "stats"], capsys)
    assert code == 2 and "is not an Encore library" in err and "Encore has not changed it" in err
    assert main(["--data-dir", str(data_dir), "doctor", "--json", "--no-gpu"]) == 1
    report = json.loads(capsys.readouterr().out)
    database = next(c for c in report["checks"] if c["name"] == "database")
    assert database["status"] == "error" and "not an Encore library" in database["detail"]
    assert _digest(db) == before
    assert not (data_dir / "library.sqlite3-wal").exists()


def test_encore_libraries_carry_its_application_id_and_old_ones_still_open(data_dir, tmp_path):
    from core.db.migrate import APPLICATION_ID
    from core.library import Library

    Library(data_dir, daily_backup=False).close()
    conn = sqlite3.connect(data_dir / "library.sqlite3")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "schemas" / "schema-0001.sqlite3", old / "library.sqlite3")
    lib = Library(old, daily_backup=False)  # made before the application id: known by schema_migrations
    try:
        assert lib.stats()["play_events"] > 0
        assert lib.store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        lib.close()


def test_a_broken_embedding_model_setting_is_told_with_the_results(tmp_path, capsys):
    from core.library import Library

    root = tmp_path / "media"
    write_audio(root / "song.wav", seconds=0.2)
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "scan", str(root)]) == 0
    lib = Library(data, daily_backup=False)
    try:
        assert lib.search_notice() is None  # the bundled model
        lib.save_settings(embedding_model=str(tmp_path / "no-such-model"))
        notice = lib.search_notice()
        assert notice and "search matched words only" in notice and "no-such-model" in notice
        assert lib.search("song") is not None  # search still answers, on words
    finally:
        lib.close()
    capsys.readouterr()
    code, err = _run(["--data-dir", str(data), "search", "song"], capsys)
    assert code == 0
    assert "encore: warning: search matched words only" in err and "no-such-model" in err
