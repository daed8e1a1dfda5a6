"""Items leave one list and land on another: the drag payload (item ids), a drag starter that any list,
grid or shelf can wear without changing its own code, and the "Add to playlist ▸" menu with its
duplicate question."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QModelIndex, QObject, QPoint, Qt
from PySide6.QtGui import QDrag, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QInputDialog,
    QMenu,
    QMessageBox,
    QWidget,
)

from core.errors import plain_error
from core.library import unique_name

ITEM_IDS_MIME = "application/x-encore-item-ids"
QT_ITEMS_MIME = "application/x-qabstractitemmodeldatalist"  # what QListWidget / QTableWidget drag by default
IdRole = Qt.ItemDataRole.UserRole + 1  # every list in Encore keeps the item id here (ItemIdRole, pages.IdRole)
MAX_DRAG_IDS = 100_000


def ids_mime(ids: list[int]) -> QMimeData:
    """A drag payload of item ids (in order)."""
    mime = QMimeData()
    mime.setData(ITEM_IDS_MIME, QByteArray(",".join(str(int(i)) for i in ids[:MAX_DRAG_IDS]).encode("ascii")))
    return mime


def ids_from_mime(mime: QMimeData | None) -> list[int]:
    """The item ids a drop carries: Encore's own payload, or the rows of a Qt item widget that keep the
    item id under IdRole; [] for anything else (files, text)."""
    if mime is None:
        return []
    if mime.hasFormat(ITEM_IDS_MIME):
        raw = bytes(mime.data(ITEM_IDS_MIME).data()).decode("ascii", "replace")
        return [int(p) for p in raw.split(",") if p.strip().isdigit()][:MAX_DRAG_IDS]
    if mime.hasFormat(QT_ITEMS_MIME):
        decoder = QStandardItemModel()  # decodes Qt's own format into rows we can read
        if decoder.dropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, QModelIndex()):
            ids = []
            for row in range(decoder.rowCount()):
                for col in range(decoder.columnCount()):
                    value = decoder.index(row, col).data(IdRole)
                    if isinstance(value, int):
                        ids.append(value)
                        break
            return ids
    return []


def view_ids_at(view: QAbstractItemView) -> Callable[[QPoint], list[int]]:
    """For an item view: the ids a drag from `pos` carries (the selection when it starts on a selected
    row, else that row), read from IdRole of column 0."""
    def ids_at(pos: QPoint) -> list[int]:
        index = view.indexAt(pos)
        if not index.isValid():
            return []
        model = view.model()
        selection = view.selectionModel()
        rows = sorted({i.row() for i in selection.selectedIndexes()}) if selection is not None and \
            selection.isSelected(index) else [index.row()]
        ids = [model.index(r, 0).data(IdRole) for r in rows]
        return [i for i in ids if isinstance(i, int) and i >= 0]

    return ids_at


class DragIds(QObject):
    """An event filter that starts a drag of item ids when the mouse moves with the left button held
    (installed on a view's viewport, or on a page whose cards let their mouse events pass up)."""

    def __init__(self, widget: QWidget, ids_at: Callable[[QPoint], list[int]]) -> None:
        super().__init__(widget)
        self.widget, self.ids_at = widget, ids_at
        self._press: QPoint | None = None
        self.drags = 0  # how many drags started (tests)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        elif kind == QEvent.Type.MouseButtonRelease:
            self._press = None
        elif kind == QEvent.Type.MouseMove and self._press is not None and \
                event.buttons() & Qt.MouseButton.LeftButton:
            if (event.position().toPoint() - self._press).manhattanLength() >= QApplication.startDragDistance():
                ids = self.ids_at(self._press)
                self._press = None
                if ids:
                    self.start(ids)
                    return True
        return False

    def start(self, ids: list[int]) -> None:
        self.drags += 1
        drag = QDrag(self.widget)
        drag.setMimeData(ids_mime(ids))
        drag.exec(Qt.DropAction.CopyAction)


class PlaylistActions(QObject):
    """"Add to playlist ▸" for every list of the window, and adding with the duplicate question.
    `window.playlist_actions` is one of these (ui.playlists.PlaylistsView.install sets it up)."""

    def __init__(self, library, ops, say: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.library, self.ops, self.say = library, ops, say
        self.parent_widget = parent
        # (playlist name, already there, adding) -> "add" | "skip" | None (cancel); tests replace it
        self.ask_duplicates: Callable[[str, int, int], str | None] = self._ask_duplicates
        self.ask_name: Callable[[str], str | None] = self._ask_name

    def fill_menu(self, menu: QMenu, ids: list[int]) -> QMenu:
        """Add an "Add to playlist ▸" submenu for `ids` to `menu`; returns the submenu."""
        sub = menu.addMenu("Add to playlist")
        sub.setObjectName("addToPlaylist")
        sub.addAction("New playlist…", lambda: self.new_playlist(ids))
        try:
            lists = [p for p in self.library.playlists() if not p.smart]
        except Exception:  # noqa: BLE001 - a damaged library: the menu still opens
            lists = []
        if lists:
            sub.addSeparator()
        for pl in lists[:40]:
            action = sub.addAction(_menu_text(pl.name), lambda pid=pl.id: self.add(pid, ids))
            action.setData(pl.id)
        return sub

    def add(self, playlist_id: int, ids: list[int], at: int | None = None,
            done: Callable[[dict], None] | None = None) -> None:
        """Add `ids` to a playlist; when some are in it already, ask: add anyway, skip them, or cancel."""
        if not ids:
            return
        try:
            pl = self.library.playlist(playlist_id)
            dupes = self.library.playlist_duplicates(playlist_id, ids)
        except Exception as exc:  # noqa: BLE001
            self.say(plain_error(exc, "add to that playlist"))
            return
        skip = False
        if dupes:
            choice = self.ask_duplicates(pl.name, len(dupes), len(ids))
            if choice is None:
                return
            skip = choice == "skip"
            if skip and len(dupes) == len(set(ids)):
                self.say(f"Nothing added: {_count(len(dupes))} in “{pl.name}” already.")
                return

        def finished(report: dict) -> None:
            left = f" ({report['skipped']} already there, left out)" if report.get("skipped") else ""
            self.say(f"Added {_count(report['added'])} to “{pl.name}”{left}.")
            if done:
                done(report)

        self.ops.run("add to playlist", self.library.add_to_playlist, playlist_id=playlist_id, item_ids=list(ids),
                     at=at, skip_duplicates=skip, on_result=finished,
                     on_error=lambda exc: self.say(plain_error(exc, "add to the playlist")))

    def new_playlist(self, ids: list[int] | None = None, done: Callable[[int], None] | None = None) -> None:
        """Ask for a name and make a playlist (of `ids`)."""
        taken = [p.name for p in self.library.playlists()]
        name = self.ask_name(unique_name("New playlist", taken))
        if not name:
            return

        def finished(pid: int) -> None:
            self.say(f"Made playlist “{name.strip()}”" + (f" with {_count(len(ids))}." if ids else "."))
            if done:
                done(pid)

        self.ops.run("new playlist", self.library.create_playlist, playlist_name=name, item_ids=list(ids or []),
                     on_result=finished, on_error=lambda exc: self.say(plain_error(exc, "make the playlist")))

    def _ask_duplicates(self, name: str, already: int, adding: int) -> str | None:
        box = QMessageBox(self.parent_widget)
        box.setWindowTitle("Already in the playlist")
        box.setIcon(QMessageBox.Icon.Question)
        some = "it is" if adding == 1 else ("all of them are" if already == adding else f"{already} of them are")
        box.setText(f"“{name}” has {'this' if adding == 1 else 'these'} already: {some} in it.")
        box.setInformativeText("Add them again, or add only the new ones?" if adding > 1 else "Add it again?")
        add = box.addButton("Add anyway", QMessageBox.ButtonRole.AcceptRole)
        skip = box.addButton("Skip them" if adding > 1 else "Skip", QMessageBox.ButtonRole.RejectRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(skip)
        box.exec()
        clicked = box.clickedButton()
        return "add" if clicked is add else "skip" if clicked is skip else None

    def _ask_name(self, suggested: str) -> str | None:
        name, ok = QInputDialog.getText(self.parent_widget, "New playlist", "Name:", text=suggested)
        return name.strip() if ok and name.strip() else None


def extend_item_menu(widget: QWidget, menu: QMenu, ids: list[int]) -> None:
    """Add "Add to playlist ▸" to an item context menu when the window has playlist actions."""
    actions = getattr(widget.window(), "playlist_actions", None)
    if isinstance(actions, PlaylistActions) and ids:
        actions.fill_menu(menu, ids)


def _menu_text(name: str) -> str:
    text = name if len(name) <= 48 else name[:47] + "…"
    return text.replace("&", "&&")


def _count(n: int) -> str:
    return f"{n:,} item{'s' if n != 1 else ''}"

