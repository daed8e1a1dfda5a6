"""Simple pages: search results, play history, playlists, and files that could not be read."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPalette, QPixmap, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.library import all_reasons, short_reason
from core.models import Changes
from ui.table_model import format_duration
from ui.widgets import ElidedLabel, EmptyState, WrapLabel, plain_tip

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
    play_at_requested = Signal(list, int, float)  # ids, row, from that second (a hit's moment in a video)
    results_shown = Signal()  # new results replaced the old ones (the detail pane follows the selection)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Search", EmptyState("Search in plain words",
                         "Try “upbeat songs for running”, “calm piano from the 70s” or "
                         "“a video with mountains”. Press Ctrl+F to jump to the search box."), parent)
        # The heading quotes the query (any length): elided, never widening the window.
        heading = ElidedLabel(self.heading.text())
        heading.setObjectName("pageHeading")
        self.layout_.replaceWidget(self.heading, heading)
        self.heading.hide()
        self.heading.deleteLater()
        self.heading = heading
        self.results = QListWidget()
        self.results.setObjectName("results")
        self.results.setAlternatingRowColors(True)
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setUniformItemSizes(True)
        self.results.setIconSize(QSize(MOMENT_W, MOMENT_H))  # a hit's moment shows its keyframe
        self.results.currentRowChanged.connect(self._current)
        self.results.itemActivated.connect(lambda it: self._play(self.results.row(it)))
        self.set_content(self.results)
        self.hits: list = []
        self.note = WrapLabel()
        self.note.setObjectName("shelfNote")
        self.layout_.insertWidget(1, self.note)
        self.note.hide()
        from ui.search_filters import SearchFilters  # the filter chips (ui/search_filters.py)

        self.filters = SearchFilters()
        self.layout_.insertWidget(1, self.filters)

    def current_id(self) -> int | None:
        """The selected hit's item (None when nothing is selected)."""
        row = self.results.currentRow()
        return self.hits[row].item.id if 0 <= row < len(self.hits) else None

    def searching(self, query: str) -> None:
        """A search is on its way: the heading says so; the last results stay until the new ones come, and an
        empty page says it is searching (not how to search)."""
        self.heading.setText(f"Searching for “{query}”…")
        if not self.hits:
            self.empty.set_text("Searching…", "The first search after Encore starts also loads the model that reads your words: "
                                "a few seconds. The next ones take a moment.")
            self.show_content(False)

    def show_hits(self, query: str, hits: list, note: str = "") -> None:
        self.hits = list(hits)
        self.heading.setText(f"Results for “{query}”" if query else "Search")
        self.results.clear()
        # with any moment among the hits every row keeps the keyframe's room, so that the titles line up
        blank = _blank_icon() if any(h.moment is not None and h.moment.picture for h in self.hits) else None
        for hit in self.hits:
            item = hit.item
            sub = " — ".join(p for p in (item.artist, item.album or item.genre) if p)
            reason = short_reason(hit.reasons)
            moment = moment_text(hit)
            line = "   ·   ".join(p for p in (sub, reason, moment) if p)
            entry = QListWidgetItem(f"{item.title}\n{line}")
            entry.setToolTip(plain_tip("\n".join(p for p in (item.title, sub, all_reasons(hit.reasons) or item.path,
                                                              moment and f"Plays from {moment}") if p)))
            if hit.moment is not None and hit.moment.picture:
                entry.setIcon(QIcon(hit.moment.picture))
            elif blank is not None:
                entry.setIcon(blank)
            entry.setData(IdRole, item.id)
            self.results.addItem(entry)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        if not self.hits and query:
            self.empty.set_text(f"Nothing found for “{query}”",
                                "Try other words, or fewer of them. Encore matches titles, artists, genres, "
                                "lyrics and subtitles, and how things sound once they are analysed.")
        self.show_content(bool(self.hits))
        self.results_shown.emit()

    def _current(self, row: int) -> None:
        if 0 <= row < len(self.hits):
            self.item_selected.emit(self.hits[row])

    def current_moment(self):
        """The selected hit's Moment (None: no moment, or nothing selected)."""
        row = self.results.currentRow()
        return self.hits[row].moment if 0 <= row < len(self.hits) else None

    def _play(self, row: int) -> None:
        ids = [h.item.id for h in self.hits]
        if not ids:
            return
        moment = self.hits[row].moment if 0 <= row < len(self.hits) else None
        if moment is not None:
            self.play_at_requested.emit(ids, row, moment.seconds)  # from the moment the search found
        else:
            self.play_requested.emit(ids, row)


MOMENT_W, MOMENT_H = 64, 36


def _blank_icon() -> QIcon:
    pix = QPixmap(MOMENT_W, MOMENT_H)
    pix.fill(Qt.GlobalColor.transparent)
    return QIcon(pix)


