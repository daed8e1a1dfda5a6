"""Issue 16, cases 10 and 13: sidecars, covers and media are read only when they are regular files whose
real path lies in a library folder; workers and the forkserver die with a killed main process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.scan.guard import Refused, read_regular
from tests.media import jpeg_bytes, write_audio, write_video

REPO = Path(__file__).resolve().parents[2]
SECRET = "zanzibarquokka"  # a word only the files outside the library hold


def _skips(library) -> dict[str, str]:
    return {f["path"]: f["error"] for f in library.failures() if f["stage"] == "skipped"}


def test_fifo_sidecars_never_block_and_never_fail_the_media_file(library, tmp_path):
    root = tmp_path / "media"
    song = write_audio(root / "song.wav", 0.3)
    clip = write_video(root / "clip.avi")
    for name in ("song.lrc", "cover.jpg", "movie.nfo"):
        os.mkfifo(root / name)  # opening one for reading would wait for a writer forever
    library.save_settings(file_timeout_s=5.0)
    started = time.monotonic()
    report = library.scan([str(root)])
    elapsed = time.monotonic() - started
    assert elapsed < 5.0, f"the scan waited on a FIFO ({elapsed:.1f} s)"
    assert (report.added, report.failed) == (2, 0)
    for path in (song, clip):
        item = library.show(str(path))
        assert item["status"] == "ok" and all(f["stage"] == "skipped" for f in item["failures"])
    skips = _skips(library)
    assert set(skips) == {str(root / n) for n in ("song.lrc", "cover.jpg", "movie.nfo")}
    assert all("named pipe" in reason for reason in skips.values())
    assert not [f for f in library.failures() if f["stage"] == "scan"]
    assert any("on purpose" in note for note in report.notes())


def test_sidecar_reads_are_bounded_and_refuse_what_is_not_a_file(tmp_path):
    big = tmp_path / "big.lrc"
    big.write_bytes(b"x" * 5000)
    assert len(read_regular(str(big), 1000)) == 1000  # text: cut at the bound
    with pytest.raises(Refused, match="larger than"):
        read_regular(str(big), 1024 * 1024 // 2 // 1024, whole=True)  # an image: not read when too large
    os.mkfifo(tmp_path / "pipe.srt")
    with pytest.raises(Refused, match="named pipe"):
        read_regular(str(tmp_path / "pipe.srt"), 1000)
    with pytest.raises(Refused, match="a device"):
        read_regular("/dev/zero", 1000)
    with pytest.raises(Refused, match="a folder"):
        read_regular(str(tmp_path), 1000)


def test_links_outside_the_library_are_never_read(library, tmp_path):
    root, outside = tmp_path / "media", tmp_path / "private"
    outside.mkdir()
    (outside / "passwd").write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n")
    (outside / "shadow.srt").write_text(f"1\n00:00:01,000 --> 00:00:02,000\n{SECRET} hash\n")
    (outside / "face.jpg").write_bytes(jpeg_bytes())
    write_audio(outside / "elsewhere.wav", 0.3)
    write_audio(outside / "folder" / "inside-link.wav", 0.3)
    song = write_audio(root / "song.wav", 0.3)
    clip = write_video(root / "other.avi")
    os.symlink(outside / "passwd", root / "song.lrc")
    os.symlink(outside / "shadow.srt", root / "other.srt")
    os.symlink(outside / "face.jpg", root / "cover.jpg")
    os.symlink(outside / "elsewhere.wav", root / "linked.wav")  # a media file outside, by a file link
    os.symlink(outside / "folder", root / "dirlink")  # ... and by a folder link

    report = library.scan([str(root)])
    assert (report.added, report.failed) == (2, 0)
    assert report.skipped == 6  # lrc, srt, 2 x cover (one per file), 2 media files
    for path in (song, clip):
        item = library.show(str(path))
        assert item["status"] == "ok" and item["sidecars"] == [] and not item["cover_path"]
        assert all(f["stage"] == "skipped" for f in item["failures"])
    assert library.item_ids(filter_text=SECRET) == []  # not searchable
    known = {f["path"] for f in library.failures()}
    for link in ("song.lrc", "other.srt", "cover.jpg", "linked.wav"):
        assert str(root / link) in known
    assert str(root / "dirlink" / "inside-link.wav") in known
    skips = _skips(library)
    assert "outside your library folders" in skips[str(root / "song.lrc")]
    with pytest.raises(Exception, match="no item"):
        library.show(str(root / "linked.wav"))

    # Adding the folder the links lead to makes them readable: as that folder's own files and through
    # the links, and the skip records go.
    library.scan([str(outside)])
    report = library.scan()
    assert library.show(str(root / "linked.wav"))["status"] == "ok"
    lyrics = [s["text"] for s in library.show(str(song))["sidecars"] if s["kind"] == "lrc"]
    assert lyrics and SECRET in lyrics[0]
    assert _skips(library) == {}


def test_a_library_that_stored_an_outside_link_forgets_it_on_the_next_scan(library, tmp_path):
    """A library scanned by an Encore that followed the links: the stored text goes at the next scan."""
    from core.db import items as q

    root, outside = tmp_path / "media", tmp_path / "private"
    outside.mkdir()
    (outside / "passwd").write_text(f"{SECRET}\n")
    song = write_audio(root / "song.wav", 0.3)
    (root / "song.lrc").write_text(f"{SECRET}\n")
    library.scan([str(root)])
    assert library.item_ids(filter_text=SECRET)
    os.unlink(root / "song.lrc")
    os.symlink(outside / "passwd", root / "song.lrc")  # as the old scanner would have stored it
    library.scan()
    item = library.show(str(song))
    assert item["sidecars"] == [] and library.item_ids(filter_text=SECRET) == []
    assert "outside your library folders" in _skips(library)[str(root / "song.lrc")]
    assert q.failure_count(library.store.reader()) == 1


# ----- workers die with their parent ----------------------------------------------------------------
def block_on_fifo(task: tuple[str, str]) -> None:
    """An IsolatedPool task: note this worker's pid and its parent's (the forkserver), then block in
    open() on a FIFO nobody writes to, as a worker reading a FIFO sidecar did."""
    pid_file, fifo = task
    with open(pid_file, "a") as fh:
        fh.write(f"{os.getpid()} {os.getppid()}\n")
    with open(fifo, "rb"):
        pass


_DRIVER = """
import sys, threading
sys.path.insert(0, {repo!r})
from core.isolation import IsolatedPool
pool = IsolatedPool("tests.reliability.test_sidecar_safety:block_on_fifo", workers=2, timeout_s=3600,
                    chunk_size=1)
