"""The scanner as a user sees it: files appear, changes are noticed, nothing is lost."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.media import make_library, write_audio


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    files = make_library(root)
    return root, files


def test_first_scan_reads_every_tag_family_and_sidecar(library, media):
    root, files = media
    report = library.scan([str(root)])
    assert report.added == 5 and report.failed == 1 and report.seen == 6
    flac = library.show(str(files["flac"]))
    assert (flac["title"], flac["artist"], flac["album"], flac["year"], flac["track_no"]) == (
        "Dawn Chorus", "Aurora Band", "First Light", 1987, 1)
    assert flac["tags"]["composer"] == "J. Doe" and flac["tags"]["musicbrainz_recording_id"].startswith("f0e1")
    assert flac["duration"] == pytest.approx(1.0, abs=0.05) and flac["sample_rate"] == 22050
    assert flac["cover_path"] and os.path.exists(flac["cover_path"])  # from cover.jpg in the folder
    wav = library.show(str(files["wav"]))
    assert (wav["title"], wav["artist"], wav["genre"]) == ("Siege of Laurelmor", "Kara Voss", "Soundtrack")
    assert wav["tags"]["lyrics"] == "Hold the wall"
    untagged = library.show(str(files["untagged"]))
    assert (untagged["title"], untagged["artist"]) == ("Paper Boats", "Mina Roe")  # from the file name
    assert "Fold the paper" in untagged["sidecars"][0]["text"]
    video = library.show(str(files["video"]))
    assert video["kind"] == "video" and video["width"] == 64 and video["height"] == 48
    assert video["title"] == "Mountain Bike Ride" and video["genre"] == "Documentary" and video["year"] == 2019
    srt = [s for s in video["sidecars"] if s["kind"] == "srt"][0]
    assert "bicycle race begins" in srt["text"] and "<i>" not in srt["text"]
    failures = library.failures()
    assert [f["path"] for f in failures] == [str(files["corrupt"])]
    stats = library.stats()
    assert (stats["audio"], stats["video"], stats["failed"]) == (4, 1, 1)


def test_rescan_changes_nothing_and_opens_no_file(library, media, monkeypatch):
    root, _ = media
    library.scan([str(root)])
    report = library.scan()
    assert (report.added, report.updated, report.moved, report.missing, report.failed) == (0, 0, 0, 0, 0)
    assert report.unchanged == 6


def test_changed_file_is_reextracted(library, media):
    root, files = media
    library.scan([str(root)])
    from tests.media import tag_vorbis

    tag_vorbis(files["ogg"], title="Noon Heat (Remaster)")
    report = library.scan()
    assert report.updated == 1 and report.unchanged == 5
    assert library.show(str(files["ogg"]))["title"] == "Noon Heat (Remaster)"


def test_moved_and_renamed_files_keep_their_item(library, media):
    root, files = media
    library.scan([str(root)])
    old = library.show(str(files["flac"]))
    album = files["flac"].parent
    renamed = album.parent / "First Light (Deluxe)"
    shutil.move(str(album), str(renamed))
    report = library.scan()
    assert report.moved == 2 and report.added == 0 and report.missing == 0
    new = library.show(str(renamed / files["flac"].name))
    assert new["id"] == old["id"] and new["status"] == "ok"


def test_vanished_file_becomes_missing_not_deleted(library, media):
    root, files = media
    library.scan([str(root)])
    item_id = library.show(str(files["wav"]))["id"]
    files["wav"].unlink()
    report = library.scan()
    assert report.missing == 1
    assert library.show(item_id)["status"] == "missing"


def test_offline_or_empty_root_changes_nothing(library, media, tmp_path):
    root, _ = media
    library.scan([str(root)])
    before = library.stats()
    moved_away = tmp_path / "unplugged"
    shutil.move(str(root), str(moved_away))
    report = library.scan()
    assert report.offline_roots == [str(root)] and report.missing == 0
    root.mkdir()  # an empty mount point
    report = library.scan()
    assert report.offline_roots == [str(root)] and report.missing == 0
    assert library.stats()["items"] == before["items"]


def test_hanging_and_crashing_files_become_failures(library, tmp_path):
    root = tmp_path / "m"
    write_audio(root / "good.wav")
    (root / "hang.mp3").write_bytes(b"ENCORE-TEST-HANG" + b"\0" * 100)
    (root / "crash.flac").write_bytes(b"ENCORE-TEST-CRASH" + b"\0" * 100)
    library.save_settings(file_timeout_s=2.0)
    report = library.scan([str(root)])
    assert report.added == 1 and report.failed == 2
    errors = {os.path.basename(f["path"]): f["error"] for f in library.failures()}
    assert "timed out" in errors["hang.mp3"] and "crashed" in errors["crash.flac"]
    # Failed files are retried only when they change.
    report = library.scan()
    assert report.unchanged == 3 and report.failed == 0


def test_non_utf8_names_and_symlink_loops(library, tmp_path):
    root = tmp_path / "m"
    write_audio(root / "ok.wav")
    raw = os.fsencode(str(root)) + b"/caf\xe9 - song.wav"
    with open(raw, "wb") as fh:
        fh.write((root / "ok.wav").read_bytes())
    os.symlink(str(root), str(root / "loop"))
    report = library.scan([str(root)])
    assert report.failed == 0 and report.added == 2
    assert library.scan().unchanged == 2


def test_progress_ends_at_every_file_and_a_cancelled_scan_resumes(library, media):
    root, _ = media
    seen = []
    report = library.scan([str(root)], progress=seen.append)
    last = seen[-1]
    assert (last.stage, last.done, last.total) == ("scan", 6, 6) and not report.cancelled
    assert all(p.done <= p.total for p in seen)

    other = root.parent / "more"
    for i in range(4):
        write_audio(other / f"extra {i}.wav")
    from core.models import CancelToken

    token = CancelToken()
    report = library.scan([str(other)], progress=lambda p: token.cancel(), cancel=token)
    assert report.cancelled and report.added < 4
    report = library.scan([str(other)])  # the next scan picks up what the cancelled one left
    assert not report.cancelled and report.added + report.unchanged == 4 and report.failed == 0
    assert library.stats()["items"] == 6 + 4


def test_removing_a_root_keeps_its_items_as_missing(library, media):
    root, files = media
    library.scan([str(root)])
    assert [(r["path"], r["status"]) for r in library.roots()] == [(str(root), "ok")]
    item_id = library.show(str(files["flac"]))["id"]
    library.remove_root(str(root))
    assert library.roots() == []
    assert library.show(item_id)["status"] == "missing"  # the item (and its history) stays
    assert library.scan().seen == 0  # a forgotten root is no longer walked
