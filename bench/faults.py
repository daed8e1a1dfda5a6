"""Fault injection: issue 16's data-loss and crash cases replayed against the real CLI, with what survived.

Each case builds a library with known plays, likes and playlists in a fresh scratch data folder under a
temporary folder (a copy of one template made through the CLI from generated media), injects one fault
(a second restore in the same second, a restore while another process writes, kill -9 and a deleted -wal,
two scans at once, a full disk, a FIFO sidecar, a corpus of bad arguments...), then counts what survived
with `encore stats --json` / `show --json` and compares it with what Encore acknowledged (an exit code 0,
or a printed acknowledgement from a writer process). Every command is `python main.py --data-dir D ...`
(or `core.cli.main.main` in a child process where two commands must run within the same second or be
released together); every child process carries a marker, and the processes of a killed command are
looked for in /proc afterwards (by session id and the marker) so that a leak is reported.

    .venv/bin/python bench/faults.py                  # all cases, one JSON object on stdout
    .venv/bin/python bench/faults.py --quick          # smaller libraries, no embed kill (~25 s)
    .venv/bin/python bench/faults.py --markdown       # the table for docs/RELIABILITY.md instead
    .venv/bin/python bench/faults.py --json-file F    # also write the JSON object to F

The JSON object has one entry per case (case, outcome, data_lost, ok, traceback, seconds, details), the
machine's load before and after, and as its baseline the time of a plain `stats --json` measured in the
same run (the machines are shared: read every time against it). A case's outcome is what the user saw
(the first line of stderr, else stdout); data lost is "none" or what was acknowledged and is gone.
Progress goes to stderr. Exit code 0 when every case lost nothing and printed no traceback, else 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MARK = "ENCORE_FAULTS_MARK"
RUN = uuid.uuid4().hex[:12]  # this run's marker value (with the case number) in every child's environment
BUSY = "already updating this library"

# A child that imports the CLI, says "ready", waits for the start file and runs one command: released
# together, two children start their work within a millisecond or so.
AT_ONCE = r"""
import os, sys, time
from core.cli.main import main
print("ready", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.001)
sys.exit(main(sys.argv[2:]))
"""

# Several CLI commands in one process (the real `main`), one after the other: setup, and two restores
# within one second. Each argv is preceded by an optional file to overwrite with "damage" bytes first.
BATCH = r"""
import json, sys, time
from core.cli.main import main
codes = []
t0 = time.monotonic()
for step in json.loads(sys.argv[1]):
    if step.get("damage"):
        with open(step["damage"][0], "wb") as fh:
            fh.write(step["damage"][1].encode())
    print(f"--- step {len(codes)}", flush=True)
    codes.append(main(step["argv"]))
print(json.dumps({"codes": codes, "seconds": time.monotonic() - t0}), flush=True)
"""

# Another process that has the library open (as the window has): a play for each "play" line, each
# acknowledged on stdout once record_play has returned; "close" closes the library.
HOLDER = r"""
import sys, time
from core.library import Library
from core.models import PlayEvent
lib = Library(sys.argv[1], daily_backup=False)
print("open", flush=True)
n = 0
for line in sys.stdin:
    if line.strip() == "play":
        n += 1
        lib.record_play(PlayEvent(item_id=1 + n % 5, started_at=time.time() - 40000 + 60 * n, seconds=30.0))
        print("played", n, flush=True)
    elif line.strip() == "close":
        lib.close()
        print("closed", flush=True)
        break
"""

# A player that records plays as fast as it can and acknowledges each one (then it is killed -9).
WRITER = r"""
import sys, time
from core.library import Library
from core.models import PlayEvent
lib = Library(sys.argv[1], daily_backup=False)
for n in range(1, 100_000):
    lib.record_play(PlayEvent(item_id=1 + n % 5, started_at=time.time() - 80000 + n, seconds=30.0))
    print(n, flush=True)
