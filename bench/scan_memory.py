"""Memory of a very large scan: a 200,000-file synthetic tree, resident memory sampled as it goes.

    nice .venv/bin/python bench/scan_memory.py --json               # 200,000 files (~1.5 GB, minutes)
    nice .venv/bin/python bench/scan_memory.py --files 20000 --json

Reports the scanning process's resident memory at every 10% of the files, the peak of the worker
processes, and the growth from 10% to 100% (flat = a few MB, whatever the library size).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scan import generate, rss_mb  # noqa: E402


def descendants_rss_mb() -> float:
    """The largest resident memory among this process's descendants (forkserver and scan workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    mine, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - mine
        mine |= frontier
    peak = 0.0
    for pid in mine:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--json", action="store_true", help="(always JSON)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="encore-bench-mem-"))
    try:
        started = time.perf_counter()
        generate(work / "library", args.files, seconds=0.02)
        generated = time.perf_counter() - started
        from core.library import Library

        lib = Library(work / "data")
        marks: dict[int, float] = {}
        workers: list[float] = []
        step = max(1, args.files // 10)

        def progress(p) -> None:
            decile = min(10, p.done // step)
            if decile and decile not in marks:
                marks[decile] = rss_mb()
                workers.append(descendants_rss_mb())

        rss_start = rss_mb()
        started = time.perf_counter()
        report = lib.scan([str(work / "library")], progress=progress)
        elapsed = time.perf_counter() - started
        marks[10] = marks.get(10, rss_mb())
        lib.close()
        out = {
            "bench": "scan_memory",
            "files": args.files,
            "added": report.added, "failed": report.failed,
            "generate_s": round(generated, 1),
            "scan_s": round(elapsed, 1),
            "files_per_s": round(args.files / elapsed, 1),
            "rss_mb_before_scan": round(rss_start, 1),
            "rss_mb_at_each_10pct": [round(marks[k], 1) for k in sorted(marks)],
            "growth_10pct_to_100pct_mb": round(marks[10] - marks.get(1, marks[10]), 1),
            "worker_rss_mb_at_each_10pct": [round(w, 1) for w in workers],
            "cpus": os.cpu_count(),
        }
        print(json.dumps(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
