"""The library table: a lazy Qt model over the library's items (ids sorted by Library.item_ids off the GUI
thread, rows fetched by page with Library.item_rows)."""

from __future__ import annotations

import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
)

from core.library import Library

ItemIdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
KindRole = Qt.ItemDataRole.UserRole + 3
ArtRole = Qt.ItemDataRole.UserRole + 4
SubtitleRole = Qt.ItemDataRole.UserRole + 5

# (column key, header); the key is also what Library.item_ids sorts by
AUDIO_COLUMNS = [
    ("title", "Title"),
    ("artist", "Artist"),
    ("album", "Album"),
    ("genre", "Genre"),
    ("year", "Year"),
    ("duration", "Length"),
    ("added_at", "Added"),
    ("plays", "Plays"),
    ("last_played", "Last played"),
    ("rating", "Rating"),
]
VIDEO_COLUMNS = [
    ("title", "Title"),
    ("genre", "Genre"),
    ("year", "Year"),
    ("duration", "Length"),
    ("height", "Resolution"),
    ("added_at", "Added"),
    ("plays", "Plays"),
    ("last_played", "Last played"),
    ("rating", "Rating"),
]
# The columns that come from the history: they change with plays and likes, not with the items, and a
# first click sorts them most first (most played, latest, liked).
HISTORY_KEYS = ("plays", "last_played", "rating")
RATING_MARKS = {1: "♥", -1: "✕"}
RATING_WORDS = {1: "You like this", -1: "You dislike this"}
RIGHT_ALIGNED = ("year", "duration", "height", "plays")
PAGE_ROWS = 256
MAX_PAGES = 64
Row = dict[str, Any]


def _positions(ids: list[int], wanted: set[int]) -> dict[int, int]:
    """Row of each wanted id in `ids` (list.index runs in C: fast for the handful a view keeps)."""
    if len(wanted) > 32:
        return {item_id: row for row, item_id in enumerate(ids) if item_id in wanted}
    out = {}
    for item_id in wanted:
        try:
            out[item_id] = ids.index(item_id)
        except ValueError:
            pass
    return out


def format_duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def played_when(at: float | None, now: float | None = None) -> str:
    """When an item was last played, as a list shows it: "Today 14:05", "Yesterday", "2024-05-01"."""
    if not at:
        return ""
    day = time.localtime(at)
    today = time.localtime(now if now is not None else time.time())
    if day[:3] == today[:3]:
        return time.strftime("Today %H:%M", day)
    yesterday = time.localtime(time.mktime((*today[:3], 12, 0, 0, 0, 0, -1)) - 86400)
    if day[:3] == yesterday[:3]:
        return "Yesterday"
    return time.strftime("%Y-%m-%d", day)


class _IdsSignals(QObject):
    ready = Signal(int, object)


class _IdsRunner(QRunnable):
    """Reads the sorted ids on a pool thread (the Library reads with that thread's own WAL connection)."""

    def __init__(self, read: Callable[[], list[int]], generation: int, signals: _IdsSignals) -> None:
        super().__init__()
        self.read, self.generation, self.signals = read, generation, signals

    def run(self) -> None:
        try:
            ids = self.read()
        except sqlite3.Error:  # the library was closed meanwhile (the window is going): show nothing
            ids = []
        try:
            self.signals.ready.emit(self.generation, ids)
        except RuntimeError:  # the model is gone
            pass


