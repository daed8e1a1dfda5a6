"""The Albums page: the music grouped into albums (a grid of covers, by artist and year), and an album's
tracks in disc and track order with Play all / Add to queue. The Artists page shows the same grid for
one artist (ui/artists_view.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.errors import plain_error
from core.models import Changes
from ui.album_models import (
    ART,
    CELL,
    HEADER_ART,
    MIN_ART,
    UNKNOWN_ARTIST,
    AlbumDelegate,
    AlbumRole,
    AlbumsModel,
    TracksModel,
    album_facts,
    album_title,
)
from ui.file_manager import show_item_in_folder
from ui.item_drag import DragIds, extend_item_menu, view_ids_at
from ui.table_model import ItemIdRole
from ui.thumbs import placeholder_pixmap
from ui.widgets import ElidedLabel, EmptyState


# ----- the page ------------------------------------------------------------------------------------
class AlbumsView(QWidget):
    """The albums of the library (or of one artist: `for_artist`), and one album's tracks. Emits the
    selected track, and ids to play (from a start index) or to queue."""

    item_selected = Signal(int)
    play_requested = Signal(list, int)  # ids, start index
    enqueue_requested = Signal(list)
    said = Signal(str)

    def __init__(self, library, ops, thumbnails, for_artist: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library, self.ops, self.thumbnails = library, ops, thumbnails
        self.for_artist = for_artist
        self.artist: str | None = None  # the artist shown (for_artist only)
        self.album: Any = None  # the album open, or None (the grid)
        self.loaded = False  # the grid shows the library as it is
        self._generation = 0  # answers of older reads are dropped
        self._tracks_generation = 0

        self.heading = QLabel("Albums")
        self.heading.setObjectName("pageHeading")
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        top = QHBoxLayout()
        top.setContentsMargins(8, 0, 8, 0)
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.count_label)
        self.heading.setVisible(not for_artist)
        self.count_label.setVisible(not for_artist)

        self.model = AlbumsModel(thumbnails, with_artist=not for_artist, parent=self)
        thumbnails.ready.connect(lambda _path: self.model.art_changed())
        self.grid = QListView()
        self.grid.setObjectName("albumGrid")
        self.grid.setModel(self.model)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(QSize(ART, ART))
        self.grid.setGridSize(CELL)
        self.grid.setSpacing(0)
        self.grid.setItemDelegate(AlbumDelegate(self.grid))
        self.grid.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setBatchSize(300)
        self.grid.doubleClicked.connect(self._open_index)
        self.grid.activated.connect(self._open_index)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._album_menu)

        self.detail = self._album_page()
        if for_artist:
            empty = EmptyState("Choose an artist", "Their albums show here.")
        else:
            empty = EmptyState("No albums yet", "Add a folder with your music (the + Add folder button, or drop a "
                                                "folder on this window). Tracks with an album tag are grouped "
                                                "into albums by album artist.")
        self.empty = empty
        self.stack = QStackedWidget()
        for widget in (self.grid, self.detail, self.empty):
            self.stack.addWidget(widget)
        self.stack.setCurrentWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        back = QShortcut(QKeySequence(Qt.Key.Key_Backspace), self.detail)
        back.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        back.activated.connect(self.show_albums)

    def _album_page(self) -> QWidget:
        page = QWidget()
        self.back_button = QPushButton("‹ Albums")
        self.back_button.setToolTip("Back to the albums (Backspace)")
        self.back_button.clicked.connect(self.show_albums)
        self.art = QLabel()
        self.art.setObjectName("detailArt")
        self.art.setFixedSize(HEADER_ART, HEADER_ART)
        self.art.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.album_heading = ElidedLabel(lines=2)
        self.album_heading.setObjectName("detailTitle")
        self.album_facts = ElidedLabel()
        self.album_facts.setObjectName("detailSubtitle")
        self.play_button = QPushButton("Play all")
        self.play_button.setObjectName("primary")
        self.play_button.clicked.connect(lambda: self._play_tracks(0))
        self.queue_button = QPushButton("Add to queue")
        self.queue_button.clicked.connect(lambda: self.tracks_model.ids and
                                          self.enqueue_requested.emit(list(self.tracks_model.ids)))
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.queue_button)
        buttons.addStretch(1)
        words = QVBoxLayout()
        words.addStretch(1)
        words.addWidget(self.album_heading)
        words.addWidget(self.album_facts)
        words.addLayout(buttons)
        words.addStretch(1)
        header = QHBoxLayout()
        header.addWidget(self.art)
        header.addLayout(words, 1)

        self.tracks_model = TracksModel(self)
        self.tracks = QTableView()
        self.tracks.setObjectName("albumTracks")
        self.tracks.setModel(self.tracks_model)
        self.tracks.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tracks.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tracks.setAlternatingRowColors(True)
        self.tracks.setShowGrid(False)
        self.tracks.setWordWrap(False)
        self.tracks.verticalHeader().hide()
        self.tracks.verticalHeader().setDefaultSectionSize(26)
        head = self.tracks.horizontalHeader()
        head.setHighlightSections(False)
        head.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        for col, width in ((0, 48), (3, 66), (4, 52)):
            self.tracks.setColumnWidth(col, width)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.tracks.doubleClicked.connect(lambda index: self._play_tracks(index.row()))
        self.tracks.activated.connect(lambda index: self._play_tracks(index.row()))
        self.tracks.selectionModel().currentRowChanged.connect(self._track_selected)
        self.tracks.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tracks.customContextMenuRequested.connect(self._track_menu)
        self.drag = DragIds(self.tracks.viewport(), view_ids_at(self.tracks))  # onto a playlist

        column = QVBoxLayout(page)
        column.setContentsMargins(8, 4, 8, 0)
        column.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addLayout(header)
        column.addWidget(self.tracks, 1)
        return page

    # ----- reading ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """The page came on screen: read the albums unless the grid already shows them as they are."""
        if not self.loaded:
            self.load()

    def set_artist(self, artist: str | None) -> None:
        """Show this artist's albums (the Artists page)."""
        if artist == self.artist and self.loaded:
            return
        self.artist = artist
        self.album = None
        self.load()

    def load(self) -> None:
        """Read the albums off the GUI thread (200k tracks group in a fraction of a second)."""
        if self.for_artist and self.artist is None:
            self.model.set_albums([])
            self._show_state()
            return
        self._generation += 1
        generation = self._generation
        kwargs = {"artist": self.artist} if self.for_artist else {}
        self.ops.run("albums", self.library.albums, **kwargs,
                     on_result=lambda albums: self._albums_ready(generation, albums),
                     on_error=lambda exc: self.said.emit(plain_error(exc, "read the albums")))

    def _albums_ready(self, generation: int, albums: list[Any]) -> None:
        if generation != self._generation:
            return
        self.loaded = True
        current = self.grid.currentIndex().data(AlbumRole)
        self.model.set_albums(albums)
        self.count_label.setText(f"{len(albums):,} album{'s' if len(albums) != 1 else ''}" if albums else "")
        row = _row_of(albums, current)
        if row >= 0:
            self.grid.setCurrentIndex(self.model.index(row))
        if self.album is not None:  # the album open: its tracks may have changed too
            same = _row_of(albums, self.album)
            if same >= 0:
                self.open_album(albums[same], keep_selection=True)
            else:
                self.album = None
        self._show_state()

    def _show_state(self) -> None:
        if self.album is not None:
            self.stack.setCurrentWidget(self.detail)
        elif self.model.rowCount():
            self.stack.setCurrentWidget(self.grid)
        else:
            self.stack.setCurrentWidget(self.empty)

    def library_changed(self, changes: Changes) -> None:
        """Items or their tags changed: read the albums again (now when on screen, else when next shown);
        plays changed: the open album's Plays column follows."""
        if changes.items or changes.details:
            self.loaded = False
            if self.isVisible():
                self.load()
        elif (changes.plays or changes.ratings) and self.album is not None and self.tracks_model.ids:
            if not changes.item_ids or changes.item_ids & set(self.tracks_model.ids):
                ids = list(self.tracks_model.ids)
                self.ops.run("album plays", self.library.item_rows, ids=ids,
                             on_result=lambda rows: self.tracks_model.update_rows(rows) if
                             self.tracks_model.ids == ids else None)

    # ----- one album --------------------------------------------------------------------------
    def _open_index(self, index) -> None:
        album = index.data(AlbumRole)
        if album is not None:
            self.open_album(album)

    def open_album(self, album: Any, keep_selection: bool = False) -> None:
        """Show one album: its cover, words and tracks (read off the GUI thread)."""
        self.album = album
        self.album_heading.setText(album_title(album))
        self.album_facts.setText(album_facts(album, with_artist=True))
        self.back_button.setText(f"‹ {self.artist or UNKNOWN_ARTIST}" if self.for_artist else "‹ Albums")
        pix = self.thumbnails.get_now(album.cover_path) if album.cover_path else None
        if pix is None or min(pix.width(), pix.height()) < MIN_ART:
            pix = placeholder_pixmap(album_title(album), "audio", HEADER_ART)
        self.art.setPixmap(pix.scaled(HEADER_ART, HEADER_ART, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation))
        if not keep_selection:
            self.tracks_model.set_tracks([], {})
        self.stack.setCurrentWidget(self.detail)
        self._tracks_generation += 1
        generation = self._tracks_generation
        library = self.library

        def read(artist: str | None = album.artist, title: str = album.album) -> tuple[list[int], dict]:
            ids = library.album_item_ids(artist, title)
            return ids, library.item_rows(ids)

        self.ops.run("album tracks", read, on_result=lambda got: self._tracks_ready(generation, got, keep_selection),
                     on_error=lambda exc: self.said.emit(plain_error(exc, "read the album")))

    def _tracks_ready(self, generation: int, got: tuple[list[int], dict], keep_selection: bool) -> None:
        if generation != self._tracks_generation:
            return
        chosen = self.current_id() if keep_selection else None
        ids, rows = got
        self.tracks_model.set_tracks(ids, rows)
        row = self.tracks_model.ids.index(chosen) if chosen in self.tracks_model.ids else -1
        if row >= 0:
            self.tracks.setCurrentIndex(self.tracks_model.index(row, 0))
            self.tracks.scrollTo(self.tracks_model.index(row, 0))
        else:
            self.tracks.scrollToTop()

    def show_albums(self) -> None:
        """Back from an album to the grid (the album stays the current cell)."""
        album, self.album = self.album, None
        self._show_state()
        row = _row_of(self.model.albums, album)
        if row >= 0:
            self.grid.setCurrentIndex(self.model.index(row))
            self.grid.scrollTo(self.model.index(row))
        self.grid.setFocus()

    def _play_tracks(self, start: int) -> None:
        ids = list(self.tracks_model.ids)
        if ids:
            self.play_requested.emit(ids, max(0, min(start, len(ids) - 1)))

    def _track_selected(self, current, _previous) -> None:
        item_id = current.data(ItemIdRole) if current.isValid() else None
        if isinstance(item_id, int):
            self.item_selected.emit(item_id)

    def current_id(self) -> int | None:
        """The selected track of the open album (None on the grid: the detail pane then shows nothing)."""
        if self.album is None:
            return None
        index = self.tracks.currentIndex()
        return index.data(ItemIdRole) if index.isValid() else None

    # ----- menus ------------------------------------------------------------------------------
    def _album_ids(self, album: Any) -> list[int]:
        return self.library.album_item_ids(album.artist, album.album)

    def _album_menu(self, pos) -> None:
        album = self.grid.indexAt(pos).data(AlbumRole)
        if album is None:
            return
        ids = self._album_ids(album)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_album(album))
        menu.addAction("Play", lambda: ids and self.play_requested.emit(ids, 0))
        menu.addAction("Add to queue", lambda: ids and self.enqueue_requested.emit(ids))
        menu.addAction("Show in folder", lambda: self.show_in_folder(album.first_id))
        extend_item_menu(self, menu, ids)  # "Add to playlist ▸"
        menu.exec(self.grid.viewport().mapToGlobal(pos))

    def _track_menu(self, pos) -> None:
        index = self.tracks.indexAt(pos)
        if not index.isValid():
            return
        rows = sorted({i.row() for i in self.tracks.selectionModel().selectedRows()}) or [index.row()]
        if index.row() not in rows:
            rows = [index.row()]
        ids = [self.tracks_model.ids[r] for r in rows]
        menu = QMenu(self)
        menu.addAction("Play", lambda: self._play_tracks(rows[0]) if len(rows) == 1 else
                       self.play_requested.emit(ids, 0))
        menu.addAction("Add to queue", lambda: self.enqueue_requested.emit(ids))
        menu.addAction("Show in folder", lambda: self.show_in_folder(ids[0]))
        extend_item_menu(self, menu, ids)
        menu.exec(self.tracks.viewport().mapToGlobal(pos))

    def show_in_folder(self, item_id: int) -> None:
        """Open the file manager at the track's folder (the file selected where the platform allows)."""
        problem = show_item_in_folder(self.library, item_id)
        if problem:
            self.said.emit(problem)


def _row_of(albums: list[Any], album: Any) -> int:
    """Where the same album (artist and title, case ignored) is in `albums`, or -1."""
    if album is None:
        return -1
    key = (_fold(album.artist), _fold(album.album))
    for row, other in enumerate(albums):
        if (_fold(other.artist), _fold(other.album)) == key:
            return row
    return -1


def _fold(text: str | None) -> str | None:
    return None if text is None else text.casefold()
