"""Simple pages: search results, play history, playlists, and files that could not be read."""

from __future__ import annotations

import re
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.library import all_reasons, short_reason
from core.models import Changes, MediaItem, PlaylistInfo
from ui.table_model import format_duration
from ui.widgets import EmptyState

IdRole = Qt.ItemDataRole.UserRole + 1


class _Page(QWidget):
    """A page with a heading, a stack of (content | empty state)."""

    def __init__(self, heading: str, empty: EmptyState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel(heading)
        self.heading.setObjectName("pageHeading")
        self.empty = empty
        self.stack = QStackedWidget()
        self.stack.addWidget(empty)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addWidget(self.heading)
        self.layout_.addWidget(self.stack, 1)

    def set_content(self, widget: QWidget) -> None:
        self.stack.addWidget(widget)
        self.content = widget

    def show_content(self, has: bool) -> None:
        self.stack.setCurrentWidget(self.content if has else self.empty)


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().hide()
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setAlternatingRowColors(True)
    t.setShowGrid(False)
    t.horizontalHeader().setStretchLastSection(True)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return t


def _cell(text: str, item_id: int | None = None) -> QTableWidgetItem:
    cell = QTableWidgetItem(text)
    if item_id is not None:
        cell.setData(IdRole, item_id)
    return cell


class SearchView(_Page):
    """Results of a natural-language search, each with why it matched."""

    item_selected = Signal(object)  # Hit
    play_requested = Signal(list, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Search", EmptyState("Search in plain words",
                         "Try “upbeat songs for running”, “calm piano from the 70s” or "
                         "“a video with mountains”. Press Ctrl+F to jump to the search box."), parent)
        self.results = QListWidget()
        self.results.setObjectName("results")
        self.results.setAlternatingRowColors(True)
        self.results.currentRowChanged.connect(self._current)
        self.results.itemActivated.connect(lambda it: self._play(self.results.row(it)))
        self.set_content(self.results)
        self.hits: list = []
        self.note = QLabel()
        self.note.setObjectName("shelfNote")
        self.layout_.insertWidget(1, self.note)
        self.note.hide()

    def show_hits(self, query: str, hits: list, note: str = "") -> None:
        self.hits = list(hits)
        self.heading.setText(f"Results for “{query}”" if query else "Search")
        self.results.clear()
        for hit in self.hits:
            item = hit.item
            sub = " — ".join(p for p in (item.artist, item.album or item.genre) if p)
            reason = short_reason(hit.reasons)
            entry = QListWidgetItem(f"{item.title}\n{sub}{'   ·   ' if sub and reason else ''}{reason}")
            entry.setToolTip(all_reasons(hit.reasons) or item.path)
            entry.setData(IdRole, item.id)
            self.results.addItem(entry)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        if not self.hits and query:
            self.empty.set_text(f"Nothing found for “{query}”",
                                "Try other words, or fewer of them. Encore matches titles, artists, genres, "
                                "lyrics and subtitles, and how things sound once they are analysed.")
        self.show_content(bool(self.hits))

    def _current(self, row: int) -> None:
        if 0 <= row < len(self.hits):
            self.item_selected.emit(self.hits[row])

    def _play(self, row: int) -> None:
        ids = [h.item.id for h in self.hits]
        if ids:
            self.play_requested.emit(ids, row)


class HistoryView(_Page):
    """What was played, when, for how long, and whether it was skipped."""

    item_selected = Signal(int)
    play_requested = Signal(list, int)

    def __init__(self, library, parent: QWidget | None = None) -> None:
        super().__init__("History", EmptyState(
            "No plays yet", "Everything you play in Encore shows up here, and teaches the For You page "
                            "what you like. Double-click a track or video to start."), parent)
        self.library = library
        self.table = _table(["When", "Title", "Artist", "Played", "How much", ""])
        for col, w in enumerate([140, 260, 180, 70, 90]):
            self.table.setColumnWidth(col, w)
        self.table.currentCellChanged.connect(lambda r, *_: self._emit(r))
        self.table.cellDoubleClicked.connect(lambda r, _c: self._play(r))
        self.set_content(self.table)
        self.redraws = 0  # how often the table was filled (tests count redraws)

    def library_changed(self, changes: Changes) -> None:
        """Plays (or titles, or the profile) changed: redraw when on screen (opening the page redraws)."""
        if (changes.plays or changes.details or changes.settings) and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        rows = self.library.history()
        self.table.setRowCount(len(rows))
        for r, ev in enumerate(rows):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(ev.started_at))
            values = [when, ev.title, ev.artist, format_duration(ev.seconds),
                      f"{ev.completed * 100:.0f}%", "skipped" if ev.skipped else ""]
            for c, v in enumerate(values):
                self.table.setItem(r, c, _cell(v, ev.item_id))
        self.show_content(bool(rows))
        self.redraws += 1

    def _emit(self, row: int) -> None:
        cell = self.table.item(row, 0)
        if cell is not None:
            self.item_selected.emit(cell.data(IdRole))

    def _play(self, row: int) -> None:
        cell = self.table.item(row, 0)
        if cell is not None:
            self.play_requested.emit([cell.data(IdRole)], 0)


