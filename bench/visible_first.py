"""How soon are the items on screen re-analysed after a new analyser version (issue 13, item 7)?

A library of N generated short tracks is analysed once, then made stale (a new audio analyser version,
as in the tests). The "screen" is 20 rows of the Music list sorted by title, in the middle of the
library. Runs, interleaved, each from the same stale state (results are stored under the old version,
so each run starts again), each stopped once what it measures is done:
  fixed     the old behaviour: no word from the window (most played, then newest)
  start     the rows on screen named when the upkeep starts (a list)
  scroll    the user scrolls to another 20 rows after SCROLL_AFTER files: time from the scroll until
            those are done, with the live source (queue_ahead 0) and with queue_ahead 1 (a file waiting
            at each worker, the pool's default), and the same rows' time in the fixed order

    nice -n 5 .venv/bin/python bench/visible_first.py --tracks 200 --workers 2 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SCROLL_AFTER = 10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each track")
    args = parser.parse_args()

    from core.analysis import AUDIO_VERSION
    from core.analysis import queue as analysis_queue
    from core.library import Library
    from core.models import CancelToken
    from tests.analysis import signals

    tmp = Path(tempfile.mkdtemp(prefix="encore-visible-"))
    root = tmp / "media"
    for i in range(args.tracks):  # titles come from the file names: t000 .. t199 in list order
        y = signals.click_track(70 + (i * 7) % 110, args.seconds)
        signals.write_wav(root / f"t{i:03d}.wav", y)
    lib = Library(tmp / "data")
    lib.scan([str(root)])
    lib.settings.scan_workers = args.workers
    tagging = analysis_queue.tagging_available
    analysis_queue.tagging_available = lambda: False  # the first pass only sets the stage (no tagger: fast)
    t0 = time.monotonic()
    lib.analyze()
    print(f"setup: {args.tracks} tracks analysed once in {time.monotonic() - t0:.1f} s (no tagger)", flush=True)
    analysis_queue.tagging_available = tagging
    analysis_queue.AUDIO_VERSION = AUDIO_VERSION + 1  # stale: every item is redone, with the tagger
    analysis_queue.VERSION_MARK = f"[analyser a{AUDIO_VERSION + 1}/v0]"

    by_title = [lib.item_row(str(root / f"t{i:03d}.wav"))["id"] for i in range(args.tracks)]
    middle = args.tracks // 2
    screen = by_title[middle:middle + 20]  # on screen at the start
    later = by_title[middle + 40:middle + 60]  # scrolled to during the run

    def run(first, targets, scroll_to=None, ahead: int = 0) -> dict[str, float]:
        """Seconds from the start (or from the scroll) until every target was analysed."""
        analysis_queue.QUEUE_AHEAD = ahead
        shown = list(first)
        cancel = CancelToken()
        left = set(targets)
        t = {"start": time.monotonic(), "scroll": None, "done": None, "files": 0}

        def progress(p) -> None:
            if p.stage != "analyze" or not p.current:
                return
            t["files"] = p.done
            left.discard(lib.item_row(p.current)["id"])
            if scroll_to is not None and t["scroll"] is None and p.done >= SCROLL_AFTER:
                t["scroll"] = time.monotonic()
                shown[:] = scroll_to
            if t["scroll"] is None and scroll_to is not None:
                return
            if not left and t["done"] is None:
                t["done"] = time.monotonic()
                cancel.cancel()

        lib.analyze(progress=progress, cancel=cancel, first=(lambda: shown) if scroll_to is not None else shown)
        since = t["scroll"] if scroll_to is not None else t["start"]
        return {"seconds": round((t["done"] or time.monotonic()) - since, 2), "files": t["files"]}

    results: dict[str, list[dict[str, float]]] = {}
    for r in range(args.rounds):
        for name, call in (
                ("fixed: screen rows", lambda: run((), screen)),
                ("start: screen rows", lambda: run(screen, screen)),
                ("fixed: rows scrolled to", lambda: run((), later, scroll_to=[])),  # the old order ignores it
                ("scroll, queue_ahead 0", lambda: run((), later, scroll_to=later, ahead=0)),
                ("scroll, queue_ahead 1", lambda: run((), later, scroll_to=later, ahead=1))):
            result = call()
            results.setdefault(name, []).append(result)
            print(f"round {r + 1}: {name:26s} {result['seconds']:7.2f} s  ({result['files']} files analysed)",
                  flush=True)
    print(json.dumps({name: {"median_s": statistics.median(x["seconds"] for x in runs),
                             "files": [x["files"] for x in runs]} for name, runs in results.items()}, indent=1))
    lib.close()


if __name__ == "__main__":
    main()
