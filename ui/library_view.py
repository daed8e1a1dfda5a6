"""Music / Videos page: the lazy table or the cover grid over one model, a filter, and an empty state."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from core.models import Changes
from ui.file_manager import show_item_in_folder
from ui.item_drag import extend_item_menu
from ui.table_model import ItemIdRole, KindRole, LibraryTableModel, PathRole, SubtitleRole
from ui.thumbs import placeholder_pixmap
from ui.widgets import EmptyState, elide_lines, plain_tip

GRID_CELL = QSize(168, 204)
GRID_ART = 140
# Share of the free width each text column gets (the others have a fixed width); the first columns
# to hide when the list is narrow.
TEXT_WEIGHTS = {"title": 3.0, "artist": 2.0, "album": 2.0, "genre": 1.2}
FIXED_WIDTHS = {"year": 52, "duration": 66, "added_at": 90, "height": 90, "plays": 52, "last_played": 96,
                "rating": 56}
HIDE_BELOW = {"added_at": 820, "last_played": 820, "plays": 600, "rating": 520}  # list width in pixels


class PlainTipDelegate(QStyledItemDelegate):
    """Tooltips of list rows shown as plain text: a path or title with "<b>" in it is file data, and Qt
    renders a tooltip that looks like HTML as HTML."""

    def tooltip_for(self, index) -> str:
        return plain_tip(str(index.data(Qt.ItemDataRole.ToolTipRole) or ""))

    def helpEvent(self, event, view, option, index) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip and index.isValid():
            tip = self.tooltip_for(index)
            if tip:
                QToolTip.showText(event.globalPos(), tip, view)
            else:
                QToolTip.hideText()
            return True
        return super().helpEvent(event, view, option, index)


class GridDelegate(PlainTipDelegate):
    """One cover / poster in the grid: the art (or a placeholder with the title's initials), the title
    in up to two lines and the artist, elided to the cell; the tooltip shows them in full, as plain text."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return GRID_CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        painter.save()
        rect = option.rect
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 6, 6)
        art = QRect(rect.x() + (rect.width() - GRID_ART) // 2, rect.y() + 6, GRID_ART, GRID_ART)
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon) and not icon.isNull():
            icon.paint(painter, art, Qt.AlignmentFlag.AlignCenter)
        else:
            painter.drawPixmap(art, placeholder_pixmap(title, index.data(KindRole), GRID_ART))
        text_rect = QRect(rect.x() + 6, art.bottom() + 4, rect.width() - 12, rect.bottom() - art.bottom() - 6)
        metrics = option.fontMetrics
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        shown = elide_lines(title, option.font, text_rect.width(), 2 if not index.data(SubtitleRole) else 1)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, shown)
        subtitle = str(index.data(SubtitleRole) or "")
        if subtitle:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            sub_rect = text_rect.adjusted(0, metrics.lineSpacing() * shown.count("\n") + metrics.lineSpacing(), 0, 0)
            painter.drawText(sub_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             metrics.elidedText(subtitle, Qt.TextElideMode.ElideRight, text_rect.width()))
        painter.restore()

    def tooltip_for(self, index) -> str:
        lines = [str(index.data(Qt.ItemDataRole.DisplayRole) or ""), str(index.data(SubtitleRole) or ""),
                 str(index.data(PathRole) or "")]
        return plain_tip("\n".join(line for line in lines if line))


class LibraryView(QWidget):
    """One kind of media. Emits the selected item id, and a list of ids to play (double-click/Enter)."""

    item_selected = Signal(int)
    play_requested = Signal(list, int)  # ids, start index
    enqueue_requested = Signal(list)
    radio_requested = Signal(int)
    like_requested = Signal(int)
    said = Signal(str)  # a message for the status bar ("Show in folder" could not open one)

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
        self.table.setItemDelegate(PlainTipDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        # Column widths follow the room there is (the title first) until the user drags a column.
        self._auto_sizing = False
        self.user_sized_columns = False
        header.sectionResized.connect(self._column_dragged)
        self.table.installEventFilter(self)  # every resize of the list (window, splitter, shown again)
        self._fit_columns()
        self.table.doubleClicked.connect(lambda idx: self._play_from(idx.row()))
        self.table.activated.connect(lambda idx: self._play_from(idx.row()))
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._selected(cur.row()))

        self.grid = QListView()
        self.grid.setModel(self.model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(QSize(GRID_ART, GRID_ART))
        self.grid.setGridSize(GRID_CELL)
        self.grid.setItemDelegate(GridDelegate(self.grid))  # placeholders for items without art
        self.grid.setSpacing(0)  # the grid size already leaves room between cells
        self.grid.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
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

    def _column_dragged(self, _index: int, _old: int, _new: int) -> None:
        if not self._auto_sizing:
            self.user_sized_columns = True

    def _fit_columns(self) -> None:
        """Fixed columns at their width, text columns sharing the rest by weight (the title most), the
        least needed columns hidden in a narrow window, so the title never shrinks to nothing."""
        if self.user_sized_columns:
            return
        # The table's width less its frame and a vertical scroll bar (there is one as soon as rows arrive).
        width = self.table.width() - 2 * self.table.frameWidth() - self.table.verticalScrollBar().sizeHint().width()
        keys = [key for key, _header in self.model.columns]
        header = self.table.horizontalHeader()
        self._auto_sizing = True
        try:
            shown = []
            for col, key in enumerate(keys):
                hide = width < HIDE_BELOW.get(key, 0)
                header.setSectionHidden(col, hide)
                if not hide:
                    shown.append((col, key))
            fixed = sum(FIXED_WIDTHS.get(key, 80) for _col, key in shown if key not in TEXT_WEIGHTS)
            weights = sum(TEXT_WEIGHTS[key] for _col, key in shown if key in TEXT_WEIGHTS) or 1.0
            room = max(0, width - fixed - 6)  # (a pixel over would show a horizontal scroll bar)
            for col, key in shown:
                if key in TEXT_WEIGHTS:
                    self.table.setColumnWidth(col, max(60, int(room * TEXT_WEIGHTS[key] / weights)))
                else:
                    self.table.setColumnWidth(col, FIXED_WIDTHS.get(key, 80))
        finally:
            self._auto_sizing = False

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.table and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            QTimer.singleShot(0, self, self._fit_columns)  # once the table has its new width
        return super().eventFilter(watched, event)

    def set_mode(self, mode: str) -> None:
        """List or covers. The selection moves along, and the new view shows it (or starts at the top)."""
        current = self.current_id()
        self.mode = mode
        self.table_button.setChecked(mode == "table")
        self.grid_button.setChecked(mode == "grid")
        self._update_state()
        view = self.table if mode == "table" else self.grid
        row = self.model.row_of(current) if current is not None else -1
        if row >= 0:
            view.setCurrentIndex(self.model.index(row, 0))
            view.scrollTo(self.model.index(row, 0))
        else:
            view.scrollToTop()
        if mode == "grid":
            self.model.art_changed()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.mode == "grid":
            QTimer.singleShot(0, self, self._grid_to_current)

    def _grid_to_current(self) -> None:
        index = self.grid.currentIndex()
        if index.isValid():
            self.grid.scrollTo(index)
        else:
            self.grid.scrollToTop()

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
        menu.addAction("Show in folder", lambda: self._show_in_folder(first))
        extend_item_menu(self, menu, ids)  # "Add to playlist ▸"
        menu.exec(view.viewport().mapToGlobal(pos))

    def _show_in_folder(self, item_id: int) -> None:
        problem = show_item_in_folder(self.model.library, item_id)
        if problem:
            self.said.emit(problem)

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