"""


# ----- running commands -----------------------------------------------------------------------------------
@dataclass
class Ran:
    """One finished command: exit code, output, wall time."""

    argv: list[str]
    rc: int
    out: str
    err: str
    seconds: float

    @property
    def said(self) -> str:
        """What the user saw: the first line of stderr, else of stdout."""
        for text in (self.err, self.out):
            for line in text.splitlines():
                if line.strip():
                    return line.strip()
        return ""

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.out + self.err


@dataclass
class Case:
    """One row of the table, filled in by a case function."""

    number: str
    name: str
    outcome: str = ""
    lost: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # expected behaviour that did not happen
    ran: list[Ran] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0

    def expect(self, condition: bool, problem: str) -> bool:
        if not condition:
            self.problems.append(problem)
        return condition

    @property
    def mark(self) -> str:
        return f"{RUN}:{self.number}"

    def row(self) -> dict:
        tracebacks = [" ".join(r.argv[-3:])[:80] for r in self.ran if r.traceback]
        return {"case": self.number, "name": self.name, "outcome": self.outcome,
                "data_lost": "; ".join(self.lost) if self.lost else "none",
                "ok": not self.problems and not self.lost and not tracebacks, "problems": self.problems,
                "traceback": bool(tracebacks), "traceback_in": tracebacks, "commands": len(self.ran),
                "seconds": round(self.seconds, 2), "details": self.details}


class Bench:
    """The scratch folder, the generated media, the template library and how to run the CLI."""

    def __init__(self, work: Path, quick: bool) -> None:
        self.work = work
        self.quick = quick
        self.media = work / "media"
        self.template = work / "template"
        self.expected: dict[str, int] = {}
        self._n = 0
        self._lock = threading.Lock()
        _WORK.append(str(work))

    # --- processes
    def env(self, mark: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {**os.environ, MARK: mark, "HF_HUB_OFFLINE": "1", "QT_QPA_PLATFORM": "offscreen",
               "PYTHONDONTWRITEBYTECODE": "1", **(extra or {})}
        env.pop("ENCORE_TEST_HOOKS", None) if "ENCORE_TEST_HOOKS" not in (extra or {}) else None
        return env

    def popen(self, case: Case, args: list[str], extra_env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
        """A child in its own session (so that its descendants can be found), carrying the case's marker."""
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, text=True, env=self.env(case.mark, extra_env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, **kw)

    def cli(self, case: Case, data: Path | None, *argv: str, timeout: float = 300, script: str | None = None,
            preexec: Callable[[], None] | None = None) -> Ran:
        """`python main.py --data-dir DATA ARGV` (or `python -c SCRIPT ARGV`), waited for."""
        full = (["--data-dir", str(data)] if data is not None else []) + list(argv)
        args = ["-c", script, *argv] if script else ["main.py", *full]
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, text=True, env=self.env(case.mark),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                preexec_fn=preexec)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_session(proc)
            out, err = proc.communicate()
            err += f"\n[bench: killed after {timeout:.0f} s]"
        ran = Ran(full if not script else ["-c", *argv], proc.returncode, out, err, time.monotonic() - t0)
        case.ran.append(ran)
        return ran

    def at_once(self, case: Case, argvs: list[list[str]]) -> list[Ran]:
        """Run each argv through the real CLI in its own process, all released together."""
        start = self.scratch("go") / "start"
        procs = [self.popen(case, ["-c", AT_ONCE, str(start), *argv], stdin=subprocess.DEVNULL) for argv in argvs]
        for proc in procs:
            if proc.stdout.readline().strip() != "ready":
                break
        start.touch()
        t0 = time.monotonic()
        results = []
        for proc, argv in zip(procs, argvs, strict=True):
            out, err = proc.communicate(timeout=600)
            results.append(Ran(argv, proc.returncode, out, err, time.monotonic() - t0))
        case.ran.extend(results)
        return results

    # --- folders
    def scratch(self, name: str) -> Path:
        with self._lock:
            self._n += 1
            path = self.work / f"{self._n:02d}-{name}"
        path.mkdir(parents=True)
        return path

    def fresh(self, name: str) -> Path:
        """A copy of the template data folder: its known plays, likes, playlists and one backup."""
        data = self.scratch(name) / "data"
        shutil.copytree(self.template, data)
        return data

    def counts(self, case: Case, data: Path) -> dict[str, int] | None:
        """What `encore stats --json` says the library holds (None when it does not answer)."""
        ran = self.cli(case, data, "stats", "--json")
        if ran.rc != 0:
            return None
        s = json.loads(ran.out)
        return {"items": s["items"], "plays": s["play_events"], "likes": s["ratings"], "playlists": s["playlists"],
                "analyzed": s.get("analyzed", 0), "embedded": s.get("embedded", 0), "failed": s.get("failed", 0)}

    def compare(self, case: Case, got: dict[str, int] | None, expected: dict[str, int],
                where: str = "") -> None:
        """Add to `case.lost` what `expected` holds and `got` does not."""
        if got is None:
            case.lost.append(f"library unreadable{where}")
            return
        for key in ("items", "plays", "likes", "playlists"):
            if key in expected and got[key] < expected[key]:
                case.lost.append(f"{expected[key] - got[key]} {key}{where}")
        case.details.setdefault("counts", {})[where.strip(" ()") or "library"] = got

    # --- the template
    def build(self) -> None:
        """Media (flac, tagged), a ListenBrainz history, likes, two playlists and a backup, all via the CLI."""
        from tests.media import tag_vorbis, write_audio

        n_items, n_plays = (12, 36) if self.quick else (20, 80)
        for i in range(n_items):
            path = write_audio(self.media / f"Album {i // 10}" / f"{i:02d}.flac", 0.3, 200 + 23 * i)
            tag_vorbis(path, title=f"Song {i:02d}", artist="Fault Band", album=f"Album {i // 10}")
        base = int(time.time()) - 60 * 86400
        listens = self.work / "listens.jsonl"
        listens.write_text("".join(json.dumps(
            {"listened_at": base + 600 * j, "track_metadata": {
                "artist_name": "Fault Band", "track_name": f"Song {j % n_items:02d}",
                "additional_info": {"duration_ms": 300}}}) + "\n" for j in range(n_plays)))
        d = ["--data-dir", str(self.template)]
        steps = [["scan", str(self.media)], ["history", "import", str(listens)],
                 ["rate", "1", "like"], ["rate", "2", "like"], ["rate", "3", "dislike"],
                 ["playlist", "create", "Road", "1", "2", "3", "4", "5"], ["playlist", "create", "Night", "6", "7"],
                 ["backup"]]
        setup = Case("setup", "template")
        ran = self.cli(setup, None, json.dumps([{"argv": d + s} for s in steps]), script=BATCH)
        self.expected = {"items": n_items, "plays": n_plays, "likes": 3, "playlists": 2}
        got = self.counts(setup, self.template)
        if ran.rc != 0 or not got or any(got[k] != v for k, v in self.expected.items()):
            raise SystemExit(f"faults: the template library could not be made: {got} != {self.expected}\n"
                             f"{ran.out[-2000:]}\n{ran.err[-2000:]}")
        self.baseline_s = min(self.cli(setup, self.template, "stats", "--json").seconds for _ in range(2))


# ----- processes and files --------------------------------------------------------------------------------
def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, session) of a process, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1]), int(fields[3])


