"""bench/faults.py --quick replays issue 16's data-loss and crash cases against the real CLI: every case
must report "data lost: none", behave as expected, and no command may print a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the script reads /proc and kills processes")
def test_fault_injection_script_loses_nothing(tmp_path):
    out = subprocess.run([sys.executable, "bench/faults.py", "--quick", "--json-file", str(tmp_path / "faults.json")],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    report = json.loads(out.stdout)
    rows = {r["case"]: r for r in report["cases"]}
    # Every case of the quick run is there: the restore, open-file, empty-file and -wal cases, the
    # writer races, a full disk, kills during analyze / import / scan, FIFO sidecars and bad input.
    assert set(rows) >= {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10a", "10c", "11", "12", "13"}
    trouble = [f"{n}: lost {r['data_lost']}; {r['problems']}; outcome {r['outcome']}"
               for n, r in rows.items() if r["data_lost"] != "none" or not r["ok"] or r["traceback"]]
    assert trouble == [], "\n".join(trouble)
    assert out.returncode == 0, out.stderr[-3000:]
    assert report["summary"]["data_lost_none"] == len(rows) and report["summary"]["tracebacks"] == 0
    assert json.loads((tmp_path / "faults.json").read_text())["cases"] == report["cases"]