run = lambda: list(pool.run([({pids!r}, {fifo!r})] * 4))  # 2 chunks queued per worker: both get one
if {in_thread!r}:  # as the app scans: from a worker thread, which may end before the process does
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
else:
    run()
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has exited: only its exit status is left to collect


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("in_thread", [False, True], ids=["main-thread", "worker-thread"])
def test_workers_and_forkserver_die_when_the_main_process_is_killed(tmp_path, in_thread):
    pids_file, fifo = tmp_path / "pids", tmp_path / "never.lrc"
    os.mkfifo(fifo)
    script = _DRIVER.format(repo=str(REPO), pids=str(pids_file), fifo=str(fifo), in_thread=in_thread)
    driver = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines = pids_file.read_text().splitlines() if pids_file.exists() else []
            if len(lines) == 2:
                break
            assert driver.poll() is None, "the driver process ended early"
            time.sleep(0.1)
        else:
            pytest.fail("the workers never started their tasks")
        workers = {int(line.split()[0]) for line in lines}
        servers = {int(line.split()[1]) for line in lines}
        started = workers | servers
        assert driver.pid not in started and all(_alive(p) for p in started)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in started):
            time.sleep(0.1)
        left = sorted(p for p in started if _alive(p))
        assert not left, f"still running after kill -9 of their main process: {left} (workers {sorted(workers)})"
    finally:
        if driver.poll() is None:
            driver.kill()
        for pid in started:  # only the processes this test started
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
