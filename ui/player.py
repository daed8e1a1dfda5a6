"""The player: QMediaPlayer for audio and video, a queue, resume positions, and play events for the history.

Every call that can tear down Qt's FFmpeg playback threads (setSource, play, pause, stop, setPosition)
is *queued* to the QMediaPlayer (`_control`) instead of called from Python. Called from Python, it runs
holding the GIL; meanwhile the backend's audio thread, destroying its renderer, calls a PySide-wrapped
virtual (`disconnectNotify` on our QAudioOutput/QMediaPlayer) that needs the GIL while it holds the
signal-slot lock the GUI thread is waiting for: a deadlock (gdb: main thread in QObject::disconnect
under QMediaPlayer::stop, thread "QFFmpeg::AudioR" in ~QObject -> PyGILState_Ensure). Queued calls run
from the event loop, in C++, without the GIL. Closing tears the player down the same way, on a
bounded timer (`shutdown`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Q_ARG, QEventLoop, QMetaObject, QObject, Qt, QTimer, QUrl, Signal

from core.errors import plain_error
from core.models import PlayEvent
from ui.ops import Ops

TEARDOWN_MS = 3000  # closing waits at most this long for the playback threads to stop
RESUME_MIN_S = 30.0  # remember where a video stopped only after this much
SKIP_BEFORE = 0.5  # leaving a track before half of it (and before it ends) counts as a skip


@dataclass
class NowPlaying:
    """The item being played and what has happened to it so far."""

    item_id: int
    title: str
    subtitle: str
    kind: str
    path: str
    duration: float
    started_at: float
    played_s: float = 0.0
    last_pos_s: float = 0.0
    max_pos_s: float = 0.0

    def completion(self) -> float:
        return min(1.0, self.max_pos_s / self.duration) if self.duration > 0 else 0.0


class Player(QObject):
    """Plays a queue of library items and turns what happened into PlayEvents via library.record_play."""

    now_playing = Signal(object)  # NowPlaying | None
    position = Signal(float, float)  # seconds, duration
    state = Signal(bool)  # playing?
    problem = Signal(str)  # plain words
    queue_changed = Signal()

    def __init__(self, library, ops: Ops, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.ops = ops
        self.queue: list[int] = []
        self.index = -1
        self.current: NowPlaying | None = None
        self.volume = 0.8
        self.start_media = True  # tests turn this off and drive positions themselves
        self._media = None
        self.audio = None
        self.video_output = None  # a QVideoWidget, attached when the QMediaPlayer exists
        self._pending_seek: float | None = None
        self._closed = False

    @property
    def media(self):
        """The QMediaPlayer, created on first use: QtMultimedia (FFmpeg, audio devices) starts slowly."""
        if self._media is None:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self._states = QMediaPlayer
            self._media = QMediaPlayer(self)
            self.audio = QAudioOutput(self)  # with no audio device Qt plays silently; nothing depends on it
            self.audio.setVolume(self.volume)
            self._media.setAudioOutput(self.audio)
            self._media.positionChanged.connect(lambda ms: self.on_position(ms / 1000.0))
            self._media.durationChanged.connect(self._duration_changed)
            self._media.mediaStatusChanged.connect(self._status_changed)
            self._media.playbackStateChanged.connect(
                lambda s: self.state.emit(s == QMediaPlayer.PlaybackState.PlayingState))
            self._media.errorOccurred.connect(self._error)
            if self.video_output is not None:
                self._media.setVideoOutput(self.video_output)
        return self._media

    def attach_video(self, widget) -> None:
        """Show video in `widget`, now or once the QMediaPlayer is created (never created just for this)."""
        self.video_output = widget
        if self._media is not None:
            self._media.setVideoOutput(widget)

    def _control(self, slot: str, *args, create: bool = False) -> None:
        """Call a QMediaPlayer slot from the event loop, without the GIL (see the module docstring).
        Does nothing when there is no QMediaPlayer (unless `create`) or the player was shut down."""
        if self._closed or (self._media is None and not create):
            return
        QMetaObject.invokeMethod(self.media, slot, Qt.ConnectionType.QueuedConnection, *args)

    # ----- queue ------------------------------------------------------------------------------
    def play_items(self, item_ids: list[int], start: int = 0) -> None:
        """Replace the queue and play from `start`."""
        self.queue = list(item_ids)
        self.queue_changed.emit()
        self._play_index(start, reason="replaced")

    def enqueue(self, item_ids: list[int]) -> None:
        self.queue.extend(item_ids)
        self.queue_changed.emit()
        if self.current is None:
            self._play_index(len(self.queue) - len(item_ids), reason="replaced")

    def next(self) -> None:
        if self.index + 1 < len(self.queue):
            self._play_index(self.index + 1, reason="next")
        else:
            self.stop()

    def previous(self) -> None:
        if self.current and self.current.last_pos_s > 3:
            self.seek(0)
        elif self.index > 0:
            self._play_index(self.index - 1, reason="next")

    def _play_index(self, index: int, reason: str) -> None:
        self.finish_current(ended=False)
        if self._closed or not 0 <= index < len(self.queue):
            return
        self.index = index
        item_id = self.queue[index]
        try:
            item = self.library.item(item_id)
            path = self.library.file_path(item_id)
        except LookupError as exc:
            self.problem.emit(plain_error(exc, "play this"))
            return
        subtitle = item.artist or item.album or item.genre or ""
        self.current = NowPlaying(item_id, item.title, subtitle, item.kind, path, float(item.duration or 0.0),
                                  time.time())
        self._pending_seek = self._resume_point(item_id) if item.kind == "video" else None
        if self.start_media and not self._closed:  # off (tests): no QMediaPlayer is created or fed at all
            self._control("setSource", Q_ARG(QUrl, QUrl.fromLocalFile(path)), create=True)
            self._control("play")
        self.now_playing.emit(self.current)

    def _resume_point(self, item_id: int) -> float | None:
        try:
            return self.library.resume_position(item_id)
        except Exception as exc:  # noqa: BLE001 - resuming is a nicety: say why, start from the beginning
            self.problem.emit(plain_error(exc, "find where this video stopped"))
            return None

    # ----- transport --------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.current is None:
            if self.queue:
                self._play_index(max(self.index, 0), reason="replaced")
            return
        if not self.start_media:
            return
        self._control("pause" if self.is_playing() else "play")

    def stop(self) -> None:
        self.finish_current(ended=False, moved_on=False)
        self._control("stop")
        self.now_playing.emit(None)

    def seek(self, seconds: float) -> None:
        if self.current:
            self.current.last_pos_s = seconds  # a jump is not "played time"
        self._control("setPosition", Q_ARG("qint64", int(seconds * 1000)))

    def set_volume(self, fraction: float) -> None:
        self.volume = max(0.0, min(1.0, fraction))
        if self.audio is not None:
            self.audio.setVolume(self.volume)

    def is_playing(self) -> bool:
        return self._media is not None and \
            self._media.playbackState() == self._states.PlaybackState.PlayingState

    # ----- what happened ----------------------------------------------------------------------
    def on_position(self, seconds: float) -> None:
        """Accumulate played time from position updates (jumps over 2 s are seeks, not playing)."""
        cur = self.current
        if cur is None:
            return
        delta = seconds - cur.last_pos_s
        if 0 < delta <= 2.0:
            cur.played_s += delta
        cur.last_pos_s = seconds
        cur.max_pos_s = max(cur.max_pos_s, seconds)
        self.position.emit(seconds, cur.duration)

    def _duration_changed(self, ms: int) -> None:
        if self._closed:
            return
        if self.current and ms > 0:
            self.current.duration = ms / 1000.0
        if self._pending_seek and ms > 0:
            self._control("setPosition", Q_ARG("qint64", int(self._pending_seek * 1000)))
            if self.current:
                self.current.last_pos_s = self._pending_seek
            self._pending_seek = None

    def _status_changed(self, status) -> None:
        if self._closed:
            return
        if status == self._states.MediaStatus.EndOfMedia:
            self.finish_current(ended=True)
            self.next()
        elif status == self._states.MediaStatus.InvalidMedia and self.current:
            self.problem.emit(f"Encore cannot play “{self.current.title}”: the file is damaged or in a "
                              "format this system has no decoder for.")

    def _error(self, _error, text: str) -> None:
        if self.current and not self._closed:
            self.problem.emit(f"Could not play “{self.current.title}”: {text or 'unknown playback error'}.")

    def finish_current(self, ended: bool, moved_on: bool = True) -> PlayEvent | None:
        """Close the current play: record a PlayEvent (and a resume point for videos). Leaving an item
        early for another one (`moved_on`) is a skip; stopping or quitting is not."""
        cur, self.current = self.current, None
        if cur is None:
            return None
        if ended:
            cur.max_pos_s = max(cur.max_pos_s, cur.duration)
        completed = 1.0 if ended else cur.completion()
        skipped = moved_on and not ended and completed < SKIP_BEFORE
        if cur.played_s < 1.0 and not skipped and not ended:  # a click-through, not a play
            return None
        event = PlayEvent(item_id=cur.item_id, started_at=cur.started_at, seconds=round(cur.played_s, 2),
                          completed=round(completed, 3), skipped=skipped, source="player",
                          profile=self.library.settings.profile)
        self.ops.run("record play", self.library.record_play, event=event, on_error=self._record_failed)
        if cur.kind == "video":
            keep = cur.last_pos_s if (cur.last_pos_s > RESUME_MIN_S and completed < 0.95) else None
            self.ops.run("resume point", self.library.set_resume_position, ref=cur.item_id, seconds=keep,
                         on_error=lambda exc: self.problem.emit(plain_error(exc, "remember where this stopped")))
        return event

    def _record_failed(self, exc: BaseException) -> None:
        self.problem.emit(plain_error(exc, "save this play to your history"))

    def like(self, item_id: int | None = None, value: str = "like") -> None:
        target = item_id if item_id is not None else (self.current.item_id if self.current else None)
        if target is None:
            return
        self.ops.run("rate", self.library.rate, ref=target, value=value,
                     on_error=lambda exc: self.problem.emit(plain_error(exc, "save this like")))

    def shutdown(self, timeout_ms: int = TEARDOWN_MS) -> bool:
        """Record the current play and release the QMediaPlayer: stop, drop the source and delete it, all
        queued (no GIL held while the backend's threads wind down), waiting at most `timeout_ms`.
        A player that never started (no QMediaPlayer) has nothing to stop. False when the backend did
        not finish in time (the caller can still exit: everything is saved)."""
        self.finish_current(ended=False, moved_on=False)
        media, audio = self._media, self.audio
        if media is None or self._closed:
            self._closed = True
            return True
        self._closed = True  # from here our slots ignore what the winding-down player reports
        gone: list[bool] = []
        loop = QEventLoop()

        def destroyed(*_args) -> None:
            gone.append(True)
            loop.quit()

        media.destroyed.connect(destroyed)
        queued = Qt.ConnectionType.QueuedConnection
        QMetaObject.invokeMethod(media, "stop", queued)
        QMetaObject.invokeMethod(media, "setSource", queued, Q_ARG(QUrl, QUrl()))
        QMetaObject.invokeMethod(media, "deleteLater", queued)
        if audio is not None:
            QMetaObject.invokeMethod(audio, "deleteLater", queued)
        QTimer.singleShot(timeout_ms, loop.quit)
        if not gone:
            loop.exec()  # exec releases the GIL: the queued calls run in C++
        self._media, self.audio = None, None
        return bool(gone)
