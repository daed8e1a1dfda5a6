"""The library table: a lazy Qt model over the items table (ids sorted in SQL, rows fetched by page)."""

from __future__ import annotations

import re
import sqlite3
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

from core.db.items import from_db_path

ItemIdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
KindRole = Qt.ItemDataRole.UserRole + 3
ArtRole = Qt.ItemDataRole.UserRole + 4
SubtitleRole = Qt.ItemDataRole.UserRole + 5

# (column key, header, SQL sort expression)
AUDIO_COLUMNS = [
    ("title", "Title", "title COLLATE NOCASE"),
    ("artist", "Artist", "artist COLLATE NOCASE"),
    ("album", "Album", "album COLLATE NOCASE"),
    ("genre", "Genre", "genre COLLATE NOCASE"),
    ("year", "Year", "year"),
    ("duration", "Length", "duration"),
    ("added_at", "Added", "added_at"),
]
VIDEO_COLUMNS = [
    ("title", "Title", "title COLLATE NOCASE"),
    ("genre", "Genre", "genre COLLATE NOCASE"),
    ("year", "Year", "year"),
    ("duration", "Length", "duration"),
    ("height", "Resolution", "height"),
    ("added_at", "Added", "added_at"),
]
PAGE_ROWS = 256
MAX_PAGES = 64
_ROW_SQL = ("SELECT items.id, items.path, items.kind, items.title, items.artist, items.album, items.genre, "
            "items.year, items.duration, items.width, items.height, items.added_at, items.cover_path, "
            "vf.poster_path FROM items LEFT JOIN video_features vf ON vf.item_id = items.id "
            "WHERE items.id IN ({marks})")


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


def fts_query(text: str) -> str:
    """A safe FTS5 prefix query from free text: every word must match (as a prefix)."""
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    return " ".join(f'"{w}"*' for w in words[:12])


def format_duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class _IdsSignals(QObject):
    ready = Signal(int, object)


class _IdsRunner(QRunnable):
    """Reads the sorted ids on a pool thread with that thread's own WAL reader connection."""

    def __init__(self, connect, sql: str, params: tuple, generation: int, signals: _IdsSignals) -> None:
        super().__init__()
        self.connect, self.sql, self.params = connect, sql, params
        self.generation, self.signals = generation, signals

    def run(self) -> None:
        try:
            ids = [r[0] for r in self.connect().execute(self.sql, self.params)]
        except sqlite3.Error:  # a malformed FTS query or a closed library: show nothing
            ids = []
        try:
            self.signals.ready.emit(self.generation, ids)
        except RuntimeError:  # the model is gone
            pass


class LibraryTableModel(QAbstractTableModel):
    """Items of one kind. Sorting and filtering happen in SQL over ids; rows load lazily by page."""

    reloaded = Signal()

    def __init__(self, connect: Callable[[], sqlite3.Connection], kind: str | None = None,
                 art: Callable[[str], Any] | None = None, parent=None) -> None:
        super().__init__(parent)
        self._connect = connect
        self.kind = kind
        self.art = art  # path -> QPixmap | None (thumbnail cache; None = not ready yet)
        self.columns = VIDEO_COLUMNS if kind == "video" else AUDIO_COLUMNS
        self.ids: list[int] = []
        self._pages: OrderedDict[int, dict[int, sqlite3.Row]] = OrderedDict()
        self._sort_col = 1 if kind == "audio" else 0
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._filter = ""
        self._generation = 0
        self._pending: int | None = None
        self._signals = _IdsSignals()
        self._signals.ready.connect(self._ids_ready)

    # ----- queries ----------------------------------------------------------------------------
    def _ids_query(self) -> tuple[str, tuple]:
        where = ["status = 'ok'"]
        params: list[Any] = []
        if self.kind:
            where.append("kind = ?")
            params.append(self.kind)
        match = fts_query(self._filter)
        if match:
            where.append("id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
            params.append(match)
        expr = self.columns[self._sort_col][2]
        direction = "DESC" if self._sort_order == Qt.SortOrder.DescendingOrder else "ASC"
        tiebreak = ", artist COLLATE NOCASE, album COLLATE NOCASE, disc_no, track_no, id" \
            if self.columns[self._sort_col][0] == "artist" else ", id"
        sql = f"SELECT id FROM items WHERE {' AND '.join(where)} ORDER BY {expr} {direction}{tiebreak}"
        return sql, tuple(params)

    def _fetch_ids(self) -> list[int]:
        sql, params = self._ids_query()
        try:
            return [r[0] for r in self._connect().execute(sql, params)]
        except sqlite3.Error:  # a malformed FTS query: show nothing rather than crash
            return []

    def _page(self, number: int) -> dict[int, sqlite3.Row]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        chunk = self.ids[number * PAGE_ROWS:(number + 1) * PAGE_ROWS]
        page = {}
        if chunk:
            rows = self._connect().execute(_ROW_SQL.format(marks=",".join("?" * len(chunk))), chunk)
            page = {r["id"]: r for r in rows}
        self._pages[number] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def row_data(self, row: int) -> sqlite3.Row | None:
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
        sql, params = self._ids_query()
        runner = _IdsRunner(self._connect, sql, params, self._generation, self._signals)
        self._pending = self._generation
        QThreadPool.globalInstance().start(runner)

    refresh = reload  # while a scan runs the window calls refresh(); selection survives by item id

    @property
    def started(self) -> bool:
        return self._generation > 0

    def reload_now(self) -> None:
        """Synchronous reload (tests, tiny libraries)."""
        self._generation += 1
        self._pending = None
        self._apply(self._fetch_ids())

    def _ids_ready(self, generation: int, ids: list[int]) -> None:
        if generation != self._generation:
            return  # a newer request is on its way
        self._pending = None
        self._apply(ids)

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
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1]
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
            return from_db_path(row["path"])
        if role == ItemIdRole:
            return row["id"]
        if role == PathRole:
            return from_db_path(row["path"])
        if role == KindRole:
            return row["kind"]
        if role == SubtitleRole:
            return row["artist"] or row["genre"] or (str(row["year"]) if row["year"] else "")
        if role in (ArtRole, Qt.ItemDataRole.DecorationRole) and index.column() == 0:
            art = row["poster_path"] or row["cover_path"]
            return self.art(art) if (self.art and art) else None
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("year", "duration", "height"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(row: sqlite3.Row, key: str) -> str:
        if key == "duration":
            return format_duration(row["duration"])
        if key == "height":
            return f"{row['width']}×{row['height']}" if row["height"] else ""
        if key == "added_at":
            import time

            return time.strftime("%Y-%m-%d", time.localtime(row["added_at"])) if row["added_at"] else ""
        value = row[key]
        return "" if value is None else str(value)