def moment_text(hit) -> str:
    """"at 0:42 · close-up of a face" for a hit with a moment, else ""."""
    return f"at {hit.moment.at} · {hit.moment.phrase}" if getattr(hit, "moment", None) is not None else ""


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


class FailuresView(_Page):
    """Files Encore could not read or analyse, grouped by cause: what happened, which file, what to do.
    The words come from the Library (the same as `encore failures`). Clips that are only too short to
    analyse, or hold no sound, are listed apart and quietly: they play, they are no failure."""

    rescan_requested = Signal()
    item_selected = Signal(int)

    def __init__(self, library, parent: QWidget | None = None) -> None:
        super().__init__("Files Encore could not read", EmptyState(
            "No problems", "Every file Encore found could be read. Damaged or unsupported files would be "
                           "listed here with the reason."), parent)
        self.library = library
        self.groups: list[dict] = []
        self.summary = WrapLabel()
        self.summary.setObjectName("shelfNote")
        self.summary.setContentsMargins(4, 0, 4, 4)
        self.tree = QTreeWidget()
        self.tree.setObjectName("failures")
        self.tree.setHeaderLabels(["File", "Folder", "Step"])
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(1, 260)
        self.tree.currentItemChanged.connect(lambda cur, _prev: self._show_details(cur))
        self.details = QTextBrowser()  # plain text: paths and decoder messages are shown as they are
        self.details.setObjectName("failureDetails")
        self.details.setOpenLinks(False)  # a path or decoder message is never a link to follow
        self.details.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.details.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details.setMaximumHeight(130)
        self.details.setMinimumHeight(60)
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.summary)
        col.addWidget(self.tree, 1)
        col.addWidget(self.details)
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
        self.groups = self.library.failure_groups()
        self.tree.clear()
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for group in self.groups:
            n = len(group["files"])
            top = QTreeWidgetItem([f"{group['title']} — {n} file{'s' if n != 1 else ''}"])
            top.setData(0, FailureRole, (group, None))
            top.setToolTip(0, plain_tip(" ".join(p for p in (group["what"], group["todo"]) if p)))
            font = top.font(0)
            font.setBold(not group["quiet"])
            top.setFont(0, font)
            if group["quiet"]:
                top.setForeground(0, muted)
            for f in group["files"]:
                child = QTreeWidgetItem([f["name"], f["folder"], f["step"]])
                child.setData(0, FailureRole, (group, f))
                tip = plain_tip("\n".join(p for p in (f["path"], f["detail"]) if p))
                for c in range(3):
                    child.setToolTip(c, tip)
                    if group["quiet"]:
                        child.setForeground(c, muted)
                top.addChild(child)
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)
            top.setExpanded(not group["quiet"])  # the quiet groups stay folded
        problems = sum(len(g["files"]) for g in self.groups if not g["quiet"])
        quiet = sum(len(g["files"]) for g in self.groups if g["quiet"])
        parts = [f"{problems} file{'s' if problems != 1 else ''} could not be read or analysed."
                 if problems else "No problems: every file could be read."]
        if quiet:
            parts.append(f"{quiet} file{'s' if quiet != 1 else ''} {'were' if quiet != 1 else 'was'} not analysed "
                         "or not read on purpose (too short, no sound, a link out of your folders): "
                         "listed last, nothing to fix.")
        self.summary.setText(" ".join(parts))
        self.details.setPlainText("Select a file to see what happened and what to do." if self.groups else "")
        self.show_content(bool(self.groups))
        if self.groups and not self.groups[0]["quiet"]:  # what happened and what to do, at a glance
            self.tree.setCurrentItem(self.tree.topLevelItem(0))

    def current_id(self) -> int | None:
        """The item of the selected file (None for a group heading or no selection)."""
        item = self.tree.currentItem()
        data = item.data(0, FailureRole) if item is not None else None
        return data[1].get("item_id") if data and data[1] else None

    def _show_details(self, item: QTreeWidgetItem | None) -> None:
        data = item.data(0, FailureRole) if item is not None else None
        if not data:
            return
        group, f = data
        lines = [] if f is None else [f["name"], f"Folder: {f['folder']}"]
        lines.append(f"What happened: {group['what']}")
        if group["todo"]:
            lines.append(f"What to do: {group['todo']}")
        if f is not None and f["detail"]:
            tries = f" (tried {f['attempts']} times)" if (f.get("attempts") or 1) > 1 else ""
            lines.append(f"What the decoder said during {f['step']}{tries}: {f['detail']}")
        self.details.setPlainText("\n".join(lines))
        if f is not None and f.get("item_id") is not None:
            self.item_selected.emit(int(f["item_id"]))


FailureRole = Qt.ItemDataRole.UserRole + 2
