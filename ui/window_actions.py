"""What the main window does: navigation, playing, searching, folders, settings and shutdown."""

from __future__ import annotations

import sqlite3
from typing import Any

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QFileDialog, QTableView

from core.errors import plain_error
from core.models import Changes
from ui.album_models import AlbumRole
from ui.for_you import MODE_RADIO
from ui.item_drag import IdRole

MUSIC, VIDEOS, FOR_YOU, HISTORY, PLAYLISTS, FAILURES = range(6)
VISIBLE_DELAY_MS = 300  # what is on screen goes to the upkeep once scrolling pauses this long
MAX_VISIBLE_ROWS = 500
RADIO_SHORT = 10  # fewer picks than this: the status bar says why the queue is short


class WindowActions:
    """Mixed into MainWindow (which provides the widgets)."""

    # ----- navigation -------------------------------------------------------------------------
    def start_view(self) -> None:
        """Welcome on first run; otherwise the library (music first unless there is only video)."""
        try:
            has = {kind: self.library.has_items(kind) for kind in ("audio", "video")}
            roots = self.library.roots()
        except sqlite3.DatabaseError:  # damage the background check is about to report: show the library
            has, roots = {"audio": True, "video": False}, []
        if not roots and not any(has.values()):
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(-1)
            self.sidebar.blockSignals(False)
            self.pages.setCurrentWidget(self.welcome)
            self.detail.hide()
            self.welcome.music_button.setFocus()  # else the sidebar takes focus and selects "Music"
        else:
            self.sidebar.setCurrentRow(VIDEOS if has["video"] and not has["audio"] else MUSIC)
        QTimer.singleShot(0, self.update_counts)  # counting 200k rows waits until the window is up

    def show_section(self, row: int) -> None:
        if row < 0:
            return
        page = self.section_pages[row]
        self.pages.setCurrentWidget(page)
        self.detail.show()
        if page in (self.music, self.videos) and not page.model.started:
            QTimer.singleShot(0, page.model.reload)  # after the window is on screen
        elif page is self.for_you:
            self.for_you.refresh()
            self.warm_up_explainer()
        elif hasattr(page, "refresh"):
            page.refresh()

    def prepare_search(self) -> None:
        """Load the search's model in the background while the first query is being typed (once)."""
        if getattr(self, "_search_prepared", False):
            return
        self._search_prepared = True
        self.ops.run("prepare search", self.library.prepare_search,
                     on_error=lambda exc: None)  # a real search says what is wrong, in words, when it runs

    def warm_up_explainer(self) -> None:
        """Load the local LLM in the background once the user looks at picks (explanations come next)."""
        if getattr(self, "_warmed", False) or not self.library.settings.llm_enabled:
            return
        self._warmed = True

        def done(status: dict) -> None:
            if status.get("ok"):
                self.say(f"Explanations: {status.get('file') or 'the local model'} is ready.", 5000)
            elif status.get("enabled"):
                self.say("Explanations use plain templates: the language model could not be loaded "
                         f"({status.get('error', 'unknown reason')}). Choose another GGUF file in Settings.")

        self.say("Loading the language model in the background…", 0)
        # llm_status loads the model (in C: the GIL is free meanwhile)
        self.ops.run("warm up", self.library.llm_status, on_result=done,
                     on_error=lambda exc: self.say(plain_error(exc, "load the language model")))

    def counts(self) -> dict[str, int]:
        """Items per kind and failures (light reads, no stage imported)."""
        return self.library.item_counts()

    def library_changed(self, changes: Changes) -> None:
        """The sidebar counts follow the items."""
        if changes.items or changes.details:
            self.update_counts()

    def update_counts(self, counts: dict[str, int] | None = None) -> None:
        try:
            counts = counts or self.counts()
        except sqlite3.DatabaseError:  # a damaged file: the health banner says so
            return
        labels = {0: ("Music", counts["audio"]), 1: ("Videos", counts["video"]), 5: ("Failures", counts["failed"])}
        for row, (name, n) in labels.items():
            self.sidebar.item(row).setText(f"{name}   {n:,}" if n else name)

    def select_item(self, item_id: int) -> None:
        self.detail.show_item(item_id)
        self.for_you.set_seed(item_id)

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def say(self, text: str, ms: int = 8000) -> None:
        """A plain-words note in the status bar."""
        self.status_note.setText(text)
        self.status_note.setToolTip(text)
        if ms:
            self._note_timer.start(ms)

    # ----- playing ----------------------------------------------------------------------------
    def play(self, item_ids: list[int], start: int = 0) -> None:
        if not item_ids:
            return
        self.player.play_items(list(item_ids), start)

    def _now_playing(self, now) -> None:
        if now is not None and now.kind == "video":
            self._page_before_video = self.pages.currentWidget()
            self.video_page.ensure_video()
            self.pages.setCurrentWidget(self.video_page)
        elif self.pages.currentWidget() is self.video_page:
            self.pages.setCurrentWidget(getattr(self, "_page_before_video", None) or self.music)

    def show_queue(self, shown: bool = True) -> None:
        """The queue panel beside the player (the player bar's Queue button)."""
        self.queue_panel.setVisible(shown)
        if shown:
            sizes = self.split.sizes()
            if len(sizes) == 3 and sizes[2] < self.queue_panel.minimumWidth():
                width = max(self.queue_panel.minimumWidth(), 320)
                self.split.setSizes([max(sizes[0] - width, 300), sizes[1], width])
            self.queue_panel.sync()
        if self.player_bar.queue_button.isChecked() != shown:
            self.player_bar.queue_button.setChecked(shown)

    def like_current(self) -> None:
        if self.player.current is not None:
            self.player_bar._like()
        elif self.detail.item_id is not None:
            self.detail._toggle_like()

    def radio(self, seed: int) -> None:
        """Radio from here: the seed, then a stream of picks that flow from it."""
        def done(recs) -> None:
            picks = [r.item.id for r in recs if r.item.id != seed]
            self.play([seed] + picks, 0)
            short = "; nothing else in your library is close enough yet" if len(picks) < RADIO_SHORT else ""
            self.say(f"Radio: {len(picks)} pick{'s' if len(picks) != 1 else ''} queued after this one{short}." if picks else
                     "Radio: nothing else in your library sounds and feels close enough to this yet, so it plays "
                     "on its own.")

        def failed(exc: BaseException) -> None:
            self.play([seed], 0)
            self.say(plain_error(exc, "start the radio"))

        self.ops.run("radio", self.library.recommend, seed=seed, mode=MODE_RADIO, limit=50,
                     on_result=done, on_error=failed)

    def more_like_this(self, item_id: int) -> None:
        self.for_you.set_seed(item_id)
        self.sidebar.setCurrentRow(FOR_YOU)

    # ----- search -----------------------------------------------------------------------------
    def search(self, text: str) -> None:
        from ui.search_filters import ask_for_words, empty_query

        text = text.strip()
        filters = self.search_view.filters.values()  # the chips (ui/search_filters.py)
        self.sidebar.blockSignals(True)
        self.sidebar.setCurrentRow(-1)
        self.sidebar.blockSignals(False)
        self.pages.setCurrentWidget(self.search_view)
        self.detail.show()
        self._search_text = text
        key = self._search_key = (text, tuple(sorted(filters.items())))
        if empty_query(text, filters):  # "", "!!!": say what to type, list nothing
            ask_for_words(self.search_view)
            return
        shown = text or self.search_view.filters.describe()
        self.search_view.searching(shown)

        def done(hits) -> None:
            if key == self._search_key:
                self.search_view.show_hits(shown, list(hits), note=self.library.search_notice(text) or "")

        def failed(exc: BaseException) -> None:
            if key == self._search_key:
                self.search_view.show_hits(shown, [], note=plain_error(exc, "search"))

        self.ops.run("search", self.library.search, query=text, limit=50, **filters, on_result=done,
                     on_error=failed)

    # ----- folders and background work ---------------------------------------------------------
    def add_folders(self, folders: list[str]) -> None:
        """Add folders and start scan -> analyze -> embed; the library fills in as files are read."""
        if not folders:
            return
        if getattr(self, "read_only", None):
            self.say("Encore is not saving changes to this library: see the message at the top.")
            return
        names = ", ".join(f.rstrip("/").rsplit("/", 1)[-1] or f for f in folders)
        self.say(f"Adding {names}…")
        self.work.start(list(folders), stages=self.upkeep_stages)
        if self.pages.currentWidget() is self.welcome:
            self.sidebar.setCurrentRow(MUSIC)

    UPGRADE_STAGES = ("analyze", "embed")

    def upgrade_if_due(self) -> None:
        """At start: when a new analyser, tagger or describer version (or files analysis never reached) left
        anything stale, bring it up to date in the background (what is on screen first, then the most
        played). Asked off the GUI thread; nothing when the library is read-only, unsafe or already busy."""
        if getattr(self, "read_only", None) or self.work.running or self.work.blocked:
            return

        def due(stages: list[str]) -> None:
            if stages and not self.work.running and not getattr(self, "read_only", None) \
                    and self.work.start(stages=self.UPGRADE_STAGES):
                self.say("Bringing the analysis up to date in the background…")

        self.ops.run("analysis due", self.library.analysis_due, on_result=due, on_error=lambda exc: None)

    def refresh_live(self) -> None:
        """While background work runs: items are arriving (the lists pick them up, keeping the selection).
        Only `items`: what the stages learn is reported once, when the work finishes."""
        self.ops.report(Changes(items=True))

    # ----- what is on screen goes first in the background analysis --------------------------------
    def item_view(self) -> QAbstractItemView | None:
        """The list, table or grid of the page on screen whose rows are items or albums (None elsewhere)."""
        page = self.pages.currentWidget()
        if page in (self.music, self.videos):
            return page.table if page.mode == "table" else page.grid
        if page is self.search_view:
            return page.results
        if page in (self.albums, self.artists):
            albums = page if page is self.albums else page.albums
            return albums.tracks if albums.album is not None else albums.grid
        if page is self.history:
            return page.table
        if page is self.playlists:
            return page.tracks
        return None

    def visible_ids(self) -> list[int]:
        """The items on screen now, top to bottom (for an album grid: each visible album's first track;
        `send_visible` names all their tracks). Asked by the upkeep when it starts."""
        if self.pages.currentWidget() is self.for_you:
            return self.for_you.on_screen_ids()[:MAX_VISIBLE_ROWS]
        view = self.item_view()
        if view is None:
            return []
        model = view.model()
        ids = []
        for row in visible_rows(view):
            index = model.index(row, 0)
            value = index.data(IdRole)
            if not isinstance(value, int):
                value = getattr(index.data(AlbumRole), "first_id", None)
            if isinstance(value, int) and value >= 0:
                ids.append(value)
        return ids

    def visible_changed(self) -> None:
        """A scroll, page change, sort, filter or new results: tell the upkeep once things settle."""
        if self.work.running:
            self._visible_timer.start(VISIBLE_DELAY_MS)

    def send_visible(self) -> None:
        """Name the items on screen to the running upkeep (its analysis takes them next). An album grid
        names every track of its visible albums, read off the GUI thread."""
        if not self.work.running:
            return
        view = self.item_view()
        if view is not None and view.model() is not None and view.objectName() == "albumGrid":
            albums = [view.model().index(row, 0).data(AlbumRole) for row in visible_rows(view)]
            albums = [a for a in albums if a is not None]
            library = self.library

            def tracks() -> list[int]:
                return [i for a in albums for i in library.album_item_ids(a.artist, a.album)][:MAX_VISIBLE_ROWS]

            self.ops.run("albums on screen", tracks, on_result=self.work.show_visible, on_error=lambda _e: None)
            return
        self.work.show_visible(self.visible_ids())

    def _stage_progress(self, progress) -> None:
        """A stage just finished (the next one reports): show its results at once."""
        if progress.stage != getattr(self, "_last_stage", None):
            self._last_stage = progress.stage
            self.refresh_live()

    def _work_finished(self, summary: dict[str, Any]) -> None:
        self._last_stage = None
        if getattr(self, "_shut", False):
            return
        self._live_timer.stop()
        changes = Changes(items=True)
        for stage in self.work.stages:  # also a stopped or failed pass: it keeps what it did
            changes |= self.library.changes_by(stage)
        self.ops.report(changes)
        scan = summary.get("stages", {}).get("scan") or {}
        parts = []
        if scan:
            parts.append(f"{scan.get('added', 0)} new, {scan.get('updated', 0)} changed, "
                         f"{scan.get('failed', 0)} unreadable")
            if scan.get("offline_roots"):
                parts.append("not reachable: " + ", ".join(scan["offline_roots"]))
        parts += list(summary.get("errors", {}).values())
        if summary.get("cancelled"):  # say that it stopped, and what it kept
            from ui.background import cancelled_text

            self.say(cancelled_text(summary, self.work.stages), 15000)
        else:
            self.say("Library updated: " + "; ".join(parts) if parts else "Library is up to date.", 15000)
        if self.music.model.rowCount() == 0 and self.videos.model.rowCount() and \
                self.pages.currentWidget() is self.music:
            self.sidebar.setCurrentRow(VIDEOS)

    def import_history(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a playlist or listening history", "",
                                              "History or playlist (*.json *.jsonl *.csv *.m3u *.m3u8)")
        if not path:
            return

        def done(report) -> None:
            self.say(f"Imported: {report.get('matched', 0)} matched, {report.get('unmatched', 0)} not in your "
                     "library." if isinstance(report, dict) else "Imported.")

        self.ops.run("import", self.library.import_history, path=path, on_result=done,
                     on_error=lambda exc: self.say(plain_error(exc, "import that file")))

    # ----- settings ---------------------------------------------------------------------------
    def open_settings(self) -> QDialog:
        from ui.settings_dialog import SettingsDialog
        from ui.theme import apply_theme

        dialog = SettingsDialog(self.library, self)
        dialog.folders_added.connect(self.add_folders)
        dialog.forget_history.connect(self.forget_history)
        dialog.delete_everything.connect(self.delete_all_data)

        def accepted() -> None:
            removing = bool(dialog.removed_folders)
            changes = dialog.apply()
            if changes:
                self.ops.report(self.library.changes_by(self.library.save_settings, **changes))
            if removing:
                self.ops.report(self.library.changes_by(self.library.remove_root))
            if "theme" in changes:
                apply_theme(QApplication.instance(), changes["theme"])
                self.player_bar.refresh_icons()
            if {"embedding_model", "device"} & set(changes):  # only the embedding stage is redone
                self.work.start(stages=("embed",))
            self.say("Settings saved." if changes else "No settings changed.")

        dialog.accepted.connect(accepted)
        dialog.open()
        self.settings_dialog = dialog
        return dialog

    def forget_history(self) -> None:
        def done(removed) -> None:
            self.say(f"History forgotten ({sum(removed.values())} entries deleted).")

        self.ops.run("forget", self.library.forget_history, on_result=done,
                     on_error=lambda exc: self.say(plain_error(exc, "forget the history")))

    def delete_all_data(self) -> None:
        """Delete Encore's data, then start again with an empty library in the same place."""
        from core.library import Library

        data_dir = self.library.paths.data_dir
        self.player.stop()
        self.work.shutdown()
        self.ops.wait(5000)
        self.library.delete_all_data()
        self.library = Library(data_dir, integrity="background")
        for holder in (self, self.player, self.work, self.detail, self.for_you, self.history, self.playlists,
                       self.failures_view, self.music.model, self.videos.model, self.queue_panel,
                       self.queue_panel.model):
            holder.library = self.library
        for view in (self.music, self.videos):
            view.model.reload_now()
        self.start_view()
        self.health_banner.watch(self.library)
        self.ops.report(self.library.changes_by(Library.delete_all_data))
        self.say("All Encore data deleted. Your media files were not touched.")

    def library_unsafe(self, message: str, damaged: bool) -> None:
        """The background integrity check failed: stop everything that writes and say why (the banner
        keeps the full message; the library itself already refuses writes)."""
        self.read_only = message
        self.work.blocked = message
        self.work.cancel()
        self.add_button.setEnabled(False)
        self.welcome.music_button.setEnabled(False)
        self.welcome.video_button.setEnabled(False)
        self.setAcceptDrops(False)
        self.say("The library database is damaged: Encore is not saving changes." if damaged
                 else "The library could not be checked: Encore is not saving changes.", 0)

    def shutdown(self) -> None:
        """Stop playback (recording the play), cancel background work, wait for workers."""
        if getattr(self, "_shut", False):
            return
        self._shut = True
        try:
            self.ops.changed.disconnect()  # screens stop redrawing: the library closes after this
        except (RuntimeError, TypeError):
            pass
        self.health_banner.stop()
        self._live_timer.stop()
        self.for_you.active = False
        self.player_released = self.player.shutdown()  # bounded: False if Qt's backend did not wind down
        self.work.shutdown()
        self.ops.cancel_all()
        self.ops.wait(5000)
        self.thumbnails.pool.waitForDone(2000)


