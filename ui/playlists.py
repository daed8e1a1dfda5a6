"""The Playlists page and the playlists in the sidebar: make, rename, delete, fill (context menu or drag
and drop from any list, search result or shelf), reorder by drag, remove with Delete, export M3U8,
import M3U with a report of what did not match; smart playlists made from rules or from a search, live
as the library and the history change. A playlist of 10,000 entries is one lazy model, not 10,000 widgets."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.models import Changes, PlaylistInfo
from ui.icons import icon
from ui.item_drag import DragIds, PlaylistActions, view_ids_at
from ui.playlist_edits import PlaylistEdits
from ui.playlist_model import PlaylistTracksModel, total_text
from ui.playlist_widgets import DropHint, ElidedLabel, PlaylistList, PlaylistRole, TracksView
from ui.widgets import EmptyState


class PlaylistsView(PlaylistEdits, QWidget):
    """Playlists (made, imported, smart) on the left, the open one's entries on the right."""

    play_requested = Signal(list, int)
    item_selected = Signal(int)
    enqueue_requested = Signal(list)
    import_requested = Signal()  # only before install(): afterwards the page imports (and reports) itself
    open_requested = Signal()  # a playlist in the sidebar was clicked: show this page

    def __init__(self, library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.ops = None
        self.say: Callable[..., None] = lambda text, ms=8000: None
        self.item_actions: PlaylistActions | None = None
        self.redraws = 0
        # hooks the tests replace: (title, label, text) -> text | None; (question) -> bool; (name) -> path
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text
        self.confirm: Callable[[str], bool] = self._confirm
        self.ask_save_path: Callable[[str], str | None] = self._ask_save_path
        self.ask_open_path: Callable[[], str | None] = self._ask_open_path

        self.heading = QLabel("Playlists")
        self.heading.setObjectName("pageHeading")
        self.lists = PlaylistList()
        self.lists.setObjectName("playlistList")
        self.new_button = QPushButton("New playlist")
        self.smart_button = QPushButton("New smart playlist…")
        self.smart_button.setToolTip("A playlist of rules (genre, tempo, plays, rating…) that follows your library; "
                                     "it can start from a search")
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Import an M3U playlist, or listening history (ListenBrainz JSON, Last.fm CSV)")
        left = QWidget()
        lcol = QVBoxLayout(left)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.addWidget(self.lists, 1)
        for b in (self.new_button, self.smart_button, self.import_button):
            lcol.addWidget(b)

        self.title = ElidedLabel()
        self.title.setObjectName("shelfTitle")
        self.info = QLabel()
        self.info.setObjectName("countLabel")
        self.summary = ElidedLabel()
        self.summary.setObjectName("shelfNote")
        self.play_button = QPushButton("Play")
        self.edit_button = QPushButton("Edit rules…")
        self.export_button = QToolButton(text="Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        export_menu.addAction("M3U8 with relative paths…", lambda: self.export(relative=True))
        export_menu.addAction("M3U8 with absolute paths…", lambda: self.export(relative=False))
        self.export_button.setMenu(export_menu)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.info)
        head.addWidget(self.play_button)
        head.addWidget(self.edit_button)
        head.addWidget(self.export_button)

        self.model = PlaylistTracksModel(library, self)
        self.tracks = TracksView()
        self.tracks.setObjectName("playlistTracks")
        self.tracks.setModel(self.model)
        self.tracks.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tracks.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tracks.setDragEnabled(True)
        self.tracks.setAcceptDrops(True)
        self.tracks.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tracks.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tracks.setDropIndicatorShown(True)
        self.tracks.setDragDropOverwriteMode(False)
        self.tracks.setAlternatingRowColors(True)
        self.tracks.setShowGrid(False)
        self.tracks.setWordWrap(False)
        self.tracks.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tracks.verticalHeader().hide()
        self.tracks.verticalHeader().setDefaultSectionSize(26)
        self.tracks.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.tracks.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        for col, width in enumerate([52, 260, 170, 170, 66]):
            self.tracks.setColumnWidth(col, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tracks.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.hint = DropHint()
        self.no_matches = EmptyState("Nothing matches these rules yet",
                                     "The playlist fills in as your library and history change. Edit the rules "
                                     "to widen them.")
        self.track_stack = QStackedWidget()
        for w in (self.tracks, self.hint, self.no_matches):
            self.track_stack.addWidget(w)
        self.report = QLabel()
        self.report.setObjectName("shelfNote")
        self.report.setWordWrap(True)
        self.report.setTextFormat(Qt.TextFormat.PlainText)
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report.hide()
        right = QWidget()
        rcol = QVBoxLayout(right)
        rcol.setContentsMargins(0, 0, 0, 0)
        rcol.addLayout(head)
        rcol.addWidget(self.summary)
        rcol.addWidget(self.report)
        rcol.addWidget(self.track_stack, 1)

        self.split = QSplitter()
        self.split.addWidget(left)
        self.split.addWidget(right)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([220, 640])
        self.split.setChildrenCollapsible(False)
        self.empty = EmptyState("No playlists yet", "Make one with New playlist and drag tracks onto it, make a "
                                "smart playlist from a search, or import an M3U playlist or your listening "
                                "history (ListenBrainz JSON, Last.fm CSV).", action="New playlist")
        empty_box = QWidget()
        ecol = QVBoxLayout(empty_box)
        ecol.addWidget(self.empty, 1)
        erow = QHBoxLayout()
        erow.addStretch(1)
        self.empty_smart = QPushButton("New smart playlist…")
        self.empty_import = QPushButton("Import a playlist or history…")
        erow.addWidget(self.empty_smart)
        erow.addWidget(self.empty_import)
        erow.addStretch(1)
        ecol.addLayout(erow)
        ecol.addStretch(1)
        self.stack = QStackedWidget()
        self.stack.addWidget(empty_box)
        self.stack.addWidget(self.split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.stack, 1)

        self.sidebar_caption = QLabel("Playlists")
        self.sidebar_caption.setObjectName("sidebarCaption")
        self.sidebar_list = PlaylistList(compact=True)

        self._playlists: list[PlaylistInfo] = []
        self._sections: tuple[Any, QWidget] | None = None  # (the sidebar's layout, its sections list)
        self._current: int | None = None
        self._writes: deque[tuple[str, Callable[..., Any], dict[str, Any]]] = deque()
        self._writing = False
        self._dirty = False
        self._wire()

    # ----- wiring -----------------------------------------------------------------------------
    def _wire(self) -> None:
        self.lists.currentRowChanged.connect(self._row_changed)
        self.lists.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.lists.customContextMenuRequested.connect(lambda pos: self._list_menu(self.lists, pos))
        self.sidebar_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar_list.customContextMenuRequested.connect(lambda pos: self._list_menu(self.sidebar_list, pos))
        self.sidebar_list.itemClicked.connect(lambda item: self.open_playlist(item.data(PlaylistRole)))
        for lst in (self.lists, self.sidebar_list):
            lst.items_dropped.connect(self.add_items)
        self.new_button.clicked.connect(self.new_playlist)
        self.empty.button.clicked.connect(self.new_playlist)
        self.smart_button.clicked.connect(lambda: self.new_smart_playlist())
        self.empty_smart.clicked.connect(lambda: self.new_smart_playlist())
        self.import_button.clicked.connect(self.import_file)
        self.empty_import.clicked.connect(self.import_file)
        self.play_button.clicked.connect(lambda: self._play(0))
        self.edit_button.clicked.connect(self.edit_rules)
        self.tracks.doubleClicked.connect(lambda idx: self._play(idx.row()))
        self.tracks.activated.connect(lambda idx: self._play(idx.row()))
        self.tracks.selectionModel().currentRowChanged.connect(self._track_selected)
        self.tracks.remove_requested.connect(self.remove_selected)
        self.tracks.customContextMenuRequested.connect(self._tracks_menu)
        self.model.move_requested.connect(self.move_rows)
        self.model.insert_requested.connect(lambda ids, at: self.add_items(self._current, ids, at))
        self.model.loaded.connect(self._loaded)
        self.model.modelReset.connect(self._update_stack)
        self.hint.dropped.connect(lambda ids: self.add_items(self._current, ids))

    def install(self, window) -> None:
        """Join the main window: its worker layer and status line, "Add to playlist ▸" for every list
        (window.playlist_actions), the playlists under the sidebar's sections, dragging out of the
        library lists, search results, History and For You, and "make a smart playlist from this search"."""
        self.ops, self.say = window.ops, window.say
        self.item_actions = PlaylistActions(self.library, window.ops, window.say, window)
        window.playlist_actions = self.item_actions
        side = window.sidebar.parentWidget().layout() if window.sidebar.parentWidget() else None
        if side is not None:  # under the sections, which keep the height of their rows
            side.addWidget(self.sidebar_caption)
            side.addWidget(self.sidebar_list, 1)
            self._sections = (side, window.sidebar)
            window.sidebar.model().rowsInserted.connect(lambda *_: self._fit_sections())
            window.sidebar.model().rowsRemoved.connect(lambda *_: self._fit_sections())
        self.sidebar_list.setFixedWidth(window.sidebar.width())
        page_row = next((r for r in range(window.sidebar.count())
                         if window.sidebar.item(r).text().startswith("Playlists")), None)
        if page_row is not None:
            self.open_requested.connect(lambda: window.sidebar.setCurrentRow(page_row))
        self.drags = [DragIds(view.viewport(), view_ids_at(view)) for view in (
            window.music.table, window.music.grid, window.videos.table, window.videos.grid,
            window.search_view.results, window.history.table)]
        self.drags.append(DragIds(window.for_you, lambda pos: _card_ids(window.for_you, pos)))
        for view, extra in ((window.search_view.results, True), (window.history.table, False)):
            if view.contextMenuPolicy() != Qt.ContextMenuPolicy.CustomContextMenu:  # its page has no menu yet
                view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                view.customContextMenuRequested.connect(
                    lambda pos, v=view, e=extra, w=window: self._foreign_menu(w, v, pos, e))
        self.search_action = window.search_box.addAction(icon("smart-playlist", "accent"),
                                                         QLineEdit.ActionPosition.TrailingPosition)
        self.search_action.setToolTip("Make a smart playlist from this search")
        self.search_action.triggered.connect(lambda: self.new_smart_playlist(window.search_box.text().strip()))
        self.enqueue_requested.connect(window.player.enqueue)
        self.refresh_lists()

    # ----- reading ----------------------------------------------------------------------------
    def library_changed(self, changes: Changes) -> None:
        """Playlists changed: redraw the lists (the sidebar shows them on every page). What a smart playlist
        reads changed (items, plays, likes, details): evaluate it again when it is on screen."""
        if changes.playlists or changes.settings:
            if self._writing:
                self._dirty = True  # our own writes are on their way: read once they all landed
                return
            self.refresh_lists()
            if self.isVisible():
                self.model.reload()
        elif (changes.items or changes.details or changes.plays or changes.ratings) and self.isVisible():
            current = self.current()
            if current is not None and (current.smart or changes.items or changes.details):
                self.model.reload()

    def refresh(self) -> None:
        """The page opens: read the playlists and the open one's entries."""
        self.refresh_lists()
        self.model.reload()

    def refresh_lists(self) -> None:
        try:
            self._playlists = self.library.playlists()
        except Exception:  # noqa: BLE001 - a damaged or closing library: keep what is shown
            return
        ids = [p.id for p in self._playlists]
        if self._current not in ids:
            self._current = ids[0] if ids else None
        self.lists.fill(self._playlists, self._current)
        self.sidebar_list.fill(self._playlists, None)
        self.sidebar_caption.setVisible(bool(self._playlists))
        self.sidebar_list.setVisible(bool(self._playlists))
        self._fit_sections()
        self.stack.setCurrentIndex(1 if self._playlists else 0)
        self._show_header()
        current = self.current()
        if self._current != self.model.playlist_id:
            self.model.show_playlist(self._current, editable=bool(current and not current.smart))
        else:
            self.model.editable = bool(current and not current.smart)
        self.redraws += 1

    def _fit_sections(self) -> None:
        """With playlists under them, the sections are as tall as their rows; without, they fill the column."""
        if self._sections is None:
            return
        side, sections = self._sections
        if self._playlists:
            rows = sum(sections.sizeHintForRow(r) for r in range(sections.count()))
            sections.setMinimumHeight(rows + 2 * sections.frameWidth() + 12)
            side.setStretchFactor(sections, 0)
        else:
            sections.setMinimumHeight(0)
            side.setStretchFactor(sections, 1)

    def current(self) -> PlaylistInfo | None:
        return next((p for p in self._playlists if p.id == self._current), None)

    def open_playlist(self, playlist_id: int | None) -> None:
        """Show this playlist on the page (and the page itself)."""
        self.open_requested.emit()
        if playlist_id is not None and playlist_id not in [p.id for p in self._playlists]:
            self.refresh_lists()
        self.lists.select_playlist(playlist_id)

    def _row_changed(self, row: int) -> None:
        item = self.lists.item(row) if row >= 0 else None
        self._current = item.data(PlaylistRole) if item is not None else None
        self.report.hide()
        current = self.current()
        self._show_header()
        self.model.show_playlist(self._current, editable=bool(current and not current.smart))

    def _show_header(self) -> None:
        pl = self.current()
        self.title.set_full_text(pl.name if pl else "")
        self.summary.set_full_text(f"Smart playlist: {pl.summary}" if pl and pl.smart else "")
        self.summary.setVisible(bool(pl and pl.smart))
        self.edit_button.setVisible(bool(pl and pl.smart))
        for b in (self.play_button, self.export_button):
            b.setEnabled(pl is not None)

    def _loaded(self) -> None:
        self.info.setText(total_text(len(self.model.ids), self.model.total_seconds))
        self._update_stack()

    def _update_stack(self) -> None:
        pl = self.current()
        if pl is not None and not self.model.ids and not self.model.loading:
            self.track_stack.setCurrentWidget(self.no_matches if pl.smart else self.hint)
        else:
            self.track_stack.setCurrentWidget(self.tracks)

    # ----- playing -----------------------------------------------------------------------------
    def _play(self, row: int) -> None:
        if self.model.ids:
            self.play_requested.emit(list(self.model.ids), max(0, min(row, len(self.model.ids) - 1)))

    def _play_playlist(self, playlist_id: int) -> None:
        ids = self.library.playlist_item_ids(playlist_id)
        if ids:
            self.play_requested.emit(ids, 0)

    def _track_selected(self, current: QModelIndex, _previous) -> None:
        item_id = self.model.item_id(current.row()) if current.isValid() else None
        if item_id is not None:
            self.item_selected.emit(item_id)

    def _playlist(self, playlist_id: int | None) -> PlaylistInfo | None:
        wanted = self._current if playlist_id is None else playlist_id
        return next((p for p in self._playlists if p.id == wanted), None)

def _card_ids(page: QWidget, pos) -> list[int]:
    """The item of the For You card under `pos` (cards keep their Recommendation in `rec`)."""
    widget = page.childAt(pos)
    while widget is not None and widget is not page:
        rec = getattr(widget, "rec", None)
        item = getattr(rec, "item", None)
        if item is not None and isinstance(getattr(item, "id", None), int):
            return [item.id]
        widget = widget.parentWidget()
    return []


__all__ = ["PlaylistList", "PlaylistsView"]
