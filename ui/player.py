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

import random
import time
from dataclasses import dataclass

from PySide6.QtCore import Q_ARG, QEventLoop, QMetaObject, QObject, Qt, QTimer, QUrl, Signal

from core.errors import plain_error
from core.models import FAILED, PlayEvent, skip_window
from ui.ops import Ops

TEARDOWN_MS = 3000  # closing waits at most this long for the playback threads to stop
RESUME_MIN_S = 30.0  # remember where a video stopped only after this much
SAME_ACTION_S = 1.0  # the same list started again this soon, before a sound played: one action (double-click)
REPEAT_MODES = ("off", "all", "one")


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
    played_s: float = 0.0  # heard: position advanced by playing, seeks left out
    last_pos_s: float = 0.0
    max_pos_s: float = 0.0
    resumed: bool = False  # started where it stopped last time (leaving it is never a skip)
    failed: str = ""  # why it could not be played ("" while it plays)
    auto: bool = False  # reached by playing on (the end of the previous item), not picked

    def completion(self) -> float:
        """How far into the item playback got, 0..1 (for resume points)."""
        return min(1.0, self.max_pos_s / self.duration) if self.duration > 0 else 0.0

    def share_heard(self) -> float:
        """The share of the item heard, 0..1."""
        return min(1.0, self.played_s / self.duration) if self.duration > 0 else 0.0

    @property
    def started(self) -> bool:
        """Whether any of it played (a failed or never-started item is not a play)."""
        return not self.failed and (self.played_s > 0 or self.max_pos_s > 0)


