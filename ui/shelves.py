"""Recommendation shelves: rows of cards, each with its short reason; hover shows all reasons."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from core.library import all_reasons, short_reason
from ui.item_drag import extend_item_menu
from ui.thumbs import placeholder_pixmap
from ui.widgets import ElidedLabel, WrapLabel, plain_tip

CARD_W = 168


class Card(QFrame):
    """One pick: art, title, subtitle and the short reason. Click = details + explanation, double = play."""

    clicked = Signal(object)
    activated = Signal(object)
    hovered = Signal(object)  # the Card, after the pointer rests on it a moment
    radio = Signal(int)  # "Radio from here" (context menu)

    def __init__(self, rec, thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rec = rec
        self.setObjectName("card")
        self.setFixedWidth(CARD_W)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        item = rec.item
        self.art = QLabel()
        self.art.setObjectName("cardArt")
        self.art.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.art.setFixedSize(QSize(CARD_W - 16, CARD_W - 40))
        self._art_path = item.cover_path
        self._title = item.title or item.path.rsplit("/", 1)[-1]
        self._kind = item.kind
        self._thumbnails = thumbnails
        self.art.setPixmap(placeholder_pixmap(self._title, item.kind, CARD_W - 48))  # until the art is decoded
        self._set_art()
        thumbnails.ready.connect(self._art_ready)
        # Title, artist and reason (which may quote another title) are file data: plain text, elided.
        self.title = ElidedLabel(self._title, lines=2, own_tooltip=True)
        self.title.setObjectName("cardTitle")
        self.subtitle = ElidedLabel(item.artist or item.genre or ("Video" if item.kind == "video" else ""),
                                    own_tooltip=True)
        self.subtitle.setObjectName("cardSubtitle")
        reasons = tuple(getattr(rec, "reasons", ()) or ())
        self.reason = ElidedLabel(short_reason(reasons), lines=2, own_tooltip=True)
        self.reason.setObjectName("cardReason")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(3)
        for w in (self.art, self.title, self.subtitle, self.reason):
            layout.addWidget(w)
        layout.addStretch(1)
        self.setToolTip(plain_tip("\n".join(p for p in (self._title, item.artist, all_reasons(reasons) or item.path)
                                            if p)))
        self._hover = QTimer(self, singleShot=True, interval=600)
        self._hover.timeout.connect(lambda: self.hovered.emit(self))

    def enterEvent(self, event) -> None:  # noqa: N802
        self._hover.start()
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover.stop()
        super().leaveEvent(event)

    def show_explanation(self, text: str) -> None:
        """Hovering shows the explanation (then the reasons it was built from)."""
        reasons = all_reasons(tuple(getattr(self.rec, "reasons", ()) or ()))
        self.setToolTip(f"<p style='max-width:320px'>{escape(self._title)}</p>"
                        f"<p style='max-width:320px'>{escape(text)}</p><p>{escape(reasons).replace(chr(10), '<br>')}</p>")
        if self.underMouse():
            QToolTip.showText(QCursor.pos(), self.toolTip(), self)

    def _set_art(self) -> None:
        pix = self._thumbnails.get(self._art_path) if self._art_path else None
        if pix is not None:
            self.art.setPixmap(pix.scaled(self.art.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))

    def _art_ready(self, path: str) -> None:
        if path == self._art_path:
            self._set_art()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.rec)
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.activated.emit(self.rec)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        menu = QMenu(self)
        menu.addAction("Play", lambda: self.activated.emit(self.rec))
        menu.addAction("Radio from here", lambda: self.radio.emit(self.rec.item.id))
        menu.addAction("Why this?", lambda: self.clicked.emit(self.rec))
        extend_item_menu(self, menu, [self.rec.item.id])  # "Add to playlist ▸"
        menu.exec(event.globalPos())


class Shelf(QWidget):
    """A titled, horizontally scrolling row of cards."""

    picked = Signal(object)  # Recommendation
    play = Signal(object)
    hovered = Signal(object)  # Card
    radio = Signal(int)

    def __init__(self, title: str, thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.title = ElidedLabel(title)  # "Because you played <a title>"
        self.title.setObjectName("shelfTitle")
        self.note = WrapLabel()
        self.note.setObjectName("shelfNote")
        self.row = QHBoxLayout()
        self.row.setSpacing(10)
        self.row.addStretch(1)
        inner = QWidget()
        inner.setLayout(self.row)
        self.scroll = QScrollArea()
        self.scroll.setWidget(inner)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFixedHeight(CARD_W + 110)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.scroll)
        self.recs: list = []
        self.note.hide()

    def set_title(self, title: str) -> None:
        self.title.setText(title)

    def set_items(self, recs: list) -> None:
        self.recs = list(recs)
        while self.row.count() > 1:
            w = self.row.takeAt(0).widget()
            if w:
                w.hide()
                w.deleteLater()
        for i, rec in enumerate(self.recs):
            card = Card(rec, self.thumbnails)
            card.clicked.connect(self.picked.emit)
            card.activated.connect(self.play.emit)
            card.hovered.connect(self.hovered.emit)
            card.radio.connect(self.radio.emit)
            self.row.insertWidget(i, card)
        self.scroll.setVisible(bool(self.recs))
        self.note.setVisible(not self.recs and bool(self.note.text()))

    def set_note(self, text: str) -> None:
        """A plain-words line shown instead of cards (why there is nothing yet, what to do)."""
        self.note.setText(text)
        self.note.setVisible(bool(text) and not self.recs)

    def cards(self) -> list[Card]:
        return [self.row.itemAt(i).widget() for i in range(self.row.count())
                if isinstance(self.row.itemAt(i).widget(), Card)]