class LibraryTableModel(QAbstractTableModel):
    """Items of one kind. Sorting and filtering happen in SQL over ids; rows load lazily by page."""

    reloaded = Signal()

    def __init__(self, library: Library, kind: str | None = None,
                 art: Callable[[str], Any] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.library = library
        self.kind = kind
        self.art = art  # path -> QPixmap | None (thumbnail cache; None = not ready yet)
        self.columns = VIDEO_COLUMNS if kind == "video" else AUDIO_COLUMNS
        self.ids: list[int] = []
        self._pages: OrderedDict[int, dict[int, Row]] = OrderedDict()
        self._sort_col = 1 if kind == "audio" else 0
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._filter = ""
        self._generation = 0
        self._pending: int | None = None
        self._again = False  # a refresh came while ids were loading: read them once more when they land
        self._signals = _IdsSignals()
        self._signals.ready.connect(self._ids_ready)

    # ----- reading ----------------------------------------------------------------------------
    def _ids_reader(self) -> Callable[[], list[int]]:
        """Reads the ids as the list stands now (sort and filter are taken at call time)."""
        library, kind, text = self.library, self.kind, self._filter
        sort = self.columns[self._sort_col][0]
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        return lambda: library.item_ids(kind, text, sort=sort, descending=descending)

    def _page(self, number: int) -> dict[int, Row]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        chunk = self.ids[number * PAGE_ROWS:(number + 1) * PAGE_ROWS]
        try:
            page = self.library.item_rows(chunk) if chunk else {}
        except sqlite3.Error:  # a damaged file (the health banner says so) or a closed library: blank rows
            page = {}
        self._pages[number] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def row_data(self, row: int) -> Row | None:
        if not 0 <= row < len(self.ids):
            return None
        return self._page(row // PAGE_ROWS).get(self.ids[row])

    # ----- public API -------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        if text != self._filter:
            self._filter = text
            self.reload()

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def loading(self) -> bool:
        return self._pending is not None

    def reload(self) -> None:
        """Re-read the sorted, filtered ids in a worker thread; the view keeps its rows until they arrive."""
        self._generation += 1
        self._again = False
        runner = _IdsRunner(self._ids_reader(), self._generation, self._signals)
        self._pending = self._generation
        QThreadPool.globalInstance().start(runner)

    def refresh(self) -> None:
        """The library changed: re-read the ids (selection survives by item id). While a read is on its
        way this asks for one more after it, never a pile of them."""
        if self._pending is not None:
            self._again = True
        else:
            self.reload()

    @property
    def started(self) -> bool:
        return self._generation > 0

    def reload_now(self) -> None:
        """Synchronous reload (tests, tiny libraries)."""
        self._generation += 1
        self._pending, self._again = None, False
        self._apply(self._ids_reader()())

    def _ids_ready(self, generation: int, ids: list[int]) -> None:
        if generation != self._generation:
            return  # a newer request is on its way
        self._pending = None
        self._apply(ids)
        if self._again:
            self.reload()

    def _apply(self, new_ids: list[int]) -> None:
        if not self.ids or not new_ids or len(new_ids) < len(self.ids):
            self.beginResetModel()
            self.ids = new_ids
            self._pages.clear()
            self.endResetModel()
        elif new_ids != self.ids:
            extra = len(new_ids) - len(self.ids)
            if extra:
                self.beginInsertRows(QModelIndex(), len(self.ids), len(new_ids) - 1)
                self.ids = self.ids + [-1] * extra
                self.endInsertRows()
            self._relayout(new_ids)
        self.reloaded.emit()

    def _relayout(self, new_ids: list[int]) -> None:
        self.layoutAboutToBeChanged.emit()
        old_ids = self.ids
        persistent = self.persistentIndexList()
        wanted = {old_ids[i.row()] for i in persistent if i.row() < len(old_ids)}
        where = _positions(new_ids, wanted)  # only the few ids the views hold on to (not all 200k)
        self.ids = new_ids
        self._pages.clear()
        moved_to = []
        for index in persistent:
            item_id = old_ids[index.row()] if index.row() < len(old_ids) else -1
            row = where.get(item_id)
            moved_to.append(self.index(row, index.column()) if row is not None else QModelIndex())
        self.changePersistentIndexList(persistent, moved_to)
        self.layoutChanged.emit()

    def row_of(self, item_id: int) -> int:
        try:
            return self.ids.index(item_id)
        except ValueError:
            return -1

    def item_id(self, row: int) -> int | None:
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def library_changed(self, changes) -> None:
        """Plays or likes changed: the history columns show the new figures (a list sorted by one of
        them is read again; items and details are the view's to refresh)."""
        if not (changes.plays or changes.ratings) or not self.ids:
            return
        if self.columns[self._sort_col][0] in HISTORY_KEYS:
            self.refresh()
            return
        self._pages.clear()
        first = min(i for i, (key, _h) in enumerate(self.columns) if key in HISTORY_KEYS)
        self.dataChanged.emit(self.index(0, first), self.index(len(self.ids) - 1, len(self.columns) - 1),
                              [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole])

    def art_changed(self) -> None:
        """A thumbnail finished loading: repaint what is visible."""
        if self.ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, 0),
                                  [Qt.ItemDataRole.DecorationRole])

    # ----- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][1]
        if role == Qt.ItemDataRole.InitialSortOrderRole and self.columns[section][0] in HISTORY_KEYS:
            return Qt.SortOrder.DescendingOrder  # the header's first click: most played, latest, liked first
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if column == self._sort_col and order == self._sort_order and (self.ids or self.loading):
            return
        self._sort_col, self._sort_order = column, order
        if self._generation:  # before the first load only remember the order (keeps start-up light)
            self.reload()

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.row_data(index.row())
        if row is None:
            return None
        key = self.columns[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "rating" and row.get("rating") in RATING_WORDS:
                return RATING_WORDS[row["rating"]]
            if key == "last_played" and row.get("last_played"):
                return time.strftime("Last played %Y-%m-%d %H:%M", time.localtime(row["last_played"]))
            return row["path"]
        if role == ItemIdRole:
            return row["id"]
        if role == PathRole:
            return row["path"]
        if role == KindRole:
            return row["kind"]
        if role == SubtitleRole:
            return row["artist"] or row["genre"] or (str(row["year"]) if row["year"] else "")
        if role in (ArtRole, Qt.ItemDataRole.DecorationRole) and index.column() == 0:
            art = row["poster_path"] or row["cover_path"]
            return self.art(art) if (self.art and art) else None
        if role == Qt.ItemDataRole.TextAlignmentRole and key in RIGHT_ALIGNED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "rating":
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    @staticmethod
    def _display(row: Row, key: str) -> str:
        if key == "duration":
            return format_duration(row["duration"])
        if key == "height":
            return f"{row['width']}×{row['height']}" if row["height"] else ""
        if key == "added_at":
            return time.strftime("%Y-%m-%d", time.localtime(row["added_at"])) if row["added_at"] else ""
        if key == "plays":
            return str(row["plays"]) if row.get("plays") else ""
        if key == "last_played":
            return played_when(row.get("last_played"))
        if key == "rating":
            return RATING_MARKS.get(row.get("rating"), "")
        value = row[key]
        return "" if value is None else str(value)
