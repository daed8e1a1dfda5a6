"""The pieces of the Playlists page: a list of playlists that takes drops (the page's and the sidebar's),
the entries table (Delete removes), the empty playlist's message (takes drops too) and a one-line label
that elides."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QTableView,
    QWidget,
)

from core.models import PlaylistInfo
from ui.icons import icon
from ui.item_drag import ids_from_mime
from ui.widgets import EmptyState

PlaylistRole = Qt.ItemDataRole.UserRole + 7
SmartRole = Qt.ItemDataRole.UserRole + 8


class ElidedLabel(QLabel):
    """A one-line label that elides its text to its width (full text in the tooltip); never widens the window."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 40)))


class PlaylistList(QListWidget):
    """Playlists in a list that takes drops: items dropped on a playlist are added to it."""

    items_dropped = Signal(int, list)  # playlist id, item ids

    def __init__(self, compact: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(16, 16))
        if compact:
            self.setObjectName("sidebarPlaylists")
            self.setFrameShape(QListWidget.Shape.NoFrame)
        self._hover: QListWidgetItem | None = None

    def fill(self, playlists: list[PlaylistInfo], current: int | None) -> None:
        self.blockSignals(True)
        self.clear()
        for pl in playlists:
            item = QListWidgetItem(icon("smart-playlist" if pl.smart else "playlist", size=32), pl.name)
            item.setData(PlaylistRole, pl.id)
            item.setData(SmartRole, pl.smart)
            item.setToolTip(f"{pl.name}\nSmart: {pl.summary}" if pl.smart else
                            f"{pl.name}\n{pl.size:,} item{'s' if pl.size != 1 else ''}")
            self.addItem(item)
            if pl.id == current:
                self.setCurrentItem(item)
        self.blockSignals(False)

    def playlist_id_at(self, pos) -> int | None:
        item = self.itemAt(pos)
        return item.data(PlaylistRole) if item is not None else None

    def select_playlist(self, playlist_id: int | None) -> None:
        for row in range(self.count()):
            if self.item(row).data(PlaylistRole) == playlist_id:
                self.setCurrentRow(row)
                return

    # ----- drops -------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if ids_from_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        item = self.itemAt(event.position().toPoint())
        self._set_hover(item if item is not None and self._takes_drops(item) else None)
        if self._hover is not None:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_hover(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        target = self._hover
        self._set_hover(None)
        ids = ids_from_mime(event.mimeData())
        if target is None or not ids:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.items_dropped.emit(target.data(PlaylistRole), ids)

    def _takes_drops(self, item: QListWidgetItem) -> bool:
        return not item.data(SmartRole)  # a smart playlist's items follow its rules

    def _set_hover(self, item: QListWidgetItem | None) -> None:
        if item is self._hover:
            return
        if self._hover is not None:
            self._hover.setBackground(QBrush())
        self._hover = item
        if item is not None:
            item.setBackground(self.palette().brush(QPalette.ColorRole.Highlight))


class TracksView(QTableView):
    """The entries of a playlist: drag to reorder, Delete removes, drops from other lists insert."""

    remove_requested = Signal()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) or event.matches(QKeySequence.StandardKey.Delete):
            self.remove_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class DropHint(EmptyState):
    """The empty playlist's message, which also takes drops."""

    dropped = Signal(list)

    def __init__(self) -> None:
        super().__init__("This playlist is empty", "Drag tracks or videos here from Music, Videos, search results "
                         "or For You, or right-click them and choose Add to playlist.")
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if ids_from_mime(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()

    def dropEvent(self, event) -> None:  # noqa: N802
        ids = ids_from_mime(event.mimeData())
        if ids:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.dropped.emit(ids)
