"""The tracks of one playlist as a lazy Qt model: the ids in order (read off the GUI thread, a smart
playlist evaluated there too), rows fetched by page, drag out (ids) and drop in (ids or a move)."""

from __future__ import annotations

import sqlite3
import time
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
)

from ui.item_drag import ITEM_IDS_MIME, QT_ITEMS_MIME, IdRole, ids_from_mime, ids_mime
from ui.table_model import format_duration

ROWS_MIME = "application/x-encore-playlist-rows"  # "playlist id:row,row,..." (a move inside one playlist)
PAGE_ROWS = 256
MAX_PAGES = 64
COLUMNS = [("position", "#"), ("title", "Title"), ("artist", "Artist"), ("album", "Album"), ("duration", "Length")]


class _Signals(QObject):
    ready = Signal(int, object, object)  # generation, ids, total seconds


class _Reader(QRunnable):
    """Reads a playlist's ids (a smart one's rules are evaluated) and their total length on a pool thread."""

    def __init__(self, library, playlist_id: int, generation: int, signals: _Signals) -> None:
        super().__init__()
        self.library, self.playlist_id, self.generation, self.signals = library, playlist_id, generation, signals

    def run(self) -> None:
        try:
            ids = self.library.playlist_item_ids(self.playlist_id)
            rows = self.library.item_rows(list(dict.fromkeys(ids)))
            total = sum(float(rows[i]["duration"] or 0.0) for i in ids if i in rows)
        except Exception:  # noqa: BLE001 - a deleted playlist or a closing library: show nothing
            ids, total = [], 0.0
        try:
            self.signals.ready.emit(self.generation, ids, total)
        except RuntimeError:  # the model is gone
            pass


