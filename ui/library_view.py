"""Music / Videos page: the lazy table or the cover grid over one model, a filter, and an empty state."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.models import Changes
from ui.table_model import ItemIdRole, LibraryTableModel
from ui.widgets import EmptyState


class LibraryView(QWidget):
    """One kind of media. Emits the selected item id, and a list of ids to play (double-click/Enter)."""

    item_selected = Signal(int)
    play_requested = Signal(list, int)  # ids, start index
    enqueue_requested = Signal(list)
    radio_requested = Signal(int)
    like_requested = Signal(int)

    def __init__(self, library, kind: str, thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.model = LibraryTableModel(library, kind, art=thumbnails.icon, parent=self)
        thumbnails.ready.connect(lambda _p: self.model.art_changed())

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by title, artist, album, genre…")
        self.filter.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(lambda: self.model.set_filter(self.filter.text()))
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        self.table_button = QToolButton(text="List", checkable=True, checked=True)
        self.grid_button = QToolButton(text="Covers" if kind == "audio" else "Posters", checkable=True)
        self.table_button.setToolTip("Show as a sortable list")
        self.grid_button.setToolTip("Show cover art / posters")
        self.table_button.clicked.connect(lambda: self.set_mode("table"))
        self.grid_button.clicked.connect(lambda: self.set_mode("grid"))
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.table_button)
        bar.addWidget(self.grid_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1 if kind == "audio" else 0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setIconSize(QSize(20, 20))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        for col, width in enumerate([260, 150, 160, 100, 52, 66, 90] if kind == "audio"
                                    else [320, 120, 52, 66, 90, 90]):
            self.table.setColumnWidth(col, width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the title takes the spare room
        self.table.doubleClicked.connect(lambda idx: self._play_from(idx.row()))
        self.table.activated.connect(lambda idx: self._play_from(idx.row()))
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._selected(cur.row()))

        self.grid = QListView()
        self.grid.setModel(self.model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(QSize(140, 140))
        self.grid.setGridSize(QSize(168, 200))
        self.grid.setWordWrap(True)
        self.grid.setSpacing(8)
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setBatchSize(200)
        self.grid.doubleClicked.connect(lambda idx: self._play_from(idx.row()))
        self.grid.activated.connect(lambda idx: self._play_from(idx.row()))
        self.grid.selectionModel().currentRowChanged.connect(lambda cur, _p: self._selected(cur.row()))
        for view in (self.table, self.grid):
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(lambda pos, v=view: self._menu(v, pos))

        word = "music" if kind == "audio" else "videos"
        self.empty = EmptyState(
            f"No {word} yet",
            f"Add a folder with your {word} (the + Add folder button, or drop a folder on this window). "
            "Encore reads it in the background and fills this list as it goes.")
        self.no_match = EmptyState("Nothing matches this filter", "Try fewer or different words.")
        self.stack = QStackedWidget()
        for w in (self.table, self.grid, self.empty, self.no_match):
            self.stack.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self.mode = "table"
        self.model.reloaded.connect(self._update_state)
        self.model.modelReset.connect(self._update_state)

    def library_changed(self, changes: Changes) -> None:
        """Items came, went or changed: re-read the list once it has been opened (or is on screen)."""
        if (changes.items or changes.details) and (self.model.started or self.isVisible()):
            self.model.refresh()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.table_button.setChecked(mode == "table")
        self.grid_button.setChecked(mode == "grid")
        self._update_state()
        if mode == "grid":
            self.model.art_changed()

    def _update_state(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} {'tracks' if self.kind == 'audio' else 'videos'}" if n else "")
        if n == 0 and self.model.started and not self.model.loading:
            self.stack.setCurrentWidget(self.no_match if self.model.filter_text else self.empty)
        elif n:
            self.stack.setCurrentWidget(self.table if self.mode == "table" else self.grid)

    def _selected(self, row: int) -> None:
        item_id = self.model.item_id(row)
        if item_id is not None and item_id >= 0:
            self.item_selected.emit(item_id)

    def _play_from(self, row: int) -> None:
        """Queue the visible list from the chosen row (capped, so a 200k library stays light)."""
        ids = self.model.ids[row:row + 500]
        if ids:
            self.play_requested.emit(ids, 0)

    def _menu(self, view, pos) -> None:
        index = view.indexAt(pos)
        if not index.isValid():
            return
        ids = self.selected_ids() or [self.model.ids[index.row()]]
        first = self.model.ids[index.row()]
        menu = QMenu(self)
        menu.addAction("Play", lambda: self.play_requested.emit(ids, 0))
        menu.addAction("Add to queue", lambda: self.enqueue_requested.emit(ids))
        menu.addAction("Radio from here", lambda: self.radio_requested.emit(first))
        menu.addAction("Like", lambda: self.like_requested.emit(first))
        menu.exec(view.viewport().mapToGlobal(pos))

    def selected_ids(self) -> list[int]:
        view = self.table if self.mode == "table" else self.grid
        rows = sorted({i.row() for i in view.selectionModel().selectedIndexes()})
        return [self.model.ids[r] for r in rows if r < len(self.model.ids)]

    def select_item(self, item_id: int) -> None:
        row = self.model.row_of(item_id)
        if row >= 0:
            view = self.table if self.mode == "table" else self.grid
            view.setCurrentIndex(self.model.index(row, 0))
            view.scrollTo(self.model.index(row, 0))

    def current_id(self) -> int | None:
        view = self.table if self.mode == "table" else self.grid
        idx = view.currentIndex()
        return idx.data(ItemIdRole) if idx.isValid() else None
