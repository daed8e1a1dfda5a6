"""What counts as a play: failures are no plays, one action is one event, skips are early leaving,
playlists are no listening sessions, and migration 0008 marks the old history without losing a row."""

from __future__ import annotations

import sqlite3
import time

import pytest

from core.models import FAILED, PlayEvent, skip_window
from tests.recommend.helpers import DAY, add_item, play_session


def _rows(lib):
    return [tuple(r) for r in lib.store.query(
        "SELECT item_id, seconds, completed, skipped, outcome FROM play_events ORDER BY id")]


def test_the_skip_window_is_30_s_or_a_fifth_whichever_is_shorter():
    assert skip_window(200.0) == 30.0  # a 3:20 song: leaving before 0:30 is a skip
    assert skip_window(100.0) == 20.0  # a 1:40 song: before 0:20
    assert skip_window(1.0) == pytest.approx(0.2)
    assert skip_window(None) == 30.0  # length unknown


def test_a_failed_play_is_recorded_but_is_no_play(library):
    broken = add_item(library, "Broken", "Nobody")
    good = add_item(library, "Good", "Somebody")
    now = time.time()
    library.record_play(PlayEvent(item_id=good, started_at=now - 100, seconds=200, completed=1.0))
    library.record_play(PlayEvent(item_id=broken, started_at=now - 50, seconds=0.0, outcome=FAILED))
    assert _rows(library)[-1] == (broken, 0.0, 0.0, 0, "failed")  # stored, for the record
    assert [e.item_id for e in library.history()] == [good]  # the History page shows no play of it
    assert library.last_played() == (good, "Good")  # "Because you played" never leads with it
    shown = library.show(broken)["history"]
    assert shown["plays"] == 0 and shown["skips"] == 0 and shown["last_played"] is None
    assert library.store.query("SELECT COUNT(*) FROM item_cooc")[0][0] == 0  # not a session with Good
    assert all(r.item.id != broken or not any(x.kind == "co_played" for x in r.reasons)
               for r in library.recommend(limit=20))


def test_one_action_recorded_twice_is_one_event(library):
    item = add_item(library, "Song", "Band")
    t = time.time() - 60
    first = library.record_play(PlayEvent(item_id=item, started_at=t, seconds=0.0, skipped=True))
    second = library.record_play(PlayEvent(item_id=item, started_at=t + 0.01, seconds=54.0, completed=0.27))
    assert first == second
    assert _rows(library) == [(item, 54.0, 0.27, 0, "played")]  # the listen stands, the phantom is gone
    again = library.record_play(PlayEvent(item_id=item, started_at=t + 0.5, seconds=0.0, skipped=True))
    assert again == first and len(_rows(library)) == 1
    later = library.record_play(PlayEvent(item_id=item, started_at=t + 300, seconds=200.0, completed=1.0))
    assert later != first and len(_rows(library)) == 2  # a real second play is its own event


def test_a_partial_play_is_weighted_by_the_share_heard_and_is_not_a_skip(library):
    from core.recommend.history import taste

    item = add_item(library, "Long Song", "Band", duration=200.0)
    library.record_play(PlayEvent(item_id=item, started_at=time.time() - 60, seconds=54.0, completed=0.27))
    t = taste(library.store.reader(), "default")
    assert t.plays == {item: 1} and t.skips == {}
    assert t.weights[item] == pytest.approx(0.5 + 0.5 * 0.27, rel=0.01)
    reasons = [x for r in library.recommend(limit=20) for x in r.reasons]
    assert not any(x.kind == "skip_penalty" for x in reasons)  # no "You skipped similar picks"


