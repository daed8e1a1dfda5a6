"""Cover/poster thumbnails decoded on pool threads, cached, and handed to views as QPixmaps."""

from __future__ import annotations

import zlib
from collections import OrderedDict

from PySide6.QtCore import QObject, QRectF, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QImageReader, QPainter, QPixmap

THUMB_SIZE = 160
MIN_ART_PX = 16
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
        # Image-format plugins load on first use; load them here, on the GUI thread, not racing in two workers
        # (two pool threads opening the first JPEG at once crashed in Qt's plugin loader now and then).
        QImageReader.supportedImageFormats()
        _warm_up_decoders()

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
        # Pictures of a few pixels (1x1 and 10x10 "covers" are common in real files) are no art:
        # the placeholder with the title's initials says more than a blank square.
        tiny = image.isNull() or min(image.width(), image.height()) < MIN_ART_PX
        self._cache[path] = None if tiny else QPixmap.fromImage(image)
        while len(self._cache) > MAX_CACHED:
            old, _ = self._cache.popitem(last=False)
            self._icons.pop(old, None)
        self.ready.emit(path)


def _warm_up_decoders() -> None:
    """Encode and decode a 1-pixel JPEG and PNG, so their plugins are loaded and instantiated."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    pixel = QImage(1, 1, QImage.Format.Format_RGB32)
    pixel.fill(0)
    for fmt in ("jpg", "png"):
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        pixel.save(buffer, fmt)
        buffer.close()
        QImage.fromData(data, fmt)


# Muted hues for placeholders: the same title always gets the same colour.
_PLACEHOLDER_HUES = ("#8c6d5a", "#5f7a8c", "#7a8c5f", "#8c5f7a", "#5f8c82", "#8c835f", "#6d5f8c", "#8c5f5f")
_placeholders: dict[tuple[str, str, str, int], QPixmap] = {}


def initials(title: str | None) -> str:
    """Up to two letters for a placeholder: the first letters of the title's first two words."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in (title or "")).split() if w]
    return "".join(w[0] for w in words[:2]).upper()


def placeholder_pixmap(title: str | None, kind: str | None, size: int) -> QPixmap:
    """Art for an item that has none: a tinted square with the title's initials (or a note / play sign)
    and a small kind mark, so a grid of untagged files is not a wall of blank squares."""
    letters = initials(title)
    hue = _PLACEHOLDER_HUES[zlib.crc32((title or kind or "").encode("utf-8")) % len(_PLACEHOLDER_HUES)]
    key = (letters, hue, kind or "", size)
    cached = _placeholders.get(key)
    if cached is not None:
        return cached
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(hue))
    painter.setPen(Qt.PenStyle.NoPen)
    radius = max(2.0, size / 12)
    painter.drawRoundedRect(QRectF(0, 0, size, size), radius, radius)
    painter.setPen(QColor("#ffffff"))
    glyph = "♪" if kind != "video" else "▶"
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, int(size * (0.36 if letters else 0.5))))
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, letters or glyph)
    if letters and size >= 48:  # the kind, small, in a corner
        font.setPixelSize(max(8, size // 7))
        painter.setFont(font)
        painter.setPen(QColor(255, 255, 255, 170))
        pad = size / 14
        painter.drawText(QRectF(pad, pad, size - 2 * pad, size - 2 * pad),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, glyph)
    painter.end()
    if len(_placeholders) > 4000:
        _placeholders.clear()
    _placeholders[key] = pix
    return pix
