"""Closing the app never hangs: the real QMediaPlayer (Qt's FFmpeg backend, no audio device here) is
torn down with queued calls on a bounded timer. The run happens in a child process with a time limit,
so a hang is a clear failure instead of a stuck test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CYCLES = 6

SCRIPT = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from PySide6.QtCore import QEventLoop, QTimer
from ui.app import create_window, make_app, open_library

def spin(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

app = make_app()
out = []
for cycle in range({cycles}):
    library, problem = open_library({data!r})
    assert library is not None, problem
    if cycle == 0:
        library.scan([{media!r}])
    window = create_window(library)  # the real Player: start_media is on
    window.show()
    ids = [r[0] for r in library.store.query("SELECT id FROM items WHERE kind = 'audio' ORDER BY id")]
    window.play(ids, 0)
    spin(250 + 60 * cycle)
    if cycle % 2:
        window.player.next()  # a source switch right before closing
        spin(100)
    started = time.monotonic()
    window.close()  # closeEvent -> shutdown: what the user's close button does
    close_s = time.monotonic() - started
    out.append({{"cycle": cycle, "items": len(ids), "close_s": round(close_s, 3),
                "released": window.player_released}})
    window.deleteLater()
    spin(10)
    library.close()
print(json.dumps(out))
"""


def test_opening_and_closing_the_window_with_real_playback_never_hangs(tmp_path):
    from tests.media import write_audio

    media = tmp_path / "media"
    for i, ext in enumerate([".wav", ".flac", ".ogg"]):
        write_audio(media / f"tone{i}{ext}", seconds=3.0, freq=330.0 + 110 * i)
    code = SCRIPT.format(repo=str(REPO), data=str(tmp_path / "data"), media=str(media), cycles=CYCLES)
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    env.pop("CI", None)  # the player must really start in the child
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                              timeout=150, cwd=REPO)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"opening/closing the window hung: {(exc.stderr or b'')[-3000:]!r}") from None
    assert proc.returncode == 0, proc.stderr[-3000:]
    cycles = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(cycles) == CYCLES
    for c in cycles:
        assert c["items"] == 3 and c["released"], c  # the QMediaPlayer was destroyed within its time limit
        assert c["close_s"] < 10, c
