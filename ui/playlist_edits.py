"""What the Playlists page does to playlists: make, rename, delete, add, remove, reorder (each write
queued and run one at a time, in order, so quick edits never land out of order), export, import with
its report, the context menus, and the dialogs (hooks the tests replace)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelection
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from core.errors import plain_error
from core.library import unique_name
from ui.item_drag import view_ids_at
from ui.playlist_model import total_text
from ui.playlist_widgets import PlaylistList
from ui.smart_rules import SmartPlaylistDialog, ignored_note

MAX_REPORT_LINES = 12


class PlaylistEdits:
    """Mixed into PlaylistsView (which provides the widgets, the model and the library)."""

    # ----- writes (one at a time, in order; the page re-reads once they all landed) ---------------
    def _write(self, name: str, fn: Callable[..., Any], on_result: Callable[[Any], None] | None = None,
               **kwargs: Any) -> None:
        self._writes.append((name, fn, {"on_result": on_result, **kwargs}))
        if not self._writing:
            self._next_write()

    def _next_write(self) -> None:
        if not self._writes:
            self._writing = False
            if self._dirty:
                self._dirty = False
                self.refresh_lists()
                self.model.reload()
            return
        self._writing = True
        name, fn, kwargs = self._writes.popleft()
        on_result = kwargs.pop("on_result")
        if self.ops is None:  # not installed (tests of the page alone): run here
            try:
                value = fn(**kwargs)
            except Exception as exc:  # noqa: BLE001
                self._failed(name, exc)
            else:
                if on_result:
                    on_result(value)
            self._dirty = True
            self._next_write()
            return
        job = self.ops.run(name, fn, on_result=on_result, on_error=lambda exc: self._failed(name, exc), **kwargs)
        job.signals.finished.connect(self._next_write)

    def _failed(self, doing: str, exc: BaseException) -> None:
        self._dirty = True
        self.say(plain_error(exc, doing))

    # ----- making and changing playlists -------------------------------------------------------------
    def new_playlist(self) -> None:
        if self.item_actions is not None:
            self.item_actions.new_playlist(done=self._opened)
            return
        name = self.ask_text("New playlist", "Name:", "New playlist")
        if name:
            self._write("make the playlist", self.library.create_playlist, on_result=self._opened, playlist_name=name)

    def _opened(self, playlist_id: int) -> None:
        self._current = playlist_id
        self.refresh_lists()
        self.lists.select_playlist(playlist_id)

    def new_smart_playlist(self, query: str = "") -> SmartPlaylistDialog:
        """The rule editor, filled from `query` when given (the search's intent as editable rules)."""
        rules, note = None, ""
        if query:
            try:
                found = self.library.smart_rules_from_search(query)
                rules, note = found.to_dict(), ignored_note(found.extra.get("ignored_words", []))
            except Exception as exc:  # noqa: BLE001
                self.say(plain_error(exc, "turn that search into rules"))
        taken = [p.name for p in self._playlists]
        dialog = SmartPlaylistDialog(self.library, self.ops, name=unique_name(query or "Smart playlist", taken),
                                     rules=rules, title="New smart playlist", note=note, parent=self.window())

        def save() -> None:
            self._write("make the smart playlist", self.library.create_smart_playlist, on_result=self._opened,
                        playlist_name=dialog.name(), rules=dialog.result_rules())
        dialog.accepted.connect(save)
        dialog.open()
        self.smart_dialog = dialog
        return dialog

    def edit_rules(self) -> SmartPlaylistDialog | None:
        pl = self.current()
        if pl is None or not pl.smart:
            return None
        dialog = SmartPlaylistDialog(self.library, self.ops, name=pl.name, rules=pl.rules, title="Edit smart playlist",
                                     parent=self.window())

        def save() -> None:
            if dialog.name() != pl.name:
                self._write("rename the playlist", self.library.rename_playlist, playlist_id=pl.id,
                            new_name=dialog.name())
            self._write("change the rules", self.library.set_smart_rules, playlist_id=pl.id,
                        rules=dialog.result_rules())
        dialog.accepted.connect(save)
        dialog.open()
        self.smart_dialog = dialog
        return dialog

    def rename(self, playlist_id: int | None = None) -> None:
        pl = self._playlist(playlist_id)
        if pl is None:
            return
        name = self.ask_text("Rename playlist", "New name:", pl.name)
        if name and name != pl.name:
            self._write("rename the playlist", self.library.rename_playlist, playlist_id=pl.id, new_name=name)

    def delete(self, playlist_id: int | None = None) -> None:
        pl = self._playlist(playlist_id)
        if pl is None or not self.confirm(f"Delete the playlist “{pl.name}”? The tracks and videos in it stay "
                                          "in your library."):
            return
        self._write("delete the playlist", self.library.delete_playlist, playlist_id=pl.id,
                    on_result=lambda _r: self.say(f"Deleted the playlist “{pl.name}”."))

    def add_items(self, playlist_id: int | None, ids: list[int], at: int | None = None) -> None:
        """Add dropped or chosen items (asking about duplicates)."""
        if playlist_id is None or not ids:
            return
        if self.item_actions is not None:
            self.item_actions.add(playlist_id, ids, at=at)
        else:
            self._write("add to the playlist", self.library.add_to_playlist, playlist_id=playlist_id, item_ids=ids,
                        at=at)

    def selected_rows(self) -> list[int]:
        """The selected rows, from the selection's ranges (a shift-click over 10,000 rows is one range)."""
        rows: set[int] = set()
        for block in self.tracks.selectionModel().selection():
            rows.update(range(block.top(), block.bottom() + 1))
        return sorted(r for r in rows if r < len(self.model.ids))

    def remove_selected(self) -> None:
        pl = self.current()
        rows = self.selected_rows()
        if pl is None or pl.smart or not rows:
            if pl is not None and pl.smart and rows:
                self.say("This is a smart playlist: its items follow its rules. Edit the rules to change it.")
            return
        first = rows[0]
        self.model.remove_rows_local(rows)
        self.info.setText(total_text(len(self.model.ids), self.model.total_seconds))
        if self.model.ids:
            self.tracks.selectRow(min(first, len(self.model.ids) - 1))
        self._update_stack()
        self._write("remove from the playlist", self.library.remove_from_playlist, playlist_id=pl.id, positions=rows)

    def move_rows(self, rows: list[int], to: int) -> None:
        pl = self.current()
        if pl is None or pl.smart:
            return
        moved = self.model.move_rows(rows, to)
        if not moved:
            return
        selection = self.tracks.selectionModel()
        block = QItemSelection(self.model.index(moved[0], 0), self.model.index(moved[-1], 0))
        selection.select(block, selection.SelectionFlag.ClearAndSelect | selection.SelectionFlag.Rows)
        self._write("reorder the playlist", self.library.move_in_playlist, playlist_id=pl.id, positions=rows, to=to)

    def export(self, relative: bool = True, playlist_id: int | None = None) -> None:
        pl = self._playlist(playlist_id)
        if pl is None:
            return
        path = self.ask_save_path(pl.name)
        if not path:
            return
        if not path.lower().endswith((".m3u8", ".m3u")):
            path += ".m3u8"

        def done(report: dict) -> None:
            left = f" ({len(report['left_out'])} left out: a line break in the path)" if report["left_out"] else ""
            self.say(f"Exported “{pl.name}”: {report['entries']:,} entries to {report['path']}{left}.")

        if self.ops is None:
            done(self.library.export_playlist(pl.id, path, relative=relative))
            return
        self.ops.run("export", self.library.export_playlist, playlist_id=pl.id, path=path, relative=relative,
                     on_result=done, on_error=lambda exc: self.say(plain_error(exc, "export the playlist")))

    def import_file(self) -> None:
        """Import an M3U playlist or listening history and say what matched and what did not, and why."""
        if self.ops is None:
            self.import_requested.emit()
            return
        path = self.ask_open_path()
        if not path:
            return
        self.ops.run("import", self.library.import_history, path=path, on_result=self.show_import_report,
                     on_error=lambda exc: self.say(plain_error(exc, "import that file")))

    def show_import_report(self, report: dict[str, Any]) -> None:
        matched, unmatched = report.get("matched", 0), report.get("unmatched", 0)
        name = str(report.get("file", "")).rsplit("/", 1)[-1]
        lines = [f"Imported {name}: {matched:,} matched" + (f", {unmatched:,} not in your library:" if unmatched
                                                            else ".")]
        for row in report.get("unmatched_rows", [])[:MAX_REPORT_LINES]:
            lines.append("• " + (row.get("why") or "not found in your library: " + " - ".join(
                v for v in (row.get("artist"), row.get("title")) if v)))
        if unmatched > MAX_REPORT_LINES:
            lines.append(f"… and {unmatched - MAX_REPORT_LINES:,} more.")
        if report.get("skipped"):
            lines.append(f"{report['skipped']:,} rows skipped: " + ", ".join(
                f"{why} ({n})" for why, n in report.get("skipped_reasons", {}).items()))
        self.say(lines[0].rstrip(":") + (" (listed on the Playlists page)." if unmatched else ""))
        if report.get("format") == "m3u":
            imported = next((p for p in self.library.playlists() if p.note == report.get("file")), None)
            if imported is not None:
                self._opened(imported.id)
        self.report.setText("\n".join(lines))
        self.report.setVisible(True)

    # ----- menus -------------------------------------------------------------------------------
    def _tracks_menu(self, pos) -> None:
        index = self.tracks.indexAt(pos)
        pl = self.current()
        if not index.isValid() or pl is None:
            return
        rows = self.selected_rows() or [index.row()]
        ids = [self.model.ids[r] for r in rows]
        menu = QMenu(self)
        menu.addAction("Play from here", lambda: self._play(index.row()))
        menu.addAction("Add to queue", lambda: self.enqueue_requested.emit(ids))
        if not pl.smart:
            remove = menu.addAction("Remove from playlist", self.remove_selected)
            remove.setShortcut(QKeySequence.StandardKey.Delete)
        if self.item_actions is not None:
            self.item_actions.fill_menu(menu, ids)
        menu.exec(self.tracks.viewport().mapToGlobal(pos))

    def _list_menu(self, widget: PlaylistList, pos) -> None:
        playlist_id = widget.playlist_id_at(pos)
        pl = self._playlist(playlist_id)
        if pl is None:
            return
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_playlist(pl.id))
        menu.addAction("Play", lambda: self._play_playlist(pl.id))
        if pl.smart:
            menu.addAction("Edit rules…", lambda: (self.open_playlist(pl.id), self.edit_rules()))
        menu.addAction("Rename…", lambda: self.rename(pl.id))
        menu.addAction("Export M3U8 (relative paths)…", lambda: self.export(True, pl.id))
        menu.addAction("Export M3U8 (absolute paths)…", lambda: self.export(False, pl.id))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.delete(pl.id))
        menu.exec(widget.viewport().mapToGlobal(pos))

    def _foreign_menu(self, window, view, pos, search: bool) -> None:
        """Search results and History: Play, Add to queue, Add to playlist ▸ (and, for a search,
        make a smart playlist of it)."""
        index = view.indexAt(pos)
        if not index.isValid():
            return
        ids = view_ids_at(view)(pos)
        menu = QMenu(view)
        menu.addAction("Play", lambda: window.play(ids, 0))
        moment = _moment_of(window, ids) if search else None
        if moment is not None:  # the video moment the search found (as a double-click on the row plays it)
            menu.addAction(f"Play from {moment.at}", lambda: window.player.play_items(ids, 0, start_at=moment.seconds))
        menu.addAction("Add to queue", lambda: window.player.enqueue(ids))
        if self.item_actions is not None:
            self.item_actions.fill_menu(menu, ids)
        if search:
            query = getattr(window, "_search_text", "") or window.search_box.text()
            menu.addSeparator()
            menu.addAction("Make a smart playlist from this search…", lambda: self.new_smart_playlist(query))
        menu.exec(view.viewport().mapToGlobal(pos))

    # ----- dialogs (replaced in tests) -----------------------------------------------------------
    def _ask_text(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self, title, label, text=text)
        return value.strip() if ok and value.strip() else None

    def _confirm(self, question: str) -> bool:
        return QMessageBox.question(self, "Encore", question) == QMessageBox.StandardButton.Yes

    def _ask_save_path(self, name: str) -> str | None:
        safe = "".join(c if c.isalnum() or c in " -_." else "_" for c in name).strip() or "playlist"
        path, _ = QFileDialog.getSaveFileName(self, "Export playlist", f"{safe}.m3u8", "M3U8 playlist (*.m3u8)")
        return path or None

    def _ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a playlist or listening history", "",
                                              "Playlist or history (*.m3u *.m3u8 *.json *.jsonl *.csv)")
        return path or None


def _moment_of(window, ids: list[int]):
    """The search moment of the one hit a menu is about (None: several rows, or no moment)."""
    if len(ids) != 1:
        return None
    hit = next((h for h in getattr(window.search_view, "hits", []) if h.item.id == ids[0]), None)
    return hit.moment if hit is not None else None
