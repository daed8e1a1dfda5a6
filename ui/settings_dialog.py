"""Settings: folders, models, device, LLM, profile, theme, data location, forgetting and deleting data."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

DEVICES = [("auto", "Automatic (GPU when available)"), ("cpu", "CPU only"), ("cuda", "NVIDIA GPU (CUDA)"),
           ("mps", "Apple GPU (Metal)")]
THEMES = [("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")]


def data_dir_preference() -> str:
    """The data folder chosen in Settings (used when neither --data-dir nor ENCORE_DATA_DIR is given)."""
    return str(QSettings("Encore", "Encore").value("data_dir", "") or "")


class SettingsDialog(QDialog):
    """Edits a copy of the settings; OK saves them with library.save_settings."""

    folders_added = Signal(list)
    forget_history = Signal()
    delete_everything = Signal()

    def __init__(self, library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.setWindowTitle("Encore settings")
        self.setMinimumWidth(560)
        s = library.settings

        self.folders = QListWidget()
        self.folders.setMaximumHeight(110)
        for root in library.roots():
            self.folders.addItem(root["path"])
        add = QPushButton("Add folder…")
        remove = QPushButton("Remove")
        remove.setToolTip("Encore forgets the folder; your files and your history are not touched")
        add.clicked.connect(self._add_folder)
        remove.clicked.connect(self._remove_folder)
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(add)
        folder_buttons.addWidget(remove)
        folder_buttons.addStretch(1)
        self._added: list[str] = []
        self._removed: list[str] = []

        self.embedding = QLineEdit(s.embedding_model)
        self.embedding.setPlaceholderText("Built in: all-MiniLM-L6-v2")
        self.llm_file = QLineEdit(s.llm_model)
        self.llm_file.setPlaceholderText("Built in: SmolLM2-135M-Instruct")
        self.device = QComboBox()
        for key, label in DEVICES:
            self.device.addItem(label, key)
        self.device.setCurrentIndex(max(0, [k for k, _ in DEVICES].index(s.device) if s.device in
                                        [k for k, _ in DEVICES] else 0))
        self.llm_enabled = QCheckBox("Write explanations with the local language model")
        self.llm_enabled.setChecked(bool(s.llm_enabled))
        self.llm_enabled.setToolTip("Off: explanations use plain templates (instant, no model loaded)")
        self.profile = QComboBox()
        self.profile.setEditable(True)
        self.profile.addItems(sorted({s.profile, "default"}))
        self.profile.setCurrentText(s.profile)
        self.profile.setToolTip("Each profile has its own history and recommendations")
        self.theme = QComboBox()
        for key, label in THEMES:
            self.theme.addItem(label, key)
        self.theme.setCurrentIndex([k for k, _ in THEMES].index(s.theme) if s.theme in dict(THEMES) else 0)
        self.data_dir = QLineEdit(str(library.paths.data_dir))
        self.data_dir.setReadOnly(True)
        move = QPushButton("Change…")
        move.setToolTip("Use another data folder from the next start (the current one is left as it is)")
        move.clicked.connect(self._choose_data_dir)

        form = QFormLayout()
        form.addRow("Embedding model folder", _with_browse(self.embedding, self._browse_model_dir))
        form.addRow("Language model file (GGUF)", _with_browse(self.llm_file, self._browse_gguf))
        form.addRow("Compute on", self.device)
        form.addRow("", self.llm_enabled)
        form.addRow("Profile", self.profile)
        form.addRow("Theme", self.theme)
        form.addRow("Data folder", _row(self.data_dir, move))

        folders_box = QGroupBox("Folders Encore watches")
        fcol = QVBoxLayout(folders_box)
        fcol.addWidget(self.folders)
        fcol.addLayout(folder_buttons)

        danger = QGroupBox("Your data")
        dcol = QVBoxLayout(danger)
        forget = QPushButton("Forget my history…")
        forget.setToolTip("Deletes plays, likes and resume points; your library stays")
        delete = QPushButton("Delete all Encore data…")
        delete.setObjectName("danger")
        delete.setToolTip("Deletes Encore's library, settings and caches. Your media files are never touched.")
        forget.clicked.connect(self._forget)
        delete.clicked.connect(self._delete)
        note = QLabel("Your music and video files are never changed or deleted by Encore.")
        note.setWordWrap(True)
        dcol.addWidget(note)
        dcol.addLayout(_row(forget, delete, stretch=True))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(folders_box)
        layout.addLayout(form)
        layout.addWidget(danger)
        layout.addWidget(buttons)

    # ----- folders ----------------------------------------------------------------------------
    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a music or video folder")
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> None:
        self._added.append(folder)
        self.folders.addItem(folder)

    @property
    def removed_folders(self) -> list[str]:
        """The folders removed in this dialog (the library forgets them when the dialog is saved)."""
        return list(self._removed)

    def _remove_folder(self) -> None:
        item = self.folders.currentItem()
        if item is None:
            return
        path = item.text()
        if path in self._added:
            self._added.remove(path)
        else:
            self._removed.append(path)
        self.folders.takeItem(self.folders.row(item))

    def _browse_model_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a sentence-transformers model folder")
        if folder:
            self.embedding.setText(folder)

    def _browse_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model file", "", "GGUF models (*.gguf)")
        if path:
            self.llm_file.setText(path)

    def _choose_data_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose where Encore keeps its data")
        if folder:
            QSettings("Encore", "Encore").setValue("data_dir", folder)
            self.data_dir.setText(folder + "   (from the next start)")

    # ----- dangerous buttons ------------------------------------------------------------------
    def _forget(self) -> None:
        answer = QMessageBox.question(
            self, "Forget your history?",
            "Encore will delete every play, like and resume point. Recommendations start again from "
            "scratch. Your library and your files stay.")
        if answer == QMessageBox.StandardButton.Yes:
            self.forget_history.emit()

    def _delete(self) -> None:
        answer = QMessageBox.warning(
            self, "Delete all Encore data?",
            f"Encore will delete its library, history, settings and caches in\n{self.library.paths.data_dir}\n\n"
            "Your music and video files are not touched. This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_everything.emit()
            self.reject()

    # ----- saving -----------------------------------------------------------------------------
    def changes(self) -> dict:
        """The settings that differ from the library's current ones."""
        s = self.library.settings
        wanted = {
            "embedding_model": self.embedding.text().strip(),
            "llm_model": self.llm_file.text().strip(),
            "device": self.device.currentData(),
            "llm_enabled": self.llm_enabled.isChecked(),
            "profile": self.profile.currentText().strip() or "default",
            "theme": self.theme.currentData(),
        }
        return {k: v for k, v in wanted.items() if getattr(s, k) != v}

    def apply(self) -> dict:
        """Save settings and folder changes; returns the settings that changed."""
        changes = self.changes()
        if changes:
            self.library.save_settings(**changes)
        for path in self._removed:
            self.library.remove_root(path)
        if self._added:
            self.folders_added.emit(list(self._added))
        return changes


def _row(*widgets, stretch: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w, 0 if isinstance(w, QPushButton) else 1)
    if stretch:
        row.addStretch(1)
    return row


def _with_browse(edit: QLineEdit, browse) -> QHBoxLayout:
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    return _row(edit, button)