def session_members(sid: int, mark: str) -> list[dict]:
    """Live (not zombie) processes of session `sid` that carry our marker: a killed command's leftovers."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == sid:
            continue
        st = _stat(int(entry))
        if st is None or st[2] != sid or st[0] in ("Z", "X"):
            continue
        try:  # only our own session's processes are read, for the marker we gave them
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if f"{MARK}={mark}".encode() not in fh.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")[:120]
        except OSError:
            continue
        found.append({"pid": int(entry), "ppid": st[1], "cmd": cmd})
    return found


def kill_session(proc: subprocess.Popen, mark: str | None = None, case: Case | None = None,
                 grace_s: float = 10.0) -> list[dict]:
    """SIGKILL a command's main process (only it: what a crash does), wait up to `grace_s` for the processes
    it started to go by themselves, then report and kill (by pid) any that did not."""
    sid = proc.pid
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)
    left: list[dict] = []
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        left = session_members(sid, mark) if mark else []
        if not left:
            break
        time.sleep(0.1)
    for p in left:
        try:
            os.kill(p["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    if case is not None and left:
        case.details["left_running"] = left
    return left


def count_rows(db: Path, sql: str) -> int:
    """A count from a read-only connection (0 when the file cannot be read yet)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def integrity(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def leftovers(data: Path) -> list[str]:
    """Half-written files: temporaries, and 0-byte files that are not a lock file or an empty -wal."""
    bad = []
    for p in data.rglob("*"):
        if not p.is_file():
            continue
        if p.name.endswith((".tmp", ".restoring")) or (
                p.stat().st_size == 0 and not p.name.endswith((".lock", "-wal", ".json"))):
            bad.append(str(p.relative_to(data)))
    return sorted(bad)


_WORK: list[str] = []  # the scratch folder, shortened in what the table quotes


def quote(text: str, limit: int = 110) -> str:
    """A message as the user saw it, one line, scratch paths shortened (DATA: the case's data folder)."""
    text = " ".join(text.split())
    for work in _WORK:
        text = re.sub(re.escape(work) + r"/\d\d-[\w-]+/data", "DATA", text)
        text = re.sub(re.escape(work) + r"/\d\d-[\w-]+", "…", text)
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


def kept_as(text: str) -> list[str]:
    return re.findall(r"kept as (\S+)", text)


def media_tree(root: Path, n: int) -> Path:
    """n small WAV files with distinct bytes, 20 per folder."""
    from tests.media import write_audio

    data = write_audio(root.parent / f"{root.name}-src.wav", 0.02).read_bytes()
    for i in range(n):
        path = root / f"a{i // 20:02d}" / f"{i:03d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data[:-4] + i.to_bytes(4, "little"))
    return root


# ----- the cases ----------------------------------------------------------------------------------------
def case_restore_twice(b: Bench, c: Case) -> None:
    """1. Two restores within one second: each set-aside copy is its own file; nothing is overwritten."""
    data = b.fresh("restore-twice")
    db = data / "library.sqlite3"
    now = time.time()
    precious = {}
    for s in range(-1, 8):  # the names a per-second restore would pick in the next seconds: other files
        name = f"library.sqlite3.damaged-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now + s))}"
        precious[data / name] = f"precious {name}"
        (data / name).write_text(precious[data / name])
    d = ["--data-dir", str(data)]
    damages = [f"first damage {'x' * 3000}", f"second damage {'y' * 3000}"]
    ran = b.cli(c, None, json.dumps([{"argv": d + ["restore"], "damage": [str(db), text]} for text in damages]),
                script=BATCH)
    result = json.loads(ran.out.strip().splitlines()[-1]) if ran.out.strip() else {"codes": [], "seconds": 0}
    kept = kept_as(ran.out)
    c.details.update({"restore_codes": result["codes"], "both_within_s": round(result["seconds"], 3),
                      "kept_as": [Path(k).name for k in kept]})
    c.expect(result["codes"] == [0, 0], f"restore exit codes {result['codes']}")
    c.expect(result["seconds"] < 1.0, f"the two restores took {result['seconds']:.2f} s (not within a second)")
    overwritten = [p.name for p, text in precious.items() if not p.exists() or p.read_text() != text]
    if overwritten:
        c.lost.append(f"{len(overwritten)} earlier kept copies overwritten")
    for path, text in zip(kept, damages, strict=False):
        if not Path(path).exists() or Path(path).read_text() != text:
            c.lost.append(f"set-aside copy {Path(path).name} overwritten or gone")
    c.expect(len(set(kept)) == 2, f"{len(set(kept))} distinct kept copies for 2 restores")
    b.compare(c, b.counts(c, data), b.expected)
    c.outcome = (f"exit {result['codes']} in {result['seconds']:.2f} s: "
                 f"{quote(ran.out.splitlines()[1] if len(ran.out.splitlines()) > 1 else ran.said, 70)}; kept as "
                 + ", ".join(k.split(".sqlite3.")[-1] for k in kept))


def case_restore_while_open(b: Bench, c: Case) -> None:
    """2. Restore while another process has the library open and keeps writing."""
    data = b.fresh("restore-open")
    holder = b.popen(c, ["-c", HOLDER, str(data)], stdin=subprocess.PIPE)
    acked = 0

    def play(n: int) -> None:
        nonlocal acked
        for _ in range(n):
            holder.stdin.write("play\n")
            holder.stdin.flush()
            if holder.stdout.readline().startswith("played"):
                acked += 1

    try:
        if holder.stdout.readline().strip() != "open":
            raise RuntimeError(f"the holder did not open the library: {holder.stderr.read()[-500:]}")
        before_plays = 40 if not b.quick else 20
        play(before_plays)
        names = sorted(p.name for p in data.iterdir())
        refused = [b.cli(c, data, "restore"), b.cli(c, data, "restore", "--force")]
        moved = sorted(p.name for p in data.iterdir()) != names
        play(30 if not b.quick else 10)
        holder.stdin.write("close\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
    finally:
        if holder.poll() is None:
            kill_session(holder)
    for r in refused:
        c.expect(r.rc == 2 and "open in another Encore" in r.err, f"restore while open: exit {r.rc}: {r.said}")
    c.expect(not moved, "files in the data folder were moved while the library was open")
    c.details.update({"acknowledged_by_holder": acked, "holder_plays_before_restore": before_plays})
    b.compare(c, b.counts(c, data), {**b.expected, "plays": b.expected["plays"] + acked})
    c.outcome = f"restore and restore --force: exit {refused[0].rc}, {refused[1].rc}: {quote(refused[0].said, 90)}"


def case_restore_healthy_newer(b: Bench, c: Case) -> None:
    """3. Restore over a healthy database that changed after the newest backup."""
    data = b.fresh("restore-newer")
    plays = [b.cli(c, data, "play", str(i), "--at", f"2026-0{i}-01T12:00:00") for i in (1, 2)]
    acked = sum(r.rc == 0 for r in plays)
    c.expect(acked == 2, f"plays: {[r.said for r in plays]}")
    newer = {**b.expected, "plays": b.expected["plays"] + acked}
    refused = b.cli(c, data, "restore")
    c.expect(refused.rc == 2 and "--force" in refused.err, f"restore without --force: exit {refused.rc}")
    b.compare(c, b.counts(c, data), newer, " (after the refusal)")
    forced = b.cli(c, data, "restore", "--force")
    kept = kept_as(forced.out)
    c.expect(forced.rc == 0 and bool(kept) and ".replaced-" in (kept or [""])[0], f"restore --force: {forced.said}")
    if kept:
        in_kept = count_rows(Path(kept[0]), "SELECT COUNT(*) FROM play_events")
        c.details["plays_in_kept_copy"] = in_kept
        if in_kept < newer["plays"]:
            c.lost.append(f"{newer['plays'] - in_kept} plays (not in the kept copy)")
    else:
        c.lost.append(f"{acked} plays made after the backup (no kept copy named)")
    b.compare(c, b.counts(c, data), b.expected, " (restored)")
    c.outcome = (f"exit {refused.rc}: {quote(refused.said, 80)}; --force: exit {forced.rc}, kept as "
                 f"{kept[0].split('.sqlite3.')[-1] if kept else '?'}")


def case_empty_file(b: Bench, c: Case) -> None:
    """4. A 0-byte library.sqlite3 while backups hold the library."""
    data = b.fresh("empty-file")
    db = data / "library.sqlite3"
    db.write_bytes(b"")
    for side in ("-wal", "-shm"):
        Path(f"{db}{side}").unlink(missing_ok=True)
    opened = b.cli(c, data, "stats", "--json")
    c.expect(opened.rc == 2 and "empty" in opened.err, f"stats on a 0-byte file: exit {opened.rc}: {opened.said}")
    c.expect(db.stat().st_size == 0, "the 0-byte file was made into a new library")
    doctor = b.cli(c, data, "doctor", "--json", "--no-gpu")
    try:
        check = next(x for x in json.loads(doctor.out)["checks"] if x["name"] == "database")
    except (ValueError, StopIteration, KeyError):
        check = {"status": "?"}
    c.expect(check["status"] == "error", f"doctor says the database is {check['status']}")
    restored = b.cli(c, data, "restore")
    c.expect(restored.rc == 0, f"restore: exit {restored.rc}: {restored.said}")
    b.compare(c, b.counts(c, data), b.expected)
    c.outcome = f"exit {opened.rc}: {quote(opened.said, 90)}; doctor: {check['status']}; restore: exit {restored.rc}"


def _crash_writer(b: Bench, c: Case, data: Path, plays: int) -> int:
    proc = b.popen(c, ["-c", WRITER, str(data)], stdin=subprocess.DEVNULL)
    acked = 0
    try:
        for line in proc.stdout:
            acked = int(line)
            if acked >= plays:
                break
    finally:
        kill_session(proc, c.mark, c)
    if acked < plays:
        raise RuntimeError(f"the writer stopped after {acked} plays: {proc.stderr.read()[-500:]}")
    return acked


def case_lost_wal(b: Bench, c: Case, damage: str) -> None:
    """5/6. kill -9 of a process that acknowledged plays, then its -wal deleted or cut short."""
    data = b.fresh(f"wal-{damage.split()[0]}")
    db = data / "library.sqlite3"
    acked = _crash_writer(b, c, data, 15 if b.quick else 25)
    wal = Path(f"{db}-wal")
    size = wal.stat().st_size if wal.exists() else 0
    c.details.update({"acknowledged": acked, "wal_bytes_at_crash": size})
    if damage == "deleted":
        wal.unlink(missing_ok=True)
    elif damage == "deleted with its -shm":
        wal.unlink(missing_ok=True)
        Path(f"{db}-shm").unlink(missing_ok=True)
    else:
        os.truncate(wal, size // 2)
    first = b.cli(c, data, "stats", "--json")
    reported = first.rc != 0 and "-wal" in first.err
    c.expect(first.rc == 0 or reported, f"stats after the damage: exit {first.rc}: {first.said}")
    got = b.counts(c, data)
    missing = b.expected["plays"] + acked - (got["plays"] if got else 0)
    if got is None:
        c.lost.append("library unreadable")
    elif missing > 0:
        c.lost.append(f"{missing} of {acked} acknowledged plays" + (" (reported)" if reported else " (silently)"))
    c.details["counts"] = got
    c.outcome = (f"{acked} plays acknowledged, kill -9, -wal ({size:,} bytes) {damage}: "
                 + (f"exit {first.rc}: {quote(first.said, 70)}" if first.rc else "stats: exit 0, nothing to report"))


def case_two_scans(b: Bench, c: Case) -> None:
    """7. Two `scan`s of one (new) data folder started together."""
    n = 100 if b.quick else 300
    where = b.scratch("two-scans")
    root, data = media_tree(where / "media", n), where / "data"
    results = b.at_once(c, [["--data-dir", str(data), "scan", str(root)]] * 2)
    codes = [r.rc for r in results]
    for r in results:
        c.expect(r.rc in (0, 2) and "IntegrityError" not in r.err, f"scan exit {r.rc}: {r.said}")
        if r.rc == 2:
            c.expect(BUSY in r.err, f"refusal without a reason: {r.said}")
    c.expect(0 in codes, "neither scan finished")
    got = b.counts(c, data)
    b.compare(c, got, {"items": n})
    check = integrity(data / "library.sqlite3")
    c.expect(check == "ok" and bool(got) and got["failed"] == 0, f"integrity_check {check}, {got}")
    refusal = next((r.said for r in results if r.rc == 2), "both ran one after the other")
    c.outcome = f"exit {sorted(codes)}: {quote(refusal, 90)}; {got['items'] if got else '?'}/{n} items, integrity {check}"


def case_new_library_at_once(b: Bench, c: Case) -> None:
    """8. Several processes creating a new library at once, each making a playlist."""
    k = 4 if b.quick else 6
    data = b.scratch("new-at-once") / "data"
    results = b.at_once(c, [["--data-dir", str(data), "playlist", "create", f"List {i}"] for i in range(k)])
    acked = sum(r.rc == 0 for r in results)
    for r in results:
        c.expect(r.rc == 0, f"exit {r.rc}: {r.said}")
    b.compare(c, b.counts(c, data), {"playlists": acked})
    bad = next((r.said for r in results if r.rc), None)
    c.outcome = f"{acked}/{k} exit 0" + (f"; {quote(bad, 80)}" if bad else f": {quote(results[0].said, 60)}")


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, timeout=30)
    return done.returncode == 0


def _fill(disk: Path) -> Path:
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


def case_full_disk(b: Bench, c: Case) -> None:
    """9. A full disk during play and backup (a tmpfs of a few MB; RLIMIT_FSIZE where none can be mounted)."""
    where = b.scratch("full-disk")
    disk = where / "disk"
    if not _mount_tmpfs(disk, "8m"):
        return _file_size_limit(b, c, where)
    try:
        data = disk / "data"
        shutil.copytree(b.template, data)
        ballast = _fill(disk)
        play = b.cli(c, data, "play", "1", "--at", "2026-03-03T10:00:00")
        full_backup = b.cli(c, data, "backup")
        os.truncate(ballast, ballast.stat().st_size - (data / "library.sqlite3").stat().st_size // 2)
        half_backup = b.cli(c, data, "backup")  # room for half a copy
        for r, what in ((play, "play"), (full_backup, "backup"), (half_backup, "backup with half a copy of room")):
            c.expect(r.rc == 2 and "is full" in r.err, f"{what} on a full disk: exit {r.rc}: {r.said}")
        left = leftovers(data)
        c.expect(not left, f"half-written files left: {left}")
        ballast.unlink()
        again = [b.cli(c, data, "play", "2", "--at", "2026-03-03T11:00:00")]
        if not b.quick:
            again.append(b.cli(c, data, "backup"))
        c.expect(all(r.rc == 0 for r in again), f"with room again: {[r.said for r in again]}")
        acked = sum(r.rc == 0 for r in (play, again[0]))
        b.compare(c, b.counts(c, data), {**b.expected, "plays": b.expected["plays"] + acked})
        c.expect(integrity(data / "library.sqlite3") == "ok", "integrity_check failed")
        c.details.update({"disk": "tmpfs 8 MB", "left_behind": left, "acknowledged_plays": acked})
        c.outcome = (f"8 MB tmpfs: play, backup, backup (half room): exit {play.rc}, {full_backup.rc}, "
                     f"{half_backup.rc}: {quote(play.said, 70)}; {len(left)} half-written files")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)


def _file_size_limit(b: Bench, c: Case, where: Path) -> None:
    import resource

    data = where / "data"
    shutil.copytree(b.template, data)
    limit = (data / "library.sqlite3").stat().st_size // 2

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = b.cli(c, data, "backup", preexec=limited)
    c.expect(r.rc == 2 and "no backup was taken" in r.err, f"backup under RLIMIT_FSIZE: exit {r.rc}: {r.said}")
    left = leftovers(data)
    c.expect(not left, f"half-written files left: {left}")
    b.compare(c, b.counts(c, data), b.expected)
    c.details.update({"disk": "RLIMIT_FSIZE (no tmpfs could be mounted)", "left_behind": left})
    c.outcome = f"RLIMIT_FSIZE {limit:,} B: backup exit {r.rc}: {quote(r.said, 80)}; {len(left)} half-written files"


def _kill_when(b: Bench, c: Case, data: Path, argv: list[str], ready: Callable[[], bool],
               timeout: float = 120) -> tuple[bool, float]:
    """Start `encore ARGV`, SIGKILL it once `ready()` (checked every 10 ms); whether it was still running."""
    proc = b.popen(c, ["main.py", "--data-dir", str(data), *argv], stdin=subprocess.DEVNULL)
    t0 = time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < timeout and not ready():
        time.sleep(0.01)
    running = proc.poll() is None
    kill_session(proc, c.mark, c)
    return running, time.monotonic() - t0


def case_kill_analyze(b: Bench, c: Case) -> None:
    """10a. kill -9 during analyze, then analyze again."""
    data = b.fresh("kill-analyze")
    db = data / "library.sqlite3"
    running, at = _kill_when(b, c, data, ["analyze", "--no-embed"],
                             lambda: count_rows(db, "SELECT COUNT(*) FROM audio_features") >= 1)
    done_at_kill = count_rows(db, "SELECT COUNT(*) FROM audio_features")
    again = b.cli(c, data, "analyze", "--no-embed")
    c.expect(again.rc == 0, f"analyze after the kill: {again.said}")
    got = b.counts(c, data)
    b.compare(c, got, b.expected)
    n = b.expected["items"]
    if got and got["analyzed"] < n:
        c.lost.append(f"{n - got['analyzed']} items never analysed")
    c.details.update({"analysed_at_kill": done_at_kill, "killed_after_s": round(at, 2), "killed_running": running})
    c.outcome = (f"killed at {done_at_kill}/{n} analysed" + ("" if running else " (it had finished)")
                 + f"; rerun exit {again.rc}: {quote(again.said, 70)}")


def case_kill_embed(b: Bench, c: Case) -> None:
    """10b. kill -9 during embed (loading the model or encoding), then embed again."""
    data = b.fresh("kill-embed")
    t0 = time.monotonic()
    running, at = _kill_when(b, c, data, ["embed"], lambda: time.monotonic() - t0 > 5.0)
    c.details["embedded_at_kill"] = count_rows(data / "library.sqlite3", "SELECT COUNT(*) FROM embeddings")
    again = b.cli(c, data, "embed")
    c.expect(again.rc == 0, f"embed after the kill: {again.said}")
    got = b.counts(c, data)
    b.compare(c, got, b.expected)
    n = b.expected["items"]
    if got and got["embedded"] < n:
        c.lost.append(f"{n - got['embedded']} items never embedded")
    c.details.update({"killed_after_s": round(at, 2), "killed_running": running})
    c.outcome = (f"killed after {at:.1f} s" + ("" if running else " (it had finished)")
                 + f"; rerun exit {again.rc}: {quote(again.said, 80)}")


def case_kill_import(b: Bench, c: Case) -> None:
    """10c. kill -9 during `history import` of a large file, then the same import again: no duplicates."""
    data = b.fresh("kill-import")
    db = data / "library.sqlite3"
    n = 40_000 if b.quick else 150_000
    items = b.expected["items"]
    base = int(time.time()) - 30 * 86400
    listens = data.parent / "big.jsonl"
    with listens.open("w") as fh:
        for j in range(n):
            fh.write(json.dumps({"listened_at": base + 7 * j, "track_metadata": {
                "artist_name": "Fault Band", "track_name": f"Song {j % items:02d}"}}) + "\n")
    start = b.expected["plays"]
    running, at = _kill_when(b, c, data, ["history", "import", str(listens)],
                             lambda: count_rows(db, "SELECT COUNT(*) FROM play_events") > start)
    at_kill = count_rows(db, "SELECT COUNT(*) FROM play_events") - start
    again = b.cli(c, data, "history", "import", str(listens))
    c.expect(again.rc == 0, f"import after the kill: {again.said}")
    got = b.counts(c, data)
    b.compare(c, got, {**b.expected, "plays": start + n})
    dupes = count_rows(db, "SELECT COUNT(*) FROM (SELECT 1 FROM play_events GROUP BY item_id, profile, started_at"
                           " HAVING COUNT(*) > 1)")
    c.expect(dupes == 0 and (got or {}).get("plays") == start + n, f"{dupes} duplicated plays, {got}")
    c.details.update({"listens": n, "imported_at_kill": at_kill, "killed_running": running, "duplicates": dupes})
    c.outcome = (f"{n:,} listens, killed at {at_kill:,} imported" + ("" if running else " (it had finished)")
                 + f"; rerun exit {again.rc}: {quote(again.said, 60)}; {dupes} duplicates")


def case_fifo_sidecar(b: Bench, c: Case) -> None:
    """11. FIFOs named as sidecars (song.lrc, cover.jpg, clip.nfo) beside good files."""
    from tests.media import write_audio, write_video

    data = b.fresh("fifo")
    root = data.parent / "media"
    song = write_audio(root / "song.wav", 0.3)
    write_video(root / "clip.avi")
    for name in ("song.lrc", "cover.jpg", "clip.nfo"):
        os.mkfifo(root / name)
    (data / "settings.json").write_text(json.dumps({"file_timeout_s": 5}))  # a hang shows within 5 s per file
    scan = b.cli(c, data, "scan", str(root), timeout=120)
    took = re.search(r" in ([\d.]+) s", scan.out)
    scan_s = float(took.group(1)) if took else scan.seconds
    c.expect(scan.rc == 0 and scan_s < 5.0, f"scan exit {scan.rc} in {scan_s:.1f} s: {scan.said}")
    show = b.cli(c, data, "show", str(song), "--json")
    status = json.loads(show.out).get("status") if show.rc == 0 else f"exit {show.rc}"
    got = b.counts(c, data)
    b.compare(c, got, {**b.expected, "items": b.expected["items"] + 2})
    if status != "ok":
        c.lost.append(f"song.wav is {status}")
    if got and got["failed"]:
        c.lost.append(f"{got['failed']} good files recorded as failed")
    c.details.update({"scan_s": scan_s})
    c.outcome = f"scan exit {scan.rc} in {scan_s:.2f} s: {quote(scan.said, 70)}; song.wav {status}"


def case_kill_scan(b: Bench, c: Case) -> None:
    """12. kill -9 of the main process during a scan: its forkserver and workers must not live on."""
    n = 300 if b.quick else 600
    where = b.scratch("kill-scan")
    root, data = media_tree(where / "media", n), where / "data"
    for i in range(2):  # decoder hangs (core.isolation's test hook): workers stuck in a task when killed
        (root / "a00" / f"00{i}-hang.mp3").write_bytes(b"ENCORE-TEST-HANG" + b"\0" * 100)
    proc = b.popen(c, ["main.py", "--data-dir", str(data), "scan", str(root)], stdin=subprocess.DEVNULL,
                   extra_env={"ENCORE_TEST_HOOKS": "1"})
    seen: list[dict] = []
    t0 = time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < 120:
        seen = session_members(proc.pid, c.mark)
        if len(seen) >= 2:  # the forkserver and at least one worker
            break
        time.sleep(0.02)
    time.sleep(1.5)  # into the scan: the hanging files are being read (file_timeout_s is 20 s)
    seen = session_members(proc.pid, c.mark) or seen
    running = proc.poll() is None
    committed = count_rows(data / "library.sqlite3", "SELECT COUNT(*) FROM items")
    left = kill_session(proc, c.mark, c, grace_s=5.0)
    c.expect(running and len(seen) >= 2, f"the scan was not caught with its workers running ({len(seen)} seen)")
    c.expect(not left, f"{len(left)} processes still running 5 s after kill -9 of their main process: {left}")
    again = b.cli(c, data, "scan", str(root))  # without the hook the two files are junk: 2 recorded failures
    c.expect(again.rc == 0, f"scan after the kill: {again.said}")
    got = b.counts(c, data)
    b.compare(c, got, {"items": n + 2})
    c.expect(bool(got) and got["failed"] == 2, f"after the rescan: {got}")
    c.details.update({"helpers_seen": len(seen), "items_at_kill": committed, "left_running": left})
    c.outcome = (f"kill -9 with {len(seen)} helper processes, {committed}/{n} items: {len(left)} left running; "
                 f"rescan exit {again.rc}: {quote(again.said, 50)}")


def bad_corpus(data: Path, junk: Path, deep: Path, quick: bool) -> list[list[str]]:
    """Bad arguments for every subcommand (the first of each group is the quick corpus)."""
    d = ["--data-dir", str(data)]
    nowhere = str(data.parent / "no-such-thing")
    groups = [
        [d + ["scan", nowhere], d + ["scan", "/dev/null"], d + ["scan", str(junk)], d + ["scan", "--bogus"]],
        [d + ["stats", "--bogus"], ["--data-dir", str(junk), "stats"], ["--data-dir", "/proc/x", "stats"]],
        [d + ["show", "999999"], d + ["show", ""], d + ["show", "\x1b]0;pwned\x07"], d + ["show", "x" * 5000],
         d + ["show", "-1"]],
        [d + ["failures", "--bogus"], ["--data-dir", str(junk / "under"), "failures"]],
        [d + ["analyze", "--bogus"], ["--data-dir", str(junk), "analyze"]],
        [d + ["embed", "--device", "nonsense"], ["--data-dir", str(junk), "embed"]],
        [d + ["search", "--limit", "-1", "x"], d + ["search", "--limit", "0", "x"], d + ["search", "--limit", "x", "y"],
         d + ["search", "!!!"], d + ["search", "q" * 100_000]],
        [d + ["play", "1", "--at", "nan"], d + ["play", "999999"], d + ["play", "1", "--at", "1e300"],
         d + ["play", "1", "--at", "3100-01-01"], d + ["play", "1", "--at", "inf"], d + ["play", "1", "--at", "-5"],
         d + ["play", "1", "--at", "not a date"], d + ["play", "1", "--seconds", "nan"],
         d + ["play", "1", "--seconds", "-100"], d + ["play", "1", "--seconds", "inf"]],
        [d + ["rate", "1", "love"], d + ["rate", "999999", "like"], d + ["rate", "", "like"]],
        [d + ["history", "import", str(junk)], d + ["history", "import", nowhere],
         d + ["history", "import", str(data.parent)], d + ["history", "import", str(deep)],
         d + ["history", "export", "x"]],
        [d + ["recommend", "--limit", "-1"], d + ["recommend", "--seed", "999999", "--mode", "more-like"],
         d + ["recommend", "--limit", "0"], d + ["recommend", "--mode", "nonsense"]],
        [d + ["playlist", "show", "no such list"], d + ["playlist", "delete", "no such list"],
         d + ["playlist", "add", "no such list", "1"], d + ["playlist", "create", ""],
         d + ["playlist", "remove", "Road", "0"], d + ["playlist", "move", "Road", "99", "1"],
         d + ["playlist", "export", "Road", "/proc/x/out.m3u8"], d + ["playlist", "smart", "--bogus"],
         d + ["playlist", "create", "Road"], d + ["playlist", "nonsense"]],
        [d + ["explain", "999999", "--no-llm"], d + ["explain", "1", "--seed", "999999", "--no-llm"],
         d + ["explain"]],
        [d + ["doctor", "--bogus"], ["--data-dir", "/proc/x", "doctor", "--no-gpu"]],
        [["--data-dir", str(junk), "backup"], ["--data-dir", str(junk / "under"), "backup"],
         ["--data-dir", "/proc/x", "backup"]],
        [d + ["restore", "--from", str(junk)], d + ["restore", "--from", nowhere], ["--data-dir", "/proc/x", "restore"]],
        [["nonsense-command"], d + ["show"], d + ["--json"]],
    ]
    return [g[0] for g in groups] if quick else [argv for g in groups for argv in g]


def case_bad_input(b: Bench, c: Case) -> None:
    """13. Every subcommand with bad arguments: exit code 0/1/2 with a message, never a traceback."""
    data = b.fresh("bad-input")
    junk = data.parent / "junk.bin"
    junk.write_bytes(b"\x00\xffGARBAGE\x1b[31m" * 200)
    deep = data.parent / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    corpus = bad_corpus(data, junk, deep, b.quick)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda argv: b.cli(c, None, *argv, timeout=180), corpus))
    codes: dict[int, int] = {}
    for r in results:
        codes[r.rc] = codes.get(r.rc, 0) + 1
        c.expect(r.rc in (0, 1, 2), f"exit {r.rc}: {' '.join(r.argv[2:])[:80]}: {r.said}")
        c.expect(r.rc != 2 or bool(r.err.strip()), f"exit 2 without a message: {' '.join(r.argv[2:])[:80]}")
    tracebacks = sum(r.traceback for r in results)
    b.compare(c, b.counts(c, data), b.expected)
    subcommands = {next((a for a in argv[2 if argv[0] == "--data-dir" else 0:] if not a.startswith("-")), "")
                   for argv in corpus}
    c.details.update({"commands": len(corpus), "subcommands": sorted(subcommands), "exit_codes": codes,
                      "exit_0": [" ".join(r.argv[2:])[:60] for r in results if r.rc == 0],
                      "slowest_s": round(max(r.seconds for r in results), 2)})
    c.outcome = (f"{len(corpus)} commands, {len(subcommands - {'', 'nonsense-command'})} subcommands and an "
                 "unknown one: "
                 + ", ".join(f"exit {k} x{v}" for k, v in sorted(codes.items())) + f"; {tracebacks} tracebacks")


