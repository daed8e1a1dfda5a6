"""Cover/poster thumbnails decoded on pool threads, cached, and handed to views as QPixmaps."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QIcon, QImage, QImageReader, QPixmap

THUMB_SIZE = 160
MAX_CACHED = 2000


class _Signals(QObject):
    loaded = Signal(str, QImage)


class _Decode(QRunnable):
    def __init__(self, path: str, size: int, signals: _Signals) -> None:
        super().__init__()
        self.path, self.size, self.signals = path, size, signals

    def run(self) -> None:
        reader = QImageReader(self.path)
        reader.setAutoTransform(True)
        original = reader.size()
        if original.isValid() and max(original.width(), original.height()) > self.size:
            reader.setScaledSize(original.scaled(QSize(self.size, self.size), Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()  # a null image when the file is unreadable: cached as "no art"
        try:
            self.signals.loaded.emit(self.path, image)
        except RuntimeError:
            pass


class Thumbnails(QObject):
    """`get(path)` returns a cached pixmap, or None and starts decoding; `ready` fires when done."""

    ready = Signal(str)

    def __init__(self, size: int = THUMB_SIZE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self._cache: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._icons: dict[str, QIcon] = {}
        self._pending: dict[str, _Decode] = {}  # strong references until each decode reports back
        # The pool is created before the signals object so that, at teardown, Qt deletes the pool first
        # (its destructor waits for running decodes) and only then the object those decodes emit on.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._signals = _Signals(self)
        self._signals.loaded.connect(self._loaded)
        # Image-format plugins load on first use; load them here, on the GUI thread, not racing in two workers.
        QImageReader.supportedImageFormats()

    def get(self, path: str | None) -> QPixmap | None:
        if not path:
            return None
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        if path not in self._pending:
            job = _Decode(path, self.size, self._signals)
            job.setAutoDelete(False)  # Python keeps the job alive (in _pending) until it has reported
            self._pending[path] = job
            self.pool.start(job)
        return None

    def icon(self, path: str | None) -> QIcon | None:
        """The thumbnail as a QIcon (views scale icons to their iconSize; pixmaps they draw full size)."""
        pix = self.get(path)
        if pix is None:
            return None
        icon = self._icons.get(path)
        if icon is None:
            icon = self._icons[path] = QIcon(pix)
        return icon

    def get_now(self, path: str | None, size: int | None = None) -> QPixmap | None:
        """Decode synchronously (a single image for the detail pane)."""
        if not path:
            return None
        reader = QImageReader(path)
        reader.setAutoTransform(True)
        image = reader.read()
        if image.isNull():
            return None
        pix = QPixmap.fromImage(image)
        if size:
            pix = pix.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        return pix

    def _loaded(self, path: str, image: QImage) -> None:
        self._pending.pop(path, None)
        self._cache[path] = None if image.isNull() else QPixmap.fromImage(image)
        while len(self._cache) > MAX_CACHED:
            old, _ = self._cache.popitem(last=False)
            self._icons.pop(old, None)
        self.ready.emit(path)
