"""Small reusable widgets: labels that elide or wrap file data as plain text, empty states, chips, and a
flow layout for chips and keyframes.

Text from files (titles, tags, paths, lyrics, reasons that quote them) is untrusted: every label here
shows it as plain text (Qt would otherwise render "<b>" or "<img src=...>" in a title as HTML), and a
tooltip that carries it is escaped (`plain_tip`). Long text never widens the window: ElidedLabel asks
for almost no width and elides with the full text as its tooltip; WrapLabel breaks long words.
"""

from __future__ import annotations

import re
from html import escape

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextLayout, QTextOption
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

MAX_TIP = 2000  # characters of file data in one tooltip
ZWSP = "\u200b"  # a break opportunity that draws nothing
_LONG_RUN = re.compile(r"\S{25,}")


def plain_tip(text: str | None) -> str:
    """A tooltip that shows `text` literally: Qt renders a tooltip that looks like HTML as HTML."""
    if not text:
        return ""
    text = str(text)
    if len(text) > MAX_TIP:
        text = text[:MAX_TIP] + "…"
    return "<p style='white-space:pre-wrap'>" + escape(text).replace("\n", "<br>") + "</p>"


def breakable(text: str, run: int = 24) -> str:
    """`text` with invisible break points in words longer than `run` characters (paths, URLs, file
    names without spaces), so a word-wrapped label can wrap them instead of growing wider."""
    def split(match: re.Match[str]) -> str:
        word = re.sub(r"([/\\_.,;:=&?-])", "\\1" + ZWSP, match.group())
        parts = word.split(ZWSP)
        out = []
        for part in parts:
            out += [part[i:i + run] for i in range(0, len(part), run)] or [""]
        return ZWSP.join(out)

    return _LONG_RUN.sub(split, text)


def elide_lines(text: str, font: QFont, width: int, lines: int = 1,
                mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> str:
    """`text` laid out in at most `lines` lines of `width` pixels (wrapping anywhere if it must), the last
    line elided."""
    text = " ".join(str(text or "").split())
    width = max(1, width)
    metrics = QFontMetrics(font)
    if lines <= 1 or not text:
        return metrics.elidedText(text, mode, width)
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    spans: list[tuple[int, int]] = []
    layout.beginLayout()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        spans.append((line.textStart(), line.textLength()))
        if len(spans) > lines:
            break
    layout.endLayout()
    if len(spans) <= lines:
        return "\n".join(text[a:a + n].strip() for a, n in spans)
    head = [text[a:a + n].strip() for a, n in spans[:lines - 1]]
    rest = text[spans[lines - 1][0]:]
    return "\n".join(head + [metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)])


class ElidedLabel(QLabel):
    """Plain text in one line (or a few), elided to the room it is given, never asking for more: its
    minimum width is a few characters, so no title or query can widen the window. When the text does
    not fit, the full text is the tooltip (unless `own_tooltip`: the caller sets its own).
    `text()` is the full text."""

    def __init__(self, text: str = "", parent: QWidget | None = None, lines: int = 1,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight, own_tooltip: bool = False,
                 max_hint: int = 360) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._full = ""
        self._lines = max(1, lines)
        self._mode = mode
        self._own_tooltip = own_tooltip
        self._max_hint = max_hint
        self.setText(text)

    def setText(self, text: str | None) -> None:  # noqa: N802
        self._full = "" if text is None else str(text)
        self._refresh()
        self.updateGeometry()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What is drawn (elided)."""
        return super().text()

    def _margins(self) -> tuple[int, int]:
        m = self.contentsMargins()
        return m.left() + m.right() + 2 * self.margin(), m.top() + m.bottom() + 2 * self.margin()

    def _lines_shown(self) -> int:
        return max(1, super().text().count("\n") + 1)

    def sizeHint(self) -> QSize:  # noqa: N802
        fm = self.fontMetrics()
        extra_w, extra_h = self._margins()
        width = min(self._max_hint, max(fm.horizontalAdvance(line) for line in (self._full or " ").split("\n")))
        return QSize(width + extra_w + 2, fm.lineSpacing() * self._lines_shown() + extra_h)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        fm = self.fontMetrics()
        extra_w, extra_h = self._margins()
        return QSize(min(fm.horizontalAdvance("Wxyz…"), self.sizeHint().width()) + extra_w,
                     fm.lineSpacing() * self._lines_shown() + extra_h)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._refresh()

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (event.Type.FontChange, event.Type.StyleChange):
            self._refresh()

    def _refresh(self) -> None:
        before = self._lines_shown()
        extra_w, _ = self._margins()
        width = self.width() - extra_w
        shown = elide_lines(self._full, self.font(), width, self._lines, self._mode)
        QLabel.setText(self, shown)
        if not self._own_tooltip:
            self.setToolTip(plain_tip(self._full) if shown.replace("\n", " ") != " ".join(self._full.split())
                            else "")
        if self._lines_shown() != before:
            self.updateGeometry()


class WrapLabel(QLabel):
    """Plain text that wraps over as many lines as it needs; words longer than the label is wide (paths,
    URLs) are broken rather than widening it. `text()` is the text as given."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self._full = ""
        self.setText(text)

    def setText(self, text: str | None) -> None:  # noqa: N802
        self._full = "" if text is None else str(text)
        QLabel.setText(self, breakable(self._full))

    def text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 120), hint.height())


class EmptyState(QWidget):
    """A friendly, centred message that says what to do next (optionally with a button)."""

    def __init__(self, title: str, body: str, action: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = ElidedLabel(title)  # may quote a search or a file name
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = WrapLabel(body)
        self.body.setObjectName("emptyBody")
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setMaximumWidth(520)
        layout.addWidget(self.title)
        centred = QHBoxLayout()  # (an alignment flag would cut the wrapped label's height)
        centred.addStretch(1)
        centred.addWidget(self.body, 100)
        centred.addStretch(1)
        layout.addLayout(centred)
        self.button: QPushButton | None = None
        if action:
            self.button = QPushButton(action)
            self.button.setObjectName("primary")
            layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def set_text(self, title: str, body: str) -> None:
        self.title.setText(title)
        self.body.setText(body)


class Chip(QLabel):
    """A rounded label for one fact (BPM 120, A minor, bright…): plain text, elided past `max_width`
    pixels (a tag value can be any length), the full text then in the tooltip."""

    def __init__(self, text: str, tooltip: str = "", parent: QWidget | None = None, max_width: int = 220) -> None:
        super().__init__(parent)
        self.setObjectName("chip")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.full_text = " ".join(str(text).split())
        shown = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, max_width)
        self.setText(shown)
        tips = [t for t in (self.full_text if shown != self.full_text else "", tooltip) if t]
        if tips:
            self.setToolTip(plain_tip("\n".join(tips)))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)


class FlowLayout(QLayout):
    """Lays widgets out left to right, wrapping to new lines (for chips)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, i):  # noqa: N802
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i):  # noqa: N802
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self):  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._layout(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._layout(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def clear(self) -> None:
        while self._items:
            item = self._items.pop()
            if item.widget():
                item.widget().hide()  # gone from the screen now, not when the event loop gets to it
                item.widget().deleteLater()

    def _layout(self, rect: QRect, apply: bool) -> int:
        x, y, line_h = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() and line_h > 0:
                x, y = rect.x(), y + line_h + self._spacing
                line_h = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_h = max(line_h, hint.height())
        return y + line_h - rect.y()
