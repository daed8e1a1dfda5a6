"""A new analyser version redoes only its stage (issue 13, item 7): classes and descriptors from the stored
JSON without decoding; a new audio analyser re-decodes most played first, then the newest, resumably."""

from __future__ import annotations

import time

import pytest

import core.analysis.store as analysis_store
from core.analysis import queue as analysis_queue
from tests.analysis import signals


@pytest.fixture
def four(library, tmp_path):
    root = tmp_path / "media"
    paths = [signals.write_wav(root / f"t{i}.wav", signals.click_track(90 + 10 * i, 12.0)) for i in range(4)]
    library.scan([str(root)])
    ids = [library.item_row(str(p))["id"] for p in paths]
    now = time.time()
    with library.store.write() as conn:
        for n, item_id in enumerate(ids):  # t3 is the newest addition, t0 the oldest
            conn.execute("UPDATE items SET added_at = ? WHERE id = ?", (now - 1000 + n, item_id))
        for item_id, plays in ((ids[1], 3), (ids[2], 1)):  # t1 is the most played, then t2
            for k in range(plays):
                conn.execute("INSERT INTO play_events (item_id, profile, started_at, seconds, completed) "
                             "VALUES (?, 'default', ?, 60, 1)", (item_id, now - 100 * k))
    return library, ids


def test_pending_items_most_played_then_newest_then_the_visible_ones_first(four):
    library, ids = four
    todo, _ = analysis_queue.pending_items(library)
    assert [t["id"] for t in todo] == [ids[1], ids[2], ids[3], ids[0]]
    todo, _ = analysis_queue.pending_items(library, first=[ids[0]])  # on screen now
    assert [t["id"] for t in todo] == [ids[0], ids[1], ids[2], ids[3]]


def test_a_new_audio_analyser_reanalyses_in_that_order_with_progress(four, monkeypatch):
    library, ids = four
    assert library.analyze()["analyzed"] == 4
    monkeypatch.setattr(analysis_queue, "AUDIO_VERSION", 2)
    monkeypatch.setattr(analysis_queue, "VERSION_MARK", "[analyser a2/v2]")
    library.settings.scan_workers = 1  # one worker: results arrive in the order they were queued
    seen = []
    report = library.analyze(progress=seen.append)
    assert report["analyzed"] == 4
    done = [library.item_row(p.current)["id"] for p in seen if p.stage == "analyze" and p.current]
    assert done == [ids[1], ids[2], ids[3], ids[0]]
    assert seen[-1].done == seen[-1].total == 4


def test_a_new_class_or_descriptor_version_redoes_only_that_from_stored_json(four, monkeypatch):
    library, ids = four
    library.analyze()
    analysed_at = {r["item_id"]: r["analyzed_at"] for r in library.store.query(
        "SELECT item_id, analyzed_at FROM audio_features")}
    monkeypatch.setattr(analysis_store, "CLASS_VERSION", 7)
    monkeypatch.setattr(analysis_store, "REFRESH_BATCH", 3)  # two committed batches
    seen = []
    report = library.analyze(progress=seen.append)
    assert report["analyzed"] == 0 and report["pending"] == 0  # nothing decoded
    assert report["classified"] == 4 and report["described"] == 4
    assert [(p.stage, p.done, p.total) for p in seen] == [("describe", 3, 4), ("describe", 4, 4)]
    assert {r["version"] for r in library.store.query("SELECT version FROM item_classes")} == {7}
    assert {r["item_id"]: r["analyzed_at"] for r in library.store.query(
        "SELECT item_id, analyzed_at FROM audio_features")} == analysed_at  # the features were not redone
    again = library.analyze()
    assert again["classified"] == 0 and again["described"] == 0


def test_an_old_library_without_classes_is_classified_without_decoding(four):
    library, ids = four
    library.analyze()
    with library.store.write() as conn:  # as a library analysed before item classes existed
        conn.execute("DELETE FROM item_classes")
        conn.execute("UPDATE descriptors SET version = 1")
    report = library.analyze()
    assert report["analyzed"] == 0 and report["classified"] == 4 and report["described"] == 4
    assert all(library.show(i)["item_class"]["class"] == "music" for i in ids)


def test_the_library_says_when_an_upgrade_is_due(four, tmp_path, monkeypatch):
    """`analysis_due` (what the app asks at start): new files, then nothing once analysed; an older analyser's
    features, a new describer; a file that failed with this analyser is not due again."""
    library, ids = four
    assert "analysis" in library.analysis_due()
    library.analyze()
    assert library.analysis_due() == []
    with library.store.write() as conn:
        conn.execute("UPDATE descriptors SET version = version - 1 WHERE item_id = ?", (ids[0],))
    assert library.analysis_due() == ["descriptors"]
    library.analyze()
    assert library.analysis_due() == []
    monkeypatch.setattr(analysis_store, "AUDIO_VERSION", 99)  # as if a new audio analyser shipped
    assert "analysis" in library.analysis_due()
    monkeypatch.undo()
    broken = signals.write_wav(tmp_path / "media" / "broken.wav", signals.click_track(100.0, 3.0))
    library.scan([str(tmp_path / "media")])
    assert "analysis" in library.analysis_due()
    data = bytearray(broken.read_bytes())
    data[:44] = bytes(44)  # no header any more, same size: only the analysis meets it
    broken.write_bytes(bytes(data))
    assert library.analyze()["failed"] == 1
    assert library.analysis_due() == []  # its failure is recorded for this very file and analyser
