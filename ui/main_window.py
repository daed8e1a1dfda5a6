"""The main window: sidebar, search box, pages, detail pane, player bar and background progress."""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.albums_view import AlbumsView
from ui.artists_view import ArtistsView
from ui.background import BackgroundWork, ProgressPanel
from ui.detail import DetailPane
from ui.for_you import ForYouView
from ui.health import HealthBanner
from ui.library_view import LibraryView
from ui.ops import Ops
from ui.pages import FailuresView, HistoryView, SearchView
from ui.player import Player
from ui.player_bar import PlayerBar, VideoPage
from ui.playlists import PlaylistsView
from ui.queue_panel import QueuePanel
from ui.thumbs import Thumbnails
from ui.welcome import WelcomeView
from ui.window_actions import WindowActions

# Albums and Artists come after the six older sections, whose rows code and tests name by number.
SECTIONS = ["Music", "Videos", "For You", "History", "Playlists", "Failures", "Albums", "Artists"]


class MainWindow(WindowActions, QMainWindow):
    """Composes the views; behaviour that is not layout lives in WindowActions."""

    def __init__(self, library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.setWindowTitle("Encore")
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self.ops = Ops(self)
        self.thumbnails = Thumbnails(parent=self)
        self.work = BackgroundWork(library, self.ops, self)
        self.player = Player(library, self.ops, self)
        self.upkeep_stages = ("scan", "analyze", "embed")  # what adding a folder runs (tests shorten it)

        # sidebar
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.addItems(SECTIONS)
        self.sidebar.setFixedWidth(180)
        brand = QLabel("Encore")
        brand.setObjectName("brand")
        side = QWidget()
        side_col = QVBoxLayout(side)
        side_col.setContentsMargins(0, 0, 0, 0)
        side_col.setSpacing(0)
        side_col.addWidget(brand)
        side_col.addWidget(self.sidebar, 1)

        # top bar
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText("Search in plain words — “upbeat songs for running”, “rainy day jazz”…")
        self.search_box.setClearButtonEnabled(True)
        self.add_button = QPushButton("+ Add folder")
        self.add_button.setToolTip("Add a folder of music or videos (or drop folders on the window)")
        self.settings_button = QPushButton("Settings")
        top = QHBoxLayout()
        top.setContentsMargins(10, 8, 10, 4)
        top.addWidget(self.search_box, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.settings_button)

        # pages
        self.welcome = WelcomeView()
        self.music = LibraryView(library, "audio", self.thumbnails)
        self.videos = LibraryView(library, "video", self.thumbnails)
        self.for_you = ForYouView(library, self.ops, self.thumbnails)
        self.history = HistoryView(library)
        self.playlists = PlaylistsView(library)
        self.failures_view = FailuresView(library)
        self.search_view = SearchView()
        self.video_page = VideoPage(self.player)
        self.pages = QStackedWidget()
        for page in (self.welcome, self.music, self.videos, self.for_you, self.history, self.playlists,
                     self.failures_view, self.search_view, self.video_page):
            self.pages.addWidget(page)
        self.section_pages = [self.music, self.videos, self.for_you, self.history, self.playlists,
                              self.failures_view]
        self.albums = AlbumsView(library, self.ops, self.thumbnails)  # the music by album, and one album
        self.artists = ArtistsView(library, self.ops, self.thumbnails)  # the music by artist, then album
        for page in (self.albums, self.artists):
            self.pages.addWidget(page)
            self.section_pages.append(page)
        self.detail = DetailPane(library, self.ops, self.thumbnails)
        self.split = QSplitter()
        self.split.addWidget(self.pages)
        self.split.addWidget(self.detail)
        self.queue_panel = QueuePanel(self.player, library, self.ops)  # beside the player, shown from its bar
        self.queue_panel.hide()
        self.split.addWidget(self.queue_panel)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([900, 320])
        self.split.setHandleWidth(1)
        center = QWidget()
        center_col = QVBoxLayout(center)
        center_col.setContentsMargins(0, 0, 0, 0)
        center_col.setSpacing(0)
        center_col.addLayout(top)
        center_col.addWidget(self.split, 1)
        body = QSplitter()
        body.addWidget(side)
        body.addWidget(center)
        body.setStretchFactor(1, 1)
        body.setChildrenCollapsible(False)
        body.setHandleWidth(1)
        self.player_bar = PlayerBar(self.player)
        root = QWidget()
        root_col = QVBoxLayout(root)
        root_col.setContentsMargins(0, 0, 0, 0)
        root_col.setSpacing(0)
        self.health_banner = HealthBanner()  # shown when the background integrity check fails
        root_col.addWidget(self.health_banner)
        root_col.addWidget(body, 1)
        root_col.addWidget(self.player_bar)
        self.setCentralWidget(root)
        self.progress_panel = ProgressPanel(self.work)
        self.status_note = QLabel()
        self.status_note.setTextFormat(Qt.TextFormat.PlainText)  # notes quote titles and paths
        self.statusBar().addWidget(self.status_note, 1)
        self.statusBar().addPermanentWidget(self.progress_panel, 3)

        self._note_timer = QTimer(self, singleShot=True)
        self._note_timer.timeout.connect(self.status_note.clear)
        self._live_timer = QTimer(self, interval=1200)
        self._live_timer.timeout.connect(self.refresh_live)
        self._visible_timer = QTimer(self, singleShot=True)  # what is on screen -> the upkeep (debounced)
        self._visible_timer.timeout.connect(self.send_visible)
        self._wire()
        self._shortcuts()
        self.start_view()
        self.health_banner.watch(library)

    # ----- wiring -----------------------------------------------------------------------------
    def _wire(self) -> None:
        self.sidebar.currentRowChanged.connect(self.show_section)
        self.search_box.returnPressed.connect(lambda: self.search(self.search_box.text()))
        # the search's model (~8 s to load on 2 cores) loads while the first query is typed: from the moment the
        # box takes the focus (a click, Ctrl+F) or the first keystroke
        self.search_box.textEdited.connect(self.prepare_search)
        self.search_box.installEventFilter(self)
        self.add_button.clicked.connect(self.choose_folder)
        self.settings_button.clicked.connect(self.open_settings)
        self.welcome.folders_chosen.connect(self.add_folders)
        for view in (self.music, self.videos):
            view.item_selected.connect(self.select_item)
            view.play_requested.connect(self.play)
            view.enqueue_requested.connect(self.player.enqueue)
            view.radio_requested.connect(self.radio)
            view.like_requested.connect(lambda item_id: self.player.like(item_id, "like"))
            view.said.connect(self.say)
        for view in (self.history, self.playlists):
            view.item_selected.connect(self.select_item)
            view.play_requested.connect(self.play)
        self.playlists.install(self)  # playlists in the sidebar, "Add to playlist", drags, import reports
        self.failures_view.rescan_requested.connect(lambda: self.work.start(stages=self.upkeep_stages))
        self.failures_view.item_selected.connect(self.select_item)
        # The detail pane always shows what the page on screen has selected (or nothing).
        self.pages.currentChanged.connect(lambda _i: self.detail.follow(self.pages.currentWidget()))
        self.search_view.results_shown.connect(lambda: self.detail.follow(self.search_view))
        self.search_view.item_selected.connect(
            lambda hit: self.detail.show_item(hit.item.id, reasons=hit.reasons, moment=hit.moment))
        self.search_view.play_requested.connect(self.play)
        # a hit's moment (where in the video the search matched) plays from there
        self.search_view.play_at_requested.connect(lambda ids, row, at: self.player.play_items(ids, row, start_at=at))
        self.search_view.filters.attach(lambda: self.search(self.search_box.text()),
                                        lambda: self.library.search_genres())
        self.for_you.picked.connect(
            lambda rec: self.detail.show_item(rec.item.id, seed=None, reasons=rec.reasons, explain=True))
        self.for_you.play.connect(lambda rec: self.play([rec.item.id], 0))
        self.for_you.radio.connect(self.radio)
        self.detail.play.connect(lambda item_id: self.play([item_id], 0))
        self.detail.play_at.connect(lambda item_id, at: self.player.play_items([item_id], 0, start_at=at))
        self.detail.like.connect(lambda item_id, value: self.player.like(item_id, value))
        self.detail.radio.connect(self.radio)
        self.detail.more_like_this.connect(self.more_like_this)
        self.player.problem.connect(self.say)
        self.player_bar.queue_button.toggled.connect(self.show_queue)
        self.queue_panel.said.connect(self.say)
        self.queue_panel.item_selected.connect(self.select_item)
        self.player.now_playing.connect(self._now_playing)
        self.work.started.connect(self._live_timer.start)
        self.work.progress.connect(self._stage_progress)
        self.work.finished.connect(self._work_finished)
        self.health_banner.failed.connect(self.library_unsafe)
        # One "library changed" signal: every screen decides for itself whether what it shows changed.
        for screen in (self, self.music, self.videos, self.for_you, self.history, self.playlists,
                       self.failures_view, self.detail, self.queue_panel):
            self.ops.changed.connect(screen.library_changed)
        self._wire_browsing()
        self._wire_visible()

    def _wire_browsing(self) -> None:
        """Albums and Artists like the other pages; the lists' plays / last played / rating columns follow
        the history (their views refresh for items, their models for plays and likes)."""
        for page in (self.albums, self.artists):
            page.item_selected.connect(self.select_item)
            page.play_requested.connect(self.play)
            page.enqueue_requested.connect(self.player.enqueue)
            page.said.connect(self.say)
            self.ops.changed.connect(page.library_changed)
        for view in (self.music, self.videos):
            self.ops.changed.connect(view.model.library_changed)

    def _wire_visible(self) -> None:
        """What is on screen is analysed first: the upkeep asks at its start, and hears of every scroll,
        page change, sort, filter, search and album opened while it runs (WindowActions.send_visible)."""
        self.work.visible_ids = self.visible_ids
        self.pages.currentChanged.connect(lambda *_a: self.visible_changed())
        self.search_view.results_shown.connect(lambda *_a: self.visible_changed())
        self.for_you.shelves_filled.connect(lambda *_a: self.visible_changed())
        views = [self.music.table, self.music.grid, self.videos.table, self.videos.grid, self.search_view.results,
                 self.history.table, self.playlists.tracks]
        for page in (self.music, self.videos, self.albums, self.artists.albums):
            page.stack.currentChanged.connect(lambda *_a: self.visible_changed())  # list <-> covers, an album
        for albums in (self.albums, self.artists.albums):
            views += [albums.grid, albums.tracks]
        for view in views:
            view.verticalScrollBar().valueChanged.connect(lambda *_a: self.visible_changed())
            model = view.model()
            for signal in (model.modelReset, model.layoutChanged, model.rowsInserted):
                signal.connect(lambda *_a: self.visible_changed())

    def _shortcuts(self) -> None:
        def key(seq, fn, context=Qt.ShortcutContext.WindowShortcut):
            shortcut = QShortcut(QKeySequence(seq), self)
            shortcut.setContext(context)
            shortcut.activated.connect(fn)
            return shortcut

        key("Ctrl+F", lambda: self.focus_search())
        key(Qt.Key.Key_Space, lambda: self.player.toggle())
        key("Ctrl+L", lambda: self.like_current())
        key("Ctrl+,", self.open_settings)
        key("Ctrl+O", self.choose_folder)
        key(QKeySequence.StandardKey.Quit, self.close)
        app = Qt.ShortcutContext.ApplicationShortcut
        key(Qt.Key.Key_MediaTogglePlayPause, self.player.toggle, app)
        key(Qt.Key.Key_MediaPlay, self.player.toggle, app)
        key(Qt.Key.Key_MediaPause, self.player.toggle, app)
        key(Qt.Key.Key_MediaNext, self.player.next, app)
        key(Qt.Key.Key_MediaPrevious, self.player.previous, app)
        key(Qt.Key.Key_MediaStop, self.player.stop, app)

    # ----- drag and drop of folders -------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.search_box and event.type() == QEvent.Type.FocusIn:
            self.prepare_search()
        return super().eventFilter(watched, event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if _dropped_folders(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        folders = _dropped_folders(event.mimeData())
        if folders:
            event.acceptProposedAction()
            self.add_folders(folders)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of music or videos")
        if folder:
            self.add_folders([folder])

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and \
                hasattr(self, "player_bar"):
            self.player_bar.refresh_icons()  # light <-> dark: re-tint the transport icons
        super().changeEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def _dropped_folders(mime) -> list[str]:
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and os.path.isdir(u.toLocalFile())]