CASES: list[tuple[str, str, Callable[[Bench, Case], None], bool]] = [
    # number, name, function, in --quick
    ("1", "restore twice within one second", case_restore_twice, True),
    ("2", "restore while another process has the library open", case_restore_while_open, True),
    ("3", "restore over a healthy, newer database", case_restore_healthy_newer, True),
    ("4", "0-byte library.sqlite3, backups present", case_empty_file, True),
    ("5", "-wal deleted after kill -9 of a writer", lambda b, c: case_lost_wal(b, c, "deleted"), True),
    ("5b", "-wal and -shm deleted after kill -9", lambda b, c: case_lost_wal(b, c, "deleted with its -shm"), False),
    ("6", "-wal cut to half after kill -9 of a writer", lambda b, c: case_lost_wal(b, c, "cut to half"), True),
    ("7", "two scans of one new data folder at once", case_two_scans, True),
    ("8", "processes creating a new library at once", case_new_library_at_once, True),
    ("9", "full disk during play and backup", case_full_disk, True),
    ("10a", "kill -9 during analyze, then resume", case_kill_analyze, True),
    ("10b", "kill -9 during embed, then resume", case_kill_embed, False),
    ("10c", "kill -9 during history import, then again", case_kill_import, True),
    ("11", "FIFOs as sidecars", case_fifo_sidecar, True),
    ("12", "kill -9 of the main process during a scan", case_kill_scan, True),
    ("13", "bad arguments to every subcommand", case_bad_input, True),
]


