"""The queue panel beside the player: what plays now and next; reorder by drag, remove, play next, clear,
shuffle, repeat one/all, save as a playlist. A Qt list model over Player.queue (light for 1,000+ items:
one batch read of titles per change, uniform rows, only the current row's marker redrawn as playback moves)."""

from __future__ import annotations

import time

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QDrag, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import plain_error
from core.models import Changes
from ui.icons import icon
from ui.player import NowPlaying, Player
from ui.table_model import format_duration

MIME = "application/x-encore-queue-rows"
REPEAT_LABELS = {"off": "Repeat: off", "all": "Repeat: all", "one": "Repeat: one"}
REPEAT_TIPS = {"off": "The queue stops after its last item (click: repeat all)",
               "all": "The queue starts again after its last item (click: repeat one)",
               "one": "The current item plays again and again (click: repeat off)"}
DurationRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


class QueueModel(QAbstractListModel):
    """Rows of the player's queue; the current row is bold with a play icon."""

    def __init__(self, player: Player, library, parent=None) -> None:
        super().__init__(parent)
        self.player = player
        self.library = library
        self.ids: list[int] = []
        self.info: dict[int, tuple[str, str, float]] = {}  # id -> (title, artist, duration)
        self.current: int | None = None
        self._icon = None
        self._bold = QFont()
        self._bold.setBold(True)
        self.resets = 0  # tests count full redraws

    # ----- following the player ---------------------------------------------------------------
    def sync(self) -> None:
        """Follow the player: a new order is a reset; a moved current row only redraws the two rows."""
        queue = self.player.queue
        if queue != self.ids:
            self.beginResetModel()
            self.ids = list(queue)
            self._fetch([i for i in dict.fromkeys(self.ids) if i not in self.info])
            self.current = self.player.current_row()
            self.endResetModel()
            self.resets += 1
            return
        row = self.player.current_row()
        if row != self.current:
            before, self.current = self.current, row
            for r in (before, row):
                if r is not None and 0 <= r < len(self.ids):
                    self.dataChanged.emit(self.index(r), self.index(r))

    def forget(self, item_ids: frozenset[int] = frozenset()) -> None:
        """Titles changed (a rescan): read them again when shown."""
        if item_ids:
            for i in item_ids:
                self.info.pop(i, None)
        else:
            self.info.clear()
        self.ids = []
        self.sync()

    def _fetch(self, ids: list[int]) -> None:
        if not ids:
            return
        try:
            rows = self.library.item_rows(ids)
        except Exception:  # noqa: BLE001 - a damaged library: rows show their id, the health banner says why
            rows = {}
        for i in ids:
            r = rows.get(i)
            if r is None:
                self.info[i] = ("(no longer in the library)", "", 0.0)
                continue
            title = r.get("title") or str(r.get("path") or "").rsplit("/", 1)[-1] or f"#{i}"
            self.info[i] = (str(title), str(r.get("artist") or ""), float(r.get("duration") or 0.0))

    # ----- the model --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self.ids):
            return None
        title, artist, duration = self.info.get(self.ids[row], (f"#{self.ids[row]}", "", 0.0))
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{title} — {artist}" if artist else title
        if role == Qt.ItemDataRole.ToolTipRole:
            now = "Playing now\n" if row == self.current else ""
            return now + "\n".join(p for p in (title, artist, format_duration(duration)) if p)
        if role == Qt.ItemDataRole.FontRole and row == self.current:
            return self._bold
        if role == Qt.ItemDataRole.DecorationRole and row == self.current:
            if self._icon is None:
                self._icon = icon("play", "accent")
            return self._icon
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and row == self.current:
            return "playing now"
        if role == DurationRole:
            return format_duration(duration)
        if role == IdRole:
            return self.ids[row]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        return base if index.isValid() else Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        mime.setData(MIME, ",".join(str(i.row()) for i in indexes if i.isValid()).encode())
        return mime


class QueueDelegate(QStyledItemDelegate):
    """Title (elided) on the left, length on the right."""

    def paint(self, painter, option, index) -> None:
        length = index.data(DurationRole) or ""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = opt.fontMetrics.horizontalAdvance(length) + 12 if length else 0
        opt.rect = option.rect.adjusted(0, 0, -width, 0)
        opt.textElideMode = Qt.TextElideMode.ElideRight
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None and option.state & QStyle.StateFlag.State_Selected:  # the selection spans the row
            full = QStyleOptionViewItem(option)
            full.text = ""
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, full, painter, widget)
        super().paint(painter, opt, index)
        if length:
            painter.save()
            painter.setPen(option.palette.color(option.palette.ColorRole.PlaceholderText))
            painter.drawText(option.rect.adjusted(0, 0, -6, 0),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), length)
            painter.restore()

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 26))


