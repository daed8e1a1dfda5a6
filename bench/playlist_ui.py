"""Frame times of the Playlists page with a 10,000-entry playlist: scrolling across the whole list, a drag
of 100 rows to the end, Delete of 100 rows, and opening it (ids read off the GUI thread); the Music
table over the same 10,000 items is measured in the same run as the baseline. Also the time to
evaluate a smart playlist over the library. Prints one JSON object.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/playlist_ui.py [--items 10000] [--steps 120]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def frames(view, steps: int) -> list[float]:
    """Paint the view at `steps` scroll positions from top to bottom, each paint timed (one frame)."""
    bar = view.verticalScrollBar()
    out = []
    for n in range(steps):
        t0 = time.perf_counter()
        bar.setValue(int(bar.maximum() * n / max(steps - 1, 1)))
        view.viewport().repaint()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"p50": round(statistics.median(ms), 1), "p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "max": round(ms[-1], 1), "over_50ms": sum(1 for m in ms if m > 50)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=120)
    args = parser.parse_args()

    from PySide6.QtCore import QItemSelection, QModelIndex, Qt
    from PySide6.QtWidgets import QApplication

    from core.library import Library
    from tests.ui.bulk import insert_items
    from tests.ui.heartbeat import Heartbeat
    from ui.app import create_window
    from ui.compat import protect_singletons

    app = QApplication.instance() or QApplication([])
    protect_singletons()
    data = Path(tempfile.mkdtemp(prefix="encore-bench-"))
    lib = Library(data)
    insert_items(lib, args.items)
    ids = lib.item_ids(sort="title")
    pid = lib.create_playlist("Big", ids)
    t0 = time.perf_counter()
    smart = lib.evaluate_rules({"match": "all", "rules": [{"field": "genre", "op": "is", "value": "jazz"},
                                                          {"field": "year", "op": "between", "value": [1970, 1999]},
                                                          {"field": "play_count", "op": "is", "value": 0}],
                                "sort": "artist"})
    smart_ms = (time.perf_counter() - t0) * 1000
    win = create_window(lib)
    win.player.start_media = False
    win.resize(1280, 800)
    win.show()

    def settle(until, timeout: float = 30.0) -> None:
        end = time.time() + timeout
        while not until() and time.time() < end:
            app.processEvents()
            time.sleep(0.005)

    # Baseline: the Music table over the same items.
    win.sidebar.setCurrentRow(0)
    settle(lambda: win.music.model.rowCount() == args.items and not win.music.model.loading)
    win.music.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    settle(lambda: not win.music.model.loading)
    baseline = frames(win.music.table, args.steps)

    page = win.playlists
    beat = Heartbeat(5).start()
    t0 = time.perf_counter()
    win.sidebar.setCurrentRow(4)
    settle(lambda: len(page.model.ids) == args.items and not page.model.loading)
    open_s = time.perf_counter() - t0
    beat.stop()
    settle(lambda: False, 0.3)
    scroll = frames(page.tracks, args.steps)

    model, view = page.model, page.tracks
    view.verticalScrollBar().setValue(0)
    view.viewport().repaint()
    t0 = time.perf_counter()
    mime = model.mimeData([model.index(r, 0) for r in range(100)])
    model.dropMimeData(mime, Qt.DropAction.MoveAction, len(model.ids), 0, QModelIndex())
    view.viewport().repaint()
    drag_ms = (time.perf_counter() - t0) * 1000
    settle(lambda: not win.ops.jobs)
    moved_ok = lib.playlist_item_ids(pid)[-100:] == ids[:100]
    selection = view.selectionModel()  # rows 1-100 chosen with a shift-click: one range
    selection.select(QItemSelection(model.index(0, 0), model.index(99, 0)),
                     selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
    t0 = time.perf_counter()
    page.remove_selected()
    view.viewport().repaint()
    delete_ms = (time.perf_counter() - t0) * 1000
    settle(lambda: not win.ops.jobs)
    after_scroll = frames(page.tracks, args.steps // 2)

    out = {
        "items": args.items,
        "playlist_scroll_ms": summary(scroll + after_scroll),
        "baseline_music_table_scroll_ms": summary(baseline),
        "ratio_p95": round(summary(scroll)["p95"] / max(summary(baseline)["p95"], 0.01), 2),
        "drag_100_rows_to_end_ms": round(drag_ms, 1),
        "delete_100_rows_ms": round(delete_ms, 1),
        "open_page_s": round(open_s, 3),
        "open_worst_gui_frame_ms": round(beat.worst_ms, 1),
        "ids_read_off_thread_ms": round(model.read_ms, 1),
        "move_written": moved_ok,
        "left_after_delete": len(lib.playlist_item_ids(pid)),
        "smart_eval_ms": round(smart_ms, 1),
        "smart_matches": len(smart),
    }
    win.shutdown()
    win.ops.wait(10_000)
    win.close()
    lib.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