def run_case(b: Bench, number: str, name: str, fn: Callable[[Bench, Case], None]) -> dict:
    c = Case(number, name)
    t0 = time.monotonic()
    try:
        fn(b, c)
    except Exception as exc:  # noqa: BLE001 - a case that cannot run is a row that says so, not a stop
        c.problems.append(f"the case itself failed: {type(exc).__name__}: {exc}")
        c.outcome = c.outcome or f"bench error: {type(exc).__name__}: {exc}"[:200]
        c.lost.append("unknown (the case did not finish)")
    c.seconds = time.monotonic() - t0
    row = c.row()
    print(f"faults: case {number} {'ok' if row['ok'] else 'PROBLEM'} in {c.seconds:.1f} s: {c.outcome[:120]}"
          + ("" if row["ok"] else f" | lost: {row['data_lost']} | {row['problems']}"), file=sys.stderr, flush=True)
    return row


def markdown(report: dict) -> str:
    esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = [f"Run: `{report['command']}`, {report['date']}, {report['machine']}; load average before "
             f"{report['load_before']}, after {report['load_after']}; {report['seconds']:.0f} s; a plain "
             f"`stats --json` took {report['baseline']['stats_json_s']:.2f} s in the same run.", "",
             "| case | outcome (what the user saw) | data lost |", "|---|---|---|"]
    for r in report["cases"]:
        lost = r["data_lost"] + ("" if r["ok"] or r["data_lost"] != "none" else f" (but: {'; '.join(r['problems'])})")
        lines.append(f"| {r['case']}. {esc(r['name'])} | {esc(r['outcome'])} | {esc(lost)} |")
    return "\n".join(lines)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller libraries, no embed kill (about 25 s)")
    parser.add_argument("--markdown", action="store_true", help="print the markdown table instead of JSON")
    parser.add_argument("--json-file", help="also write the JSON object to this file")
    parser.add_argument("--jobs", type=int, default=3, help="cases run at once (each has its own folders)")
    parser.add_argument("--only", help="comma-separated case numbers")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print(json.dumps({"skipped": "bench/faults.py reads /proc and kills processes: Linux only"}))
        return 0
    only = set(args.only.split(",")) if args.only else None
    chosen = [(n, name, fn) for n, name, fn, quick in CASES if (quick or not args.quick) and (not only or n in only)]
    load_before, t0 = _load(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="encore-faults-") as tmp:
        b = Bench(Path(tmp), args.quick)
        b.build()
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = list(pool.map(lambda case: run_case(b, *case), chosen))
    report = {
        "bench": "faults", "quick": args.quick, "date": time.strftime("%Y-%m-%d"),
        "command": "bench/faults.py" + (" --quick" if args.quick else ""),
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, uid {os.geteuid()}",
        "load_before": load_before, "load_after": _load(), "seconds": round(time.monotonic() - t0, 1),
        "baseline": {"stats_json_s": round(b.baseline_s, 3)},
        "template": b.expected, "cases": rows,
        "summary": {"cases": len(rows), "ok": sum(r["ok"] for r in rows),
                    "data_lost_none": sum(r["data_lost"] == "none" for r in rows),
                    "tracebacks": sum(r["traceback"] for r in rows)},
    }
    text = json.dumps(report, ensure_ascii=False)
    if args.json_file:
        Path(args.json_file).write_text(text + "\n")
    print(markdown(report) if args.markdown else text)
    return 0 if all(r["data_lost"] == "none" and not r["traceback"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