class QueueList(QListView):
    """The list: drag rows to reorder them (the player's queue is moved; the view follows)."""

    rows_dropped = Signal(list, int)  # rows, before row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queueList")
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def startDrag(self, supported) -> None:  # noqa: N802
        """Drag the selected rows; the drop moves them in the player's queue (and nothing else: Qt's own
        end of a move would delete the dragged rows from the model)."""
        indexes = sorted(self.selectedIndexes(), key=lambda i: i.row())
        if not indexes:
            return
        drag = QDrag(self)
        drag.setMimeData(self.model().mimeData(indexes))
        drag.exec(Qt.DropAction.MoveAction)

    def drop_row(self, pos) -> int:
        """The row a drop at `pos` (viewport coordinates) lands before."""
        index = self.indexAt(pos)
        if not index.isValid():
            return self.model().rowCount()
        rect = self.visualRect(index)
        return index.row() + (1 if pos.y() > rect.center().y() else 0)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(MIME):
            super().dragMoveEvent(event)
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        mime = event.mimeData()
        if not mime.hasFormat(MIME):
            event.ignore()
            return
        rows = [int(r) for r in bytes(mime.data(MIME).data()).decode().split(",") if r.strip().isdigit()]
        to = self.drop_row(event.position().toPoint())
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()
        self.rows_dropped.emit(rows, to)


