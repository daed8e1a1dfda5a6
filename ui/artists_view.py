"""The Artists page: every album artist (else artist) of the music with what they hold; choosing one
shows their albums beside the list (the Albums page's grid and album view, for that artist)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.errors import plain_error
from core.models import Changes
from ui.album_models import UNKNOWN_ARTIST, cover_icon, total_length
from ui.albums_view import AlbumsView
from ui.thumbs import placeholder_pixmap
from ui.widgets import EmptyState, plain_tip

ArtistRole = Qt.ItemDataRole.UserRole + 22
ICON = 40


def artist_name(artist: Any) -> str:
    return artist.artist or UNKNOWN_ARTIST


def artist_facts(artist: Any) -> str:
    """"3 albums · 41 tracks · 2 h 5 min"."""
    parts = []
    if artist.albums:
        parts.append(f"{artist.albums:,} album{'s' if artist.albums != 1 else ''}")
    parts.append(f"{artist.tracks:,} track{'s' if artist.tracks != 1 else ''}")
    length = total_length(artist.duration)
    if length:
        parts.append(length)
    return " · ".join(parts)


class ArtistsModel(QAbstractListModel):
    """Artists by name (no artist last), each with its counts and the cover of its first track."""

    def __init__(self, thumbnails, parent=None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.artists: list[Any] = []

    def set_artists(self, artists: list[Any]) -> None:
        self.beginResetModel()
        self.artists = list(artists)
        self.endResetModel()

    def art_changed(self) -> None:
        if self.artists:
            self.dataChanged.emit(self.index(0), self.index(len(self.artists) - 1), [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.artists)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.artists):
            return None
        artist = self.artists[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{artist_name(artist)}\n{artist_facts(artist)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(f"{artist_name(artist)}\n{artist_facts(artist)}")
        if role == Qt.ItemDataRole.DecorationRole:
            icon = cover_icon(self.thumbnails, artist.cover_path)
            return icon if icon is not None else placeholder_pixmap(artist_name(artist), "audio", ICON)
        if role == ArtistRole:
            return artist
        return None


class ArtistsView(QWidget):
    """The artists on the left; the chosen artist's albums (and an album's tracks) on the right."""

    def __init__(self, library, ops, thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library, self.ops = library, ops
        self.loaded = False
        self._generation = 0
        self.heading = QLabel("Artists")
        self.heading.setObjectName("pageHeading")
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        top = QHBoxLayout()
        top.setContentsMargins(8, 0, 8, 0)
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.count_label)

        self.model = ArtistsModel(thumbnails, self)
        thumbnails.ready.connect(lambda _path: self.model.art_changed())
        self.list = QListView()
        self.list.setObjectName("artistList")
        self.list.setModel(self.model)
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMinimumWidth(180)
        self.list.selectionModel().currentRowChanged.connect(self._chosen)

        self.albums = AlbumsView(library, ops, thumbnails, for_artist=True)
        self.split = QSplitter()
        self.split.addWidget(self.list)
        self.split.addWidget(self.albums)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([240, 600])
        self.split.setChildrenCollapsible(False)
        self.empty = EmptyState("No artists yet", "Add a folder with your music: its artists show here, each with "
                                                  "their albums.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.split, 1)
        layout.addWidget(self.empty, 1)
        self.empty.hide()

    # the window wires these like any page's
    @property
    def item_selected(self) -> Signal:
        return self.albums.item_selected

    @property
    def play_requested(self) -> Signal:
        return self.albums.play_requested

    @property
    def enqueue_requested(self) -> Signal:
        return self.albums.enqueue_requested

    @property
    def said(self) -> Signal:
        return self.albums.said

    def refresh(self) -> None:
        """The page came on screen: read the artists unless the list shows them as they are."""
        if not self.loaded:
            self.load()

    def load(self) -> None:
        self._generation += 1
        generation = self._generation
        self.ops.run("artists", self.library.artists, on_result=lambda artists: self._ready(generation, artists),
                     on_error=lambda exc: self.albums.said.emit(plain_error(exc, "read the artists")))

    def _ready(self, generation: int, artists: list[Any]) -> None:
        if generation != self._generation:
            return
        self.loaded = True
        chosen = self.current_artist()
        self.model.set_artists(artists)
        self.count_label.setText(f"{len(artists):,} artist{'s' if len(artists) != 1 else ''}" if artists else "")
        self.empty.setVisible(not artists)
        self.split.setVisible(bool(artists))
        names = [a.artist.casefold() for a in artists]
        row = names.index(chosen.casefold()) if chosen is not None and chosen.casefold() in names else 0
        if artists:
            self.list.setCurrentIndex(self.model.index(row))  # the first artist's albums show at once
        else:
            self.albums.set_artist(None)

    def _chosen(self, current, _previous) -> None:
        artist = current.data(ArtistRole) if current.isValid() else None
        if artist is not None:
            self.albums.set_artist(artist.artist)

    def current_artist(self) -> str | None:
        index = self.list.currentIndex()
        artist = index.data(ArtistRole) if index.isValid() else None
        return None if artist is None else artist.artist

    def select_artist(self, name: str) -> bool:
        """Choose an artist by name (case ignored); False when there is none."""
        for row, artist in enumerate(self.model.artists):
            if artist.artist.casefold() == name.casefold():
                self.list.setCurrentIndex(self.model.index(row))
                return True
        return False

    def current_id(self) -> int | None:
        return self.albums.current_id()

    def library_changed(self, changes: Changes) -> None:
        """Items or tags changed: the artists (now when on screen, else when next shown) and their albums."""
        if changes.items or changes.details:
            self.loaded = False
            if self.isVisible():
                self.load()
        self.albums.library_changed(changes)
