"""The For You page: shelves filled from Library.recommend in the background, refreshed as you play."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from core.errors import plain_error
from core.models import Changes, Reason, Recommendation
from ui.ops import Ops
from ui.shelves import Shelf
from ui.widgets import EmptyState

# Library.recommend modes used by each shelf.
MODE_FOR_YOU = "for-you"
MODE_BECAUSE = "because"
MODE_MORE = "more-like"
MODE_FITS_VIDEO = "fits-video"
MODE_RADIO = "radio"
SHELF_SIZE = 16


class ForYouView(QWidget):
    """Shelves: For you, Because you played X, More like this (selection), Recently added."""

    picked = Signal(object)  # Recommendation (show details + explanation)
    play = Signal(object)  # Recommendation
    radio = Signal(int)  # item id: "Radio from here"
    shelves_filled = Signal()  # a shelf got new cards (what is on screen changed)

    def __init__(self, library, ops: Ops, thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library, self.ops = library, ops
        self.seed_item: int | None = None
        self.for_you = Shelf("For you", thumbnails)
        self.because = Shelf("Because you played…", thumbnails)
        self.more = Shelf("More like this", thumbnails)
        self.fits = Shelf("Music that fits this video", thumbnails)
        self.recent = Shelf("Recently added", thumbnails)
        self.shelves = [self.for_you, self.because, self.more, self.fits, self.recent]
        self.fits.hide()
        self.empty = EmptyState("Nothing to recommend yet",
                                "Add a folder with music or videos first. Then play a few things: every play, "
                                "skip and like teaches Encore what to suggest here, and why.")
        body = QWidget()
        col = QVBoxLayout(body)
        for shelf in self.shelves:
            shelf.picked.connect(self.picked.emit)
            shelf.play.connect(self.play.emit)
            shelf.hovered.connect(self.explain_card)
            shelf.radio.connect(self.radio.emit)
            col.addWidget(shelf)
        col.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.scroll)
        self._refresh_timer = QTimer(self, singleShot=True, interval=400)
        self._refresh_timer.timeout.connect(self.refresh)
        self.loads = 0  # finished loads (tests wait on this)
        self.active = True  # false once the window shuts down
        self.explanations: dict[int, str] = {}  # item id -> explanation text (hover tooltips)

    def schedule_refresh(self) -> None:
        if self.active:
            self._refresh_timer.start()

    def library_changed(self, changes: Changes) -> None:
        """What the picks are made from changed (plays, likes, playlists, what is known about items, the
        profile): refill the shelves soon when on screen; opening the page refills them anyway."""
        if (changes.plays or changes.ratings or changes.playlists or changes.details or changes.settings) \
                and self.isVisible():
            self.schedule_refresh()

    def set_seed(self, item_id: int | None) -> None:
        """The selected item: the "More like this" shelf follows it."""
        self.seed_item = item_id
        if self.isVisible():
            self._load_more()

    def _because_seed_found(self, seed: tuple[int, str] | None) -> None:
        if seed:
            self.because.set_title(f"Because you played {seed[1]}")
            self._load(self.because, seed=seed[0], mode=MODE_BECAUSE, empty="")
        else:
            self.because.set_title("Because you played…")
            self.because.set_items([])
            self.because.set_note("Play something and picks that go with it appear here.")

    def refresh(self) -> None:
        if not self.active:
            return
        self._load(self.for_you, mode=MODE_FOR_YOU,
                   empty="Play, skip or like a few things and Encore will suggest what fits your taste.")
        # The seed is chosen by the recommender's one rule, off the GUI thread (it reads the content vectors).
        self.ops.run("because you played", self.library.because_seed, on_result=self._because_seed_found,
                     on_error=lambda exc: self.because.set_note(plain_error(exc)))
        self._load_more()
        self.ops.run("recently added", self.library.recently_added, limit=SHELF_SIZE,
                     on_result=self._recent_loaded, on_error=lambda exc: self.recent.set_note(plain_error(exc)))

    def _load_more(self) -> None:
        if self.seed_item is None:
            self.more.set_title("More like this")
            self.more.set_items([])
            self.more.set_note("Select a track or video to see more like it.")
            return
        try:
            seed = self.library.item(self.seed_item)
            title, kind = seed.title, seed.kind
        except LookupError:
            title, kind = "", "audio"
        self.more.set_title(f"More like {title}" if title else "More like this")
        self._load(self.more, seed=self.seed_item, mode=MODE_MORE, kind=kind,
                   empty="No close matches yet: they appear once Encore has listened to more of your library.")
        if kind == "video":
            self.fits.set_title(f"Music that fits {title}")
            self._load(self.fits, seed=self.seed_item, mode=MODE_FITS_VIDEO, empty="", kind="audio")
        else:
            self.fits.set_items([])
            self.fits.hide()

    def _load(self, shelf: Shelf, mode: str, empty: str, seed: int | None = None,
              kind: str | None = None) -> None:
        def done(recs) -> None:
            shelf.show()
            shelf.set_items(list(recs or []))
            shelf.set_note(empty)
            self._loaded()

        def failed(exc: BaseException) -> None:
            shelf.set_items([])
            shelf.set_note(plain_error(exc, "make suggestions"))
            self._loaded()

        self.ops.run(f"recommend {mode}", self.library.recommend, seed=seed, mode=mode, limit=SHELF_SIZE,
                     kind=kind, on_result=done, on_error=failed)

    def explain_card(self, card) -> None:
        """Hovering a card: fetch its explanation once (LLM or template, checked) and show it as a tooltip."""
        rec = card.rec
        if not rec.reasons or rec.reasons[0].kind == "recently_added":
            return
        cached = self.explanations.get(rec.item.id)
        if cached:
            card.show_explanation(cached)
            return

        def done(explanation) -> None:
            self.explanations[rec.item.id] = explanation.text
            try:
                card.show_explanation(explanation.text)
            except RuntimeError:  # the card was replaced meanwhile
                pass

        self.ops.run("explain", self.library.explain, ref=rec.item.id, reasons=list(rec.reasons),
                     on_result=done)

    def _recent_loaded(self, items) -> None:
        self.recent.set_items([Recommendation(item=i, score=0.0, reasons=(Reason("recently_added", 1.0),))
                               for i in items])
        self._loaded()

    def on_screen_ids(self) -> list[int]:
        """The items of the cards on the shelves shown, shelf by shelf (a shelf holds a screenful or two)."""
        return [r.item.id for shelf in self.shelves if shelf.isVisible() for r in shelf.recs]

    def _loaded(self) -> None:
        self.loads += 1
        self.shelves_filled.emit()
        has_any = any(s.recs for s in self.shelves)
        self.empty.setVisible(not has_any)
        self.scroll.setVisible(has_any)
