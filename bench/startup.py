"""Start-up time of the desktop app: process start -> main window shown, and which heavy modules loaded.

Prints one JSON object: the app's time to a shown window (first run, and with a library of
`--rows` items), a bare Qt window's time measured in the same run as the baseline, their ratio,
and the heavy modules (torch, llama_cpp, librosa, cv2, ...) found in sys.modules once the window showed,
and the CPU time the app spent until then (what wall time would be on an idle machine).
With --rows it also measures the same library opened the way the CLI opens it (`integrity="now"`: the
full `PRAGMA quick_check` before the window), i.e. the start-up path before the check moved to a
background thread, as `library_N_check_first`; the app's own path (`integrity="background"`, a header +
schema check, quick_check on a thread after) is `library_N`. `quick_check_s` times the check alone.
Run: .venv/bin/python bench/startup.py [--rows 200000]   (QT_QPA_PLATFORM=offscreen when headless)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["torch", "llama_cpp", "librosa", "cv2", "sentence_transformers", "transformers", "numba", "sklearn",
         "scipy", "numpy"]

APP_PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from ui.app import create_window, make_app, open_library
app = make_app()
library, problem = open_library({data!r}, integrity={integrity!r})
window = create_window(library)
window.show()
app.processEvents()
shown = time.perf_counter() - t0
cpu = time.process_time()
print(json.dumps({{"shown_s": shown, "cpu_s": cpu, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
window.shutdown()
"""

BARE_PROBE = r"""
import json, time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
w = QLabel("hello")
w.show()
app.processEvents()
print(json.dumps({"shown_s": time.perf_counter() - t0}))
"""


def _run(code: str) -> dict:
    """Run a probe in a fresh interpreter; wall time includes interpreter start-up."""
    import time

    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    wall = time.perf_counter() - start
    line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith("{")), None)
    if proc.returncode != 0 and line is None:
        raise RuntimeError(proc.stderr[-2000:])
    out = json.loads(line)
    out["process_s"] = wall
    return out


def measure(data_dir: str, repeat: int = 3, integrity: str = "background") -> dict:
    """Best of `repeat` runs for the app over `data_dir` and for a bare Qt window."""
    app_runs = [_run(APP_PROBE.format(root=str(ROOT), data=data_dir, heavy=HEAVY, integrity=integrity))
                for _ in range(repeat)]
    bare_runs = [_run(BARE_PROBE) for _ in range(repeat)]
    best_app = min(app_runs, key=lambda r: r["shown_s"])
    best_bare = min(bare_runs, key=lambda r: r["shown_s"])
    return {
        "app_shown_s": round(best_app["shown_s"], 3),
        "app_process_to_shown_s": round(min(r["process_s"] for r in app_runs), 3),
        "app_cpu_to_shown_s": round(min(r["cpu_s"] for r in app_runs), 3),
        "bare_qt_shown_s": round(best_bare["shown_s"], 3),
        "ratio": round(best_app["shown_s"] / max(best_bare["shown_s"], 1e-6), 2),
        "heavy_modules_loaded": sorted({m for r in app_runs for m in r["heavy"]}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=0, help="also measure with a library of this many items")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    out: dict = {"first_run": measure(tempfile.mkdtemp(prefix="encore-start-"), args.repeat)}
    if args.rows:
        sys.path.insert(0, str(ROOT))
        from core.db import backup
        from core.db.integrity import check
        from core.library import Library
        from tests.ui.bulk import insert_items

        data = tempfile.mkdtemp(prefix="encore-start-big-")
        lib = Library(data)
        insert_items(lib, args.rows)
        backup.take_backup(lib.store.conn, lib.paths.backups)  # no daily backup copy during the runs
        lib.close()
        out[f"library_{args.rows}"] = measure(data, args.repeat)
        out[f"library_{args.rows}_check_first"] = measure(data, args.repeat, integrity="now")
        out["quick_check_s"] = round(min(check(Path(data) / "library.sqlite3").seconds for _ in range(2)), 3)
    out["budget_s"] = 1.5
    print(json.dumps(out))


if __name__ == "__main__":
    main()
