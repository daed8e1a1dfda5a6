"""Library methods behind Settings and the player: resume points, forget my history, delete all data."""

from __future__ import annotations

import time

from tests.ui.bulk import insert_items


def _play(library, item_id, profile="default"):
    with library.store.write() as conn:
        conn.execute("INSERT INTO play_events (item_id, profile, started_at, seconds) VALUES (?, ?, ?, 10)",
                     (item_id, profile, time.time()))
        conn.execute("INSERT OR REPLACE INTO ratings (item_id, profile, value, rated_at) VALUES (?, ?, 1, ?)",
                     (item_id, profile, time.time()))


def test_resume_position_round_trip(library):
    insert_items(library, 2, kind="video")
    assert library.resume_position(1) is None
    library.set_resume_position(1, 83.5)
    assert library.resume_position(1) == 83.5
    library.set_resume_position(1, None)
    assert library.resume_position(1) is None


def test_forget_history_keeps_the_library(library):
    insert_items(library, 3)
    _play(library, 1)
    _play(library, 2, profile="kids")
    library.set_resume_position(3, 40.0)
    removed = library.forget_history(profile="kids")
    assert removed["play_events"] == 1
    assert library.store.query("SELECT COUNT(*) FROM play_events")[0][0] == 1
    library.forget_history()
    for table in ("play_events", "ratings", "resume_positions"):
        assert library.store.query(f"SELECT COUNT(*) FROM {table}")[0][0] == 0
    assert library.store.query("SELECT COUNT(*) FROM items")[0][0] == 3


def test_delete_all_data_removes_only_encores_files(tmp_path):
    from core.library import Library

    data = tmp_path / "data"
    lib = Library(data)
    insert_items(lib, 2)
    (data / "my notes.txt").write_text("keep me")
    lib.delete_all_data()
    assert sorted(p.name for p in data.iterdir()) == ["my notes.txt"]
    fresh = Library(data)
    assert fresh.store.query("SELECT COUNT(*) FROM items")[0][0] == 0
    fresh.close()


def test_settings_dialog_saves_and_forgets(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    dialog = window.open_settings()
    dialog.llm_enabled.setChecked(False)
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.profile.setCurrentText("evening")
    dialog.accept()
    assert window.library.settings.llm_enabled is False
    assert window.library.settings.device == "cpu"
    assert window.library.settings.profile == "evening"
    from core.config import Settings

    assert Settings.load(window.library.paths.settings).profile == "evening"  # persisted

    insert_items(window.library, 1)
    _play(window.library, 1, profile="evening")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog = window.open_settings()
    with qtbot.waitSignal(window.ops.job_finished, timeout=10_000):
        dialog._forget()
    assert window.library.store.query("SELECT COUNT(*) FROM play_events")[0][0] == 0
    dialog.reject()


def test_delete_all_data_from_settings_returns_to_welcome(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    insert_items(window.library, 5)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog = window.open_settings()
    dialog._delete()
    assert window.pages.currentWidget() is window.welcome
    assert window.library.store.query("SELECT COUNT(*) FROM items")[0][0] == 0
    assert "deleted" in window.status_note.text()


def test_drop_data_caches_keeps_loaded_models(library):
    library.component("encoder:x:auto", lambda: "model")
    library.component("llm:a|b", lambda: "llm")
    library.component("index:x", lambda: "stale index")
    library.component("recommend.content", lambda: "stale vectors")
    library.drop_data_caches()
    assert set(library._components) == {"encoder:x:auto", "llm:a|b"}
