"""The player bar (transport, seek, volume, like, the queue panel's button) and the video page."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from ui.icons import icon
from ui.player import NowPlaying, Player
from ui.table_model import format_duration


class PlayerBar(QWidget):
    """Bottom bar: ⏮ ⏯ ⏭, what is playing, position slider, volume, like, queue."""

    def __init__(self, player: Player, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playerBar")
        self.player = player
        self.prev_button = QToolButton()
        self.play_button = QToolButton()
        self.next_button = QToolButton()
        self.speaker = QLabel()
        self.refresh_icons()
        self.play_button.setIconSize(QSize(30, 30))
        self.prev_button.setToolTip("Previous")
        self.play_button.setToolTip("Play / pause (Space)")
        self.next_button.setToolTip("Next (leaving in the first 30 seconds or fifth of an item counts as a skip)")
        self.play_button.setObjectName("playButton")
        self.prev_button.clicked.connect(player.previous)
        self.play_button.clicked.connect(player.toggle)
        self.next_button.clicked.connect(player.next)
        self.title = QLabel("Nothing playing")
        self.title.setObjectName("nowTitle")
        self.subtitle = QLabel("")
        for label in (self.title, self.subtitle):  # titles and artists are the file's data, never markup
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle.setObjectName("nowSubtitle")
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.title)
        text.addWidget(self.subtitle)
        self.elapsed = QLabel("0:00")
        self.total = QLabel("0:00")
        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setRange(0, 0)
        self.seek.setToolTip("Seek")
        self.seek.sliderReleased.connect(lambda: player.seek(self.seek.value()))
        self.like_button = QToolButton(text="♡")
        self.like_button.setToolTip("Like what is playing (Ctrl+L)")
        self.like_button.clicked.connect(self._like)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(int(player.volume * 100))
        self.volume.setFixedWidth(90)
        self.volume.setToolTip("Volume")
        self.volume.valueChanged.connect(lambda v: player.set_volume(v / 100))
        self.queue_button = QToolButton(text="Queue")
        self.queue_button.setCheckable(True)  # shows the queue panel beside the player (main window)
        self.queue_button.setToolTip("Show the queue: reorder, remove, shuffle, repeat, save as a playlist")
        player.queue_changed.connect(self._queue_size)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        for w in (self.prev_button, self.play_button, self.next_button):
            row.addWidget(w)
        row.addSpacing(8)
        row.addLayout(text, 2)
        row.addWidget(self.elapsed)
        row.addWidget(self.seek, 4)
        row.addWidget(self.total)
        row.addWidget(self.like_button)
        row.addWidget(self.speaker)
        row.addWidget(self.volume)
        row.addWidget(self.queue_button)
        player.now_playing.connect(self._now)
        player.position.connect(self._position)
        player.state.connect(self._playing)
        self._liked: set[int] = set()
        self._is_playing = False

    def refresh_icons(self) -> None:
        """(Re)tint the transport icons for the current theme."""
        self.icons = {name: icon(name, "accent" if name in ("play", "pause") else "text")
                      for name in ("previous", "play", "pause", "next", "volume")}
        self.prev_button.setIcon(self.icons["previous"])
        self.next_button.setIcon(self.icons["next"])
        self.play_button.setIcon(self.icons["pause" if getattr(self, "_is_playing", False) else "play"])
        self.speaker.setPixmap(self.icons["volume"].pixmap(18, 18))

    def _playing(self, playing: bool) -> None:
        self._is_playing = playing
        self.play_button.setIcon(self.icons["pause" if playing else "play"])

    def _now(self, now: NowPlaying | None) -> None:
        if now is None:
            self.title.setText("Nothing playing")
            self.subtitle.clear()
            self.seek.setRange(0, 0)
            self.elapsed.setText("0:00")
            self.total.setText("0:00")
            return
        self.title.setText(now.title)
        self.subtitle.setText(now.subtitle)
        self.seek.setRange(0, int(now.duration))
        self.total.setText(format_duration(now.duration) or "0:00")
        self.like_button.setText("♥" if now.item_id in self._liked else "♡")

    def _position(self, seconds: float, duration: float) -> None:
        if duration and self.seek.maximum() != int(duration):
            self.seek.setRange(0, int(duration))
            self.total.setText(format_duration(duration))
        if not self.seek.isSliderDown():
            self.seek.setValue(int(seconds))
        self.elapsed.setText(format_duration(seconds) or "0:00")

    def _like(self) -> None:
        cur = self.player.current
        if cur is None:
            return
        liked = cur.item_id not in self._liked
        (self._liked.add if liked else self._liked.discard)(cur.item_id)
        self.like_button.setText("♥" if liked else "♡")
        self.player.like(cur.item_id, "like" if liked else "none")

    def _queue_size(self) -> None:
        n = len(self.player.queue)
        self.queue_button.setText(f"Queue ({n:,})" if n else "Queue")


class VideoPage(QWidget):
    """Where videos play. The QVideoWidget is created on first use (keeps start-up light)."""

    def __init__(self, player: Player, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        self.video = None
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)

    def ensure_video(self):
        if self.video is None:
            from PySide6.QtMultimediaWidgets import QVideoWidget

            self.video = QVideoWidget(self)
            self.layout_.addWidget(self.video)
            self.player.attach_video(self.video)  # no QMediaPlayer is created just for the page
        return self.video