def test_playlists_are_adjacency_never_played_together(library, tmp_path):
    a = add_item(library, "Alpha", "One")
    b = add_item(library, "Beta", "Two")
    c = add_item(library, "Gamma", "Three")
    m3u = tmp_path / "mix.m3u8"
    m3u.write_text("#EXTM3U\n/music/One/Alpha.flac\n/music/Two/Beta.flac\n", encoding="utf-8")
    report = library.import_history(str(m3u))
    assert report["matched"] == 2 and report["events_added"] == 0
    assert library.store.query("SELECT COUNT(*) FROM play_events")[0][0] == 0  # a playlist is no play
    pair = library.store.query("SELECT score, count FROM item_neighbours WHERE item_id = ? AND neighbour_id = ?",
                               (a, b))
    assert pair and pair[0]["score"] > 0 and pair[0]["count"] == 0  # adjacency, counted as no session
    library.record_play(PlayEvent(item_id=a, started_at=time.time() - 3600, seconds=200, completed=1.0))
    recs = {r.item.id: r for r in library.recommend(seed=a, mode="more-like", limit=10)}
    assert b in recs
    kinds = {x.kind for x in recs[b].reasons}
    assert "co_played" not in kinds and "same_playlist" in kinds
    from core.recommend.reason_lines import reason_line

    line = next(reason_line(x) for x in recs[b].reasons if x.kind == "same_playlist")
    assert line == "In a playlist with Alpha" and "played" not in line.lower()
    shown = library.show(a)["history"]
    assert [n["id"] for n in shown["same_playlist"]] == [b] and shown["co_played"] == []
    # listening to them in one session is "played together", with the sessions counted
    play_session(library, [a, c], time.time() - 2 * DAY)
    play_session(library, [a, c], time.time() - DAY)
    library.rebuild_neighbours()
    together = library.store.query("SELECT count FROM item_neighbours WHERE item_id = ? AND neighbour_id = ?",
                                   (a, c))
    assert together and together[0][0] == 2


# ----- migration 0008 ----------------------------------------------------------------------------
def _library_at_schema_7(data_dir):
    """A library file as Encore wrote it before migration 0008, with the defects it stored."""
    from core.db import migrate

    path = data_dir / "library.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at REAL)")
    for number, name, module in migrate.available():
        if number >= 8:
            break
        module.up(conn)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (number, name, time.time()))
    now = time.time()
    for n, (name, duration) in enumerate([("broken.mp3", 1.0), ("song.flac", 200.0), ("other.flac", 100.0)]):
        conn.execute("INSERT INTO items (id, path, dir, filename, ext, kind, size, mtime_ns, title, duration, "
                     "added_at, updated_at) VALUES (?, ?, '/m', ?, '.x', 'audio', 1, 1, ?, ?, ?, ?)",
                     (n + 1, f"/m/{name}", name, name, duration, now, now))
    conn.execute("INSERT INTO failures (path, stage, error, item_id, first_at, last_at) "
                 "VALUES ('/m/broken.mp3', 'analyze', 'NoAudio', 1, ?, ?)", (now, now))
    rows = [  # (item, started_at, seconds, completed, skipped)
        (1, now - 900, 0.4, 1.0, 0),     # "0:01 100%": a broken file that never played
        (2, now - 800, 0.0, 0.0, 1),     # a double-click's phantom "0% skipped" ...
        (2, now - 799.99, 180.0, 0.9, 0),  # ... beside the real play
        (3, now - 600, 54.0, 0.54, 1),   # 54 s of 100 s then Next: the old rule called it a skip
        (3, now - 300, 5.0, 0.05, 1),    # a real skip
        (2, now - 100, 200.0, 1.0, 0),   # a plain play
    ]
    conn.executemany("INSERT INTO play_events (item_id, started_at, seconds, completed, skipped) "
                     "VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    return rows


def test_migration_marks_failed_and_duplicate_rows_and_loses_nothing(data_dir):
    from core.library import Library

    rows = _library_at_schema_7(data_dir)
    lib = Library(data_dir)
    try:
        stored = [tuple(r) for r in lib.store.query(
            "SELECT item_id, seconds, skipped, outcome FROM play_events ORDER BY id")]
        assert len(stored) == len(rows)  # nothing lost
        assert stored == [(1, 0.4, 0, "failed"), (2, 0.0, 1, "duplicate"), (2, 180.0, 0, "played"),
                          (3, 54.0, 0, "played"), (3, 5.0, 1, "played"), (2, 200.0, 0, "played")]
        assert [e.item_id for e in lib.history()] == [2, 3, 3, 2]
        shown = lib.show(3)["history"]
        assert shown["plays"] == 1 and shown["skips"] == 1  # 54 s is a partial play, 5 s a skip
        assert lib.show(1)["history"]["plays"] == 0
    finally:
        lib.close()
