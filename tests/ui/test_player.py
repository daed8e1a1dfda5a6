"""The player: videos open the video page and resume where they stopped; likes go to the history."""

from __future__ import annotations

import pytest

from tests.ui.conftest import wait_jobs


def _scan(qtbot, win, root):
    with qtbot.waitSignal(win.work.finished, timeout=120_000):
        win.work.start([str(root)], stages=("scan",))


def test_video_plays_on_the_video_page_and_resumes(qtbot, window, media_root, monkeypatch):
    import ui.player as player_module

    root, _ = media_root
    _scan(qtbot, window, root)
    video_id = window.library.store.query("SELECT id FROM items WHERE kind = 'video'")[0][0]
    monkeypatch.setattr(player_module, "RESUME_MIN_S", 0.5)  # the test video is 3 s long
    window.player.start_media = False
    window.play([video_id], 0)
    assert window.pages.currentWidget() is window.video_page
    assert window.video_page.video is not None
    for ms in range(0, 1600, 200):
        window.player.on_position(ms / 1000)
    window.player.stop()
    wait_jobs(qtbot, window)
    assert window.pages.currentWidget() is not window.video_page
    assert window.library.resume_position(video_id) == 1.4
    window.play([video_id], 0)
    assert window.player._pending_seek == 1.4  # applied once QMediaPlayer knows the duration
    window.player.stop()
    wait_jobs(qtbot, window)


@pytest.mark.timeout(240)
def test_real_playback_without_an_audio_device_does_not_crash(qtbot, window, media_root):
    """Runs in CI again: the player's QMediaPlayer calls are queued (no GIL held while Qt's FFmpeg threads
    wind down), which removed the stop() deadlock that once kept this test local-only."""
    window.player.start_media = True
    root, files = media_root
    _scan(qtbot, window, root)
    audio = window.library.store.query("SELECT id FROM items WHERE kind = 'audio' ORDER BY id")
    window.play([r[0] for r in audio], 0)
    qtbot.wait(1500)  # QMediaPlayer runs (silently when there is no audio device)
    window.player.toggle()
    window.player.toggle()
    window.player.next()
    window.player.set_volume(0.3)
    window.player.stop()
    wait_jobs(qtbot, window)
    assert window.player.current is None
    qtbot.waitUntil(lambda: not window.player.is_playing(), timeout=10_000)  # the queued stop ran
    assert window.player.shutdown() is True  # the QMediaPlayer is destroyed within the time limit
    assert window.player._media is None


def test_like_from_the_detail_pane_is_stored(qtbot, window, media_root):
    root, _ = media_root
    _scan(qtbot, window, root)
    item_id = window.library.store.query("SELECT id FROM items WHERE kind = 'audio' ORDER BY id")[0][0]
    window.select_item(item_id)
    wait_jobs(qtbot, window)
    window.detail.like_button.click()
    wait_jobs(qtbot, window)
    assert window.detail.like_button.text().startswith("♥")
    rows = window.library.store.query("SELECT value FROM ratings WHERE item_id = ?", (item_id,))
    assert [r[0] for r in rows] == [1]


def test_add_to_queue_from_the_list(qtbot, window, media_root):
    root, _ = media_root
    _scan(qtbot, window, root)
    window.sidebar.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.music.model.rowCount() == 4, timeout=10_000)
    window.player.start_media = False
    ids = window.music.model.ids[:2]
    window.music.enqueue_requested.emit(ids)
    assert window.player.queue == ids and window.player.current.item_id == ids[0]
    window.music.enqueue_requested.emit([window.music.model.ids[3]])
    assert len(window.player.queue) == 3 and window.player.current.item_id == ids[0]
    window.player.next()
    assert window.player.current.item_id == ids[1]
    window.player.stop()
    wait_jobs(qtbot, window)


def test_stopping_early_is_not_a_skip_but_moving_on_is(qtbot, window, media_root, monkeypatch):
    root, _ = media_root
    _scan(qtbot, window, root)
    video_id = window.library.store.query("SELECT id FROM items WHERE kind = 'video'")[0][0]
    audio_id = window.library.store.query("SELECT id FROM items WHERE kind = 'audio' ORDER BY id")[0][0]
    window.player.start_media = False
    window.play([video_id, audio_id], 0)
    for ms in range(0, 1200, 200):
        window.player.on_position(ms / 1000)
    stopped = window.player.finish_current(ended=False, moved_on=False)
    assert stopped is not None and not stopped.skipped
    window.play([video_id, audio_id], 0)
    for ms in range(0, 600, 200):  # 0.4 s of a 3 s video: within its first fifth (docs: what counts as a play)
        window.player.on_position(ms / 1000)
    skipped = window.player.finish_current(ended=False)  # what next() does
    assert skipped is not None and skipped.skipped and skipped.completed < 0.2
    window.play([video_id, audio_id], 0)
    for ms in range(0, 1200, 200):  # 1 s of 3 s, then on to the next: a partial play, not a skip
        window.player.on_position(ms / 1000)
    partial = window.player.finish_current(ended=False)
    assert partial is not None and not partial.skipped and partial.completed == pytest.approx(1 / 3, abs=0.01)
    wait_jobs(qtbot, window)
