"""The smart-playlist editor: a name, "match all / any of these rules", one row per rule (field, operator,
value), sort and limit, and a live count of what matches now. A search can fill it ("make a smart
playlist from this search"): its rules stay editable here."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import UserError
from core.library import RULE_FIELDS, RULE_OPS, RULE_SORTS

CHOICE_LABELS = {"audio": "music", "video": "video", "liked": "liked", "disliked": "disliked",
                 "unrated": "not rated", "major": "major", "minor": "minor"}
DEFAULTS = {"kind": "audio", "year": 2000, "length": 240, "tempo": [90, 120], "energy": 0.5, "key": "C",
            "mode": "major", "play_count": 1, "last_played": 30, "rating": "liked", "added": 30}


def ignored_note(words: list[str]) -> str:
    """What a search said that no rule keeps (words no item has)."""
    if not words:
        return ""
    return (f"Left out {', '.join('“' + w + '”' for w in words)}: no item in your library has "
            f"{'this word' if len(words) == 1 else 'these words'}, so a rule on it would match nothing.")


class RuleRow(QWidget):
    """One rule: [field ▾] [operator ▾] [value] [−]."""

    changed = Signal()
    remove = Signal(object)

    def __init__(self, rule: dict[str, Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QComboBox()
        for name, spec in RULE_FIELDS.items():
            self.field.addItem(spec.label, name)
        self.op = QComboBox()
        self.text = QLineEdit()
        self.text.setPlaceholderText("text")
        self.choice = QComboBox()
        self.number = QDoubleSpinBox()
        self.low, self.high = QDoubleSpinBox(), QDoubleSpinBox()
        between = QWidget()
        brow = QHBoxLayout(between)
        brow.setContentsMargins(0, 0, 0, 0)
        brow.addWidget(self.low)
        brow.addWidget(QLabel("and"))
        brow.addWidget(self.high)
        self.values = QStackedWidget()
        for w in (self.text, self.choice, self.number, between, QWidget()):
            self.values.addWidget(w)
        self.minus = QPushButton("−")
        self.minus.setToolTip("Remove this rule")
        self.minus.setFixedWidth(32)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field, 2)
        row.addWidget(self.op, 2)
        row.addWidget(self.values, 4)
        row.addWidget(self.minus)
        self.field.currentIndexChanged.connect(self._field_changed)
        self.op.currentIndexChanged.connect(self._op_changed)
        self.text.textChanged.connect(lambda _t: self.changed.emit())
        for box in (self.number, self.low, self.high):
            box.valueChanged.connect(lambda _v: self.changed.emit())
        self.choice.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.minus.clicked.connect(lambda: self.remove.emit(self))
        rule = rule or {"field": "genre", "op": "contains", "value": ""}
        self.set_rule(rule)

    # ----- state ----------------------------------------------------------------------------
    def set_rule(self, rule: dict[str, Any]) -> None:
        self.field.blockSignals(True)
        self.field.setCurrentIndex(max(0, self.field.findData(rule.get("field"))))
        self.field.blockSignals(False)
        self._fill_ops()
        self.op.setCurrentIndex(max(0, self.op.findData(rule.get("op"))))
        self._show_value_editor()
        self._set_value(rule.get("value"))

    def rule(self) -> dict[str, Any]:
        """{"field", "op", "value"} as the editors show it (checked later by core.playlists.validate)."""
        name, op = self.field.currentData(), self.op.currentData()
        spec = RULE_FIELDS[name]
        value: Any = None
        if op == "never":
            value = None
        elif spec.type == "text":
            value = self.text.text()
        elif spec.type == "choice":
            value = self.choice.currentData()
        elif op == "between":
            value = [self._from_box(name, self.low.value()), self._from_box(name, self.high.value())]
        else:
            value = self._from_box(name, self.number.value())
        return {"field": name, "op": op, "value": value}

    # ----- editors follow the field ------------------------------------------------------------
    def _field_changed(self) -> None:
        self._fill_ops()
        self._show_value_editor()
        self._set_value(DEFAULTS.get(self.field.currentData()))
        self.changed.emit()

    def _op_changed(self) -> None:
        self._show_value_editor()
        self.changed.emit()

    def _fill_ops(self) -> None:
        spec = RULE_FIELDS[self.field.currentData()]
        self.op.blockSignals(True)
        self.op.clear()
        for op in spec.ops:
            self.op.addItem(RULE_OPS[op], op)
        self.op.blockSignals(False)
        self.choice.blockSignals(True)
        self.choice.clear()
        for choice in spec.choices:
            self.choice.addItem(CHOICE_LABELS.get(choice, choice), choice)
        self.choice.blockSignals(False)
        name = self.field.currentData()
        for box in (self.number, self.low, self.high):
            box.blockSignals(True)
            box.setDecimals(2 if name == "energy" else 1 if name == "length" else 0)
            box.setRange(spec.low / 60 if name == "length" else spec.low,
                         spec.high / 60 if name == "length" else spec.high)
            box.setSingleStep(0.05 if name == "energy" else 0.5 if name == "length" else 1)
            box.setSuffix({"length": " min", "tempo": " BPM", "last_played": " days", "added": " days",
                           "play_count": " ×"}.get(name, ""))
            box.blockSignals(False)

    def _show_value_editor(self) -> None:
        spec = RULE_FIELDS[self.field.currentData()]
        op = self.op.currentData()
        index = 4 if op == "never" else 0 if spec.type == "text" else 1 if spec.type == "choice" else \
            3 if op == "between" else 2
        self.values.setCurrentIndex(index)

    def _set_value(self, value: Any) -> None:
        name = self.field.currentData()
        spec = RULE_FIELDS[name]
        if spec.type == "text":
            self.text.setText(str(value or ""))
        elif spec.type == "choice":
            self.choice.setCurrentIndex(max(0, self.choice.findData(value)))
        elif isinstance(value, list | tuple) and len(value) == 2:
            self.low.setValue(self._to_box(name, value[0]))
            self.high.setValue(self._to_box(name, value[1]))
            self.number.setValue(self._to_box(name, value[0]))
        elif isinstance(value, int | float):
            self.number.setValue(self._to_box(name, value))
            self.low.setValue(self._to_box(name, value))
            self.high.setValue(self._to_box(name, value))

    @staticmethod
    def _to_box(name: str, value: float) -> float:
        return float(value) / 60.0 if name == "length" else float(value)

    @staticmethod
    def _from_box(name: str, value: float) -> float | int:
        if name == "length":
            return round(value * 60.0)
        return round(value, 2) if name == "energy" else int(round(value))


class SmartPlaylistDialog(QDialog):
    """Make or edit a smart playlist. `result_rules()` and `name()` are what to save."""

    def __init__(self, library, ops=None, name: str = "", rules: dict[str, Any] | None = None,
                 title: str = "Smart playlist", note: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library, self.ops = library, ops
        self.setWindowTitle(title)
        self.setObjectName("smartPlaylistDialog")
        self.resize(720, 480)
        rules = rules or {"match": "all", "rules": [{"field": "kind", "op": "is", "value": "audio"}]}
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText("Name of the smart playlist")
        self.from_search = QLineEdit(rules.get("query", ""))
        self.from_search.setPlaceholderText("“calm piano from the 70s”, “fast songs I haven't played”…")
        use = QPushButton("Turn into rules")
        use.setToolTip("Replace the rules below with what this search asks for")
        use.clicked.connect(self._use_search)
        self.match = QComboBox()
        self.match.addItem("all", "all")
        self.match.addItem("any", "any")
        self.match.setCurrentIndex(max(0, self.match.findData(rules.get("match", "all"))))
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(6)
        rows_widget = QWidget()
        outer = QVBoxLayout(rows_widget)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.rows_box)
        outer.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(rows_widget)
        add = QPushButton("+ Add a rule")
        add.clicked.connect(lambda: self.add_row())
        self.sort = QComboBox()
        for key, label in RULE_SORTS.items():
            self.sort.addItem(label, key)
        self.sort.setCurrentIndex(max(0, self.sort.findData(rules.get("sort", "artist"))))
        self.descending = QCheckBox("reverse order")
        self.descending.setChecked(bool(rules.get("descending")))
        self.limited = QCheckBox("at most")
        self.limit = QSpinBox()
        self.limit.setRange(1, 100_000)
        self.limit.setValue(int(rules.get("limit") or 50))
        self.limit.setSuffix(" items")
        self.limited.setChecked(bool(rules.get("limit")))
        self.preview = QLabel()
        self.preview.setObjectName("shelfNote")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.note = QLabel(note)
        self.note.setObjectName("shelfNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setVisible(bool(note))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Name"))
        layout.addWidget(self.name_edit)
        search_row = QHBoxLayout()
        search_row.addWidget(QLabel("From a search:"))
        search_row.addWidget(self.from_search, 1)
        search_row.addWidget(use)
        layout.addLayout(search_row)
        match_row = QHBoxLayout()
        match_row.addWidget(QLabel("Items that match"))
        match_row.addWidget(self.match)
        match_row.addWidget(QLabel("of these rules:"))
        match_row.addStretch(1)
        layout.addLayout(match_row)
        layout.addWidget(scroll, 1)
        layout.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)
        order_row = QHBoxLayout()
        order_row.addWidget(QLabel("Sorted by"))
        order_row.addWidget(self.sort)
        order_row.addWidget(self.descending)
        order_row.addSpacing(16)
        order_row.addWidget(self.limited)
        order_row.addWidget(self.limit)
        order_row.addStretch(1)
        layout.addLayout(order_row)
        layout.addWidget(self.note)
        layout.addWidget(self.preview)
        layout.addWidget(self.buttons)

        self.rows: list[RuleRow] = []
        self.matches: int | None = None  # what the last preview counted
        self._open = [True]  # False once closed or deleted: a preview still on its way changes nothing
        self.destroyed.connect(lambda *_a, alive=self._open: alive.__setitem__(0, False))
        self._preview_timer = QTimer(self, singleShot=True, interval=250)
        self._preview_timer.timeout.connect(self.update_preview)
        for rule in rules.get("rules", []):
            self.add_row(rule)
        for w in (self.match, self.sort):
            w.currentIndexChanged.connect(self._changed)
        for box in (self.descending, self.limited):
            box.toggled.connect(self._changed)
        self.limit.valueChanged.connect(self._changed)
        self.update_preview()

    # ----- rules ----------------------------------------------------------------------------
    def add_row(self, rule: dict[str, Any] | None = None) -> RuleRow:
        row = RuleRow(rule)
        row.changed.connect(self._changed)
        row.remove.connect(self._remove_row)
        self.rows.append(row)
        self.rows_box.addWidget(row)
        self._changed()
        return row

    def _remove_row(self, row: RuleRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            row.setParent(None)
            row.deleteLater()
            self._changed()

    def set_rules(self, rules: dict[str, Any]) -> None:
        for row in list(self.rows):
            self._remove_row(row)
        self.match.setCurrentIndex(max(0, self.match.findData(rules.get("match", "all"))))
        for rule in rules.get("rules", []):
            self.add_row(rule)
        self.sort.setCurrentIndex(max(0, self.sort.findData(rules.get("sort", "artist"))))
        self.limited.setChecked(bool(rules.get("limit")))
        if rules.get("limit"):
            self.limit.setValue(int(rules["limit"]))

    def result_rules(self) -> dict[str, Any]:
        """The rule set as the dialog shows it."""
        out: dict[str, Any] = {"match": self.match.currentData(), "rules": [r.rule() for r in self.rows],
                               "sort": self.sort.currentData(), "descending": self.descending.isChecked(),
                               "limit": self.limit.value() if self.limited.isChecked() else None}
        if self.from_search.text().strip():
            out["query"] = self.from_search.text().strip()
        return out

    def name(self) -> str:
        return self.name_edit.text().strip()

    def _use_search(self) -> None:
        query = self.from_search.text().strip()
        if not query:
            return
        try:
            found = self.library.smart_rules_from_search(query)
        except UserError as exc:
            self.preview.setText(str(exc))
            return
        self.note.setText(ignored_note(found.extra.get("ignored_words", [])))
        self.note.setVisible(bool(self.note.text()))
        self.set_rules(found.to_dict())
        if not self.name():
            self.name_edit.setText(query)

    # ----- live count ---------------------------------------------------------------------------
    def _changed(self) -> None:
        self._preview_timer.start()

    def update_preview(self) -> None:
        """'23 items match now: all of: …' or what is wrong with a rule, in words."""
        if not self._open[0]:
            return
        rules = self.result_rules()
        try:
            summary = self.library.describe_rules(rules)
        except UserError as exc:
            self._show_preview(None, str(exc))
            return
        if self.ops is None:
            self._show_preview(len(self.library.evaluate_rules(rules)), summary)
            return
        self.ops.run("smart preview", self.library.evaluate_rules, rules=rules,
                     on_result=lambda ids, s=summary: self._show_preview(len(ids), s),
                     on_error=lambda exc: self._show_preview(None, str(exc)))

    def _show_preview(self, count: int | None, text: str) -> None:
        if not self._open[0]:
            return
        if count is None:
            self.preview.setText(f"Not saved yet: {text}")
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            return
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
        self.preview.setText(f"{count:,} item{'s' if count != 1 else ''} match now: {text}. The playlist "
                             "follows your library and history as they change.")
        self.preview.setToolTip(text)
        self.matches = count

    def done(self, result: int) -> None:  # noqa: D102 - accept and reject both end here
        self._open[0] = False
        self._preview_timer.stop()
        super().done(result)

    def _accept(self) -> None:
        if not self.name():
            self.name_edit.setFocus()
            self.preview.setText("Give the smart playlist a name.")
            return
        try:
            self.library.describe_rules(self.result_rules())
        except UserError as exc:
            self.preview.setText(f"Not saved yet: {exc}")
            return
        self.accept()
