"""Promise 2: a crash mid-work loses nothing committed. Each test SIGKILLs a real Encore process at
random points (several seeds), reopens the database, checks it, and finishes the work."""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.db.integrity import check
from tests.media import write_audio

REPO = Path(__file__).resolve().parents[2]
SEEDS = [11, 22, 33]
FILES = 600  # three commits of BATCH_ITEMS (200): kills land before, between and after them


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("killtree")
    first = write_audio(root / "src.wav", 0.02)
    data = first.read_bytes()
    first.unlink()
    for i in range(FILES):
        path = root / f"album{i // 12:02d}" / f"{i:03d}.wav"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data[:-4] + i.to_bytes(4, "little"))  # distinct content, same shape
    return root


def _count(db: Path, sql: str) -> int:
    """A committed-rows count from a separate read-only connection (0 before the file exists)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    try:  # then its worker processes, which would otherwise exit on their own when their pipe closes
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.parametrize("seed", SEEDS)
def test_scanner_killed_at_random_points_resumes(tree, tmp_path, seed):
    rng = random.Random(seed)
    data = tmp_path / "data"
    db = data / "library.sqlite3"
    # Each seed kills in a different commit window, at a random moment inside it.
    target = 200 * SEEDS.index(seed)
    proc = subprocess.Popen([sys.executable, "main.py", "--data-dir", str(data), "scan", "--json", str(tree)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    seen = 0
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            seen = _count(db, "SELECT COUNT(*) FROM items")
            if seen >= target and _count(db, "SELECT COUNT(*) FROM roots"):
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.4))
        seen = _count(db, "SELECT COUNT(*) FROM items")
        finished_first = proc.poll() is not None
    finally:
        _kill(proc)
    print(f"\nscan seed {seed}: SIGKILL with {seen}/{FILES} items committed (finished first: {finished_first})")

    report = check(db, full=True)
    assert report.ok, report.detail
    assert _count(db, "SELECT COUNT(*) FROM items") >= seen  # everything committed is still there

    from core.library import Library

    lib = Library(data)
    resumed = lib.scan([str(tree)])
    assert resumed.items_total == FILES and resumed.failed == 0
    assert resumed.added == FILES - seen or resumed.added <= FILES - seen
    assert lib.stats()["items"] == FILES
    assert lib.scan().unchanged == FILES  # and then it is done
    lib.close()
    assert check(db, full=True).ok


HISTORY_WRITER = r"""
import sys, time
from core.library import Library
from core.models import PlayEvent
lib = Library(sys.argv[1])
use_api = sys.argv[2] == "api"
i = 0
while True:
    if use_api:
        lib.record_play(PlayEvent(item_id=1 + i % 5, started_at=time.time(), seconds=30.0, completed=1.0))
    else:
        with lib.store.write() as conn:
            conn.execute("INSERT INTO play_events (item_id, started_at, seconds) VALUES (?, ?, 30)",
                         (1 + i % 5, time.time()))
    i += 1
    print(i, flush=True)  # acknowledged: the write above has committed
"""


def _history_mode() -> str:
    if importlib.util.find_spec("core.recommend.history") is None:
        return "sql"
    from core.recommend import history

    return "api" if hasattr(history, "record_play") else "sql"


@pytest.mark.parametrize("seed", SEEDS)
def test_history_writer_killed_loses_no_acknowledged_play(tmp_path, seed):
    from core.library import Library

    data = tmp_path / "data"
    lib = Library(data)
    with lib.store.write() as conn:
        for i in range(5):
            conn.execute("INSERT INTO items (path, dir, filename, ext, kind, size, mtime_ns, added_at, updated_at)"
                         " VALUES (?, '/m', ?, 'flac', 'audio', 1, 1, 0, 0)", (f"/m/{i}.flac", f"{i}.flac"))
    lib.close()
    mode = _history_mode()
    rng = random.Random(seed)
    stop_after = rng.randrange(20, 400)
    proc = subprocess.Popen([sys.executable, "-c", HISTORY_WRITER, str(data), mode], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    acked = 0
    try:
        for line in proc.stdout:
            acked = int(line)
            if acked >= stop_after:
                break
    finally:
        _kill(proc)
    assert acked >= stop_after, proc.stderr.read()
    print(f"\nhistory seed {seed} ({mode}): SIGKILL after {acked} acknowledged plays")
    db = data / "library.sqlite3"
    assert check(db, full=True).ok
    count = _count(db, "SELECT COUNT(*) FROM play_events")
    assert count >= acked, (mode, acked, count)  # the writer ran on a little while the pipe drained
    lib = Library(data)  # and it opens and takes new plays
    with lib.store.write() as conn:
        conn.execute("INSERT INTO play_events (item_id, started_at) VALUES (1, 0)")
    lib.close()


ANALYZER = r"""
import sys
from core.library import Library
Library(sys.argv[1]).analyze()
"""


ANALYSIS_FILES = 48  # three commits of the analysis queue's batch (16)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_analysis_killed_at_random_points_resumes(tmp_path, seed):
    if importlib.util.find_spec("core.analysis.queue") is None:
        pytest.skip("core.analysis.queue is not built yet (the analysis stage lands separately)")
    from core.library import Library

    root = tmp_path / "m"
    for i in range(ANALYSIS_FILES):
        write_audio(root / f"{i:02d}.wav", 0.3, 200 + 15 * i)
    data = tmp_path / "data"
    lib = Library(data)
    lib.scan([str(root)])
    lib.close()
    rng = random.Random(seed)
    proc = subprocess.Popen([sys.executable, "-c", ANALYZER, str(data)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    db = data / "library.sqlite3"
    deadline = time.monotonic() + 120
    try:
        if seed == SEEDS[0]:  # somewhere in start-up or the first batch
            time.sleep(rng.uniform(0.5, 2.5))
        else:  # just after the first batch committed
            while proc.poll() is None and time.monotonic() < deadline:
                if _count(db, "SELECT COUNT(*) FROM audio_features") >= 1:
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.1))
        before = _count(db, "SELECT COUNT(*) FROM audio_features")
        finished_first = proc.poll() is not None
    finally:
        _kill(proc)
    print(f"\nanalysis seed {seed}: SIGKILL with {before}/{ANALYSIS_FILES} analysed (finished first: {finished_first})")
    assert check(db, full=True).ok
    assert _count(db, "SELECT COUNT(*) FROM audio_features") >= before
    lib = Library(data)
    lib.analyze()
    assert lib.store.query("SELECT COUNT(*) FROM audio_features")[0][0] == ANALYSIS_FILES
    assert lib.stats()["failed"] == 0
    lib.close()
