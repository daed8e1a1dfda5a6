"""The search page's filter chips: All / Music / Video, a genre, a year range and a length range.

The row only collects what the person chose (`values()`: Library.search's keyword filters) and says when
that changed; the window runs the search. An empty or punctuation-only query with no filter gets
`ask_for_words` instead of a search.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QWidget,
)

from core.library import Library

KINDS = (("All", None), ("Music", "audio"), ("Video", "video"))
# (label, shortest, longest) in minutes; None: open
LENGTHS = (("Any length", None, None), ("Under 2 min", None, 2), ("2–5 min", 2, 5), ("5–10 min", 5, 10),
           ("10–30 min", 10, 30), ("Over 30 min", 30, None))
ANY_YEAR = 1899  # the spin boxes' "any" value (shown as "any")
FIRST_YEAR, LAST_YEAR = 1900, 2100
ANY_GENRE = "Any genre"


class SearchFilters(QWidget):
    """One row of chips above the results; `changed` fires when the person changes any of them."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchFilters")
        self._genres: Callable[[], list[str]] = lambda: []
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 6)
        row.setSpacing(6)
        self.kind_group = QButtonGroup(self)
        self.kind_group.setExclusive(True)
        self.kind_buttons: dict[str | None, QToolButton] = {}
        for text, kind in KINDS:
            button = QToolButton()
            button.setText(text)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolTip("Search everything" if kind is None else f"Search only {text.lower()}")
            self.kind_group.addButton(button)
            self.kind_buttons[kind] = button
            row.addWidget(button)
        self.kind_buttons[None].setChecked(True)
        self.kind_group.buttonClicked.connect(lambda _b: self.changed.emit())

        self.genre = _GenreBox(self)
        self.genre.setToolTip("Only items whose genre contains this word")
        self.genre.activated.connect(lambda _i: self.changed.emit())
        row.addWidget(self.genre)

        row.addWidget(QLabel("Years"))
        self.year_from = _year_box("From this year (any: no limit)")
        self.year_to = _year_box("Up to this year (any: no limit)")
        for box in (self.year_from, self.year_to):
            box.editingFinished.connect(self._year_edited)
            row.addWidget(box)

        self.length = QComboBox()
        self.length.setObjectName("lengthFilter")
        for text, _lo, _hi in LENGTHS:
            self.length.addItem(text)
        self.length.setToolTip("How long it plays")
        self.length.activated.connect(lambda _i: self.changed.emit())
        row.addWidget(self.length)

        self.clear_button = QToolButton()
        self.clear_button.setText("Clear filters")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widens the window
        self._last = self.values()
        self.changed.connect(self._sync)
        self._sync()

    def attach(self, run_search: Callable[[], None], genres: Callable[[], list[str]]) -> None:
        """Search again whenever a chip changes; read the genre list from `genres` when it is opened."""
        self._genres = genres
        self.changed.connect(run_search)

    def genre_names(self) -> list[str]:
        try:
            return list(self._genres())
        except Exception:  # noqa: BLE001 - a closed or busy library: the chip just offers no genres
            return []

    def values(self) -> dict[str, object]:
        """Library.search's keyword filters for what is chosen (only those set)."""
        out: dict[str, object] = {}
        kind = next((k for k, b in self.kind_buttons.items() if b.isChecked()), None)
        if kind:
            out["kind"] = kind
        if self.genre.currentIndex() > 0:
            out["genre"] = self.genre.currentText()
        if self.year_from.value() != ANY_YEAR:
            out["year_min"] = self.year_from.value()
        if self.year_to.value() != ANY_YEAR:
            out["year_max"] = self.year_to.value()
        _, lo, hi = LENGTHS[max(self.length.currentIndex(), 0)]
        if lo is not None:
            out["length_min"] = lo * 60.0
        if hi is not None:
            out["length_max"] = hi * 60.0
        return out

    @property
    def active(self) -> bool:
        return bool(self.values())

    def describe(self) -> str:
        """The chosen filters in a few words ("music · jazz · 1990–1999 · 2–5 min"), "" when none."""
        v = self.values()
        parts = []
        if "kind" in v:
            parts.append("music" if v["kind"] == "audio" else "videos")
        if "genre" in v:
            parts.append(str(v["genre"]))
        if "year_min" in v or "year_max" in v:
            parts.append(f"{v.get('year_min', '…')}–{v.get('year_max', '…')}")
        if self.length.currentIndex() > 0:
            parts.append(self.length.currentText().lower())
        return " · ".join(parts)

    def clear(self) -> None:
        """Every chip back to "any"; one `changed` when something was set."""
        was = self.active
        self.kind_buttons[None].setChecked(True)
        self.genre.setCurrentIndex(0)
        self.year_from.setValue(ANY_YEAR)
        self.year_to.setValue(ANY_YEAR)
        self.length.setCurrentIndex(0)
        if was:
            self.changed.emit()

    def set_kind(self, kind: str | None) -> None:
        self.kind_buttons.get(kind, self.kind_buttons[None]).click()

    def set_genre(self, genre: str | None) -> None:
        self.genre.fill(self.genre_names())
        index = self.genre.findText(genre) if genre else 0
        self.genre.setCurrentIndex(max(index, 0))
        self.changed.emit()

    def set_years(self, first: int | None, last: int | None) -> None:
        self.year_from.setValue(first or ANY_YEAR)
        self.year_to.setValue(last or ANY_YEAR)
        self._year_edited()

    def set_length(self, index: int) -> None:
        self.length.setCurrentIndex(index)
        self.changed.emit()

    def _year_edited(self) -> None:
        first, last = self.year_from.value(), self.year_to.value()
        if first != ANY_YEAR and last != ANY_YEAR and first > last:  # typed backwards: swap, do not refuse
            self.year_from.setValue(last)
            self.year_to.setValue(first)
        if self.values() != self._last:
            self.changed.emit()

    def _sync(self) -> None:
        self._last = self.values()
        self.clear_button.setVisible(bool(self._last))


class _GenreBox(QComboBox):
    """The genre chip: its list is read from the library when it opens (the library changes)."""

    def __init__(self, owner: SearchFilters) -> None:
        super().__init__()
        self.setObjectName("genreFilter")
        self.owner = owner
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.addItem(ANY_GENRE)

    def fill(self, names: list[str]) -> None:
        current = self.currentText()
        self.blockSignals(True)
        self.clear()
        self.addItem(ANY_GENRE)
        for name in names:
            self.addItem(name)
        index = self.findText(current)
        self.setCurrentIndex(index if index >= 0 else 0)
        self.blockSignals(False)

    def showPopup(self) -> None:  # noqa: N802
        self.fill(self.owner.genre_names())
        super().showPopup()


def _year_box(tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(ANY_YEAR, LAST_YEAR)
    box.setSpecialValueText("any")
    box.setValue(ANY_YEAR)
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    return box


def ask_for_words(view) -> None:
    """The search page's answer to an empty or punctuation-only query: what to type (nothing is listed)."""
    view.hits = []
    view.results.clear()
    view.heading.setText("Search")
    view.note.hide()
    view.empty.set_text("Type what you are looking for", Library.EMPTY_QUERY.split(": ", 1)[1].capitalize() + ".")
    view.show_content(False)


def empty_query(text: str, filters: dict[str, object]) -> bool:
    """Whether `text` (with these filters) has nothing to search for."""
    return Library.query_is_empty(text) and not filters
