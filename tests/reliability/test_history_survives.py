"""Promise 3: a scan never deletes your history. Plays, likes, playlists and resume positions stay
attached (or are re-linked) through offline roots, empty mount points, renamed folders, moved
files and re-encoded files; only an explicit user action removes data."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from tests.media import tag_vorbis, write_audio, write_video

TRACKS = [("01 - Dawn", 440, "Dawn"), ("02 - Noon", 550, "Noon"), ("03 - Dusk", 660, "Dusk")]


@pytest.fixture
def built(library, tmp_path):
    """A scanned library where the user has played, liked, listed and paused things."""
    root = tmp_path / "media"
    album = root / "Aurora" / "First Light"
    for i, (stem, freq, title) in enumerate(TRACKS):
        path = write_audio(album / f"{stem}.flac", 1.0, freq)
        tag_vorbis(path, title=title, artist="Aurora", album="First Light", tracknumber=str(i + 1))
    write_video(root / "Clips" / "ride.avi")
    library.scan([str(root)])
    ids = [r["id"] for r in library.store.query("SELECT id FROM items ORDER BY path")]
    now = time.time()
    with library.store.write() as conn:
        for n, item_id in enumerate(ids):
            for k in range(n + 1):
                conn.execute("INSERT INTO play_events (item_id, started_at, seconds, completed) VALUES (?, ?, 60, 1)",
                             (item_id, now + n * 10 + k))
            conn.execute("INSERT INTO ratings VALUES (?, 'default', 1, ?)", (item_id, now))
            conn.execute("INSERT INTO resume_positions VALUES (?, 'default', 12.5, ?)", (item_id, now))
        conn.execute("INSERT INTO playlists (id, name, created_at) VALUES (1, 'Mine', ?)", (now,))
        conn.executemany("INSERT INTO playlist_items VALUES (1, ?, ?)", list(enumerate(ids)))
    return root, album


def _history(library) -> dict[str, object]:
    """Who holds the history: each history row mapped to its item (id) and that item's status."""
    q = library.store.query
    return {
        "plays": sorted((r[0], r[1]) for r in q("SELECT i.id, i.status FROM play_events p JOIN items i "
                                                 "ON i.id = p.item_id")),
        "likes": sorted((r[0], r[1]) for r in q("SELECT i.id, r.value FROM ratings r JOIN items i "
                                                 "ON i.id = r.item_id")),
        "playlist": [r[0] for r in q("SELECT i.id FROM playlist_items p JOIN items i ON i.id = p.item_id "
                                     "ORDER BY position")],
        "resume": sorted(r[0] for r in q("SELECT i.id FROM resume_positions r JOIN items i ON i.id = r.item_id")),
        "rows": [q(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("play_events", "ratings", "playlist_items",
                                                                  "resume_positions")],
    }


def _all_ok(history) -> bool:
    return all(status == "ok" for _, status in history["plays"])


def test_offline_root_and_empty_mount_point_change_nothing(library, built, tmp_path):
    root, _ = built
    before = _history(library)
    shutil.move(str(root), str(tmp_path / "unplugged"))
    assert library.scan().offline_roots == [str(root)]
    assert _history(library) == before and _all_ok(before)
    root.mkdir()  # the mount point is there, the drive is not
    assert library.scan().offline_roots == [str(root)]
    assert _history(library) == before
    root.rmdir()
    shutil.move(str(tmp_path / "unplugged"), str(root))  # plugged back in
    report = library.scan()
    assert report.unchanged == 4 and _history(library) == before


def test_renamed_album_folder_and_moved_files_keep_history(library, built):
    root, album = built
    before = _history(library)
    renamed = album.parent / "First Light (Remastered)"
    shutil.move(str(album), str(renamed))
    shutil.move(str(root / "Clips" / "ride.avi"), str(root / "Clips" / "Bike ride 2019.avi"))
    report = library.scan()
    assert report.moved == 4 and report.added == 0 and report.missing == 0
    assert _history(library) == before and _all_ok(before)
    # Moved again, into another folder tree, across two scans (missing first, back later).
    outside = root.parent / "outside-the-library"
    shutil.move(str(renamed), str(outside))
    assert library.scan().missing == 3
    shutil.move(str(outside), str(root / "Archive" / "First Light"))
    report = library.scan()
    assert report.moved == 3 and report.added == 0
    assert _history(library) == before


def test_reencoded_files_keep_history(library, built):
    """Same path, new bytes: the same item. New format (.flac -> .ogg), same tags: re-linked."""
    root, album = built
    before = _history(library)
    dawn = album / "01 - Dawn.flac"
    write_audio(dawn, 1.0, 445)  # re-encoded in place: different content hash
    tag_vorbis(dawn, title="Dawn", artist="Aurora", album="First Light", tracknumber="1")
    noon = album / "02 - Noon.flac"
    noon.unlink()
    ogg = write_audio(album / "02 - Noon.ogg", 1.0, 550)
    tag_vorbis(ogg, title="Noon", artist="Aurora", album="First Light", tracknumber="2")
    report = library.scan()
    assert report.updated == 1 and report.reencoded == 1 and report.added == 0 and report.missing == 0
    assert _history(library) == before and _all_ok(before)
    assert library.show(str(ogg))["status"] == "ok"
    # The whole album re-encoded into a new folder, the old one deleted: every track re-linked.
    flac_dir = album.parent / "First Light (OGG)"
    for i, (stem, freq, title) in enumerate(TRACKS):
        out = write_audio(flac_dir / f"{stem}.ogg", 1.0, freq + 1)
        tag_vorbis(out, title=title, artist="Aurora", album="First Light", tracknumber=str(i + 1))
    shutil.rmtree(album)
    report = library.scan()
    assert report.reencoded == 3 and report.added == 0 and report.missing == 0
    assert _history(library) == before
    assert library.stats()["items"] == 4 and library.stats()["missing"] == 0


def test_ambiguous_or_second_copy_is_never_relinked(library, built):
    root, album = built
    before = _history(library)
    copy = write_audio(root / "Copies" / "dawn.ogg", 1.0, 440)  # the old file is still there: a copy
    tag_vorbis(copy, title="Dawn", artist="Aurora", album="First Light", tracknumber="1")
    report = library.scan()
    assert report.added == 1 and report.reencoded == 0
    assert _history(library)["rows"] == before["rows"]


def test_vanished_files_keep_history_until_the_user_removes_it(library, built):
    root, album = built
    before = _history(library)
    shutil.rmtree(album)
    report = library.scan()
    assert report.missing == 3
    after = _history(library)
    assert after["rows"] == before["rows"]  # nothing deleted, only marked missing
    assert {s for _, s in after["plays"]} == {"ok", "missing"}
    library.remove_root(str(root))  # even forgetting the folder keeps the history rows
    assert _history(library)["rows"] == before["rows"]
    assert os.path.exists(library.paths.db)