class PlaylistsView(_Page):
    """Playlists (made, imported, generated) and their tracks; import a playlist or listening history."""

    play_requested = Signal(list, int)
    import_requested = Signal()
    item_selected = Signal(int)

    def __init__(self, library, parent: QWidget | None = None) -> None:
        empty = EmptyState("No playlists yet", "Import an M3U playlist, or your listening history from "
                           "ListenBrainz (JSON) or Last.fm (CSV): Encore learns from it right away.",
                           action="Import a playlist or history…")
        super().__init__("Playlists", empty, parent)
        self.library = library
        empty.button.clicked.connect(self.import_requested.emit)
        self.lists = QListWidget()
        self.lists.currentRowChanged.connect(self._show_list)
        self.tracks = _table(["Title", "Artist", "Length"])
        self.tracks.cellDoubleClicked.connect(lambda r, _c: self._play(r))
        self.tracks.currentCellChanged.connect(lambda r, *_: self._emit(r))
        import_button = QPushButton("Import…")
        import_button.clicked.connect(self.import_requested.emit)
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.lists, 1)
        lcol.addWidget(import_button)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tracks)
        split.setSizes([220, 600])
        self.set_content(split)
        self._lists: list[PlaylistInfo] = []
        self._items: list[MediaItem] = []

    def library_changed(self, changes: Changes) -> None:
        """Playlists (or titles, or the profile) changed: redraw when on screen (opening the page redraws)."""
        if (changes.playlists or changes.details or changes.settings) and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        shown = self._lists[self.lists.currentRow()].id if 0 <= self.lists.currentRow() < len(self._lists) else None
        self._lists = self.library.playlists()
        self.lists.clear()
        for pl in self._lists:
            self.lists.addItem(f"{pl.name}  ({pl.size})")
        self.show_content(bool(self._lists))
        if self._lists:
            ids = [pl.id for pl in self._lists]
            self.lists.setCurrentRow(ids.index(shown) if shown in ids else 0)  # the open list stays open

    def _show_list(self, row: int) -> None:
        self._items = self.library.playlist_items(self._lists[row].id) if 0 <= row < len(self._lists) else []
        self.tracks.setRowCount(len(self._items))
        for r, it in enumerate(self._items):
            for c, v in enumerate([it.title, it.artist, format_duration(it.duration)]):
                self.tracks.setItem(r, c, _cell(v or "", it.id))

    def _play(self, row: int) -> None:
        self.play_requested.emit([it.id for it in self._items], row)

    def _emit(self, row: int) -> None:
        if 0 <= row < len(self._items):
            self.item_selected.emit(self._items[row].id)


class FailuresView(_Page):
    """Files Encore could not read or analyse, and why, in plain words."""

    rescan_requested = Signal()

    def __init__(self, library, parent: QWidget | None = None) -> None:
        super().__init__("Files Encore could not read", EmptyState(
            "No problems", "Every file Encore found could be read. Damaged or unsupported files would be "
                           "listed here with the reason."), parent)
        self.library = library
        self.table = _table(["File", "Step", "What went wrong", "Tries"])
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        for col, w in enumerate([320, 80, 380]):
            self.table.setColumnWidth(col, w)
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        retry = QPushButton("Scan again")
        retry.setToolTip("Files that changed since are tried again")
        retry.clicked.connect(self.rescan_requested.emit)
        row.addWidget(retry)
        col.addLayout(row)
        self.set_content(box)

    def library_changed(self, changes: Changes) -> None:
        """Files were read or analysed again: redraw when on screen (opening the page redraws)."""
        if changes.details and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        rows = self.library.failures()
        self.table.setRowCount(len(rows))
        for r, f in enumerate(rows):
            error = re.sub(r"^[A-Za-z]+(Error|Exception|Failure): ", "", f["error"] or "")  # no class names
            step = {"scan": "reading", "analyze": "analysis", "embed": "indexing"}.get(f["stage"], f["stage"])
            for c, v in enumerate([f["path"], step, error, str(f["attempts"])]):
                cell = _cell(v)
                cell.setToolTip(v)
                self.table.setItem(r, c, cell)
        self.show_content(bool(rows))
