"""Issue 16, case 16: a failure whose cause may pass (chmod 000, a timeout, a busy device, a worker killed
under memory pressure) is retried by a later scan, bounded (5 tries, hours apart), and on demand
(`encore scan --retry-failed`); a damaged file is retried only when it changes or when asked."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.scan import retry
from tests.media import write_audio

REPO = Path(__file__).resolve().parents[2]
HOUR = 3600.0


@pytest.mark.parametrize(("error", "passes"), [
    ("PermissionError: [Errno 13] Permission denied: '/m/a.flac'", True),
    ("timed out after 20 s (the file may hang the decoder)", True),  # e.g. a FIFO sidecar, a low file_timeout_s
    ("the decoder crashed (signal 9)", True),  # the OOM killer
    ("ran out of memory (limit 2048 MB)", True),
    ("OSError: [Errno 16] Device or resource busy", True),
    ("OSError: [Errno 5] Input/output error", True),
    ("the decoder crashed (signal 11)", False),  # a segfault on these bytes happens again
    ("ValueError: cannot read this audio file (error: file is not a FLAC file)", False),
    ("ValueError: the file is empty (0 bytes)", False),
])
def test_which_causes_may_pass(error, passes):
    assert retry.may_pass(error) is passes


def test_backoff_and_bound():
    error, now = "Permission denied", 100 * HOUR
    assert not retry.due(error, 1, now - 0.5 * HOUR, now)  # too soon
    assert retry.due(error, 1, now - 1 * HOUR, now)
    assert not retry.due(error, 3, now - 2.9 * HOUR, now) and retry.due(error, 3, now - 3 * HOUR, now)
    assert retry.due(error, retry.MAX_ATTEMPTS - 1, 0.0, now)
    assert not retry.due(error, retry.MAX_ATTEMPTS, 0.0, now)  # 5 tries: only a change or a request now
    assert not retry.due("ValueError: not a recognised audio/video container", 1, 0.0, now)


def _scan_cmd(data: Path, *args: str) -> list[str]:
    cmd = [sys.executable, "main.py", "--data-dir", str(data), "scan", *args]
    if os.geteuid() == 0:  # root ignores permission bits: drop the capabilities that bypass them
        setpriv = shutil.which("setpriv")
        if not setpriv:
            pytest.skip("running as root without setpriv: cannot make permissions apply")
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *cmd]
    return cmd


def _scan(data: Path, *args: str) -> dict:
    done = subprocess.run(_scan_cmd(data, "--json", *args), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _age(data: Path, name: str, hours: float, attempts: int | None = None) -> None:
    """As if the last try of `name` had been `hours` ago (and, given, after `attempts` tries)."""
    conn = sqlite3.connect(data / "library.sqlite3")
    with conn:
        conn.execute("UPDATE failures SET last_at = last_at - ? WHERE path LIKE ?", (hours * HOUR, f"%/{name}"))
        if attempts is not None:
            conn.execute("UPDATE failures SET attempts = ? WHERE path LIKE ?", (attempts, f"%/{name}"))
    conn.close()


def _failures(data: Path) -> dict[str, tuple[str, int]]:
    conn = sqlite3.connect(data / "library.sqlite3")
    rows = {os.path.basename(p): (e, a) for p, e, a in conn.execute("SELECT path, error, attempts FROM failures")}
    conn.close()
    return rows


def test_failures_whose_cause_passed_are_retried_bounded_and_on_demand(tmp_path):
    root, data = tmp_path / "media", tmp_path / "data"
    write_audio(root / "ok.wav", 0.2)
    locked = write_audio(root / "locked.wav", 0.2)
    stuck = write_audio(root / "stuck.wav", 0.2)
    (root / "damaged.flac").write_bytes(b"fLaC" + bytes(range(256)) * 12)
    for path in (locked, stuck):
        os.chmod(path, 0)
    try:
        first = _scan(data, str(root))
        assert (first["added"], first["failed"], first["retried"]) == (1, 3, 0)
        assert "Permission denied" in _failures(data)["locked.wav"][0]

        os.chmod(locked, 0o644)  # the cause passes; the file itself does not change
        soon = _scan(data)
        assert (soon["retried"], soon["failed"], soon["unchanged"]) == (0, 0, 4)  # not within the hour

        _age(data, "locked.wav", 1)
        _age(data, "stuck.wav", 1)
        _age(data, "damaged.flac", 24)
        later = _scan(data)
        assert later["retried"] == 2 and later["updated"] == 1 and later["failed"] == 1  # stuck.wav again
        assert any("Tried again 2 files" in note for note in later["notes"])
        failures = _failures(data)
        assert "locked.wav" not in failures  # read now
        assert failures["stuck.wav"][1] == 2  # the second try, next one not before 2 h
        assert failures["damaged.flac"][1] == 1  # damaged bytes fail every time: not retried

        _age(data, "stuck.wav", 100, attempts=retry.MAX_ATTEMPTS)
        assert _scan(data)["retried"] == 0  # 5 tries are the most a scan makes by itself

        asked = _scan(data, "--retry-failed")  # ... but asked, every failed file is tried now
        assert (asked["retried"], asked["failed"]) == (2, 2)
        assert _failures(data)["stuck.wav"][1] == retry.MAX_ATTEMPTS + 1
    finally:
        for path in (locked, stuck):
            os.chmod(path, 0o644)
    done = subprocess.run(_scan_cmd(data, "--retry-failed"), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Tried again 2 files that had failed before." in done.stdout
    assert set(_failures(data)) == {"damaged.flac"}


def test_library_retry_failures_tries_every_failed_file(library, tmp_path):
    root = tmp_path / "m"
    write_audio(root / "good.wav", 0.2)
    (root / "hang.mp3").write_bytes(b"ENCORE-TEST-HANG" + b"\0" * 100)
    library.save_settings(file_timeout_s=1.0)
    assert library.scan([str(root)]).failed == 1
    assert library.scan().retried == 0  # a timeout is retried by a scan only an hour later
    report = library.retry_failures()
    assert (report.retried, report.failed, report.unchanged) == (1, 1, 1)
    assert library.failures()[0]["attempts"] == 2