class PlaylistTracksModel(QAbstractTableModel):
    """Entries of one playlist (an item added twice is two rows). Editable for a list of items; a smart
    playlist's rows can be dragged out but not dropped on, removed or moved."""

    move_requested = Signal(list, int)  # rows, to (before the row now at `to`)
    insert_requested = Signal(list, int)  # item ids, at
    loaded = Signal()

    def __init__(self, library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.playlist_id: int | None = None
        self.editable = False
        self.ids: list[int] = []
        self.total_seconds = 0.0
        self._pages: OrderedDict[int, dict[int, dict[str, Any]]] = OrderedDict()
        self._generation = 0
        self.loading = False
        self.read_ms = 0.0  # how long the last read of the ids took (the benchmark shows it)
        self._started = 0.0
        self._signals = _Signals()
        self._signals.ready.connect(self._ready)

    # ----- which playlist ---------------------------------------------------------------------
    def show_playlist(self, playlist_id: int | None, editable: bool) -> None:
        """Show another playlist (empty until its ids arrive) or none."""
        changed = playlist_id != self.playlist_id
        self.playlist_id, self.editable = playlist_id, editable
        if changed:
            self.set_ids([])
        self.reload()

    def reload(self) -> None:
        """Re-read the ids in a worker; the rows stay on screen until they arrive."""
        self._generation += 1
        if self.playlist_id is None:
            self.loading = False
            self.set_ids([])
            self.loaded.emit()
            return
        self.loading = True
        self._started = time.perf_counter()
        QThreadPool.globalInstance().start(_Reader(self.library, self.playlist_id, self._generation, self._signals))

    def reload_now(self) -> None:
        """Synchronous reload (tests)."""
        self._generation += 1
        reader = _Reader(self.library, self.playlist_id or 0, self._generation, _Signals())
        box: list[Any] = []
        reader.signals.ready.connect(lambda _g, ids, total: box.append((ids, total)))
        reader.run()
        ids, total = box[0] if box else ([], 0.0)
        self.loading = False
        self.total_seconds = total
        self.set_ids(ids)
        self.loaded.emit()

    def _ready(self, generation: int, ids: list[int], total: float) -> None:
        if generation != self._generation:
            return  # a newer read is on its way
        self.loading = False
        self.read_ms = (time.perf_counter() - self._started) * 1000.0
        self.total_seconds = total
        self.set_ids(ids)
        self.loaded.emit()

    def set_ids(self, ids: list[int]) -> None:
        """Show these entries: the same ones change nothing; as many keep the view where it is."""
        if ids == self.ids:
            return
        if len(ids) == len(self.ids) and ids:
            self.layoutAboutToBeChanged.emit()
            self.ids = list(ids)
            self._pages.clear()
            self.layoutChanged.emit()
        else:
            self.beginResetModel()
            self.ids = list(ids)
            self._pages.clear()
            self.endResetModel()

    # ----- local edits (shown at once; the Library write follows) ---------------------------------
    def move_rows(self, rows: list[int], to: int) -> list[int]:
        """Reorder locally as Library.move_in_playlist will; returns the rows the moved entries now have."""
        moving = sorted({r for r in rows if 0 <= r < len(self.ids)})
        if not moving:
            return []
        to = min(max(to, 0), len(self.ids))
        held = set(moving)
        rest = [item for n, item in enumerate(self.ids) if n not in held]
        at = to - sum(1 for r in moving if r < to)
        self.set_ids(rest[:at] + [self.ids[r] for r in moving] + rest[at:])
        return list(range(at, at + len(moving)))

    def remove_rows_local(self, rows: list[int]) -> None:
        gone = {r for r in rows if 0 <= r < len(self.ids)}
        if not gone:
            return
        for start, end in reversed(_ranges(sorted(gone))):
            self.beginRemoveRows(QModelIndex(), start, end)
            del self.ids[start:end + 1]
            self._pages.clear()
            self.endRemoveRows()

    def insert_local(self, ids: list[int], at: int) -> None:
        at = min(max(at, 0), len(self.ids))
        if not ids:
            return
        self.beginInsertRows(QModelIndex(), at, at + len(ids) - 1)
        self.ids[at:at] = list(ids)
        self._pages.clear()
        self.endInsertRows()

    # ----- rows -------------------------------------------------------------------------------
    def row_data(self, row: int) -> dict[str, Any] | None:
        if not 0 <= row < len(self.ids):
            return None
        number = row // PAGE_ROWS
        page = self._pages.get(number)
        if page is None:
            chunk = self.ids[number * PAGE_ROWS:(number + 1) * PAGE_ROWS]
            try:
                page = self.library.item_rows(list(dict.fromkeys(chunk)))
            except sqlite3.Error:
                page = {}
            self._pages[number] = page
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page.get(self.ids[row])

    def item_id(self, row: int) -> int | None:
        return self.ids[row] if 0 <= row < len(self.ids) else None

    # ----- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == IdRole:
            return self.item_id(index.row())
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("position", "duration"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if key == "position":
            return str(index.row() + 1) if role == Qt.ItemDataRole.DisplayRole else None
        row = self.row_data(index.row())
        if row is None:
            return "(not in the library any more)" if key == "title" else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return row["path"]
        if key == "duration":
            return format_duration(row["duration"])
        if key == "title":
            return row["title"] or row["path"].rsplit("/", 1)[-1]
        return row[key] or ""

    def flags(self, index):
        base = super().flags(index)
        if not index.isValid():
            return base | (Qt.ItemFlag.ItemIsDropEnabled if self.editable else Qt.ItemFlag.NoItemFlags)
        return base | Qt.ItemFlag.ItemIsDragEnabled | (Qt.ItemFlag.ItemIsDropEnabled if self.editable
                                                       else Qt.ItemFlag.NoItemFlags)

    def supportedDropActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self):  # noqa: N802
        return (Qt.DropAction.MoveAction | Qt.DropAction.CopyAction) if self.editable else Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [ROWS_MIME, ITEM_IDS_MIME, QT_ITEMS_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = ids_mime([self.ids[r] for r in rows if r < len(self.ids)])
        mime.setData(ROWS_MIME, QByteArray(f"{self.playlist_id}:{','.join(map(str, rows))}".encode("ascii")))
        return mime

    def canDropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        return self.editable and (data.hasFormat(ROWS_MIME) or bool(ids_from_mime(data)))

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        """A drop asks for a move (rows of this playlist) or an insert (ids from elsewhere); the view
        carries it out. Returns False so that Qt never removes the dragged rows itself."""
        if not self.editable:
            return False
        to = row if row >= 0 else (parent.row() if parent.isValid() else len(self.ids))
        moved = own_rows(data, self.playlist_id)
        if moved is not None:
            self.move_requested.emit(moved, to)
        else:
            ids = ids_from_mime(data)
            if ids:
                self.insert_requested.emit(ids, to)
        return False


def own_rows(mime: QMimeData, playlist_id: int | None) -> list[int] | None:
    """The rows a drag from this same playlist carries, or None (a drag from elsewhere)."""
    if playlist_id is None or not mime.hasFormat(ROWS_MIME):
        return None
    owner, _, rows = bytes(mime.data(ROWS_MIME).data()).decode("ascii", "replace").partition(":")
    if owner != str(playlist_id):
        return None
    return [int(r) for r in rows.split(",") if r.isdigit()]


def _ranges(rows: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def total_text(count: int, seconds: float) -> str:
    """'1,234 items · 3 h 20 min'."""
    if not count:
        return "empty"
    minutes = int(round(seconds / 60.0))
    length = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min" if minutes else ""
    return f"{count:,} item{'s' if count != 1 else ''}" + (f" · {length}" if length else "")

