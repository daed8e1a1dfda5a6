"""First run: ask for music and video folders (buttons or drag-and-drop), then scanning fills the library."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomeView(QWidget):
    """A calm first screen: what Encore does, two buttons, and a drop hint."""

    folders_chosen = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        title = QLabel("Welcome to Encore")
        title.setObjectName("welcomeTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(
            "Encore plays the music and videos you already own, finds things when you describe them in "
            "plain words, and suggests what to play next — with the reason for every pick.\n\n"
            "Everything stays on this computer. Start by showing Encore where your files are.")
        body.setObjectName("welcomeBody")
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setMaximumWidth(560)  # narrower when the window is (a fixed width made it at least 1040 px wide)
        self.music_button = QPushButton("Add music folder…")
        self.music_button.setObjectName("primary")
        self.video_button = QPushButton("Add video folder…")
        self.video_button.setObjectName("primary")
        self.music_button.clicked.connect(lambda: self._choose("Choose your music folder"))
        self.video_button.clicked.connect(lambda: self._choose("Choose your video folder"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.music_button)
        buttons.addWidget(self.video_button)
        buttons.addStretch(1)
        drop = QLabel("…or drop folders anywhere on this window")
        drop.setObjectName("dropHint")
        drop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(title)
        centred = QHBoxLayout()  # (an alignment flag would cut the wrapped label's height)
        centred.addStretch(1)
        centred.addWidget(body, 100)
        centred.addStretch(1)
        layout.addLayout(centred)
        layout.addSpacing(18)
        layout.addLayout(buttons)
        layout.addWidget(drop)
        layout.addStretch(3)

    def _choose(self, caption: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, caption)
        if folder:
            self.folders_chosen.emit([folder])