class QueuePanel(QWidget):
    """The queue, beside the player (shown with the player bar's Queue button)."""

    item_selected = Signal(int)
    said = Signal(str)  # a plain-words note for the status bar

    def __init__(self, player: Player, library, ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanel")
        self.player = player
        self.library = library
        self.ops = ops
        self.model = QueueModel(player, library, self)
        self.list = QueueList()
        self.list.setModel(self.model)
        self.list.setItemDelegate(QueueDelegate(self.list))
        self.heading = QLabel("Queue")
        self.heading.setObjectName("shelfTitle")
        self.summary = QLabel("")
        self.summary.setObjectName("countLabel")
        self.empty = QLabel("The queue is empty. Double-click a track, or choose “Add to queue” from a list.")
        self.empty.setObjectName("shelfNote")
        self.empty.setWordWrap(True)

        def button(text: str, tip: str, slot) -> QToolButton:
            b = QToolButton(text=text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.play_next_button = button("Play next", "Play the selected items right after this one",
                                       self.play_selected_next)
        self.remove_button = button("Remove", "Take the selected items out of the queue (Delete)",
                                    self.remove_selected)
        self.shuffle_button = button("Shuffle", "Shuffle what comes after the item playing now", self.shuffle)
        self.repeat_button = button(REPEAT_LABELS["off"], REPEAT_TIPS["off"], self.player.cycle_repeat)
        self.repeat_button.setCheckable(True)
        self.clear_button = button("Clear", "Empty the queue (what plays now keeps playing)", self.player.clear)
        self.save_button = button("Save as playlist", "Keep this queue as a new playlist (asks for its name)", lambda: self.save_as_playlist())
        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addStretch(1)
        head.addWidget(self.summary)
        row1 = QHBoxLayout()
        for b in (self.shuffle_button, self.repeat_button, self.clear_button):
            row1.addWidget(b)
        row1.addStretch(1)
        row2 = QHBoxLayout()
        for b in (self.play_next_button, self.remove_button, self.save_button):
            row2.addWidget(b)
        row2.addStretch(1)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 4, 8, 6)
        col.setSpacing(4)
        col.addLayout(head)
        col.addLayout(row1)
        col.addWidget(self.list, 1)
        col.addWidget(self.empty)
        col.addLayout(row2)
        self.setMinimumWidth(320)

        self.list.activated.connect(lambda idx: self.player.jump(idx.row()))  # a double-click or Enter
        self.list.rows_dropped.connect(self.player.move)
        self.list.clicked.connect(self._selected)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        remove = QAction(self.list)
        remove.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)])
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(self.remove_selected)
        self.list.addAction(remove)
        player.queue_changed.connect(self.sync)
        player.now_playing.connect(self._now)
        player.repeat_changed.connect(self._repeat)
        self.sync()

    # ----- following the player ---------------------------------------------------------------
    def sync(self) -> None:
        selected = [self.model.ids[i.row()] for i in self.list.selectedIndexes()
                    if 0 <= i.row() < len(self.model.ids)]
        bar = self.list.verticalScrollBar().value()
        reset = self.player.queue != self.model.ids
        self.model.sync()
        if reset:
            self.list.verticalScrollBar().setValue(bar)
            self._select_ids(selected)
        n = len(self.model.ids)
        total = sum(self.model.info.get(i, ("", "", 0.0))[2] for i in self.model.ids)
        self.summary.setText(f"{n:,} item{'s' if n != 1 else ''}" + (f" · {format_duration(total)}" if total else ""))
        self.empty.setVisible(n == 0)
        for b in (self.remove_button, self.play_next_button, self.clear_button, self.save_button,
                  self.shuffle_button):
            b.setEnabled(n > 0)

    def _select_ids(self, ids: list[int]) -> None:
        """Keep the selection on the same items after a reorder (the first occurrence of each)."""
        sel = self.list.selectionModel()
        sel.clearSelection()
        wanted = set(ids)
        for row, item_id in enumerate(self.model.ids):
            if item_id in wanted:
                wanted.discard(item_id)
                sel.select(self.model.index(row), sel.SelectionFlag.Select)

    def _now(self, _now: NowPlaying | None) -> None:
        self.model.sync()
        row = self.player.current_row()
        if row is not None and self.isVisible():
            self.list.scrollTo(self.model.index(row), QAbstractItemView.ScrollHint.EnsureVisible)

    def _repeat(self, mode: str) -> None:
        self.repeat_button.setText(REPEAT_LABELS[mode])
        self.repeat_button.setToolTip(REPEAT_TIPS[mode])
        self.repeat_button.setChecked(mode != "off")

    def library_changed(self, changes: Changes) -> None:
        """Titles shown here come from the items: read them again when those changed."""
        if changes.items or changes.details:
            self.model.forget(changes.item_ids)
            self.sync()

    # ----- actions ----------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.list.selectedIndexes()})

    def _selected(self, index) -> None:
        if 0 <= index.row() < len(self.model.ids):
            self.item_selected.emit(self.model.ids[index.row()])

    def remove_selected(self) -> None:
        rows = self.selected_rows()
        current = self.player.current_row()
        if current in rows and len(rows) == 1:
            self.said.emit("The item playing now stays in the queue: press Next to leave it.")
        self.player.remove(rows)

    def play_selected_next(self) -> None:
        rows = [r for r in self.selected_rows() if r != self.player.current_row()]
        if rows:  # after the item playing now (or the last one played): Next, or the end of it, plays them
            self.player.move(rows, self.player.index + 1)

    def shuffle(self) -> None:
        self.player.shuffle()
        self.list.scrollToTop()

    def save_as_playlist(self, name: str | None = None) -> None:
        """Keep the queue as a new playlist (asks for its name unless given)."""
        ids = list(self.player.queue)
        if not ids:
            return
        if name is None:
            default = time.strftime("Queue %Y-%m-%d %H:%M")
            name, ok = QInputDialog.getText(self, "Save the queue as a playlist", "Name:", text=default)
            if not ok:
                return
        name = name.strip()
        if not name:
            self.said.emit("A playlist needs a name.")
            return

        library = self.library

        def done(_playlist_id) -> None:
            self.ops.report(library.changes_by("create_playlist"))  # the Playlists page shows it
            self.said.emit(f"Saved the queue as the playlist “{name}” ({len(ids):,} items).")

        # Ops.run takes its own `name` argument, so the call is wrapped (and its changes reported in `done`)
        self.ops.run("save playlist", lambda: library.create_playlist(name, ids), on_result=done,
                     on_error=lambda exc: self.said.emit(plain_error(exc, "save the queue as a playlist")))

    def _menu(self, pos) -> None:
        index = self.list.indexAt(pos)
        if not index.isValid():
            return
        if index.row() not in self.selected_rows():
            self.list.setCurrentIndex(index)
        menu = QMenu(self)
        menu.addAction("Play", lambda: self.player.jump(index.row()))
        menu.addAction("Play next", self.play_selected_next)
        menu.addAction("Remove from the queue", self.remove_selected)
        menu.addSeparator()
        menu.addAction("Save the queue as a playlist…", lambda: self.save_as_playlist())
        menu.popup(self.list.viewport().mapToGlobal(pos))