def visible_rows(view: QAbstractItemView, limit: int = MAX_VISIBLE_ROWS) -> list[int]:
    """The rows of `view` on screen now, top to bottom: a table's from its row positions; a list's or an
    icon grid's (laid out in row order) from the first cell found at the top, while cells meet the
    viewport. [] when the view is hidden or empty."""
    model = view.model()
    count = model.rowCount() if model is not None else 0
    if not count or not view.isVisible():
        return []
    area = view.viewport().rect()
    if isinstance(view, QTableView):
        top = view.rowAt(area.top())
        if top < 0:
            return []
        bottom = view.rowAt(area.bottom())
        bottom = count - 1 if bottom < 0 else bottom
        return list(range(top, min(bottom, top + limit - 1) + 1))
    grid = view.gridSize() if hasattr(view, "gridSize") else None
    step_x = max(8, grid.width() // 2) if grid is not None and grid.isValid() else max(8, area.width() // 4)
    start = -1
    for y in range(area.top() + 2, area.bottom(), 4):  # the first cell: probe down from the top
        for x in range(area.left() + 2, area.right(), step_x):
            index = view.indexAt(QPoint(x, y))
            if index.isValid():
                start = index.row()
                break
        if start >= 0:
            break
    if start < 0:
        return []
    while start > 0 and view.visualRect(model.index(start - 1, 0)).intersects(area):
        start -= 1  # the probe landed right of the row's first cell
    rows: list[int] = []
    for row in range(start, min(count, start + 2 * limit)):
        rect = view.visualRect(model.index(row, 0))
        if rect.top() > area.bottom():
            break
        if rect.intersects(area):
            rows.append(row)
            if len(rows) >= limit:
                break
    return rows