class Player(QObject):
    """Plays a queue of library items and turns what happened into PlayEvents via library.record_play.

    What counts as a play (docs/ARCHITECTURE.md): an item that never started or failed is no play (a
    failure is recorded with outcome FAILED, which no recommender reads); leaving an item for another
    within `core.models.skip_window` is a skip; any longer listen is a play weighted by the share heard.
    One user action is one event: an item closed before any of it played records nothing."""

    now_playing = Signal(object)  # NowPlaying | None
    position = Signal(float, float)  # seconds, duration
    state = Signal(bool)  # playing?
    problem = Signal(str)  # plain words
    queue_changed = Signal()
    repeat_changed = Signal(str)

    def __init__(self, library, ops: Ops, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.ops = ops
        self.queue: list[int] = []
        self.index = -1  # the queue row of the current item (or of the last one played)
        self.current: NowPlaying | None = None
        self.repeat = "off"
        self.volume = 0.8
        self.start_media = True  # tests turn this off and drive positions themselves
        self._media = None
        self.audio = None
        self.video_output = None  # a QVideoWidget, attached when the QMediaPlayer exists
        self._pending_seek: float | None = None
        self._closed = False
        self._source = ""  # the path last handed to the QMediaPlayer

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
            self._media.positionChanged.connect(self._media_position)
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

    def _is_current_source(self) -> bool:
        """Whether what the QMediaPlayer reports is about the current item (setSource is queued: reports
        about the previous file can still arrive after the next one was asked for)."""
        cur = self.current
        if cur is None:
            return False
        if self._media is None:
            return True  # test hooks drive the player without a QMediaPlayer
        return self._media.source() == QUrl.fromLocalFile(cur.path)

    # ----- queue ------------------------------------------------------------------------------
    def play_items(self, item_ids: list[int], start: int = 0, start_at: float | None = None) -> None:
        """Replace the queue and play from `start`; `start_at`: from that second of it (a search hit's moment)
        instead of its resume point. The same list started again before any of it played (a double-click
        also "activates" the row) is the same action: it changes nothing."""
        cur = self.current
        if cur is not None and not cur.started and not cur.failed and list(item_ids) == self.queue and \
                start == self.index and time.time() - cur.started_at < SAME_ACTION_S:
            return
        self.queue = list(item_ids)
        self.index = -1
        self.queue_changed.emit()
        self._play_index(start, start_at=start_at)

    def enqueue(self, item_ids: list[int]) -> None:
        """Add items at the end of the queue (and play the first when nothing plays)."""
        self.queue.extend(item_ids)
        self.queue_changed.emit()
        if self.current is None and item_ids:
            self._play_index(len(self.queue) - len(item_ids))

    def play_next(self, item_ids: list[int]) -> None:
        """Put items right after the current one (play them at once when nothing plays)."""
        if not item_ids:
            return
        at = self.index + 1 if self.current is not None else max(self.index + 1, 0)
        self.queue[at:at] = list(item_ids)
        self.queue_changed.emit()
        if self.current is None:
            self._play_index(at)

    def jump(self, row: int) -> None:
        """Play the item at queue row `row` (leaving the current one). The row that was just asked for,
        asked again before any of it played, is the same action."""
        cur = self.current
        if cur is not None and row == self.current_row() and not cur.started and not cur.failed and \
                time.time() - cur.started_at < SAME_ACTION_S:
            return
        if 0 <= row < len(self.queue):
            self._play_index(row)

    def move(self, rows: list[int], to: int) -> None:
        """Move the items at `rows` (in their order) so that they come before row `to` of today's queue."""
        rows = sorted({r for r in rows if 0 <= r < len(self.queue)})
        if not rows:
            return
        tagged = list(enumerate(self.queue))
        moving = [tagged[r] for r in rows]
        keep = [t for n, t in enumerate(tagged) if n not in set(rows)]
        at = len([n for n, _ in keep if n < to])
        tagged = keep[:at] + moving + keep[at:]
        self.queue = [item for _, item in tagged]
        if self.index >= 0:
            self.index = next(n for n, (old, _) in enumerate(tagged) if old == self.index)
        self.queue_changed.emit()

    def remove(self, rows: list[int]) -> None:
        """Take the items at `rows` out of the queue; the item playing now stays (it is playing)."""
        drop = {r for r in rows if 0 <= r < len(self.queue) and not (self.current is not None and r == self.index)}
        if not drop:
            return
        self.index -= len([r for r in drop if r < self.index])
        self.queue = [item for n, item in enumerate(self.queue) if n not in drop]
        self.queue_changed.emit()

    def clear(self) -> None:
        """Empty the queue (the item playing now stays, alone)."""
        if self.current is not None and 0 <= self.index < len(self.queue):
            self.queue, self.index = [self.queue[self.index]], 0
        else:
            self.queue, self.index = [], -1
        self.queue_changed.emit()

    def shuffle(self, rng: random.Random | None = None) -> None:
        """Shuffle what comes after the current item (the queue shows the new order: no hidden mode)."""
        head, rest = self.queue[:self.index + 1], self.queue[self.index + 1:]
        (rng or random).shuffle(rest)
        self.queue = head + rest
        self.queue_changed.emit()

    def set_repeat(self, mode: str) -> None:
        """off | all (the queue starts again after its end) | one (the current item plays again)."""
        if mode not in REPEAT_MODES:
            raise ValueError(f"repeat is one of {REPEAT_MODES}, not {mode!r}")
        self.repeat = mode
        self.repeat_changed.emit(mode)

    def cycle_repeat(self) -> str:
        """off -> all -> one -> off."""
        self.set_repeat(REPEAT_MODES[(REPEAT_MODES.index(self.repeat) + 1) % len(REPEAT_MODES)])
        return self.repeat

    def current_row(self) -> int | None:
        """The queue row of the item playing now, or None."""
        return self.index if self.current is not None and 0 <= self.index < len(self.queue) else None

    def next(self) -> None:
        """Leave the current item for the next one (after the last: the first with repeat all, else stop)."""
        if self.index + 1 < len(self.queue):
            self._play_index(self.index + 1)
        elif self.repeat == "all" and self.queue:
            self._play_index(0)
        else:
            self.stop()

    def previous(self) -> None:
        if self.current and self.current.last_pos_s > 3:
            self.seek(0)
        elif self.index > 0:
            self._play_index(self.index - 1)

    def _play_on(self) -> None:
        """The current item ended (or could not be played on the way): what comes next, by itself."""
        if self.repeat == "one" and 0 <= self.index < len(self.queue):
            self._play_index(self.index, "auto")
        elif self.index + 1 < len(self.queue):
            self._play_index(self.index + 1, "auto")
        elif self.repeat == "all" and self.queue:
            self._play_index(0, "auto")
        else:
            self.stop()

    def _play_index(self, index: int, reason: str = "picked", start_at: float | None = None) -> None:
        """Leave the current item (recording what happened) and play queue row `index`; `reason` "auto":
        reached by playing on, not picked; `start_at`: from that second (else a video's resume point)."""
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
                                  time.time(), auto=reason == "auto")
        self._pending_seek = start_at if start_at else self._resume_point(item_id) if item.kind == "video" else None
        self.current.resumed = bool(self._pending_seek)  # started mid-way: leaving it is never a skip
        if self.start_media and not self._closed:  # off (tests): no QMediaPlayer is created or fed at all
            if path == self._source and self._media is not None:  # the same file again (repeat one, a moment):
                # no new duration report will come to apply a pending start, so it is applied now
                self._control("setPosition", Q_ARG("qint64", int((self._pending_seek or 0.0) * 1000)))
                self.current.last_pos_s, self._pending_seek = self._pending_seek or 0.0, None
            else:
                self._control("setSource", Q_ARG(QUrl, QUrl.fromLocalFile(path)), create=True)
            self._source = path
            self._control("play")
        self.now_playing.emit(self.current)
        self.queue_changed.emit()  # the current row moved

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
                self._play_index(max(self.index, 0))
            return
        if not self.start_media:
            return
        self._control("pause" if self.is_playing() else "play")

    def stop(self) -> None:
        self.finish_current(ended=False, moved_on=False)
        self._control("stop")
        self.now_playing.emit(None)
        self.queue_changed.emit()

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
        """Accumulate played time from position updates (jumps over 2 s are seeks, not playing). The test
        hook: QMediaPlayer's reports come through `_media_position`. A failed item plays nothing: Qt's
        clock runs on after a decoder error, and that is not listening."""
        cur = self.current
        if cur is None or cur.failed:
            return
        delta = seconds - cur.last_pos_s
        if 0 < delta <= 2.0:
            cur.played_s += delta
        cur.last_pos_s = seconds
        cur.max_pos_s = max(cur.max_pos_s, seconds)
        self.position.emit(seconds, cur.duration)

    def _media_position(self, ms: int) -> None:
        if not self._closed and self._is_current_source():
            self.on_position(ms / 1000.0)

    def _duration_changed(self, ms: int) -> None:
        if self._closed or not self._is_current_source():
            return
        if self.current and ms > 0:
            self.current.duration = ms / 1000.0
        if self._pending_seek and ms > 0:
            self._control("setPosition", Q_ARG("qint64", int(self._pending_seek * 1000)))
            if self.current:
                self.current.last_pos_s = self._pending_seek
            self._pending_seek = None

    def _status_changed(self, status) -> None:
        if self._closed or not self._is_current_source():
            return
        if status == self._states.MediaStatus.EndOfMedia:
            self.finish_current(ended=True)
            self._play_on()
        elif status == self._states.MediaStatus.InvalidMedia:
            self.cannot_play("the file is damaged or in a format this system has no decoder for")

    def _error(self, _error, text: str) -> None:
        if not self._closed and self._is_current_source():
            self.cannot_play(text or "unknown playback error")

    def cannot_play(self, why: str) -> None:
        """The current item cannot be played: say so once, record a failure (not a play) and go on with
        the next item when playback reached it by itself; a picked item stops there."""
        cur = self.current
        if cur is None or cur.failed:
            return
        cur.failed = why
        self.problem.emit(f"Could not play “{cur.title}”: {why}.")
        self.finish_current(ended=False, moved_on=False)
        self._control("stop")
        self._control("setSource", Q_ARG(QUrl, QUrl()))  # picking it again loads it again (and fails again)
        self._source = ""
        if cur.auto and self.index + 1 < len(self.queue):
            self._play_on()
        else:
            self.now_playing.emit(None)
            self.queue_changed.emit()

    def finish_current(self, ended: bool, moved_on: bool = True) -> PlayEvent | None:
        """Close the current play and record what happened (and a resume point for videos):
        - failed: a failure event (outcome FAILED), never a play;
        - nothing of it played (a double-click's first click, a file that never started): no event;
        - ended: a full play; left for another item (`moved_on`) within the skip window: a skip;
        - otherwise a partial play, completed = the share heard (stopping in the first second: nothing)."""
        cur, self.current = self.current, None
        if cur is None:
            return None
        profile = self.library.settings.profile
        if cur.failed:
            event = PlayEvent(item_id=cur.item_id, started_at=cur.started_at, seconds=0.0, completed=0.0,
                              skipped=False, source="player", profile=profile, outcome=FAILED)
            self.ops.run("record failure", self.library.record_play, event=event, on_error=self._record_failed)
            return event
        if not cur.started:
            return None
        if ended:
            cur.max_pos_s = max(cur.max_pos_s, cur.duration)
            completed, skipped = 1.0, False
        else:
            completed = cur.share_heard()
            skipped = moved_on and not cur.resumed and cur.played_s < skip_window(cur.duration)
            if not moved_on and cur.played_s < 1.0:  # stopped at once: not a play, and stopping is no skip
                return None
        event = PlayEvent(item_id=cur.item_id, started_at=cur.started_at, seconds=round(cur.played_s, 2),
                          completed=round(completed, 3), skipped=skipped, source="player", profile=profile)
        self.ops.run("record play", self.library.record_play, event=event, on_error=self._record_failed)
        if cur.kind == "video":
            position = cur.completion()
            keep = cur.last_pos_s if (cur.last_pos_s > RESUME_MIN_S and position < 0.95 and not ended) else None
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
