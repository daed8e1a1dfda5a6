"""The Albums and Artists pages' pieces: albums in words ("Unknown album", "2006 · 12 tracks · 48 min"),
the grid model and delegate of album covers, and the model of one album's tracks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QEvent, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QToolTip

from ui.table_model import ItemIdRole, format_duration
from ui.thumbs import placeholder_pixmap
from ui.widgets import plain_tip

AlbumRole = Qt.ItemDataRole.UserRole + 20  # the album (a Library.albums() row) of a grid cell
SubtitleRole = Qt.ItemDataRole.UserRole + 21
CELL = QSize(172, 214)
ART = 148
HEADER_ART = 132
UNKNOWN_ALBUM, UNKNOWN_ARTIST, VARIOUS_ARTISTS = "Unknown album", "Unknown artist", "Various artists"
MIN_ART = 16  # pictures smaller than this (1x1 and 10x10 ones are in real files) are no cover: a placeholder


def cover_icon(thumbnails, path: str | None) -> QIcon | None:
    """The cover as an icon once decoded; None while it loads, and for no cover or a speck of one."""
    pix = thumbnails.get(path) if path else None
    if pix is None or min(pix.width(), pix.height()) < MIN_ART:
        return None
    return thumbnails.icon(path)


# ----- words ---------------------------------------------------------------------------------------
def album_title(album: Any) -> str:
    return album.album or UNKNOWN_ALBUM


def album_artist(album: Any) -> str:
    """Whose album it is: the album artist (else artist), or who made the tracks on no album."""
    if album.artist is None:
        return VARIOUS_ARTISTS
    return album.artist or UNKNOWN_ARTIST


def total_length(seconds: float) -> str:
    """An album's length in words: "48 min", "1 h 12 min"."""
    minutes = int(round((seconds or 0) / 60))
    if minutes < 1:
        return format_duration(seconds) if seconds else ""
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def album_facts(album: Any, with_artist: bool = False) -> str:
    """"Wesnoth Project · 2006 · 41 tracks · 1 h 52 min"."""
    parts = [album_artist(album)] if with_artist else []
    if album.year:
        parts.append(str(album.year))
    parts.append(f"{album.tracks:,} track{'s' if album.tracks != 1 else ''}")
    length = total_length(album.duration)
    if length:
        parts.append(length)
    return " · ".join(parts)


# ----- the grid of albums --------------------------------------------------------------------------
class AlbumsModel(QAbstractListModel):
    """Albums as grid cells: the title, the artist (or the year, for one artist's albums) and the cover
    of the first track, decoded off the GUI thread by the window's thumbnail cache."""

    def __init__(self, thumbnails, with_artist: bool = True, parent=None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.with_artist = with_artist
        self.albums: list[Any] = []

    def set_albums(self, albums: list[Any]) -> None:
        self.beginResetModel()
        self.albums = list(albums)
        self.endResetModel()

    def art_changed(self) -> None:
        if self.albums:
            self.dataChanged.emit(self.index(0), self.index(len(self.albums) - 1), [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.albums)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.albums):
            return None
        album = self.albums[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return album_title(album)
        if role == SubtitleRole:
            if self.with_artist:
                return album_artist(album)
            return " · ".join(album_facts(album).split(" · ")[:2])  # "2006 · 12 tracks" (the rest: tooltip)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{album_title(album)}\n{album_facts(album, with_artist=True)}"
        if role == Qt.ItemDataRole.DecorationRole:
            return cover_icon(self.thumbnails, album.cover_path)
        if role == AlbumRole:
            return album
        return None


class AlbumDelegate(QStyledItemDelegate):
    """One album in the grid: its cover (or a placeholder with the title's initials), the title and the
    artist, each elided to the cell; the tooltip has them in full, as plain text."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        painter.save()
        rect, palette = option.rect, option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 6, 6)
        art = QRect(rect.x() + (rect.width() - ART) // 2, rect.y() + 6, ART, ART)
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon) and not icon.isNull():
            icon.paint(painter, art, Qt.AlignmentFlag.AlignCenter)
        else:
            painter.drawPixmap(art, placeholder_pixmap(title, "audio", ART))
        metrics = option.fontMetrics
        width = rect.width() - 12
        line = QRect(rect.x() + 6, art.bottom() + 6, width, metrics.lineSpacing())
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(line, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, width))
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(line.translated(0, metrics.lineSpacing() + 2),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         metrics.elidedText(str(index.data(SubtitleRole) or ""), Qt.TextElideMode.ElideRight, width))
        painter.restore()

    def helpEvent(self, event, view, option, index) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip and index.isValid():
            QToolTip.showText(event.globalPos(), plain_tip(str(index.data(Qt.ItemDataRole.ToolTipRole) or "")), view)
            return True
        return super().helpEvent(event, view, option, index)


# ----- one album's tracks --------------------------------------------------------------------------
TRACK_COLUMNS = [("number", "#"), ("title", "Title"), ("artist", "Artist"), ("duration", "Length"),
                 ("plays", "Plays")]


class TracksModel(QAbstractTableModel):
    """An album's tracks in disc and track order (rows from Library.item_rows)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.ids: list[int] = []
        self.rows: dict[int, dict[str, Any]] = {}
        self.discs = 1

    def set_tracks(self, ids: list[int], rows: dict[int, dict[str, Any]]) -> None:
        self.beginResetModel()
        self.ids = [i for i in ids if i in rows]
        self.rows = rows
        self.discs = len({rows[i].get("disc_no") or 1 for i in self.ids})
        self.endResetModel()

    def update_rows(self, rows: dict[int, dict[str, Any]]) -> None:
        """New figures for the same tracks (plays): repaint in place, the selection stays."""
        self.rows.update(rows)
        if self.ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, len(TRACK_COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(TRACK_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return TRACK_COLUMNS[section][1]
        return None

    def number(self, row: dict[str, Any]) -> str:
        track = row.get("track_no")
        if not track:
            return ""
        return f"{row.get('disc_no') or 1}-{track:02d}" if self.discs > 1 else str(track)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.ids):
            return None
        row = self.rows[self.ids[index.row()]]
        key = TRACK_COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "number":
                return self.number(row)
            if key == "duration":
                return format_duration(row.get("duration"))
            if key == "plays":
                return str(row["plays"]) if row.get("plays") else ""
            return str(row.get(key) or "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(row.get("path") or "")
        if role == ItemIdRole:
            return row["id"]
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("number", "duration", "plays"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
